import { isAscii } from 'node:buffer';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { decodeText } from './decode';
import type { EslFrame } from './parser';

/**
 * How events are encoded on the wire (`event json|plain|xml …`); JSON is the default (cheapest to
 * decode, no URL-encoding). XML decodes to the same events, more slowly.
 */
export type EventFormat = 'json' | 'plain' | 'xml';

/** A decoded FreeSWITCH event: header values are text (URL-decoding done), the body is text. */
export class EslEvent {
  private decoded: Readonly<Record<string, string>> | undefined;
  /**
   * A plain event's header block, kept as FreeSWITCH sent it: its headers are decoded one by one
   * when read, and all at once only when `headers` is asked for. A listener reads a dozen of an
   * event's ~100 headers; decoding every one and keeping each as a string of its own costs more
   * than everything else it does with the event.
   */
  private plain: string | undefined;
  /**
   * `Event-Name` and `Unique-ID`, read once: every stage of an event's way asks for them, and in a
   * plain event each read is a scan of the whole header block. `null`: the event has no Unique-ID.
   */
  private eventName: string | undefined;
  private eventUuid: string | null | undefined;
  /** The headers object was made by a decoder for this event alone, so it may be written to. */
  private ownHeaders = false;
  /**
   * A JSON event's values are as JSON.parse made them: FreeSWITCH sends strings, so a value of
   * another type (an array, say) is turned into text when it is read, and all of them only when
   * `headers` is asked for, rather than by a pass over every header of every event.
   */
  private jsonValues = false;

  constructor(
    /** Every header, decoded, in the order FreeSWITCH sent them. */
    headers: Readonly<Record<string, string>>,
    /** The event body (`_body` in JSON), e.g. a BACKGROUND_JOB result; '' when there is none. */
    readonly body: string = '',
  ) {
    this.decoded = headers;
  }

  /** A plain event whose header block is decoded as it is read (see decodePlainEvent). */
  static fromPlainHeaderBlock(text: string, body: string): EslEvent {
    const event = new EslEvent(NO_HEADERS, body);
    event.decoded = undefined;
    event.plain = text;
    return event;
  }

  /** An event whose headers object a decoder made for it alone (see shareRepeatedValues). */
  static fromDecodedHeaders(headers: Record<string, string>, body: string): EslEvent {
    const event = new EslEvent(headers, body);
    event.ownHeaders = true;
    return event;
  }

  /** An event of the object JSON.parse made, whose values may not all be strings yet. */
  static fromJsonObject(parsed: Record<string, unknown>, body: string): EslEvent {
    const event = EslEvent.fromDecodedHeaders(parsed as Record<string, string>, body);
    event.jsonValues = true;
    return event;
  }

  /** Every header, decoded, in the order FreeSWITCH sent them (a later duplicate wins). */
  get headers(): Readonly<Record<string, string>> {
    if (this.jsonValues) {
      this.jsonValues = false;
      const own = this.decoded as Record<string, unknown>;
      for (const key in own) if (typeof own[key] !== 'string') own[key] = jsonText(own[key]);
    }
    return (this.decoded ??= parsePlainHeaders(this.plain ?? ''));
  }

  /**
   * For whoever keeps many events (the listener keeps the event that created each live session):
   * decoded values that FreeSWITCH repeats become one string each, so the copies JSON.parse made
   * die young instead of being kept, and collected, with every session. A channel's uuid, name and
   * caller name are repeated in several headers of its events, and a few headers hold what every
   * event of one FreeSWITCH holds (compared with `previous`, an event kept before). No value
   * changes. Only headers a decoder made are touched (the caller's own object never is), and a
   * plain event, whose header block is one string read lazily, has nothing to share.
   */
  shareRepeatedValues(previous: EslEvent | undefined): void {
    const own = this.decoded as Record<string, string> | undefined;
    if (!this.ownHeaders || own === undefined) return;
    for (const [source, copies] of REPEATED_HEADERS) {
      const value = own[source];
      if (value !== undefined) for (const name of copies) if (own[name] === value) own[name] = value;
    }
    const kept = previous?.decoded;
    if (kept === undefined || kept === own) return;
    for (const name of SWITCH_CONSTANTS) {
      const value = kept[name];
      if (value !== undefined && own[name] === value) own[name] = value;
    }
  }

