/**
 * Byte-exact ESL frames as FreeSWITCH 1.10.12 writes them (mod_event_socket.c and switch_event.c),
 * checked against the captures in test/fixtures/esl-captures.
 */
import type { EslEvent, Header, HeaderValue } from './eslEvent';

/** How a connection asked for events: `event plain|json|xml …`. */
export type EventFormat = 'plain' | 'json' | 'xml';

/** `Content-Type: auth/request`, sent on accept; no Content-Length. */
export const AUTH_REQUEST = Buffer.from('Content-Type: auth/request\n\n');

const DISCONNECT_TEXT = 'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n';
/** The 67-byte goodbye sent before every server-side close. */
export const DISCONNECT_NOTICE = Buffer.from(
  `Content-Type: text/disconnect-notice\nContent-Length: ${Buffer.byteLength(DISCONNECT_TEXT)}\n\n${DISCONNECT_TEXT}`,
);

const REJECTION_TEXT = 'Access Denied, go away.\n';
/** Sent instead of auth/request to an address the ACL denies. */
export const RUDE_REJECTION = Buffer.from(
  `Content-Type: text/rude-rejection\nContent-Length: ${Buffer.byteLength(REJECTION_TEXT)}\n\n${REJECTION_TEXT}`,
);

/** `command/reply`: Content-Type, Reply-Text, then any extra headers (bgapi's Job-UUID); never a body. */
export function commandReply(replyText: string, extra: readonly (readonly [string, string])[] = []): Buffer {
  let text = `Content-Type: command/reply\nReply-Text: ${replyText}\n`;
  for (const [name, value] of extra) text += `${name}: ${value}\n`;
  return Buffer.from(`${text}\n`);
}

/** `api/response`: Content-Type then Content-Length (the reverse of events); the body as the command wrote it. */
export function apiResponse(body: string): Buffer {
  const bytes = Buffer.from(body, 'utf8');
  return Buffer.concat([Buffer.from(`Content-Type: api/response\nContent-Length: ${bytes.length}\n\n`), bytes]);
}

/** One line of FreeSWITCH's log, as `log <level>` delivers it. */
export interface LogLine {
  level: number;
  /** Text-Channel: 0 log, 1 clean (no prefix), 3 session. */
  textChannel: number;
  file: string;
  func: string;
  line: number;
  /** The channel uuid, or '' (written as `User-Data: ` with a trailing space, as in the captures). */
  userData: string;
  /** The formatted line, ending in `\n`. */
  body: string;
}

/** `log/data`: header order from read_packet() in mod_event_socket.c (capture 08). */
export function logDataFrame(log: LogLine): Buffer {
  const body = Buffer.from(log.body, 'utf8');
  const head =
    `Content-Type: log/data\nContent-Length: ${body.length}\nLog-Level: ${log.level}\n` +
    `Text-Channel: ${log.textChannel}\nLog-File: ${log.file}\nLog-Func: ${log.func}\n` +
    `Log-Line: ${log.line}\nUser-Data: ${log.userData}\n\n`;
  return Buffer.concat([Buffer.from(head), body]);
}

