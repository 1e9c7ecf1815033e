/**
 * What a call test gets: `originate` (calls tracked and always hung up afterwards), the core's
 * Client and EventListener, `loadApp`, an AbortSignal, and the events of the test's calls (for
 * `expect` and for failure reports).
 */
import type { App } from '../apps/app';
import type { Client } from '../client';
import { APP_ID_VAR, type OriginateOptions } from '../dialString';
import type { EslEvent } from '../esl/event';
import type { EventListener } from '../listener';
import type { Call } from '../models/call';
import type { Session } from '../models/session';
import { DisposableStore } from '../util/lifecycle';
import { CallTestError } from './errors';

/** Channel variable stamped on every call a test originates (loopback legs inherit it). */
export const TEST_RUN_VAR = 'fsdev_test_run';

/** Events kept per test for `expect` and failure reports. */
const MAX_EVENTS_PER_TEST = 5000;

export interface TestOriginateOptions extends OriginateOptions {
  /** How long to wait for FreeSWITCH to create the call (ms). Default 10 s. */
  within?: number;
}

/** What every call test (and hook) receives. */
export interface CallTestContext {
  /** The test's name (suites and name joined by ' › '). */
  readonly testName: string;
  /**
   * Originates a call and resolves once FreeSWITCH has created it and the listener tracks it (for a
   * loopback endpoint, both legs). Rejects with FreeSWITCH's cause (`JobError`) if it fails. The
   * call is hung up when the test ends, whatever happens.
   */
  originate(destination: string, options?: TestOriginateOptions): Promise<Call>;
  /** Loads an app (object, or `.ts` path relative to the test file) for this test; unloaded after it. Resolves to its id. */
  loadApp(app: App | string, options?: { id?: string }): Promise<string>;
  /**
   * Connects the run to FreeSWITCH if it is not yet. The run connects only when a test first needs
   * the server, so tests that do not (a `replay`) run with none: `originate`, `loadApp` and
   * `useApp` connect by themselves; call this before using `client` or `listener` directly.
   * Rejects with the connection error.
   */
  connect(): Promise<void>;
  /** The run's Client. Throws until the run is connected (see `connect`). */
  readonly client: Client;
  /** The run's EventListener. Throws until the run is connected (see `connect`). */
  readonly listener: EventListener;
  /** Aborted when the test times out or the run is cancelled. */
  readonly signal: AbortSignal;
  /** Every event of this test's calls so far, oldest first. */
  readonly events: readonly EslEvent[];
  /** The calls this test originated, in order. */
  readonly calls: readonly Call[];
}

/** The run's connection to FreeSWITCH, made when a test first needs it. */
export interface TestServer {
  /** Connects (once per run) and resolves to the connected pair; rejects with why it cannot. */
  connect(): Promise<ConnectedServer>;
  /** The pair once connected. */
  readonly current: ConnectedServer | undefined;
}

export interface ConnectedServer {
  readonly client: Client;
  readonly listener: EventListener;
}

/** Loads apps for the runner: by object, or by bundling a `.ts` path. */
export interface AppLoader {
  load(app: App | string, id: string): Promise<void>;
  unload(id: string): Promise<void>;
}

/**
 * The runner's side of a test's context: owns the event recording and the cleanup that hangs up
 * every call the test started.
 */
