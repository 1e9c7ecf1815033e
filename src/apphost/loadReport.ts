/**
 * report.html of a load run: one self-contained file next to summary.json (no network, opens from
 * disk or as a CI artifact) with the run's charts and tables. uPlot, the panel's chart library, is
 * inlined (uplotText.ts), the per-second ticks are a JSON data island the inline script draws from,
 * and a CSP allows only that script and the one stylesheet, by hash. Every text from the run
 * (server names, causes, destinations, warnings) is escaped: a switch or a profile chose it.
 */
import { createHash } from 'node:crypto';
import type { LatencyStats } from '../core';
import { formatCount as count, formatThresholdValue } from '../shared/protocol/loadTest';
import { escapeHtml } from '../shared/webviewHtml';
import type { LoadRunFile } from './loadRunFile';
import { UPLOT_SCRIPT, UPLOT_STYLE } from './uplotText';

/** JSON inside `<script type="application/json">`: no `<`, `>` or `&` (no value can close the script), no U+2028/9. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Text the run chose (names, endpoints), breakable anywhere so a long one cannot widen the page. */
const text = (s: string): string => `<span class="t">${escapeHtml(s)}</span>`;
const fixed = (n: number, d: number): string => (Number.isFinite(n) ? n.toFixed(d) : '–');
const pct = (ratio: number): string => `${fixed(ratio * 100, 2)} %`;
const ms = (v: number | null): string => (v === null || !Number.isFinite(v) ? '–' : `${v >= 1000 ? count(v) : fixed(v, v >= 100 ? 1 : 2)} ms`);
const seconds = (msValue: number): string => `${Number((msValue / 1000).toPrecision(6))} s`;

/**
 * A table: the head's cells, then rows of cells already HTML (callers escape what the run chose);
 * the columns in `numeric` right-aligned. A row's first cell is its header.
 */
function table(caption: string, head: string[], rows: string[][], numeric: number[]): string {
  const cls = (i: number): string => (numeric.includes(i) ? ' class="num"' : '');
  const th = head.map((h, i) => `<th scope="col"${cls(i)}>${escapeHtml(h)}</th>`).join('');
  const body = rows.length > 0 ? rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${c}</th>` : `<td${cls(i)}>${c}</td>`)).join('')}</tr>`).join('\n') : `<tr><td colspan="${head.length}" class="muted">none</td></tr>`;
  return `<table><caption>${escapeHtml(caption)}</caption><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** Label/value rows (values already HTML). */
function facts(caption: string, rows: [string, string][]): string {
  return `<table class="facts"><caption>${escapeHtml(caption)}</caption><tbody>\n${rows.map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${v}</td></tr>`).join('\n')}\n</tbody></table>`;
}

function runTables(f: LoadRunFile): string {
  const s = f.settings;
  const weights = s.targets.reduce((a, t) => a + t.weight, 0);
  const run = facts('The run', [
    ['Run id', escapeHtml(f.runId)],
    ['Started', escapeHtml(f.startedAt)],
    ['Ended', escapeHtml(f.endedAt)],
    ['Rate', `${escapeHtml(String(s.rate))} calls/s${s.rampMs > 0 ? `, ramp ${seconds(s.rampMs)}` : ''}`],
    ['Limit', `${count(s.limit)} calls up`],
    ['Hold', s.durationMs === 'auto' ? 'auto (limit / rate, less setup)' : seconds(s.durationMs)],
    ['Max offered', s.maxOffered > 0 ? count(s.maxOffered) : 'no end'],
    ['Run time', s.runTimeMs > 0 ? seconds(s.runTimeMs) : 'no end'],
    ['Balance', escapeHtml(s.balance)],
    ['Servers', s.servers.map(text).join(', ') || '–'],
  ]);
  const mix = table(
    'Call mix',
    ['Destination', 'Endpoint', 'Application', 'Name', 'Weight', 'Share'],
    s.targets.map((t) => [
      `<code>${escapeHtml(t.destination)}</code>`,
      text(t.endpoint),
      text(t.appArg !== undefined ? `${t.app} ${t.appArg}` : t.app),
      t.name !== undefined ? text(t.name) : '',
      escapeHtml(String(t.weight)),
      weights > 0 ? pct(t.weight / weights) : '–',
    ]),
    [4, 5],
  );
  return `<section class="tables">${run}${mix}</section>`;
}

