import { NOT_OFFERED_REASONS, type CallRecord, type NotOfferedReason } from './callRecord';
import { LatencyHistogram, type LatencyStats } from './histogram';

/** One second of a run. */
export interface SecondSample {
  /** Seconds since the run started (this sample covers [second, second + 1)). */
  second: number;
  /** The rate the schedule asked for at the end of the second. */
  targetRate: number;
  /** Slots that came due. */
  due: number;
  /** Originates sent (offered cps). */
  offered: number;
  /** Slots due that were not sent. */
  notOffered: number;
  /** Calls answered (achieved cps). */
  answered: number;
  /** Calls that ended failed. */
  failed: number;
  failuresByCause: Record<string, number>;
  /** Calls in progress (sent, not ended) at the end of the second, and the most within it. */
  concurrent: number;
  peakConcurrent: number;
  /** Mean answered calls up during the second (erlangs). */
  erlangs: number;
}

/** The latencies a run measures. */
export interface RunLatencies {
  setup: LatencyStats;
  pdd: LatencyStats;
  answer: LatencyStats;
  originate: LatencyStats;
  duration: LatencyStats;
}

/** What a run did, as thresholds and the summary table read it. */
export interface LoadSummary {
  /** Seconds from start until offering stopped (or until now, while running). */
  elapsedS: number;
  /** The rate asked for (the latest), calls per second. */
  rate: number;
  limit: number;
  /** Slots that came due. */
  due: number;
  offered: number;
  notOffered: number;
  notOfferedByReason: Record<NotOfferedReason, number>;
  answered: number;
  failed: number;
  /** Answered calls whose server's connection dropped before they ended (their end is unknown). */
  lost: number;
  /** Calls that ended (answered and hung up, failed, or lost). */
  ended: number;
  failuresByCause: Record<string, number>;
  /** Failed calls the server's sessions-per-second or max-sessions refused. */
  refusedByLimits: number;
  /** Originates sent per second of offering, and calls answered per second. */
  offeredCps: number;
  achievedCps: number;
  /** Answered / ended attempts (0–1). */
  asr: number;
  /** Mean answered-call duration, seconds. */
  acdS: number;
  peakConcurrent: number;
  /** Mean answered calls up over the offering time. */
  erlangs: number;
  latency: RunLatencies;
  /** Gap between a slot's due time and its send: how late the generator was (ms). */
  sendLag: LatencyStats;
  warnings: string[];
}

const CAUSE = /^[A-Z_0-9]+$/;

/**
 * Aggregates of a run, in memory and bounded: counters, one histogram per latency, one sample per
 * second. Per-call records are not kept here; they stream to a sink.
 */
export class LoadMetrics {
  readonly setup = new LatencyHistogram();
  readonly pdd = new LatencyHistogram();
  readonly answer = new LatencyHistogram();
  readonly originate = new LatencyHistogram();
  readonly duration = new LatencyHistogram();
  readonly sendLag = new LatencyHistogram();

  due = 0;
  offered = 0;
  answered = 0;
  failed = 0;
  lost = 0;
  refusedByLimits = 0;
  endedCalls = 0;
  readonly notOffered: Record<NotOfferedReason, number> = { limit: 0, backlog: 0, 'no-server': 0, late: 0 };
  readonly failuresByCause = new Map<string, number>();
  /** Calls sent and not yet ended. */
  concurrent = 0;
  peakConcurrent = 0;
  /** Answered calls up. */
  private up = 0;
  private upSince = 0;
  private erlangMs = 0;
  private durationSumMs = 0;
  private durationCount = 0;

  /** The second being filled, and the samples of the seconds before. */
  private current: SecondSample;
  private currentErlangMs = 0;
  readonly samples: SecondSample[] = [];
  /** Samples kept; older ones are dropped (an hour at one a second by default). */
  private readonly maxSamples: number;

  constructor(
    /** Run start on the load clock. */
    private readonly startMs: number,
    options: { maxSamples?: number } = {},
  ) {
    this.maxSamples = options.maxSamples ?? 3600;
    this.current = emptySample(0, 0);
    this.upSince = startMs;
  }

  /** A slot came due and was sent (`reason` undefined) or not. */
  slot(nowMs: number, reason: NotOfferedReason | undefined, lagMs: number): void {
    this.due++;
    this.current.due++;
    if (reason) {
      this.notOffered[reason]++;
      this.current.notOffered++;
      return;
    }
    this.offered++;
    this.current.offered++;
    this.sendLag.record(lagMs);
    this.concurrent++;
    this.peakConcurrent = Math.max(this.peakConcurrent, this.concurrent);
    this.current.peakConcurrent = Math.max(this.current.peakConcurrent, this.concurrent);
    void nowMs;
  }