/** An event frame: Content-Length, then Content-Type (the reverse of api/response), then the body. */
export function eventFrame(event: EslEvent, format: EventFormat): Buffer {
  const body = format === 'json' ? serializeJson(event) : format === 'xml' ? serializeXml(event) : serializePlain(event);
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\nContent-Type: text/event-${format}\n\n`), body]);
}

// FreeSWITCH's SWITCH_URL_UNSAFE, plus every byte below 0x20 or above 0x7e.
const URL_UNSAFE = new Set(Buffer.from('\r\n #%&+:;<=>?@[\\]^`{|}"'));
const HEX = '0123456789ABCDEF';
const HEX_BYTES = new Set(Buffer.from(HEX));

function bytesOf(value: HeaderValue): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

/**
 * `switch_url_encode`: byte-wise, uppercase hex. An existing `%XX` (uppercase hex) is kept as it is,
 * because switch_url_encode calls switch_url_encode_opt with double_encode off.
 */
export function urlEncode(value: HeaderValue): Buffer {
  const input = bytesOf(value);
  const out: number[] = [];
  for (let i = 0; i < input.length; i++) {
    const b = input[i]!;
    const keepPercent = b === 0x25 && i + 2 < input.length && HEX_BYTES.has(input[i + 1]!) && HEX_BYTES.has(input[i + 2]!);
    if (!keepPercent && (b < 0x20 || b > 0x7e || URL_UNSAFE.has(b))) {
      out.push(0x25, HEX.charCodeAt(b >> 4), HEX.charCodeAt(b & 0x0f));
    } else {
      out.push(b);
    }
  }
  return Buffer.from(out);
}

/**
 * `switch_event_serialize(event, &buf, SWITCH_TRUE)`: `Name: url-encoded value` lines; an empty value
 * becomes `_undef_`; a body adds `Content-Length: n`, a blank line and exactly n bytes.
 */
export function serializePlain(event: EslEvent): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of event.headers) {
    const encoded = event.rawPlainValues ? bytesOf(value) : urlEncode(value);
    parts.push(Buffer.from(`${name}: `), encoded.length === 0 ? Buffer.from('_undef_') : encoded, Buffer.from('\n'));
  }
  const body = event.body === undefined ? undefined : Buffer.from(event.body, 'utf8');
  if (body && body.length > 0) parts.push(Buffer.from(`Content-Length: ${body.length}\n\n`), body);
  else parts.push(Buffer.from('\n'));
  return Buffer.concat(parts);
}

/**
 * cJSON's string escaping, byte-wise: `"` `\` and control bytes are escaped, every other byte
 * (UTF-8 or not) is copied. JSON.stringify would differ on invalid UTF-8 and lone surrogates.
 */
function jsonString(value: HeaderValue): Buffer {
  const input = bytesOf(value);
  const out: number[] = [0x22];
  for (const b of input) {
    if (b === 0x22 || b === 0x5c) out.push(0x5c, b);
    else if (b === 0x08) out.push(0x5c, 0x62);
    else if (b === 0x0c) out.push(0x5c, 0x66);
    else if (b === 0x0a) out.push(0x5c, 0x6e);
    else if (b === 0x0d) out.push(0x5c, 0x72);
    else if (b === 0x09) out.push(0x5c, 0x74);
    else if (b < 0x20) out.push(...Buffer.from(`\\u${b.toString(16).padStart(4, '0')}`));
    else out.push(b);
  }
  out.push(0x22);
  return Buffer.from(out);
}

/**
 * `switch_event_serialize_json`: one unformatted object, every value a string (an array header an
 * array of strings), duplicate names kept (cJSON adds items without checking), the body as
 * `Content-Length` and `_body`.
 */
export function serializeJson(event: EslEvent): Buffer {
  const members: Header[] = [...event.headers];
  if (event.body !== undefined) {
    members.push(['Content-Length', String(Buffer.byteLength(event.body))], ['_body', event.body]);
  }
  // Text that JSON.stringify escapes exactly as cJSON does goes into one string; the rest (raw
  // bytes, lone surrogates) byte-wise. Most events are text only: one Buffer.from per event.
  const out: Buffer[] = [];
  let text = '{';
  const put = (value: HeaderValue): void => {
    if (typeof value === 'string' && !LONE_SURROGATE.test(value)) {
      text += JSON.stringify(value);
      return;
    }
    out.push(Buffer.from(text), jsonString(value));
    text = '';
  };
  members.forEach(([name, value], i) => {
    if (i > 0) text += ',';
    put(name);
    text += ':';
    // An array header (`ARRAY::a|:b`, e.g. variable_DP_MATCH) is a JSON array (capture 20).
    const str = typeof value === 'string' ? value : undefined;
    if (str?.startsWith('ARRAY::')) {
      text += '[';
      str.slice(7).split('|:').forEach((item, j) => {
        if (j > 0) text += ',';
        put(item);
      });
      text += ']';
    } else {
      put(value);
    }
  });
  text += '}';
  if (out.length === 0) return Buffer.from(text);
  out.push(Buffer.from(text));
  return Buffer.concat(out);
}

/**
 * JSON.stringify escapes `"`, `\` and control characters as cJSON does (`\b \f \n \r \t`, else
 * `\u00xx`) and copies everything else; it differs only on lone surrogates (cJSON copies bytes).
 */