  /** `Event-Name`, e.g. `CHANNEL_CREATE`. */
  get name(): string {
    return (this.eventName ??= this.get('Event-Name') ?? '');
  }

  /** `Event-Subclass` of a CUSTOM event, e.g. `sofia::register`. */
  get subclass(): string | undefined {
    return this.get('Event-Subclass');
  }

  /** `Unique-ID`: the session (channel) this event is about, if any. */
  get uuid(): string | undefined {
    return (this.eventUuid ??= this.get('Unique-ID') ?? null) ?? undefined;
  }

  /** `Job-UUID` of a BACKGROUND_JOB. */
  get jobUuid(): string | undefined {
    return this.get('Job-UUID');
  }

  /** `Event-Date-Timestamp`: when FreeSWITCH fired the event, in microseconds since the epoch. */
  get timestampUs(): number {
    return Number(this.get('Event-Date-Timestamp') ?? 0);
  }

  /** A header by exact name. */
  get(name: string): string | undefined {
    if (this.decoded === undefined) return this.plain === undefined ? undefined : plainHeader(this.plain, name);
    const value: unknown = this.decoded[name];
    return typeof value === 'string' || value === undefined ? value : this.headers[name];
  }

  /** A channel variable carried by a channel event (`variable_<name>`). */
  getVar(name: string): string | undefined {
    return this.get(`variable_${name}`);
  }
}

/** Headers of a channel's events and the headers that repeat their value (captures 05 and 11). */
const REPEATED_HEADERS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['Unique-ID', ['Caller-Unique-ID', 'Channel-Call-UUID', 'variable_uuid', 'variable_call_uuid', 'variable_origination_uuid']],
  ['Channel-Name', ['Caller-Channel-Name', 'variable_channel_name']],
  ['Caller-Caller-ID-Name', ['Caller-Orig-Caller-ID-Name', 'variable_origination_caller_id_name']],
];
/**
 * Headers with the same value in every event of one FreeSWITCH, or of one kind (where it was fired),
 * and longer than the 10 characters up to which V8's JSON.parse shares strings itself. Times and
 * dates change with every event and are not here.
 */
const SWITCH_CONSTANTS = ['Core-UUID', 'FreeSWITCH-Hostname', 'FreeSWITCH-Switchname', 'FreeSWITCH-IPv4', 'FreeSWITCH-IPv6', 'Event-Calling-File', 'Event-Calling-Function'] as const;

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze(Object.create(null) as Record<string, string>);

/** Content types of frames that carry events. */
export const EVENT_CONTENT_TYPES: ReadonlySet<string> = new Set(['text/event-plain', 'text/event-json', 'text/event-xml']);

/** The outcome of decoding one event frame: an event, or why the frame could not be read. */
export type DecodedEvent = { ok: true; event: EslEvent } | { ok: false; error: string };

/** Decodes an event frame of any of the three formats. Never throws. */
export function decodeEventFrame(frame: EslFrame): DecodedEvent {
  const type = frame.headers['Content-Type'];
  const body = frame.body ?? Buffer.alloc(0);
  if (type === 'text/event-json') return decodeJsonEvent(body);
  if (type === 'text/event-plain') return { ok: true, event: decodePlainEvent(body) };
  if (type === 'text/event-xml') return decodeXmlEvent(body);
  return { ok: false, error: `not an event frame: ${type ?? 'no Content-Type'}` };
}

/**
 * Decodes a `text/event-plain` body: URL-encoded `Name: value` lines, a blank line, and, when the
 * last header is `Content-Length`, exactly that many body bytes. The header values are decoded as
 * they are read (see PlainHeaderBlock).
 */
