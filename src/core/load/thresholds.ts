import type { LatencyStats } from './histogram';
import type { LoadSummary } from './metrics';

/**
 * k6-style pass/fail criteria over a run's summary: `asr>=0.99`, `setup_p95<250ms`,
 * `achieved_cps>=0.98*rate`, `not_offered==0`. A threshold is `expression op expression`; an
 * expression is numbers (with `ms`, `s` or `%`), metric names, `+ - * /` and parentheses. Times
 * are in ms (`acd`, every latency); `s` multiplies by 1000, `%` divides by 100.
 */

/** A bad threshold: what is wrong and where (column, 1-based). */
export class ThresholdError extends Error {
  constructor(
    readonly expression: string,
    readonly column: number,
    reason: string,
  ) {
    super(`threshold ${JSON.stringify(expression)}: ${reason}${column > 0 ? ` (at column ${column})` : ''}`);
    this.name = 'ThresholdError';
  }
}

/** What a threshold's sides measure: a time in ms, a ratio 0–1, or a plain number. */
export type ThresholdKind = 'time' | 'ratio' | 'number';
type Kind = ThresholdKind;
type Op = '<' | '<=' | '>' | '>=' | '==' | '!=';

interface MetricDef {
  kind: Kind;
  read(s: LoadSummary): number;
  help: string;
}

const LATENCIES: Record<string, (s: LoadSummary) => LatencyStats> = {
  setup: (s) => s.latency.setup,
  pdd: (s) => s.latency.pdd,
  answer: (s) => s.latency.answer,
  originate: (s) => s.latency.originate,
  duration: (s) => s.latency.duration,
  send_lag: (s) => s.sendLag,
};
const STATS = ['p50', 'p90', 'p95', 'p99', 'max', 'mean'] as const;

/** Every metric a threshold can name. */
export const THRESHOLD_METRICS: Readonly<Record<string, MetricDef>> = (() => {
  const m: Record<string, MetricDef> = {
    asr: { kind: 'ratio', read: (s) => s.asr, help: 'answered / (answered + failed), 0–1' },
    failure_rate: { kind: 'ratio', read: (s) => (s.answered + s.failed > 0 ? s.failed / (s.answered + s.failed) : 0), help: 'failed / (answered + failed)' },
    not_offered_rate: { kind: 'ratio', read: (s) => (s.due > 0 ? s.notOffered / s.due : 0), help: 'not offered / due' },
    acd: { kind: 'time', read: (s) => s.acdS * 1000, help: 'mean answered-call duration' },
    offered: { kind: 'number', read: (s) => s.offered, help: 'originates sent' },
    not_offered: { kind: 'number', read: (s) => s.notOffered, help: 'slots due that were not sent' },
    answered: { kind: 'number', read: (s) => s.answered, help: 'calls answered' },
    failed: { kind: 'number', read: (s) => s.failed, help: 'calls failed' },
    lost: { kind: 'number', read: (s) => s.lost, help: 'answered calls lost with their server' },
    refused_by_limits: { kind: 'number', read: (s) => s.refusedByLimits, help: 'calls refused by sps or max-sessions' },
    offered_cps: { kind: 'number', read: (s) => s.offeredCps, help: 'originates per second' },
    achieved_cps: { kind: 'number', read: (s) => s.achievedCps, help: 'answered calls per second' },
    rate: { kind: 'number', read: (s) => s.rate, help: 'the rate asked for' },
    limit: { kind: 'number', read: (s) => s.limit, help: 'the concurrency limit' },
    peak_concurrent: { kind: 'number', read: (s) => s.peakConcurrent, help: 'most calls in progress at once' },
    erlangs: { kind: 'number', read: (s) => s.erlangs, help: 'mean answered calls up' },
  };
  for (const [name, get] of Object.entries(LATENCIES)) {
    for (const stat of STATS) m[`${name}_${stat}`] = { kind: 'time', read: (s) => get(s)[stat], help: `${name} latency ${stat}` };
  }
  return m;
})();

