import { randomUUID } from 'node:crypto';
import { assertSingleLine } from '../esl/command';
import { EslError } from '../esl/errors';
import { EslEvent } from '../esl/event';
import { APP_ID_VAR } from '../dialString';
import type { ChannelEventName, ChannelVariable } from '../apps/app';
import type { Call } from './call';

/** What a Session needs from whoever tracks it: commands and awaiting its events. */
export interface SessionHost {
  /** `api <command>` returning the body; rejects with `ApiError` on `-ERR`. */
  cmd(command: string): Promise<string>;
  sendmsg(uuid: string, headers: Record<string, string>, body?: string): Promise<string>;
  /** The next event named `name` for `session` that satisfies `match`; subscribes if needed. */
  waitForEvent(session: Session, name: string, timeoutMs: number, match?: (e: EslEvent) => boolean): Promise<EslEvent>;
}

/** Hangup causes a user picks from most often (Q.850 names as FreeSWITCH spells them). */
export const COMMON_HANGUP_CAUSES = [
  'NORMAL_CLEARING',
  'USER_BUSY',
  'NO_ANSWER',
  'CALL_REJECTED',
  'NO_ROUTE_DESTINATION',
  'UNALLOCATED_NUMBER',
  'NORMAL_TEMPORARY_FAILURE',
  'ORIGINATOR_CANCEL',
  'MANAGER_REQUEST',
] as const;

