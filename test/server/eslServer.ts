/**
 * A test ESL server that speaks inbound ESL the way FreeSWITCH 1.10.12 does (see
 * test/fixtures/esl-captures) and simulates loopback calls. A test fixture only: it is never
 * shipped, and it is not FreeSWITCH.
 *
 * ```ts
 * const server = new TestEslServer({ password: 'ClueCon' });
 * await server.start();                 // → the port (ephemeral by default)
 * // … connect a client to 127.0.0.1:server.port …
 * await server.stop();
 * ```
 */
import { recordServer, type ServerRecording } from './recorder';
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { apiReplyBody, executeApi, FREESWITCH_VERSION } from './apiCommands';
import type { ClientCommand } from './commandReader';
import { EslConnection, type CommandReplyRecord, type ConnectionHost } from './eslConnection';
import { SITES, type Header, type HeaderValue } from './eslEvent';
import type { ChannelTableLag } from './channelTable';
import { SimSwitch, type SwitchIdentity } from './switchCore';
import { parseCause } from './originateArgs';
import type { FarEnd } from './farEnd';

export interface TestEslServerOptions {
  /** The `auth` password. Default `ClueCon`. */
  password?: string;
  /** Listen address. Default 127.0.0.1. */
  host?: string;
  /** Listen port; 0 (the default) picks a free one, kept across stop()/start(). */
  port?: number;
  /** HEARTBEAT interval in ms; 0 turns the timer off (sendHeartbeat() still works). Default 20 000, as FreeSWITCH. */
  heartbeatMs?: number;
  /** Ring time of a loopback call before the far end answers. Default 0. */
  callSetupDelayMs?: number;
  /** Pause between two events of a call; 0 (default) = one event-loop turn. */
  stepDelayMs?: number;
  /**
   * Deny connections like an `apply-inbound-acl` that does not match: `text/rude-rejection`, the
   * disconnect notice, close, and no auth/request (capture 13). A function decides by remote address.
   */
  rejectConnections?: boolean | ((remoteAddress: string) => boolean);
  /** Playback lengths in ms, given the path and its natural length (Infinity = until hangup or completePlayback). */
  mediaDurationMs?: (path: string, naturalMs: number) => number;
  /** FreeSWITCH-Hostname / -Switchname. Default `fs-dev`, as in the captures. */
  hostname?: string;
  /** Core-UUID. Default: a new one for each switch (a stop() without keepChannels is a switch restart). */
  coreUuid?: string;
  /**
   * How far `show channels`/`show calls` lag the events, as FreeSWITCH's core database does (capture
   * 22): 0 (the default) reads the live channels, a number of ms refreshes the table that often,
   * `'manual'` only on syncChannelTable().
   */
  channelTableLag?: ChannelTableLag;
  /**
   * The error `reloadxml` reports, as if a file of the XML on disk were broken (capture 19:
   * `[error near line 6568]: unexpected closing tag </context>`); setXmlError() changes it later.
   */
  xmlError?: string;
  /** Length of the `sleep` application in ms, given its argument (Infinity = until completeSleep() or hangup). */
  sleepDurationMs?: (naturalMs: number) => number;
  /**
   * The wall clock the dialplan's time conditions read (`wday`, `hour`… of tod_example and
   * holiday_example). Default: the moment capture 20 was recorded, a Sunday morning (2026-11-29
   * 08:37 local time) when neither matches, so a call takes the same path on any day.
   */
  dialplanTime?: Date | (() => Date);
  /**
   * switch.conf.xml `sessions-per-second`: a loopback call takes two sessions, and a request when
   * the tick's tokens are used up is refused (capture 17; see sessionLimits.ts). `fsctl sps N`
   * changes it from the next tick. Default 1000, as the switch of captures 14–22 was configured:
   * 499 loopback calls a second, so no test meets a limit it did not ask for. Vanilla FreeSWITCH
   * (captures 01–13) has 30, which admits only 14 calls a second.
   */
  sessionsPerSecond?: number;
  /** switch.conf.xml `max-sessions`; `fsctl max_sessions N` changes it. Default 5000 as in captures 14–22 (vanilla: 1000). */
  maxSessions?: number;
  /** The session-rate tick that refills the tokens, in ms; 0 = only tickSessionRate(). Default 1000, as FreeSWITCH. */
  sessionRateTickMs?: number;
  /**
   * How long an originate whose loopback b-leg was refused waits for an answer that cannot come
   * before it fails `NO_ANSWER` (capture 17). Default 60 000, FreeSWITCH's originate timeout.
   */
  originateTimeoutMs?: number;
  /**
   * The far end of loopback calls, for load tests: how long each rings and which fail with which
   * cause (`farEndMix({ ringMs: [50, 150], failures: { USER_BUSY: 0.02 } })`, see farEnd.ts).
   */
  farEnd?: FarEnd;
}

