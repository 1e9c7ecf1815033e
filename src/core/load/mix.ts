import type { EndpointSpec } from '../dialString';

/** Where one kind of call goes and what it runs, with its share of the mix. */
export interface CallTarget {
  /** The destination, e.g. `9664`; the endpoint decides the dial string (`loopback/9664`). */
  destination: string;
  /** Default `loopback`. */
  endpoint?: EndpointSpec;
  /** The application the originated leg runs, e.g. `park` (the default), `echo`, `playback`. */
  app?: string;
  appArg?: string;
  /** Channel variables for this kind of call. */
  variables?: Readonly<Record<string, string | number | boolean>>;
  /** Its share relative to the other targets' weights. Default 1. */
  weight?: number;
  /** A label for records and the summary. Default: endpoint/destination. */
  name?: string;
}

/**
 * Picks targets in proportion to their weights, evenly spread: smooth weighted round-robin (as
 * nginx balances upstreams), so a 3:1 mix sends A A B A A A B A…, never A A A A … B B, and the
 * same run sends the same sequence. Deterministic beats random here: a short run or a window of a
 * long one already holds the mix it asked for.
 */
export class TargetMix {
  private readonly targets: readonly CallTarget[];
  private readonly weights: number[];
  private readonly current: number[];
  private readonly total: number;

  constructor(targets: readonly CallTarget[]) {
    if (targets.length === 0) throw new RangeError('the mix needs at least one destination');
    this.targets = targets;
    this.weights = targets.map((t, i) => {
      const w = t.weight ?? 1;
      if (!(Number.isFinite(w) && w > 0)) throw new RangeError(`destination ${i + 1} (${t.destination}): weight must be above 0, not ${String(w)}`);
      return w;
    });
    this.current = targets.map(() => 0);
    this.total = this.weights.reduce((a, b) => a + b, 0);
  }

  next(): CallTarget {
    let best = 0;
    for (let i = 0; i < this.weights.length; i++) {
      this.current[i]! += this.weights[i]!;
      if (this.current[i]! > this.current[best]!) best = i;
    }
    this.current[best]! -= this.total;
    return this.targets[best]!;
  }
}

/** A target's label: its name, else `endpoint/destination`. */
export function targetLabel(target: CallTarget): string {
  if (target.name) return target.name;
  const e = target.endpoint ?? 'loopback';
  const kind = typeof e === 'string' ? e : e.kind;
  return `${kind}/${target.destination}`;
}
