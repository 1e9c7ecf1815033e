import { build, type Histogram } from 'hdr-histogram-js';

/** Percentiles of one latency, in ms. */
export interface LatencyStats {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/**
 * A latency histogram in microseconds on HdrHistogram (hdr-histogram-js): fixed memory whatever
 * the number of calls, three significant digits (a value is reported to within 0.1 %), and
 * percentiles read without sorting anything. Histograms of several servers add up exactly.
 */
export class LatencyHistogram {
  private readonly h: Histogram;

  constructor() {
    // 1 µs to an hour to start with; autoResize covers anything longer.
    this.h = build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: true, useWebAssembly: false });
  }

  /** Records a value in ms (negative values, which a clock cannot produce, count as 0). */
  record(ms: number): void {
    this.h.recordValue(Math.max(0, Math.round(ms * 1000)));
  }

  get count(): number {
    return this.h.totalCount;
  }

  /** The value at percentile `p` (0–100), in ms. */
  percentile(p: number): number {
    return this.h.totalCount === 0 ? 0 : this.h.getValueAtPercentile(p) / 1000;
  }

  add(other: LatencyHistogram): void {
    this.h.add(other.h);
  }

  reset(): void {
    this.h.reset();
  }

  stats(): LatencyStats {
    const n = this.h.totalCount;
    if (n === 0) return { count: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 };
    const ms = (us: number): number => Math.round(us) / 1000;
    return {
      count: n,
      mean: ms(this.h.mean),
      p50: ms(this.h.getValueAtPercentile(50)),
      p90: ms(this.h.getValueAtPercentile(90)),
      p95: ms(this.h.getValueAtPercentile(95)),
      p99: ms(this.h.getValueAtPercentile(99)),
      max: ms(this.h.maxValue),
    };
  }

  destroy(): void {
    this.h.destroy();
  }
}
