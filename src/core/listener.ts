import { AppRuntime } from './apps/appRuntime';
import { isChannelEventName, type App, type AppError, type LoadedApp } from './apps';
import { CallTracker, isSessionEvent, type ListenerStats } from './callTracker';
import type { Client } from './client';
import { Connection, type ConnectionOptions, type ConnectionStatus, type StatusChange } from './esl/connection';
import { ApiError, CommandTimeoutError, ConnectionClosedError, EslError } from './esl/errors';
import type { EslEvent } from './esl/event';
import type { Call } from './models/call';
import type { Job } from './models/job';
import type { Session, SessionHost } from './models/session';
import { DisposableStore, Emitter, type Disposable, type Event } from './util/lifecycle';

export type { ListenerStats } from './callTracker';

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
  /**
   * The events subscribed to. Default `LISTENER_EVENTS`. A load generator passes the few it
   * measures (`LOAD_EVENTS`): at hundreds of calls a second every event FreeSWITCH need not
   * serialise and the reader need not decode is CPU left for the calls.
   */
  events?: readonly string[];
  /**
   * Fold channel events into Sessions and Calls (and resync them after a reconnect). Default true.
   * A load generator's listener turns it off: it reads each event once for its own records, and at
   * a thousand calls a second the models would cost more than the rest of the generator. Without
   * them `sessions`, `calls` and `history` stay empty and apps cannot be loaded; jobs, `recv()` and
   * `onDidReceiveEvent` work as ever.
   */
  trackCalls?: boolean;
}

interface EventWaiter {
  name: string;
  match: ((e: EslEvent) => boolean) | undefined;
  resolve(e: EslEvent): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Tracks the state of one FreeSWITCH process from its events, as switchio's EventListener does,
 * and runs the apps loaded on it. It composes three parts, and an event goes through them in this
 * order, on the socket's read path: the `Connection` decodes it; `ingest` settles a job, or has
 * the `CallTracker` fold it into its Session and Call, hands it to the `AppRuntime` (whose
 * callbacks run off the read path), wakes `session.recv()` waiters, lets the tracker end what the
 * event ended, and fires `onDidReceiveEvent` for the UI.
 */
export class EventListener implements Disposable, SessionHost {
  readonly connection: Connection;
  /** Background jobs not yet settled, by Job-UUID. */
  readonly jobs = new Map<string, Job>();
  private readonly tracker: CallTracker;
  private readonly apps: AppRuntime;
  private readonly waiters = new Map<string, Set<EventWaiter>>();
  private readonly store = new DisposableStore();
  /** The resync that follows the latest ready. */
  private resynced: Promise<void> = Promise.resolve();
  private readonly resyncSettleMs: number;
  private readonly trackCalls: boolean;
  private settleTimer: NodeJS.Timeout | undefined;

  private readonly _onDidReceiveEvent = this.store.add(new Emitter<EslEvent>());
  /** Every event, after the models were updated. */
  readonly onDidReceiveEvent: Event<EslEvent> = this._onDidReceiveEvent.event;
  readonly onDidCreateSession: Event<Session>;
  /** A live session's state changed (answer, bridge, park, hangup …). */
  readonly onDidChangeSession: Event<{ session: Session; event: EslEvent }>;
  readonly onDidEndSession: Event<Session>;
  readonly onDidCreateCall: Event<Call>;
  /** Two calls turned out to be one (bridged, or legs seen before their link): `from` left `calls`. */
  readonly onDidMergeCalls: Event<{ into: Call; from: Call }>;
  /** Every session of the call has hung up; it has left `calls` for `history`. */
  readonly onDidEndCall: Event<Call>;
  private readonly _onDidCompleteJob = this.store.add(new Emitter<Job>());
  readonly onDidCompleteJob: Event<Job> = this._onDidCompleteJob.event;
  /** Sessions and calls were rebuilt from FreeSWITCH after a (re)connect (see resync). */
  readonly onDidResync: Event<{ sessions: number; calls: number }>;
  /** An app callback threw or rejected. Other apps and the listener carry on. */
  readonly onDidAppError: Event<AppError>;
  readonly onDidChangeApps: Event<void>;

