/**
 * The Load Test webview: a form of the run's settings (`@vscode-elements/elements` controls; rate,
 * limit and hold apply live) with the weighted call mix and the thresholds as rows, the run's
 * buttons, the preflight's problems with the exact `fsctl` commands, and a dashboard: counts,
 * *not offered* by reason, each threshold's verdict and value, the totals per server, four uPlot
 * time series (offered vs achieved cps, concurrent calls and erlangs, setup latency percentiles,
 * failures by cause), the hangup causes and the first failed calls with a link to their timeline.
 * A comparison of two saved runs adds their cps and setup latency overlaid on the same axes.
 * Every value from the run or the servers goes in as text (../common/dom.ts): nothing here
 * assigns innerHTML.
 */
import './style.css';
import 'uplot/dist/uPlot.min.css';
import uPlot from 'uplot';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import {
  durationProblem,
  formatThresholdValue,
  limitProblem,
  rateProblem,
  type LoadRunSeries,
  type LoadSettings,
  type LoadTarget,
  type LoadTestCommand,
  type LoadTestNotification,
  type LoadTestState,
  type LoadTick,
  type LoadTotals,
} from '../../shared/protocol/loadTest';
import { button, formatCount, h, icon } from '../common/dom';
import { vscodeApi } from '../common/vscodeApi';

const api = vscodeApi<LoadTestCommand>();
const post = (m: LoadTestCommand): void => api.postMessage(m);

/** The vscode-elements controls, as far as this view uses them. */
type TextField = HTMLElement & { value: string; disabled: boolean };
type CheckBox = HTMLElement & { checked: boolean; disabled: boolean };
type Button = HTMLElement & { disabled: boolean };
type Select = HTMLElement & { value: string; disabled: boolean };

let state: LoadTestState | undefined;

// ---- layout (built once; updates set text and properties only) ----
const app = document.getElementById('app')!;
const phaseEl = h('span', { class: 'phase', role: 'status', 'aria-live': 'polite' });
const runIdEl = h('span', { class: 'run-id' });
const errorEl = h('div', { class: 'error', role: 'alert', hidden: true });

/** Labels of the settings that change during a run: `· live` only where a run can be changed. */
const liveLabels: { el: HTMLElement; label: string }[] = [];

function field(id: string, label: string, help: string, opts: { type?: string; live?: boolean } = {}): { wrap: HTMLElement; input: TextField } {
  const input = document.createElement('vscode-textfield') as TextField;
  input.id = id;
  input.setAttribute('aria-label', label);
  if (opts.type) input.setAttribute('type', opts.type);
  input.title = help;
  const lab = document.createElement('vscode-label');
  lab.setAttribute('for', id);
  lab.textContent = opts.live ? `${label} · live` : label;
  if (opts.live) liveLabels.push({ el: lab, label });
  const wrap = h('div', { class: 'field' }, lab, h('div', { class: 'control' }, input));
  return { wrap, input };
}

const serversBox = h('div', { class: 'servers', role: 'group', 'aria-label': 'Servers' });
const rate = field('rate', 'Rate (calls/s)', 'Calls per second offered; applies live (Enter or leave the field)', { type: 'number', live: true });
const limit = field('limit', 'Limit (calls up)', 'Most calls in progress at once; applies live', { type: 'number', live: true });
const hold = field('hold', 'Hold (s)', 'How long an answered call is held; applies live to calls answered afterwards', { type: 'number', live: true });
const holdAuto = document.createElement('vscode-checkbox') as CheckBox;
holdAuto.setAttribute('label', 'auto');
holdAuto.id = 'hold-auto';
holdAuto.title = 'auto: limit / rate, less the measured setup time, so the limit is reached without refusals';
hold.wrap.querySelector('.control')!.append(holdAuto);
const maxOffered = field('max-offered', 'Max offered (0: no end)', 'Stop offering after this many calls', { type: 'number' });
const runTime = field('run-time', 'Run time (s, 0: no end)', 'Stop offering after this long', { type: 'number' });
const ramp = field('ramp', 'Ramp (s)', 'Time to reach the rate from 0', { type: 'number' });
const balance = document.createElement('vscode-single-select') as Select;
balance.id = 'balance';
balance.setAttribute('aria-label', 'Balance');
balance.title = 'How calls are spread over the servers: in turn, or to the one with the fewest calls up';
for (const v of ['round-robin', 'least-loaded']) {
  const o = document.createElement('vscode-option');
  o.setAttribute('value', v);
  o.textContent = v;
  balance.append(o);
}
const balanceLabel = document.createElement('vscode-label');
balanceLabel.setAttribute('for', 'balance');
balanceLabel.textContent = 'Balance';
const balanceField = h('div', { class: 'field' }, balanceLabel, h('div', { class: 'control' }, balance));

