/**
 * Built-in apps, after switchio's: small, each a factory taking options and returning an App to
 * load under an id of your choice. They act on CHANNEL_PARK of the leg they are meant for: callee
 * apps (Echo, ParkAndHold, CalleeBlockOnInvite, CalleeRingback, Bridger) on inbound legs, caller
 * apps (DtmfChecker) on outbound legs, TonePlay on any parked leg.
 */
import type { Client } from '../client';
import type { OriginateOptions } from '../dialString';
import type { Call } from '../models/call';
import type { Session } from '../models/session';
import { Emitter, type Event } from '../util/lifecycle';
import type { App, AppContext } from './app';

/** Long enough for "until hangup": a channel app's EXECUTE_COMPLETE comes when the call ends. */
const UNTIL_HANGUP_MS = 24 * 60 * 60 * 1000;

/** A session that hung up meanwhile makes a failed command moot, not an app error. */
async function unlessEnded(session: Session, action: () => Promise<unknown>): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (!session.ended && session.hangupCause === undefined) throw err;
  }
}

export interface TonePlayOptions {
  /** What to play. Default `tone_stream://%(251,0,1004)` (a 1004 Hz test tone). */
  tone?: string;
  /** Hang up once played. Default true. */
  hangup?: boolean;
}

/** TonePlay (the seed's example): answers a parked leg, plays a tone, hangs up. */
export function tonePlay(options: TonePlayOptions = {}): App {
  const tone = options.tone ?? 'tone_stream://%(251,0,1004)';
  return {
    name: 'TonePlay',
    on: {
      CHANNEL_PARK: (session) =>
        unlessEnded(session, async () => {
          await session.answer();
          await session.playback(tone);
          if (options.hangup !== false) await session.hangup();
        }),
    },
  };
}

/** Echo: answers a parked inbound leg and echoes its media back (the `echo` application) until hangup. */
export function echo(): App {
  return {
    name: 'Echo',
    on: {
      CHANNEL_PARK: (session) => {
        if (session.direction !== 'inbound') return undefined;
        return unlessEnded(session, async () => {
          await session.answer();
          await session.execute('echo', '', { timeoutMs: UNTIL_HANGUP_MS });
        });
      },
    },
  };
}

export interface ParkAndHoldOptions {
  /** What to play, over and over until hangup. Default `local_stream://moh` (FreeSWITCH's `$${hold_music}`). */
  music?: string;
}

/** ParkAndHold: answers a parked inbound leg and plays hold music until the caller hangs up. */
export function parkAndHold(options: ParkAndHoldOptions = {}): App {
  const music = options.music ?? 'local_stream://moh';
  return {
    name: 'ParkAndHold',
    on: {
      CHANNEL_PARK: (session) => {
        if (session.direction !== 'inbound') return undefined;
        return unlessEnded(session, async () => {
          await session.answer();
          // A file ends; a stream may too: start it again until the call ends.
          while (!session.ended && session.hangupCause === undefined) await session.playback(music, { timeoutMs: UNTIL_HANGUP_MS });
        });
      },
    },
  };
}

export interface CalleeBlockOnInviteOptions {
  /** The hangup cause. Default `CALL_REJECTED` (SIP 603). */
  cause?: string;
}

/** CalleeBlockOnInvite: rejects parked inbound legs with a cause, without answering (for testing callers). */
export function calleeBlockOnInvite(options: CalleeBlockOnInviteOptions = {}): App {
  const cause = options.cause ?? 'CALL_REJECTED';
  return {
    name: 'CalleeBlockOnInvite',
    on: {
      CHANNEL_PARK: (session) => (session.direction === 'inbound' && !session.answered ? unlessEnded(session, () => session.hangup(cause)) : undefined),
    },
  };
}

export interface CalleeRingbackOptions {
  /** Answer this long after the ringback started; `Infinity` rings until the caller gives up. Default 1000. */
  answerAfterMs?: number;
  /** `pre_answer` (early media: CHANNEL_PROGRESS_MEDIA, the default) or `ring_ready` (180 Ringing: CHANNEL_PROGRESS). */
  ringback?: 'pre_answer' | 'ring_ready';
}

/** CalleeRingback: sends ringback (pre-answer or ring-ready) to a parked inbound leg, then answers after N ms. */
export function calleeRingback(options: CalleeRingbackOptions = {}): App {
  const after = options.answerAfterMs ?? 1000;
  const ringback = options.ringback ?? 'pre_answer';
  return {
    name: 'CalleeRingback',
    on: {
      CHANNEL_PARK: (session) => {
        if (session.direction !== 'inbound' || session.answered) return undefined;
        return unlessEnded(session, async () => {
          await session.execute(ringback);
          if (!Number.isFinite(after)) return;
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, after)));
          if (!session.ended && session.hangupCause === undefined) await session.answer();
        });
      },
    },
  };
}

export interface BridgerOptions {
  /** Where to send the call: a destination for `client.originate`, or a function of the inbound leg. */
  destination: string | ((session: Session) => string);
  /**
   * Options for the outgoing leg (endpoint, caller id, variables…). Do not give it this app's id:
   * its own inbound leg would be bridged again.
   */
  originate?: Omit<OriginateOptions, 'appId' | 'app' | 'appArg' | 'extension'>;
}

