import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Where the real FreeSWITCH 1.10.12 captures live (a copy of shared/esl-captures). */
export const CAPTURES_DIR = join(__dirname, '..', 'fixtures', 'esl-captures');

/** One record of an `esl-capture/1` file: one recv() of one side, or an EOF marker. */
export interface CaptureRecord {
  marker: string;
  who: 'meta' | 'client' | 'server' | 'eof-client' | 'eof-server' | string;
  t: number;
  payload: Buffer;
}

export interface Capture {
  name: string;
  meta: Record<string, unknown>;
  records: CaptureRecord[];
  /** The server's byte stream, as records of what each recv() returned. */
  serverChunks: Buffer[];
  /** The client's byte stream, as records. */
  clientChunks: Buffer[];
  server: Buffer;
  client: Buffer;
}

const HEADER = /^(\S+) (\S+) t=(\S+) len=(\d+)$/;

/** Parses a capture file by its `len=` counts; never by lines (payloads hold blank lines). */
export function parseCapture(name: string, data: Buffer): Capture {
  const records: CaptureRecord[] = [];
  let i = 0;
  while (i < data.length) {
    const nl = data.indexOf(0x0a, i);
    if (nl < 0) throw new Error(`${name}: truncated record header at byte ${i}`);
    const line = data.toString('latin1', i, nl);
    const m = HEADER.exec(line);
    if (!m) throw new Error(`${name}: bad record header ${JSON.stringify(line)}`);
    const len = Number(m[4]);
    const payload = data.subarray(nl + 1, nl + 1 + len);
    records.push({ marker: m[1]!, who: m[2]!, t: Number(m[3]), payload });
    i = nl + 1 + len + 1;
  }
  const meta = JSON.parse(records[0]!.payload.toString('utf8')) as Record<string, unknown>;
  const serverChunks = records.filter((r) => r.who === 'server').map((r) => r.payload);
  const clientChunks = records.filter((r) => r.who === 'client').map((r) => r.payload);
  return {
    name,
    meta,
    records,
    serverChunks,
    clientChunks,
    server: Buffer.concat(serverChunks),
    client: Buffer.concat(clientChunks),
  };
}

/** Loads one capture by file name prefix, e.g. `05` or `05-event-json-originate`. */
export function loadCapture(prefix: string): Capture {
  const file = listCaptures().find((f) => f.startsWith(prefix));
  if (!file) throw new Error(`no capture named ${prefix}* in ${CAPTURES_DIR}`);
  return parseCapture(file, readFileSync(join(CAPTURES_DIR, file)));
}

/** Every capture file name, sorted. */
export function listCaptures(): string[] {
  return readdirSync(CAPTURES_DIR)
    .filter((f) => f.endsWith('.esl.txt'))
    .sort();
}
