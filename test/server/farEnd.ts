/**
 * The far end of simulated loopback calls, for load tests: how long each call rings before its
 * extension runs (and answers), and which calls fail with which hangup cause instead. Without it
 * every call answers after `callSetupDelayMs`; with it a run sees realistic timing and a failure
 * mix by cause, reproducibly (a seeded PRNG).
 *
 * Invented: FreeSWITCH's loopback b-leg answers when its dialplan does. Here a ringing far end
 * runs `ring_ready` (CHANNEL_PROGRESS, call state RINGING) and waits; a failing one hangs the
 * b-leg up with the cause, and the originate fails with it as a refused b-leg does (capture 09).
 */
import { seededRandom } from '../support/prng';

/** What one call's far end does. */
export interface FarEndBehaviour {
  /** Ring this long (ring_ready, then wait) before the extension runs. */
  ringMs?: number;
  /** Instead of answering, hang up with this cause (e.g. USER_BUSY, NO_ANSWER, CALL_REJECTED). */
  failCause?: string;
}

/** Decides each call's far end from its destination and origination variables. */
export type FarEnd = (destination: string, variables: ReadonlyMap<string, string>) => FarEndBehaviour | undefined;

export interface FarEndMixOptions {
  /** Ring time in ms: fixed, or uniform in [min, max]. Default 0. */
  ringMs?: number | readonly [number, number];
  /** Fractions of calls that fail, by cause, e.g. `{ USER_BUSY: 0.03, NO_ANSWER: 0.01 }`. */
  failures?: Readonly<Record<string, number>>;
  /** PRNG seed. Default 1. */
  seed?: number;
}

/** A far end with a ring time distribution and a failure mix by cause. */
export function farEndMix(options: FarEndMixOptions): FarEnd {
  const random = seededRandom(options.seed ?? 1);
  const failures = Object.entries(options.failures ?? {});
  const total = failures.reduce((n, [, f]) => n + f, 0);
  if (failures.some(([cause, f]) => !/^[A-Z_0-9]+$/.test(cause) || !(f >= 0)) || total > 1) {
    throw new RangeError(`farEndMix: failures must be CAUSE → fraction, adding up to at most 1: ${JSON.stringify(options.failures)}`);
  }
  const ring = options.ringMs ?? 0;
  return () => {
    const ringMs = typeof ring === 'number' ? ring : ring[0] + random() * (ring[1] - ring[0]);
    let pick = random();
    for (const [cause, f] of failures) {
      if (pick < f) return { ringMs, failCause: cause };
      pick -= f;
    }
    return { ringMs };
  };
}