export function decodePlainEvent(buf: Buffer): EslEvent {
  // One toString for the header block, then string operations: a Buffer call per header (indexOf,
  // toString) costs far more than the work it does.
  const blank = buf.indexOf('\n\n');
  const headerEnd = blank < 0 ? buf.length : blank;
  const encoding = textEncoding(buf);
  const text = buf.toString(encoding, 0, headerEnd);
  let body = '';
  const bodyStart = headerEnd + 2;
  const length = blank >= 0 && bodyStart < buf.length ? plainHeader(text, 'Content-Length') : undefined;
  if (length !== undefined) {
    const n = Number(length);
    const end = Number.isSafeInteger(n) && n >= 0 ? Math.min(buf.length, bodyStart + n) : buf.length;
    body = buf.toString(encoding, bodyStart, end);
  }
  return EslEvent.fromPlainHeaderBlock(text, body);
}

/**
 * How to turn a plain event's UTF-8 bytes into text. Its header block is ASCII (FreeSWITCH
 * URL-encodes the values), which gives the same string either way, and copying it byte for byte
 * skips validating and decoding UTF-8. (JSON keeps decoding UTF-8: the same change measured
 * slower there.)
 */
function textEncoding(buf: Buffer): 'latin1' | 'utf8' {
  return isAscii(buf) ? 'latin1' : 'utf8';
}

/**
 * Every `Name: value` line of a plain header block, values URL-decoded; a later duplicate wins, a
 * line without a colon is no header. Built as a plain object and given a null prototype at the end:
 * an object born from Object.create(null) is a V8 dictionary, and every copy of it is slow.
 */
function parsePlainHeaders(text: string): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const len = text.length;
  let pos = 0;
  while (pos < len) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = len;
    const colon = text.indexOf(':', pos);
    if (colon >= 0 && colon < nl) {
      const name = text.slice(pos, colon);
      const value = plainValue(text, colon + 1, nl);
      if (name === '__proto__') Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
      else headers[name] = value;
    }
    pos = nl + 1;
  }
  return Object.setPrototypeOf(headers, null) as Record<string, string>;
}

/** `\n<name>:` for each name looked up, built once. */
const NEEDLES = new Map<string, string>();

/**
 * One header of a plain header block, as parsePlainHeaders would give it: the value of the last line
 * whose name (the text before its first colon) is `name`.
 */
function plainHeader(text: string, name: string): string | undefined {
  // A name holding a colon or line break can never be a line's name.
  if (name.includes(':') || name.includes('\n')) return undefined;
  let needle = NEEDLES.get(name);
  if (needle === undefined) {
    needle = `\n${name}:`;
    if (NEEDLES.size < 4096) NEEDLES.set(name, needle);
  }
  let at = text.indexOf(needle);
  let start: number;
  if (at >= 0) {
    // A later line of the same name wins.
    for (let next = text.indexOf(needle, at + 1); next >= 0; next = text.indexOf(needle, next + 1)) at = next;
    start = at + needle.length;
  } else if (text.startsWith(name) && text.charCodeAt(name.length) === 0x3a) start = name.length + 1;
  else return undefined;
  let nl = text.indexOf('\n', start);
  if (nl < 0) nl = text.length;
  return plainValue(text, start, nl);
}

/** The value after a header's colon: one space dropped, URL-decoded. */
function plainValue(text: string, afterColon: number, end: number): string {
  const start = text.charCodeAt(afterColon) === 0x20 ? Math.min(afterColon + 1, end) : afterColon;
  const raw = text.slice(start, end);
  return raw.indexOf('%') < 0 ? raw : decodeText(raw);
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
  let body = '';
  if (Object.prototype.hasOwnProperty.call(headers, '_body')) {
    body = jsonText(headers['_body']);
    delete headers['_body'];
  }
  Object.setPrototypeOf(headers, null);
  return { ok: true, event: EslEvent.fromJsonObject(headers, body) };
}

