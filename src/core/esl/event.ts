import { decodeText } from './decode';
import type { EslFrame } from './parser';

/** How events are encoded on the wire; JSON is the default (cheaper to decode, no URL-encoding). */
export type EventFormat = 'json' | 'plain';

/** A decoded FreeSWITCH event: header values are text (URL-decoding done), the body is text. */
export class EslEvent {
  constructor(
    /** Every header, decoded, in the order FreeSWITCH sent them. */
    readonly headers: Readonly<Record<string, string>>,
    /** The event body (`_body` in JSON), e.g. a BACKGROUND_JOB result; '' when there is none. */
    readonly body: string = '',
  ) {}

  /** `Event-Name`, e.g. `CHANNEL_CREATE`. */
  get name(): string {
    return this.headers['Event-Name'] ?? '';
  }

  /** `Event-Subclass` of a CUSTOM event, e.g. `sofia::register`. */
  get subclass(): string | undefined {
    return this.headers['Event-Subclass'];
  }

  /** `Unique-ID`: the session (channel) this event is about, if any. */
  get uuid(): string | undefined {
    return this.headers['Unique-ID'];
  }

  /** `Job-UUID` of a BACKGROUND_JOB. */
  get jobUuid(): string | undefined {
    return this.headers['Job-UUID'];
  }

  /** `Event-Date-Timestamp`: when FreeSWITCH fired the event, in microseconds since the epoch. */
  get timestampUs(): number {
    return Number(this.headers['Event-Date-Timestamp'] ?? 0);
  }

  /** A header by exact name. */
  get(name: string): string | undefined {
    return this.headers[name];
  }

  /** A channel variable carried by a channel event (`variable_<name>`). */
  getVar(name: string): string | undefined {
    return this.headers[`variable_${name}`];
  }
}

/** Content types of frames that carry events. */
export const EVENT_CONTENT_TYPES: ReadonlySet<string> = new Set(['text/event-plain', 'text/event-json']);

/** The outcome of decoding one event frame: an event, or why the frame could not be read. */
export type DecodedEvent = { ok: true; event: EslEvent } | { ok: false; error: string };

/** Decodes an event frame of either format. Never throws. */
export function decodeEventFrame(frame: EslFrame): DecodedEvent {
  const type = frame.headers['Content-Type'];
  const body = frame.body ?? Buffer.alloc(0);
  if (type === 'text/event-json') return decodeJsonEvent(body);
  if (type === 'text/event-plain') return { ok: true, event: decodePlainEvent(body) };
  return { ok: false, error: `not an event frame: ${type ?? 'no Content-Type'}` };
}

/**
 * Decodes a `text/event-plain` body: URL-encoded `Name: value` lines, a blank line, and, when the
 * last header is `Content-Length`, exactly that many body bytes.
 */
export function decodePlainEvent(buf: Buffer): EslEvent {
  // Built as a plain object and given a null prototype at the end: an object born from
  // Object.create(null) is a V8 dictionary, and every copy of it (Session, Object.assign) is slow.
  const headers: Record<string, string> = {};
  // One toString for the header block, then string operations: a Buffer call per header (indexOf,
  // toString) costs far more than the work it does.
  const blank = buf.indexOf('\n\n');
  const headerEnd = blank < 0 ? buf.length : blank;
  const text = buf.toString('utf8', 0, headerEnd);
  const len = text.length;
  let pos = 0;
  while (pos < len) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = len;
    if (nl > pos) {
      const colon = text.indexOf(':', pos);
      let name: string;
      let value = '';
      if (colon < 0 || colon > nl) name = text.slice(pos, nl);
      else {
        name = text.slice(pos, colon);
        const valueStart = text.charCodeAt(colon + 1) === 0x20 ? colon + 2 : colon + 1;
        const raw = text.slice(Math.min(valueStart, nl), nl);
        value = raw.indexOf('%') < 0 ? raw : decodeText(raw);
      }
      if (name === '__proto__') Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
      else headers[name] = value;
    }
    pos = nl + 1;
  }
  Object.setPrototypeOf(headers, null);
  let body = '';
  const bodyStart = headerEnd + 2;
  if (blank >= 0 && bodyStart < buf.length && headers['Content-Length'] !== undefined) {
    const n = Number(headers['Content-Length']);
    const end = Number.isSafeInteger(n) && n >= 0 ? Math.min(buf.length, bodyStart + n) : buf.length;
    body = buf.toString('utf8', bodyStart, end);
  }
  return new EslEvent(headers, body);
}

/** Decodes a `text/event-json` body: one object of string values, with the body in `_body`. */
export function decodeJsonEvent(buf: Buffer): DecodedEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(buf.toString('utf8'));
  } catch (err) {
    return { ok: false, error: `malformed JSON event: ${(err as Error).message}` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, error: 'malformed JSON event: not an object' };
  }
  // The parsed object itself, given a null prototype (JSON.parse makes `__proto__` an own key):
  // it stays a fast V8 object, where a copy into Object.create(null) would be a slow dictionary.
  const headers = parsed as Record<string, unknown>;
  for (const key in headers) {
    const value = headers[key];
    if (typeof value !== 'string') headers[key] = value === null || value === undefined ? '' : JSON.stringify(value);
  }
  let body = '';
  if (Object.prototype.hasOwnProperty.call(headers, '_body')) {
    body = headers['_body'] as string;
    delete headers['_body'];
  }
  Object.setPrototypeOf(headers, null);
  return { ok: true, event: new EslEvent(headers as Record<string, string>, body) };
}

/**
 * Header maps have no prototype: header names are attacker-controlled, and `__proto__` or
 * `constructor` must be plain keys, not reach Object.prototype.
 */
export function emptyHeaders(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}
