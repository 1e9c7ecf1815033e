import { decodeValue } from './decode';
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
  const headers = emptyHeaders();
  let pos = 0;
  const len = buf.length;
  while (pos < len) {
    let nl = buf.indexOf(0x0a, pos);
    if (nl < 0) nl = len;
    if (nl === pos) {
      // The blank line: what follows is the body.
      pos = nl + 1;
      break;
    }
    const colon = buf.indexOf(0x3a, pos);
    if (colon < 0 || colon > nl) {
      headers[buf.toString('utf8', pos, nl)] = '';
    } else {
      const valueStart = buf[colon + 1] === 0x20 ? colon + 2 : colon + 1;
      const name = buf.toString('utf8', pos, colon);
      headers[name] = decodeValue(buf, Math.min(valueStart, nl), nl);
    }
    pos = nl + 1;
  }
  let body = '';
  if (pos < len && headers['Content-Length'] !== undefined) {
    const n = Number(headers['Content-Length']);
    const end = Number.isSafeInteger(n) && n >= 0 ? Math.min(len, pos + n) : len;
    body = buf.toString('utf8', pos, end);
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
  const source = parsed as Record<string, unknown>;
  const headers = emptyHeaders();
  let body = '';
  for (const key in source) {
    const value = source[key];
    const text = typeof value === 'string' ? value : value === null || value === undefined ? '' : JSON.stringify(value);
    if (key === '_body') body = text;
    else headers[key] = text;
  }
  return { ok: true, event: new EslEvent(headers, body) };
}

/**
 * Header maps have no prototype: header names are attacker-controlled, and `__proto__` or
 * `constructor` must be plain keys, not reach Object.prototype.
 */
export function emptyHeaders(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}
