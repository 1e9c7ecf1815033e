/**
 * The simulated switch behind the test ESL server. This module is its core: identity, events and
 * logs (built from the channel model, so header sets match real FreeSWITCH 1.10.12), the channel
 * registry and the state changes every flow uses, and pacing. Call flows live in calls.ts,
 * applications in apps.ts. Connections subscribe as sinks; the switch never touches sockets.
 *
 * Timing: each step of a call waits one turn of the event loop (or `stepDelayMs`), so events arrive
 * spread over several reads as they do from a real switch, and other work interleaves.
 */
import { randomUUID } from 'node:crypto';
import { AppRunner } from './apps';
import { CallFlows } from './calls';
import { ChannelTable, type ChannelTableLag } from './channelTable';
import type { FarEnd } from './farEnd';
import { SwitchGlobals } from './globals';
import { LOG_SITES, channelKill, hangupLine, type LogSite } from './sessionLog';
import { SessionLimits, unsigned } from './sessionLimits';
import { SimChannel, CALL_STATE_NUMBERS, type CallState, type ChannelState } from './channel';
import { localStamp, nowUs, pad } from './clock';
import { SITES, VERBOSE_EVENTS, type CallSite, type EslEvent, type Header } from './eslEvent';
import type { LogLine } from './wire';

/** Who this switch says it is, in every event's first headers. */
export interface SwitchIdentity {
  coreUuid: string;
  hostname: string;
  switchname: string;
  ipv4: string;
  ipv6: string;
}

export interface SimSwitchOptions {
  identity: SwitchIdentity;
  /** Ring time of a loopback b-leg before its dialplan runs. */
  callSetupDelayMs: number;
  /** Pause between two events of one call; 0 = one event-loop turn. */
  stepDelayMs: number;
  /** Overrides playback lengths (tests make hold music end on demand, or tones short). */
  mediaDurationMs: ((path: string, naturalMs: number) => number) | undefined;
  /** How far `show channels`/`show calls` lag the events (see ChannelTable). */
  channelTableLag: ChannelTableLag;
  /** Overrides the length of `sleep` (tests end it on demand). */
  sleepDurationMs?: ((naturalMs: number) => number) | undefined;
  /** The wall clock of the dialplan's time conditions (see TestEslServerOptions.dialplanTime). */
  dialplanTime?: Date | (() => Date) | undefined;
  /** switch.conf.xml `sessions-per-second` and `max-sessions`, and the rate tick (see SessionLimits). */
  sessionsPerSecond?: number;
  maxSessions?: number;
  sessionRateTickMs?: number;
  /** How long an originate waits for its leg to answer (FreeSWITCH: 60 s). */
  originateTimeoutMs?: number;
  /** The far end of loopback calls: ring time and failures (see farEnd.ts). */
  farEnd?: FarEnd | undefined;
}

/** Receives everything the switch emits; the ESL connections implement it. */
export interface SwitchSink {
  onEvent(event: EslEvent): void;
  onLog(line: LogLine): void;
  /** Whether a log line of this level would go anywhere (no: the switch does not even format it). */
  wantsLog?(level: number): boolean;
  /**
   * Whether an event of this name (and subclass) could go anywhere, before its filters: no, and
   * the switch does not build it. At hundreds of calls a second most events go to nobody.
   */
  wantsEvent?(name: string, subclass: string | undefined): boolean;
}

/** Options of one event. */
export interface FireOptions {
  channel?: SimChannel;
  /** Headers between the base headers and the channel data (Old-Unique-ID, Bridge-A-Unique-ID…). */
  pre?: Header[];
  /** Headers after the variables (Application, Playback-File-Path…). */
  post?: Header[];
  body?: string;
  subclass?: string;
  /** A sequence number taken earlier (the API event is created before the command runs). */
  sequence?: number;
  timestampUs?: number;
  rawPlainValues?: boolean;
}

const LOG_LEVEL_NAMES = ['CONSOLE', 'ALERT', 'CRIT', 'ERR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG'];

export class SimSwitch {
  /** Live channels by uuid, in creation order. */
  readonly channels = new Map<string, SimChannel>();
  private readonly sinks = new Set<SwitchSink>();
  private sequence = 0;
  private sessionCounter = 0;
  private peakSessions = 0;
  private heartbeats = 0;
  private readonly startedUs = nowUs();
  /** Pending timers (steps, ring time, media), cleared by reset(). */
  readonly timers = new Set<NodeJS.Timeout>();
  private busy = 0;
  private idleWaiters: (() => void)[] = [];

