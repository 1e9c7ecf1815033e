/**
 * The host side of the event stream, without vscode: a bounded buffer of events, the filter, and the
 * batching that turns thousands of events a second into a few posts per frame the view draws. The
 * panel (panels.ts) wires it to a webview; the benchmark and the tests drive it directly.
 *
 * Latency is bounded by flow control, not by a timer: a batch is posted as soon as fewer than
 * `maxInFlight` batches wait for the view's `rendered` answer. While the view is behind, rows pile
 * up here; once the oldest waited longer than `maxLagMs`, only the newest `keepRows` are posted and
 * the rest is counted in a gap, which the view shows as one row ("N events not shown while you were
 * behind"). Every event stays in the buffer: details, export and `fillGap` still have it. Nothing
 * queues between here and the screen.
 */
import type { EslEvent } from '../../core';
import { callerText, clip, destinationOf, summarize } from '../../shared/eventSummary';
import {
  eventKey,
  parseEventStreamCommand,
  type EventDetail,
  type EventGap,
  type EventRow,
  type EventStreamCommand,
  type EventStreamFilter,
  type EventStreamNotification,
  type EventStreamState,
  type EventStreamStats,
  type RecordingPosition,
} from '../../shared/protocol/eventStream';

/** An event in the buffer with its row, built once on arrival. */
export interface StoredEvent {
  readonly seq: number;
  readonly event: EslEvent;
  readonly row: EventRow;
}

/** Headers that name a session or call an event belongs to. */
const UUID_HEADERS = [
  'Unique-ID',
  'Other-Leg-Unique-ID',
  'Channel-Call-UUID',
  'Bridge-A-Unique-ID',
  'Bridge-B-Unique-ID',
  'variable_fsdev_call_id',
  'variable_other_loopback_leg_uuid',
  'Job-UUID',
] as const;

/** Names offered in the names filter before any is seen. */
export const COMMON_EVENT_NAMES = [
  'BACKGROUND_JOB',
  'CHANNEL_ANSWER',
  'CHANNEL_BRIDGE',
  'CHANNEL_CALLSTATE',
  'CHANNEL_CREATE',
  'CHANNEL_DESTROY',
  'CHANNEL_EXECUTE',
  'CHANNEL_EXECUTE_COMPLETE',
  'CHANNEL_HANGUP',
  'CHANNEL_HANGUP_COMPLETE',
  'CHANNEL_PARK',
  'CHANNEL_PROGRESS',
  'CHANNEL_STATE',
  'CHANNEL_UNBRIDGE',
  'DTMF',
  'HEARTBEAT',
];

/** A fixed-capacity FIFO: pushing onto a full buffer drops (and returns) the oldest item. */
export class RingBuffer<T> {
  private items: Array<T | undefined>;
  private start = 0;
  private _length = 0;

  constructor(readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this._length;
  }

  push(item: T): T | undefined {
    if (this._length < this.capacity) {
      this.items[(this.start + this._length) % this.capacity] = item;
      this._length++;
      return undefined;
    }
    const dropped = this.items[this.start];
    this.items[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
    return dropped;
  }

  at(i: number): T | undefined {
    return i < 0 || i >= this._length ? undefined : this.items[(this.start + i) % this.capacity];
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this._length; i++) yield this.items[(this.start + i) % this.capacity] as T;
  }

  clear(): void {
    this.items = new Array<T | undefined>(this.capacity);
    this.start = 0;
    this._length = 0;
  }
}

/** Builds the list row of an event. */
export function toRow(seq: number, event: EslEvent): EventRow {
  const h = event.headers;
  const row: EventRow = {
    seq,
    timeUs: event.timestampUs || 0,
    name: clip(event.name, 100),
    caller: clip(callerText(h), 100),
    destination: clip(destinationOf(h), 100),
    summary: clip(summarize(event.name, h, event.body)),
  };
  if (event.subclass) row.subclass = clip(event.subclass, 100);
  if (event.uuid) row.uuid = clip(event.uuid, 100);
  return row;
}

