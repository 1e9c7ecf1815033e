/**
 * Replays a capture's client side against a server and records what comes back, segment by
 * segment: a segment is what the server sent between two client writes (or EOF). The conformance
 * test compares the result with the capture's own server side.
 */
import { connect } from 'node:net';
import { FrameParser, type EslFrame } from '../../src/core/esl/parser';
import type { Capture } from '../support/captures';

/** One thing the client did: write bytes, or half-close. */
export type ClientStep = { kind: 'send'; bytes: Buffer } | { kind: 'eof' };

export interface ExpectedFrame {
  frame: EslFrame;
  /** Index of the client step after which it arrived (0 = before the first). */
  segment: number;
}

export interface CaptureScript {
  steps: ClientStep[];
  frames: ExpectedFrame[];
  /** The capture ends with the server closing the connection. */
  serverCloses: boolean;
}

/** Splits a capture into client steps and the server frames of each segment. */
export function captureScript(capture: Capture): CaptureScript {
  const parser = new FrameParser();
  const steps: ClientStep[] = [];
  const frames: ExpectedFrame[] = [];
  let serverCloses = false;
  for (const record of capture.records) {
    if (record.who === 'client') steps.push({ kind: 'send', bytes: record.payload });
    else if (record.who === 'eof-client') steps.push({ kind: 'eof' });
    else if (record.who === 'eof-server') serverCloses = true;
    else if (record.who === 'server') for (const frame of parser.push(record.payload)) frames.push({ frame, segment: steps.length });
  }
  return { steps, frames, serverCloses };
}

/** One header of an event body, in order (duplicates kept), value decoded. */
export type EventHeader = readonly [string, string];

/** Tolerant %-decoding: a broken sequence stays as it is. */
function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * A flat JSON object of string values, keys in order and duplicates kept (JSON.parse would merge
 * them). An array value (an array header such as `variable_DP_MATCH`, capture 20) is read back as
 * FreeSWITCH writes it in plain events: `ARRAY::a|:b`.
 */
function parseFlatJson(text: string): EventHeader[] {
  const out: EventHeader[] = [];
  const token = /"((?:[^"\\]|\\.)*)"/y;
  let i = text.indexOf('{') + 1;
  const skip = (): void => {
    while (i < text.length && ' \n\r\t:,'.includes(text[i]!)) i++;
  };
  const string = (): string | undefined => {
    token.lastIndex = i;
    const m = token.exec(text);
    if (!m) return undefined;
    i = token.lastIndex;
    return JSON.parse(`"${m[1]}"`) as string;
  };
  for (;;) {
    skip();
    if (text[i] !== '"') break;
    const name = string();
    if (name === undefined) break;
    skip();
    let value: string | undefined;
    if (text[i] === '[') {
      i++;
      const items: string[] = [];
      for (;;) {
        skip();
        if (text[i] === ']') break;
        const item = string();
        if (item === undefined) break;
        items.push(item);
      }
      i++;
      value = `ARRAY::${items.join('|:')}`;
    } else {
      value = string();
    }
    if (value === undefined) break;
    out.push([name, value]);
  }
  return out;
}

/**
 * The headers and body of a text/event-plain or text/event-json frame. Plain values are %-decoded
 * unless `raw` asks for them as they are on the wire.
 */
export function parseEvent(frame: EslFrame, raw = false): { headers: EventHeader[]; body: string | undefined } {
  const type = frame.headers['Content-Type'];
  const text = frame.body?.toString('utf8') ?? '';
  if (type === 'text/event-json') {
    const headers = parseFlatJson(text);
    const bodyAt = headers.findIndex(([n]) => n === '_body');
    if (bodyAt < 0) return { headers, body: undefined };
    const body = headers[bodyAt]![1];
    // Content-Length and _body are the JSON rendering of the body, not headers.
    return { headers: headers.filter(([n], i) => i < bodyAt - 1 || (i < bodyAt && n !== 'Content-Length')), body };
  }
  const end = text.indexOf('\n\n');
  const head = end < 0 ? text : text.slice(0, end);
  const headers: EventHeader[] = head.split('\n').filter((l) => l !== '').map((line) => {
    const colon = line.indexOf(': ');
    if (colon < 0) return [line, ''];
    const value = line.slice(colon + 2);
    return [line.slice(0, colon), raw ? value : decode(value)];
  });
  const bodyLength = headers.find(([n]) => n === 'Content-Length');
  if (bodyLength) {
    return { headers: headers.filter((h) => h !== bodyLength), body: text.slice(end + 2) };
  }
  return { headers, body: undefined };
}

