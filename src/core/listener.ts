import { isChannelEventName, validateApp, type App, type AppContext, type AppError, type AppVersionInfo, type ChannelEventName, type LoadedApp } from './apps';
import type { Client } from './client';
import { APP_ID_VAR, CALL_ID_VAR } from './dialString';
import { Connection, type ConnectionOptions, type ConnectionStatus, type StatusChange } from './esl/connection';
import { ApiError, CommandTimeoutError, ConnectionClosedError } from './esl/errors';
import type { EslEvent } from './esl/event';
import { Call } from './models/call';
import type { Job } from './models/job';
import { Session, type SessionHost } from './models/session';
import { DisposableStore, Emitter, type Disposable, type Event } from './util/lifecycle';

/** One version of an app under an id. */
interface AppVersion {
  readonly app: App;
  readonly version: number;
  readonly loadedAt: number;
  readonly callbacks: ChannelEventName[];
  /** Calls pinned to this version that have not ended. */
  readonly liveCalls: Set<Call>;
  /** Callbacks started and not yet settled. */
  running: number;
  tornDown: boolean;
}

/** The public LoadedApp, mutable here. */
type LoadedAppState = { -readonly [K in keyof LoadedApp]: LoadedApp[K] };

/** Everything about one app id. */
interface AppSlot {
  readonly id: string;
  readonly state: LoadedAppState;
  current: AppVersion;
  /** Replaced versions not yet torn down. */
  readonly older: Set<AppVersion>;
  /** Which version each call that reached the app runs on. */
  readonly pins: Map<Call, AppVersion>;
  /** Reloads and unloads of this id, one after another. */
  lock: Promise<void>;
  client: Client;
  /** Load order, to pick the inbound app. */
  readonly order: number;
}

/** The events the models are folded from. Not `ALL`: FreeSWITCH sends far more than we use. */
export const LISTENER_EVENTS = [
  'CHANNEL_CREATE',
  'CHANNEL_ANSWER',
  'CHANNEL_PROGRESS',
  'CHANNEL_PROGRESS_MEDIA',
  'CHANNEL_BRIDGE',
  'CHANNEL_UNBRIDGE',
  'CHANNEL_PARK',
  'CHANNEL_UNPARK',
  'CHANNEL_EXECUTE',
  'CHANNEL_EXECUTE_COMPLETE',
  'CHANNEL_HANGUP',
  'CHANNEL_HANGUP_COMPLETE',
  'CHANNEL_DESTROY',
  'CHANNEL_CALLSTATE',
  'CALL_UPDATE',
  'DTMF',
  'BACKGROUND_JOB',
  'HEARTBEAT',
] as const;

export interface EventListenerOptions extends ConnectionOptions {
  /** Ended calls kept in `history`. Default 1000. */
  historySize?: number;
  /**
   * A second resync this long after every (re)connect, for channels created in the ~200 ms that
   * `show channels` lags the events while the listener was away (their events were lost and the
   * first list did not have them yet). Default 1000 ms; 0 turns it off.
   */
  resyncSettleMs?: number;
}

/** Counters over the listener's lifetime. */
export interface ListenerStats {
  sessionsCreated: number;
  callsCreated: number;
  /** Sessions that hung up without ever being answered. */
  failedSessions: number;
  /** Hangup causes of completed sessions, e.g. `NORMAL_CLEARING → 12`. */
  hangupCauses: Map<string, number>;
  /** Events received. */
  events: number;
}

interface EventWaiter {
  name: string;
  match: ((e: EslEvent) => boolean) | undefined;
  resolve(e: EslEvent): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** Events after which a session must not be re-created from a straggling event. */
const ENDING_EVENTS: ReadonlySet<string> = new Set(['CHANNEL_HANGUP_COMPLETE', 'CHANNEL_DESTROY']);
const RECENTLY_ENDED_LIMIT = 4096;

/** Events about one channel that update its Session. */
function isSessionEvent(name: string): boolean {
  return name.startsWith('CHANNEL_') || name === 'CALL_UPDATE' || name === 'DTMF' || name.startsWith('PLAYBACK_') || name.startsWith('RECORD_');
}

/**
 * Tracks the state of one FreeSWITCH process from its events: sessions, calls and jobs, as
 * switchio's EventListener does. Models are folded from events on the read path (cheap, never
 * waits); app callbacks run off it.
 */
export class EventListener implements Disposable, SessionHost {
  readonly connection: Connection;
  /** Live sessions by uuid. */
  readonly sessions = new Map<string, Session>();
  /** Live calls by call uuid (for an originated call: the originated session's uuid). */
  readonly calls = new Map<string, Call>();
  /** Background jobs not yet settled, by Job-UUID. */
  readonly jobs = new Map<string, Job>();
  /** Ended calls, oldest first, at most `historySize`. */
  readonly history: Call[] = [];
  readonly stats: ListenerStats = { sessionsCreated: 0, callsCreated: 0, failedSessions: 0, hangupCauses: new Map(), events: 0 };