type Token = { t: 'num'; v: number; kind: Kind | undefined; col: number } | { t: 'id'; v: string; col: number } | { t: 'op'; v: string; col: number };

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const col = i + 1;
    const num = /^(\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?(ms|s|%)?/i.exec(src.slice(i));
    if (num && /[\d.]/.test(ch)) {
      let v = Number(num[0].slice(0, num[0].length - (num[2]?.length ?? 0)));
      const unit = num[2]?.toLowerCase();
      let kind: Kind | undefined;
      if (unit === 'ms') kind = 'time';
      else if (unit === 's') {
        kind = 'time';
        v *= 1000;
      } else if (unit === '%') {
        kind = 'ratio';
        v /= 100;
      }
      // `250 ms` is fine; `250msx` is not.
      const after = src[i + num[0].length];
      if (after !== undefined && /[A-Za-z_]/.test(after)) throw new ThresholdError(src, i + num[0].length + 1, `unexpected ${JSON.stringify(after)} after the number ${num[0]} (units are ms, s and %)`);
      tokens.push({ t: 'num', v, kind, col });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) {
      tokens.push({ t: 'id', v: id[0], col });
      i += id[0].length;
      continue;
    }
    const op = /^(<=|>=|==|!=|<|>|=|\*|\/|\+|-|\(|\))/.exec(src.slice(i));
    if (op) {
      tokens.push({ t: 'op', v: op[0] === '=' ? '==' : op[0], col });
      i += op[0].length;
      continue;
    }
    throw new ThresholdError(src, col, `unexpected ${JSON.stringify(ch)}`);
  }
  return tokens;
}

type Expr =
  | { e: 'num'; v: number; kind: Kind | undefined }
  | { e: 'metric'; name: string }
  | { e: 'neg'; x: Expr }
  | { e: 'bin'; op: '+' | '-' | '*' | '/'; a: Expr; b: Expr; col: number };

/** A parsed threshold, ready to evaluate against summaries. */
export interface Threshold {
  readonly source: string;
  readonly op: Op;
  /** @internal */
  readonly left: Expr;
  /** @internal */
  readonly right: Expr;
}

/** Parses one threshold; throws ThresholdError saying what is wrong and where. */
export function parseThreshold(source: string): Threshold {
  if (typeof source !== 'string' || source.trim() === '') throw new ThresholdError(String(source), 0, 'is empty; write e.g. asr>=0.99 or setup_p95<250ms');
  if (/[\r\n]/.test(source)) throw new ThresholdError(source, source.search(/[\r\n]/) + 1, 'contains a line break');
  const tokens = tokenize(source);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const fail = (reason: string, tok = peek()): never => {
    throw new ThresholdError(source, tok ? tok.col : source.length + 1, tok ? reason : reason.replace(/^unexpected .*/, 'unexpected end'));
  };
  const primary = (): Expr => {
    const tok = peek();
    if (!tok) return fail('unexpected end: a number or a metric is missing');
    if (tok.t === 'num') {
      pos++;
      return { e: 'num', v: tok.v, kind: tok.kind };
    }
    if (tok.t === 'id') {
      pos++;
      if (!THRESHOLD_METRICS[tok.v]) fail(`unknown metric ${tok.v}${suggest(tok.v)}`, tok);
      return { e: 'metric', name: tok.v };
    }
    if (tok.v === '(') {
      pos++;
      const x = sum();
      if (peek()?.v !== ')') fail(`expected ")"`);
      pos++;
      return x;
    }
    if (tok.v === '-') {
      pos++;
      return { e: 'neg', x: primary() };
    }
    return fail(`unexpected ${JSON.stringify(tok.v)}: a number or a metric is missing`);
  };
  const product = (): Expr => {
    let x = primary();
    for (let tok = peek(); tok?.t === 'op' && (tok.v === '*' || tok.v === '/'); tok = peek()) {
      pos++;
      x = { e: 'bin', op: tok.v, a: x, b: primary(), col: tok.col };
    }
    return x;
  };
  const sum = (): Expr => {
    let x = product();
    for (let tok = peek(); tok?.t === 'op' && (tok.v === '+' || tok.v === '-'); tok = peek()) {
      pos++;
      x = { e: 'bin', op: tok.v, a: x, b: product(), col: tok.col };
    }
    return x;
  };
  const left = sum();
  const opTok = peek();
  if (!opTok || opTok.t !== 'op' || !['<', '<=', '>', '>=', '==', '!='].includes(opTok.v)) {
    return fail(opTok ? `expected a comparison (<, <=, >, >=, ==, !=), not ${JSON.stringify(opTok.v)}` : 'a comparison (<, <=, >, >=, ==, !=) is missing', opTok);
  }
  pos++;
  const right = sum();
  if (pos < tokens.length) fail(`unexpected ${JSON.stringify(String(peek()!.v))} after the threshold`);
  const t: Threshold = { source, op: opTok.v as Op, left, right };
  // Check the kinds now, so `asr<250ms` fails before a run, not after it.
  const lk = kindOf(t.left, source);
  const rk = kindOf(t.right, source);
  if (lk && rk && lk !== rk) throw new ThresholdError(source, opTok.col, `compares a ${lk} with a ${rk}`);
  return t;
}