// ---- the call mix: one row per target, in proportion to the weights (as `fsdev load --dest D*W`) ----
interface MixRow {
  el: HTMLElement;
  destination: TextField;
  endpoint: TextField;
  app: TextField;
  weight: TextField;
  share: HTMLElement;
  remove: HTMLButtonElement;
  /** What the form does not edit (a profile's name and variables) rides along unchanged. */
  kept: Pick<LoadTarget, 'name' | 'variables'>;
}
let mixRows: MixRow[] = [];
const mixBody = h('div', { class: 'mix-rows', role: 'rowgroup' });

/** A text field of a row; its aria-label names the row's place and is set when rows change. */
function cellField(cls: string, help: string, value: string, type?: string): TextField {
  const input = document.createElement('vscode-textfield') as TextField;
  input.className = cls;
  if (type) input.setAttribute('type', type);
  input.title = help;
  input.value = value;
  return input;
}

function mixRow(t: LoadTarget): MixRow {
  const row: MixRow = {
    el: h('div', { class: 'mix-row', role: 'row' }),
    destination: cellField('mix-destination', 'The number dialled, e.g. 9664', t.destination),
    endpoint: cellField('mix-endpoint', 'loopback, loopback/CONTEXT, user, user/DOMAIN, sofia/PROFILE or gateway/NAME', t.endpoint),
    app: cellField('mix-app', 'What the originated leg runs: park, echo, playback:FILE (NAME:ARGUMENT)', t.appArg ? `${t.app}:${t.appArg}` : t.app),
    weight: cellField('mix-weight', 'Its share of the calls relative to the other rows', String(t.weight), 'number'),
    share: h('span', { class: 'mix-share num', role: 'cell' }),
    remove: button('trash', 'Remove row'),
    kept: { ...(t.name !== undefined ? { name: t.name } : {}), ...(t.variables !== undefined ? { variables: t.variables } : {}) },
  };
  const vars = Object.keys(t.variables ?? {}).length;
  const note = [t.name, vars ? `${vars} variable${vars === 1 ? '' : 's'}` : ''].filter(Boolean).join(' · ');
  row.el.append(
    ...[row.destination, row.endpoint, row.app, row.weight].map((f) => h('span', { role: 'cell' }, f)),
    row.share,
    h('span', { role: 'cell', class: 'mix-actions' }, row.remove, note ? h('span', { class: 'muted mix-note', title: Object.entries(t.variables ?? {}).map(([k, v]) => `${k}=${String(v)}`).join('\n') }, note) : undefined),
  );
  row.weight.addEventListener('input', () => updateShares());
  row.remove.addEventListener('click', () => {
    mixRows = mixRows.filter((r) => r !== row);
    row.el.remove();
    updateShares();
  });
  return row;
}

function setMix(targets: readonly LoadTarget[]): void {
  mixRows = [];
  for (const t of targets) mixRows.push(mixRow(t));
  mixBody.replaceChildren(...mixRows.map((r) => r.el));
  updateShares();
}

/** After rows come or go or a weight changes: labels by place, each row's share in % of the calls. */
function updateShares(): void {
  const weights = mixRows.map((r) => Number(r.weight.value));
  const total = weights.reduce((a, w) => a + (Number.isFinite(w) && w > 0 ? w : 0), 0);
  mixRows.forEach((r, i) => {
    // Labels follow the rows' places, so "Remove row 2" is the second row after a removal too.
    for (const [f, label] of [[r.destination, 'Destination'], [r.endpoint, 'Endpoint'], [r.app, 'Application'], [r.weight, 'Weight']] as const) f.setAttribute('aria-label', `${label}, row ${i + 1}`);
    r.remove.setAttribute('aria-label', `Remove row ${i + 1}`);
    r.remove.title = `Remove row ${i + 1}`;
    const w = weights[i]!;
    r.share.textContent = total > 0 && Number.isFinite(w) && w > 0 ? `${((w / total) * 100).toFixed(w / total >= 0.1 ? 0 : 1)} %` : '–';
  });
  applyRowsLocked();
}

function readMix(): LoadTarget[] {
  return mixRows.map((r) => {
    const app = r.app.value.trim();
    const colon = app.indexOf(':');
    const appArg = colon < 0 ? '' : app.slice(colon + 1);
    return {
      destination: r.destination.value,
      endpoint: r.endpoint.value.trim(),
      app: colon < 0 ? app : app.slice(0, colon),
      ...(appArg ? { appArg } : {}),
      weight: r.weight.value.trim() === '' ? NaN : Number(r.weight.value),
      ...r.kept,
    };
  });
}

const addTargetBtn = button('add', 'Add Destination', { showLabel: true });
addTargetBtn.addEventListener('click', () => {
  const last = readMix().at(-1);
  const row = mixRow({ destination: '', endpoint: last?.endpoint ?? 'loopback', app: last?.app ?? 'park', weight: 1 });
  mixRows.push(row);
  mixBody.append(row.el);
  updateShares();
  row.destination.focus();
});