/** Matches events against a filter. Follows a call: legs linked to a matching event match too. */
export class EventMatcher {
  private readonly names: ReadonlySet<string>;
  private readonly uuids = new Set<string>();
  private readonly prefixes: string[] = [];
  private readonly text: string;

  constructor(readonly filter: EventStreamFilter) {
    this.names = new Set(filter.names);
    for (const u of filter.uuids) {
      const id = u.trim().toLowerCase();
      if (id.length >= 36) this.uuids.add(id);
      else if (id) this.prefixes.push(id);
    }
    this.text = filter.text.trim().toLowerCase();
  }

  get isEmpty(): boolean {
    return this.names.size === 0 && this.uuids.size === 0 && this.prefixes.length === 0 && this.text === '';
  }

  /** Call in arrival order: a match by uuid adds the event's linked uuids (other leg, bridge). */
  matches(event: EslEvent): boolean {
    if (this.names.size > 0 && !this.names.has(eventKey(event.name, event.subclass))) return false;
    if ((this.uuids.size > 0 || this.prefixes.length > 0) && !this.matchesUuid(event)) return false;
    if (this.text !== '' && !this.matchesText(event)) return false;
    return true;
  }

  private matchesUuid(event: EslEvent): boolean {
    const h = event.headers;
    let hit = false;
    for (const name of UUID_HEADERS) {
      const v = h[name];
      if (!v) continue;
      const id = v.toLowerCase();
      if (this.uuids.has(id) || this.prefixes.some((p) => id.startsWith(p))) {
        hit = true;
        break;
      }
    }
    if (!hit) return false;
    // The call grows: a leg created later is linked to one we already follow.
    for (const name of UUID_HEADERS) {
      const v = h[name];
      if (v && name !== 'Job-UUID') this.uuids.add(v.toLowerCase());
    }
    return true;
  }

  private matchesText(event: EslEvent): boolean {
    const h = event.headers;
    for (const name in h) {
      if (name.toLowerCase().includes(this.text)) return true;
      const v = h[name];
      if (v && v.toLowerCase().includes(this.text)) return true;
    }
    return event.body !== '' && event.body.toLowerCase().includes(this.text);
  }
}

/** The connection the stream narrows with subscriptions (the listener's, shared with the models). */
export interface SubscriptionTarget {
  readonly subscriptions: ReadonlySet<string>;
  subscribe(names: Iterable<string>): Promise<void>;
  unsubscribe(names: Iterable<string>): Promise<void>;
}

/**
 * Keeps the connection subscribed to what the stream shows: every event (`ALL`) without a names
 * filter, else the chosen names. Only names this stream added are removed again, so the models'
 * own subscriptions stay. ESL `filter` is not used: it would filter the models' events too.
 */
export class StreamSubscriptions {
  private ours = new Set<string>();

  constructor(private readonly target: SubscriptionTarget) {}

  async apply(names: readonly string[]): Promise<void> {
    const wanted = new Set(names.length === 0 ? ['ALL'] : names.map((n) => (n.includes('::') ? n : n.toUpperCase())));
    if (names.some((n) => n.includes('::'))) wanted.add('CUSTOM');
    const add = [...wanted].filter((n) => !this.target.subscriptions.has(n));
    const remove = [...this.ours].filter((n) => !wanted.has(n));
    for (const n of add) this.ours.add(n);
    for (const n of remove) this.ours.delete(n);
    if (add.length > 0) await this.target.subscribe(add);
    if (remove.length > 0) await this.target.unsubscribe(remove);
  }

  async release(): Promise<void> {
    const ours = [...this.ours];
    this.ours = new Set();
    if (ours.length > 0) await this.target.unsubscribe(ours);
  }
}