  constructor(options: EventListenerOptions) {
    this.resyncSettleMs = options.resyncSettleMs ?? 1000;
    this.trackCalls = options.trackCalls ?? true;
    this.connection = this.store.add(new Connection(options));
    this.tracker = this.store.add(new CallTracker(this, (command) => this.connection.api(command), options.historySize ?? 1000));
    this.apps = this.store.add(
      new AppRuntime({
        listener: this,
        ensureSubscribed: async (names) => {
          const missing = names.filter((n) => !this.connection.subscriptions.has(n) && !this.connection.subscriptions.has('ALL'));
          if (missing.length > 0) await this.connection.subscribe(missing);
        },
      }),
    );
    // Pins follow merged calls and are released with ended ones before anyone else hears of it.
    this.store.add(this.tracker.onDidMergeCalls(({ into, from }) => this.apps.moveCallPins(into, from)));
    this.store.add(this.tracker.onDidReleaseCall((call) => this.apps.releaseCall(call)));
    this.onDidCreateSession = this.tracker.onDidCreateSession;
    this.onDidChangeSession = this.tracker.onDidChangeSession;
    this.onDidEndSession = this.tracker.onDidEndSession;
    this.onDidCreateCall = this.tracker.onDidCreateCall;
    this.onDidMergeCalls = this.tracker.onDidMergeCalls;
    this.onDidEndCall = this.tracker.onDidEndCall;
    this.onDidResync = this.tracker.onDidResync;
    this.onDidAppError = this.apps.onDidAppError;
    this.onDidChangeApps = this.apps.onDidChangeApps;

    void this.connection.subscribe(options.events ?? LISTENER_EVENTS);
    this.store.add(this.connection.onDidReceiveEvent((e) => this.ingest(e)));
    this.store.add(
      this.connection.onDidChangeStatus((change) => {
        clearTimeout(this.settleTimer);
        if (change.to === 'ready') {
          this.resynced = this.resync();
          if (this.resyncSettleMs > 0 && this.trackCalls) void this.resynced.then(() => this.scheduleSettle());
        }
        if (change.to === 'closed' || change.to === 'reconnecting') this.rejectWaiters(change);
      }),
    );
  }

  /** Live sessions by uuid. */
  get sessions(): ReadonlyMap<string, Session> {
    return this.tracker.sessions;
  }

  /** Live calls by call uuid (for an originated call: the originated session's uuid). */
  get calls(): ReadonlyMap<string, Call> {
    return this.tracker.calls;
  }

  /** Ended calls, oldest first, at most `historySize`. */
  get history(): readonly Call[] {
    return this.tracker.history;
  }

  get stats(): ListenerStats {
    return this.tracker.stats;
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

  // ---- An event's way ----

  /**
   * Takes one event through the listener (see the class comment). The connection calls this for
   * every event it receives; it is public so recorded events can be replayed.
   */
  ingest(event: EslEvent): void {
    this.tracker.stats.events++;
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
      const session = uuid && this.trackCalls && (isSessionEvent(name) || isChannelEventName(name)) ? this.tracker.fold(uuid, event) : undefined;
      if (session) this.apps.dispatch(session, event);
      // Any event about a channel (a CUSTOM subclass, say) can be awaited with recv().
      if (uuid) this.settleWaiters(uuid, event);
      if (session) this.tracker.complete(session);
    }
    this._onDidReceiveEvent.fire(event);
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

  // ---- Apps (the AppRuntime) ----

  /**
   * Loads an app atomically: validates it, runs its setup, subscribes to what it needs, and only
   * then registers it. Any failure leaves nothing registered.
   */
  loadApp(app: App, id: string, context: { client: Client }): Promise<LoadedApp> {
    if (!this.trackCalls) return Promise.reject(new EslError(`app ${id}: this listener does not track calls (trackCalls: false), so it cannot run apps`));
    return this.apps.load(app, id, context.client);
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
    return this.apps.reload(id, app, context.client);
  }

  /** Unloads an app and runs its teardown (and that of older versions still finishing calls). Calls it was handling get no more callbacks. */
  unloadApp(id: string, context: { client: Client }): Promise<void> {
    return this.apps.unload(id, context.client);
  }

  /** Loaded apps by id. */
  get loadedApps(): ReadonlyMap<string, LoadedApp> {
    return this.apps.loadedApps;
  }

  /**
   * Hands a session to the app loaded as `appId`: sets `fsdev_app_id` on the channel (uuid_setvar)
   * so its later events reach that app, then delivers `event` (typically the CHANNEL_PARK that got
   * it routed) to the app's callback for it. Rejects if no such app is loaded.
   */
  routeToApp(session: Session, appId: string, event?: EslEvent): Promise<void> {
    return this.apps.routeTo(session, appId, event);
  }

  // ---- Resync (the CallTracker) ----

  /** Rebuilds sessions and calls from FreeSWITCH; see CallTracker.resync. Runs after every ready. */
  resync(): Promise<void> {
    if (!this.trackCalls) return Promise.resolve();
    return this.tracker.resync();
  }

  private scheduleSettle(): void {
    clearTimeout(this.settleTimer);
    if (this.connection.status !== 'ready') return;
    this.settleTimer = setTimeout(() => {
      this.settleTimer = undefined;
      // Connected since: events kept known sessions current; only look for missed channels.
      if (this.connection.status === 'ready') void this.tracker.resync({ onlyNew: true });
    }, this.resyncSettleMs);
    this.settleTimer.unref();
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
