import { randomUUID } from 'node:crypto';
import { Socket } from 'node:net';
import { Emitter, type Disposable, type Event } from '../util/lifecycle';
import { encodeCommand, assertSingleLine, type EslCommand } from './command';
import {
  AccessDeniedError,
  AuthError,
  CommandError,
  CommandTimeoutError,
  ConnectionClosedError,
  ConnectTimeoutError,
  EslError,
} from './errors';
import { decodeEventFrame, type EslEvent, type EventFormat } from './event';
import { FrameParser, type EslFrame } from './parser';
import { DEFAULT_RECONNECT_POLICY, reconnectDelay, type ReconnectPolicy } from './reconnect';

/**
 * The one explicit state of a connection. `idle` before the first `connect()`; `closed` after
 * `close()` or a failure that is not retried (wrong password, access denied, reconnect off).
 */
export type ConnectionStatus = 'idle' | 'connecting' | 'authenticating' | 'ready' | 'reconnecting' | 'closed';

export interface StatusChange {
  from: ConnectionStatus;
  to: ConnectionStatus;
  /** Why the connection left `ready` or failed to get there. */
  error?: Error;
  /** While reconnecting: the attempt about to be made (1-based) and the delay before it. */
  attempt?: number;
  delayMs?: number;
}

/** Where the connection reports what it does. Never receives the password. */
export type EslLogger = (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;

export interface ConnectionOptions {
  host: string;
  /** Default 8021. */
  port?: number;
  /** Default `ClueCon`, FreeSWITCH's shipped default. */
  password?: string;
  /** Set to authenticate with `userauth user:password` (event_socket `apply-inbound-acl` users). */
  user?: string;
  /** TCP connect plus authentication. Default 5 s. */
  connectTimeoutMs?: number;
  /** Default per-command reply timeout. Default 10 s. */
  commandTimeoutMs?: number;
  /** Reconnect after a connection that was ready is lost. Default on, 0.5 s → 10 s. */
  reconnect?: boolean | Partial<ReconnectPolicy>;
  /** Event encoding: `json` (default), `plain` or `xml`. */
  eventFormat?: EventFormat;
  /** Largest frame accepted before the connection is closed. Default 64 MiB. */
  maxFrameBytes?: number;
  /**
   * While subscribed to HEARTBEAT (FreeSWITCH sends one every 20 s), a connection that receives
   * nothing for this long is presumed dead and reconnected. Default 65 s; 0 turns it off.
   */
  livenessTimeoutMs?: number;
  /** TCP keepalive initial delay. Default 15 s. */
  keepAliveMs?: number;
  logger?: EslLogger;
}

/** A command as written to the socket; `secret` when its text was withheld (auth). */
export type SentCommand = EslCommand & { secret?: true };

/** A `log/data` frame: one FreeSWITCH log line. */
export interface LogLine {
  level: number;
  /** The channel uuid the line is about, if any (`User-Data`). */
  uuid: string | undefined;
  file: string;
  func: string;
  line: number;
  text: string;
}

/** A frame that could not be understood; counted and reported, never fatal. */
export interface MalformedFrame {
  error: string;
  frame: EslFrame;
}

export interface ConnectionStats {
  frames: number;
  events: number;
  malformed: number;
  reconnects: number;
}

interface Waiter {
  command: string;
  resolve(frame: EslFrame): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout | undefined;
  /** Timed out: the reply is still expected (to keep replies in order) but is dropped. */
  abandoned: boolean;
}

const REPLY_TYPES: ReadonlySet<string> = new Set(['command/reply', 'api/response']);

/**
 * An inbound ESL connection to FreeSWITCH with promises, timeouts, typed errors and reconnects.
 *
 * Every command written enqueues exactly one reply waiter (FreeSWITCH answers in order); every
 * waiter has a timeout and is rejected with `ConnectionClosedError` when the socket closes.
 * Subscriptions, filters and the log level are state: they are re-applied on every reconnect
 * before the connection reports `ready`.
 */
export class Connection implements Disposable {
  private readonly options: Required<Omit<ConnectionOptions, 'user' | 'logger' | 'reconnect'>> & { user?: string };
  private readonly policy: ReconnectPolicy | undefined;
  private readonly log: EslLogger;

  private _status: ConnectionStatus = 'idle';
  private _lastError: Error | undefined;
  private socket: Socket | undefined;
  private parser: FrameParser | undefined;
  private waiters: Waiter[] = [];
  private authRequest: { resolve(frame: EslFrame): void; reject(err: Error): void } | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private livenessTimer: NodeJS.Timeout | undefined;
  private lastDataAt = 0;
  /** Why the current socket failed, from its 'error' event. */
  private socketError: Error | undefined;
  private attempt = 0;
  /** Set by close(): the socket ending is wanted, so no reconnect. */
  private closing = false;
  private everReady = false;

  /** Bumped on every change to subscriptions, filters or log level. */
  private stateVersion = 0;
  private readonly events = new Set<string>();
  private readonly subclasses = new Set<string>();
  private readonly filters: Array<[string, string]> = [];
  private logLevel: number | undefined;

  readonly stats: ConnectionStats = { frames: 0, events: 0, malformed: 0, reconnects: 0 };

  private readonly _onDidChangeStatus = new Emitter<StatusChange>();
  /** Fires on every status change, after `status` has changed. */
  readonly onDidChangeStatus: Event<StatusChange> = this._onDidChangeStatus.event;
  private readonly _onDidReceiveEvent = new Emitter<EslEvent>();
  /** Every event received, in order. Listeners run on the read path: keep them quick. */
  readonly onDidReceiveEvent: Event<EslEvent> = this._onDidReceiveEvent.event;
  private readonly _onDidReceiveLog = new Emitter<LogLine>();
  readonly onDidReceiveLog: Event<LogLine> = this._onDidReceiveLog.event;
  private readonly _onDidReceiveMalformed = new Emitter<MalformedFrame>();
  readonly onDidReceiveMalformed: Event<MalformedFrame> = this._onDidReceiveMalformed.event;
  private readonly _onDidSendCommand = new Emitter<SentCommand>();
  /** Every command written, in order (for recorders). The `auth` command carries no password. */
  readonly onDidSendCommand: Event<SentCommand> = this._onDidSendCommand.event;
  private readonly _onDidReceiveReply = new Emitter<EslFrame>();
  /** Every command/reply and api/response frame, in order: one per command sent (for recorders). */
  readonly onDidReceiveReply: Event<EslFrame> = this._onDidReceiveReply.event;

  constructor(options: ConnectionOptions) {
    this.options = {
      host: options.host,
      port: options.port ?? 8021,
      password: options.password ?? 'ClueCon',
      user: options.user,
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      commandTimeoutMs: options.commandTimeoutMs ?? 10_000,
      eventFormat: options.eventFormat ?? 'json',
      maxFrameBytes: options.maxFrameBytes ?? 64 * 1024 * 1024,
      livenessTimeoutMs: options.livenessTimeoutMs ?? 65_000,
      keepAliveMs: options.keepAliveMs ?? 15_000,
    };
    this.policy = options.reconnect === false ? undefined : { ...DEFAULT_RECONNECT_POLICY, ...(options.reconnect === true ? {} : options.reconnect) };
    this.log = options.logger ?? (() => undefined);
    assertSingleLine('ESL password', this.options.password, { secret: true });
    if (this.options.user !== undefined) assertSingleLine('ESL user', this.options.user, { secret: true });
  }

  get status(): ConnectionStatus {
    return this._status;
  }

  /** The reconnect attempt under way (1-based), or 0 when not reconnecting. */
  get reconnectAttempt(): number {
    return this.attempt;
  }

  /** Why the connection last failed or closed, if it did. */
  get lastError(): Error | undefined {
    return this._lastError;
  }

  /** `host:port`, for messages. */
  get address(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  get eventFormat(): EventFormat {
    return this.options.eventFormat;
  }

  /** Event names and CUSTOM subclasses subscribed to (applied now if ready, and on every reconnect). */
  get subscriptions(): ReadonlySet<string> {
    return this.subclasses.size === 0 ? this.events : new Set([...this.events, ...this.subclasses]);
  }

  /** Commands written whose replies have not arrived. */
  get pendingCommands(): number {
    return this.waiters.length;
  }

  /**
   * Connects and authenticates; resolves once subscriptions are applied and the status is `ready`.
   * A first connection that fails rejects (no retries); reconnects apply to a connection that was
   * ready once.
   */
  connect(): Promise<void> {
    if (this._status === 'ready') return Promise.resolve();
    if (this._status === 'connecting' || this._status === 'authenticating' || this._status === 'reconnecting') {
      return this.whenReady();
    }
    this.closing = false;
    this.everReady = false;
    this.attempt = 0;
    return this.open();
  }

  /** Resolves at the next `ready`; rejects if the connection closes first. */
  private whenReady(): Promise<void> {
    return new Promise((resolve, reject) => {
      const sub = this.onDidChangeStatus((change) => {
        if (change.to === 'ready') {
          sub.dispose();
          resolve();
        } else if (change.to === 'closed') {
          sub.dispose();
          reject(change.error ?? new ConnectionClosedError(`connection to ${this.address} closed`));
        }
      });
    });
  }

  private setStatus(to: ConnectionStatus, extra: Omit<StatusChange, 'from' | 'to'> = {}): void {
    const from = this._status;
    if (from === to && to !== 'reconnecting') return;
    this._status = to;
    if (extra.error) this._lastError = extra.error;
    const detail = extra.error ? ` (${extra.error.message})` : extra.attempt ? ` (attempt ${extra.attempt} in ${extra.delayMs} ms)` : '';
    this.log(to === 'closed' && extra.error ? 'warn' : 'info', `ESL ${this.address}: ${from} -> ${to}${detail}`);
    this._onDidChangeStatus.fire({ from, to, ...extra });
  }

  /** One attempt: TCP connect, auth/request, auth, re-apply state, ready. */
  private async open(): Promise<void> {
    this.setStatus('connecting');
    const socket = new Socket();
    const parser = new FrameParser({ maxFrameBytes: this.options.maxFrameBytes });
    this.socket = socket;
    this.parser = parser;
    this.socketError = undefined;
    const authRequest = new Promise<EslFrame>((resolve, reject) => {
      this.authRequest = { resolve, reject };
    });
    // Avoid an unhandled rejection when the socket dies before anyone awaits it.
    authRequest.catch(() => undefined);

    let timedOut = false;
    const connectTimer = setTimeout(() => {
      timedOut = true;
      socket.destroy(new ConnectTimeoutError(`no ESL session with ${this.address} within ${this.options.connectTimeoutMs} ms`));
    }, this.options.connectTimeoutMs);

    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
    socket.on('error', (err) => {
      if (this.socket === socket) this.socketError = describeSocketError(err, this.address);
    });
    socket.on('close', () => this.onClose(socket));

    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('close', () => reject(this.socketError ?? new ConnectionClosedError(`connection to ${this.address} closed`)));
        socket.connect(this.options.port, this.options.host);
      });
      socket.setKeepAlive(true, this.options.keepAliveMs);
      this.setStatus('authenticating');
      const first = await authRequest;
      const type = first.headers['Content-Type'];
      if (type === 'text/rude-rejection') {
        throw new AccessDeniedError(
          `FreeSWITCH at ${this.address} refused this connection (${(first.body?.toString('utf8') ?? '').trim() || 'Access Denied'}): check apply-inbound-acl in event_socket.conf.xml`,
        );
      }
      const authLine = this.options.user !== undefined ? `userauth ${this.options.user}:${this.options.password}` : `auth ${this.options.password}`;
      // The password is in the command: name it as `auth` in errors and logs.
      const reply = await this.write({ line: authLine }, this.options.connectTimeoutMs, 'auth');
      const text = reply.headers['Reply-Text'] ?? '';
      if (!text.startsWith('+OK')) {
        throw new AuthError(`FreeSWITCH at ${this.address} rejected the ${this.options.user !== undefined ? 'user or password' : 'password'} (${text || 'no reply text'})`);
      }
      // State changed while it was being applied (an app loaded mid-reconnect) is applied again.
      let applied: number;
      do {
        applied = this.stateVersion;
        await this.applyState();
      } while (applied !== this.stateVersion);
      clearTimeout(connectTimer);
      this.attempt = 0;
      this.everReady = true;
      this.lastDataAt = Date.now();
      this.startLiveness();
      this.setStatus('ready');
    } catch (err) {
      clearTimeout(connectTimer);
      const error = timedOut
        ? new ConnectTimeoutError(`no ESL session with ${this.address} within ${this.options.connectTimeoutMs} ms`)
        : toError(err);
      this.detach(socket, error);
      socket.destroy();
      const fatal = error instanceof AuthError || error instanceof AccessDeniedError;
      if (this.closing) this.setStatus('closed');
      else if (this.policy && this.everReady && !fatal) this.scheduleReconnect(error);
      else this.setStatus('closed', { error });
      throw error;
    }
  }

  /** Subscriptions, filters and log level, sent before the connection reports ready. */
  private async applyState(): Promise<void> {
    const line = this.eventLine();
    if (line) await this.expectOk(line);
    for (const [header, value] of this.filters) await this.expectOk(`filter ${header} ${value}`);
    if (this.logLevel !== undefined) await this.expectOk(`log ${this.logLevel}`);
  }

  private eventLine(): string | undefined {
    const names = eventNames(this.events, this.subclasses);
    return names ? `event ${this.options.eventFormat} ${names}` : undefined;
  }

  private onData(socket: Socket, chunk: Buffer): void {
    if (socket !== this.socket || !this.parser) return;
    this.lastDataAt = Date.now();
    const frames = this.parser.push(chunk);
    for (const frame of frames) this.dispatch(frame);
    if (this.parser.error) socket.destroy(this.parser.error);
  }

  private dispatch(frame: EslFrame): void {
    this.stats.frames++;
    const type = frame.headers['Content-Type'] ?? '';
    if (REPLY_TYPES.has(type)) {
      if (this._onDidReceiveReply.hasListeners) this._onDidReceiveReply.fire(frame);
      const waiter = this.waiters.shift();
      if (!waiter) {
        this.malformed({ error: `unexpected ${type} with no command waiting`, frame });
        return;
      }
      if (waiter.timer) clearTimeout(waiter.timer);
      if (!waiter.abandoned) waiter.resolve(frame);
      return;
    }
    switch (type) {
      case 'text/event-json':
      case 'text/event-plain':
      case 'text/event-xml': {
        const decoded = decodeEventFrame(frame);
        if (decoded.ok) {
          this.stats.events++;
          this._onDidReceiveEvent.fire(decoded.event);
        } else this.malformed({ error: decoded.error, frame });
        return;
      }
      case 'log/data':
        this._onDidReceiveLog.fire(toLogLine(frame));
        return;
      case 'auth/request':
      case 'text/rude-rejection':
        if (this.authRequest) {
          this.authRequest.resolve(frame);
          this.authRequest = undefined;
        }
        return;
      case 'text/disconnect-notice':
        // The close that follows does the work; note it so the reason reads well.
        this.log('debug', `ESL ${this.address}: disconnect notice`);
        return;
      default:
        this.malformed({ error: `unknown Content-Type ${JSON.stringify(type)}`, frame });
    }
  }

  private malformed(m: MalformedFrame): void {
    this.stats.malformed++;
    this.log('warn', `ESL ${this.address}: ${m.error}`);
    this._onDidReceiveMalformed.fire(m);
  }

  /** The socket closed. A failed attempt is handled by open(); this handles losing a ready connection. */
  private onClose(socket: Socket): void {
    if (socket !== this.socket) return;
    const wasReady = this._status === 'ready';
    const error = this.socketError ?? (this.closing ? undefined : new ConnectionClosedError(`FreeSWITCH at ${this.address} closed the connection`));
    this.detach(socket, error);
    if (!wasReady) return;
    if (this.closing) this.setStatus('closed');
    else if (this.policy) this.scheduleReconnect(error);
    else this.setStatus('closed', error ? { error } : {});
  }

  /** Forgets a socket and rejects everything that waited on it. Idempotent. */
  private detach(socket: Socket, error: Error | undefined): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    this.parser = undefined;
    this.stopLiveness();
    const closedError = new ConnectionClosedError(`connection to ${this.address} closed${error ? `: ${error.message}` : ''}`);
    if (this.authRequest) {
      this.authRequest.reject(error ?? closedError);
      this.authRequest = undefined;
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (w.timer) clearTimeout(w.timer);
      if (!w.abandoned) w.reject(closedError);
    }
  }

  private scheduleReconnect(error: Error | undefined): void {
    this.attempt++;
    const delayMs = reconnectDelay(this.attempt, this.policy);
    this.setStatus('reconnecting', { attempt: this.attempt, delayMs, ...(error ? { error } : {}) });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.closing) return;
      this.stats.reconnects++;
      this.open().catch((err: unknown) => {
        this.log('debug', `ESL ${this.address}: reconnect attempt ${this.attempt} failed: ${toError(err).message}`);
      });
    }, delayMs);
  }

  private startLiveness(): void {
    this.stopLiveness();
    const limit = this.options.livenessTimeoutMs;
    if (limit <= 0) return;
    this.livenessTimer = setInterval(
      () => {
        if (!this.events.has('HEARTBEAT') && !this.events.has('ALL')) return;
        const silentMs = Date.now() - this.lastDataAt;
        if (silentMs > limit && this.socket) {
          this.socket.destroy(new EslError(`no data (not even a HEARTBEAT) from ${this.address} for ${Math.round(silentMs / 1000)} s`));
        }
      },
      Math.max(50, Math.floor(limit / 4)),
    );
    this.livenessTimer.unref();
  }

  private stopLiveness(): void {
    if (this.livenessTimer) clearInterval(this.livenessTimer);
    this.livenessTimer = undefined;
  }

  /** Writes one command and enqueues its one reply waiter. Validation happens before any write. */
  private write(command: EslCommand, timeoutMs: number, label = command.line): Promise<EslFrame> {
    const bytes = encodeCommand(command);
    const socket = this.socket;
    if (!socket || socket.destroyed) {
      return Promise.reject(new ConnectionClosedError(`not connected to ${this.address} (${this._status})`));
    }
    return new Promise<EslFrame>((resolve, reject) => {
      const waiter: Waiter = { command: label, resolve, reject, timer: undefined, abandoned: false };
      if (timeoutMs > 0) {
        waiter.timer = setTimeout(() => {
          waiter.abandoned = true;
          reject(new CommandTimeoutError(label, timeoutMs));
        }, timeoutMs);
      }
      this.waiters.push(waiter);
      socket.write(bytes);
      if (this._onDidSendCommand.hasListeners) {
        // The auth line holds the password: a recorder sees only that it was sent.
        this._onDidSendCommand.fire(label === command.line ? command : { line: label, secret: true });
      }
    });
  }

  /** Sends a command once ready and resolves to FreeSWITCH's reply frame (command/reply or api/response). */
  send(command: EslCommand, options: { timeoutMs?: number } = {}): Promise<EslFrame> {
    if (this._status !== 'ready') {
      try {
        encodeCommand(command);
      } catch (err) {
        return Promise.reject(err);
      }
      return Promise.reject(new ConnectionClosedError(`not connected to ${this.address} (${this._status})`));
    }
    return this.write(command, options.timeoutMs ?? this.options.commandTimeoutMs);
  }

  private async expectOk(line: string, headers?: Record<string, string>, body?: string): Promise<string> {
    const command: EslCommand = { line };
    if (headers) command.headers = headers;
    if (body !== undefined) command.body = body;
    const reply = await this.write(command, this.options.commandTimeoutMs);
    return replyText(line, reply);
  }

  /** `api <command>`: resolves to the response body exactly as FreeSWITCH sent it (it may be `-ERR …`). */
  async api(command: string, options: { timeoutMs?: number } = {}): Promise<string> {
    const frame = await this.send({ line: `api ${command}` }, options);
    return frame.body?.toString('utf8') ?? '';
  }

  /**
   * `bgapi <command>` with a client-generated `Job-UUID`, so the BACKGROUND_JOB can be matched even
   * if it arrives before the reply. Resolves to the job uuid once FreeSWITCH accepted the job.
   */
  async bgapi(command: string, jobUuid: string = randomUUID()): Promise<string> {
    const reply = await this.send({ line: `bgapi ${command}`, headers: { 'Job-UUID': jobUuid } });
    replyText(`bgapi ${command}`, reply);
    return reply.headers['Job-UUID'] ?? jobUuid;
  }

  /**
   * `sendmsg <uuid>`: controls a session (`call-command: execute|hangup|…`). A multi-line or long
   * argument goes in the body, which is the one place line breaks are safe.
   */
  async sendmsg(uuid: string, headers: Record<string, string>, body?: string): Promise<string> {
    const command: EslCommand = { line: `sendmsg ${uuid}`, headers };
    if (body !== undefined) command.body = body;
    return replyText(command.line, await this.send(command));
  }

  /** Subscribes to events (names, or `CUSTOM` subclasses such as `sofia::register`). Kept across reconnects. */
  async subscribe(names: Iterable<string>): Promise<void> {
    const added = { events: new Set<string>(), subclasses: new Set<string>() };
    for (const name of names) {
      assertSingleLine('event name', name);
      if (/\s/.test(name) || name === '') throw new EslError(`event name ${JSON.stringify(name)} is empty or contains a space`);
      const [state, fresh] = name.includes('::') ? [this.subclasses, added.subclasses] : [this.events, added.events];
      if (!state.has(name)) fresh.add(name);
    }
    if (added.events.size === 0 && added.subclasses.size === 0) return;
    for (const n of added.events) this.events.add(n);
    for (const n of added.subclasses) this.subclasses.add(n);
    this.stateVersion++;
    if (this._status !== 'ready') return;
    try {
      await this.expectOk(`event ${this.options.eventFormat} ${eventNames(added.events, added.subclasses)}`);
    } catch (err) {
      // A name FreeSWITCH refuses must not stay in the state, or every reconnect would fail on it.
      if (err instanceof CommandError) {
        for (const n of added.events) this.events.delete(n);
        for (const n of added.subclasses) this.subclasses.delete(n);
      }
      throw err;
    }
  }

  /** Stops receiving the given events (`nixevent`). */
  async unsubscribe(names: Iterable<string>): Promise<void> {
    const removed = { events: new Set<string>(), subclasses: new Set<string>() };
    for (const name of names) {
      const [state, gone] = name.includes('::') ? [this.subclasses, removed.subclasses] : [this.events, removed.events];
      if (state.delete(name)) gone.add(name);
    }
    if (removed.events.size === 0 && removed.subclasses.size === 0) return;
    this.stateVersion++;
    if (this._status !== 'ready') return;
    const remaining = this.eventLine();
    if (!remaining) {
      await this.send({ line: 'noevents' });
    } else if (removed.events.has('ALL')) {
      // `nixevent ALL` clears every subscription on the server: re-send what is left.
      await this.expectOk('nixevent ALL');
      await this.expectOk(remaining);
    } else {
      await this.expectOk(`nixevent ${eventNames(removed.events, removed.subclasses)}`);
    }
  }

  /**
   * Adds an ESL filter: once any filter exists, FreeSWITCH only sends events matching one of them.
   * Kept across reconnects.
   */
  async addFilter(header: string, value: string): Promise<void> {
    assertSingleLine('filter header', header);
    assertSingleLine('filter value', value);
    this.filters.push([header, value]);
    this.stateVersion++;
    if (this._status === 'ready') await this.expectOk(`filter ${header} ${value}`);
  }

  /** Deletes a filter (or every filter on a header when `value` is omitted). */
  async deleteFilter(header: string, value?: string): Promise<void> {
    for (let i = this.filters.length - 1; i >= 0; i--) {
      const [h, v] = this.filters[i]!;
      if (h === header && (value === undefined || v === value)) this.filters.splice(i, 1);
    }
    this.stateVersion++;
    if (this._status === 'ready') await this.expectOk(value === undefined ? `filter delete ${header}` : `filter delete ${header} ${value}`);
  }

  /** Streams FreeSWITCH's log at `level` (0–7) as `onDidReceiveLog`, or stops it with `undefined`. */
  async setLogLevel(level: number | undefined): Promise<void> {
    if (level !== undefined && !(Number.isInteger(level) && level >= 0 && level <= 7)) {
      throw new EslError(`log level must be a whole number from 0 to 7, not ${level}`);
    }
    const previous = this.logLevel;
    this.logLevel = level;
    this.stateVersion++;
    if (this._status !== 'ready') return;
    if (level !== undefined) await this.expectOk(`log ${level}`);
    else if (previous !== undefined) await this.expectOk('nolog');
  }

  /** Sends `exit` (waiting for `+OK bye`), then closes. No reconnect follows. Idempotent. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.reconnectTimer) {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = undefined;
    }
    const socket = this.socket;
    if (!socket) {
      if (this._status !== 'closed' && this._status !== 'idle') this.setStatus('closed');
      return;
    }
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    if (this._status === 'ready') {
      try {
        await this.write({ line: 'exit' }, Math.min(2_000, this.options.commandTimeoutMs));
      } catch {
        // Closing anyway: a dead peer cannot say bye.
      }
    }
    socket.end();
    const force = setTimeout(() => socket.destroy(), 1_000);
    await closed;
    clearTimeout(force);
  }

  /** Closes at once (no `exit`), rejecting pending commands, and reports `closed` before going quiet. */
  dispose(): void {
    this.closing = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const socket = this.socket;
    if (socket) {
      this.detach(socket, new ConnectionClosedError(`connection to ${this.address} disposed`));
      socket.destroy();
    }
    if (this._status !== 'closed' && this._status !== 'idle') this.setStatus('closed');
    this._onDidChangeStatus.dispose();
    this._onDidReceiveEvent.dispose();
    this._onDidReceiveLog.dispose();
    this._onDidReceiveMalformed.dispose();
    this._onDidSendCommand.dispose();
    this._onDidReceiveReply.dispose();
  }
}

