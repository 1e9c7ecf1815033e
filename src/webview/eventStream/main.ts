/**
 * The event stream webview: a virtualised list of event rows (only the visible rows exist in the
 * DOM, reused from frame to frame), drawn in the next animation frame after data arrives, a filter
 * bar, and a detail pane. Every drawn batch is answered with `rendered`, which is what lets the
 * host post the next one (flow control: nothing queues up between the host and the screen). Rows
 * the host did not post while the view was behind arrive as a gap, shown as one row that can fetch
 * them. All event data is set through textContent (see ../common/dom.ts).
 */
import './style.css';
import {
  type EventDetail,
  type EventGap,
  type EventRow,
  type EventStreamCommand,
  type EventStreamFilter,
  type EventStreamNotification,
  type EventStreamStats,
} from '../../shared/protocol/eventStream';
import { shortUuid } from '../../shared/eventSummary';
import { headerTable } from '../common/detail';
import { button, formatCount, formatTime, h, icon } from '../common/dom';
import { vscodeApi } from '../common/vscodeApi';
import { createScrubber } from './scrubber';

const ROW_HEIGHT = 22;
const OVERSCAN = 8;
const FILTER_DEBOUNCE_MS = 200;

const api = vscodeApi<EventStreamCommand>();
const post = (m: EventStreamCommand): void => api.postMessage(m);

// ---- state ----
/** Events the host did not post while the view was behind; `seq` is the gap's first sequence number. */
interface GapItem {
  gap: true;
  seq: number;
  toSeq: number;
  count: number;
  loading?: boolean;
}
type Item = EventRow | GapItem;
const isGap = (it: Item): it is GapItem => 'gap' in it;

/** The list: rows and gaps, ordered by sequence number. */
let rows: Item[] = [];
/** Gap items in `rows` (so "shown" counts rows only). */
let gapItems = 0;
/** The newest batch applied, and the newest answered with `rendered`. */
let appliedBatch = 0;
let answeredBatch = 0;
let gapRequest = 0;
let bufferSize = 10_000;
let filter: EventStreamFilter = { names: [], uuids: [], text: '' };
let knownNames: string[] = [];
let paused = false;
let connected = true;
let callLabel: string | undefined;
let stats: EventStreamStats = { received: 0, buffered: 0, dropped: 0, arrivedWhilePaused: 0, matching: 0, notShown: 0, oldestSeq: 0 };
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
const behindLine = h('span', {
  id: 'behind',
  class: 'warn',
  hidden: true,
  title: 'Rows the view skipped to stay current. The events are in the buffer: Show on their row in the list, Pause, or Export.',
});
const pausedLine = h('span', { id: 'paused-count', class: 'info', hidden: true });
const callChip = h('span', { class: 'chip', id: 'call-chip', hidden: true });
const callChipLabel = h('span');
callChip.append(icon('call-outgoing'), callChipLabel);
const statusBar = h('div', { class: 'statusbar', role: 'status', 'aria-live': 'polite' }, statsLine, droppedLine, behindLine, pausedLine, callChip);

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
const jumpLabel = h('span', { id: 'jump-label' }, 'Newest');
const jumpButton = h('button', { type: 'button', class: 'jump', id: 'jump', hidden: true }, icon('arrow-down'), jumpLabel);
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

// An opened recording's time slider (hidden for a live server).
const scrubber = createScrubber((atMs) => post({ type: 'scrub', atMs }));
app.append(toolbar, scrubber.el, statusBar, h('div', { class: 'main' }, listPane, detailPane));

// ---- rendering: in the next frame, virtualised, elements reused ----
let renderQueued = false;
let programmaticScroll = false;
/** The list's height, kept by a ResizeObserver so a frame never has to force a layout to read it. */
let listHeight = 0;
let spacerHeight = -1;
let rowsOffset = -1;
/** The scrollTop this view last set (reading it back would force a layout mid-frame). */
let scrollTopSet = -1;
/** Row and gap elements in the DOM, by key, in list order. */
let drawn = new Map<string, HTMLElement>();

