/**
 * What `fsdev load` prints: the one-line progress (rewritten in place on a terminal, a plain line
 * a second otherwise) and the summary table at the end. Pure text functions.
 */
import type { CallRecord, LatencyStats, LoadSummary, OriginatorProgress, PoolCounts, ThresholdResult } from '../core';
import { formatThresholdValue } from '../shared/protocol/loadTest';

/** Calls per server, counted from the records as they end. */
export interface ServerTally {
  offered: number;
  answered: number;
  failed: number;
  lost: number;
}

export function tallyRecord(tally: Map<string, ServerTally>, r: CallRecord): void {
  let t = tally.get(r.server);
  if (!t) tally.set(r.server, (t = { offered: 0, answered: 0, failed: 0, lost: 0 }));
  t.offered++;
  if (r.outcome === 'answered') t.answered++;
  else if (r.outcome === 'lost') t.lost++;
  else t.failed++;
}

const fixed = (n: number, d = 1): string => n.toFixed(d);

/** One line of progress, e.g. `originating 12.0s rate 100/s offered 1200 (100.0/s) up 300 …`. */
export function progressLine(p: OriginatorProgress, setupP95Ms: number | undefined): string {
  const last = p.lastSecond;
  const ramp = p.currentRate > 0 && p.currentRate < p.rate - 1e-9 ? ` (ramp ${fixed(p.currentRate)})` : '';
  const parts = [
    `${p.state.padEnd(11)} ${fixed(p.elapsedS)}s`,
    `rate ${fmtRate(p.rate)}/s${ramp}`,
    `offered ${p.offered}${last ? ` (${last.offered}/s)` : ''}`,
    `up ${p.inProgress}/${p.limit}`,
    `answered ${p.answered}`,
    `failed ${p.failed}`,
    `not offered ${p.notOffered}`,
    `hold ${fmtMs(p.durationMs)}`,
  ];
  if (setupP95Ms !== undefined) parts.push(`setup p95 ${fixed(setupP95Ms)}ms`);
  return parts.join('  ');
}

function fmtRate(r: number): string {
  return Number.isInteger(r) ? String(r) : r.toFixed(2);
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${fixed(ms / 1000, ms % 1000 === 0 ? 0 : 1)}s` : `${Math.round(ms)}ms`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd()).join('\n');
}

/** The summary at the end of a run. */
export function summaryText(s: LoadSummary, options: { runId: string; servers: PoolCounts; tally: Map<string, ServerTally>; thresholds: ThresholdResult[] }): string {
  const out: string[] = [];
  out.push(`Load test ${options.runId}: ${s.offered} calls offered in ${fixed(s.elapsedS)} s at ${fmtRate(s.rate)}/s (limit ${s.limit})`);
  out.push('');
  out.push(
    table([
      ['', 'offered', 'not offered', 'answered', 'failed', 'lost', 'offered/s', 'answered/s', 'ASR', 'ACD', 'peak up', 'erlangs'],
      [
        'run',
        String(s.offered),
        String(s.notOffered),
        String(s.answered),
        String(s.failed),
        String(s.lost),
        fixed(s.offeredCps, 2),
        fixed(s.achievedCps, 2),
        `${fixed(s.asr * 100, 2)}%`,
        `${fixed(s.acdS, 2)}s`,
        String(s.peakConcurrent),
        fixed(s.erlangs, 1),
      ],
    ]),
  );
  if (s.notOffered > 0) {
    const by = Object.entries(s.notOfferedByReason)
      .filter(([, n]) => n > 0)
      .map(([r, n]) => `${n} ${r}`)
      .join(', ');
    out.push('', `NOT OFFERED: ${s.notOffered} of ${s.due} calls due (${by})`);
  }
  out.push('');
  const lat = (name: string, l: LatencyStats): string[] => [name, String(l.count), ...[l.p50, l.p90, l.p95, l.p99, l.max, l.mean].map((v) => fixed(v, 2))];
  out.push(
    table([
      ['latency (ms)', 'count', 'p50', 'p90', 'p95', 'p99', 'max', 'mean'],
      lat('setup', s.latency.setup),
      lat('post-dial delay', s.latency.pdd),
      lat('answer', s.latency.answer),
      lat('originate', s.latency.originate),
      lat('call duration', s.latency.duration),
      lat('send lag', s.sendLag),
    ]),
  );
  const causes = Object.entries(s.failuresByCause);
  if (causes.length > 0) {
    out.push('', table([['failures by cause', 'calls'], ...causes.map(([c, n]) => [c, String(n)])]));
  }
  out.push('');
  out.push(
    table([
      ['server', 'offered', 'answered', 'failed', 'lost', 'hangup causes (legs)'],
      ...options.servers.servers.map((c) => {
        const t = options.tally.get(c.server) ?? { offered: 0, answered: 0, failed: 0, lost: 0 };
        const hc = Object.entries(c.hangupCauses)
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => `${k} ${v}`)
          .join(', ');
        return [`${c.server}${c.status === 'ready' ? '' : ` (${c.status})`}`, String(t.offered), String(t.answered), String(t.failed), String(t.lost), hc || '-'];
      }),
    ]),
  );
  for (const w of s.warnings) out.push('', `warning: ${w}`);
  if (options.thresholds.length > 0) {
    out.push('', 'thresholds:');
    for (const t of options.thresholds) out.push(`  ${t.ok ? 'ok    ' : 'BROKEN'} ${t.threshold}  (${formatThresholdValue(t.actual, t.kind)} vs ${formatThresholdValue(t.expected, t.kind)})`);
  }
  return `${out.join('\n')}\n`;
}