/** One command as the server received it. */
export interface CommandRecord {
  readonly connectionId: number;
  /** The command line, e.g. `api status`. */
  readonly line: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string | undefined;
}

/** A read-only view of a simulated channel. */
export interface ChannelSnapshot {
  readonly uuid: string;
  readonly name: string;
  readonly direction: 'inbound' | 'outbound';
  /** Running state, e.g. CS_EXECUTE. */
  readonly state: string;
  readonly callState: string;
  readonly answerState: string;
  readonly destination: string;
  readonly callerIdName: string;
  readonly callerIdNumber: string;
  /** The app it runs (park, echo, playback…), if any. */
  readonly application: string | undefined;
  /** The other loopback leg. */
  readonly partnerUuid: string | undefined;
  /** The leg uuid_bridge joined it to. */
  readonly bridgedToUuid: string | undefined;
  readonly hangupCause: string | undefined;
  readonly variables: Readonly<Record<string, string>>;
}

export interface EmitEventOptions {
  /** Plain format only: write values without URL-encoding (to put broken %-sequences on the wire). */
  rawPlainValues?: boolean;
}

export interface StopOptions {
  /** Keep the simulated calls (an ESL outage rather than a switch restart). */
  keepChannels?: boolean;
}

export class TestEslServer {
  private readonly options: Required<
    Omit<TestEslServerOptions, 'rejectConnections' | 'mediaDurationMs' | 'coreUuid' | 'xmlError' | 'sleepDurationMs' | 'dialplanTime' | 'farEnd'>
  > &
    Pick<TestEslServerOptions, 'rejectConnections' | 'mediaDurationMs' | 'coreUuid' | 'sleepDurationMs' | 'dialplanTime' | 'farEnd'>;
  private xmlError: string | undefined;
  private server: Server | undefined;
  private listenPort: number;
  private sw: SimSwitch;
  private readonly connections = new Set<EslConnection>();
  private readonly sockets = new Set<Socket>();
  private nextConnectionId = 1;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private stall: { promise: Promise<void>; release: () => void } | undefined;
  private readonly commandListeners = new Set<(record: CommandRecord) => void>();
  private readonly replyListeners = new Set<(connectionId: number, reply: CommandReplyRecord) => void>();
  private readonly records: CommandRecord[] = [];

  constructor(options: TestEslServerOptions = {}) {
    this.options = {
      password: options.password ?? 'ClueCon',
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
      heartbeatMs: options.heartbeatMs ?? 20_000,
      callSetupDelayMs: options.callSetupDelayMs ?? 0,
      stepDelayMs: options.stepDelayMs ?? 0,
      hostname: options.hostname ?? 'fs-dev',
      rejectConnections: options.rejectConnections,
      mediaDurationMs: options.mediaDurationMs,
      coreUuid: options.coreUuid,
      channelTableLag: options.channelTableLag ?? 0,
      sleepDurationMs: options.sleepDurationMs,
      dialplanTime: options.dialplanTime,
      sessionsPerSecond: options.sessionsPerSecond ?? 1000,
      maxSessions: options.maxSessions ?? 5000,
      sessionRateTickMs: options.sessionRateTickMs ?? 1000,
      originateTimeoutMs: options.originateTimeoutMs ?? 60_000,
      farEnd: options.farEnd,
    };
    this.xmlError = options.xmlError;
    this.listenPort = this.options.port;
    this.sw = this.newSwitch();
  }