/**
 * A JSON value as header text: strings as they are, null as ''. An array header (variable_DP_MATCH
 * in capture 20) is a JSON array of its items; it becomes the value FreeSWITCH keeps for it and
 * sends in plain events (switch_event.c): `ARRAY::a|:b`, or the item itself when there is one.
 * Anything else is its JSON.
 */
function jsonText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.length > 1 ? `ARRAY::${value.join('|:')}` : (value[0] ?? '');
  return JSON.stringify(value);
}

const BODY_OPEN = '<body>';
const BODY_CLOSE = '</body>';
const EVENT_TAIL = /^\s*<\/event>\s*$/;
const ONLY_SPACE = /^\s*$/;

/**
 * Decodes a `text/event-xml` body into the event plain and JSON give. FreeSWITCH renders the event
 * with `switch_event_xmlize` and `switch_xml_toxml(xml, SWITCH_FALSE)`:
 *
 * ```
 * <event>
 *   <headers>
 *     <Event-Name>BACKGROUND_JOB</Event-Name>
 *     <Job-Command-Arg>loopback/9664%20%26park()</Job-Command-Arg>
 *   </headers>
 *   <Content-Length>41</Content-Length>
 *   <body>+OK 0da5c879-7dac-440e-a131-00c2236a2bd2
 *   </body>
 * </event>
 * ```
 *
 * - One element per header, named as the header (as it is, not escaped), holding the URL-encoded
 *   value: URL-encoding leaves nothing for XML escaping to do. An array header (`variable_DP_MATCH`)
 *   is one element per item, back to back; they are joined into `ARRAY::a|:b`, the value a plain
 *   event carries. A name that comes again further on is a second header of that name: the later
 *   one wins, as in plain and JSON.
 * - `Content-Length` and `body` only for a non-empty body. The body is XML-escaped (`&amp;` `&lt;`
 *   `&gt;`, CR as `&#xD;`, each non-ASCII UTF-8 sequence as one `&#x…;`), and two spaces of
 *   indentation come before `</body>` when the escaped body ends in a newline.
 *
 * saxes reads everything up to `<body>`. The body is cut out by position and unescaped here:
 * FreeSWITCH stops escaping at the first `<!` and copies the rest as it is (meant for CDATA in
 * config files), so a body holding `<!DOCTYPE html>` or `<![CDATA[` is not XML. Never throws; input
 * of any other shape is malformed.
 */
