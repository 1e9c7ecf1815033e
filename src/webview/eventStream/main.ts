/**
 * The event stream webview: a virtualised list of event rows (only the visible rows exist in the
 * DOM), rendered at most ~30 times a second, a filter bar, and a detail pane. All event data is
 * set through textContent (see ../common/dom.ts).
 */
import './style.css';
import { type EventDetail, type EventRow, type EventStreamCommand, type EventStreamFilter, type EventStreamNotification, type EventStreamStats } from '../../shared/protocol/eventStream';
import { shortUuid } from '../../shared/eventSummary';
import { headerTable } from '../common/detail';
import { button, formatCount, formatTime, h, icon } from '../common/dom';
import { vscodeApi } from '../common/vscodeApi';

const ROW_HEIGHT = 22;
const OVERSCAN = 8;
const FRAME_MS = 33;
const FILTER_DEBOUNCE_MS = 200;

const api = vscodeApi<EventStreamCommand>();
const post = (m: EventStreamCommand): void => api.postMessage(m);

// ---- state ----
let rows: EventRow[] = [];
let bufferSize = 10_000;
let filter: EventStreamFilter = { names: [], uuids: [], text: '' };
let knownNames: string[] = [];
let paused = false;
let connected = true;
let callLabel: string | undefined;
let stats: EventStreamStats = { received: 0, buffered: 0, dropped: 0, arrivedWhilePaused: 0, matching: 0 };
let selectedSeq: number | undefined;
let stick = true;
let newSinceUnstick = 0;
let detailRequest = 0;
let detail: EventDetail | undefined;
let detailMissing = false;

// ---- DOM ----
const app = document.getElementById('app') ?? document.body;
const serverLabel = h('span', { class: 'server', id: 'server' });
const connDot = h('span', { class: 'conn', role: 'img', 'aria-label': 'connected' });
const namesSummary = h('summary', { class: 'tb-button', title: 'Event names' }, icon('filter'), h('span', { class: 'label', id: 'names-label' }, 'All events'));
const namesList = h('div', { class: 'names-list', role: 'group', 'aria-label': 'Event names' });
const namesClear = h('button', { type: 'button', class: 'link', id: 'names-clear' }, 'Show all events');
const namesBox = h('details', { class: 'names', id: 'names' }, namesSummary, h('div', { class: 'names-pop' }, namesClear, namesList));
const uuidInput = h('input', { type: 'text', id: 'uuid-filter', placeholder: 'Call / uuid', 'aria-label': 'Filter by call or uuid', spellcheck: 'false' });
const textInput = h('input', { type: 'search', id: 'text-filter', placeholder: 'Search headers and values', 'aria-label': 'Search header names and values', spellcheck: 'false' });
const pauseButton = button('debug-pause', 'Pause', { showLabel: true, id: 'pause' });
const clearButton = button('clear-all', 'Clear', { id: 'clear' });
const exportButton = button('save-as', 'Export visible events to JSONL', { id: 'export' });
const toolbar = h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Event stream' }, connDot, serverLabel, namesBox, uuidInput, textInput, pauseButton, clearButton, exportButton);

const statsLine = h('span', { id: 'stats' });
const droppedLine = h('span', { id: 'dropped', class: 'warn', hidden: true });
const pausedLine = h('span', { id: 'paused-count', class: 'info', hidden: true });
const callChip = h('span', { class: 'chip', id: 'call-chip', hidden: true });
const statusBar = h('div', { class: 'statusbar', role: 'status', 'aria-live': 'polite' }, statsLine, droppedLine, pausedLine, callChip);

