import type { Client } from '../client';
import { APP_ID_VAR } from '../dialString';
import type { EslEvent } from '../esl/event';
import type { EventListener } from '../listener';
import type { Call } from '../models/call';
import type { Session } from '../models/session';
import { DisposableStore, Emitter, type Disposable, type Event } from '../util/lifecycle';
import { validateApp, type App, type AppContext, type AppError, type AppVersionInfo, type ChannelEventName, type LoadedApp } from './app';

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

/** What the app runtime needs from the listener it runs in. */
export interface AppRuntimeHost {
  /** The listener apps see in their context. */
  readonly listener: EventListener;
  /** Subscribes the event connection to these event names if it is not already. */
  ensureSubscribed(names: readonly string[]): Promise<void>;
}

/**
 * The app runtime of one listener: load, reload and unload, versions and per-call pins, dispatch of
 * a session's events to its app's callbacks (off the read path), and app errors.
 *
 * Each app id has a slot holding its current version and the older versions still finishing
 * calls. A call is pinned to the version whose callback it reached first and keeps it until every
 * session of the call has ended (`releaseCall`); a replaced version is torn down once no call is
 * pinned to it and none of its callbacks is still running.
 */
export class AppRuntime implements Disposable {
  private readonly slots = new Map<string, AppSlot>();
  /** The public view of `slots`. */
  private readonly states = new Map<string, LoadedApp>();
  /** App ids being loaded, reserved so two loads of one id cannot both run setup. */
  private readonly loading = new Set<string>();
  private nextOrder = 0;
  private readonly store = new DisposableStore();

  private readonly _onDidAppError = this.store.add(new Emitter<AppError>());
  /** An app callback threw or rejected (or a reload or teardown failed). */
  readonly onDidAppError: Event<AppError> = this._onDidAppError.event;
  private readonly _onDidChangeApps = this.store.add(new Emitter<void>());
  readonly onDidChangeApps: Event<void> = this._onDidChangeApps.event;

  constructor(private readonly host: AppRuntimeHost) {}

  /** Loaded apps by id. */
  get loadedApps(): ReadonlyMap<string, LoadedApp> {
    return this.states;
  }

  has(id: string): boolean {
    return this.slots.has(id);
  }

  /** See EventListener.loadApp. */
  async load(app: App, id: string, client: Client): Promise<LoadedApp> {
    if (this.slots.has(id) || this.loading.has(id)) throw new Error(`an app is already loaded with id ${id}; unload it first (or reload it)`);
    this.loading.add(id);
    let version: AppVersion;
    try {
      version = await this.prepareVersion(app, id, 1, client);
    } finally {
      this.loading.delete(id);
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
    const slot: AppSlot = { id, state, current: version, older: new Set(), pins: new Map(), lock: Promise.resolve(), client, order: this.nextOrder++ };
    this.slots.set(id, slot);
    this.states.set(id, state);
    this.refreshVersions(slot);
    this._onDidChangeApps.fire();
    return state;
  }

  /** See EventListener.reloadApp. */
  reload(id: string, app: App, client: Client): Promise<LoadedApp> {
    const slot = this.slots.get(id);
    if (!slot) return Promise.reject(new Error(`no app is loaded with id ${id}; load it first`));
    return this.withLock(slot, async () => {
      if (this.slots.get(id) !== slot) throw new Error(`app ${id} was unloaded while a reload waited`);
      const number = slot.state.version + 1;
      let version: AppVersion;
      try {
        version = await this.prepareVersion(app, id, number, client);
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        this.reportAppError(slot, { appId: id, eventName: 'reload', sessionUuid: '', version: number, error, at: Date.now() }, false);
        this._onDidChangeApps.fire();
        throw error;
      }
      if (this.slots.get(id) !== slot) {
        // Unloaded meanwhile (cannot happen under the lock, but never leak a set-up version).
        await this.teardownVersion(slot, version);
        throw new Error(`app ${id} was unloaded during its reload`);
      }
      const old = slot.current;
      slot.current = version;
      slot.client = client;
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

  /** See EventListener.unloadApp. */
  async unload(id: string, client: Client): Promise<void> {
    const slot = this.slots.get(id);
    if (!slot) throw new Error(`no app is loaded with id ${id}`);
    await this.withLock(slot, async () => {
      if (this.slots.get(id) !== slot) throw new Error(`no app is loaded with id ${id}`);
      this.slots.delete(id);
      this.states.delete(id);
      slot.client = client;
      this._onDidChangeApps.fire();
      for (const old of slot.older) if (!old.tornDown) await this.teardownVersion(slot, old);
      slot.older.clear();
      slot.pins.clear();
      // The current version's teardown error reaches the caller, as it always did.
      slot.current.tornDown = true;
      await slot.current.app.teardown?.(this.contextFor(slot, slot.current));
    });
  }

  /** See EventListener.routeToApp. */
  async routeTo(session: Session, appId: string, event?: EslEvent): Promise<void> {
    if (!this.slots.has(appId)) throw new Error(`no app is loaded with id ${appId}`);
    await session.setVar(APP_ID_VAR, appId);
    const slot = this.slots.get(appId);
    if (slot && event && !session.ended) this.runCallback(slot, session, event);
  }

  /**
   * Hands a session's event to the app that owns the session (its `fsdev_app_id`), or a parked
   * inbound leg no app owns to the inbound app. The callback runs off the read path.
   */
  dispatch(session: Session, event: EslEvent): void {
    if (this.slots.size === 0) return;
    const appId = session.appId;
    let slot = appId === undefined ? undefined : this.slots.get(appId);
    if (appId === undefined && event.name === 'CHANNEL_PARK' && session.direction === 'inbound') slot = this.inboundSlot();
    if (slot) this.runCallback(slot, session, event);
  }

  /** A call all of whose sessions ended releases its pin: its version may retire. */
  releaseCall(call: Call): void {
    for (const slot of this.slots.values()) {
      const version = slot.pins.get(call);
      if (!version) continue;
      slot.pins.delete(call);
      version.liveCalls.delete(call);
      this.maybeRetire(slot, version);
    }
  }

  /** Merged calls keep one pin: the surviving call's, or else the merged-in call's. */
  moveCallPins(into: Call, from: Call): void {
    for (const slot of this.slots.values()) {
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

  private async prepareVersion(app: App, id: string, number: number, client: Client): Promise<AppVersion> {
    const callbacks = validateApp(app, id);
    const version: AppVersion = { app, version: number, loadedAt: Date.now(), callbacks, liveCalls: new Set(), running: 0, tornDown: false };
    const ctx: AppContext = { id, client, listener: this.host.listener, version: number };
    await app.setup?.(ctx);
    try {
      await this.host.ensureSubscribed(callbacks);
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
    return { id: slot.id, client: slot.client, listener: this.host.listener, version: version.version };
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
      if (this.slots.get(slot.id) === slot) {
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
    for (const slot of this.slots.values()) if (slot.current.app.inbound === true && (!best || slot.order < best.order)) best = slot;
    return best;
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

  dispose(): void {
    this.store.dispose();
  }
}
