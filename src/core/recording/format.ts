/**
 * The `.fsrec.jsonl` recording format: what one ESL connection received (events, and the commands
 * it sent with their replies), one JSON object per line, each with its receive time.
 *
 *   {"fsrec":1,"freeswitchVersion":"1.10.12-release …","switchname":"fs1","eventFormat":"json",
 *    "startedAt":"2026-05-01T10:00:00.000Z","source":"10.0.0.5:8021","limits":{"maxBytes":…,"maxMs":…}}
 *   {"t":12.5,"kind":"event","event":{"Event-Name":"CHANNEL_CREATE",…,"_body":"…"}}
 *   {"t":13.1,"kind":"command","id":1,"command":"api uuid_answer 4f…","from":"apps"}
 *   {"t":14.0,"kind":"reply","id":1,"contentType":"api/response","replyText":"","body":"+OK\n"}
 *   {"t":60000,"kind":"end","reason":"time limit","frames":1234}
 *
 * `t` is milliseconds since `startedAt`. An event is FreeSWITCH's JSON event format (every header,
 * the body as `_body`) whatever format the connection used. A reply's `id` is its command's. A
 * command another connection sent (`from`: `apps`, the app host's, where the apps run; the test
 * server: `connection <n>`) is in the same file, so the apps' commands can be answered on replay;
 * without `from` it is the recording connection's own. The `auth` command is never recorded. The
 * last line says why the recording stopped; a file without it was cut off (the reader keeps
 * everything up to the last whole line).
 */
import { EslEvent } from '../esl/event';

/** Bumped on an incompatible change of the format. */
export const RECORDING_FORMAT_VERSION = 1;

export interface RecordingHeader {
  fsrec: number;
  /** `api version` of the switch, e.g. `FreeSWITCH Version 1.10.12-release … (64bit)`. */
  freeswitchVersion: string;
  /** `api switchname`. */
  switchname: string;
  /** The event format the connection used (`json`, `plain`, `xml`): the recording itself is JSON. */
  eventFormat: string;
  /** ISO time the recording started. */
  startedAt: string;
  /** `host:port` recorded from. */
  source: string;
  limits: { maxBytes?: number; maxMs?: number };
}

export interface RecordedEvent {
  /** ms since the start. */
  t: number;
  event: EslEvent;
}

export interface RecordedCommand {
  t: number;
  id: number;
  /** The command line, e.g. `api uuid_answer …`, `sendmsg <uuid>`, `bgapi originate …`. */
  command: string;
  /** The connection that sent it when not the recording one: `apps` (the app host's), `connection 3` (the test server's). */
  from?: string;
  headers?: Record<string, string>;
  body?: string;
  /** The reply, when it was recorded. */
  reply?: { t: number; contentType: string; replyText: string; body: string; headers?: Record<string, string> };
}

export interface Recording {
  header: RecordingHeader;
  /** Oldest first. */
  events: RecordedEvent[];
  commands: RecordedCommand[];
  /** Why it stopped (the `end` line), or undefined when the file was cut off. */
  endReason: string | undefined;
  /** Where reading stopped early (a cut-off or hand-edited line); everything before it was read. */
  problem: { line: number; message: string } | undefined;
  /** ms from the start to the last frame. */
  durationMs: number;
}

/** A recording file's text could not be read at all (no header). */
export class RecordingFormatError extends Error {
  override readonly name = 'RecordingFormatError';
}

/** An event as one line's `event` object: FreeSWITCH's JSON event format. */
export function eventObject(event: EslEvent): Record<string, string> {
  const obj: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers)) {
    if (k === '__proto__') Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
    else obj[k] = v;
  }
  if (event.body !== '') obj['_body'] = event.body;
  return obj;
}

function toEvent(obj: Record<string, unknown>): EslEvent | undefined {
  const headers = Object.create(null) as Record<string, string>;
  let body = '';
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v !== 'string') return undefined;
    if (k === '_body') body = v;
    else headers[k] = v;
  }
  return typeof headers['Event-Name'] === 'string' ? new EslEvent(headers, body) : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringMap(v: unknown): Record<string, string> | undefined {
  if (!isRecord(v)) return undefined;
  return Object.values(v).every((x) => typeof x === 'string') ? (v as Record<string, string>) : undefined;
}