const mixHead = h(
  'div',
  { class: 'mix-row mix-head', role: 'row' },
  ...['Destination', 'Endpoint', 'Application', 'Weight', 'Share', ''].map((t) => h('span', { role: 'columnheader' }, t)),
);
const mixField = h(
  'div',
  { class: 'field wide mix' },
  h('span', { class: 'group-label', id: 'mix-label' }, 'Call mix'),
  h('div', { class: 'mix-table', role: 'table', 'aria-labelledby': 'mix-label' }, mixHead, mixBody),
  h('div', {}, addTargetBtn),
);

// ---- thresholds: one expression a row, checked by the host with fsdev load's parser ----
interface ThresholdRow {
  el: HTMLElement;
  input: TextField;
  remove: HTMLButtonElement;
}
let thresholdRows: ThresholdRow[] = [];
const thresholdBody = h('div', { class: 'threshold-rows' });

function thresholdRow(source: string): ThresholdRow {
  const input = cellField('threshold-input', 'metric op expression: asr>=0.99, setup_p95<250ms, achieved_cps>=0.98*rate, not_offered==0', source);
  input.setAttribute('placeholder', 'e.g. asr>=0.99');
  const row: ThresholdRow = { el: h('div', { class: 'threshold-row' }), input, remove: button('trash', 'Remove threshold') };
  row.el.append(input, row.remove);
  row.remove.addEventListener('click', () => {
    thresholdRows = thresholdRows.filter((r) => r !== row);
    row.el.remove();
    thresholdsChanged();
  });
  return row;
}

/** After rows come or go: labels by place, and the note when there are none. */
function thresholdsChanged(): void {
  thresholdRows.forEach((r, i) => {
    r.input.setAttribute('aria-label', `Threshold ${i + 1}`);
    r.remove.setAttribute('aria-label', `Remove threshold ${i + 1}`);
    r.remove.title = `Remove threshold ${i + 1}`;
  });
  thresholdEmpty.hidden = thresholdRows.length > 0;
  applyRowsLocked();
}

function setThresholds(sources: readonly string[]): void {
  thresholdRows = sources.map((t) => thresholdRow(t));
  thresholdBody.replaceChildren(...thresholdRows.map((r) => r.el));
  thresholdsChanged();
}

const thresholdEmpty = h('span', { class: 'muted' }, 'None: the run passes whatever happens.');
const addThresholdBtn = button('add', 'Add Threshold', { showLabel: true });
addThresholdBtn.addEventListener('click', () => {
  const row = thresholdRow('');
  thresholdRows.push(row);
  thresholdBody.append(row.el);
  thresholdsChanged();
  row.input.focus();
});
const thresholdField = h('div', { class: 'field wide thresholds-field' }, h('span', { class: 'group-label' }, 'Thresholds'), thresholdEmpty, thresholdBody, h('div', {}, addThresholdBtn));

let formLocked = false;
/** The mix and threshold rows are fixed while a run goes and in a saved run; the mix's last row cannot go. */
function applyRowsLocked(): void {
  for (const r of mixRows) {
    for (const f of [r.destination, r.endpoint, r.app, r.weight]) f.disabled = formLocked;
    r.remove.disabled = formLocked || mixRows.length === 1;
  }
  for (const r of thresholdRows) {
    r.input.disabled = formLocked;
    r.remove.disabled = formLocked;
  }
  addTargetBtn.disabled = formLocked;
  addThresholdBtn.disabled = formLocked;
}

function makeButton(label: string, cmd: () => void, secondary = true): Button {
  const b = document.createElement('vscode-button') as Button;
  b.textContent = label;
  if (secondary) b.setAttribute('secondary', '');
  b.addEventListener('click', () => {
    if (!b.disabled) cmd();
  });
  return b;
}

const startBtn = makeButton('Start', () => start(), false);
const pauseBtn = makeButton('Pause', () => post({ type: 'pause' }));
const resumeBtn = makeButton('Resume', () => post({ type: 'resume' }));
const stopBtn = makeButton('Stop', () => post({ type: 'stop' }));
const hangupBtn = makeButton("Hang Up This Run's Calls", () => post({ type: 'hangup' }));
const folderBtn = makeButton('Open Run Folder', () => post({ type: 'openRunFolder' }));

const form = h(
  'section',
  { class: 'form', 'aria-label': 'Settings' },
  h('div', { class: 'field servers-field' }, h('span', { class: 'group-label', id: 'servers-label' }, 'Servers'), serversBox),
  rate.wrap,
  limit.wrap,
  hold.wrap,
  maxOffered.wrap,
  runTime.wrap,
  ramp.wrap,
  balanceField,
  mixField,
  thresholdField,
);
serversBox.setAttribute('aria-labelledby', 'servers-label');
const buttons = h('div', { class: 'buttons' }, startBtn, pauseBtn, resumeBtn, stopBtn, hangupBtn, folderBtn);

const preflightEl = h('section', { class: 'preflight', 'aria-label': 'Preflight', hidden: true });