const header = h(
  'div',
  { class: 'row header', role: 'presentation' },
  h('span', { class: 'c-time' }, 'Time'),
  h('span', { class: 'c-name' }, 'Event'),
  h('span', { class: 'c-uuid' }, 'Uuid'),
  h('span', { class: 'c-party' }, 'Caller → Destination'),
  h('span', { class: 'c-summary' }, 'Summary'),
);
const spacer = h('div', { class: 'spacer' });
const rowsEl = h('div', { class: 'rows', id: 'rows' });
const list = h('div', { class: 'list', id: 'list', role: 'listbox', tabindex: 0, 'aria-label': 'Events' }, spacer, rowsEl);
const emptyNote = h('div', { class: 'empty', id: 'empty' }, 'Waiting for events…');
const jumpButton = h('button', { type: 'button', class: 'jump', id: 'jump', hidden: true }, icon('arrow-down'), h('span', { id: 'jump-label' }, 'Newest'));
const listPane = h('div', { class: 'list-pane' }, header, list, emptyNote, jumpButton);

const detailTitle = h('span', { class: 'detail-title', id: 'detail-title' });
const copyButton = button('copy', 'Copy as JSON', { showLabel: true, id: 'copy-json' });
// The codicon font has no timeline-view-icon (a VS Code product icon): milestone draws marks on a line.
const timelineButton = button('milestone', 'Open Call Timeline', { showLabel: true, id: 'open-timeline' });
const closeDetail = button('close', 'Close details', { id: 'close-detail' });
const detailBody = h('div', { class: 'detail-body', id: 'detail-body' });
const detailPane = h(
  'aside',
  { class: 'detail', id: 'detail', hidden: true, 'aria-label': 'Event details' },
  h('div', { class: 'detail-bar' }, detailTitle, copyButton, timelineButton, closeDetail),
  detailBody,
);

app.append(toolbar, statusBar, h('div', { class: 'main' }, listPane, detailPane));

// ---- rendering: batched and virtualised ----
let renderQueued = false;
let lastRender = 0;
let programmaticScroll = false;

function requestRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  const wait = Math.max(0, lastRender + FRAME_MS - performance.now());
  const frame = (): void => {
    requestAnimationFrame(render);
  };
  if (wait === 0) frame();
  else setTimeout(frame, wait);
}

function render(): void {
  renderQueued = false;
  lastRender = performance.now();
  spacer.style.height = `${rows.length * ROW_HEIGHT}px`;
  if (stick) scrollToBottom();
  const top = list.scrollTop;
  const height = list.clientHeight || 400;
  const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
  const fragment = document.createDocumentFragment();
  for (let i = first; i < last; i++) fragment.append(rowElement(rows[i]!, i));
  rowsEl.style.transform = `translateY(${first * ROW_HEIGHT}px)`;
  rowsEl.replaceChildren(fragment);
  emptyNote.hidden = rows.length > 0;
  emptyNote.textContent = paused ? 'Paused.' : filterActive() ? 'No events match the filter.' : 'Waiting for events…';
  jumpButton.hidden = stick || rows.length === 0;
  (document.getElementById('jump-label') as HTMLElement).textContent = newSinceUnstick > 0 ? `${formatCount(newSinceUnstick)} new` : 'Newest';
  const selIndex = selectedIndex();
  if (selIndex >= 0) list.setAttribute('aria-activedescendant', `row-${rows[selIndex]!.seq}`);
  else list.removeAttribute('aria-activedescendant');
}

function rowElement(r: EventRow, index: number): HTMLElement {
  const name = r.subclass ? `${r.name} ${r.subclass}` : r.name;
  const party = r.caller || r.destination ? `${r.caller} → ${r.destination}` : '';
  const el = h(
    'div',
    {
      class: `row${r.seq === selectedSeq ? ' selected' : ''}${index % 2 ? ' odd' : ''} k-${kindClass(r.name)}`,
      role: 'option',
      id: `row-${r.seq}`,
      'data-seq': r.seq,
      'aria-selected': r.seq === selectedSeq ? 'true' : 'false',
    },
    h('span', { class: 'c-time' }, formatTime(r.timeUs)),
    h('span', { class: 'c-name', title: name }, name),
    h('span', { class: 'c-uuid', title: r.uuid ?? '' }, shortUuid(r.uuid)),
    h('span', { class: 'c-party', title: party }, party),
    h('span', { class: 'c-summary', title: r.summary }, r.summary),
  );
  return el;
}

