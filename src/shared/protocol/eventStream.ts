/**
 * The event stream webview's protocol. The host owns the events (a bounded buffer) and the filter;
 * the webview shows the rows that match and asks for details on demand. Rows are summaries, so a
 * batch of hundreds of events stays small; headers travel only for the event being inspected.
 *
 * Host → webview: notifications ({@link EventStreamNotification}), including responses to requests.
 * Webview → host: commands and requests ({@link EventStreamCommand}); the host runs every inbound
 * message through {@link parseEventStreamCommand} and ignores what does not match.
 *
 * Flow control keeps the view current: every snapshot and append is a numbered batch, and the
 * webview answers `rendered` once it has drawn it. The host keeps at most two batches unanswered;
 * rows that wait longer than a fraction of a second meanwhile are not posted but counted in a gap
 * ({@link EventGap}): the view shows "N events not shown while you were behind", and the events stay
 * in the host's buffer (details, export, `fillGap`).
 */
import { isBoolean, isInteger, isObject, isString, isStringArray } from './validate';

/** One event as a list row. Every string is event data: render it as text, never as HTML. */
export interface EventRow {
  /** Sequence number given by the host, increasing in arrival order. */
  seq: number;
  /** `Event-Date-Timestamp` in µs since the epoch (0 when missing). */
  timeUs: number;
  /** `Event-Name`. */
  name: string;
  /** `Event-Subclass` of a CUSTOM event. */
  subclass?: string;
  /** `Unique-ID` of the session the event is about. */
  uuid?: string;
  /** Who called, as the Servers tree says it (`callerText`: `Alice (5101)`, flip-aware). */
  caller: string;
  /** Destination number. */
  destination: string;
  /** One line: state, hangup cause, application, job result … */
  summary: string;
}

/** What the stream shows: set by the webview, applied by the host. */
export interface EventStreamFilter {
  /** Event names to show (a CUSTOM event by its subclass); empty = every event. */
  names: string[];
  /** Session or call uuids (or prefixes) to show; empty = every call. */
  uuids: string[];
  /** Case-insensitive text searched in header names, values and the body; '' = no text filter. */
  text: string;
}

/** Counters that make lost or hidden events visible. */
export interface EventStreamStats {
  /** Events received since the stream opened (or was cleared). */
  received: number;
  /** Events in the host's buffer. */
  buffered: number;
  /** Oldest events dropped because the buffer was full. */
  dropped: number;
  /** Events that arrived while paused (shown on resume). */
  arrivedWhilePaused: number;
  /** Events matching the filter (in the buffer). */
  matching: number;
  /** Matching events not posted to the view because it was behind (still buffered until they age out). */
  notShown: number;
  /** Sequence number of the oldest event in the buffer (0 when it is empty): older rows are gone. */
  oldestSeq: number;
}

/** Matching events between two posted rows that were not posted because the view was behind. */
export interface EventGap {
  /** Sequence number of the first event not posted. */
  fromSeq: number;
  /** Sequence number of the last event not posted. */
  toSeq: number;
  /** How many matching events that is. */
  count: number;
}

/** Where an opened recording (`.fsrec.jsonl`) is scrubbed to; the view shows a time slider. */
export interface RecordingPosition {
  /** The file name. */
  label: string;
  /** ms from the start to the last frame. */
  durationMs: number;
  /** The events up to this time (ms since the start) are in the list. */
  atMs: number;
  /** ISO time the recording started. */
  startedAt: string;
  /** Events in the whole recording. */
  events: number;
  /** Why it stopped (`stopped`, `size limit`…), or undefined when the file was cut off. */
  endReason?: string;
  /** Where reading stopped early in a damaged file. */
  problem?: string;
}

/** The complete state of the view, sent after `ready`, when shown again, on resume and on filter change. */
export interface EventStreamState {
  /** Server label, e.g. `Test FS (127.0.0.1:8021)`. */
  server: string;
  /** Whether the server is connected. */
  connected: boolean;
  /** Buffer capacity (the `freeswitch.eventStream.bufferSize` setting). */
  bufferSize: number;
  filter: EventStreamFilter;
  paused: boolean;
  /** Event names seen or offered for the names filter, sorted. */
  knownNames: string[];
  /** Human label for the uuid filter when it came from "Show Events for This Call". */
  callLabel?: string;
  stats: EventStreamStats;
  /** Set when the view shows a recording instead of a live server. */
  recording?: RecordingPosition;
}

/** Every header of one event, decoded, in the order FreeSWITCH sent them, and the body. */
export interface EventDetail {
  seq: number;
  headers: Array<[string, string]>;
  body: string;
}

// ---- host → webview ----