const statsEl = h('section', { class: 'stats', 'aria-label': 'Totals' });
const verdictsEl = h('section', { class: 'verdicts', 'aria-label': 'Thresholds', hidden: true });
const perServerEl = h('section', { class: 'per-server', 'aria-label': 'Per server', hidden: true });
const comparisonEl = h('section', { class: 'comparison', 'aria-label': 'Runs compared', hidden: true });
const notOfferedEl = h('section', { class: 'not-offered', 'aria-label': 'Not offered by reason' });
const chartsEl = h('section', { class: 'charts', 'aria-label': 'Charts' });
const causesEl = h('section', { class: 'causes', 'aria-label': 'Hangup causes' });
const failuresEl = h('section', { class: 'failures', 'aria-label': 'First failed calls' });
const warningsEl = h('section', { class: 'warnings', 'aria-label': 'Warnings', hidden: true });

app.append(
  h('header', { class: 'head' }, h('h1', {}, 'Load Test'), phaseEl, runIdEl),
  form,
  buttons,
  errorEl,
  preflightEl,
  comparisonEl,
  notOfferedEl,
  statsEl,
  verdictsEl,
  perServerEl,
  chartsEl,
  h('div', { class: 'tables' }, causesEl, failuresEl),
  warningsEl,
);

// ---- form ----
function num(f: { input: TextField }): number {
  const t = f.input.value.trim();
  return t === '' ? NaN : Number(t);
}

function showError(message: string | undefined): void {
  errorEl.hidden = !message;
  errorEl.textContent = message ?? '';
}

function readSettings(): LoadSettings | string {
  const servers = checkedServers();
  if (servers.length === 0) return 'Pick at least one connected server.';
  const r = num(rate);
  const l = num(limit);
  const d = holdAuto.checked ? 'auto' : num(hold) * 1000;
  const problem = rateProblem(r) ?? limitProblem(l) ?? durationProblem(d);
  if (problem) return problem;
  return {
    servers,
    rate: r,
    limit: l,
    durationMs: d,
    maxOffered: num(maxOffered),
    runTimeMs: num(runTime) * 1000,
    rampMs: num(ramp) * 1000,
    balance: balance.value === 'least-loaded' ? 'least-loaded' : 'round-robin',
    // The host checks the mix and parses the thresholds (fsdev load's parser) and says what is wrong.
    targets: readMix(),
    thresholds: thresholdRows.map((r) => r.input.value.trim()).filter((t) => t !== ''),
  };
}

function start(): void {
  const s = readSettings();
  if (typeof s === 'string') return showError(s);
  showError(undefined);
  post({ type: 'start', settings: s });
}

/** Rate, limit and hold apply as soon as they change (the host checks them again). */
function live(which: 'rate' | 'limit' | 'hold'): void {
  if (which === 'rate') {
    const v = num(rate);
    const p = rateProblem(v);
    if (p) return showError(p);
    post({ type: 'set', rate: v });
  } else if (which === 'limit') {
    const v = num(limit);
    const p = limitProblem(v);
    if (p) return showError(p);
    post({ type: 'set', limit: v });
  } else {
    const v = holdAuto.checked ? 'auto' : num(hold) * 1000;
    const p = durationProblem(v);
    if (p) return showError(p);
    post({ type: 'set', durationMs: v });
  }
  showError(undefined);
}
rate.input.addEventListener('change', () => live('rate'));
limit.input.addEventListener('change', () => live('limit'));
hold.input.addEventListener('change', () => live('hold'));
holdAuto.addEventListener('change', () => {
  hold.input.disabled = holdAuto.checked;
  live('hold');
});

/** The settingsRevision last put in the form: a snapshot with the same one (a server connected, a warning) keeps the user's edits. */
let filledRevision: number | undefined;

function checkedServers(): string[] {
  return [...serversBox.querySelectorAll<CheckBox>('vscode-checkbox')].filter((c) => c.checked).map((c) => c.dataset['server']!);
}

/**
 * The servers the user ticked, kept apart from the boxes: a server that disconnects shows an
 * unticked, disabled box, and its tick comes back when it reconnects.
 */
let wantedServers = new Set<string>();
serversBox.addEventListener('change', (e) => {
  const box = e.target as CheckBox;
  const name = box.dataset['server'];
  if (name === undefined) return;
  if (box.checked) wantedServers.add(name);
  else wantedServers.delete(name);
});

function fillForm(s: LoadTestState): void {
  const st = s.settings;
  const refill = s.settingsRevision !== filledRevision;
  filledRevision = s.settingsRevision;
  if (refill) {
    rate.input.value = String(st.rate);
    limit.input.value = String(st.limit);
    holdAuto.checked = st.durationMs === 'auto';
    hold.input.value = st.durationMs === 'auto' ? '' : String(st.durationMs / 1000);
    maxOffered.input.value = String(st.maxOffered);
    runTime.input.value = String(st.runTimeMs / 1000);
    ramp.input.value = String(st.rampMs / 1000);
    balance.value = st.balance;
    setMix(st.targets);
    setThresholds(st.thresholds);
  }
  if (refill) wantedServers = new Set(st.servers);
  serversBox.replaceChildren();
  const names = s.mode === 'saved' ? st.servers.map((n) => ({ name: n, label: n, connected: true })) : s.servers;
  if (names.length === 0) serversBox.append(h('span', { class: 'muted' }, 'No servers configured: add one in the Servers view.'));
  for (const srv of names) {
    const c = document.createElement('vscode-checkbox') as CheckBox;
    c.dataset['server'] = srv.name;
    c.setAttribute('label', srv.connected ? srv.label : `${srv.label}: not connected`);
    c.checked = wantedServers.has(srv.name) && srv.connected;
    c.disabled = !srv.connected;
    serversBox.append(c);
  }
}