new ResizeObserver(() => {
  listHeight = list.clientHeight;
  requestRender();
}).observe(list);

function requestRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(render);
}

function render(): void {
  renderQueued = false;
  const total = rows.length * ROW_HEIGHT;
  const height = listHeight || list.clientHeight || 400;
  // Following the newest: where the list will be scrolled to; else where the user scrolled it.
  const top = stick ? Math.max(0, total - height) : list.scrollTop;
  if (total !== spacerHeight) {
    spacer.style.height = `${total}px`;
    spacerHeight = total;
  }
  const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
  const wanted = new Map<string, HTMLElement>();
  for (let i = first; i < last; i++) {
    const item = rows[i]!;
    const key = isGap(item) ? `g${item.seq}` : String(item.seq);
    const el = drawn.get(key);
    wanted.set(key, isGap(item) ? gapElement(item, el) : rowElement(item, el));
  }
  for (const [key, el] of drawn) if (!wanted.has(key)) el.remove();
  // Kept elements are already in order; put the new ones between them.
  let cursor = rowsEl.firstElementChild;
  for (const el of wanted.values()) {
    if (el === cursor) cursor = cursor.nextElementSibling;
    else rowsEl.insertBefore(el, cursor);
  }
  drawn = wanted;
  if (first !== rowsOffset) {
    rowsEl.style.transform = `translateY(${first * ROW_HEIGHT}px)`;
    rowsOffset = first;
  }
  if (stick && top !== scrollTopSet) {
    programmaticScroll = true;
    list.scrollTop = top;
    scrollTopSet = top;
  }
  const empty = rows.length === 0;
  emptyNote.hidden = !empty;
  if (empty) setText(emptyNote, paused ? 'Paused.' : filterActive() ? 'No events match the filter.' : 'Waiting for events…');
  jumpButton.hidden = stick || empty;
  setText(jumpLabel, newSinceUnstick > 0 ? `${formatCount(newSinceUnstick)} new` : 'Newest');
  const selIndex = selectedIndex();
  const active = selIndex >= 0 ? `row-${rows[selIndex]!.seq}` : undefined;
  if (active !== (list.getAttribute('aria-activedescendant') ?? undefined)) {
    if (active) list.setAttribute('aria-activedescendant', active);
    else list.removeAttribute('aria-activedescendant');
  }
  if (statusDirty) renderStatus();
  answer();
}

/** Tells the host the newest applied batch is drawn, so it may post the next. */
function answer(): void {
  if (appliedBatch <= answeredBatch) return;
  answeredBatch = appliedBatch;
  post({ type: 'rendered', batch: appliedBatch });
}

function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

function rowClass(r: EventRow): string {
  return `row${r.seq === selectedSeq ? ' selected' : ''} k-${kindClass(r.name)}`;
}

/** The element of a row: `el` (drawn before) with its selection brought up to date, or a new one. */
function rowElement(r: EventRow, el: HTMLElement | undefined): HTMLElement {
  const cls = rowClass(r);
  if (el) {
    if (el.className !== cls) {
      el.className = cls;
      el.setAttribute('aria-selected', r.seq === selectedSeq ? 'true' : 'false');
    }
    return el;
  }
  const name = r.subclass ? `${r.name} ${r.subclass}` : r.name;
  const party = r.caller || r.destination ? `${r.caller} → ${r.destination}` : '';
  return h(
    'div',
    { class: cls, role: 'option', id: `row-${r.seq}`, 'data-seq': r.seq, 'aria-selected': r.seq === selectedSeq ? 'true' : 'false' },
    h('span', { class: 'c-time' }, formatTime(r.timeUs)),
    h('span', { class: 'c-name', title: name }, name),
    h('span', { class: 'c-uuid', title: r.uuid ?? '' }, shortUuid(r.uuid)),
    h('span', { class: 'c-party', title: party }, party),
    h('span', { class: 'c-summary', title: r.summary }, r.summary),
  );
}