  /** Applications: exec, playback, park, sendmsg messages, DTMF, recording. */
  readonly apps: AppRunner;
  /** Call flows: originate, hangup, hupall, bridge. */
  readonly calls: CallFlows;
  /** The core database's channel table, behind the live channels by the SQL thread's batches. */
  readonly channelTable: ChannelTable;
  /** Global variables, the XML's state (reloadxml) and mod_hash's table. */
  readonly globals: SwitchGlobals;
  /** Sessions per second and max sessions: every new session asks them first. */
  readonly limits: SessionLimits;

  constructor(readonly options: SimSwitchOptions) {
    this.apps = new AppRunner(this);
    this.calls = new CallFlows(this, this.apps);
    this.channelTable = new ChannelTable(() => this.channels.values(), options.channelTableLag);
    this.globals = new SwitchGlobals(options.identity);
    this.limits = new SessionLimits(this, {
      sessionsPerSecond: options.sessionsPerSecond ?? 1000,
      maxSessions: options.maxSessions ?? 5000,
      tickMs: options.sessionRateTickMs ?? 1000,
    });
  }

  get identity(): SwitchIdentity {
    return this.options.identity;
  }

  /** Sessions created since start-up (the `status` and HEARTBEAT counters). */
  get sessionsSinceStartup(): number {
    return this.sessionCounter;
  }

  get peak(): number {
    return this.peakSessions;
  }

  get uptimeUs(): number {
    return nowUs() - this.startedUs;
  }

  addSink(sink: SwitchSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  /** Stops every pending timer and forgets every channel, without events (server shutdown). */
  reset(): void {
    this.channelTable.dispose();
    this.limits.dispose();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const ch of this.channels.values()) {
      ch.destroyed = true;
      ch.app?.finish?.('hangup');
    }
    this.channels.clear();
  }

  nextSequence(): number {
    return ++this.sequence;
  }

  /** The headers every event starts with, in FreeSWITCH's order (switch_event_prep_for_delivery). */
  baseHeaders(name: string, site: CallSite, ts: number, sequence?: number): Header[] {
    const id = this.options.identity;
    return [
      ['Event-Name', name],
      ['Core-UUID', id.coreUuid],
      ['FreeSWITCH-Hostname', id.hostname],
      ['FreeSWITCH-Switchname', id.switchname],
      ['FreeSWITCH-IPv4', id.ipv4],
      ['FreeSWITCH-IPv6', id.ipv6],
      ['Event-Date-Local', localStamp(ts)],
      ['Event-Date-GMT', new Date(Math.floor(ts / 1000)).toUTCString()],
      ['Event-Date-Timestamp', String(ts)],
      ['Event-Calling-File', site.file],
      ['Event-Calling-Function', site.func],
      ['Event-Calling-Line-Number', String(site.line)],
      ['Event-Sequence', String(sequence ?? this.nextSequence())],
    ];
  }

  /** Builds and delivers an event: base headers, pre, channel data (+ variables if verbose), post. */
  fire(name: string, site: CallSite, o: FireOptions = {}): EslEvent {
    let wanted = false;
    for (const sink of this.sinks) if (sink.wantsEvent?.(name, o.subclass) ?? true) wanted = true;
    if (!wanted) {
      // Nobody listens: the sequence number is still taken, as FreeSWITCH numbers every event.
      if (o.sequence === undefined) this.nextSequence();
      return { name, subclass: o.subclass, headers: [], body: o.body };
    }
    const headers = this.baseHeaders(name, site, o.timestampUs ?? nowUs(), o.sequence);
    // switch_event_create_subclass adds Event-Subclass after the base headers.
    if (o.subclass) headers.push(['Event-Subclass', o.subclass]);
    if (o.pre) headers.push(...o.pre);
    if (o.channel) {
      headers.push(...o.channel.basicHeaders());
      if (VERBOSE_EVENTS.has(name)) headers.push(...o.channel.variableHeaders());
    }
    if (o.post) headers.push(...o.post);
    const event: EslEvent = { name, subclass: o.subclass, headers, body: o.body, rawPlainValues: o.rawPlainValues };
    this.deliver(event);
    return event;
  }