export class TestScope implements CallTestContext {
  readonly events: EslEvent[] = [];
  readonly calls: Call[] = [];
  /** Session uuids of this test's calls (originated ones, and legs seen carrying the run token). */
  readonly uuids = new Set<string>();
  private readonly originated = new Set<string>();
  /** Originate jobs not settled yet: the cleanup lets them land before it hangs up. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly apps: string[] = [];
  private readonly store = new DisposableStore();
  private readonly controller = new AbortController();
  private eventsDropped = 0;
  private recording = false;

  constructor(
    readonly testName: string,
    private readonly server: TestServer,
    /** Unique per test and run: the value of TEST_RUN_VAR on its calls. */
    readonly token: string,
    private readonly appLoader: AppLoader,
  ) {
    if (server.current) this.recordFrom(server.current.listener);
  }

  get client(): Client {
    return this.connected('client').client;
  }

  get listener(): EventListener {
    return this.connected('listener').listener;
  }

  private connected(what: string): ConnectedServer {
    const current = this.server.current;
    if (!current) {
      throw new CallTestError(`${what} needs the server, and the run has not connected yet: await connect() first (originate, loadApp and useApp connect by themselves)`, {
        expected: 'a connected run',
        actual: 'not connected',
      });
    }
    return current;
  }

  readonly connect = async (): Promise<void> => {
    await this.connection();
  };

  /** Connects if need be and records the events of this test's calls from then on. */
  private async connection(): Promise<ConnectedServer> {
    const current = await this.server.connect();
    this.recordFrom(current.listener);
    return current;
  }

  private recordFrom(listener: EventListener): void {
    if (this.recording) return;
    this.recording = true;
    this.store.add(listener.onDidReceiveEvent((e) => this.record(e)));
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  abort(reason: Error): void {
    this.controller.abort(reason);
  }

  private record(e: EslEvent): void {
    const uuid = e.uuid;
    if (!uuid) return;
    if (!this.uuids.has(uuid)) {
      if (e.headers[`variable_${TEST_RUN_VAR}`] !== this.token) return;
      this.uuids.add(uuid);
    }
    if (this.events.length >= MAX_EVENTS_PER_TEST) {
      this.events.shift();
      this.eventsDropped++;
    }
    this.events.push(e);
  }

  /** The events of one call (or session), oldest first. */
  eventsOf(target: Call | Session): EslEvent[] {
    const ids = new Set('sessions' in target ? target.sessions.map((s) => s.uuid) : [target.uuid]);
    return this.events.filter((e) => ids.has(e.uuid ?? ''));
  }

  readonly originate = async (destination: string, options: TestOriginateOptions = {}): Promise<Call> => {
    const { within = 10_000, ...rest } = options;
    if (this.signal.aborted) throw new CallTestError('the test already ended: no more calls', { expected: 'a running test', actual: 'ended' });
    const { client, listener } = await this.connection();
    // Connecting takes time: the test may have ended meanwhile, and must not leave a call behind.
    if (this.signal.aborted) throw new CallTestError('the test already ended: no more calls', { expected: 'a running test', actual: 'ended' });
    const variables = { ...rest.variables, [TEST_RUN_VAR]: this.token };
    if (rest.appId !== undefined && !listener.loadedApps.has(rest.appId)) {
      throw new CallTestError(`no app is loaded with id ${rest.appId}: useApp(…) or loadApp(…) it first`, { expected: `app ${rest.appId} loaded`, actual: `loaded: ${[...listener.loadedApps.keys()].join(', ') || 'none'}` });
    }
    const job = client.originate(destination, { ...rest, variables });
    const uuid = job.sessUuid!;
    this.originated.add(uuid);
    this.uuids.add(uuid);
    const settled = job.get(within).finally(() => this.inFlight.delete(settled));
    this.inFlight.add(settled);
    await settled;
    const call = await this.waitFor(
      () => {
        const c = listener.sessions.get(uuid)?.call ?? listener.calls.get(uuid);
        if (!c) return undefined;
        const loopback = rest.endpoint === undefined || rest.endpoint === 'loopback' || (typeof rest.endpoint === 'object' && rest.endpoint.kind === 'loopback');
        return !loopback || c.sessions.length >= 2 || c.ended ? c : undefined;
      },
      within,
      () => `originate ${destination}: the job succeeded but the listener saw no call for ${uuid} within ${within} ms`,
    );
    if (!this.calls.includes(call)) this.calls.push(call);
    for (const s of call.sessions) this.uuids.add(s.uuid);
    return call;
  };

  readonly loadApp = async (app: App | string, options: { id?: string } = {}): Promise<string> => {
    const id = options.id ?? (typeof app === 'string' ? (app.split(/[\\/]/).pop() ?? app).replace(/\.[cm]?tsx?$/, '') : app.name);
    if (!id) throw new Error('loadApp: give the app an id ({ id: "myapp" }) or a name');
    const ended = (): CallTestError => new CallTestError(`the test already ended: app ${id} not loaded`, { expected: 'a running test', actual: 'ended' });
    if (this.signal.aborted) throw ended();
    await this.connection();
    // Connecting and bundling take time: a test cut short meanwhile has had its cleanup, and an app
    // loaded now would stay for the rest of the run, taking later tests' calls.
    if (this.signal.aborted) throw ended();
    await this.appLoader.load(app, id);
    if (this.signal.aborted) {
      await this.appLoader.unload(id).catch(() => undefined);
      throw ended();
    }
    this.apps.push(id);
    return id;
  };

  /**
   * Resolves with `check()`'s first non-undefined value, checking now and after every event the
   * listener receives; rejects with `failure()` after `within` ms or when the test is aborted.
   */
  waitFor<T>(check: () => T | undefined, within: number, failure: () => string | Error): Promise<T> {
    return waitForListener(this.listener, check, within, failure, this.signal);
  }

  /**
   * Hangs up every call this test started (also legs that inherited its run token) and waits until
   * the listener saw them end; then unloads the apps it loaded. Bounded: it resolves within
   * `timeoutMs` whatever the server and the apps' teardowns do (each command and unload is cut off
   * at the one deadline; the hangups leave the apps a fifth of it, 1 s at most), to what could not
   * be cleaned up (empty when all is well).
   */
  async cleanup(timeoutMs = 5_000): Promise<string[]> {
    const problems: string[] = [];
    const deadline = Date.now() + timeoutMs;
    const left = (): number => Math.max(0, deadline - Date.now());
    // The hangups leave the loaded apps a part of the time: unloading one runs its teardown.
    const appsReserve = this.apps.length > 0 ? Math.min(1_000, timeoutMs / 5) : 0;
    const hangupLeft = (): number => Math.max(0, left() - appsReserve);
    if (!this.signal.aborted) this.controller.abort(new Error('the test ended'));
    const current = this.server.current;
    // No connection: the test made no call and loaded no app (both connect first).
    if (current) {
      const { client, listener } = current;
      const live = (): Session[] => [...listener.sessions.values()].filter((s) => !s.ended && (this.uuids.has(s.uuid) || s.var(TEST_RUN_VAR) === this.token));
      if (live().length > 0 || this.originated.size > 0) {
        // A test cut short mid-originate: a hangup racing the call's setup can miss legs not yet
        // created or tagged, so let the originate land first (half the time at most: a call
        // that rings on is caught by the hupall below, its legs carry the token from creation).
        if (this.inFlight.size > 0) await settleWithin(Promise.allSettled([...this.inFlight]), hangupLeft() / 2);
        // One command for every leg carrying the token, also those the listener has not seen yet
        // (an originate still ringing); then each leg by uuid (known ones, and the originated
        // a-legs the listener may not have seen yet), in case a leg lost the variable.
        await hangupTestCalls(client, [this.token], hangupLeft() || 1);
        const ended = new Set([...listener.sessions.values()].filter((s) => s.ended).map((s) => s.uuid));
        const targets = new Set([...live().map((s) => s.uuid), ...[...this.originated].filter((u) => !ended.has(u))]);
        await Promise.all([...targets].map((uuid) => client.cmd(`uuid_kill ${uuid} NORMAL_CLEARING`, { timeoutMs: hangupLeft() || 1 }).catch(() => undefined)));
      }
      try {
        await waitForListener(listener, () => (live().length === 0 ? true : undefined), hangupLeft(), () => `cleanup: ${live().length} session(s) of the test still up after ${timeoutMs} ms: ${live().map((s) => s.uuid).join(', ')}`);
      } catch (err) {
        problems.push(err instanceof Error ? err.message : String(err));
      }
    }
    // Within the same deadline: an unload not answered by then is reported, and left to finish.
    for (const id of this.apps.splice(0).reverse()) {
      const unloaded = await settleWithin(this.appLoader.unload(id), left());
      if (unloaded === 'late') problems.push(`unloading app ${id}: no answer within the cleanup's time`);
      else if (unloaded !== 'ok') problems.push(`unloading app ${id}: ${unloaded.message}`);
    }
    this.store.dispose();
    return problems;
  }

  get droppedEvents(): number {
    return this.eventsDropped;
  }

  /** The app id a call runs in, for messages. */
  static appOf(call: Call): string | undefined {
    for (const s of call.sessions) {
      const id = s.var(APP_ID_VAR);
      if (id) return id;
    }
    return undefined;
  }
}