/** What a gap row says, given which of its events are still in the host's buffer. */
function gapText(g: GapItem): { text: string; action: string | undefined } {
  const what = `${formatCount(g.count)} ${g.count === 1 ? 'event' : 'events'} not shown while you were behind`;
  if (g.loading) return { text: `${what}; loading them…`, action: undefined };
  if (g.toSeq < stats.oldestSeq) return { text: `${what}; they have left the buffer since`, action: undefined };
  if (g.seq < stats.oldestSeq) return { text: `${what}; the older ones have left the buffer`, action: 'Show the rest' };
  return { text: `${what}; all are in the buffer`, action: 'Show them' };
}

function gapElement(g: GapItem, el: HTMLElement | undefined): HTMLElement {
  const { text, action } = gapText(g);
  if (!el) {
    el = h(
      'div',
      { class: 'row gap', role: 'option', id: `gap-${g.seq}`, 'data-gap': g.seq, 'aria-selected': 'false' },
      icon('fold'),
      h('span', { class: 'gap-text' }),
      h('button', { type: 'button', class: 'link gap-show', 'data-gap': g.seq }),
    );
  }
  setText(el.querySelector<HTMLElement>('.gap-text')!, text);
  const show = el.querySelector<HTMLButtonElement>('.gap-show')!;
  show.hidden = action === undefined;
  setText(show, action ?? '');
  return el;
}

function kindClass(name: string): string {
  if (name === 'CHANNEL_HANGUP' || name === 'CHANNEL_HANGUP_COMPLETE' || name === 'CHANNEL_DESTROY') return 'hangup';
  if (name === 'CHANNEL_ANSWER' || name === 'CHANNEL_BRIDGE') return 'answer';
  if (name === 'CHANNEL_CREATE') return 'create';
  if (name === 'HEARTBEAT' || name === 'RE_SCHEDULE') return 'quiet';
  return 'plain';
}

list.addEventListener('scroll', () => {
  // Our own scroll lands where render put the list (within a pixel: zoom makes it fractional).
  // Scroll events are coalesced per frame, so a user's scroll in the frame of ours comes as one
  // event, elsewhere: that one is the user's.
  const ours = programmaticScroll && Math.abs(list.scrollTop - scrollTopSet) < 1;
  programmaticScroll = false;
  scrollTopSet = list.scrollTop;
  if (ours) return;
  const atBottom = scrollTopSet + (listHeight || list.clientHeight) >= rows.length * ROW_HEIGHT - ROW_HEIGHT;
  if (atBottom !== stick) {
    stick = atBottom;
    if (stick) newSinceUnstick = 0;
  }
  requestRender();
});

jumpButton.addEventListener('click', () => {
  stick = true;
  newSinceUnstick = 0;
  requestRender();
  list.focus();
});

/** Set when the status line or toolbar needs drawing; drawn with the next frame. */
let statusDirty = true;
let pauseShown: boolean | undefined;
const pauseIcon = icon('debug-pause');
const pauseLabel = h('span', { class: 'label' }, 'Pause');
pauseButton.replaceChildren(pauseIcon, pauseLabel);

function statusChanged(): void {
  statusDirty = true;
  requestRender();
}