export interface ReplayHooks {
  /** Runs before each client step (e.g. wait for the server to finish what it is doing). */
  beforeStep?: (index: number) => Promise<void>;
  /**
   * Called once when the next expected frame is `expected` and every frame before it has arrived:
   * the chance to trigger something timer-driven (a HEARTBEAT, the end of a 2 s file).
   */
  trigger?: (expected: EslFrame, uuidMap: ReadonlyMap<string, string>) => void;
  /** Fills the capture-uuid → actual-uuid map from an expected and an actual frame. */
  learn?: (expected: EslFrame, actual: EslFrame, uuidMap: Map<string, string>) => void;
  /** How long to wait for a segment's frames. */
  timeoutMs?: number;
  /**
   * Frames FreeSWITCH writes from a queue of their own (log/data, beside the events): they are
   * paired with the expected frames of that queue in order, so where they fall between the other
   * frames does not shift which expected frame `learn` and `trigger` see. Triggers fire on the
   * other frames only.
   */
  ownQueue?: (frame: EslFrame) => boolean;
}

export interface ReplayResult {
  frames: ExpectedFrame[];
  closedByServer: boolean;
  uuidMap: Map<string, string>;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/**
 * Connects to `port` and plays the script: before each client step it waits until the segment's
 * expected number of frames has arrived; uuids the capture's server generated are replaced in the
 * client's bytes by the ones this server generated. Frames that arrive late land in a later
 * segment, so a drifting server shows up in the comparison.
 */
export async function replay(port: number, script: CaptureScript, hooks: ReplayHooks = {}): Promise<ReplayResult> {
  const timeoutMs = hooks.timeoutMs ?? 4000;
  const socket = connect(port, '127.0.0.1');
  const parser = new FrameParser();
  const received: ExpectedFrame[] = [];
  const uuidMap = new Map<string, string>();
  const inOwnQueue = hooks.ownQueue ?? ((): boolean => false);
  const mainExpected = script.frames.filter((f) => !inOwnQueue(f.frame));
  const ownExpected = script.frames.filter((f) => inOwnQueue(f.frame));
  let mainReceived = 0;
  let ownReceived = 0;
  let segment = 0;
  let closed = false;
  let notify: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    for (const frame of parser.push(chunk)) {
      const expected = inOwnQueue(frame) ? ownExpected[ownReceived++] : mainExpected[mainReceived++];
      if (expected) hooks.learn?.(expected.frame, frame, uuidMap);
      received.push({ frame, segment });
    }
    notify?.();
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    closed = true;
    notify?.();
  });
  const triggered = new Set<number>();

  const waitFor = (condition: () => boolean, what: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        notify = undefined;
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${received.length} frames`));
      }, timeoutMs);
      const check = (): void => {
        const next = mainExpected[mainReceived];
        if (next && !triggered.has(mainReceived) && next.segment === segment) {
          triggered.add(mainReceived);
          hooks.trigger?.(next.frame, uuidMap);
        }
        if (condition()) {
          clearTimeout(timer);
          notify = undefined;
          resolve();
        }
      };
      notify = check;
      check();
    });

  for (let i = 0; i <= script.steps.length; i++) {
    const expectedCount = script.frames.filter((f) => f.segment <= i).length;
    await waitFor(() => received.length >= expectedCount || closed, `${expectedCount} frames by segment ${i}`);
    const step = script.steps[i];
    if (!step) break;
    await hooks.beforeStep?.(i);
    segment = i + 1;
    if (step.kind === 'eof') socket.end();
    else socket.write(Buffer.from(step.bytes.toString('latin1').replace(UUID, (u) => uuidMap.get(u) ?? u), 'latin1'));
  }
  if (script.serverCloses) await waitFor(() => closed, 'the server to close');
  socket.destroy();
  return { frames: received, closedByServer: closed, uuidMap };
}