export interface SnapshotNotification {
  type: 'snapshot';
  /** Batch number, answered with `rendered`. */
  batch: number;
  state: EventStreamState;
  /** The matching rows, oldest first (at most `bufferSize`). */
  rows: EventRow[];
}
export interface AppendNotification {
  type: 'append';
  /** Batch number, answered with `rendered` (increasing; a snapshot's counts too). */
  batch: number;
  /** Matching events older than `rows` that were not posted because the view was behind. */
  gap?: EventGap;
  /** New matching rows, oldest first. */
  rows: EventRow[];
  stats: EventStreamStats;
  /** Event names seen for the first time in this batch. */
  newNames: string[];
}
export interface StatusNotification {
  type: 'status';
  connected: boolean;
  stats: EventStreamStats;
}
export interface DetailResponse {
  type: 'detail';
  requestId: number;
  /** Undefined when the event already left the buffer. */
  detail?: EventDetail;
}
export interface GapRowsResponse {
  type: 'gapRows';
  requestId: number;
  /** The gap asked for. */
  fromSeq: number;
  toSeq: number;
  /** Its matching events that are still in the buffer, oldest first. */
  rows: EventRow[];
}
export interface ExportedNotification {
  type: 'exported';
  /** Where the file was written, or undefined when cancelled. */
  path?: string;
  count: number;
  error?: string;
}

export type EventStreamNotification = SnapshotNotification | AppendNotification | StatusNotification | DetailResponse | GapRowsResponse | ExportedNotification;

// ---- webview → host ----

export interface ReadyCommand {
  type: 'ready';
}
export interface SetFilterCommand {
  type: 'setFilter';
  filter: EventStreamFilter;
}
export interface SetPausedCommand {
  type: 'setPaused';
  paused: boolean;
}
export interface ClearCommand {
  type: 'clear';
}
export interface GetDetailRequest {
  type: 'getDetail';
  requestId: number;
  seq: number;
}
export interface CopyEventCommand {
  type: 'copyEvent';
  seq: number;
}
export interface ExportCommand {
  type: 'export';
}
/** The webview has applied and drawn every batch up to `batch`. */
export interface RenderedCommand {
  type: 'rendered';
  batch: number;
}
/** Asks for the rows of a gap (answered with `gapRows`). */
export interface FillGapRequest {
  type: 'fillGap';
  requestId: number;
  fromSeq: number;
  toSeq: number;
}
/** Scrubs an opened recording: show the events up to `atMs` (ms since its start). */
export interface ScrubCommand {
  type: 'scrub';
  atMs: number;
}
export interface OpenTimelineCommand {
  type: 'openTimeline';
  /** A session uuid of the call. */
  uuid: string;
}

export type EventStreamCommand =
  | ReadyCommand
  | SetFilterCommand
  | SetPausedCommand
  | ClearCommand
  | GetDetailRequest
  | CopyEventCommand
  | ExportCommand
  | OpenTimelineCommand
  | RenderedCommand
  | FillGapRequest
  | ScrubCommand;

/** Longest free-text filter accepted, and most names or uuids in a filter. */
export const FILTER_LIMITS = { text: 1000, names: 500, uuids: 100, uuid: 200 } as const;

function parseFilter(raw: unknown): EventStreamFilter | undefined {
  if (!isObject(raw)) return undefined;
  const { names, uuids, text } = raw;
  if (!isStringArray(names, FILTER_LIMITS.names) || !isStringArray(uuids, FILTER_LIMITS.uuids) || !isString(text, FILTER_LIMITS.text)) return undefined;
  if (uuids.some((u) => u.length > FILTER_LIMITS.uuid)) return undefined;
  return { names: [...names], uuids: [...uuids], text };
}

/** Validates a message from the webview; undefined for anything that is not a command of this protocol. */
export function parseEventStreamCommand(raw: unknown): EventStreamCommand | undefined {
  if (!isObject(raw) || !isString(raw.type, 32)) return undefined;
  switch (raw.type) {
    case 'ready':
    case 'clear':
    case 'export':
      return { type: raw.type };
    case 'setFilter': {
      const filter = parseFilter(raw.filter);
      return filter ? { type: 'setFilter', filter } : undefined;
    }
    case 'setPaused':
      return isBoolean(raw.paused) ? { type: 'setPaused', paused: raw.paused } : undefined;
    case 'getDetail':
      return isInteger(raw.requestId) && isInteger(raw.seq) ? { type: 'getDetail', requestId: raw.requestId, seq: raw.seq } : undefined;
    case 'copyEvent':
      return isInteger(raw.seq) ? { type: 'copyEvent', seq: raw.seq } : undefined;
    case 'rendered':
      return isInteger(raw.batch) ? { type: 'rendered', batch: raw.batch } : undefined;
    case 'fillGap':
      return isInteger(raw.requestId) && isInteger(raw.fromSeq) && isInteger(raw.toSeq) && raw.fromSeq <= raw.toSeq
        ? { type: 'fillGap', requestId: raw.requestId, fromSeq: raw.fromSeq, toSeq: raw.toSeq }
        : undefined;
    case 'scrub':
      return isInteger(raw.atMs) ? { type: 'scrub', atMs: raw.atMs } : undefined;
    case 'openTimeline':
      return isString(raw.uuid, FILTER_LIMITS.uuid) && raw.uuid !== '' ? { type: 'openTimeline', uuid: raw.uuid } : undefined;
    default:
      return undefined;
  }
}

/** The key a names filter uses for an event: the subclass of a CUSTOM event, else its name. */
export function eventKey(name: string, subclass: string | undefined): string {
  return name === 'CUSTOM' && subclass ? subclass : name;
}
