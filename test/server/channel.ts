/**
 * A simulated FreeSWITCH channel: the state that `switch_channel_event_set_data` turns into the
 * `Channel-*`, `Caller-*`, `Other-Leg-*` and `variable_*` headers of every channel event. Header
 * names and their order follow the captures; values follow the channel's life.
 */
import type { Header } from './eslEvent';

/** `switch_channel_state_t`. `Channel-State` is the running state, `Channel-State-Number` the target state. */
export type ChannelState =
  | 'CS_NEW' | 'CS_INIT' | 'CS_ROUTING' | 'CS_SOFT_EXECUTE' | 'CS_EXECUTE' | 'CS_EXCHANGE_MEDIA' | 'CS_PARK'
  | 'CS_CONSUME_MEDIA' | 'CS_HIBERNATE' | 'CS_RESET' | 'CS_HANGUP' | 'CS_REPORTING' | 'CS_DESTROY' | 'CS_NONE';

const STATE_NUMBERS: Record<ChannelState, number> = {
  CS_NEW: 0, CS_INIT: 1, CS_ROUTING: 2, CS_SOFT_EXECUTE: 3, CS_EXECUTE: 4, CS_EXCHANGE_MEDIA: 5, CS_PARK: 6,
  CS_CONSUME_MEDIA: 7, CS_HIBERNATE: 8, CS_RESET: 9, CS_HANGUP: 10, CS_REPORTING: 11, CS_DESTROY: 12, CS_NONE: 13,
};

/** `switch_channel_callstate_t`. */
export type CallState = 'DOWN' | 'DIALING' | 'RINGING' | 'EARLY' | 'ACTIVE' | 'HELD' | 'RING_WAIT' | 'HANGUP' | 'UNHELD';

export const CALL_STATE_NUMBERS: Record<CallState, number> = {
  DOWN: 0, DIALING: 1, RINGING: 2, EARLY: 3, ACTIVE: 4, HELD: 5, RING_WAIT: 6, HANGUP: 7, UNHELD: 8,
};

export type AnswerState = 'ringing' | 'early' | 'answered' | 'hangup';

export interface Codec {
  name: string;
  rate: number;
  bitRate: number;
}

/** `switch_caller_profile_t`: the `Caller-*` (or `Other-Leg-*`) block. Empty strings are left out. */
export interface CallerProfile {
  direction: 'inbound' | 'outbound';
  logicalDirection: 'inbound' | 'outbound';
  dialplan: string;
  callerIdName: string;
  callerIdNumber: string;
  origCallerIdName: string;
  origCallerIdNumber: string;
  calleeIdName: string;
  calleeIdNumber: string;
  ani: string;
  destinationNumber: string;
  uuid: string;
  source: string;
  transferSource: string;
  context: string;
  channelName: string;
  /** Absent on the Other-Leg copy, which FreeSWITCH prints without an index. */
  profileIndex: number | undefined;
  profileCreatedUs: number;
}

/** Timestamps in µs (0 = not yet), shared by the channel's caller profiles. */
export interface ChannelTimes {
  createdUs: number;
  answeredUs: number;
  progressUs: number;
  progressMediaUs: number;
  hangupUs: number;
  transferUs: number;
  resurrectUs: number;
  bridgedUs: number;
  lastHoldUs: number;
  holdAccumUs: number;
}

/**
 * Channel variables in FreeSWITCH's order. Setting a variable deletes it and appends it
 * (`switch_channel_set_variable` → del_header + add_header BOTTOM), which is why `call_uuid` and
 * `current_application` move to the end in the captures; an empty value deletes it.
 */
export class ChannelVariables {
  private readonly list: [string, string][] = [];

  set(name: string, value: string | undefined): void {
    this.delete(name);
    if (value !== undefined && value !== '') this.list.push([name, value]);
  }

  /** Sets only when absent, keeping the position of an existing one. */
  setIfAbsent(name: string, value: string): void {
    if (this.get(name) === undefined) this.set(name, value);
  }

  get(name: string): string | undefined {
    return this.list.find(([n]) => n === name)?.[1];
  }