function renderStatus(): void {
  statusDirty = false;
  setText(serverLabel, state.recording ? `Recording · ${state.server}` : connected ? `Events · ${state.server}` : `Events · ${state.server} (disconnected)`);
  connDot.className = `conn ${state.recording ? 'rec' : connected ? 'on' : 'off'}`;
  connDot.setAttribute('aria-label', state.recording ? 'recording (offline)' : connected ? 'connected' : 'disconnected');
  setText(statsLine, `${formatCount(rows.length - gapItems)} shown · ${formatCount(stats.buffered)} of ${formatCount(bufferSize)} buffered · ${formatCount(stats.received)} received`);
  droppedLine.hidden = stats.dropped === 0;
  if (stats.dropped > 0) setText(droppedLine, `${formatCount(stats.dropped)} older events dropped (buffer of ${formatCount(bufferSize)} full)`);
  behindLine.hidden = stats.notShown === 0;
  if (stats.notShown > 0) setText(behindLine, `${formatCount(stats.notShown)} not shown while the view was behind`);
  pausedLine.hidden = !paused;
  if (paused) setText(pausedLine, `Paused · ${formatCount(stats.arrivedWhilePaused)} new events not shown`);
  setText(pauseLabel, paused ? `Resume (${formatCount(stats.arrivedWhilePaused)})` : 'Pause');
  if (pauseShown !== paused) {
    pauseShown = paused;
    pauseIcon.className = `codicon codicon-${paused ? 'debug-continue' : 'debug-pause'}`;
    pauseButton.setAttribute('aria-pressed', paused ? 'true' : 'false');
    pauseButton.title = paused ? 'Resume: show the events that arrived while paused' : 'Pause: events keep arriving and are counted';
  }
  callChip.hidden = filter.uuids.length === 0;
  setText(callChipLabel, callLabel ? `Call ${callLabel}` : `Uuid ${filter.uuids.join(', ')}`);
}

const state = { server: '', recording: false };

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

function selectedRow(): EventRow | undefined {
  const item = rows[selectedIndex()];
  return item && !isGap(item) ? item : undefined;
}

/** The nearest row (not a gap) from `index`, looking in direction `dir` first. */
function rowIndexNear(index: number, dir: 1 | -1): number {
  for (const d of [dir, -dir]) {
    for (let i = index; i >= 0 && i < rows.length; i += d) if (!isGap(rows[i]!)) return i;
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
  const height = listHeight || list.clientHeight;
  if (top < list.scrollTop) list.scrollTop = top;
  else if (top + ROW_HEIGHT > list.scrollTop + height) list.scrollTop = top + ROW_HEIGHT - height;
  stick = index === rows.length - 1;
}

function renderDetail(): void {
  const row = selectedRow();
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
  const target = e.target as Element;
  const gapEl = target.closest<HTMLElement>('.row[data-gap]');
  if (gapEl) {
    fillGap(Number(gapEl.dataset['gap']));
    return;
  }
  const rowEl = target.closest<HTMLElement>('.row[data-seq]');
  if (!rowEl) return;
  select(Number(rowEl.dataset['seq']));
  list.focus();
});

/** Asks the host for the rows of the gap starting at `fromSeq`. */
function fillGap(fromSeq: number): void {
  const i = indexOfSeq(fromSeq);
  const gap = rows[i];
  if (!gap || !isGap(gap) || gap.loading || gapText(gap).action === undefined) return;
  gap.loading = true;
  post({ type: 'fillGap', requestId: ++gapRequest, fromSeq: gap.seq, toSeq: gap.toSeq });
  requestRender();
}