function totalsTables(f: LoadRunFile): string {
  const s = f.summary;
  const reasons = Object.entries(s.notOfferedByReason).filter(([, n]) => n > 0);
  const totals = facts('Totals', [
    ['Offered', count(s.offered)],
    ['Not offered', `${count(s.notOffered)}${reasons.length > 0 ? ` (${reasons.map(([r, n]) => `${escapeHtml(r)} ${count(n)}`).join(', ')})` : ''}`],
    ['Answered', count(s.answered)],
    ['Failed', `<span${s.failed > 0 ? ' class="bad"' : ''}>${count(s.failed)}</span>`],
    ['Lost (server dropped)', count(s.lost)],
    ['Achieved vs target rate', `${fixed(s.achievedCps, 2)} answered/s, ${fixed(s.offeredCps, 2)} offered/s, target ${escapeHtml(String(s.rate))}/s`],
    ['ASR', pct(s.asr)],
    ['ACD', `${fixed(s.acdS, 2)} s`],
    ['Peak concurrency', `${count(s.peakConcurrent)} calls up (limit ${count(s.limit)})`],
    ['Erlangs (mean calls up)', fixed(s.erlangs, 1)],
    ['Offering time', `${fixed(s.elapsedS, 1)} s`],
  ]);
  const lat = (name: string, l: LatencyStats): string[] => [escapeHtml(name), count(l.count), ...[l.p50, l.p90, l.p95, l.p99, l.max].map((v) => (l.count > 0 ? ms(v) : '–'))];
  const latency = table('Latency percentiles', ['', 'calls', 'p50', 'p90', 'p95', 'p99', 'max'], [
    lat('setup (sent → answer)', s.latency.setup),
    lat('post-dial delay', s.latency.pdd),
    lat('answer (ringing → answer)', s.latency.answer),
    lat('originate (sent → job)', s.latency.originate),
    lat('call duration', s.latency.duration),
  ], [1, 2, 3, 4, 5, 6]);
  const ended = Object.values(f.totals.hangupCauses).reduce((a, n) => a + n, 0);
  const causes = table(
    'Hangup causes (ended calls)',
    ['Cause', 'Calls', 'Share', 'Failed'],
    Object.entries(f.totals.hangupCauses)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([c, n]) => [`<code>${escapeHtml(c)}</code>`, count(n), ended > 0 ? pct(n / ended) : '–', count(s.failuresByCause[c] ?? 0)]),
    [1, 2, 3],
  );
  return `<section class="tables">${totals}${causes}<div class="wide">${latency}</div></section>`;
}

function serverTable(f: LoadRunFile): string {
  const legs = new Map(f.servers.servers.map((c) => [c.server, c]));
  return table(
    'Per server',
    ['Server', 'Status', 'Offered', 'Answered', 'Failed', 'ASR', 'Setup p95', 'Up at the end', 'Hangup causes (legs)'],
    f.totals.servers.map((r) => {
      const c = legs.get(r.server);
      const hc = c
        ? Object.entries(c.hangupCauses)
            .sort((a, b) => b[1] - a[1])
            .map(([k, n]) => `<code>${escapeHtml(k)}</code> ${count(n)}`)
            .join(', ')
        : '';
      return [text(r.server), escapeHtml(c?.status ?? '–'), count(r.offered), count(r.answered), count(r.failed), r.answered + r.failed > 0 ? pct(r.asr) : '–', ms(r.setupP95), count(r.inProgress), hc || '–'];
    }),
    [2, 3, 4, 5, 6, 7],
  );
}

function thresholdTable(f: LoadRunFile): string {
  if (f.thresholds.length === 0) return '';
  return table(
    'Thresholds',
    ['Threshold', 'Verdict', 'Actual', 'Expected'],
    f.thresholds.map((t) => [`<code>${escapeHtml(t.threshold)}</code>`, t.ok ? '<span class="good">pass</span>' : '<span class="bad">FAIL</span>', formatThresholdValue(t.actual, t.kind), formatThresholdValue(t.expected, t.kind)]),
    [2, 3],
  );
}

function failuresTable(f: LoadRunFile): string {
  if (f.totals.firstFailures.length === 0) return '';
  return table(
    'First failed calls',
    ['Sent (UTC)', 'Server', 'Cause', 'Call UUID'],
    f.totals.firstFailures.map((c) => [escapeHtml(Number.isFinite(c.sentAt) ? new Date(c.sentAt).toISOString() : '–'), text(c.server), `<code>${escapeHtml(c.cause)}</code>`, `<code>${escapeHtml(c.uuid)}</code>`]),
    [],
  );
}

