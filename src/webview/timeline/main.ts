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
const LANE_H = 84;
const LABEL_W = 220;
const TOP = 40;
const MIN_GAP = 30;
const MIN_QUIET_GAP = 10;
/** Room right of the last marker for its slanted label. */
const RIGHT_ROOM = 110;

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
  ...(
    [
      ['execute', 'application'],
      ['dtmf', 'DTMF'],
      ['bridge', 'bridge'],
      ['hangup', 'hangup (cause)'],
    ] as const
  ).map(([k, label]) => h('span', { class: 'legend-item' }, h('span', { class: `mk mk-${k}` }), label)),
  h('span', { class: 'legend-item muted' }, 'small dots: other events (hover or click) · spacing grows with the time between events, not to scale'),
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

/** Events drawn as small unlabeled dots (their name is in the tooltip and the detail pane). */
function isQuiet(e: TimelineEvent): boolean {
  return e.kind === 'other' || e.name === 'CHANNEL_CALLSTATE';
}

/** What an event does to its lane's phase bar; undefined = nothing. */
function phaseAfter(e: TimelineEvent): Phase | 'end' | undefined {
  switch (e.kind) {
    case 'create':
      return 'none';
    case 'ringing':
      return 'ringing';
    case 'answer':
      return 'answered';
    case 'bridge':
      return 'bridged';
    case 'unbridge':
      return 'answered';
    case 'hangup':
      return 'end';
    default:
      return undefined;
  }
}

/**
 * x of each event: one column per event, the gap growing with the time since the previous one, then
 * squeezed to fit `available` pixels when it can be (a long call scrolls sideways).
 */
function layout(events: TimelineEvent[], available: number): { xs: number[]; end: number } {
  const base: number[] = [];
  const extra: number[] = [];
  events.forEach((e, i) => {
    if (i === 0) {
      base.push(0);
      extra.push(0);
      return;
    }
    const dtMs = Math.max(0, (e.timeUs - events[i - 1]!.timeUs) / 1000);
    base.push(isQuiet(e) ? MIN_QUIET_GAP : MIN_GAP);
    extra.push(Math.min(160, 30 * Math.log10(1 + dtMs)));
  });
  const sumBase = base.reduce((a, b) => a + b, 0);
  const sumExtra = extra.reduce((a, b) => a + b, 0);
  // First shrink the time-dependent part, then the minimum gaps (down to half).
  let kExtra = 1;
  let kBase = 1;
  if (sumBase + sumExtra > available) {
    kExtra = sumExtra > 0 ? Math.max(0, (available - sumBase) / sumExtra) : 0;
    if (sumBase > available) kBase = Math.max(0.5, available / sumBase);
  }
  const xs: number[] = [];
  let x = LABEL_W + 30;
  events.forEach((_, i) => {
    x += base[i]! * kBase + extra[i]! * kExtra;
    xs.push(x);
  });
  return { xs, end: x };
}

