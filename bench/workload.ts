/**
 * The benchmark's event stream: the real CHANNEL_CREATE that FreeSWITCH 1.10.12 sent in capture 04
 * (plain) and 05 (json), with a caller name added (a quarter of them non-ASCII), a fresh Unique-ID
 * per event, and a final `CUSTOM bench::done` marker event. Bytes are built from templates so the
 * fake server spends next to nothing per event and never becomes the bottleneck.
 */
import type { EventFormat } from '../src/core/esl/event';
import { FrameParser } from '../src/core/esl/parser';
import { loadCapture } from '../test/support/captures';

/** Caller names cycled over the events; 3 of 12 (25 %) are non-ASCII. */
export const CALLER_NAMES: readonly string[] = [
  'Test Caller',
  'Alice Smith',
  'Zoë Ångström',
  'Bob Jones',
  "O'Brien, Pat",
  '李小龙',
  'Front Desk',
  'Sales Line 2',
  '😀 Happy Caller',
  'Carol White',
  'Conference Room B',
  'Dave Brown',
];

/** A uuid shape whose last 12 hex digits are patched with the event's sequence number. */
const UUID_PLACEHOLDER = 'be7c0000-0000-4000-8000-000000000000';
const UUID_PREFIX_LEN = 24;
const CORE_UUID = '60e9c6d3-ffce-4c4e-8eff-d874d2d9d155';
export const MARKER_SUBCLASS = 'bench::done';

/** Characters FreeSWITCH's switch_url_encode escapes besides bytes outside ' '..'~' (SWITCH_URL_UNSAFE). */
const URL_UNSAFE = new Set(Array.from('\r\n #%&+:;<=>?@[\\]^`{|}"', (c) => c.charCodeAt(0)));

/** URL-encodes a header value the way FreeSWITCH does for plain events: per UTF-8 byte, upper-case hex. */
export function freeswitchUrlEncode(value: string): string {
  let out = '';
  for (const b of Buffer.from(value, 'utf8')) {
    if (b < 0x20 || b > 0x7e || URL_UNSAFE.has(b)) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    else out += String.fromCharCode(b);
  }
  return out;
}

interface Template {
  /** One complete frame: outer headers and body. */
  bytes: Buffer;
  /** Where the placeholder uuid starts in `bytes` (every Unique-ID/Call-UUID/variable_uuid copy). */
  uuidOffsets: number[];
}

export interface Workload {
  format: EventFormat;
  /** One template per caller name, indexed by `seq % CALLER_NAMES.length`. */
  templates: Template[];
  /** Headers per event (as decoded), for the report. */
  headerCount: number;
  /** Average frame size in bytes over one cycle of caller names. */
  averageFrameBytes: number;
}

function findAll(buf: Buffer, needle: string): number[] {
  const offsets: number[] = [];
  for (let i = buf.indexOf(needle); i >= 0; i = buf.indexOf(needle, i + needle.length)) offsets.push(i);
  return offsets;
}

