/**
 * The arithmetic of an arrival schedule, pure: when slot n is due. A schedule is a list of
 * segments; a segment starts at a time and a slot index and either holds a rate or ramps linearly
 * from one rate to another, then holds. Slot n of a segment is due when the calls the segment's
 * rate curve has offered since its start reach n - startIndex, so the n-th call goes out at
 * start + n/rate (counted from the segment's start): no accumulated timer drift, no bursts.
 */

/** One piece of the schedule. Times in ms on the load clock, rates in calls per second. */
export interface RateSegment {
  /** When the segment's first slot (`startIndex`) is due. */
  readonly startMs: number;
  readonly startIndex: number;
  /** The rate at the segment's start. */
  readonly fromRate: number;
  /** The rate reached after `rampMs` and held. */
  readonly rate: number;
  /** 0 for a step to `rate`. */
  readonly rampMs: number;
}

/** Calls offered `t` ms into the segment (fractional). */
export function slotsAt(seg: RateSegment, t: number): number {
  if (t <= 0) return 0;
  const s = t / 1000;
  if (seg.rampMs <= 0) return seg.rate * s;
  const r = seg.rampMs / 1000;
  const a = (seg.rate - seg.fromRate) / (2 * r);
  if (s <= r) return seg.fromRate * s + a * s * s;
  return seg.fromRate * r + a * r * r + seg.rate * (s - r);
}

/** When slot `index` (>= startIndex) of the segment is due, in ms on the load clock. */
export function dueAt(seg: RateSegment, index: number): number {
  const j = index - seg.startIndex;
  if (j <= 0) return seg.startMs;
  if (seg.rampMs > 0) {
    const r = seg.rampMs / 1000;
    const a = (seg.rate - seg.fromRate) / (2 * r);
    const b = seg.fromRate;
    const inRamp = b * r + a * r * r;
    if (j <= inRamp) {
      // Root of a·s² + b·s − j = 0, in the form that stays exact when a → 0 or b = 0.
      const s = (2 * j) / (b + Math.sqrt(b * b + 4 * a * j));
      return seg.startMs + s * 1000;
    }
    return seg.startMs + (r + (j - inRamp) / seg.rate) * 1000;
  }
  return seg.startMs + (j / seg.rate) * 1000;
}

/** The rate the segment asks for `t` ms after its start. */
export function rateAt(seg: RateSegment, t: number): number {
  if (seg.rampMs <= 0 || t >= seg.rampMs) return seg.rate;
  if (t <= 0) return seg.fromRate;
  return seg.fromRate + ((seg.rate - seg.fromRate) * t) / seg.rampMs;
}