function applyPhase(s: LoadTestState): void {
  const phase = s.phase;
  phaseEl.textContent = s.mode === 'saved' ? 'saved run' : phase;
  phaseEl.className = `phase phase-${phase}`;
  runIdEl.textContent = s.runId ? `run ${s.runId}` : '';
  const running = phase === 'connecting' || phase === 'preflight' || phase === 'originating' || phase === 'paused' || phase === 'stopping';
  const saved = s.mode === 'saved';
  startBtn.disabled = running || saved;
  pauseBtn.disabled = phase !== 'originating';
  resumeBtn.disabled = phase !== 'paused';
  stopBtn.disabled = !running || phase === 'stopping';
  hangupBtn.disabled = !(phase === 'originating' || phase === 'paused' || phase === 'stopping');
  folderBtn.disabled = !s.runDir;
  for (const b of [startBtn, pauseBtn, resumeBtn, stopBtn, hangupBtn]) b.hidden = saved;
  for (const l of liveLabels) l.el.textContent = saved ? l.label : `${l.label} · live`;
  // Settings that shape the run are fixed while it goes; rate, limit and hold stay live.
  for (const f of [maxOffered, runTime, ramp]) f.input.disabled = running || saved;
  balance.disabled = running || saved;
  formLocked = running || saved;
  applyRowsLocked();
  // A saved run's rows are read only: no add or remove buttons.
  form.classList.toggle('saved', saved);
  for (const f of [rate, limit]) f.input.disabled = saved;
  hold.input.disabled = saved || holdAuto.checked;
  holdAuto.disabled = saved;
  for (const c of serversBox.querySelectorAll<CheckBox>('vscode-checkbox')) c.disabled = running || saved || c.getAttribute('label')!.endsWith(': not connected');
}

// ---- preflight ----
function renderPreflight(s: LoadTestState): void {
  const p = s.preflight;
  preflightEl.hidden = !(p && s.phase === 'preflight');
  if (!p || preflightEl.hidden) return preflightEl.replaceChildren();
  const list = h('ul', {});
  for (const srv of p.servers) {
    for (const problem of srv.problems) list.append(h('li', {}, `${srv.server}: ${problem}`));
    if (srv.error) list.append(h('li', {}, `${srv.server}: ${srv.error}`));
  }
  const commands = p.servers.flatMap((srv) => srv.commands.map((c) => `${srv.server}: ${c}`));
  const apply = makeButton('Apply Limits', () => post({ type: 'applyLimits' }), false);
  apply.title = 'Runs the commands above on the servers (until FreeSWITCH restarts), then starts';
  const anyway = makeButton('Start Anyway', () => post({ type: 'ignoreLimits' }));
  anyway.title = 'Calls over the limits fail with DESTINATION_OUT_OF_ORDER';
  const cancel = makeButton('Cancel', () => post({ type: 'cancel' }));
  const showCommands = commands.length > 0 && !p.blocking;
  preflightEl.replaceChildren(
    h('h2', {}, p.blocking ? 'Not started: fix these problems first' : 'The servers would refuse part of this run'),
    list,
    h('div', { hidden: !showCommands }, h('p', {}, 'Apply Limits runs these commands (fs_cli -x "…" does the same):'), h('pre', { class: 'commands' }, commands.join('\n'))),
    h('div', { class: 'buttons' }, p.blocking ? undefined : apply, p.blocking ? undefined : anyway, cancel),
  );
}

// ---- numbers ----
const REASONS: [string, string, string][] = [
  ['limit', 'limit', 'the limit of calls up was reached'],
  ['backlog', 'backlog', 'every server had too many originates waiting'],
  ['no-server', 'no server', 'no server was connected'],
  ['late', 'late', 'the generator itself was more than 1 s late'],
];

function percent(x: number): string {
  return `${(x * 100).toFixed(x >= 0.999 || x === 0 ? 0 : 1)} %`;
}

function stat(label: string, value: string, cls = ''): HTMLElement {
  return h('div', { class: `stat ${cls}` }, h('div', { class: 'stat-value' }, value), h('div', { class: 'stat-label' }, label));
}