  private readonly historySize: number;
  /** Which call a session uuid or a call-tracking id belongs to. */
  private readonly callIndex = new Map<string, Call>();
  private readonly recentlyEnded = new Set<string>();
  private readonly waiters = new Map<string, Set<EventWaiter>>();
  private readonly apps = new Map<string, AppSlot>();
  private nextAppOrder = 0;
  /** The public view of `apps`. */
  private readonly appStates = new Map<string, LoadedApp>();
  private readonly store = new DisposableStore();
  /** The resync that follows the latest ready. */
  private resynced: Promise<void> = Promise.resolve();
  private readonly resyncSettleMs: number;
  private settleTimer: NodeJS.Timeout | undefined;
  /** App ids being loaded, reserved so two loads of one id cannot both run setup. */
  private readonly loadingApps = new Set<string>();

  private readonly _onDidReceiveEvent = this.store.add(new Emitter<EslEvent>());
  /** Every event, after the models were updated. */
  readonly onDidReceiveEvent: Event<EslEvent> = this._onDidReceiveEvent.event;
  private readonly _onDidCreateSession = this.store.add(new Emitter<Session>());
  readonly onDidCreateSession: Event<Session> = this._onDidCreateSession.event;
  private readonly _onDidChangeSession = this.store.add(new Emitter<{ session: Session; event: EslEvent }>());
  /** A live session's state changed (answer, bridge, park, hangup …). */
  readonly onDidChangeSession: Event<{ session: Session; event: EslEvent }> = this._onDidChangeSession.event;
  private readonly _onDidEndSession = this.store.add(new Emitter<Session>());
  readonly onDidEndSession: Event<Session> = this._onDidEndSession.event;
  private readonly _onDidCreateCall = this.store.add(new Emitter<Call>());
  readonly onDidCreateCall: Event<Call> = this._onDidCreateCall.event;
  private readonly _onDidMergeCalls = this.store.add(new Emitter<{ into: Call; from: Call }>());
  /** Two calls turned out to be one (bridged, or legs seen before their link): `from` left `calls`. */
  readonly onDidMergeCalls: Event<{ into: Call; from: Call }> = this._onDidMergeCalls.event;
  private readonly _onDidEndCall = this.store.add(new Emitter<Call>());
  /** Every session of the call has hung up; it has left `calls` for `history`. */
  readonly onDidEndCall: Event<Call> = this._onDidEndCall.event;
  private readonly _onDidCompleteJob = this.store.add(new Emitter<Job>());
  readonly onDidCompleteJob: Event<Job> = this._onDidCompleteJob.event;
  private readonly _onDidResync = this.store.add(new Emitter<{ sessions: number; calls: number }>());
  /** Sessions and calls were rebuilt from `show channels` after a (re)connect. */
  readonly onDidResync: Event<{ sessions: number; calls: number }> = this._onDidResync.event;
  private readonly _onDidAppError = this.store.add(new Emitter<AppError>());
  /** An app callback threw or rejected. Other apps and the listener carry on. */
  readonly onDidAppError: Event<AppError> = this._onDidAppError.event;
  private readonly _onDidChangeApps = this.store.add(new Emitter<void>());
  readonly onDidChangeApps: Event<void> = this._onDidChangeApps.event;

  constructor(options: EventListenerOptions) {
    this.historySize = options.historySize ?? 1000;
    this.resyncSettleMs = options.resyncSettleMs ?? 1000;
    this.connection = this.store.add(new Connection(options));
    void this.connection.subscribe(LISTENER_EVENTS);
    this.store.add(this.connection.onDidReceiveEvent((e) => this.ingest(e)));
    this.store.add(
      this.connection.onDidChangeStatus((change) => {
        clearTimeout(this.settleTimer);
        if (change.to === 'ready') {
          this.resynced = this.resync();
          if (this.resyncSettleMs > 0) void this.resynced.then(() => this.scheduleSettle());
        }
        if (change.to === 'closed' || change.to === 'reconnecting') this.rejectWaiters(change);
      }),
    );
  }

  get status(): ConnectionStatus {
    return this.connection.status;
  }

