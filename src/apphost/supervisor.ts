/**
 * Starts and supervises an app host process (main.ts) and speaks its IPC protocol
 * (src/shared/protocol/appHost.ts). No vscode: the extension and the `fsdev` CLI both use it.
 *
 * - The host is forked with an IPC channel; the ESL password goes over IPC, never on a command line.
 * - A host that exits, or whose event loop stops answering pings (an app in `while (true) {}`), is
 *   killed and restarted with capped backoff, and the apps asked for are loaded again.
 * - With `inspect`, the host listens for a debugger on 127.0.0.1 (a free port) and the unresponsive
 *   watchdog only warns: a host paused at a breakpoint does not answer pings either.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { DEFAULT_RECONNECT_POLICY, Emitter, reconnectDelay, type Disposable, type Event, type ReconnectPolicy } from '../core';
import {
  APP_HOST_PROTOCOL_VERSION,
  isResultOf,
  parseHostMessage,
  type AppErrorInfo,
  type AppHostConnectionOptions,
  type AppHostMethod,
  type AppHostRequest,
  type AppHostResults,
  type AppHostStatus,
  type HelloMessage,
  type LoadResult,
  type LogNotification,
  type RecordedCommandFrame,
} from '../shared/protocol/appHost';

export type AppHostState = 'stopped' | 'starting' | 'running' | 'restarting' | 'failed' | 'disposed';

export interface AppHostSupervisorOptions {
  /** The host's own ESL connection. */
  connection: AppHostConnectionOptions;
  /** The host entry script. Default: `apphost.js` next to this bundle (dist/apphost.js). */
  hostScript?: string;
  /** Extra Node flags for the host. `--enable-source-maps` is always on. */
  execArgv?: readonly string[];
  /** Start the host with `--inspect=127.0.0.1:0` (see `inspectorUrl`). */
  inspect?: boolean;
  /** Ping period. Default 1000 ms. */
  heartbeatIntervalMs?: number;
  /** No pong for this long means the host's loop is blocked: it is killed and restarted. Default 5000 ms. */
  heartbeatTimeoutMs?: number;
  /** Restart backoff (the core's reconnect policy shape). Default 500 ms doubling to 10 s. */
  restartPolicy?: Partial<ReconnectPolicy>;
  /** A host that stayed up this long starts the backoff over. Default 30 s. */
  stableAfterMs?: number;
  /** Per-request timeout. Default 60 s (a first bundle can take a while on a cold machine). */
  requestTimeoutMs?: number;
  /** From fork to connected. Default 20 s. */
  startTimeoutMs?: number;
  /** Working directory and environment of the host. Default: this process's. */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** A log line: from the host's protocol (`host`), or a line the host (or an app) printed. */
export interface AppHostLog {
  source: 'host' | 'stdout' | 'stderr';
  level: LogNotification['level'];
  message: string;
  appId?: string;
  at: number;
}

/** The host went away or stopped answering; a restart is scheduled. */
export interface AppHostCrash {
  reason: 'exited' | 'unresponsive';
  pid: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Restart attempt number (1 = first since the host was last stable). */
  attempt: number;
  delayMs: number;
}

/** A host process came up, connected, and loaded the apps asked for (each answer went to onDidLoad). */
export interface AppHostStarted {
  pid: number;
  inspectorUrl: string | undefined;
  /** True when this start followed a crash or `restart()`. */
  restarted: boolean;
}

/** The answer to one app load (also fired for the re-loads after a restart). */
export interface AppLoadEvent {
  appId: string;
  entry: string;
  result: LoadResult;
}

/** A request that could not be answered because the host went away. */
export class AppHostUnavailableError extends Error {
  override readonly name = 'AppHostUnavailableError';
}

/** The host answered a request with an error. */
export class AppHostRequestError extends Error {
  override readonly name = 'AppHostRequestError';
  constructor(
    readonly method: AppHostMethod,
    message: string,
    readonly hostStack: string | undefined,
  ) {
    super(message);
  }
}