function kindClass(name: string): string {
  if (name === 'CHANNEL_HANGUP' || name === 'CHANNEL_HANGUP_COMPLETE' || name === 'CHANNEL_DESTROY') return 'hangup';
  if (name === 'CHANNEL_ANSWER' || name === 'CHANNEL_BRIDGE') return 'answer';
  if (name === 'CHANNEL_CREATE') return 'create';
  if (name === 'HEARTBEAT' || name === 'RE_SCHEDULE') return 'quiet';
  return 'plain';
}

function scrollToBottom(): void {
  const target = Math.max(0, rows.length * ROW_HEIGHT - list.clientHeight);
  if (Math.abs(list.scrollTop - target) > 1) {
    programmaticScroll = true;
    list.scrollTop = target;
  }
}

list.addEventListener('scroll', () => {
  if (programmaticScroll) {
    programmaticScroll = false;
  } else {
    const atBottom = list.scrollTop + list.clientHeight >= rows.length * ROW_HEIGHT - ROW_HEIGHT;
    if (atBottom !== stick) {
      stick = atBottom;
      if (stick) newSinceUnstick = 0;
    }
  }
  requestRender();
});

jumpButton.addEventListener('click', () => {
  stick = true;
  newSinceUnstick = 0;
  requestRender();
  list.focus();
});

function renderStatus(): void {
  serverLabel.textContent = connected ? `Events · ${state.server}` : `Events · ${state.server} (disconnected)`;
  connDot.className = `conn ${connected ? 'on' : 'off'}`;
  connDot.setAttribute('aria-label', connected ? 'connected' : 'disconnected');
  statsLine.textContent = `${formatCount(rows.length)} shown · ${formatCount(stats.buffered)} of ${formatCount(bufferSize)} buffered · ${formatCount(stats.received)} received`;
  droppedLine.hidden = stats.dropped === 0;
  droppedLine.textContent = `${formatCount(stats.dropped)} older events dropped (buffer of ${formatCount(bufferSize)} full)`;
  pausedLine.hidden = !paused;
  pausedLine.textContent = `Paused · ${formatCount(stats.arrivedWhilePaused)} new events not shown`;
  pauseButton.replaceChildren(icon(paused ? 'debug-continue' : 'debug-pause'), h('span', { class: 'label' }, paused ? `Resume (${formatCount(stats.arrivedWhilePaused)})` : 'Pause'));
  pauseButton.setAttribute('aria-pressed', paused ? 'true' : 'false');
  pauseButton.title = paused ? 'Resume: show the events that arrived while paused' : 'Pause: events keep arriving and are counted';
  callChip.hidden = filter.uuids.length === 0;
  callChip.replaceChildren(icon('call-outgoing'), h('span', {}, callLabel ? `Call ${callLabel}` : `Uuid ${filter.uuids.join(', ')}`));
}

const state = { server: '' };

function filterActive(): boolean {
  return filter.names.length > 0 || filter.uuids.length > 0 || filter.text.trim() !== '';
}

function renderNames(): void {
  const selected = new Set(filter.names);
  const all = [...new Set([...knownNames, ...filter.names])].sort();
  namesList.replaceChildren(
    ...all.map((n) => {
      const box = h('input', { type: 'checkbox', value: n, checked: selected.has(n) });
      return h('label', { class: 'name-option' }, box, h('span', {}, n));
    }),
  );
  const label = document.getElementById('names-label') as HTMLElement;
  label.textContent = filter.names.length === 0 ? 'All events' : filter.names.length === 1 ? filter.names[0]! : `${filter.names.length} events`;
}

