/** A timer handle as `LoadClock.setTimeout` returns it. */
export type TimerHandle = unknown;

/**
 * Time as the load generator sees it. `now()` is monotonic (a wall-clock step must not bend the
 * schedule); `wallNow()` stamps records for people. Tests inject a manual clock and fire timers
 * by hand, so send times are exact and nothing sleeps.
 */
export interface LoadClock {
  /** Monotonic milliseconds (fractional), from an arbitrary origin. */
  now(): number;
  /** Milliseconds since the epoch, for records. */
  wallNow(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** `performance.now()` and Node's timers. */
export const systemClock: LoadClock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