  /** Delivers a finished event (from emitEvent or sendevent) to every sink. */
  deliver(event: EslEvent): void {
    for (const sink of this.sinks) sink.onEvent(event);
  }

  /**
   * A log line, formatted as FreeSWITCH's console formats it for `log/data`. Text channel 1 lines
   * (EXECUTE, Dialplan) carry no date/level prefix, exactly as in capture 08.
   */
  log(level: number, file: string, func: string, line: number, ch: SimChannel | undefined, message: string, textChannel = 3): void {
    let wanted = false;
    for (const sink of this.sinks) if (sink.wantsLog?.(level) ?? true) wanted = true;
    if (!wanted) return;
    const us = nowUs();
    const prefix = `${localStamp(us)}.${pad(us % 1_000_000, 6)} 97.50% [${LOG_LEVEL_NAMES[level]}] ${file}:${line} `;
    const body = `${textChannel === 1 ? '' : prefix}${message}\n`;
    const entry: LogLine = { level, textChannel, file, func, line, userData: ch?.uuid ?? '', body };
    for (const sink of this.sinks) sink.onLog(entry);
  }

  /** HEARTBEAT and the scheduler's RE_SCHEDULE of the heartbeat task (every third also check_ip, a 60 s task). */
  heartbeat(): void {
    this.heartbeats++;
    const upUs = this.uptimeUs;
    const ms = Math.floor(upUs / 1000);
    const s = Math.floor(ms / 1000);
    const upTime =
      `0 years, ${Math.floor(s / 86400)} days, ${Math.floor(s / 3600) % 24} hours, ${Math.floor(s / 60) % 60} minutes, ` +
      `${s % 60} seconds, ${ms % 1000} milliseconds, ${upUs % 1000} microseconds`;
    this.fire('HEARTBEAT', SITES.heartbeat, {
      post: [
        ['Event-Info', 'System Ready'],
        ['Up-Time', upTime],
        ['FreeSWITCH-Version', '1.10.12-release~64bit'],
        ['Uptime-msec', String(ms)],
        ['Session-Count', String(this.channels.size)],
        ['Max-Sessions', String(this.limits.maxSessions)],
        ['Session-Per-Sec', unsigned(this.limits.tokensLeft)],
        ['Session-Per-Sec-Last', unsigned(this.limits.lastRate)],
        ['Session-Per-Sec-Max', unsigned(this.limits.peakRate)],
        ['Session-Per-Sec-FiveMin', unsigned(this.limits.peakRateFiveMin)],
        ['Session-Since-Startup', String(this.sessionCounter)],
        ['Session-Peak-Max', String(this.peakSessions)],
        ['Session-Peak-FiveMin', String(this.limits.sessionsPeakLastFiveMin)],
        ['Idle-CPU', '97.500000'],
      ],
    });
    const epoch = Math.floor(nowUs() / 1_000_000);
    this.fire('RE_SCHEDULE', SITES.reSchedule, {
      post: [['Task-ID', '1'], ['Task-Desc', 'heartbeat'], ['Task-Group', 'core'], ['Task-Runtime', String(epoch + 20)]],
    });
    if (this.heartbeats % 3 === 0) {
      this.fire('RE_SCHEDULE', SITES.reSchedule, {
        post: [['Task-ID', '2'], ['Task-Desc', 'check_ip'], ['Task-Group', 'core'], ['Task-Runtime', String(epoch + 60)]],
      });
    }
  }

  /** One step of a call: a turn of the event loop, or stepDelayMs. */
  step(): Promise<void> {
    return this.options.stepDelayMs > 0 ? this.sleep(this.options.stepDelayMs) : this.track(new Promise((r) => setImmediate(r)));
  }

  /** A wait that is part of a call's progress (ring time, steps), unlike media that plays for a while. */
  sleep(ms: number): Promise<void> {
    // Node arms a timer from the event loop's cached clock, so when the current turn ran long it
    // fires early by that much; a call that rings 20 ms must ring at least 20 ms, so re-arm.
    const deadline = performance.now() + ms;
    return this.track(
      new Promise((resolve) => {
        const arm = (wait: number): void => {
          const t = setTimeout(() => {
            this.timers.delete(t);
            const left = deadline - performance.now();
            if (left > 0) arm(Math.ceil(left));
            else resolve();
          }, wait);
          this.timers.add(t);
        };
        arm(ms);
      }),
    );
  }

