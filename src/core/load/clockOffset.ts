/**
 * Maps a switch's event times onto the load generator's clock. Each event carries FreeSWITCH's
 * `Event-Date-Timestamp` (µs, the switch's wall clock); the generator notes when it received it
 * (its monotonic clock). The smallest difference seen is the clocks' offset plus the quickest
 * delivery, as NTP's minimum filter has it, so `toLocal(eventTime)` is when the event would have
 * arrived with no queueing: the generator's own pauses (GC, a busy turn) and the switch's output
 * buffering stay out of the latencies. The minimum is taken over the current and the previous
 * window, so it follows a clock that drifts or steps.
 */
export class ClockOffset {
  private current = Infinity;
  private previous = Infinity;
  private windowStart: number | undefined;

  constructor(private readonly windowMs = 10_000) {}

  /** An event stamped `serverMs` (switch clock) arrived at `localMs` (generator clock). */
  observe(serverMs: number, localMs: number): void {
    if (this.windowStart === undefined) this.windowStart = localMs;
    if (localMs - this.windowStart >= this.windowMs) {
      this.previous = this.current;
      this.current = Infinity;
      this.windowStart = localMs;
    }
    this.current = Math.min(this.current, localMs - serverMs);
  }

  /** The switch time `serverMs` on the generator's clock (Infinity offset: not known yet). */
  toLocal(serverMs: number): number {
    return serverMs + Math.min(this.current, this.previous);
  }
}
