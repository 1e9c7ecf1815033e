/**
 * The call timeline: one lane per session, events as markers in time order, the lane coloured by
 * phase (ringing, answered, bridged), bridges drawn between lanes, and the event's headers on click.
 * Spacing grows with the time between events but is not to scale, so a burst of events in one
 * millisecond stays readable next to a minute of talk time. Event data is set as text only.
 */
import './style.css';
import type { TimelineCommand, TimelineEvent, TimelineNotification, TimelineState } from '../../shared/protocol/timeline';
import { shortUuid } from '../../shared/eventSummary';
import { headerTable } from '../common/detail';
import { button, formatTime, h } from '../common/dom';
import { vscodeApi } from '../common/vscodeApi';

const SVG = 'http://www.w3.org/2000/svg';
const LANE_H = 96;
const LABEL_W = 220;
const TOP = 70;
const MIN_GAP = 34;

const api = vscodeApi<TimelineCommand>();
const post = (m: TimelineCommand): void => api.postMessage(m);

let state: TimelineState | undefined;
let selected: number | undefined;

const title = h('h1', { id: 'title' });
const subtitle = h('div', { class: 'muted', id: 'subtitle' });
const legend = h(
  'div',
  { class: 'legend' },
  ...(['ringing', 'answered', 'bridged'] as const).map((p) => h('span', { class: 'legend-item' }, h('span', { class: `swatch phase-${p}` }), p)),
  h('span', { class: 'legend-item muted' }, 'spacing grows with the time between events; not to scale'),
);
const svgHost = h('div', { class: 'svg-host', id: 'lanes' });
const detailTitle = h('span', { class: 'detail-title', id: 'detail-title' });
const copyButton = button('copy', 'Copy as JSON', { showLabel: true, id: 'copy-json' });
const streamButton = button('list-flat', 'Show in Event Stream', { showLabel: true, id: 'show-in-stream' });
const detailBody = h('div', { class: 'detail-body', id: 'detail-body' }, h('p', { class: 'muted' }, 'Select an event to see its headers.'));
const detail = h('section', { class: 'detail', 'aria-label': 'Event details' }, h('div', { class: 'detail-bar' }, detailTitle, copyButton, streamButton), detailBody);
(document.getElementById('app') ?? document.body).append(h('header', {}, title, subtitle, legend), svgHost, detail);

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

type Phase = 'ringing' | 'answered' | 'bridged' | 'none';