/** The kind of an expression (undefined: a bare number, fits any). */
function kindOf(x: Expr, source: string): Kind | undefined {
  switch (x.e) {
    case 'num':
      return x.kind;
    case 'metric':
      return THRESHOLD_METRICS[x.name]!.kind;
    case 'neg':
      return kindOf(x.x, source);
    case 'bin': {
      const a = kindOf(x.a, source);
      const b = kindOf(x.b, source);
      if (x.op === '+' || x.op === '-') {
        if (a && b && a !== b) throw new ThresholdError(source, x.col, `adds or subtracts a ${a} and a ${b}`);
        return a ?? b;
      }
      // A ratio scales a quantity (0.98*rate, asr*offered); time/time is a plain number.
      if (x.op === '*') return a === 'ratio' ? (b ?? a) : b === 'ratio' ? (a ?? b) : (a ?? b);
      return !b || b === 'ratio' ? a : undefined;
    }
  }
}

function evaluate(x: Expr, s: LoadSummary): number {
  switch (x.e) {
    case 'num':
      return x.v;
    case 'metric':
      return THRESHOLD_METRICS[x.name]!.read(s);
    case 'neg':
      return -evaluate(x.x, s);
    case 'bin': {
      const a = evaluate(x.a, s);
      const b = evaluate(x.b, s);
      return x.op === '+' ? a + b : x.op === '-' ? a - b : x.op === '*' ? a * b : b === 0 ? NaN : a / b;
    }
  }
}

/** The verdict on one threshold. */
export interface ThresholdResult {
  threshold: string;
  ok: boolean;
  /** The two sides, evaluated. */
  actual: number;
  expected: number;
  /** What they measure, so a display can say `48 ms` or `98.5 %`. */
  kind: ThresholdKind;
}

/** Evaluates thresholds against a summary; a side that cannot be computed (x/0) fails. */
export function evaluateThresholds(thresholds: readonly Threshold[], summary: LoadSummary): ThresholdResult[] {
  return thresholds.map((t) => {
    const a = evaluate(t.left, summary);
    const b = evaluate(t.right, summary);
    const eps = 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
    let ok: boolean;
    switch (t.op) {
      case '<':
        ok = a < b;
        break;
      case '<=':
        ok = a <= b + eps;
        break;
      case '>':
        ok = a > b;
        break;
      case '>=':
        ok = a >= b - eps;
        break;
      case '==':
        ok = Math.abs(a - b) <= eps;
        break;
      case '!=':
        ok = Math.abs(a - b) > eps;
        break;
    }
    if (Number.isNaN(a) || Number.isNaN(b)) ok = false;
    return { threshold: t.source, ok, actual: a, expected: b, kind: kindOf(t.left, t.source) ?? kindOf(t.right, t.source) ?? 'number' };
  });
}

function suggest(name: string): string {
  const names = Object.keys(THRESHOLD_METRICS);
  let best: string | undefined;
  let bestD = Infinity;
  for (const n of names) {
    const d = distance(name.toLowerCase(), n);
    if (d < bestD) {
      bestD = d;
      best = n;
    }
  }
  return best && bestD <= Math.max(2, Math.floor(name.length / 3)) ? ` (did you mean ${best}?)` : ` (known: asr, acd, achieved_cps, offered_cps, not_offered, failed, setup_p95, pdd_p99, …)`;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