interface Pending {
  method: AppHostMethod;
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

type Params<M extends AppHostMethod> = Extract<AppHostRequest, { method: M }>['params'];

export class AppHostSupervisor implements Disposable {
  private child: ChildProcess | undefined;
  private _state: AppHostState = 'stopped';
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private seq = 0;
  private lastPongAt = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private startedAt = 0;
  private unresponsiveWarned = false;
  private readonly desired = new Map<string, string>();
  /** Apps the current host process has loaded (some version of). */
  private readonly hostApps = new Set<string>();
  private runningWaiters: Waiter[] = [];
  private hello: HelloMessage | undefined;
  private inspect: boolean;
  private _lastStatus: AppHostStatus | undefined;
  /** Who records the apps' commands (recordCommands), with what to call when their replies are lost; the host sends them while there is one. */
  private readonly recorders = new Map<(frame: RecordedCommandFrame) => void, (() => void) | undefined>();

  private readonly _onDidChangeState = new Emitter<{ from: AppHostState; to: AppHostState }>();
  readonly onDidChangeState: Event<{ from: AppHostState; to: AppHostState }> = this._onDidChangeState.event;
  private readonly _onDidStart = new Emitter<AppHostStarted>();
  readonly onDidStart: Event<AppHostStarted> = this._onDidStart.event;
  private readonly _onDidCrash = new Emitter<AppHostCrash>();
  /** The host exited or stopped answering heartbeats; it is being restarted. Tell the user. */
  readonly onDidCrash: Event<AppHostCrash> = this._onDidCrash.event;
  private readonly _onDidLog = new Emitter<AppHostLog>();
  readonly onDidLog: Event<AppHostLog> = this._onDidLog.event;
  private readonly _onDidAppError = new Emitter<AppErrorInfo>();
  /** A callback threw or rejected; the stack is mapped to the `.ts` source. */
  readonly onDidAppError: Event<AppErrorInfo> = this._onDidAppError.event;
  private readonly _onDidChangeStatus = new Emitter<AppHostStatus>();
  /** Apps, versions and counters changed (at most about once a second for counters). */
  readonly onDidChangeStatus: Event<AppHostStatus> = this._onDidChangeStatus.event;
  private readonly _onDidLoad = new Emitter<AppLoadEvent>();
  /** Every load/reload answer, including the re-loads after a restart: feed Problems from here. */
  readonly onDidLoad: Event<AppLoadEvent> = this._onDidLoad.event;

  constructor(private readonly options: AppHostSupervisorOptions) {
    this.inspect = options.inspect ?? false;
  }

  get state(): AppHostState {
    return this._state;
  }

  /** The host's pid while one runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** `ws://127.0.0.1:<port>/<id>` when the host runs with the inspector. */
  get inspectorUrl(): string | undefined {
    return this.hello?.inspectorUrl;
  }

  /** The inspector port, for a debugger's `attach` configuration. */
  get inspectorPort(): number | undefined {
    const m = /:(\d+)\//.exec(this.inspectorUrl ?? '');
    return m ? Number(m[1]) : undefined;
  }

  /** The last status the host pushed. */
  get lastStatus(): AppHostStatus | undefined {
    return this._lastStatus;
  }

  /** The apps asked for (id → entry), loaded again after every restart. */
  get apps(): ReadonlyMap<string, string> {
    return this.desired;
  }

  /** Starts the host and connects it. Rejects (state `failed`) if it cannot connect, e.g. a wrong password. */
  async start(): Promise<void> {
    if (this._state === 'disposed') throw new AppHostUnavailableError('the app host supervisor is disposed');
    if (this._state === 'running' || this._state === 'starting' || this._state === 'restarting') return this.whenRunning();
    this.attempt = 0;
    await this.launch(false);
  }

  /** Stops the host: apps are unloaded (teardown runs), then the process exits. */
  async stop(): Promise<void> {
    if (this._state === 'disposed') return;
    clearTimeout(this.restartTimer);
    this.setState('stopped');
    await this.shutdownChild();
  }