const LONE_SURROGATE = /[\ud800-\udfff]/;

/**
 * `switch_xml_ampencode` on element text (attribute off, UTF-8 encoding on, as `switch_xml_toxml`
 * calls it), byte for byte as an x86-64 build runs it, where `char` is signed: `&` `<` `>` become
 * entities, CR `&#xD;`, `"` LF and tab stay; each UTF-8 sequence becomes one `&#xHEX;`; a byte that
 * cannot start or continue a sequence is dropped (FreeSWITCH logs "skip it"); from the first `<!` on
 * every byte is copied as it is (meant for CDATA). A NUL would end the C string; values have none.
 */
export function xmlText(input: Buffer): Buffer {
  const out: number[] = [];
  const push = (s: string): void => {
    for (let k = 0; k < s.length; k++) out.push(s.charCodeAt(k));
  };
  let immune = false;
  let expecting = 0;
  let codePoint = 0;
  for (let i = 0; i < input.length; i++) {
    const b = input[i]!;
    if (immune) {
      out.push(b);
      continue;
    }
    if (b === 0x26) push('&amp;');
    else if (b === 0x3c && input[i + 1] === 0x21) {
      out.push(b);
      immune = true;
    } else if (b === 0x3c) push('&lt;');
    else if (b === 0x3e) push('&gt;');
    else if (b === 0x0d) push('&#xD;');
    else if (b === 0x22 || b === 0x0a || b === 0x09) out.push(b);
    else if (expecting === 0 && b >= 0x80) {
      // The count of leading one bits, at most 4; a lone continuation byte (one bit) is skipped.
      let num = 1;
      while (num < 4 && (b >> (7 - num)) & 1) num++;
      codePoint = num === 2 ? b & 0x1f : num === 3 ? b & 0x0f : num === 4 ? b & 0x07 : codePoint;
      expecting = num - 1;
    } else if (expecting > 0) {
      if (b >> 6 === 2) {
        codePoint = (codePoint << 6) | (b & 0x3f);
        if (--expecting === 0) push(`&#x${codePoint.toString(16).toUpperCase()};`);
      } else {
        expecting = 0; // Not a continuation byte: it and the sequence so far are dropped.
      }
    } else out.push(b);
  }
  return Buffer.from(out);
}

/**
 * `switch_event_xmlize` rendered by `switch_xml_toxml(xml, SWITCH_FALSE)`, as mod_event_socket sends
 * `text/event-xml` (src/switch_event.c, src/switch_xml.c; no capture has XML events):
 * - `<event>`, `<headers>` and one element per header, named as the header (not escaped), holding
 *   the url-encoded value (`add_xml_header`) passed through `xmlText`, which leaves it unchanged.
 *   Duplicate headers are written as they are; an array header would be one element per item.
 * - For a non-empty body: `<Content-Length>` (url-encoded too) and `<body>` with `xmlText(body)`.
 * - Indentation by `switch_xml_toxml_r`: a newline after a `>` that ends an open tag, two spaces per
 *   level, a newline after every close tag. The body gets no newline after `<body>`; its close tag
 *   is indented (two spaces) only when the escaped text ends in a newline. `<headers>` with no
 *   header is `<headers></headers>`.
 */
export function serializeXml(event: EslEvent): Buffer {
  const parts: Buffer[] = [Buffer.from(event.headers.length > 0 ? '<event>\n  <headers>\n' : '<event>\n  <headers>')];
  for (const [name, value] of event.headers) {
    parts.push(Buffer.from(`    <${name}>`), xmlText(urlEncode(value)), Buffer.from(`</${name}>\n`));
  }
  parts.push(Buffer.from(event.headers.length > 0 ? '  </headers>\n' : '</headers>\n'));
  const body = event.body === undefined ? undefined : Buffer.from(event.body, 'utf8');
  if (body && body.length > 0) {
    const text = xmlText(body);
    const indent = text[text.length - 1] === 0x0a ? '  ' : '';
    parts.push(Buffer.from(`  <Content-Length>${body.length}</Content-Length>\n  <body>`), text, Buffer.from(`${indent}</body>\n`));
  }
  parts.push(Buffer.from('</event>\n'));
  return Buffer.concat(parts);
}