  /** Forwarded from the connection. */
  get onDidChangeStatus(): Event<StatusChange> {
    return this.connection.onDidChangeStatus;
  }

  /** Connects, subscribes, and resolves once sessions and calls are resynced from FreeSWITCH. */
  async connect(): Promise<void> {
    await this.connection.connect();
    // Set when the connection reported ready (before connect() resolved); it never rejects.
    await this.resynced;
  }

  disconnect(): Promise<void> {
    return this.connection.close();
  }

  /** Registers a job so its BACKGROUND_JOB settles it. */
  registerJob(job: Job): void {
    if (job.ready) return;
    this.jobs.set(job.uuid, job);
    // However it settles (here, through the client, or failed), it leaves the map.
    const forget = (): void => void this.jobs.delete(job.uuid);
    job.then(forget, forget);
  }

  // ---- SessionHost: what sessions use to act and wait ----

  async cmd(command: string): Promise<string> {
    const body = await this.connection.api(command);
    if (body.startsWith('-ERR') || body.startsWith('-USAGE')) throw new ApiError(command, body);
    return body.replace(/\n$/, '');
  }

  sendmsg(uuid: string, headers: Record<string, string>, body?: string): Promise<string> {
    return this.connection.sendmsg(uuid, headers, body);
  }

  waitForEvent(session: Session, name: string, timeoutMs: number, match?: (e: EslEvent) => boolean): Promise<EslEvent> {
    if (!this.connection.subscriptions.has(name) && !this.connection.subscriptions.has('ALL')) {
      void this.connection.subscribe([name]).catch(() => undefined);
    }
    return new Promise<EslEvent>((resolve, reject) => {
      let set = this.waiters.get(session.uuid);
      if (!set) this.waiters.set(session.uuid, (set = new Set()));
      const waiters = set;
      const waiter: EventWaiter = {
        name,
        match,
        resolve,
        reject,
        timer: setTimeout(() => {
          waiters.delete(waiter);
          reject(new CommandTimeoutError(`waiting for ${name} on ${session.uuid}`, timeoutMs));
        }, timeoutMs),
      };
      waiters.add(waiter);
    });
  }

  private settleWaiters(uuid: string, event: EslEvent): void {
    const set = this.waiters.get(uuid);
    if (!set) return;
    for (const w of set) {
      const named = w.name === event.name || (event.name === 'CUSTOM' && w.name === event.subclass);
      if (named && (!w.match || w.match(event))) {
        clearTimeout(w.timer);
        set.delete(w);
        w.resolve(event);
      }
    }
    if (set.size === 0) this.waiters.delete(uuid);
  }

  private rejectWaiters(change: StatusChange): void {
    const err = new ConnectionClosedError(`lost the event connection to ${this.connection.address}${change.error ? `: ${change.error.message}` : ''}`);
    for (const set of this.waiters.values()) {
      for (const w of set) {
        clearTimeout(w.timer);
        w.reject(err);
      }
    }
    this.waiters.clear();
  }

  // ---- Apps ----
  //
  // Each app id has a slot holding its current version and the older versions still finishing
  // calls. A call is pinned to the version whose callback it reached first and keeps it until
  // every session of the call has ended; a replaced version is torn down once no call is pinned
  // to it and none of its callbacks is still running.

  /**
   * Loads an app atomically: validates it, runs its setup, subscribes to what it needs, and only
   * then registers it. Any failure leaves nothing registered.
   */
  async loadApp(app: App, id: string, context: { client: Client }): Promise<LoadedApp> {
    if (this.apps.has(id) || this.loadingApps.has(id)) throw new Error(`an app is already loaded with id ${id}; unload it first (or reload it)`);
    this.loadingApps.add(id);
    let version: AppVersion;
    try {
      version = await this.prepareVersion(app, id, 1, context.client);
    } finally {
      this.loadingApps.delete(id);
    }
    const state: LoadedAppState = {
      id,
      name: app.name ?? id,
      app,
      version: 1,
      loadedAt: version.loadedAt,
      callbacks: version.callbacks,
      runs: new Map(),
      calls: new Set(),
      errors: 0,
      lastError: undefined,
      get callsHandled() {
        return this.calls.size;
      },
      versions: [],
    };
    const slot: AppSlot = { id, state, current: version, older: new Set(), pins: new Map(), lock: Promise.resolve(), client: context.client, order: this.nextAppOrder++ };
    this.apps.set(id, slot);
    this.appStates.set(id, state);
    this.refreshVersions(slot);
    this._onDidChangeApps.fire();
    return state;
  }