  /** Restarts the host, e.g. with the inspector for debugging; the apps are loaded again. */
  async restart(options: { inspect?: boolean } = {}): Promise<void> {
    if (options.inspect !== undefined) this.inspect = options.inspect;
    clearTimeout(this.restartTimer);
    this.setState('restarting');
    await this.shutdownChild();
    this.attempt = 0;
    await this.launch(true);
  }

  /** Bundles and loads an app. A compile or load error is an answer (`loaded: false`), not a rejection. */
  async load(appId: string, entry: string): Promise<LoadResult> {
    const absolute = resolve(this.options.cwd ?? process.cwd(), entry);
    this.desired.set(appId, absolute);
    await this.whenRunning();
    // Loaded already (e.g. by the re-load after a restart that this call waited for): swap it.
    return this.loadOne(appId, absolute, this.hostApps.has(appId));
  }

  /** Re-bundles and swaps an app (optionally from another file); on failure the old version keeps running. */
  async reload(appId: string, entry?: string): Promise<LoadResult> {
    const current = this.desired.get(appId);
    const absolute = entry !== undefined ? resolve(this.options.cwd ?? process.cwd(), entry) : current;
    if (absolute === undefined) throw new AppHostRequestError('reload', `no app is loaded with id ${appId}`, undefined);
    this.desired.set(appId, absolute);
    await this.whenRunning();
    return this.loadOne(appId, absolute, this.hostApps.has(appId));
  }

  async unload(appId: string): Promise<AppHostStatus> {
    this.desired.delete(appId);
    await this.whenRunning();
    const status = await this.request('unload', { appId });
    this.hostApps.delete(appId);
    return status;
  }

  async status(): Promise<AppHostStatus> {
    await this.whenRunning();
    return this.request('status', {});
  }

  /**
   * Hands `listener` each command the host's connections send (the apps' answer, playback,
   * hangup…) and each reply, until disposed: the apps run on the host's own connections, so a
   * recording of the server gets their commands from here. Events are not sent (the recording
   * connection receives them). A host started or restarted meanwhile is asked before its apps load.
   * Resolves once a running host has been asked.
   *
   * `onLost` is called when the replies to the commands handed over so far will never come: the
   * host exited, was restarted or killed, or its event connection left `ready` (a reconnect). Drop
   * what waits for them (EslRecorder.forgetCommands).
   */
  async recordCommands(listener: (frame: RecordedCommandFrame) => void, onLost?: () => void): Promise<Disposable> {
    this.recorders.set(listener, onLost);
    const subscription: Disposable = {
      dispose: () => {
        if (this.recorders.delete(listener) && this.recorders.size === 0 && this._state === 'running') {
          this.request('record', { on: false }).catch(() => undefined);
        }
      },
    };
    if (this.recorders.size === 1 && this._state === 'running') {
      try {
        await this.request('record', { on: true });
      } catch (err) {
        subscription.dispose();
        throw err;
      }
    }
    return subscription;
  }

  /**
   * Resolves once every command and reply the host recorded before this call has reached the
   * recordCommands listeners: IPC keeps order, so one round trip does it. Call it before stopping a
   * recording. Never rejects, and does not wait for a host that is not running (nothing in flight).
   */
  async flushRecorded(): Promise<void> {
    if (this._state !== 'running' || this.recorders.size === 0) return;
    await this.request('status', {}).catch(() => undefined);
  }

  dispose(): void {
    if (this._state === 'disposed') return;
    clearTimeout(this.restartTimer);
    this.setState('disposed');
    this.killChild();
    for (const e of [this._onDidChangeState, this._onDidStart, this._onDidCrash, this._onDidLog, this._onDidAppError, this._onDidChangeStatus, this._onDidLoad]) e.dispose();
  }

  // ---- Process lifecycle ----