  delete(name: string): void {
    const i = this.list.findIndex(([n]) => n === name);
    if (i >= 0) this.list.splice(i, 1);
  }

  entries(): readonly (readonly [string, string])[] {
    return this.list;
  }
}

/** The app a channel is running: park, echo, playback… (switch_core_session_exec). */
export interface RunningApp {
  name: string;
  data: string;
  uuid: string | undefined;
  /** Playback only: ends it, naturally (`'done'`) or because the channel went down. */
  finish?: (reason: 'done' | 'hangup' | 'break') => void;
}

export class SimChannel {
  runningState: ChannelState = 'CS_NONE';
  state: ChannelState = 'CS_NEW';
  callState: CallState = 'DOWN';
  answerState: AnswerState = 'ringing';
  hangupCause: string | undefined;
  readCodec: Codec | undefined;
  writeCodec: Codec | undefined;
  /** Unset until the caller profile is attached (CODEC events before that carry no `Caller-*`). */
  profile: CallerProfile | undefined;
  otherType: 'originator' | 'originatee' | undefined;
  otherLeg: CallerProfile | undefined;
  readonly vars = new ChannelVariables();
  readonly times: ChannelTimes;
  /** `Channel-Call-UUID`. */
  callUuid: string;
  /** The other half of a loopback pair. */
  partner: SimChannel | undefined;
  /** The channel uuid_bridge joined this one to. */
  bridgedTo: SimChannel | undefined;
  /** 'A' is uuid_bridge's first argument: it fires CHANNEL_BRIDGE/UNBRIDGE. */
  bridgeSide: 'A' | 'B' | undefined;
  app: RunningApp | undefined;
  lastApp: string | undefined;
  lastArg: string | undefined;
  parked = false;
  destroyed = false;
  /** Set once the hangup sequence for this channel has been scheduled. */
  tearingDown = false;
  /** `call_uuid` column of `show channels`. */
  callUuidColumn = '';
  /** `callee_direction` column of `show channels` (RECV once the a-leg flipped its caller id). */
  calleeDirection = '';
  /** Set while uuid_park takes the channel out of its dialplan actions. */
  diverted = false;
  /** Files uuid_record is writing, by path: when it started, and the timer of its limit. */
  readonly recordings = new Map<string, { startedUs: number; limitTimer: NodeJS.Timeout | undefined }>();
  /**
   * DTMF queued on this channel (the loopback partner sent it) and not yet read: the channel's
   * application dequeues one digit per 20 ms frame, and only some applications read (capture 14).
   */
  readonly dtmfQueue: { digit: string; durationSamples: number }[] = [];
  /** Set while the queue is being read. */
  readingDtmf = false;
  /** Called once when the channel hangs up (an originate waiting on it stops waiting). */
  onHangup: (() => void) | undefined;
  /** Apps queued by sendmsg while another app runs; run one after another. */
  readonly queue: (() => Promise<void>)[] = [];

  constructor(
    public uuid: string,
    public name: string,
    readonly direction: 'inbound' | 'outbound',
    readonly sessionId: number,
    public hitDialplan: boolean,
    createdUs: number,
  ) {
    this.callUuid = uuid;
    this.times = {
      createdUs, answeredUs: 0, progressUs: 0, progressMediaUs: 0, hangupUs: 0, transferUs: 0, resurrectUs: 0,
      bridgedUs: 0, lastHoldUs: 0, holdAccumUs: 0,
    };
  }

  get isDown(): boolean {
    return this.answerState === 'hangup';
  }

  get answered(): boolean {
    return this.times.answeredUs > 0;
  }