  /** An offered call was answered (its duration starts). */
  answeredCall(nowMs: number): void {
    this.integrate(nowMs);
    this.up++;
    this.answered++;
    this.current.answered++;
  }

  /** A call left the run; its record carries its milestones and latencies. */
  ended(nowMs: number, r: CallRecord): void {
    this.concurrent = Math.max(0, this.concurrent - 1);
    this.endedCalls++;
    if (r.answeredMs !== undefined) {
      this.integrate(nowMs);
      this.up = Math.max(0, this.up - 1);
    }
    if (r.outcome === 'lost') this.lost++;
    else if (r.outcome === 'failed') {
      this.failed++;
      this.current.failed++;
      const cause = CAUSE.test(r.hangupCause) ? r.hangupCause : 'UNKNOWN';
      this.failuresByCause.set(cause, (this.failuresByCause.get(cause) ?? 0) + 1);
      this.current.failuresByCause[cause] = (this.current.failuresByCause[cause] ?? 0) + 1;
      if (r.refusedByLimits) this.refusedByLimits++;
    }
    if (r.setupMs !== undefined) this.setup.record(r.setupMs);
    if (r.pddMs !== undefined) this.pdd.record(r.pddMs);
    if (r.answerLatencyMs !== undefined) this.answer.record(r.answerLatencyMs);
    if (r.originateLatencyMs !== undefined) this.originate.record(r.originateLatencyMs);
    if (r.durationMs !== undefined) {
      this.duration.record(r.durationMs);
      this.durationSumMs += r.durationMs;
      this.durationCount++;
    }
  }

  private integrate(nowMs: number): void {
    const dt = Math.max(0, nowMs - this.upSince);
    this.erlangMs += this.up * dt;
    this.currentErlangMs += this.up * dt;
    this.upSince = nowMs;
  }

  /** Closes the second that ends at `nowMs` (call once a second); returns its sample. */
  closeSecond(nowMs: number, targetRate: number): SecondSample {
    this.integrate(nowMs);
    const s = this.current;
    s.targetRate = targetRate;
    s.concurrent = this.concurrent;
    s.erlangs = Math.round(this.currentErlangMs) / 1000;
    this.samples.push(s);
    if (this.samples.length > this.maxSamples) this.samples.shift();
    this.current = emptySample(s.second + 1, this.concurrent);
    this.currentErlangMs = 0;
    return s;
  }

  /** The summary so far; `elapsedMs` is the offering time the rates are taken over. */
  summary(nowMs: number, elapsedMs: number, rate: number, limit: number, warnings: readonly string[] = []): LoadSummary {
    this.integrate(nowMs);
    // Attempts with a known answer: answered (even if later lost) or failed.
    const endedAttempts = this.answered + this.failed;
    const secs = elapsedMs / 1000;
    const notOffered = NOT_OFFERED_REASONS.reduce((n, r) => n + this.notOffered[r], 0);
    const failuresByCause = Object.fromEntries([...this.failuresByCause].sort((a, b) => b[1] - a[1]));
    return {
      elapsedS: round(secs, 3),
      rate,
      limit,
      due: this.due,
      offered: this.offered,
      notOffered,
      notOfferedByReason: { ...this.notOffered },
      answered: this.answered,
      failed: this.failed,
      lost: this.lost,
      ended: this.endedCalls,
      failuresByCause,
      refusedByLimits: this.refusedByLimits,
      offeredCps: secs > 0 ? round(this.offered / secs, 3) : 0,
      achievedCps: secs > 0 ? round(this.answered / secs, 3) : 0,
      asr: endedAttempts > 0 ? round(this.answered / endedAttempts, 4) : 0,
      acdS: this.durationCount > 0 ? round(this.durationSumMs / this.durationCount / 1000, 3) : 0,
      peakConcurrent: this.peakConcurrent,
      erlangs: nowMs > this.startMs ? round(this.erlangMs / (nowMs - this.startMs), 3) : 0,
      latency: {
        setup: this.setup.stats(),
        pdd: this.pdd.stats(),
        answer: this.answer.stats(),
        originate: this.originate.stats(),
        duration: this.duration.stats(),
      },
      sendLag: this.sendLag.stats(),
      warnings: [...warnings],
    };
  }

  dispose(): void {
    for (const h of [this.setup, this.pdd, this.answer, this.originate, this.duration, this.sendLag]) h.destroy();
  }
}

function emptySample(second: number, concurrent: number): SecondSample {
  return { second, targetRate: 0, due: 0, offered: 0, notOffered: 0, answered: 0, failed: 0, failuresByCause: {}, concurrent, peakConcurrent: concurrent, erlangs: 0 };
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