  private async launch(restarted: boolean): Promise<void> {
    this.setState(restarted ? 'restarting' : 'starting');
    const script = this.options.hostScript ?? join(__dirname, 'apphost.js');
    const execArgv = ['--enable-source-maps', ...(this.inspect ? ['--inspect=127.0.0.1:0'] : []), ...(this.options.execArgv ?? [])];
    const child = fork(script, [], {
      execArgv,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
      ...(this.options.cwd !== undefined ? { cwd: this.options.cwd } : {}),
      ...(this.options.env !== undefined ? { env: this.options.env } : {}),
    });
    this.child = child;
    this.hostApps.clear();
    this.hello = undefined;
    this.unresponsiveWarned = false;
    for (const [stream, source] of [[child.stdout, 'stdout'], [child.stderr, 'stderr']] as const) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        this.fireLog({ source, level: source === 'stderr' ? 'warn' : 'info', message: line, at: Date.now() });
      });
    }
    const helloReceived = new Promise<void>((resolveHello, rejectHello) => {
      const timer = setTimeout(() => rejectHello(new AppHostUnavailableError(`the app host did not start within ${this.startTimeoutMs} ms`)), this.startTimeoutMs);
      child.on('message', (raw: unknown) => {
        if (child !== this.child) return;
        const message = parseHostMessage(raw);
        if (!message) {
          this.fireLog({ source: 'host', level: 'warn', message: `ignored a malformed message from the app host: ${JSON.stringify(raw).slice(0, 200)}`, at: Date.now() });
          return;
        }
        if (message.kind === 'hello') {
          clearTimeout(timer);
          if (message.protocol !== APP_HOST_PROTOCOL_VERSION) {
            rejectHello(new AppHostUnavailableError(`the app host speaks protocol ${message.protocol}, expected ${APP_HOST_PROTOCOL_VERSION}`));
            return;
          }
          this.hello = message;
          resolveHello();
          return;
        }
        this.onMessage(message);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        rejectHello(new AppHostUnavailableError(`the app host exited before it started (code ${code}, signal ${signal})`));
        this.onExit(child, code, signal);
      });
      child.once('error', (err) => this.fireLog({ source: 'host', level: 'error', message: `app host process error: ${err.message}`, at: Date.now() }));
    });

    this.lastPongAt = Date.now();
    this.startHeartbeat(child);
    try {
      await helloReceived;
      await this.request('connect', this.options.connection, this.startTimeoutMs);
    } catch (err) {
      if (child === this.child) {
        this.setState('failed');
        this.killChild();
        this.rejectRunningWaiters(err instanceof Error ? err : new Error(String(err)));
      }
      throw err;
    }
    if (child !== this.child) throw new AppHostUnavailableError('the app host was replaced while starting');
    // Before the apps load (IPC keeps the order), so their first commands are recorded too.
    if (this.recorders.size > 0) {
      this.request('record', { on: true }).catch((err: unknown) => {
        this.fireLog({ source: 'host', level: 'warn', message: `the app host did not start recording the apps' commands: ${err instanceof Error ? err.message : String(err)}`, at: Date.now() });
      });
    }
    this.startedAt = Date.now();
    this.setState('running');
    // Set by the message handler above; TypeScript cannot see that across the callback.
    const inspectorUrl = (this.hello as HelloMessage | undefined)?.inspectorUrl;
    if (inspectorUrl) this.fireLog({ source: 'host', level: 'info', message: `app host inspector: ${inspectorUrl}`, at: Date.now() });
    const waiters = this.runningWaiters;
    this.runningWaiters = [];
    // Apps asked for before (or during) a restart come back, in the order they were asked for.
    for (const [appId, entry] of this.desired) {
      if (child !== this.child) break;
      await this.loadOne(appId, entry, false).catch((err: unknown) => {
        this.fireLog({ source: 'host', level: 'error', message: `could not load app ${appId} after starting the host: ${err instanceof Error ? err.message : String(err)}`, appId, at: Date.now() });
      });
    }
    if (child === this.child) this._onDidStart.fire({ pid: child.pid ?? 0, inspectorUrl, restarted });
    for (const w of waiters) w.resolve();
  }

  private get startTimeoutMs(): number {
    return this.options.startTimeoutMs ?? 20_000;
  }

  private startHeartbeat(child: ChildProcess): void {
    clearInterval(this.heartbeat);
    const interval = this.options.heartbeatIntervalMs ?? 1000;
    const timeout = this.options.heartbeatTimeoutMs ?? 5000;
    this.heartbeat = setInterval(() => {
      if (child !== this.child || !child.connected) return;
      const silentFor = Date.now() - this.lastPongAt;
      if (silentFor > timeout) {
        if (this.inspect) {
          // Probably paused at a breakpoint: killing it would end the debug session.
          if (!this.unresponsiveWarned) {
            this.unresponsiveWarned = true;
            this.fireLog({ source: 'host', level: 'warn', message: `the app host has not answered for ${silentFor} ms (paused in the debugger?); not restarting it while debugging`, at: Date.now() });
          }
        } else {
          this.crashed(child, 'unresponsive', null, null);
          return;
        }
      }
      child.send({ kind: 'ping', seq: ++this.seq });
    }, interval);
    this.heartbeat.unref();
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    this.crashed(child, 'exited', code, signal);
  }

  /** The current child died or hung: fail its requests, kill it, and schedule a restart unless we meant to stop. */
  private crashed(child: ChildProcess, reason: AppHostCrash['reason'], code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    this.child = undefined;
    clearInterval(this.heartbeat);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    this.recordedLost();
    this.rejectPending(new AppHostUnavailableError(reason === 'unresponsive' ? 'the app host stopped answering and was killed' : `the app host exited (code ${code}, signal ${signal})`));
    if (this._state !== 'running') return; // stopping, restarting on purpose, starting (start() reports), or disposed
    if (Date.now() - this.startedAt > (this.options.stableAfterMs ?? 30_000)) this.attempt = 0;
    this.scheduleRestart(reason, child.pid, code, signal);
  }

  private scheduleRestart(reason: AppHostCrash['reason'], pid: number | undefined, code: number | null, signal: NodeJS.Signals | null): void {
    this.attempt++;
    const policy = { ...DEFAULT_RECONNECT_POLICY, ...this.options.restartPolicy };
    const delayMs = reconnectDelay(this.attempt, policy);
    this.setState('restarting');
    const crash: AppHostCrash = { reason, pid, code, signal, attempt: this.attempt, delayMs };
    this.fireLog({
      source: 'host',
      level: 'error',
      message:
        reason === 'unresponsive'
          ? `the app host (pid ${pid}) stopped answering heartbeats (an app blocking the event loop?); killed it, restarting in ${delayMs} ms`
          : `the app host (pid ${pid}) exited (code ${code}, signal ${signal}); restarting in ${delayMs} ms`,
      at: Date.now(),
    });
    this._onDidCrash.fire(crash);
    this.restartTimer = setTimeout(() => {
      if (this._state !== 'restarting') return;
      this.launch(true).catch((err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        // FreeSWITCH down for a moment is worth retrying; a refused password or ACL is not.
        const fatal = err instanceof AppHostRequestError && /^(AuthError|AccessDeniedError)\b/.test(err.hostStack ?? '');
        this.fireLog({ source: 'host', level: 'error', message: `the app host did not come back: ${message}${fatal ? '' : '; trying again'}`, at: Date.now() });
        if (!fatal && this._state === 'failed') this.scheduleRestart('exited', undefined, null, null);
      });
    }, delayMs);
  }

  private async shutdownChild(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
    try {
      await this.request('shutdown', {}, 5000);
    } catch {
      // Hung or gone: killed below.
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
    if (this.child === child) this.child = undefined;
    clearInterval(this.heartbeat);
    this.recordedLost();
    this.rejectPending(new AppHostUnavailableError('the app host was stopped'));
  }

  private killChild(): void {
    const child = this.child;
    this.child = undefined;
    clearInterval(this.heartbeat);
    child?.kill('SIGKILL');
    if (child) this.recordedLost();
    this.rejectPending(new AppHostUnavailableError('the app host was stopped'));
    this.rejectRunningWaiters(new AppHostUnavailableError(`the app host is ${this._state}`));
  }

  private whenRunning(): Promise<void> {
    if (this._state === 'running') return Promise.resolve();
    if (this._state === 'stopped' || this._state === 'failed' || this._state === 'disposed') {
      return Promise.reject(new AppHostUnavailableError(`the app host is ${this._state}: start it first`));
    }
    return new Promise((resolveWait, rejectWait) => this.runningWaiters.push({ resolve: resolveWait, reject: rejectWait }));
  }

  private rejectRunningWaiters(err: Error): void {
    const waiters = this.runningWaiters;
    this.runningWaiters = [];
    for (const w of waiters) w.reject(err);
  }

  private setState(to: AppHostState): void {
    const from = this._state;
    if (from === to || from === 'disposed') return;
    this._state = to;
    this._onDidChangeState.fire({ from, to });
    if (to === 'stopped' || to === 'failed' || to === 'disposed') this.rejectRunningWaiters(new AppHostUnavailableError(`the app host is ${to}`));
  }

  // ---- Messages ----

  private async loadOne(appId: string, entry: string, reload: boolean): Promise<LoadResult> {
    const result = reload ? await this.request('reload', { appId, entry }) : await this.request('load', { appId, entry });
    if (result.loaded) this.hostApps.add(appId);
    this._onDidLoad.fire({ appId, entry, result });
    return result;
  }

  private request<M extends AppHostMethod>(method: M, params: Params<M>, timeoutMs = this.options.requestTimeoutMs ?? 60_000): Promise<AppHostResults[M]> {
    const child = this.child;
    if (!child || !child.connected) return Promise.reject(new AppHostUnavailableError(`the app host is ${this._state}`));
    const id = this.nextId++;
    return new Promise<AppHostResults[M]>((resolveRequest, rejectRequest) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        rejectRequest(new AppHostUnavailableError(`the app host did not answer ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        method,
        resolve: (value) => {
          if (isResultOf(method, value)) resolveRequest(value);
          else rejectRequest(new AppHostRequestError(method, `the app host answered ${method} with a malformed result`, undefined));
        },
        reject: rejectRequest,
        timer,
      });
      child.send({ kind: 'request', id, method, params } as AppHostRequest);
    });
  }

  private rejectPending(err: Error): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }

  private onMessage(message: Exclude<ReturnType<typeof parseHostMessage>, undefined>): void {
    switch (message.kind) {
      case 'pong':
        this.lastPongAt = Date.now();
        this.unresponsiveWarned = false;
        return;
      case 'response': {
        const p = this.pending.get(message.id);
        if (!p) return;
        this.pending.delete(message.id);
        clearTimeout(p.timer);
        if (message.ok) p.resolve(message.result ?? null);
        else p.reject(new AppHostRequestError(p.method, message.error?.message ?? 'failed', message.error?.stack));
        return;
      }
      case 'status':
        // Its tap forgets the commands of a lost socket (tapCommands): so must the recorders.
        if (this._lastStatus?.connection === 'ready' && message.status.connection !== 'ready') this.recordedLost();
        this._lastStatus = message.status;
        this._onDidChangeStatus.fire(message.status);
        return;
      case 'log': {
        const log: AppHostLog = { source: 'host', level: message.level, message: message.message, at: message.at };
        if (message.appId !== undefined) log.appId = message.appId;
        this.fireLog(log);
        return;
      }
      case 'appError':
        this._onDidAppError.fire(message.error);
        return;
      case 'recorded':
        for (const record of this.recorders.keys()) record(message.frame);
        return;
      case 'hello':
        return;
    }
  }

  /** The host's commands recorded so far will get no replies (it went away, or its connection did). */
  private recordedLost(): void {
    for (const onLost of this.recorders.values()) onLost?.();
  }

  private fireLog(log: AppHostLog): void {
    this._onDidLog.fire(log);
  }
}