function frameOf(format: EventFormat, body: Buffer): Buffer {
  const type = format === 'json' ? 'text/event-json' : 'text/event-plain';
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\nContent-Type: ${type}\n\n`, 'latin1'), body]);
}

/** The first CHANNEL_CREATE body of a capture, as FreeSWITCH sent it. */
function realChannelCreate(format: EventFormat): Buffer {
  const capture = loadCapture(format === 'json' ? '05' : '04');
  for (const frame of new FrameParser().push(capture.server)) {
    const body = frame.body;
    if (!body) continue;
    if (format === 'plain' && body.subarray(0, 27).toString('latin1') === 'Event-Name: CHANNEL_CREATE\n') return body;
    if (format === 'json' && body.subarray(0, 30).toString('latin1') === '{"Event-Name":"CHANNEL_CREATE"') return body;
  }
  throw new Error(`no CHANNEL_CREATE in capture ${capture.name}`);
}

/** Header pairs inserted for a caller name; positions follow a real `uuid_dump` (capture 11). */
function withCallerName(pairs: Array<[string, string]>, name: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [key, value] of pairs) {
    if (key === 'Caller-Caller-ID-Number') out.push(['Caller-Caller-ID-Name', name]);
    if (key === 'Caller-Orig-Caller-ID-Number') out.push(['Caller-Orig-Caller-ID-Name', name]);
    out.push([key, value]);
  }
  out.push(['variable_origination_caller_id_name', name]);
  return out;
}

export function buildWorkload(format: EventFormat): Workload {
  const real = realChannelCreate(format);
  let pairs: Array<[string, string]>;
  let realUuid: string;
  if (format === 'json') {
    const obj = JSON.parse(real.toString('utf8')) as Record<string, string>;
    pairs = Object.entries(obj);
    realUuid = obj['Unique-ID']!;
  } else {
    // Keep values exactly as encoded on the wire; only the added caller name is encoded here.
    const text = real.toString('utf8');
    const headerText = text.slice(0, text.indexOf('\n\n'));
    pairs = headerText.split('\n').map((line) => {
      const colon = line.indexOf(': ');
      return [line.slice(0, colon), line.slice(colon + 2)];
    });
    realUuid = pairs.find(([k]) => k === 'Unique-ID')![1];
  }
  const templates = CALLER_NAMES.map((name): Template => {
    const named = withCallerName(pairs, format === 'json' ? name : freeswitchUrlEncode(name)).map(
      ([k, v]): [string, string] => [k, v.split(realUuid).join(UUID_PLACEHOLDER)],
    );
    const body =
      format === 'json'
        ? Buffer.from(JSON.stringify(Object.fromEntries(named)), 'utf8')
        : Buffer.from(`${named.map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n`, 'utf8');
    const bytes = frameOf(format, body);
    return { bytes, uuidOffsets: findAll(bytes, UUID_PLACEHOLDER) };
  });
  const total = templates.reduce((sum, t) => sum + t.bytes.length, 0);
  return {
    format,
    templates,
    headerCount: pairs.length + 3,
    averageFrameBytes: Math.round(total / templates.length),
  };
}

/** The Unique-ID of event number `seq`. */
export function uuidOf(seq: number): string {
  return UUID_PLACEHOLDER.slice(0, UUID_PREFIX_LEN) + seq.toString(16).padStart(12, '0');
}

/** Events `first … first+count-1`, back to back, each with its own Unique-ID. */
export function encodeEvents(w: Workload, first: number, count: number): Buffer {
  const n = w.templates.length;
  let size = 0;
  for (let i = 0; i < count; i++) size += w.templates[(first + i) % n]!.bytes.length;
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  for (let i = 0; i < count; i++) {
    const seq = first + i;
    const t = w.templates[seq % n]!;
    t.bytes.copy(out, pos);
    const suffix = seq.toString(16).padStart(12, '0');
    for (const off of t.uuidOffsets) out.write(suffix, pos + off + UUID_PREFIX_LEN, 12, 'latin1');
    pos += t.bytes.length;
  }
  return out;
}

/** The end-of-blast marker: a CUSTOM event (subclass `bench::done`) carrying how many events preceded it. */
export function encodeMarker(format: EventFormat, count: number): Buffer {
  const headers: Array<[string, string]> = [
    ['Event-Name', 'CUSTOM'],
    ['Core-UUID', CORE_UUID],
    ['Event-Subclass', MARKER_SUBCLASS],
    ['Bench-Count', String(count)],
  ];
  const body =
    format === 'json'
      ? Buffer.from(JSON.stringify(Object.fromEntries(headers)), 'utf8')
      : Buffer.from(`${headers.map(([k, v]) => `${k}: ${freeswitchUrlEncode(v)}`).join('\n')}\n\n`, 'utf8');
  return frameOf(format, body);
}
