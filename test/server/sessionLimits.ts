/**
 * FreeSWITCH's two limits on new sessions, as switch_core_session_request_uuid() and the timer
 * thread of switch_time.c apply them (capture 17):
 *
 * - sessions per second is a token count, not a sliding window. Every session request takes a
 *   token (`sps = --runtime.sps`) and is refused with `Throttle Error!` when that leaves none
 *   (`sps <= 0`), so a tick of N tokens admits N - 1 sessions; refused requests take tokens too, so
 *   the count goes negative. A once-a-second tick records `last = total - tokens` and refills the
 *   tokens to the total: `fsctl sps N` changes the total only, so it applies from the next tick (a
 *   burst right after lowering it still succeeds, and the next `status` shows a negative rate).
 * - max sessions: a request when `count + 1 > limit` is refused with `Over Session Limit!`.
 *
 * A refused request creates no channel; the caller (originate, mod_loopback) decides what that
 * means for the call.
 */
import type { SimSwitch } from './switchCore';

export interface SessionLimitOptions {
  /** switch.conf.xml `sessions-per-second`: the tokens each tick refills. */
  sessionsPerSecond: number;
  /** switch.conf.xml `max-sessions`. */
  maxSessions: number;
  /** Interval of the tick in ms; 0 = only when tick() is called. */
  tickMs: number;
}

/** Why a session request was refused. */
export type SessionRefusal = 'throttle' | 'limit';

/** C's `%u` of an int32: a negative count prints as its unsigned wrap (HEARTBEAT does this). */
export const unsigned = (n: number): string => String(n >>> 0);

export class SessionLimits {
  /** `runtime.sps_total`. */
  private total: number;
  /** `runtime.sps`: tokens left until the next tick. */
  private tokens: number;
  /** `runtime.sps_last`, `sps_peak`, `sps_peak_fivemin`. */
  private last = 0;
  private peak = 0;
  private peakFiveMin = 0;
  private ticksSinceFiveMin = 0;
  /** `session_manager.session_limit`. */
  private limit: number;
  /** `runtime.sessions_peak_fivemin` (the all-time peak is the switch's). */
  private sessionsPeakFiveMin = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sw: SimSwitch,
    options: SessionLimitOptions,
  ) {
    this.total = Math.max(1, options.sessionsPerSecond);
    this.tokens = this.total;
    this.limit = Math.max(1, options.maxSessions);
    if (options.tickMs > 0) {
      this.timer = setInterval(() => this.tick(), options.tickMs);
      this.timer.unref();
    }
  }

  /**
   * The limits check of switch_core_session_request_uuid: takes a token, then refuses when none
   * was left or when one more session would pass the limit. Undefined means granted. `noLimits`
   * (SOF_NO_LIMITS, the test server's own calls) skips the check.
   */
  request(noLimits = false): SessionRefusal | undefined {
    if (noLimits) return undefined;
    const count = this.sw.channels.size;
    const sps = --this.tokens;
    if (sps <= 0) {
      this.sw.log(2, 'switch_core_session.c', 'switch_core_session_request_uuid', 2422, undefined, `Throttle Error! ${count}`);
      return 'throttle';
    }
    if (count + 1 > this.limit) {
      this.sw.log(2, 'switch_core_session.c', 'switch_core_session_request_uuid', 2429, undefined, `Over Session Limit! ${this.limit}`);
      return 'limit';
    }
    return undefined;
  }

  /** A session was created: the five-minute peak of `status` and HEARTBEAT follows it. */
  noteSessionCount(count: number): void {
    this.sessionsPeakFiveMin = Math.max(this.sessionsPeakFiveMin, count);
  }

  /** The once-a-second tick of switch_time.c: records the last second's rate and refills the tokens. */
  tick(): void {
    if (this.tokens <= 0) {
      this.sw.log(2, 'switch_time.c', 'softtimer_runtime', 1243, undefined, `Over Session Rate of ${this.total}!`);
    }
    this.last = this.total - this.tokens;
    if (this.ticksSinceFiveMin >= 300) {
      this.peakFiveMin = 0;
      this.ticksSinceFiveMin = 0;
      this.sessionsPeakFiveMin = this.sw.channels.size;
    }
    this.ticksSinceFiveMin++;
    this.peakFiveMin = Math.max(this.peakFiveMin, this.last);
    this.peak = Math.max(this.peak, this.last);
    this.tokens = this.total;
  }

  /** `fsctl sps [N]` (SCSC_SPS): a positive N becomes the total from the next tick; the total either way. */
  setSessionsPerSecond(n: number): number {
    if (n > 0) this.total = n;
    return this.total;
  }

  /** `fsctl max_sessions [N]` (switch_core_session_limit): a non-zero N becomes the limit at once. */
  setMaxSessions(n: number): number {
    if (n) this.limit = n;
    return this.limit;
  }

  get sessionsPerSecond(): number {
    return this.total;
  }

  get maxSessions(): number {
    return this.limit;
  }

  /** Tokens left before the next tick (HEARTBEAT's Session-Per-Sec). */
  get tokensLeft(): number {
    return this.tokens;
  }

  /** `last_sps`: the last tick's rate, negative right after sps was lowered. */
  get lastRate(): number {
    return this.last;
  }

  get peakRate(): number {
    return this.peak;
  }

  get peakRateFiveMin(): number {
    return this.peakFiveMin;
  }

  /** `fsctl sps_peak_reset`. */
  resetPeakRate(): void {
    this.peak = 0;
  }

  get sessionsPeakLastFiveMin(): number {
    return this.sessionsPeakFiveMin;
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