export function decodeXmlEvent(buf: Buffer): DecodedEvent {
  const text = buf.toString('utf8');
  const headersEnd = text.indexOf('</headers>');
  const bodyOpen = headersEnd < 0 ? -1 : text.indexOf(BODY_OPEN, headersEnd);
  const headers: Record<string, string> = {};
  let error: string | undefined;
  const fail = (message: string): void => {
    error ??= message;
  };
  /** Open elements, `event` first. */
  const open: string[] = [];
  let sawHeaders = false;
  /** The text of the header element being read, if one is open. */
  let raw: string | undefined;
  /** The header before this one in `<headers>` and how many elements in a row carried its name. */
  let previous: string | undefined;
  let items = 0;

  const parser = new SaxesParser();
  parser.on('error', (err) => fail(err.message));
  parser.on('opentag', (tag: SaxesTagPlain) => {
    const name = tag.name;
    const depth = open.length;
    if (depth === 0) {
      if (name !== 'event') fail(`root element <${name}>, not <event>`);
    } else if (depth === 1 && name === 'headers') {
      if (sawHeaders) fail('a second <headers>');
      sawHeaders = true;
    } else if (depth === 1 && name === 'body') {
      if (!sawHeaders) fail('<body> before <headers>');
    } else if (depth === 1 || (depth === 2 && open[1] === 'headers')) {
      raw = ''; // A header: in <headers>, or Content-Length after it.
    } else {
      fail(`unexpected <${name}> in <${open[depth - 1]}>`);
    }
    open.push(name);
  });
  parser.on('text', (t) => {
    if (raw !== undefined) raw += t;
    else if (!ONLY_SPACE.test(t)) fail('text outside a header');
  });
  parser.on('closetag', (tag: SaxesTagPlain) => {
    open.pop();
    const inHeaders = open.length === 2 && open[1] === 'headers';
    if (raw !== undefined) {
      const name = tag.name;
      const value = decodeText(raw);
      raw = undefined;
      if (inHeaders && name === previous) {
        items++;
        setHeader(headers, name, `${items === 2 ? `ARRAY::${headers[name]}` : headers[name]}|:${value}`);
      } else {
        setHeader(headers, name, value);
        items = 1;
      }
    }
    previous = inHeaders ? tag.name : undefined;
  });
  try {
    if (bodyOpen < 0) parser.write(text).close();
    else parser.write(text.slice(0, bodyOpen + BODY_OPEN.length));
  } catch (err) {
    // saxes reports through the handler above; this is only a guard.
    fail(String(err));
  }
  if (!sawHeaders) fail('no <headers>');
  let body = '';
  if (bodyOpen >= 0 && error === undefined) {
    const start = bodyOpen + BODY_OPEN.length;
    const end = text.lastIndexOf(BODY_CLOSE);
    if (open.length !== 2 || open[1] !== 'body') fail('<body> not directly in <event>');
    else if (end < start || !EVENT_TAIL.test(text.slice(end + BODY_CLOSE.length))) fail('no </body></event> at the end');
    else body = xmlBodyText(text.slice(start, end), headers['Content-Length']);
  }
  if (error !== undefined) return { ok: false, error: `malformed XML event: ${error}` };
  Object.setPrototypeOf(headers, null);
  return { ok: true, event: EslEvent.fromDecodedHeaders(headers, body) };
}

function setHeader(headers: Record<string, string>, name: string, value: string): void {
  if (name === '__proto__') Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
  else headers[name] = value;
}

/**
 * The body from the text of `<body>`: unescaped, without the indentation switch_xml_toxml adds
 * before `</body>` after a final newline. A body that itself ends in a newline and two spaces gets
 * none; Content-Length tells the two apart.
 */
function xmlBodyText(raw: string, contentLength: string | undefined): string {
  const body = unescapeXmlText(raw);
  if (!body.endsWith('\n  ') || Buffer.byteLength(body) === Number(contentLength)) return body;
  return body.slice(0, -2);
}

const XML_ENTITY = /&(?:#x([0-9A-Fa-f]{1,8})|#([0-9]{1,10})|(amp|lt|gt|quot|apos));/g;
const NAMED_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * Undoes `switch_xml_ampencode` on element text. From the first `<!` on the text is as FreeSWITCH
 * copied it. An `&` that starts no entity stays as it is.
 */
function unescapeXmlText(raw: string): string {
  const immune = raw.indexOf('<!');
  const escaped = immune < 0 ? raw : raw.slice(0, immune);
  const text = escaped.includes('&') ? escaped.replace(XML_ENTITY, xmlEntity) : escaped;
  return immune < 0 ? text : text + raw.slice(immune);
}

function xmlEntity(_match: string, hex: string | undefined, dec: string | undefined, name: string | undefined): string {
  if (name !== undefined) return NAMED_ENTITIES[name]!;
  const cp = hex !== undefined ? parseInt(hex, 16) : Number(dec);
  // FreeSWITCH turns each UTF-8 sequence into one reference and copies ASCII except CR. A reference
  // below 0x80 (but tab, LF, CR) thus comes from an overlong sequence, and a surrogate or a value past
  // U+10FFFF from another invalid one: invalid UTF-8, which becomes U+FFFD as in the other formats.
  if ((cp < 0x80 && cp !== 0x09 && cp !== 0x0a && cp !== 0x0d) || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return '\uFFFD';
  return String.fromCodePoint(cp);
}

/**
 * Header maps have no prototype: header names are attacker-controlled, and `__proto__` or
 * `constructor` must be plain keys, not reach Object.prototype.
 */
export function emptyHeaders(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}