function render(): void {
  if (!state) return;
  title.textContent = state.title;
  const since = state.recordedSinceUs ? ` · recorded since ${formatTime(state.recordedSinceUs)} (earlier events were not seen)` : '';
  subtitle.textContent = `${state.server} · ${state.sessions.length} ${state.sessions.length === 1 ? 'session' : 'sessions'} · ${state.ended ? 'ended' : 'in progress'}${since}`;
  const lanes = new Map(state.sessions.map((s, i) => [s.uuid, i]));
  const events = state.events.filter((e) => lanes.has(e.uuid));
  // x positions: one column per event, the gap growing with the time since the previous one.
  const xs: number[] = [];
  let x = LABEL_W + 30;
  events.forEach((e, i) => {
    if (i > 0) {
      const dtMs = Math.max(0, (e.timeUs - events[i - 1]!.timeUs) / 1000);
      x += MIN_GAP + Math.min(160, 30 * Math.log10(1 + dtMs));
    }
    xs.push(x);
  });
  const width = Math.max(x + 140, 600);
  const height = TOP + state.sessions.length * LANE_H + 30;
  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'group', 'aria-label': 'Call timeline' });
  const t0 = events[0]?.timeUs ?? 0;

  state.sessions.forEach((s, i) => {
    const y = TOP + i * LANE_H + LANE_H / 2;
    root.append(svg('line', { x1: LABEL_W, x2: width - 20, y1: y, y2: y, class: 'lane-axis' }));
    const label = svg('g', { class: 'lane-label' });
    label.append(
      svg('text', { x: 8, y: y - 14, class: 'lane-title' }, s.channelName || shortUuid(s.uuid)),
      svg('text', { x: 8, y: y + 2, class: 'lane-sub' }, `${s.direction} · ${s.caller} → ${s.destination}`),
      svg('text', { x: 8, y: y + 18, class: 'lane-sub' }, s.hangupCause ? `${shortUuid(s.uuid)} · ${s.hangupCause}` : shortUuid(s.uuid)),
    );
    root.append(label);
    // Phase bars.
    let phase: Phase = 'none';
    let from = 0;
    let started = false;
    const bar = (to: number): void => {
      if (started && phase !== 'none' && to > from) root.append(svg('rect', { x: from, y: y - 5, width: to - from, height: 10, rx: 2, class: `phase phase-${phase}` }));
    };
    events.forEach((e, k) => {
      if (e.uuid !== s.uuid) return;
      const next: Phase | 'end' | undefined =
        e.kind === 'create' ? 'none' : e.kind === 'ringing' ? 'ringing' : e.kind === 'answer' ? 'answered' : e.kind === 'bridge' ? 'bridged' : e.kind === 'unbridge' ? 'answered' : e.kind === 'hangup' ? 'end' : undefined;
      if (!started) {
        started = true;
        from = xs[k]!;
      }
      if (next === undefined) return;
      bar(xs[k]!);
      from = xs[k]!;
      if (next === 'end') {
        phase = 'none';
        started = false;
      } else phase = next;
    });
    if (started && !state!.ended) bar(width - 20);
  });

  // Bridges between lanes.
  events.forEach((e, k) => {
    if (e.kind !== 'bridge' || !e.otherUuid || !lanes.has(e.otherUuid)) return;
    const y1 = TOP + lanes.get(e.uuid)! * LANE_H + LANE_H / 2;
    const y2 = TOP + lanes.get(e.otherUuid)! * LANE_H + LANE_H / 2;
    root.append(svg('line', { x1: xs[k]!, x2: xs[k]!, y1, y2, class: 'bridge-line' }));
  });

  // Markers with labels.
  events.forEach((e, k) => {
    const lane = lanes.get(e.uuid)!;
    const y = TOP + lane * LANE_H + LANE_H / 2;
    const g = svg('g', { class: `marker k-${e.kind}${e.seq === selected ? ' selected' : ''}`, tabindex: 0, role: 'button', 'data-seq': e.seq, transform: `translate(${xs[k]!},${y})` });
    g.append(svg('title', {}, `${e.name} · ${formatTime(e.timeUs)} · +${((e.timeUs - t0) / 1e6).toFixed(3)} s`));
    g.append(e.kind === 'hangup' ? svg('rect', { x: -6, y: -6, width: 12, height: 12, class: 'dot' }) : svg('circle', { r: e.kind === 'other' || e.kind === 'state' ? 4 : 6, class: 'dot' }));
    g.append(svg('text', { x: 4, y: -12, transform: 'rotate(-35 4 -12)', class: 'marker-label' }, e.label));
    root.append(g);
  });

  // Time axis: relative seconds under the first and every few columns.
  const axisY = TOP - 52;
  let lastLabelX = -Infinity;
  events.forEach((e, k) => {
    if (xs[k]! - lastLabelX < 90) return;
    lastLabelX = xs[k]!;
    root.append(svg('text', { x: xs[k]!, y: axisY, class: 'axis-label', 'text-anchor': 'middle' }, k === 0 ? formatTime(e.timeUs) : `+${((e.timeUs - t0) / 1e6).toFixed(3)} s`));
  });

  svgHost.replaceChildren(root);
  renderDetail();
}

function selectedEvent(): TimelineEvent | undefined {
  return state?.events.find((e) => e.seq === selected);
}

function renderDetail(): void {
  const e = selectedEvent();
  copyButton.disabled = !e;
  streamButton.disabled = !e;
  if (!e) {
    detailTitle.textContent = '';
    detailBody.replaceChildren(h('p', { class: 'muted' }, 'Select an event to see its headers.'));
    return;
  }
  detailTitle.textContent = `${e.name} · ${formatTime(e.timeUs)} · ${shortUuid(e.uuid)}`;
  detailBody.replaceChildren(...headerTable(e.headers, e.body));
}

function select(seq: number | undefined): void {
  selected = seq;
  render();
  const el = svgHost.querySelector<SVGGElement>(`g.marker[data-seq="${seq}"]`);
  el?.focus();
}

svgHost.addEventListener('click', (ev) => {
  const g = (ev.target as Element).closest('g.marker');
  if (g) select(Number(g.getAttribute('data-seq')));
});
svgHost.addEventListener('keydown', (ev) => {
  const g = (ev.target as Element).closest('g.marker');
  if (!g || !state) return;
  const seq = Number(g.getAttribute('data-seq'));
  const idx = state.events.findIndex((e) => e.seq === seq);
  if (ev.key === 'Enter' || ev.key === ' ') select(seq);
  else if (ev.key === 'ArrowRight' && idx < state.events.length - 1) select(state.events[idx + 1]!.seq);
  else if (ev.key === 'ArrowLeft' && idx > 0) select(state.events[idx - 1]!.seq);
  else return;
  ev.preventDefault();
});
copyButton.addEventListener('click', () => {
  if (selected !== undefined) post({ type: 'copyEvent', seq: selected });
});
streamButton.addEventListener('click', () => {
  const e = selectedEvent();
  if (e) post({ type: 'showInStream', uuid: e.uuid });
});

window.addEventListener('message', (ev: MessageEvent<unknown>) => {
  const m = ev.data as TimelineNotification | null;
  if (!m || typeof m !== 'object' || m.type !== 'snapshot') return;
  state = m.state;
  render();
});

post({ type: 'ready' });