function renderTotals(t: LoadTotals | undefined): void {
  renderVerdicts(t);
  renderPerServer(t);
  if (!t) {
    statsEl.replaceChildren();
    notOfferedEl.replaceChildren();
    causesEl.replaceChildren();
    failuresEl.replaceChildren();
    return;
  }
  statsEl.replaceChildren(
    stat('rate now', `${t.currentRate.toFixed(t.currentRate < 10 ? 1 : 0)}/s of ${t.rate}/s`),
    stat('elapsed', `${Math.floor(t.elapsedS)} s`),
    stat('offered', formatCount(t.offered)),
    stat('answered', formatCount(t.answered)),
    stat('failed', formatCount(t.failed), t.failed > 0 ? 'bad' : ''),
    stat('in progress', `${formatCount(t.inProgress)} / ${formatCount(t.limit)}`),
    stat('ASR', t.answered + t.failed > 0 ? percent(t.asr) : '–'),
    stat('setup p95', t.setupP95 === null ? '–' : `${Math.round(t.setupP95)} ms`),
    stat('hold', `${(t.durationMs / 1000).toFixed(t.durationMs < 10_000 ? 2 : 0)} s`),
  );
  notOfferedEl.replaceChildren(
    h('div', { class: `not-offered-total${t.notOffered > 0 ? ' bad' : ''}` }, h('span', { class: 'big' }, formatCount(t.notOffered)), h('span', {}, ' not offered')),
    ...REASONS.map(([key, label, why]) => {
      const n = t.notOfferedByReason[key] ?? 0;
      return h('div', { class: `reason${n > 0 ? ' bad' : ''}`, title: why }, h('span', { class: 'big' }, formatCount(n)), h('span', {}, ` ${label}`));
    }),
  );
  const causes = Object.entries(t.hangupCauses).sort((a, b) => b[1] - a[1]);
  const ended = causes.reduce((a, [, n]) => a + n, 0);
  causesEl.replaceChildren(
    h('h2', { id: 'causes-h' }, 'Hangup causes'),
    causes.length === 0
      ? h('p', { class: 'muted' }, 'No call has ended yet.')
      : h(
          'table',
          { 'aria-labelledby': 'causes-h' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Cause'), h('th', { scope: 'col', class: 'num' }, 'Calls'), h('th', { scope: 'col', class: 'num' }, 'Share'))),
          h('tbody', {}, ...causes.map(([cause, n]) => h('tr', {}, h('td', {}, cause), h('td', { class: 'num' }, formatCount(n)), h('td', { class: 'num' }, `${((n / ended) * 100).toFixed(1)} %`)))),
        ),
  );
  failuresEl.replaceChildren(
    h('h2', { id: 'failures-h' }, 'First failed calls'),
    t.firstFailures.length === 0
      ? h('p', { class: 'muted' }, 'None.')
      : h(
          'ul',
          { 'aria-labelledby': 'failures-h' },
          ...t.firstFailures.map((f) => {
            const link = h('a', { href: '#', class: 'link', title: `Open the timeline of ${f.uuid}` }, f.uuid);
            link.addEventListener('click', (e) => {
              e.preventDefault();
              post({ type: 'openTimeline', server: f.server, uuid: f.uuid });
            });
            return h('li', {}, link, h('span', { class: 'muted' }, ` ${f.server} · ${new Date(f.sentAt).toLocaleTimeString()} · `), h('span', { class: 'cause' }, f.cause));
          }),
        ),
  );
}

/** Each threshold's verdict on the totals: live while the run goes, final once it is over. */
function renderVerdicts(t: LoadTotals | undefined): void {
  const results = t?.thresholds ?? [];
  verdictsEl.hidden = results.length === 0;
  if (results.length === 0) return verdictsEl.replaceChildren();
  const over = state?.phase === 'stopped' || state?.phase === 'failed';
  const failed = results.filter((r) => !r.ok).length;
  const verdict = failed === 0 ? `all ${results.length} pass${over ? 'ed' : ' so far'}` : `${failed} of ${results.length} fail${over ? 'ed' : ' so far'}`;
  verdictsEl.replaceChildren(
    h('h2', { id: 'verdicts-h' }, over ? 'Thresholds: ' : 'Thresholds (live): ', h('span', { class: `verdict-total ${failed ? 'bad' : 'good'}` }, verdict)),
    h(
      'table',
      { 'aria-labelledby': 'verdicts-h' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Threshold'), h('th', { scope: 'col', class: 'num' }, 'Value'), h('th', { scope: 'col', class: 'num' }, 'Against'), h('th', { scope: 'col' }, 'Verdict'))),
      h(
        'tbody',
        {},
        ...results.map((r) =>
          h(
            'tr',
            { class: r.ok ? 'pass' : 'fail' },
            h('td', { class: 'cause' }, r.threshold),
            h('td', { class: 'num' }, formatThresholdValue(r.actual, r.kind)),
            h('td', { class: 'num' }, formatThresholdValue(r.expected, r.kind)),
            h('td', { class: `verdict ${r.ok ? 'good' : 'bad'}` }, icon(r.ok ? 'pass' : 'error'), r.ok ? ' pass' : ' fail'),
          ),
        ),
      ),
    ),
  );
}

/** With several servers, the totals of each. */
function renderPerServer(t: LoadTotals | undefined): void {
  const rows = t?.servers ?? [];
  perServerEl.hidden = rows.length < 2;
  if (perServerEl.hidden) return perServerEl.replaceChildren();
  const col = (label: string, cls = 'num'): HTMLElement => h('th', { scope: 'col', class: cls }, label);
  perServerEl.replaceChildren(
    h('h2', { id: 'per-server-h' }, 'Per server'),
    h(
      'table',
      { 'aria-labelledby': 'per-server-h' },
      h('thead', {}, h('tr', {}, col('Server', ''), col('Offered'), col('Answered'), col('Failed'), col('ASR'), col('Setup p95'), col('Calls up'))),
      h(
        'tbody',
        {},
        ...rows.map((r) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, r.server),
            h('td', { class: 'num' }, formatCount(r.offered)),
            h('td', { class: 'num' }, formatCount(r.answered)),
            h('td', { class: `num${r.failed > 0 ? ' bad' : ''}` }, formatCount(r.failed)),
            h('td', { class: 'num' }, r.answered + r.failed > 0 ? percent(r.asr) : '–'),
            h('td', { class: 'num' }, r.setupP95 === null ? '–' : `${Math.round(r.setupP95)} ms`),
            h('td', { class: 'num' }, formatCount(r.inProgress)),
          ),
        ),
      ),
    ),
  );
}