function syncInputs(): void {
  if (document.activeElement !== uuidInput) uuidInput.value = filter.uuids.join(', ');
  if (document.activeElement !== textInput) textInput.value = filter.text;
}

// ---- detail pane ----
function selectedIndex(): number {
  if (selectedSeq === undefined) return -1;
  // Rows are sorted by seq: binary search.
  let lo = 0;
  let hi = rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = rows[mid]!.seq;
    if (s === selectedSeq) return mid;
    if (s < selectedSeq) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

function select(seq: number | undefined, opts: { reveal?: boolean } = {}): void {
  selectedSeq = seq;
  detail = undefined;
  detailMissing = false;
  if (seq === undefined) {
    detailPane.hidden = true;
  } else {
    detailPane.hidden = false;
    post({ type: 'getDetail', requestId: ++detailRequest, seq });
    const idx = selectedIndex();
    if (opts.reveal && idx >= 0) reveal(idx);
  }
  renderDetail();
  requestRender();
}

function reveal(index: number): void {
  const top = index * ROW_HEIGHT;
  if (top < list.scrollTop) list.scrollTop = top;
  else if (top + ROW_HEIGHT > list.scrollTop + list.clientHeight) list.scrollTop = top + ROW_HEIGHT - list.clientHeight;
  stick = index === rows.length - 1;
}

function renderDetail(): void {
  const row = rows[selectedIndex()];
  detailTitle.textContent = row ? `${row.subclass ? `${row.name} ${row.subclass}` : row.name} · ${formatTime(row.timeUs)}` : '';
  timelineButton.hidden = !row?.uuid;
  copyButton.disabled = !detail;
  if (detailMissing) {
    detailBody.replaceChildren(h('p', { class: 'muted' }, 'This event has left the buffer.'));
    return;
  }
  if (!detail) {
    detailBody.replaceChildren(h('p', { class: 'muted' }, selectedSeq === undefined ? '' : 'Loading…'));
    return;
  }
  detailBody.replaceChildren(...headerTable(detail.headers, detail.body));
}

// ---- input ----
list.addEventListener('click', (e) => {
  const rowEl = (e.target as Element).closest<HTMLElement>('.row[data-seq]');
  if (!rowEl) return;
  select(Number(rowEl.dataset['seq']));
  list.focus();
});

list.addEventListener('keydown', (e) => {
  if (rows.length === 0) return;
  const page = Math.max(1, Math.floor(list.clientHeight / ROW_HEIGHT) - 1);
  let idx = selectedIndex();
  switch (e.key) {
    case 'ArrowDown':
      idx = idx < 0 ? Math.floor(list.scrollTop / ROW_HEIGHT) : Math.min(rows.length - 1, idx + 1);
      break;
    case 'ArrowUp':
      idx = idx < 0 ? rows.length - 1 : Math.max(0, idx - 1);
      break;
    case 'PageDown':
      idx = Math.min(rows.length - 1, Math.max(0, idx) + page);
      break;
    case 'PageUp':
      idx = Math.max(0, (idx < 0 ? rows.length - 1 : idx) - page);
      break;
    case 'Home':
      idx = 0;
      break;
    case 'End':
      idx = rows.length - 1;
      break;
    case 'Escape':
      select(undefined);
      e.preventDefault();
      return;
    case 'Enter':
      if (idx >= 0) detailPane.focus();
      return;
    default:
      return;
  }
  e.preventDefault();
  select(rows[idx]!.seq, { reveal: true });
});

function sendFilter(): void {
  post({ type: 'setFilter', filter });
}

let filterTimer: ReturnType<typeof setTimeout> | undefined;
function debouncedFilter(): void {
  if (filterTimer) clearTimeout(filterTimer);
  filterTimer = setTimeout(() => {
    filterTimer = undefined;
    sendFilter();
  }, FILTER_DEBOUNCE_MS);
}

uuidInput.addEventListener('input', () => {
  filter = { ...filter, uuids: uuidInput.value.split(/[\s,]+/).filter(Boolean).slice(0, 100) };
  debouncedFilter();
});
textInput.addEventListener('input', () => {
  filter = { ...filter, text: textInput.value.slice(0, 1000) };
  debouncedFilter();
});
namesList.addEventListener('change', () => {
  const names = [...namesList.querySelectorAll<HTMLInputElement>('input[type=checkbox]')].filter((b) => b.checked).map((b) => b.value);
  filter = { ...filter, names };
  renderNames();
  sendFilter();
});
namesClear.addEventListener('click', () => {
  filter = { ...filter, names: [] };
  renderNames();
  sendFilter();
});
namesBox.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') {
    namesBox.open = false;
    namesSummary.focus();
  }
});
callChip.addEventListener('click', () => {
  filter = { ...filter, uuids: [] };
  callLabel = undefined;
  syncInputs();
  sendFilter();
});
pauseButton.addEventListener('click', () => {
  paused = !paused;
  post({ type: 'setPaused', paused });
  renderStatus();
  requestRender();
});
clearButton.addEventListener('click', () => {
  select(undefined);
  post({ type: 'clear' });
});
exportButton.addEventListener('click', () => post({ type: 'export' }));
copyButton.addEventListener('click', () => {
  if (selectedSeq !== undefined) post({ type: 'copyEvent', seq: selectedSeq });
});
timelineButton.addEventListener('click', () => {
  const row = rows[selectedIndex()];
  if (row?.uuid) post({ type: 'openTimeline', uuid: row.uuid });
});
closeDetail.addEventListener('click', () => {
  select(undefined);
  list.focus();
});