  private newSwitch(): SimSwitch {
    const identity: SwitchIdentity = {
      coreUuid: this.options.coreUuid ?? randomUUID(),
      hostname: this.options.hostname,
      switchname: this.options.hostname,
      // The documentation addresses the captures were sanitised to.
      ipv4: '198.51.100.10',
      ipv6: '2001:db8::10',
    };
    const sw = new SimSwitch({
      identity,
      callSetupDelayMs: this.options.callSetupDelayMs,
      stepDelayMs: this.options.stepDelayMs,
      mediaDurationMs: this.options.mediaDurationMs,
      channelTableLag: this.options.channelTableLag,
      sleepDurationMs: this.options.sleepDurationMs,
      dialplanTime: this.options.dialplanTime,
      sessionsPerSecond: this.options.sessionsPerSecond,
      maxSessions: this.options.maxSessions,
      sessionRateTickMs: this.options.sessionRateTickMs,
      originateTimeoutMs: this.options.originateTimeoutMs,
      farEnd: this.options.farEnd,
    });
    sw.globals.xmlError = this.xmlError;
    return sw;
  }

  /**
   * Breaks (an error text) or mends (undefined) the XML on disk: `reloadxml` then answers
   * `+OK [<error>]\n` and keeps the XML in force, or `+OK [Success]\n` (capture 19).
   */
  setXmlError(error: string | undefined): void {
    this.xmlError = error;
    this.sw.globals.xmlError = error;
  }

  /** Writes the core database's pending batch: `show channels` now lists exactly the live channels. */
  syncChannelTable(): void {
    this.sw.channelTable.sync();
  }