function renderWarnings(s: LoadTestState): void {
  warningsEl.hidden = s.warnings.length === 0;
  warningsEl.replaceChildren(h('h2', {}, 'Warnings'), h('ul', {}, ...s.warnings.map((w) => h('li', {}, w))));
}

// ---- charts ----
interface Series {
  label: string;
  color: string;
  dash?: number[];
}

interface Chart {
  title: string;
  plot: uPlot | undefined;
  el: HTMLElement;
  /** The section the chart is drawn in: the run's charts or the comparison's. */
  host: HTMLElement;
  series: Series[];
  data(): uPlot.AlignedData;
}

let ticks: LoadTick[] = [];
let comparison: LoadRunSeries[] = [];
let charts: Chart[] = [];
let causeKeys: string[] = [];

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

function palette(): Record<string, string> {
  return {
    blue: cssVar('--vscode-charts-blue', '#3794ff'),
    green: cssVar('--vscode-charts-green', '#89d185'),
    red: cssVar('--vscode-charts-red', '#f14c4c'),
    yellow: cssVar('--vscode-charts-yellow', '#cca700'),
    orange: cssVar('--vscode-charts-orange', '#d18616'),
    purple: cssVar('--vscode-charts-purple', '#b180d7'),
    fg: cssVar('--vscode-foreground', '#cccccc'),
    grid: cssVar('--vscode-panel-border', '#80808040'),
  };
}

/** The failure causes charted: the four most frequent so far (the rest as `other`). */
function topCauses(): string[] {
  const count = new Map<string, number>();
  for (const t of ticks) for (const [c, n] of Object.entries(t.failuresByCause)) count.set(c, (count.get(c) ?? 0) + n);
  return [...count.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 4).map(([c]) => c);
}

/** A chart of this run's seconds. */
function tickChart(title: string, series: (Series & { value: (t: LoadTick) => number | null })[]): Chart {
  return {
    title,
    el: h('div', { class: 'chart' }),
    host: chartsEl,
    plot: undefined,
    series,
    data: () => [ticks.map((t) => t.second), ...series.map((s) => ticks.map((t) => s.value(t)))] as uPlot.AlignedData,
  };
}

/**
 * A chart of the compared runs on one time axis (seconds since each run started): each line once
 * per run, the run's name in its legend label, the second run dashed in its own colours.
 */
function overlayChart(title: string, lines: { name: string; colors: [string, string]; value: (t: LoadTick) => number | null }[]): Chart {
  const runs = comparison;
  // The seconds either run has: as many points as ticks, whatever a file says its seconds are.
  const xs = [...new Set(runs.flatMap((r) => r.ticks.map((t) => t.second)))].sort((a, b) => a - b);
  const bySecond = runs.map((r) => new Map(r.ticks.map((t) => [t.second, t])));
  const series = runs.flatMap((r, i) => lines.map((l) => ({ label: `${r.label} ${l.name}`, color: l.colors[i % 2]!, ...(i % 2 ? { dash: [6, 3] } : {}) })));
  return {
    title,
    el: h('div', { class: 'chart' }),
    host: comparisonEl,
    plot: undefined,
    series,
    data: () => [xs, ...bySecond.flatMap((m) => lines.map((l) => xs.map((x) => (m.has(x) ? l.value(m.get(x)!) : null))))] as uPlot.AlignedData,
  };
}