/** Index of the item whose `seq` is `seq`, or -1. */
function indexOfSeq(seq: number): number {
  let lo = 0;
  let hi = rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = rows[mid]!.seq;
    if (s === seq) return mid;
    if (s < seq) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

list.addEventListener('keydown', (e) => {
  if (rows.length === 0) return;
  const page = Math.max(1, Math.floor((listHeight || list.clientHeight) / ROW_HEIGHT) - 1);
  let idx = selectedIndex();
  let dir: 1 | -1 = 1;
  switch (e.key) {
    case 'ArrowDown':
      idx = idx < 0 ? Math.floor(list.scrollTop / ROW_HEIGHT) : Math.min(rows.length - 1, idx + 1);
      break;
    case 'ArrowUp':
      idx = idx < 0 ? rows.length - 1 : Math.max(0, idx - 1);
      dir = -1;
      break;
    case 'PageDown':
      idx = Math.min(rows.length - 1, Math.max(0, idx) + page);
      break;
    case 'PageUp':
      idx = Math.max(0, (idx < 0 ? rows.length - 1 : idx) - page);
      dir = -1;
      break;
    case 'Home':
      idx = 0;
      break;
    case 'End':
      idx = rows.length - 1;
      dir = -1;
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
  // Gap rows are not selectable: the arrow keys step over them.
  idx = rowIndexNear(idx, dir);
  if (idx >= 0) select(rows[idx]!.seq, { reveal: true });
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
  statusChanged();
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
  const row = selectedRow();
  if (row?.uuid) post({ type: 'openTimeline', uuid: row.uuid });
});
closeDetail.addEventListener('click', () => {
  select(undefined);
  list.focus();
});

// ---- messages from the host ----
/** Removes the first `n` items (gaps counted), keeping what the user reads in place. */
function dropHead(n: number): void {
  if (n <= 0) return;
  for (let i = 0; i < n; i++) if (isGap(rows[i]!)) gapItems--;
  rows.splice(0, n);
  if (!stick) {
    scrollTopSet = Math.max(0, list.scrollTop - n * ROW_HEIGHT);
    list.scrollTop = scrollTopSet;
  }
}

/** What is shown is what the host keeps: rows of events that left its buffer go, and at most `bufferSize` items stay. */
function trim(): void {
  let gone = 0;
  if (stats.oldestSeq > 0) {
    // Items are ordered by seq: the first still (partly) in the buffer, by binary search.
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const it = rows[mid]!;
      if ((isGap(it) ? it.toSeq : it.seq) < stats.oldestSeq) lo = mid + 1;
      else hi = mid;
    }
    gone = lo;
  }
  dropHead(Math.max(gone, rows.length - bufferSize));
}

/** Appends a gap, merged into the last item when that is a gap too. */
function appendGap(g: EventGap): void {
  const last = rows[rows.length - 1];
  if (last && isGap(last) && !last.loading) {
    last.toSeq = g.toSeq;
    last.count += g.count;
    return;
  }
  rows.push({ gap: true, seq: g.fromSeq, toSeq: g.toSeq, count: g.count });
  gapItems++;
}

/** Puts a gap's rows in its place (an empty answer: its events have all left the buffer). */
function filledGap(fromSeq: number, toSeq: number, filled: EventRow[]): void {
  const i = indexOfSeq(fromSeq);
  const gap = rows[i];
  if (!gap || !isGap(gap) || gap.toSeq !== toSeq) return;
  const aboveView = !stick && (i + 1) * ROW_HEIGHT <= list.scrollTop;
  rows = rows.slice(0, i).concat(filled, rows.slice(i + 1));
  gapItems--;
  if (aboveView) {
    scrollTopSet = Math.max(0, list.scrollTop + (filled.length - 1) * ROW_HEIGHT);
    list.scrollTop = scrollTopSet;
  }
  trim();
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
      state.recording = s.recording !== undefined;
      scrubber.update(s.recording);
      rows = m.rows;
      gapItems = 0;
      trim();
      newSinceUnstick = 0;
      if (selectedSeq !== undefined && selectedIndex() < 0) select(undefined);
      renderNames();
      syncInputs();
      applied(m.batch);
      break;
    }
    case 'append': {
      stats = m.stats;
      if (!paused && (m.rows.length > 0 || m.gap)) {
        if (m.gap) appendGap(m.gap);
        for (const r of m.rows) rows.push(r);
        if (!stick) newSinceUnstick += m.rows.length + (m.gap?.count ?? 0);
      }
      if (!paused) trim();
      if (m.newNames.length > 0) {
        knownNames = [...new Set([...knownNames, ...m.newNames])].sort();
        if (!namesBox.open) renderNames();
      }
      applied(m.batch);
      break;
    }
    case 'status':
      connected = m.connected;
      stats = m.stats;
      statusChanged();
      break;
    case 'gapRows':
      filledGap(m.fromSeq, m.toSeq, m.rows);
      statusChanged();
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

/** A batch is applied: draw it in the next frame, which answers it. A hidden page draws no frames: answer now. */
function applied(batch: number): void {
  appliedBatch = Math.max(appliedBatch, batch);
  statusChanged();
  if (document.hidden) answer();
}

renderStatus();
renderNames();
requestRender();
post({ type: 'ready' });