/**
 * Hangs up the calls of tests a test host could not clean up (it was killed): every channel whose
 * TEST_RUN_VAR is one of `tags`, one `hupall` per tag (FreeSWITCH matches the value exactly). Each
 * command is bounded by `timeoutMs`; resolves to the tags whose command failed.
 */
export async function hangupTestCalls(client: Pick<Client, 'cmd'>, tags: readonly string[], timeoutMs = 5_000): Promise<string[]> {
  const failed: string[] = [];
  await Promise.all(
    tags.map((tag) =>
      client.cmd(`hupall NORMAL_CLEARING ${TEST_RUN_VAR} ${tag}`, { timeoutMs }).catch(() => {
        failed.push(tag);
      }),
    ),
  );
  return failed;
}

/** How a promise settled within `ms`: 'ok', its error, or 'late' (it is left to settle unobserved). */
export function settleWithin(p: Promise<unknown>, ms: number): Promise<'ok' | 'late' | Error> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('late'), ms);
    p.then(
      () => resolve('ok'),
      (err: unknown) => resolve(err instanceof Error ? err : new Error(String(err))),
    ).finally(() => clearTimeout(timer));
  });
}

/** Resolves with `check()`'s first defined value, re-checked after each listener event; a named timeout otherwise. */
export function waitForListener<T>(listener: EventListener, check: () => T | undefined, within: number, failure: () => string | Error, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const first = check();
    if (first !== undefined) return resolve(first);
    const done = (): void => {
      clearTimeout(timer);
      sub.dispose();
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (): void => {
      done();
      const f = failure();
      reject(typeof f === 'string' ? new CallTestError(f) : f);
    };
    const onAbort = (): void => {
      done();
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    const timer = setTimeout(fail, within);
    const sub = listener.onDidReceiveEvent(() => {
      let value: T | undefined;
      try {
        value = check();
      } catch (err) {
        done();
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (value !== undefined) {
        done();
        resolve(value);
      }
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