function defineCharts(): Chart[] {
  const c = palette();
  const causeColors = [c.red, c.orange, c.yellow, c.purple];
  const overlays =
    comparison.length < 2
      ? []
      : [
          overlayChart('Calls per second, both runs: offered and achieved', [
            { name: 'offered', colors: [c.blue, c.purple], value: (t) => t.offered },
            { name: 'achieved', colors: [c.green, c.orange], value: (t) => t.answered },
          ]),
          overlayChart('Setup latency, both runs (ms)', [
            { name: 'p50', colors: [c.green, c.orange], value: (t) => t.setupP50 },
            { name: 'p95', colors: [c.blue, c.purple], value: (t) => t.setupP95 },
          ]),
        ];
  return [
    ...overlays,
    tickChart('Calls per second: offered vs achieved', [
      { label: 'target', color: c.fg, value: (t) => t.targetRate, dash: [4, 4] },
      { label: 'offered', color: c.blue, value: (t) => t.offered },
      { label: 'answered', color: c.green, value: (t) => t.answered },
      { label: 'not offered', color: c.orange, value: (t) => t.notOffered },
    ]),
    tickChart('Concurrent calls and erlangs', [
      { label: 'in progress', color: c.blue, value: (t) => t.concurrent },
      { label: 'erlangs', color: c.purple, value: (t) => t.erlangs },
    ]),
    tickChart('Setup latency (ms, calls ended each second)', [
      { label: 'p50', color: c.green, value: (t) => t.setupP50 },
      { label: 'p95', color: c.yellow, value: (t) => t.setupP95 },
      { label: 'p99', color: c.red, value: (t) => t.setupP99 },
    ]),
    tickChart('Failures per second by cause', [
      ...causeKeys.map((cause, i) => ({ label: cause, color: causeColors[i]!, value: (t: LoadTick) => t.failuresByCause[cause] ?? 0 })),
      {
        label: causeKeys.length ? 'other' : 'failed',
        color: c.fg,
        value: (t: LoadTick) => t.failed - causeKeys.reduce((a, k) => a + (t.failuresByCause[k] ?? 0), 0),
      },
    ]),
  ];
}

function buildCharts(): void {
  for (const ch of charts) ch.plot?.destroy();
  causeKeys = topCauses();
  charts = defineCharts();
  const c = palette();
  const figure = (ch: Chart): HTMLElement => h('figure', { class: 'chart-wrap' }, h('figcaption', {}, ch.title), ch.el);
  chartsEl.replaceChildren(...charts.filter((ch) => ch.host === chartsEl).map(figure));
  comparisonEl.hidden = comparison.length < 2;
  comparisonEl.replaceChildren(
    ...(comparisonEl.hidden ? [] : [h('h2', {}, `Runs compared: ${comparison.map((r) => r.label).join(' and ')}`), h('div', { class: 'charts' }, ...charts.filter((ch) => ch.host === comparisonEl).map(figure))]),
  );
  for (const ch of charts) {
    // The grid decides each figure's width; the canvas takes it.
    const width = Math.max(240, ch.el.clientWidth - 4);
    const axis = { stroke: c.fg, grid: { stroke: c.grid, width: 1 }, ticks: { stroke: c.grid, width: 1 } };
    ch.plot = new uPlot(
      {
        width,
        height: 180,
        scales: { x: { time: false } },
        axes: [{ ...axis, label: 's' }, { ...axis }],
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
        series: [{ label: 's' }, ...ch.series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, spanGaps: false, ...(s.dash ? { dash: s.dash } : {}) }))],
      },
      ch.data(),
      ch.el,
    );
  }
}

let drawPending = false;
/** Redraws the charts in the next frame (ticks come once a second; a snapshot may bring thousands). */
function drawCharts(): void {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    const keys = topCauses();
    const overlaid = charts.some((ch) => ch.host === comparisonEl);
    if (charts.length === 0 || keys.join('\n') !== causeKeys.join('\n') || overlaid !== comparison.length >= 2) return buildCharts();
    for (const ch of charts) ch.plot?.setData(ch.data());
  });
}

// Theme changes (VS Code sets the body's class) and resizes rebuild the charts with new colours and widths.
new MutationObserver(() => buildCharts()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
let resizeTimer: ReturnType<typeof setTimeout> | undefined;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => buildCharts(), 150);
});

// ---- messages ----
function render(s: LoadTestState): void {
  state = s;
  fillForm(s);
  applyPhase(s);
  renderPreflight(s);
  renderTotals(s.totals);
  renderWarnings(s);
  showError(s.error);
  ticks = s.ticks.slice();
  comparison = s.comparison ?? [];
  drawCharts();
}

window.addEventListener('message', (e: MessageEvent<LoadTestNotification>) => {
  const m = e.data;
  if (!m || typeof m !== 'object') return;
  switch (m.type) {
    case 'snapshot':
      render(m.state);
      break;
    case 'tick':
      if (!state) return;
      if (state.phase !== m.phase) {
        state.phase = m.phase;
        applyPhase(state);
      }
      // A second already in the snapshot is not drawn twice.
      if (m.tick.second >= 0 && !(ticks.length > 0 && m.tick.second <= ticks[ticks.length - 1]!.second)) {
        ticks.push(m.tick);
        if (ticks.length > 3600) ticks.splice(0, ticks.length - 3600);
        drawCharts();
      }
      renderTotals(m.totals);
      break;
    case 'error':
      showError(m.message);
      break;
  }
});

post({ type: 'ready' });