// ---- messages from the host ----
function trim(): void {
  const excess = rows.length - bufferSize;
  if (excess <= 0) return;
  rows.splice(0, excess);
  // Keep what the user is reading in place while old rows leave the top.
  if (!stick) list.scrollTop = Math.max(0, list.scrollTop - excess * ROW_HEIGHT);
}

function isNotification(data: unknown): data is EventStreamNotification {
  return typeof data === 'object' && data !== null && typeof (data as { type?: unknown }).type === 'string';
}

window.addEventListener('message', (e: MessageEvent<unknown>) => {
  const m = e.data;
  if (!isNotification(m)) return;
  switch (m.type) {
    case 'snapshot': {
      const s = m.state;
      state.server = s.server;
      connected = s.connected;
      bufferSize = s.bufferSize;
      filter = s.filter;
      paused = s.paused;
      knownNames = s.knownNames;
      callLabel = s.callLabel;
      stats = s.stats;
      rows = m.rows;
      trim();
      newSinceUnstick = 0;
      if (selectedSeq !== undefined && selectedIndex() < 0) select(undefined);
      renderNames();
      syncInputs();
      renderStatus();
      requestRender();
      break;
    }
    case 'append': {
      if (m.rows.length > 0 && !paused) {
        for (const r of m.rows) rows.push(r);
        if (!stick) newSinceUnstick += m.rows.length;
        trim();
      }
      stats = m.stats;
      if (m.newNames.length > 0) {
        knownNames = [...new Set([...knownNames, ...m.newNames])].sort();
        if (!namesBox.open) renderNames();
      }
      renderStatus();
      requestRender();
      break;
    }
    case 'status':
      connected = m.connected;
      stats = m.stats;
      renderStatus();
      break;
    case 'detail':
      if (m.requestId !== detailRequest) return;
      detail = m.detail;
      detailMissing = m.detail === undefined;
      renderDetail();
      break;
    case 'exported':
      exportButton.title = m.error ? `Export failed: ${m.error}` : m.path ? `Exported ${formatCount(m.count)} events` : 'Export visible events to JSONL';
      break;
  }
});

renderStatus();
renderNames();
requestRender();
post({ type: 'ready' });