function notes(f: LoadRunFile): string {
  const preflight = (f.preflight?.servers ?? []).flatMap((s) => [...(s.error !== undefined ? [`${s.server}: ${s.error}`] : []), ...s.problems.map((p) => `${s.server}: ${p}`)]);
  const list = (title: string, items: string[]): string => (items.length === 0 ? '' : `<section class="notes"><h2>${escapeHtml(title)}</h2><ul>${items.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul></section>`);
  return list('Warnings', f.summary.warnings) + list('Preflight', preflight);
}

const CHARTS: { id: string; title: string }[] = [
  { id: 'cps', title: 'Calls per second: offered vs achieved, with the target rate' },
  { id: 'up', title: 'Calls up and erlangs' },
  { id: 'setup', title: 'Setup latency per second (ms): p50, p95, p99' },
  { id: 'failures', title: 'Failures per second by cause' },
];

/**
 * Draws the charts from the data island with uPlot, in the colours of the page's scheme; again
 * when the scheme or the width changes, or for print. Plain JS: it runs as written, hashed for the CSP.
 */
const DRAW_SCRIPT = `
(function () {
  'use strict';
  var ticks = JSON.parse(document.getElementById('run-data').textContent);
  var color = function (name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); };
  var counts = {};
  ticks.forEach(function (t) { Object.keys(t.failuresByCause).forEach(function (c) { counts[c] = (counts[c] || 0) + t.failuresByCause[c]; }); });
  var causes = Object.keys(counts).sort(function (a, b) { return counts[b] - counts[a] || (a < b ? -1 : a > b ? 1 : 0); }).slice(0, 4);
  var get = function (k) { return function (t) { return t[k]; }; };
  var charts = {
    cps: [
      { label: 'target', color: '--fg', dash: [4, 4], value: get('targetRate') },
      { label: 'offered', color: '--blue', value: get('offered') },
      { label: 'achieved (answered)', color: '--green', value: get('answered') },
      { label: 'not offered', color: '--orange', value: get('notOffered') }
    ],
    up: [
      { label: 'calls up', color: '--blue', value: get('concurrent') },
      { label: 'erlangs', color: '--purple', value: get('erlangs') }
    ],
    setup: [
      { label: 'p50', color: '--green', value: get('setupP50') },
      { label: 'p95', color: '--yellow', value: get('setupP95') },
      { label: 'p99', color: '--red', value: get('setupP99') }
    ],
    failures: causes.map(function (c, i) {
      return { label: c, color: ['--red', '--orange', '--yellow', '--purple'][i], value: function (t) { return t.failuresByCause[c] || 0; } };
    }).concat([{ label: causes.length ? 'other' : 'failed', color: '--fg', value: function (t) {
      return t.failed - causes.reduce(function (a, c) { return a + (t.failuresByCause[c] || 0); }, 0);
    } }])
  };
  var plots = [];
  function draw() {
    plots.forEach(function (p) { p.destroy(); });
    plots = [];
    var axis = { stroke: color('--fg'), grid: { stroke: color('--grid'), width: 1 }, ticks: { stroke: color('--grid'), width: 1 } };
    var xs = ticks.map(get('second'));
    Object.keys(charts).forEach(function (id) {
      var el = document.getElementById('chart-' + id);
      var series = charts[id];
      plots.push(new uPlot({
        width: Math.max(240, el.clientWidth - 2),
        height: 200,
        scales: { x: { time: false } },
        // Whole seconds on x: a short run would otherwise get ticks at 0.2 s.
        axes: [Object.assign({ label: 's since start', incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600] }, axis), Object.assign({}, axis)],
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
        series: [{ label: 's' }].concat(series.map(function (s) {
          return Object.assign({ label: s.label, stroke: color(s.color), width: 1.5, spanGaps: false }, s.dash ? { dash: s.dash } : {});
        }))
      }, [xs].concat(series.map(function (s) { return ticks.map(s.value); })), el));
    });
  }
  draw();
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', draw);
  matchMedia('print').addEventListener('change', draw);
  var timer;
  addEventListener('resize', function () { clearTimeout(timer); timer = setTimeout(draw, 150); });
})();
`;