  /** `switch_channel_event_set_basic_data`: Channel-*, Hangup-Cause, codecs, Caller-*, Other-Leg-*. */
  basicHeaders(): Header[] {
    const h: Header[] = [
      ['Channel-State', this.runningState],
      ['Channel-Call-State', this.callState],
      ['Channel-State-Number', String(STATE_NUMBERS[this.state])],
      ['Channel-Name', this.name],
      ['Unique-ID', this.uuid],
      ['Call-Direction', this.direction],
      ['Presence-Call-Direction', this.direction],
      ['Channel-HIT-Dialplan', String(this.hitDialplan)],
      ['Channel-Call-UUID', this.callUuid],
      ['Answer-State', this.answerState],
    ];
    if (this.hangupCause) h.push(['Hangup-Cause', this.hangupCause]);
    if (this.readCodec) {
      h.push(
        ['Channel-Read-Codec-Name', this.readCodec.name],
        ['Channel-Read-Codec-Rate', String(this.readCodec.rate)],
        ['Channel-Read-Codec-Bit-Rate', String(this.readCodec.bitRate)],
      );
    }
    if (this.writeCodec) {
      h.push(
        ['Channel-Write-Codec-Name', this.writeCodec.name],
        ['Channel-Write-Codec-Rate', String(this.writeCodec.rate)],
        ['Channel-Write-Codec-Bit-Rate', String(this.writeCodec.bitRate)],
      );
    }
    if (this.profile) h.push(...profileHeaders('Caller', this.profile, this.times));
    if (this.otherType && this.otherLeg) {
      h.push(['Other-Type', this.otherType], ...profileHeaders('Other-Leg', this.otherLeg, undefined));
    }
    return h;
  }

  variableHeaders(): Header[] {
    return this.vars.entries().map(([name, value]) => [`variable_${name}`, value] as const);
  }
}

/**
 * `switch_caller_profile_event_set_data`, in its order. Optional strings are left out when empty
 * (Caller-Caller-ID-Name is absent until the caller id has a name, as in the captures). The
 * Other-Leg copy has no profile index and zero times.
 */
function profileHeaders(prefix: string, p: CallerProfile, times: ChannelTimes | undefined): Header[] {
  const h: Header[] = [];
  const opt = (name: string, value: string): void => {
    if (value !== '') h.push([`${prefix}-${name}`, value]);
  };
  const t = (us: number | undefined): string => String(us ?? 0);
  opt('Direction', p.direction);
  opt('Logical-Direction', p.logicalDirection);
  opt('Dialplan', p.dialplan);
  opt('Caller-ID-Name', p.callerIdName);
  opt('Caller-ID-Number', p.callerIdNumber);
  opt('Orig-Caller-ID-Name', p.origCallerIdName);
  opt('Orig-Caller-ID-Number', p.origCallerIdNumber);
  opt('Callee-ID-Name', p.calleeIdName);
  opt('Callee-ID-Number', p.calleeIdNumber);
  opt('ANI', p.ani);
  opt('Destination-Number', p.destinationNumber);
  opt('Unique-ID', p.uuid);
  opt('Source', p.source);
  opt('Transfer-Source', p.transferSource);
  opt('Context', p.context);
  opt('Channel-Name', p.channelName);
  if (p.profileIndex !== undefined) h.push([`${prefix}-Profile-Index`, String(p.profileIndex)]);
  h.push(
    [`${prefix}-Profile-Created-Time`, times ? String(p.profileCreatedUs) : '0'],
    [`${prefix}-Channel-Created-Time`, t(times?.createdUs)],
    [`${prefix}-Channel-Answered-Time`, t(times?.answeredUs)],
    [`${prefix}-Channel-Progress-Time`, t(times?.progressUs)],
    [`${prefix}-Channel-Progress-Media-Time`, t(times?.progressMediaUs)],
    [`${prefix}-Channel-Hangup-Time`, t(times?.hangupUs)],
    [`${prefix}-Channel-Transfer-Time`, t(times?.transferUs)],
    [`${prefix}-Channel-Resurrect-Time`, t(times?.resurrectUs)],
    [`${prefix}-Channel-Bridged-Time`, t(times?.bridgedUs)],
    [`${prefix}-Channel-Last-Hold`, t(times?.lastHoldUs)],
    [`${prefix}-Channel-Hold-Accum`, t(times?.holdAccumUs)],
    [`${prefix}-Screen-Bit`, 'true'],
    [`${prefix}-Privacy-Hide-Name`, 'false'],
    [`${prefix}-Privacy-Hide-Number`, 'false'],
  );
  return h;
}