const HANGUP_CAUSE = /^[A-Z_0-9]+$/;
const DTMF = /^[0-9A-Da-d*#wW]+$/;

/** How long session commands that wait for an event wait by default. */
const DEFAULT_EVENT_TIMEOUT_MS = 30_000;

/**
 * One FreeSWITCH channel (a call leg), folded from its events. Its methods control the channel
 * and settle on FreeSWITCH's reply or on the event that shows the effect.
 */
export class Session {
  /**
   * The event that created the session, read through until the first change: most sessions of a
   * busy switch are created and gone before a copy of their ~100 headers would pay for itself.
   */
  private origin: EslEvent | undefined;
  /** Headers of the events merged so far, our own copy (made at the first change). */
  private merged: Record<string, string> | undefined;
  private _call: Call | undefined;
  /** Time of creation, answer and hangup, in ms since the epoch (from FreeSWITCH's event times). */
  createdAt: number;
  answeredAt: number | undefined;
  hungupAt: number | undefined;
  /** Set once CHANNEL_HANGUP (or a later hangup event) was seen. */
  hangupCause: string | undefined;
  /** Set once CHANNEL_HANGUP_COMPLETE or CHANNEL_DESTROY was seen: no more events will come. */
  ended = false;
  /** The uuid of the channel this one is bridged to, while bridged. */
  bridgedTo: string | undefined;

  constructor(
    readonly uuid: string,
    /** The headers it starts from: the event that created it (shared, never written), or a copy of a map. */
    headers: EslEvent | Readonly<Record<string, string>>,
    private readonly host: SessionHost,
  ) {
    if (headers instanceof EslEvent) this.origin = headers;
    else this.merged = copyHeaders(headers);
    this.createdAt = microsToMs(this.get('Caller-Channel-Created-Time')) ?? microsToMs(this.get('Event-Date-Timestamp')) ?? Date.now();
  }

  /** Folds an event about this session into its state. Called by the listener only. */
  update(event: EslEvent, merge = true): void {
    // Merge: later events carry the freshest channel state and variables.
    if (merge) Object.assign(this.writable(), event.headers);
    switch (event.name) {
      case 'CHANNEL_ANSWER':
        this.answeredAt ??= eventTime(event);
        break;
      case 'CHANNEL_BRIDGE':
        this.bridgedTo = event.get('Other-Leg-Unique-ID') ?? event.get('Bridge-B-Unique-ID');
        break;
      case 'CHANNEL_UNBRIDGE':
        this.bridgedTo = undefined;
        break;
      case 'CHANNEL_HANGUP':
        this.hungupAt ??= eventTime(event);
        this.hangupCause ??= event.get('Hangup-Cause');
        break;
      case 'CHANNEL_HANGUP_COMPLETE':
      case 'CHANNEL_DESTROY':
        this.hungupAt ??= eventTime(event);
        this.hangupCause ??= event.get('Hangup-Cause');
        this.ended = true;
        break;
    }
  }

  /** Headers of the latest events merged, decoded. */
  get headers(): Readonly<Record<string, string>> {
    return this.merged ?? this.origin!.headers;
  }

  /** A header of the latest event that carried it. */
  get(name: string): string | undefined {
    return this.merged !== undefined ? this.merged[name] : this.origin!.get(name);
  }

  /** A channel variable as last seen in an event (`variable_<name>`); see `getVar` to ask FreeSWITCH. */
  var(name: ChannelVariable): string | undefined {
    return this.get(`variable_${name}`);
  }

  /** Our own copy of the headers, made at the first change. */
  private writable(): Record<string, string> {
    if (this.merged === undefined) {
      this.merged = copyHeaders(this.origin!.headers);
      this.origin = undefined;
    }
    return this.merged;
  }

  /** The call this session belongs to. */
  get call(): Call | undefined {
    return this._call;
  }

  /** Set by the listener when it groups sessions into calls. */
  setCall(call: Call | undefined): void {
    this._call = call;
  }

  /** `inbound` or `outbound`, from FreeSWITCH's point of view. */
  get direction(): 'inbound' | 'outbound' {
    return this.get('Call-Direction') === 'inbound' ? 'inbound' : 'outbound';
  }

  /** Channel state, e.g. `CS_EXECUTE`. */
  get state(): string {
    return this.get('Channel-State') ?? 'CS_NEW';
  }

  /** Call state, e.g. `RINGING`, `ACTIVE`, `HANGUP`. */
  get callState(): string {
    return this.get('Channel-Call-State') ?? 'DOWN';
  }

  /** e.g. `loopback/9196-a`, `sofia/internal/1000@example.com`. */
  get channelName(): string {
    return this.get('Channel-Name') ?? '';
  }

  get callerIdName(): string {
    return this.get('Caller-Caller-ID-Name') ?? '';
  }

  get callerIdNumber(): string {
    return this.get('Caller-Caller-ID-Number') ?? '';
  }

  get destination(): string {
    return this.get('Caller-Destination-Number') ?? '';
  }

  get answered(): boolean {
    return this.answeredAt !== undefined;
  }

  /** The app whose callbacks receive this session's events, if any. */
  get appId(): string | undefined {
    return this.var(APP_ID_VAR);
  }

  /** Answers the channel (`uuid_answer`). */
  async answer(): Promise<void> {
    if (this.answered) return;
    const answered = this.host.waitForEvent(this, 'CHANNEL_ANSWER', DEFAULT_EVENT_TIMEOUT_MS);
    answered.catch(() => undefined);
    await this.host.cmd(`uuid_answer ${this.uuid}`);
    if (!this.answered) await answered;
  }

  /**
   * Hangs up with `cause` (`uuid_kill`) and resolves once FreeSWITCH reports the hangup complete,
   * so the session (and, when it was the last live leg, its call) is gone from the listener.
   */
  async hangup(cause: string = 'NORMAL_CLEARING'): Promise<void> {
    if (!HANGUP_CAUSE.test(cause)) throw new EslError(`hangup cause ${JSON.stringify(cause)} is not a FreeSWITCH cause name (e.g. NORMAL_CLEARING)`);
    if (this.ended) return;
    const complete = this.host.waitForEvent(this, 'CHANNEL_HANGUP_COMPLETE', DEFAULT_EVENT_TIMEOUT_MS);
    complete.catch(() => undefined);
    try {
      await this.host.cmd(`uuid_kill ${this.uuid} ${cause}`);
    } catch (err) {
      // Its peer's hangup may have taken it down first (a loopback pair): that is success.
      if (this.hangupCause === undefined && !this.ended) throw err;
    }
    if (!this.ended) await complete;
  }

  /** Parks the channel (`uuid_park`). */
  async park(): Promise<void> {
    await this.host.cmd(`uuid_park ${this.uuid}`);
  }

  /**
   * Runs a dialplan application on the channel (`sendmsg` execute) and resolves with its
   * CHANNEL_EXECUTE_COMPLETE, matched through the `Event-UUID` FreeSWITCH echoes as `Application-UUID`.
   * The argument travels in the body, so it may hold any text.
   */
  async execute(app: string, arg = '', options: { timeoutMs?: number } = {}): Promise<EslEvent> {
    if (!/^[A-Za-z0-9_]+$/.test(app)) throw new EslError(`application name ${JSON.stringify(app)} may only contain letters, digits and _`);
    const eventUuid = randomUUID();
    const done = this.host.waitForEvent(this, 'CHANNEL_EXECUTE_COMPLETE', options.timeoutMs ?? DEFAULT_EVENT_TIMEOUT_MS, (e) => e.get('Application-UUID') === eventUuid);
    done.catch(() => undefined);
    const headers = { 'call-command': 'execute', 'execute-app-name': app, 'Event-UUID': eventUuid };
    await (arg === '' ? this.host.sendmsg(this.uuid, headers) : this.host.sendmsg(this.uuid, { ...headers, 'content-type': 'text/plain' }, arg));
    return done;
  }

  /** Plays a file or tone stream and resolves when playback finished. */
  playback(path: string, options: { timeoutMs?: number } = {}): Promise<EslEvent> {
    return this.execute('playback', path, options);
  }

  /** Plays a file to the channel without interrupting what it runs (`uuid_broadcast`). */
  async broadcast(path: string, leg: 'aleg' | 'bleg' | 'both' = 'aleg'): Promise<void> {
    assertSingleLine('path', path);
    if (/\s/.test(path)) throw new EslError(`path ${JSON.stringify(path)} contains a space; use playback() for such paths`);
    await this.host.cmd(`uuid_broadcast ${this.uuid} ${path} ${leg}`);
  }

  /** Bridges this channel with another (`uuid_bridge`); resolves once CHANNEL_BRIDGE arrives. */
  async bridge(other: Session | string): Promise<void> {
    const otherUuid = typeof other === 'string' ? other : other.uuid;
    assertUuid(otherUuid);
    const bridged = this.host.waitForEvent(this, 'CHANNEL_BRIDGE', DEFAULT_EVENT_TIMEOUT_MS);
    bridged.catch(() => undefined);
    await this.host.cmd(`uuid_bridge ${this.uuid} ${otherUuid}`);
    if (this.bridgedTo === undefined) await bridged;
  }

  /** Sends DTMF digits (`uuid_send_dtmf`), e.g. `123#`; `w` waits half a second. */
  async sendDtmf(digits: string, durationMs?: number): Promise<void> {
    if (!DTMF.test(digits)) throw new EslError(`DTMF ${JSON.stringify(digits)} may only contain 0-9 A-D * # w W`);
    await this.host.cmd(`uuid_send_dtmf ${this.uuid} ${digits}${durationMs ? `@${Math.round(durationMs)}` : ''}`);
  }

  /** Sets a channel variable (`uuid_setvar`). */
  async setVar(name: ChannelVariable, value: string): Promise<void> {
    assertVarName(name);
    assertSingleLine(`channel variable ${name}`, value);
    await this.host.cmd(`uuid_setvar ${this.uuid} ${name} ${value}`);
    this.writable()[`variable_${name}`] = value;
  }

  /** Reads a channel variable from FreeSWITCH (`uuid_getvar`); `undefined` when unset. */
  async getVar(name: ChannelVariable): Promise<string | undefined> {
    assertVarName(name);
    const value = await this.host.cmd(`uuid_getvar ${this.uuid} ${name}`);
    return value === '_undef_' ? undefined : value;
  }

  /** Starts recording the channel to `path` (`uuid_record … start`), optionally for at most `limitSec`. */
  async recordStart(path: string, limitSec?: number): Promise<void> {
    assertPath(path);
    await this.host.cmd(`uuid_record ${this.uuid} start ${path}${limitSec ? ` ${Math.round(limitSec)}` : ''}`);
  }

  /** Stops a recording (`uuid_record … stop`); all of this channel's recordings when `path` is omitted. */
  async recordStop(path = 'all'): Promise<void> {
    assertPath(path);
    await this.host.cmd(`uuid_record ${this.uuid} stop ${path}`);
  }

  /**
   * Resolves with the next event named `eventName` for this session (subscribing to it if needed),
   * e.g. `await session.recv('CHANNEL_ANSWER', { timeout: 5000 })`; rejects with a
   * `CommandTimeoutError` after the timeout (ms; a number works too). Default 30 s.
   */
  recv(eventName: ChannelEventName | (string & {}), timeout: number | { timeout?: number } = DEFAULT_EVENT_TIMEOUT_MS): Promise<EslEvent> {
    const timeoutMs = typeof timeout === 'number' ? timeout : (timeout.timeout ?? DEFAULT_EVENT_TIMEOUT_MS);
    return this.host.waitForEvent(this, eventName, timeoutMs);
  }
}

function assertUuid(uuid: string): void {
  if (!/^[A-Za-z0-9-]+$/.test(uuid)) throw new EslError(`${JSON.stringify(uuid)} is not a session uuid`);
}

function assertVarName(name: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_.\-:]*$/.test(name)) throw new EslError(`channel variable name ${JSON.stringify(name)} may only contain letters, digits and _ . - :`);
}

function assertPath(path: string): void {
  assertSingleLine('path', path);
  if (/\s/.test(path) || path === '') throw new EslError(`path ${JSON.stringify(path)} must be non-empty and without spaces`);
}

/** FreeSWITCH times are µs since the epoch as text; 0 means "not yet". */
function microsToMs(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? Math.floor(n / 1000) : undefined;
}

/** When FreeSWITCH fired the event (ms), or now. Read only where it is kept: a plain header is a scan. */
function eventTime(event: EslEvent): number {
  return microsToMs(event.get('Event-Date-Timestamp')) ?? Date.now();
}

/** A header map of our own, without a prototype. Spread keeps a fast source fast (`__proto__` stays a plain key). */
function copyHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.setPrototypeOf({ ...headers }, null) as Record<string, string>;
}