function render(): void {
  if (!state) return;
  title.textContent = state.title;
  const since = state.recordedSinceUs ? ` · recorded since ${formatTime(state.recordedSinceUs)} (earlier events were not seen)` : '';
  subtitle.textContent = `${state.server} · ${state.sessions.length} ${state.sessions.length === 1 ? 'session' : 'sessions'} · ${state.ended ? 'ended' : 'in progress'}${since}`;
  const lanes = new Map(state.sessions.map((s, i) => [s.uuid, i]));
  const events = state.events.filter((e) => lanes.has(e.uuid));
  const available = Math.max(300, (svgHost.clientWidth || window.innerWidth) - LABEL_W - 30 - RIGHT_ROOM);
  const { xs, end } = layout(events, available);
  const width = Math.max(end + RIGHT_ROOM, 600);
  const height = TOP + state.sessions.length * LANE_H + 10;
  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'group', 'aria-label': 'Call timeline' });
  const t0 = events[0]?.timeUs ?? 0;
  const laneY = (i: number): number => TOP + i * LANE_H + LANE_H / 2;

  // Phase changes per lane: its own events, and a bridge or unbridge made on the other leg.
  const changes = new Map<string, Array<{ x: number; to: Phase | 'end' }>>();
  const change = (uuid: string, x: number, to: Phase | 'end'): void => {
    const list = changes.get(uuid) ?? [];
    list.push({ x, to });
    changes.set(uuid, list);
  };
  events.forEach((e, k) => {
    const to = phaseAfter(e);
    if (to !== undefined) change(e.uuid, xs[k]!, to);
    if ((e.kind === 'bridge' || e.kind === 'unbridge') && e.otherUuid && lanes.has(e.otherUuid)) change(e.otherUuid, xs[k]!, e.kind === 'bridge' ? 'bridged' : 'answered');
  });

  state.sessions.forEach((s, i) => {
    const y = laneY(i);
    root.append(svg('line', { x1: LABEL_W, x2: width - 20, y1: y, y2: y, class: 'lane-axis' }));
    const own = events.map((e, k) => (e.uuid === s.uuid ? xs[k]! : -1)).filter((x) => x >= 0);
    if (own.length === 0) return;
    let phase: Phase = 'none';
    let from = own[0]!;
    let ended = false;
    const bar = (to: number): void => {
      if (phase !== 'none' && to > from) root.append(svg('rect', { x: from, y: y - 5, width: to - from, height: 10, rx: 2, class: `phase phase-${phase}` }));
    };
    for (const c of (changes.get(s.uuid) ?? []).sort((a, b) => a.x - b.x)) {
      if (ended) break;
      bar(c.x);
      from = c.x;
      if (c.to === 'end') {
        ended = true;
        phase = 'none';
      } else phase = c.to;
    }
    if (!ended && !state!.ended) bar(width - 20);
  });

  // Bridges between lanes.
  events.forEach((e, k) => {
    if (e.kind !== 'bridge' || !e.otherUuid || !lanes.has(e.otherUuid)) return;
    root.append(svg('line', { x1: xs[k]!, x2: xs[k]!, y1: laneY(lanes.get(e.uuid)!), y2: laneY(lanes.get(e.otherUuid)!), class: 'bridge-line' }));
  });

  // Markers: labeled ones for what matters, small dots for the rest.
  events.forEach((e, k) => {
    const y = laneY(lanes.get(e.uuid)!);
    const quiet = isQuiet(e);
    const g = svg('g', {
      class: `marker k-${e.kind}${quiet ? ' quiet' : ''}${e.seq === selected ? ' selected' : ''}`,
      tabindex: 0,
      role: 'button',
      'aria-label': `${e.name} ${e.label}`,
      'data-seq': e.seq,
      transform: `translate(${xs[k]!},${y})`,
    });
    g.append(svg('title', {}, `${e.name} · ${e.label} · ${formatTime(e.timeUs)} · +${((e.timeUs - t0) / 1e6).toFixed(3)} s`));
    g.append(svg('rect', { x: -8, y: -9, width: 16, height: 18, class: 'hit' }));
    g.append(e.kind === 'hangup' ? svg('rect', { x: -6, y: -6, width: 12, height: 12, class: 'dot' }) : svg('circle', { r: quiet || e.kind === 'state' ? 3.5 : 6, class: 'dot' }));
    if (!quiet || e.seq === selected) g.append(svg('text', { x: 4, y: -12, transform: 'rotate(-35 4 -12)', class: 'marker-label' }, e.label));
    root.append(g);
  });

  // Time axis: relative seconds over the columns, where there is room.
  const axisY = 16;
  let lastLabelX = -Infinity;
  let lastLabelK = -1;
  events.forEach((e, k) => {
    // The first label (a clock time, left-aligned) is wider than the relative ones.
    if (xs[k]! - lastLabelX < (lastLabelK === 0 ? 130 : 90)) return;
    lastLabelX = xs[k]!;
    lastLabelK = k;
    root.append(svg('text', { x: xs[k]!, y: axisY, class: 'axis-label', 'text-anchor': k === 0 ? 'start' : 'middle' }, k === 0 ? formatTime(e.timeUs) : `+${((e.timeUs - t0) / 1e6).toFixed(3)} s`));
  });

  // Lane names last, on a background, kept in view when the picture scrolls sideways.
  const labels = svg('g', { class: 'lane-labels' });
  labels.append(svg('rect', { x: 0, y: 0, width: LABEL_W - 4, height, class: 'lane-labels-bg' }));
  state.sessions.forEach((s, i) => {
    const y = laneY(i);
    labels.append(
      svg('text', { x: 8, y: y - 14, class: 'lane-title' }, clipText(s.channelName || shortUuid(s.uuid), 30)),
      svg('text', { x: 8, y: y + 2, class: 'lane-sub' }, clipText(`${s.direction} · ${s.caller} → ${s.destination}`, 36)),
      svg('text', { x: 8, y: y + 18, class: `lane-sub${s.hangupCause ? ' lane-cause' : ''}` }, s.hangupCause ? `${shortUuid(s.uuid)} · ${s.hangupCause}` : shortUuid(s.uuid)),
    );
  });
  root.append(labels);
  const scrollLeft = svgHost.scrollLeft;
  svgHost.replaceChildren(root);
  svgHost.scrollLeft = scrollLeft;
  placeLabels();
  renderDetail();
}

function clipText(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

function placeLabels(): void {
  svgHost.querySelector('g.lane-labels')?.setAttribute('transform', `translate(${svgHost.scrollLeft},0)`);
}
svgHost.addEventListener('scroll', placeLabels);
let resizeTimer: ReturnType<typeof setTimeout> | undefined;
window.addEventListener('resize', () => {
  if (resizeTimer) clearTimeout(resizeTimer);
  resizeTimer = setTimeout(render, 100);
});

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
  if (!m || typeof m !== 'object' || m.type !== 'snapshot' || typeof m.state !== 'object' || m.state === null) return;
  if (!Array.isArray(m.state.sessions) || !Array.isArray(m.state.events)) return;
  state = m.state;
  render();
});

post({ type: 'ready' });