export interface EventStreamModelOptions {
  /** Buffer capacity in events. */
  bufferSize: number;
  /** Server label shown in the view. */
  server: string;
  /** Posts to the webview. */
  post(message: EventStreamNotification): void;
  /** Least time between two posts of rows. Default 0: post as soon as flow control allows. */
  flushMs?: number;
  /** Batches posted and not yet answered with `rendered` before the host waits. Default 2. */
  maxInFlight?: number;
  /** A batch not answered within this long no longer holds posts back (a lost answer). Default 1,000 ms. */
  ackTimeoutMs?: number;
  /**
   * When the oldest pending row waited longer than this for the view, the view is behind: only the
   * newest `keepRows` rows are posted, the older ones are counted in a gap. Default 200 ms.
   */
  maxLagMs?: number;
  /** Rows posted when the view is behind (the newest; more than a screenful). Default 200. */
  keepRows?: number;
  /** Most rows in one post; older pending rows go into the gap. Default 1,000. */
  maxBatchRows?: number;
  /** Clock in ms (tests). Default `performance.now()`. */
  now?(): number;
  /** Stats-only posts (nothing matching arrived) at most this often. Default 250 ms. */
  statsMs?: number;
  /** Called when the names filter changes, to narrow the server's subscriptions. */
  onNamesChanged?(names: readonly string[]): void;
  /** Side effects the model cannot do itself (clipboard, save dialog, opening the timeline). */
  actions?: {
    copy?(json: string): void;
    exportJsonl?(lines: string[]): void;
    openTimeline?(uuid: string): void;
    /** An opened recording: the view's time slider moved. */
    scrub?(atMs: number): void;
  };
  /** An opened recording's position, for the view's time slider. */
  recording?(): RecordingPosition | undefined;
}

/** The event stream of one server: buffer, filter, pause, batching, and the protocol's host end. */
export class EventStreamModel {
  readonly buffer: RingBuffer<StoredEvent>;
  private seq = 0;
  private filter: EventStreamFilter = { names: [], uuids: [], text: '' };
  private matcher = new EventMatcher(this.filter);
  private paused = false;
  private ready = false;
  private visible = true;
  private connected = true;
  private callLabel: string | undefined;
  private readonly knownNames = new Set<string>(COMMON_EVENT_NAMES);
  private newNames: string[] = [];
  /** Rows not posted yet, oldest first, and when the oldest arrived (ms of `now()`). */
  private pending: EventRow[] = [];
  private pendingSince = 0;
  private statsDirty = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastFlush = -Infinity;
  /** Batches posted and not answered yet, oldest first. */
  private inFlight: Array<{ batch: number; at: number }> = [];
  private batch = 0;
  private readonly flushMs: number;
  private readonly statsMs: number;
  private readonly maxInFlight: number;
  private readonly ackTimeoutMs: number;
  private readonly maxLagMs: number;
  private readonly keepRows: number;
  private readonly maxBatchRows: number;
  private readonly now: () => number;
  private disposed = false;
  readonly stats: EventStreamStats = { received: 0, buffered: 0, dropped: 0, arrivedWhilePaused: 0, matching: 0, notShown: 0, oldestSeq: 0 };
  /** Posts made (snapshots + batches), for the benchmark. */
  posts = 0;

