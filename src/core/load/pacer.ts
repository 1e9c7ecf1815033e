import type { LoadClock, TimerHandle } from './clock';
import { dueAt, rateAt, type RateSegment } from './schedule';

/** What the pacer hands out: slot `index`, due at `dueMs`, handed out at `nowMs` (>= dueMs). */
export interface Slot {
  readonly index: number;
  readonly dueMs: number;
  readonly nowMs: number;
}

export interface PacerOptions {
  /** Calls per second; > 0. */
  rate: number;
  /** Time to reach `rate` from 0 at the start, ms. Default 0. */
  rampMs?: number;
  /**
   * A slot whose due time is further behind than this when the pacer gets to it (the process was
   * busy or stalled) is handed out as late instead of being sent in a catch-up burst. Default 1000 ms: a stall shorter than that is caught up, and shows in the send lag.
   */
  maxLagMs?: number;
}

/**
 * Hands out slots on time: slot n at the due time of the schedule (see schedule.ts), measured on
 * a monotonic clock. One timer is armed for the next due slot; when it fires, every slot already
 * due is handed out in order, so a late timer costs latency, never rate. Rate changes take effect
 * from the last slot handed out (the gap to the next slot is the new rate's), pause stops the
 * schedule and resume restarts it where it stood: slots in a pause are never due.
 */
export class Pacer {
  private segment: RateSegment | undefined;
  private next = 0;
  private lastDue: number | undefined;
  private timer: TimerHandle | undefined;
  private running = false;
  /** Inside pump(): a change made by onSlot is picked up by the loop, not by a nested pump. */
  private pumping = false;
  private readonly maxLagMs: number;
  private _rate: number;
  private readonly rampMs: number;

  constructor(
    private readonly clock: LoadClock,
    options: PacerOptions,
    /** A slot is due (`late`: more than maxLagMs behind). Called synchronously, in order. */
    private readonly onSlot: (slot: Slot, late: boolean) => void,
  ) {
    assertRate(options.rate);
    this._rate = options.rate;
    this.rampMs = Math.max(0, options.rampMs ?? 0);
    this.maxLagMs = options.maxLagMs ?? 1000;
  }

  /** The rate the schedule holds (or ramps to). */
  get rate(): number {
    return this._rate;
  }

  /** The rate the schedule asks for now (below `rate` during the ramp). */
  get currentRate(): number {
    if (!this.segment || !this.running) return 0;
    return rateAt(this.segment, this.clock.now() - this.segment.startMs);
  }

  /** Slots handed out so far (sent or not). */
  get slots(): number {
    return this.next;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** The due time of the next slot, while running. */
  get nextDueMs(): number | undefined {
    return this.running && this.segment ? dueAt(this.segment, this.next) : undefined;
  }

  /** Starts the schedule: slot 0 is due at `atMs` (default now). */
  start(atMs?: number): void {
    if (this.running) return;
    const now = atMs ?? this.clock.now();
    this.segment = { startMs: now, startIndex: 0, fromRate: this.rampMs > 0 ? 0 : this._rate, rate: this._rate, rampMs: this.rampMs };
    this.running = true;
    if (!this.pumping) this.pump();
  }

  /** Changes the rate from the last slot handed out on (a ramp in progress ends). */
  setRate(rate: number): void {
    assertRate(rate);
    this._rate = rate;
    if (this.running) {
      this.resegment();
      if (!this.pumping) this.pump();
    }
  }

  /** No slot is due until resume(). */
  pause(): void {
    if (!this.running) return;
    this.running = false;
    this.disarm();
  }

  resume(): void {
    if (this.running || !this.segment) return;
    this.running = true;
    this.resegment();
    if (!this.pumping) this.pump();
  }

  /** For good: no more slots. */
  stop(): void {
    this.running = false;
    this.disarm();
  }

  /**
   * A new segment at the current rate whose first slot is the next one: one gap of the new rate
   * after the last slot handed out, but never in the past, so a rate raised (or a resume after a
   * long pause) does not turn into a catch-up burst.
   */
  private resegment(): void {
    const now = this.clock.now();
    const gap = 1000 / this._rate;
    const start = this.lastDue === undefined ? now : Math.max(now, this.lastDue + gap);
    this.segment = { startMs: start, startIndex: this.next, fromRate: this._rate, rate: this._rate, rampMs: 0 };
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private pump(): void {
    this.disarm();
    this.pumping = true;
    try {
      this.drain();
    } finally {
      this.pumping = false;
    }
  }

  private drain(): void {
    while (this.running && this.segment) {
      const due = dueAt(this.segment, this.next);
      const now = this.clock.now();
      if (due > now) {
        this.timer = this.clock.setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, due - now);
        return;
      }
      const index = this.next++;
      this.lastDue = due;
      // onSlot may pause, stop or change the rate: the loop re-reads the state each time.
      this.onSlot({ index, dueMs: due, nowMs: now }, now - due > this.maxLagMs);
    }
  }
}

function assertRate(rate: number): void {
  if (!(typeof rate === 'number' && Number.isFinite(rate) && rate > 0)) {
    throw new RangeError(`rate must be a number of calls per second above 0, not ${String(rate)}`);
  }
}