  /** Starts listening; resolves to the port. After stop(), listens on the same port again. */
  async start(): Promise<number> {
    if (this.server) return this.listenPort;
    // allowHalfOpen: FreeSWITCH still writes the disconnect notice after the client's FIN (capture 01).
    const server = createServer({ allowHalfOpen: true }, (socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listenPort, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const address = server.address();
    if (address && typeof address === 'object') this.listenPort = address.port;
    if (this.options.heartbeatMs > 0) {
      this.heartbeatTimer = setInterval(() => this.sw.heartbeat(), this.options.heartbeatMs);
      this.heartbeatTimer.unref();
    }
    return this.listenPort;
  }

  /** Closes the listener and every connection (with the disconnect notice). Restartable via start(). */
  async stop(options: StopOptions = {}): Promise<void> {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    const server = this.server;
    this.server = undefined;
    for (const c of this.connections) c.shutdown();
    // Sockets that do not close by themselves (a client that never reads) are cut after a moment.
    const closing = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    const cut = setTimeout(() => {
      for (const s of this.sockets) s.destroy();
    }, 200);
    await closing;
    clearTimeout(cut);
    this.connections.clear();
    if (!options.keepChannels) {
      this.sw.reset();
      this.sw = this.newSwitch();
    }
  }

  get port(): number {
    return this.listenPort;
  }

  get host(): string {
    return this.options.host;
  }

  /** Authenticated or not, connections the server has not decided to close. */
  get connectionCount(): number {
    let n = 0;
    for (const c of this.connections) if (c.open) n++;
    return n;
  }

  /** The simulated channels, in creation order. */
  get channels(): readonly ChannelSnapshot[] {
    return [...this.sw.channels.values()]
      .filter((c) => !c.destroyed)
      .map((c) => ({
        uuid: c.uuid,
        name: c.name,
        direction: c.direction,
        state: c.runningState,
        callState: c.callState,
        answerState: c.answerState,
        destination: c.profile?.destinationNumber ?? '',
        callerIdName: c.profile?.callerIdName ?? '',
        callerIdNumber: c.profile?.callerIdNumber ?? '',
        application: c.app?.name,
        partnerUuid: c.partner?.uuid,
        bridgedToUuid: c.bridgedTo?.uuid,
        hangupCause: c.hangupCause,
        variables: Object.fromEntries(c.vars.entries()),
      }));
  }

  /** Every command received, in order (all connections). */
  get commands(): readonly CommandRecord[] {
    return this.records;
  }

  /** The command lines received, in order, e.g. `event plain ALL`. */
  get commandLog(): readonly string[] {
    return this.records.map((r) => r.line);
  }

  /** Calls `listener` with each command as it arrives; returns an unsubscribe function. */
  onCommand(listener: (record: CommandRecord) => void): () => void {
    this.commandListeners.add(listener);
    return () => this.commandListeners.delete(listener);
  }

  /** Calls `listener` with each reply a connection sends (command/reply, api/response); returns an unsubscribe function. */
  onReply(listener: (connectionId: number, reply: CommandReplyRecord) => void): () => void {
    this.replyListeners.add(listener);
    return () => this.replyListeners.delete(listener);
  }

  /**
   * Records what the switch emits, the commands it receives and their replies to `path` in the
   * `.fsrec.jsonl` format clients record (test/server/recorder.ts), until `stop()`.
   */
  record(path: string): ServerRecording {
    return recordServer(
      path,
      {
        freeswitchVersion: FREESWITCH_VERSION,
        switchname: this.sw.identity.switchname,
        source: `${this.host}:${this.port}`,
        unanswered: new Map([...this.connections].map((c) => [c.id, c.unanswered])),
      },
      (sink) => this.sw.addSink(sink),
      (listener) => this.onCommand(listener),
      (listener) => this.onReply(listener),
    );
  }

  /** Destroys every client socket without a goodbye, as a network failure would. */
  dropConnections(): void {
    for (const c of this.connections) c.drop();
    for (const s of this.sockets) s.destroy();
  }

  /**
   * Stops answering commands (they queue, in order) until called with false; then every queued
   * command is answered. Events keep flowing meanwhile.
   */
  stallReplies(stalled: boolean): void {
    if (stalled && !this.stall) {
      let release!: () => void;
      const promise = new Promise<void>((resolve) => (release = resolve));
      this.stall = { promise, release };
    } else if (!stalled && this.stall) {
      const { release } = this.stall;
      this.stall = undefined;
      release();
    }
  }

  /** Writes bytes as they are to every authenticated connection. */
  injectRaw(bytes: Buffer | string): void {
    const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
    for (const c of this.connections) c.injectRaw(buf);
  }

  /**
   * Fires an event through the normal subscription, filter and encoding path. `CUSTOM` takes its
   * subclass from an `Event-Subclass` header; a name with `::` is taken as a CUSTOM subclass.
   */
  emitEvent(
    name: string,
    headers: Readonly<Record<string, HeaderValue>> | readonly Header[] = [],
    body?: string,
    options: EmitEventOptions = {},
  ): void {
    const list: Header[] = Array.isArray(headers) ? [...(headers as readonly Header[])] : Object.entries(headers);
    let eventName = name;
    let subclass: string | undefined;
    if (name.includes('::')) {
      eventName = 'CUSTOM';
      subclass = name;
    }
    const subclassIndex = list.findIndex(([n]) => n.toLowerCase() === 'event-subclass');
    if (subclassIndex >= 0) {
      const [, value] = list.splice(subclassIndex, 1)[0]!;
      subclass ??= typeof value === 'string' ? value : value.toString('utf8');
    }
    this.sw.fire(eventName, SITES.sendEvent, { post: list, body, subclass, rawPlainValues: options.rawPlainValues });
  }

  /**
   * The once-a-second session-rate tick, now: records the last second's rate (`status`, HEARTBEAT)
   * and refills the sessions-per-second tokens, so a new `fsctl sps` value applies from here.
   */
  tickSessionRate(): void {
    this.sw.limits.tick();
  }

  /** Fires HEARTBEAT (and RE_SCHEDULE) now, as the timer does. */
  sendHeartbeat(): void {
    this.sw.heartbeat();
  }

  /** Ends the current playback of a channel as if the file ended (hold music included). */
  completePlayback(uuid: string): boolean {
    const ch = this.sw.channels.get(uuid);
    return ch ? this.sw.apps.completePlayback(ch) : false;
  }

  /** Ends a channel's running `sleep` as if its time had run out (see sleepDurationMs). */
  completeSleep(uuid: string): boolean {
    const ch = this.sw.channels.get(uuid);
    return ch ? this.sw.apps.completeSleep(ch) : false;
  }

  /**
   * Resolves once every simulated call has finished its current sequence of events (see
   * SimSwitch.whenIdle); rejects after `timeoutMs`, naming the channels still busy.
   */
  whenIdle(timeoutMs?: number): Promise<void> {
    return this.sw.whenIdle(timeoutMs);
  }

  /** Runs an API command in-process, as `api <command>` would; resolves to its body (`-ERR no reply\n` when empty). */
  async api(command: string): Promise<string> {
    const space = command.indexOf(' ');
    const cmd = space < 0 ? command : command.slice(0, space);
    const arg = space < 0 ? '' : command.slice(space + 1);
    const result = await executeApi(this.sw, cmd, arg);
    result.after?.();
    return apiReplyBody(cmd, result);
  }

  /** Starts a loopback call to `destination` running `&<app>` (default park), even while stopped. Returns the a-leg uuid. */
  originateDirect(destination: string, app = 'park'): string {
    return this.sw.calls.originateDirect(destination, app);
  }

  /**
   * Simulates an inbound call to `destination` that parks unanswered, waiting for an ESL app: a
   * loopback call into the (invented) `park` context, whose b-leg is the inbound channel
   * (Call-Direction inbound, Caller-Destination-Number = destination) and fires CHANNEL_PARK. The
   * a-leg (the caller) runs `&<callerApp>` (default park). Returns the a-leg uuid. The loopback
   * b-leg's uuid is the a-leg's `other_loopback_leg_uuid`.
   */
  inboundCall(destination: string, callerApp = 'park'): string {
    return this.sw.calls.originateDirect(`${destination}/park`, callerApp);
  }

  /** Hangs up every channel (hupall), even while stopped. */
  hangupAll(cause = 'MANAGER_REQUEST'): void {
    this.sw.calls.hupall(parseCause(cause, 'MANAGER_REQUEST'));
  }

  // ---------------------------------------------------------------- connections

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    const reject = this.options.rejectConnections;
    const remote = socket.remoteAddress ?? '';
    const denied = typeof reject === 'function' ? reject(remote) : reject === true;
    const connection = new EslConnection(this.nextConnectionId++, socket, this.connectionHost());
    this.connections.add(connection);
    connection.start(denied);
  }

  private connectionHost(): ConnectionHost {
    // The switch of this moment: a restart replaces it, but also closes every connection.
    return {
      password: this.options.password,
      sw: this.sw,
      stalled: () => this.stall?.promise,
      recordCommand: (connection: EslConnection, command: ClientCommand) => {
        const record: CommandRecord = { connectionId: connection.id, line: command.line, headers: command.headers, body: command.body };
        this.records.push(record);
        for (const l of this.commandListeners) l(record);
      },
      recordReply: (connection: EslConnection, reply: CommandReplyRecord) => {
        for (const l of this.replyListeners) l(connection.id, reply);
      },
      closed: (connection: EslConnection) => {
        this.connections.delete(connection);
      },
    };
  }
}