  /**
   * Replaces the app loaded as `id` with `app`, atomically: the new version is validated, set up
   * and subscribed first; if any of that fails, the promise rejects with why, the old version keeps
   * running, and `lastError` (eventName `reload`) records it. Then calls that already reached the
   * app keep the version they started with until they end, and new calls get the new one. The old
   * version's teardown runs once its last call ended and its callbacks settled (at once if none).
   * Reloads and unloads of one id run one after another.
   */
  reloadApp(id: string, app: App, context: { client: Client }): Promise<LoadedApp> {
    const slot = this.apps.get(id);
    if (!slot) return Promise.reject(new Error(`no app is loaded with id ${id}; load it first`));
    return this.withLock(slot, async () => {
      if (this.apps.get(id) !== slot) throw new Error(`app ${id} was unloaded while a reload waited`);
      const number = slot.state.version + 1;
      let version: AppVersion;
      try {
        version = await this.prepareVersion(app, id, number, context.client);
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        this.reportAppError(slot, { appId: id, eventName: 'reload', sessionUuid: '', version: number, error, at: Date.now() }, false);
        this._onDidChangeApps.fire();
        throw error;
      }
      if (this.apps.get(id) !== slot) {
        // Unloaded meanwhile (cannot happen under the lock, but never leak a set-up version).
        await this.teardownVersion(slot, version);
        throw new Error(`app ${id} was unloaded during its reload`);
      }
      const old = slot.current;
      slot.current = version;
      slot.client = context.client;
      slot.older.add(old);
      const s = slot.state;
      s.app = app;
      s.name = app.name ?? id;
      s.version = number;
      s.loadedAt = version.loadedAt;
      s.callbacks = version.callbacks;
      this.refreshVersions(slot);
      this._onDidChangeApps.fire();
      this.maybeRetire(slot, old);
      return s;
    });
  }

  /** Unloads an app and runs its teardown (and that of older versions still finishing calls). Calls it was handling get no more callbacks. */
  async unloadApp(id: string, context: { client: Client }): Promise<void> {
    const slot = this.apps.get(id);
    if (!slot) throw new Error(`no app is loaded with id ${id}`);
    await this.withLock(slot, async () => {
      if (this.apps.get(id) !== slot) throw new Error(`no app is loaded with id ${id}`);
      this.apps.delete(id);
      this.appStates.delete(id);
      slot.client = context.client;
      this._onDidChangeApps.fire();
      for (const old of slot.older) if (!old.tornDown) await this.teardownVersion(slot, old);
      slot.older.clear();
      slot.pins.clear();
      // The current version's teardown error reaches the caller, as it always did.
      slot.current.tornDown = true;
      await slot.current.app.teardown?.(this.contextFor(slot, slot.current));
    });
  }

  /** Loaded apps by id. */
  get loadedApps(): ReadonlyMap<string, LoadedApp> {
    return this.appStates;
  }

  /**
   * Hands a session to the app loaded as `appId`: sets `fsdev_app_id` on the channel (uuid_setvar)
   * so its later events reach that app, then delivers `event` (typically the CHANNEL_PARK that got
   * it routed) to the app's callback for it. Rejects if no such app is loaded.
   */
  async routeToApp(session: Session, appId: string, event?: EslEvent): Promise<void> {
    if (!this.apps.has(appId)) throw new Error(`no app is loaded with id ${appId}`);
    await session.setVar(APP_ID_VAR, appId);
    const slot = this.apps.get(appId);
    if (slot && event && !session.ended) this.runCallback(slot, session, event);
  }

  private async prepareVersion(app: App, id: string, number: number, client: Client): Promise<AppVersion> {
    const callbacks = validateApp(app, id);
    const version: AppVersion = { app, version: number, loadedAt: Date.now(), callbacks, liveCalls: new Set(), running: 0, tornDown: false };
    const ctx: AppContext = { id, client, listener: this, version: number };
    await app.setup?.(ctx);
    try {
      const wanted: string[] = [...callbacks];
      const missing = wanted.filter((n) => !this.connection.subscriptions.has(n) && !this.connection.subscriptions.has('ALL'));
      if (missing.length > 0) await this.connection.subscribe(missing);
    } catch (err) {
      await Promise.resolve(app.teardown?.(ctx)).catch(() => undefined);
      throw err;
    }
    return version;
  }

