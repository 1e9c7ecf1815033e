import type { LoadClock, TimerHandle } from '../../src/core';

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A LoadClock that moves only when told: `advance(ms)` fires every timer due on the way, in due
 * order, at its own due time, so a test sees exactly when each call would have been sent.
 */
export class ManualClock implements LoadClock {
  private t = 0;
  private nextId = 1;
  private timers: Timer[] = [];

  constructor(private readonly epochMs = 1_800_000_000_000) {}

  now(): number {
    return this.t;
  }

  wallNow(): number {
    return this.epochMs + this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, at: this.t + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Pending timers. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing due timers at their due times. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const t of this.timers) if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.id < next.id))) next = t;
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
  }

  /**
   * As advance(), but lets promise callbacks run after each timer, as they would between two
   * macrotasks of the real event loop (a Job settles through its promise).
   */
  async run(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      let next: Timer | undefined;
      for (const t of this.timers) if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.id < next.id))) next = t;
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
  }

  /** Moves time without firing anything (a stalled event loop), then fires what is due. */
  stall(ms: number): void {
    this.t += ms;
    this.advance(0);
  }
}