  constructor(private readonly options: EventStreamModelOptions) {
    this.buffer = new RingBuffer(Math.max(1, Math.floor(options.bufferSize)));
    this.flushMs = options.flushMs ?? 0;
    this.statsMs = options.statsMs ?? 250;
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 2);
    this.ackTimeoutMs = options.ackTimeoutMs ?? 1000;
    this.maxLagMs = options.maxLagMs ?? 200;
    this.keepRows = Math.max(1, options.keepRows ?? 200);
    this.maxBatchRows = Math.max(this.keepRows, options.maxBatchRows ?? 1000);
    this.now = options.now ?? (() => performance.now());
  }

  /** Takes one event from the read path: O(1) plus the filter; never posts synchronously. */
  ingest(event: EslEvent): void {
    if (this.disposed) return;
    const seq = ++this.seq;
    const stored: StoredEvent = { seq, event, row: toRow(seq, event) };
    this.stats.received++;
    const key = eventKey(event.name, event.subclass);
    if (key && !this.knownNames.has(key)) {
      this.knownNames.add(key);
      this.newNames.push(key);
    }
    const dropped = this.buffer.push(stored);
    if (dropped) {
      this.stats.dropped++;
      if (this.matcher.isEmpty || this.matcher.matches(dropped.event)) this.stats.matching = Math.max(0, this.stats.matching - 1);
    }
    this.stats.buffered = this.buffer.length;
    this.stats.oldestSeq = this.buffer.at(0)!.seq;
    const match = this.matcher.matches(event);
    if (match) this.stats.matching++;
    if (this.paused) {
      this.stats.arrivedWhilePaused++;
    } else if (match && this.ready && this.visible) {
      if (this.pending.length === 0) this.pendingSince = this.now();
      this.pending.push(stored.row);
      // Rows older than the buffer are gone; a view this far behind gets a snapshot's worth at most.
      if (this.pending.length > 2 * this.buffer.capacity) this.dropPending(this.pending.length - this.buffer.capacity);
    }
    this.statsDirty = true;
    this.schedule();
  }

  private dropPending(n: number): void {
    this.pending.splice(0, n);
  }

  /** True while `maxInFlight` batches wait for the view's answer (answers that never came expire). */
  private blocked(now: number): boolean {
    while (this.inFlight.length > 0 && now - this.inFlight[0]!.at >= this.ackTimeoutMs) this.inFlight.shift();
    return this.inFlight.length >= this.maxInFlight;
  }

  private schedule(): void {
    if (this.timer || !this.ready || !this.visible || this.disposed) return;
    const rows = this.pending.length > 0 || this.newNames.length > 0;
    if (!rows && !this.statsDirty) return;
    const now = this.now();
    let wait = Math.max(0, this.lastFlush + (rows ? this.flushMs : this.statsMs) - now);
    // Blocked: the view's answer flushes (handle 'rendered'); this timer only covers a lost answer.
    if (this.blocked(now)) wait = Math.max(wait, this.inFlight[0]!.at + this.ackTimeoutMs - now);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  /**
   * Posts what is pending (rows, a gap for rows that waited too long, and stats) as one batch,
   * unless `maxInFlight` batches still wait for the view's answer.
   */
  flush(): void {
    if (!this.ready || !this.visible || this.disposed) return;
    if (this.pending.length === 0 && !this.statsDirty && this.newNames.length === 0) return;
    const now = this.now();
    if (this.blocked(now)) {
      this.schedule();
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // Rows of events that already left the buffer are gone (counted as dropped).
    let gone = 0;
    while (gone < this.pending.length && this.pending[gone]!.seq < this.stats.oldestSeq) gone++;
    if (gone > 0) this.dropPending(gone);
    // Rows that waited past maxLagMs mean the view is behind: only the newest keepRows are posted,
    // so a slow view gets less to do and catches up. A burst of fresh rows is only capped.
    let cut = Math.max(0, this.pending.length - this.maxBatchRows);
    const lastOld = this.pending.length - this.keepRows;
    if (lastOld > cut && now - this.pendingSince > this.maxLagMs) cut = lastOld;
    let gap: EventGap | undefined;
    if (cut > 0) {
      gap = { fromSeq: this.pending[0]!.seq, toSeq: this.pending[cut - 1]!.seq, count: cut };
      this.stats.notShown += cut;
    }
    const rows = cut > 0 ? this.pending.slice(cut) : this.pending;
    this.pending = [];
    this.statsDirty = false;
    const newNames = this.newNames;
    this.newNames = [];
    this.lastFlush = now;
    this.posts++;
    const batch = ++this.batch;
    this.inFlight.push({ batch, at: now });
    const message: EventStreamNotification = { type: 'append', batch, rows, stats: { ...this.stats }, newNames };
    if (gap) message.gap = gap;
    this.options.post(message);
  }

  /** The view drew every batch up to `batch`: post what waited for it. */
  private rendered(batch: number): void {
    const before = this.inFlight.length;
    this.inFlight = this.inFlight.filter((b) => b.batch > batch);
    if (this.inFlight.length === before) return;
    if (this.pending.length > 0 || this.newNames.length > 0) this.flush();
    else this.schedule();
  }

  /** The matching events from `fromSeq` to `toSeq` still in the buffer, as rows (a gap's rows). */
  rowsBetween(fromSeq: number, toSeq: number): EventRow[] {
    const first = this.buffer.at(0);
    if (!first) return [];
    const rows: EventRow[] = [];
    const end = Math.min(this.buffer.length - 1, toSeq - first.seq);
    for (let i = Math.max(0, fromSeq - first.seq); i <= end; i++) {
      const s = this.buffer.at(i)!;
      if (this.matcher.isEmpty || this.matcher.matches(s.event)) rows.push(s.row);
    }
    return rows;
  }

  /** The complete state and every matching row in the buffer, oldest first. */
  snapshot(): EventStreamNotification {
    const matcher = new EventMatcher(this.filter);
    const rows: EventRow[] = [];
    for (const s of this.buffer) if (matcher.matches(s.event)) rows.push(s.row);
    this.matcher = matcher;
    this.stats.matching = rows.length;
    return { type: 'snapshot', batch: ++this.batch, state: this.state(), rows };
  }

  private state(): EventStreamState {
    const state: EventStreamState = {
      server: this.options.server,
      connected: this.connected,
      bufferSize: this.buffer.capacity,
      filter: { names: [...this.filter.names], uuids: [...this.filter.uuids], text: this.filter.text },
      paused: this.paused,
      knownNames: [...this.knownNames].sort(),
      stats: { ...this.stats },
    };
    if (this.callLabel !== undefined) state.callLabel = this.callLabel;
    const recording = this.options.recording?.();
    if (recording) state.recording = recording;
    return state;
  }

  /** Sends a complete snapshot (replacing whatever is pending). */
  postSnapshot(): void {
    if (!this.ready || !this.visible || this.disposed) return;
    this.pending = [];
    this.newNames = [];
    this.statsDirty = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.now();
    this.lastFlush = now;
    this.posts++;
    const snapshot = this.snapshot();
    // The snapshot replaces whatever the view had: only its answer matters now.
    this.inFlight = [{ batch: snapshot.type === 'snapshot' ? snapshot.batch : this.batch, at: now }];
    this.options.post(snapshot);
  }

  /** Hidden: stop posting. Visible again: one complete snapshot, no pile of deltas. */
  setVisible(visible: boolean): void {
    if (visible === this.visible) return;
    this.visible = visible;
    if (visible) this.postSnapshot();
    else {
      this.pending = [];
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  setConnected(connected: boolean): void {
    this.connected = connected;
    if (this.ready && this.visible && !this.disposed) this.options.post({ type: 'status', connected, stats: { ...this.stats } });
  }

  /** Applies a filter from the host (Show Events for This Call) or the webview. */
  setFilter(filter: EventStreamFilter, callLabel?: string): void {
    const namesChanged = filter.names.join('\n') !== this.filter.names.join('\n');
    this.filter = { names: [...filter.names], uuids: [...filter.uuids], text: filter.text };
    this.callLabel = filter.uuids.length > 0 ? callLabel : undefined;
    this.matcher = new EventMatcher(this.filter);
    if (namesChanged) this.options.onNamesChanged?.(this.filter.names);
    this.postSnapshot();
  }

  get currentFilter(): EventStreamFilter {
    return this.filter;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Batches posted that the view has not answered yet. */
  get unanswered(): number {
    return this.inFlight.length;
  }

  /** Every header and the body of a buffered event. */
  detail(seq: number): EventDetail | undefined {
    const s = this.find(seq);
    return s ? { seq, headers: Object.entries(s.event.headers), body: s.event.body } : undefined;
  }

  /** An event as FreeSWITCH's JSON format has it: headers plus `_body`. */
  json(seq: number, space?: number): string | undefined {
    const s = this.find(seq);
    return s ? eventJson(s.event, space) : undefined;
  }

  private find(seq: number): StoredEvent | undefined {
    // Sequence numbers increase by one, so the index is arithmetic.
    const first = this.buffer.at(0);
    if (!first) return undefined;
    const s = this.buffer.at(seq - first.seq);
    return s && s.seq === seq ? s : undefined;
  }

  /** The matching events as JSON lines (one event per line, FreeSWITCH's JSON format). */
  exportLines(): string[] {
    const matcher = new EventMatcher(this.filter);
    const lines: string[] = [];
    for (const s of this.buffer) if (matcher.matches(s.event)) lines.push(eventJson(s.event));
    return lines;
  }

  /**
   * Replaces everything with `events` (a recording scrubbed to a time) and posts one snapshot.
   * Filters and pause stay; the counters start over.
   */
  replaceEvents(events: Iterable<EslEvent>): void {
    this.buffer.clear();
    this.pending = [];
    Object.assign(this.stats, { received: 0, buffered: 0, dropped: 0, arrivedWhilePaused: 0, matching: 0, notShown: 0, oldestSeq: 0 });
    // Paused, ingest buffers and counts without queueing rows: the snapshot below carries them.
    const paused = this.paused;
    this.paused = true;
    for (const e of events) this.ingest(e);
    this.paused = paused;
    this.stats.arrivedWhilePaused = 0;
    this.postSnapshot();
  }

  clear(): void {
    this.buffer.clear();
    this.pending = [];
    this.stats.received = 0;
    this.stats.buffered = 0;
    this.stats.dropped = 0;
    this.stats.arrivedWhilePaused = 0;
    this.stats.matching = 0;
    this.stats.notShown = 0;
    this.stats.oldestSeq = 0;
    this.postSnapshot();
  }

  /** Handles a message from the webview; anything that is not a valid command is ignored. */
  handle(raw: unknown): EventStreamCommand | undefined {
    const command = parseEventStreamCommand(raw);
    if (!command || this.disposed) return undefined;
    switch (command.type) {
      case 'ready':
        this.ready = true;
        this.postSnapshot();
        break;
      case 'setFilter':
        this.setFilter(command.filter, this.sameUuids(command.filter) ? this.callLabel : undefined);
        break;
      case 'setPaused':
        if (command.paused === this.paused) break;
        this.paused = command.paused;
        if (!this.paused) {
          this.stats.arrivedWhilePaused = 0;
          this.postSnapshot();
        } else {
          this.pending = [];
          this.options.post({ type: 'status', connected: this.connected, stats: { ...this.stats } });
        }
        break;
      case 'clear':
        this.clear();
        break;
      case 'getDetail': {
        const detail = this.detail(command.seq);
        this.options.post(detail ? { type: 'detail', requestId: command.requestId, detail } : { type: 'detail', requestId: command.requestId });
        break;
      }
      case 'copyEvent': {
        const json = this.json(command.seq, 2);
        if (json !== undefined) this.options.actions?.copy?.(json);
        break;
      }
      case 'export':
        this.options.actions?.exportJsonl?.(this.exportLines());
        break;
      case 'openTimeline':
        this.options.actions?.openTimeline?.(command.uuid);
        break;
      case 'scrub':
        this.options.actions?.scrub?.(command.atMs);
        break;
      case 'rendered':
        this.rendered(command.batch);
        break;
      case 'fillGap':
        this.options.post({ type: 'gapRows', requestId: command.requestId, fromSeq: command.fromSeq, toSeq: command.toSeq, rows: this.rowsBetween(command.fromSeq, command.toSeq) });
        break;
    }
    return command;
  }

  private sameUuids(filter: EventStreamFilter): boolean {
    return filter.uuids.join('\n') === this.filter.uuids.join('\n');
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.buffer.clear();
  }
}

/** FreeSWITCH's JSON event format: every header, plus the body as `_body` when there is one. */
export function eventJson(event: EslEvent, space?: number): string {
  const obj: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers)) {
    if (k === '__proto__') Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
    else obj[k] = v;
  }
  if (event.body !== '') obj['_body'] = event.body;
  return JSON.stringify(obj, null, space);
}