/**
 * Reads a recording. Never throws on a damaged file once the header is read: it stops at the first
 * line that is not a whole, well-formed frame and says where (`problem`), keeping what came before.
 */
export function parseRecording(text: string): Recording {
  let pos = 0;
  let lineNo = 0;
  const nextLine = (): string | undefined => {
    if (pos >= text.length) return undefined;
    const nl = text.indexOf('\n', pos);
    const line = nl < 0 ? text.slice(pos) : text.slice(pos, nl);
    pos = nl < 0 ? text.length : nl + 1;
    lineNo++;
    return line;
  };
  const first = nextLine();
  let header: RecordingHeader;
  try {
    const h: unknown = JSON.parse(first ?? '');
    if (!isRecord(h) || typeof h['fsrec'] !== 'number') throw new Error('no fsrec header');
    if (h['fsrec'] > RECORDING_FORMAT_VERSION) throw new RecordingFormatError(`this recording is format ${h['fsrec']}; this version reads format ${RECORDING_FORMAT_VERSION}`);
    header = {
      fsrec: h['fsrec'],
      freeswitchVersion: String(h['freeswitchVersion'] ?? ''),
      switchname: String(h['switchname'] ?? ''),
      eventFormat: String(h['eventFormat'] ?? ''),
      startedAt: String(h['startedAt'] ?? ''),
      source: String(h['source'] ?? ''),
      limits: isRecord(h['limits']) ? (h['limits'] as RecordingHeader['limits']) : {},
    };
  } catch (err) {
    if (err instanceof RecordingFormatError) throw err;
    throw new RecordingFormatError('not an fsdev recording: its first line is not a {"fsrec": …} header');
  }
  const events: RecordedEvent[] = [];
  const commands: RecordedCommand[] = [];
  const byId = new Map<number, RecordedCommand>();
  let endReason: string | undefined;
  let problem: Recording['problem'];
  let lastT = 0;
  for (let line = nextLine(); line !== undefined; line = nextLine()) {
    if (line.trim() === '') continue;
    let frame: unknown;
    try {
      frame = JSON.parse(line);
    } catch {
      const cut = pos >= text.length && !text.endsWith('\n');
      problem = { line: lineNo, message: cut ? `line ${lineNo} is cut off (the file ends mid-line): read up to line ${lineNo - 1}` : `line ${lineNo} is not JSON: read up to line ${lineNo - 1}` };
      break;
    }
    const bad = (why: string): void => {
      problem = { line: lineNo, message: `line ${lineNo}: ${why}: read up to line ${lineNo - 1}` };
    };
    if (!isRecord(frame) || typeof frame['t'] !== 'number' || !Number.isFinite(frame['t']) || typeof frame['kind'] !== 'string') {
      bad('not a frame ({"t": ms, "kind": …})');
      break;
    }
    const t = frame['t'];
    if (frame['kind'] === 'event') {
      const event = isRecord(frame['event']) ? toEvent(frame['event']) : undefined;
      if (!event) {
        bad('an event without Event-Name or with a value that is not text');
        break;
      }
      events.push({ t, event });
    } else if (frame['kind'] === 'command') {
      if (typeof frame['id'] !== 'number' || typeof frame['command'] !== 'string') {
        bad('a command without id or command text');
        break;
      }
      const c: RecordedCommand = { t, id: frame['id'], command: frame['command'] };
      const headers = stringMap(frame['headers']);
      if (headers) c.headers = headers;
      if (typeof frame['body'] === 'string') c.body = frame['body'];
      if (typeof frame['from'] === 'string') c.from = frame['from'];
      commands.push(c);
      byId.set(c.id, c);
    } else if (frame['kind'] === 'reply') {
      const c = typeof frame['id'] === 'number' ? byId.get(frame['id']) : undefined;
      if (c) {
        c.reply = { t, contentType: String(frame['contentType'] ?? ''), replyText: String(frame['replyText'] ?? ''), body: String(frame['body'] ?? '') };
        const headers = stringMap(frame['headers']);
        if (headers) c.reply.headers = headers;
      }
    } else if (frame['kind'] === 'end') {
      endReason = String(frame['reason'] ?? 'stopped');
    }
    // Other kinds (a later version's) are skipped.
    lastT = Math.max(lastT, t);
  }
  return { header, events, commands, endReason, problem, durationMs: lastT };
}