/** Light by default, dark by the reader's scheme, light and unboxed on paper. */
const STYLE = `
:root { color-scheme: light dark; --bg: #ffffff; --fg: #24292f; --muted: #6e7781; --grid: #d0d7de; --border: #d0d7de; --bad: #cf222e; --good: #1a7f37;
  --blue: #0969da; --green: #1a7f37; --red: #cf222e; --yellow: #9a6700; --orange: #bc4c00; --purple: #8250df; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0d1117; --fg: #c9d1d9; --muted: #8b949e; --grid: #30363d; --border: #30363d; --bad: #f85149; --good: #3fb950;
    --blue: #58a6ff; --green: #3fb950; --red: #f85149; --yellow: #d29922; --orange: #db6d28; --purple: #bc8cff; }
}
@media print {
  :root { color-scheme: light; --bg: #ffffff; --fg: #000000; --muted: #444444; --grid: #cccccc; --border: #999999; --bad: #b00020; --good: #1a7f37;
    --blue: #0969da; --green: #1a7f37; --red: #cf222e; --yellow: #9a6700; --orange: #bc4c00; --purple: #8250df; }
  body { margin: 0; font-size: 10pt; }
  figure, table, .notes { break-inside: avoid; }
  .charts { grid-template-columns: 1fr 1fr; }
}
html { background: var(--bg); color: var(--fg); }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 16px auto; padding: 0 16px; max-width: 1280px; }
h1 { font-size: 1.4em; margin: 0 0 2px; }
h2 { font-size: 1.1em; margin: 16px 0 6px; }
.muted, caption { color: var(--muted); }
.verdict { font-weight: 600; }
.bad { color: var(--bad); font-weight: 600; }
.good { color: var(--good); font-weight: 600; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.92em; }
code, .t, .notes li { overflow-wrap: anywhere; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 12px; margin: 12px 0; }
figure { margin: 0; border: 1px solid var(--border); border-radius: 4px; padding: 6px; min-width: 0; }
figcaption { font-weight: 600; margin: 0 4px 4px; }
.uplot { font-family: inherit; color: var(--fg); }
.u-legend { font-size: 0.9em; }
.tables { display: grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); gap: 12px 24px; align-items: start; margin: 12px 0; }
.tables > * { min-width: 0; }
.wide { grid-column: 1 / -1; }
table { border-collapse: collapse; width: 100%; margin: 0 0 12px; }
caption { text-align: left; font-weight: 600; padding: 0 0 4px; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid var(--border); vertical-align: top; }
thead th { color: var(--muted); font-weight: 600; }
tbody th { font-weight: normal; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.facts th { width: 45%; color: var(--muted); }
.notes ul { margin: 4px 0; padding-left: 20px; }
`;

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** report.html of a run, complete: charts, tables and the data they come from. */
export function loadReportHtml(f: LoadRunFile): string {
  const script = `${UPLOT_SCRIPT}\n${DRAW_SCRIPT}`;
  const style = `${UPLOT_STYLE}\n${STYLE}`;
  // Only this script and this stylesheet, by hash: nothing from the network, nothing the run's text could add.
  const csp = ["default-src 'none'", `script-src ${sha256(script)}`, `style-src ${sha256(style)}`, "img-src 'none'", "base-uri 'none'", "form-action 'none'"].join('; ');
  const broken = f.thresholds.filter((t) => !t.ok).length;
  const verdict =
    f.thresholds.length === 0 ? '' : broken > 0 ? `<p class="verdict bad">${broken} of ${f.thresholds.length} thresholds failed</p>` : `<p class="verdict good">All ${f.thresholds.length} thresholds passed</p>`;
  const charts = CHARTS.map((c) => `<figure><figcaption>${escapeHtml(c.title)}</figcaption><div class="chart" id="chart-${c.id}"></div></figure>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Load test ${escapeHtml(f.runId)}</title>
<style>${style}</style>
</head>
<body>
<header>
<h1>Load test <code>${escapeHtml(f.runId)}</code></h1>
<p class="muted">${escapeHtml(f.startedAt)} to ${escapeHtml(f.endedAt)} · ${count(f.summary.offered)} calls offered at ${escapeHtml(String(f.settings.rate))}/s to ${f.settings.servers.map(text).join(', ')}${f.ran ? '' : ' · stopped at the preflight: nothing was offered'}</p>
${verdict}
</header>
<section class="charts">
${charts}
</section>
${thresholdTable(f)}
${totalsTables(f)}
${serverTable(f)}
${runTables(f)}
${failuresTable(f)}
${notes(f)}
<p class="muted">Written by FreeSWITCH Dev with summary.json, calls.csv and calls.jsonl in the same folder.</p>
<script type="application/json" id="run-data">${jsonForScript(f.ticks)}</script>
<script>${script}</script>
</body>
</html>
`;
}