  private track(wait: Promise<void>): Promise<void> {
    this.busy++;
    return wait.then(() => {
      this.busy--;
      if (this.busy === 0) setImmediate(() => this.checkIdle());
    });
  }

  private checkIdle(): void {
    if (this.busy > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * Resolves once no call is between two of its steps: every sequence has either finished or is
   * waiting on something long-lived (a parked channel, playing media). Tests use it where a real
   * client would have paused long enough for FreeSWITCH to finish.
   */
  whenIdle(timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      // A regression that keeps a call from finishing fails here, saying what is still going on.
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        const channels = [...this.channels.values()].map((c) => `${c.name} ${c.runningState} ${c.callState}`).join(', ');
        reject(new Error(`the test server was still busy after ${timeoutMs} ms (${this.busy} steps pending; channels: ${channels || 'none'})`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.idleWaiters.push(done);
      setImmediate(() => this.checkIdle());
    });
  }

  newChannel(name: string, direction: 'inbound' | 'outbound', hitDialplan: boolean, createdUs: number): SimChannel {
    const ch = new SimChannel(randomUUID(), name, direction, ++this.sessionCounter, hitDialplan, createdUs);
    this.channels.set(ch.uuid, ch);
    this.peakSessions = Math.max(this.peakSessions, this.channels.size);
    this.limits.noteSessionCount(this.channels.size);
    // `New Channel <dialled name>` is the endpoint's to log (calls.ts, sessionLog.ts).
    return ch;
  }

  setRunningState(ch: SimChannel, state: ChannelState): void {
    ch.runningState = state;
    this.fire('CHANNEL_STATE', SITES.state, { channel: ch });
  }

  setCallState(ch: SimChannel, callState: CallState): void {
    const from = ch.callState;
    ch.callState = callState;
    if (callState === 'HANGUP') ch.times.hangupUs = nowUs();
    this.fire('CHANNEL_CALLSTATE', SITES.callState, {
      channel: ch,
      pre: [['Original-Channel-Call-State', from], ['Channel-Call-State-Number', String(CALL_STATE_NUMBERS[callState])]],
    });
  }

  /** Answers a channel: CHANNEL_ANSWER, then the call state, then `endpoint_disposition` (set after the event). */
  markAnswered(ch: SimChannel): void {
    if (ch.answered || ch.isDown) return;
    ch.times.answeredUs = nowUs();
    ch.answerState = 'answered';
    this.fire('CHANNEL_ANSWER', SITES.answer, { channel: ch });
    const from = ch.callState;
    this.log(7, 'switch_channel.c', 'switch_channel_perform_mark_answered', 3912, ch, `(${ch.name}) Callstate Change ${from} -> ACTIVE`, 0);
    this.setCallState(ch, 'ACTIVE');
    ch.vars.set('endpoint_disposition', 'ANSWER');
  }

  /** `switch_channel_perform_hangup`: Answer-State hangup, target state CS_HANGUP, CHANNEL_HANGUP. */
  markHangup(ch: SimChannel, cause: string, site: LogSite = LOG_SITES.killUuid): void {
    if (ch.isDown) return;
    ch.answerState = 'hangup';
    ch.hangupCause = cause;
    ch.state = 'CS_HANGUP';
    // `Hangup …` by whoever hung up; mod_loopback's kill comes at once, unless the leg is still in
    // an originate (CS_CONSUME_MEDIA): then once its session thread is done (capture 20).
    hangupLine(this, ch, cause, site);
    if (ch.runningState !== 'CS_CONSUME_MEDIA') channelKill(this, ch);
    this.fire('CHANNEL_HANGUP', SITES.hangup, { channel: ch });
    ch.onHangup?.();
  }

  /** uuid_dump: a CHANNEL_DATA event built like any other, not delivered. */
  channelData(ch: SimChannel): EslEvent {
    const headers = [...this.baseHeaders('CHANNEL_DATA', SITES.channelData, nowUs()), ...ch.basicHeaders(), ...ch.variableHeaders()];
    return { name: 'CHANNEL_DATA', subclass: undefined, headers, body: undefined };
  }
}
