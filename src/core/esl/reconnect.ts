/** How reconnect attempts are spaced: capped exponential backoff with jitter. */
export interface ReconnectPolicy {
  /** Delay before the first attempt. Default 500 ms. */
  initialDelayMs: number;
  /** The cap. Default 10 s. */
  maxDelayMs: number;
  /** Growth per attempt. Default 2. */
  factor: number;
  /** Fraction of the delay randomised either way, so many clients do not reconnect in step. Default 0.2. */
  jitter: number;
}

export const DEFAULT_RECONNECT_POLICY: ReconnectPolicy = {
  initialDelayMs: 500,
  maxDelayMs: 10_000,
  factor: 2,
  jitter: 0.2,
};

/** Delay before reconnect attempt `attempt` (1-based). A pure function of the attempt number. */
export function reconnectDelay(attempt: number, policy: ReconnectPolicy = DEFAULT_RECONNECT_POLICY, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** Math.max(0, attempt - 1));
  const jittered = base * (1 + policy.jitter * (random() * 2 - 1));
  // Reflect what jitter pushed past the cap back below it, so clients at the cap still spread out.
  const delay = jittered > policy.maxDelayMs ? 2 * policy.maxDelayMs - jittered : jittered;
  return Math.max(0, Math.round(delay));
}
