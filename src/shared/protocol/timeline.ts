/**
 * The call timeline webview's protocol: the host posts a complete snapshot of one call (its sessions
 * and their events, a few hundred at most) whenever it changes, coalesced; the webview draws it.
 * Every string is event data: render it as text, never as HTML.
 */
import { isInteger, isObject, isString } from './validate';

/** What a marker on a lane stands for. */
export type TimelineKind = 'create' | 'ringing' | 'answer' | 'bridge' | 'unbridge' | 'execute' | 'dtmf' | 'hangup' | 'state' | 'other';

/** One session (channel) of the call: a lane. */
export interface TimelineSession {
  uuid: string;
  /** `Channel-Name`, e.g. `loopback/9196-a`. */
  channelName: string;
  direction: string;
  caller: string;
  destination: string;
  /** Hangup cause once it hung up. */
  hangupCause?: string;
}

/** One event placed on a lane. */
export interface TimelineEvent {
  /** Host sequence number (unique per timeline). */
  seq: number;
  timeUs: number;
  /** Lane: the session uuid. */
  uuid: string;
  name: string;
  kind: TimelineKind;
  /** Short text under the marker: the app, the digit, the cause, the state … */
  label: string;
  /** The other session of a bridge. */
  otherUuid?: string;
  headers: Array<[string, string]>;
  body: string;
}

export interface TimelineState {
  /** e.g. `1000 → 9196`. */
  title: string;
  server: string;
  sessions: TimelineSession[];
  /** Oldest first. */
  events: TimelineEvent[];
  /** True once every session hung up. */
  ended: boolean;
  /** Events before this time (µs) were not recorded (the recorder started later); 0 = complete. */
  recordedSinceUs: number;
}

export interface TimelineSnapshotNotification {
  type: 'snapshot';
  state: TimelineState;
}
export type TimelineNotification = TimelineSnapshotNotification;

export interface TimelineReadyCommand {
  type: 'ready';
}
export interface TimelineShowInStreamCommand {
  type: 'showInStream';
  uuid: string;
}
export interface TimelineCopyEventCommand {
  type: 'copyEvent';
  seq: number;
}
export type TimelineCommand = TimelineReadyCommand | TimelineShowInStreamCommand | TimelineCopyEventCommand;

/** Validates a message from the timeline webview; undefined for anything else. */
export function parseTimelineCommand(raw: unknown): TimelineCommand | undefined {
  if (!isObject(raw) || !isString(raw.type, 32)) return undefined;
  switch (raw.type) {
    case 'ready':
      return { type: 'ready' };
    case 'showInStream':
      return isString(raw.uuid, 200) && raw.uuid !== '' ? { type: 'showInStream', uuid: raw.uuid } : undefined;
    case 'copyEvent':
      return isInteger(raw.seq) ? { type: 'copyEvent', seq: raw.seq } : undefined;
    default:
      return undefined;
  }
}