  private withLock<T>(slot: AppSlot, fn: () => Promise<T>): Promise<T> {
    const run = slot.lock.then(fn, fn);
    slot.lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private contextFor(slot: AppSlot, version: AppVersion): AppContext {
    return { id: slot.id, client: slot.client, listener: this, version: version.version };
  }

  private refreshVersions(slot: AppSlot): void {
    const info = (v: AppVersion): AppVersionInfo => ({ version: v.version, loadedAt: v.loadedAt, liveCalls: v.liveCalls.size, running: v.running, current: v === slot.current });
    slot.state.versions = [info(slot.current), ...[...slot.older].map(info)];
  }

  /** Tears a replaced version down once nothing uses it any more. */
  private maybeRetire(slot: AppSlot, version: AppVersion): void {
    if (version === slot.current || version.tornDown || version.liveCalls.size > 0 || version.running > 0) return;
    void this.teardownVersion(slot, version).then(() => {
      slot.older.delete(version);
      if (this.apps.get(slot.id) === slot) {
        this.refreshVersions(slot);
        this._onDidChangeApps.fire();
      }
    });
  }

  private async teardownVersion(slot: AppSlot, version: AppVersion): Promise<void> {
    if (version.tornDown) return;
    version.tornDown = true;
    try {
      await version.app.teardown?.(this.contextFor(slot, version));
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.reportAppError(slot, { appId: slot.id, eventName: 'teardown', sessionUuid: '', version: version.version, error, at: Date.now() }, false);
    }
  }

  private reportAppError(slot: AppSlot, appError: AppError, countAsCallbackError: boolean): void {
    if (countAsCallbackError) slot.state.errors++;
    slot.state.lastError = appError;
    this._onDidAppError.fire(appError);
  }

  /** The app that receives parked inbound legs no app owns: the first loaded with `inbound: true`. */
  private inboundSlot(): AppSlot | undefined {
    let best: AppSlot | undefined;
    for (const slot of this.apps.values()) if (slot.current.app.inbound === true && (!best || slot.order < best.order)) best = slot;
    return best;
  }

  private dispatchToApp(session: Session, event: EslEvent): void {
    const appId = session.appId;
    let slot = appId === undefined ? undefined : this.apps.get(appId);
    if (appId === undefined && event.name === 'CHANNEL_PARK' && session.direction === 'inbound') slot = this.inboundSlot();
    if (slot) this.runCallback(slot, session, event);
  }

  /** Runs the callback of the version the session's call is pinned to (pinning it to the current one on first use). */
  private runCallback(slot: AppSlot, session: Session, event: EslEvent): void {
    const call = session.call;
    let version = call ? slot.pins.get(call) : undefined;
    const callback = (version ?? slot.current).app.on[event.name as ChannelEventName];
    if (!callback) return;
    if (!version) {
      version = slot.current;
      if (call) {
        slot.pins.set(call, version);
        version.liveCalls.add(call);
      }
    }
    const pinned = version;
    const state = slot.state;
    state.runs.set(event.name, (state.runs.get(event.name) ?? 0) + 1);
    state.calls.add(call?.uuid ?? session.uuid);
    pinned.running++;
    const done = (): void => {
      pinned.running--;
      this.maybeRetire(slot, pinned);
    };
    // Off the read path: an app's slow or failing callback never delays the next event.
    setImmediate(() => {
      const report = (err: unknown): void => {
        const error = err instanceof Error ? err : new Error(String(err));
        this.reportAppError(slot, { appId: slot.id, eventName: event.name, sessionUuid: session.uuid, version: pinned.version, error, at: Date.now() }, true);
      };
      try {
        const result = callback.call(pinned.app, session, event, session.call);
        if (result instanceof Promise) result.then(done, (err: unknown) => (report(err), done()));
        else done();
      } catch (err) {
        report(err);
        done();
      }
    });
  }

  /** A call all of whose sessions ended releases its pin: its version may retire. */
  private releaseCall(call: Call): void {
    if (!call.sessions.every((s) => s.ended || !this.sessions.has(s.uuid))) return;
    for (const slot of this.apps.values()) {
      const version = slot.pins.get(call);
      if (!version) continue;
      slot.pins.delete(call);
      version.liveCalls.delete(call);
      this.maybeRetire(slot, version);
    }
  }

  /** Merged calls keep one pin: the surviving call's, or else the merged-in call's. */
  private movePins(into: Call, from: Call): void {
    for (const slot of this.apps.values()) {
      const version = slot.pins.get(from);
      if (!version) continue;
      slot.pins.delete(from);
      version.liveCalls.delete(from);
      if (!slot.pins.has(into)) {
        slot.pins.set(into, version);
        version.liveCalls.add(into);
      } else {
        this.maybeRetire(slot, version);
      }
    }
  }

  // ---- Folding events into models ----

  /**
   * Folds one event into the models and fires the listener's events. The connection calls this for
   * every event it receives; it is public so recorded events can be replayed.
   */
  ingest(event: EslEvent): void {
    this.stats.events++;
    const name = event.name;
    if (name === 'BACKGROUND_JOB') {
      const job = this.jobs.get(event.jobUuid ?? '');
      if (job) {
        this.jobs.delete(job.uuid);
        job.complete(event.body);
        this._onDidCompleteJob.fire(job);
      }
    } else {
      const uuid = event.uuid;
      if (uuid && (isSessionEvent(name) || isChannelEventName(name))) this.foldSessionEvent(uuid, event);
      // Any other event about a channel (a CUSTOM subclass, say) can still be awaited with recv().
      else if (uuid) this.settleWaiters(uuid, event);
    }
    this._onDidReceiveEvent.fire(event);
  }

  private foldSessionEvent(uuid: string, event: EslEvent): void {
    let session = this.sessions.get(uuid);
    let created = false;
    if (!session) {
      if (this.recentlyEnded.has(uuid) || ENDING_EVENTS.has(event.name) || !event.get('Channel-Name')) {
        // Remember an end we saw for a session we never tracked, so a resync in flight does not revive it.
        if (ENDING_EVENTS.has(event.name)) this.rememberEnded(uuid);
        this.settleWaiters(uuid, event);
        return;
      }
      session = this.createSession(uuid, event.headers);
      created = true;
    }
    // A session built from this event already holds its headers: do not merge them twice.
    session.update(event, !created);
    if (event.name === 'CHANNEL_CREATE') this.regroup(session);
    else if (event.name === 'CHANNEL_BRIDGE') this.mergeBridged(session, event);
    if (event.name === 'CHANNEL_HANGUP_COMPLETE') {
      const cause = session.hangupCause ?? 'UNKNOWN';
      this.stats.hangupCauses.set(cause, (this.stats.hangupCauses.get(cause) ?? 0) + 1);
      if (!session.answered) this.stats.failedSessions++;
    }
    this._onDidChangeSession.fire({ session, event });
    this.dispatchToApp(session, event);
    this.settleWaiters(uuid, event);
    if (session.hangupCause !== undefined) this.maybeEndCall(session);
    if (session.ended) this.endSession(session);
  }

  private createSession(uuid: string, headers: Readonly<Record<string, string>>): Session {
    const session = new Session(uuid, headers, this);
    this.sessions.set(uuid, session);
    this.stats.sessionsCreated++;
    this.groupIntoCall(session);
    this._onDidCreateSession.fire(session);
    return session;
  }

  /**
   * Puts a session into its call: by our call-tracking variable (every leg of a call we originated
   * carries it; loopback legs inherit it), by its loopback partner, by FreeSWITCH's own call uuid,
   * or as the first session of a new call.
   */
  private groupIntoCall(session: Session): void {
    const trackingId = session.var(CALL_ID_VAR);
    const candidates = [
      trackingId,
      session.var('other_loopback_leg_uuid'),
      session.get('Other-Leg-Unique-ID'),
      session.get('Channel-Call-UUID'),
      session.var('call_uuid'),
    ];
    let call: Call | undefined;
    for (const key of candidates) {
      if (key && key !== session.uuid) call = this.callIndex.get(key);
      if (call) break;
    }
    if (!call) {
      call = new Call(trackingId ?? session.uuid, session);
      this.calls.set(call.uuid, call);
      this.callIndex.set(call.uuid, call);
      this.stats.callsCreated++;
      this.callIndex.set(session.uuid, call);
      this._onDidCreateCall.fire(call);
      return;
    }
    call.add(session);
    this.callIndex.set(session.uuid, call);
  }

  /**
   * A session first seen through an event that does not name its partner (subscribed to `ALL`,
   * FreeSWITCH sends CHANNEL_OUTGOING and CHANNEL_STATE before CHANNEL_CREATE) sits in a call of
   * its own; its CHANNEL_CREATE names the partner, and the two calls become one.
   */
  private regroup(session: Session): void {
    const own = session.call;
    for (const key of [session.var(CALL_ID_VAR), session.var('other_loopback_leg_uuid'), session.get('Other-Leg-Unique-ID')]) {
      const call = key && key !== session.uuid ? this.callIndex.get(key) : undefined;
      if (call && own && call !== own) {
        this.mergeCalls(call, own);
        return;
      }
    }
  }

  /** Bridged legs belong to one call: fold the other leg's call into this one. */
  private mergeBridged(session: Session, event: EslEvent): void {
    const otherUuid = event.get('Other-Leg-Unique-ID') ?? event.get('Bridge-B-Unique-ID');
    const other = otherUuid ? this.sessions.get(otherUuid) : undefined;
    if (session.call && other?.call) this.mergeCalls(session.call, other.call);
  }

  private mergeCalls(into: Call, from: Call): void {
    if (into === from || from.endedAt !== undefined || into.endedAt !== undefined) return;
    for (const s of from.sessions) {
      into.add(s);
      this.callIndex.set(s.uuid, into);
    }
    this.callIndex.set(from.uuid, into);
    this.calls.delete(from.uuid);
    this.movePins(into, from);
    this.stats.callsCreated--;
    this._onDidMergeCalls.fire({ into, from });
  }

  private maybeEndCall(session: Session): void {
    const call = session.call;
    if (!call || call.endedAt !== undefined || !call.ended) return;
    call.endedAt = session.hungupAt ?? Date.now();
    this.calls.delete(call.uuid);
    this.history.push(call);
    if (this.history.length > this.historySize) this.history.splice(0, this.history.length - this.historySize);
    this._onDidEndCall.fire(call);
  }

  /** `remember`: keep its uuid from being re-created by straggling events (its own end was seen). */
  private endSession(session: Session, remember = true): void {
    if (!this.sessions.delete(session.uuid)) return;
    const call = session.call;
    if (call && call.endedAt !== undefined && call.sessions.every((s) => s.ended || !this.sessions.has(s.uuid))) {
      for (const s of call.sessions) this.callIndex.delete(s.uuid);
      this.callIndex.delete(call.uuid);
    }
    if (remember) this.rememberEnded(session.uuid);
    if (call) this.releaseCall(call);
    this._onDidEndSession.fire(session);
  }

  private rememberEnded(uuid: string): void {
    this.recentlyEnded.add(uuid);
    if (this.recentlyEnded.size > RECENTLY_ENDED_LIMIT) {
      const oldest = this.recentlyEnded.values().next().value;
      if (oldest !== undefined) this.recentlyEnded.delete(oldest);
    }
  }

  // ---- Resync ----

  /**
   * Rebuilds sessions and calls after every (re)connect. `show channels` reads FreeSWITCH's core
   * database, which a background SQL thread writes in batches, so it lags the events both ways
   * (capture 22: a query right after an originate missed the new call in 10 of 10 rounds, and rows
   * stayed listed ~200 ms after their hangup). The list only names candidates; `uuid_exists`, which
   * asks the live session table, decides. A known session is ended only when FreeSWITCH says it is
   * gone (or by its own hangup events), a listed channel is added only when it exists, and nothing
   * a resync ends is remembered as ended: a later event for that uuid re-creates it.
   */
  async resync(): Promise<void> {
    let rows: ChannelRow[];
    try {
      rows = parseChannelRows(await this.connection.api('show channels as json'));
    } catch {
      // The connection went away again; the next ready resyncs.
      return;
    }
    const known = [...this.sessions.values()];
    const fresh = rows.filter((r) => !this.sessions.has(r.uuid) && !this.recentlyEnded.has(r.uuid));
    // One pipelined round: is each known session still there; for each new channel, does it exist,
    // and the variables that group legs and route to apps.
    const [knownExists, freshInfo] = await Promise.all([
      Promise.all(known.map((session) => this.existsQuietly(session.uuid))),
      Promise.all(fresh.map((row) => this.channelInfo(row))),
    ]);
    known.forEach((session, i) => {
      // Unknown (the connection dropped) keeps it; so does an end or a re-creation meanwhile.
      if (knownExists[i] !== false || this.sessions.get(session.uuid) !== session) return;
      session.hangupCause ??= 'UNKNOWN';
      session.ended = true;
      this.maybeEndCall(session);
      this.endSession(session, false);
    });
    fresh.forEach((row, i) => {
      const info = freshInfo[i]!;
      // Still listed but already gone (the list lags hangups too), or seen through its events, or
      // ended, while we asked.
      if (!info.exists || this.sessions.has(row.uuid) || this.recentlyEnded.has(row.uuid)) return;
      const headers = rowToHeaders(row);
      if (info.callId) headers[`variable_${CALL_ID_VAR}`] = info.callId;
      if (info.appId) headers[`variable_${APP_ID_VAR}`] = info.appId;
      if (info.otherLeg) headers['variable_other_loopback_leg_uuid'] = info.otherLeg;
      if (info.origCallerNumber) headers['Caller-Orig-Caller-ID-Number'] = info.origCallerNumber;
      const session = this.createSession(row.uuid, headers);
      if (row.answered) session.answeredAt = session.createdAt;
    });
    this._onDidResync.fire({ sessions: this.sessions.size, calls: this.calls.size });
  }

  private scheduleSettle(): void {
    clearTimeout(this.settleTimer);
    if (this.connection.status !== 'ready') return;
    this.settleTimer = setTimeout(() => {
      this.settleTimer = undefined;
      if (this.connection.status === 'ready') void this.resync();
    }, this.resyncSettleMs);
    this.settleTimer.unref();
  }

  /** Whether a channel exists; undefined when FreeSWITCH could not be asked. */
  private async existsQuietly(uuid: string): Promise<boolean | undefined> {
    try {
      const answer = (await this.connection.api(`uuid_exists ${uuid}`)).trim();
      // Capture 19: exactly `true` or `false`, without a newline.
      return answer === 'true' ? true : answer === 'false' ? false : undefined;
    } catch {
      return undefined;
    }
  }

  private async channelInfo(row: ChannelRow): Promise<{ exists: boolean; callId?: string; appId?: string; otherLeg?: string; origCallerNumber?: string }> {
    const [exists, callId, appId, otherLeg, origCallerNumber] = await Promise.all([
      this.existsQuietly(row.uuid),
      this.getVarQuietly(row.uuid, CALL_ID_VAR),
      this.getVarQuietly(row.uuid, APP_ID_VAR),
      row.name.startsWith('loopback/') ? this.getVarQuietly(row.uuid, 'other_loopback_leg_uuid') : Promise.resolve(undefined),
      // show channels has the caller id after answer, which FreeSWITCH swaps on outbound legs.
      row.direction === 'outbound' ? this.getVarQuietly(row.uuid, 'origination_caller_id_number') : Promise.resolve(undefined),
    ]);
    return { exists: exists === true, callId, appId, otherLeg, origCallerNumber };
  }

  private async getVarQuietly(uuid: string, name: string): Promise<string | undefined> {
    try {
      const value = (await this.connection.api(`uuid_getvar ${uuid} ${name}`)).replace(/\n$/, '');
      return value === '_undef_' || value.startsWith('-ERR') ? undefined : value;
    } catch {
      return undefined;
    }
  }

  dispose(): void {
    clearTimeout(this.settleTimer);
    const closed = new ConnectionClosedError(`event listener for ${this.connection.address} disposed`);
    for (const set of this.waiters.values()) {
      for (const w of set) {
        clearTimeout(w.timer);
        w.reject(closed);
      }
    }
    this.waiters.clear();
    for (const job of this.jobs.values()) job.fail(closed);
    this.jobs.clear();
    this.store.dispose();
  }
}

/** The fields of `show channels as json` we use. */
interface ChannelRow {
  uuid: string;
  direction: string;
  createdEpoch: number;
  name: string;
  state: string;
  cidName: string;
  cidNum: string;
  dest: string;
  callState: string;
  callUuid: string;
  answered: boolean;
}

/** Parses `show channels as json` (`{"row_count": 0}` when empty). Tolerates anything else as no rows. */
export function parseChannelRows(body: string): ChannelRow[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [];
  }
  const rows = (parsed as { rows?: unknown }).rows;
  if (!Array.isArray(rows)) return [];
  const out: ChannelRow[] = [];
  for (const r of rows as Array<Record<string, unknown>>) {
    const s = (k: string): string => (typeof r[k] === 'string' ? (r[k] as string) : '');
    if (!s('uuid')) continue;
    out.push({
      uuid: s('uuid'),
      direction: s('direction'),
      createdEpoch: Number(s('created_epoch')) || 0,
      name: s('name'),
      state: s('state'),
      cidName: s('cid_name'),
      cidNum: s('cid_num'),
      dest: s('dest'),
      callState: s('callstate'),
      callUuid: s('call_uuid'),
      answered: s('callstate') === 'ACTIVE' || s('callstate') === 'HELD',
    });
  }
  return out;
}

/** A `show channels` row as the event headers a Session reads. */
function rowToHeaders(row: ChannelRow): Record<string, string> {
  return {
    'Unique-ID': row.uuid,
    'Call-Direction': row.direction,
    'Channel-Name': row.name,
    'Channel-State': row.state,
    'Channel-Call-State': row.callState,
    'Channel-Call-UUID': row.callUuid,
    'Caller-Caller-ID-Name': row.cidName,
    'Caller-Caller-ID-Number': row.cidNum,
    'Caller-Destination-Number': row.dest,
    'Caller-Channel-Created-Time': String(row.createdEpoch * 1_000_000),
  };
}