/**
 * Bridger / Proxier: bridges a parked inbound leg to a new call to `destination` (originated with
 * `&park`, then `uuid_bridge`). If the outgoing call fails, the inbound leg is hung up with its cause.
 */
export function bridger(options: BridgerOptions): App {
  let client: Client | undefined;
  return {
    name: 'Bridger',
    setup(context: AppContext) {
      client = context.client;
    },
    on: {
      CHANNEL_PARK: (session) => {
        if (session.direction !== 'inbound' || session.bridgedTo) return undefined;
        return unlessEnded(session, async () => {
          if (!client) throw new Error('Bridger is not loaded');
          const dest = typeof options.destination === 'function' ? options.destination(session) : options.destination;
          const job = client.originate(dest, { ...options.originate, app: 'park' });
          try {
            await job;
          } catch (err) {
            const cause = /([A-Z_]{4,})/.exec(err instanceof Error ? err.message : '')?.[1] ?? 'NORMAL_TEMPORARY_FAILURE';
            await session.hangup(cause);
            return;
          }
          await session.bridge(job.sessUuid!);
        });
      },
    },
  };
}

export interface DtmfCheckerOptions {
  /** The digits sent. Default `0123456789*#`. */
  digits?: string;
  /** How long the digits may take to arrive. Default 10 000 ms. */
  timeoutMs?: number;
  /** Hang the call up once checked. Default true. */
  hangup?: boolean;
}

/** The outcome of one DTMF check. */
export interface DtmfCheckResult {
  /** The call's uuid. */
  readonly callUuid: string;
  /** The leg that sent the digits, and the one they arrived on. */
  readonly senderUuid: string;
  readonly receiverUuid: string;
  readonly sent: string;
  readonly received: string;
  /** True when every digit arrived, in order, and nothing else. */
  readonly ok: boolean;
  /** Why not, when not ok. */
  readonly reason: string | undefined;
}

/** The DtmfChecker app, with its results. */
export interface DtmfCheckerApp extends App {
  /** Every check so far, oldest first. */
  readonly results: readonly DtmfCheckResult[];
  /** Fires once per checked call. */
  readonly onDidCheck: Event<DtmfCheckResult>;
}

/**
 * DtmfChecker: on the originating (outbound) leg, once parked, sends the digits with `sendDtmf`
 * and checks that DTMF events for them arrive on the other leg, in order, within the timeout. The
 * result goes to `results` and `onDidCheck`. Originate into it with `{ appId }` to a destination
 * whose far end stays up (e.g. one that answers and parks).
 */
export function dtmfChecker(options: DtmfCheckerOptions = {}): DtmfCheckerApp {
  const digits = options.digits ?? '0123456789*#';
  const expected = digits.replace(/[wW]/g, '').toUpperCase();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const results: DtmfCheckResult[] = [];
  const emitter = new Emitter<DtmfCheckResult>();
  /** Checks in progress, by the receiving leg's uuid. */
  const pending = new Map<string, { got: string[]; done: () => void }>();

  const check = async (session: Session, call: Call | undefined): Promise<void> => {
    const receiver = call?.peer(session);
    const finish = (received: string, reason: string | undefined): void => {
      const ok = reason === undefined && received === expected;
      const result: DtmfCheckResult = {
        callUuid: call?.uuid ?? session.uuid,
        senderUuid: session.uuid,
        receiverUuid: receiver?.uuid ?? '',
        sent: expected,
        received,
        ok,
        reason: ok ? undefined : (reason ?? `expected ${expected}, received ${received || 'nothing'}`),
      };
      results.push(result);
      emitter.fire(result);
    };
    if (!receiver) return finish('', 'the call has no other leg to receive the digits');
    let timer: NodeJS.Timeout | undefined;
    const state = { got: [] as string[], done: () => undefined as void };
    const arrived = new Promise<boolean>((resolve) => {
      state.done = () => resolve(true);
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    pending.set(receiver.uuid, state);
    try {
      await session.sendDtmf(digits);
      const complete = await arrived;
      finish(state.got.join(''), complete ? undefined : `timed out after ${timeoutMs} ms with ${state.got.join('') || 'nothing'} of ${expected}`);
    } finally {
      clearTimeout(timer);
      pending.delete(receiver.uuid);
    }
    if (options.hangup !== false) await unlessEnded(session, () => (call ? call.hangup() : session.hangup()));
  };

  return {
    name: 'DtmfChecker',
    results,
    onDidCheck: emitter.event,
    on: {
      CHANNEL_PARK: (session, _event, call) => (session.direction === 'outbound' && !pending.has(call?.peer(session)?.uuid ?? '') ? check(session, call) : undefined),
      DTMF: (session, event) => {
        const state = pending.get(session.uuid);
        if (!state) return;
        state.got.push((event.get('DTMF-Digit') ?? '?').toUpperCase());
        if (state.got.length >= expected.length) state.done();
      },
    },
  };
}

/** The built-in app factories by name. */
export const builtinApps = {
  TonePlay: tonePlay,
  Echo: echo,
  ParkAndHold: parkAndHold,
  DtmfChecker: dtmfChecker,
  CalleeBlockOnInvite: calleeBlockOnInvite,
  CalleeRingback: calleeRingback,
  Bridger: bridger,
  /** switchio's name for a Bridger. */
  Proxier: bridger,
} as const;