/**
 * The argument of `event`/`nixevent`: plain names first, then `CUSTOM` and its subclasses, because
 * FreeSWITCH reads every name after `CUSTOM` as a subclass.
 */
function eventNames(events: ReadonlySet<string>, subclasses: ReadonlySet<string>): string | undefined {
  const plain = [...events].filter((n) => n !== 'CUSTOM');
  const custom = events.has('CUSTOM') || subclasses.size > 0 ? ['CUSTOM', ...subclasses] : [];
  const all = [...plain, ...custom];
  return all.length > 0 ? all.join(' ') : undefined;
}

/** A command/reply's text, or a `CommandError` when it is `-ERR …`. */
function replyText(command: string, reply: EslFrame): string {
  const text = reply.headers['Reply-Text'] ?? reply.body?.toString('utf8') ?? '';
  if (text.startsWith('-ERR')) throw new CommandError(command, text.slice(4).trim());
  return text;
}

function toLogLine(frame: EslFrame): LogLine {
  const h = frame.headers;
  return {
    level: Number(h['Log-Level'] ?? 7),
    uuid: h['User-Data'] ? h['User-Data'] : undefined,
    file: h['Log-File'] ?? '',
    func: h['Log-Func'] ?? '',
    line: Number(h['Log-Line'] ?? 0),
    text: frame.body?.toString('utf8') ?? '',
  };
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function describeSocketError(err: Error, address: string): Error {
  if (err instanceof EslError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  const reason =
    code === 'ECONNREFUSED'
      ? 'connection refused: is FreeSWITCH running with mod_event_socket listening there?'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'host not found'
        : code === 'ECONNRESET'
          ? 'connection reset by FreeSWITCH'
          : code === 'EHOSTUNREACH' || code === 'ENETUNREACH'
            ? 'host unreachable'
            : err.message;
  return new EslError(`${address}: ${reason}`, { cause: err });
}
