/**
 * The test server's own recorder, in the `.fsrec.jsonl` format clients record
 * (src/core/recording/format.ts): the same header fields (the version `api version` answers, the
 * switch's name), what the switch emits (every event, as a connection subscribed to ALL would
 * receive it), and every connection's commands with their replies, so `replay()` answers an app
 * from it as from a client's recording. A command says which connection sent it (`"from":
 * "connection 3"`); connections answer in order, so each reply pairs with its connection's oldest
 * unanswered command.
 */
import { createWriteStream } from 'node:fs';
import { RECORDING_FORMAT_VERSION, type RecordingHeader } from '../../src/core/recording/format';
import type { CommandRecord } from './eslServer';
import type { CommandReplyRecord } from './eslConnection';
import type { EslEvent } from './eslEvent';
import { valueText } from './eslEvent';
import type { SwitchSink } from './switchCore';

export interface ServerRecording {
  /** Events written so far. */
  readonly events: number;
  stop(): Promise<void>;
}

/** Starts writing `path`; `attach` subscribes the sink and returns its detach function. */
export function recordServer(
  path: string,
  info: {
    freeswitchVersion: string;
    switchname: string;
    source: string;
    /** Per connection, the commands it received before the recording and has not answered yet. */
    unanswered: ReadonlyMap<number, number>;
  },
  attach: (sink: SwitchSink) => () => void,
  onCommand: (listener: (c: CommandRecord) => void) => () => void,
  onReply: (listener: (connectionId: number, reply: CommandReplyRecord) => void) => () => void,
): ServerRecording {
  const stream = createWriteStream(path);
  const started = performance.now();
  const t = (): string => (performance.now() - started).toFixed(3);
  let events = 0;
  let frames = 0;
  let nextId = 1;
  /** Per connection, the ids of its commands still unanswered, oldest first (0: not recorded: an auth, or sent before the start). */
  const waiting = new Map<number, number[]>([...info.unanswered].map(([connectionId, n]) => [connectionId, new Array<number>(n).fill(0)]));
  const header: RecordingHeader = {
    fsrec: RECORDING_FORMAT_VERSION,
    freeswitchVersion: info.freeswitchVersion,
    switchname: info.switchname,
    eventFormat: 'json',
    startedAt: new Date().toISOString(),
    source: info.source,
    // The server records until stopped: no limits.
    limits: {},
  };
  stream.write(`${JSON.stringify(header)}\n`);
  const sink: SwitchSink = {
    onEvent(event: EslEvent) {
      const obj: Record<string, string> = {};
      for (const [k, v] of event.headers) obj[k] ??= valueText(v);
      if (event.body) obj['_body'] = event.body;
      events++;
      frames++;
      stream.write(`{"t":${t()},"kind":"event","event":${JSON.stringify(obj)}}\n`);
    },
    onLog() {},
    wantsLog: () => false,
  };
  const detach = attach(sink);
  const stopCommands = onCommand((c) => {
    const queue = waiting.get(c.connectionId) ?? [];
    waiting.set(c.connectionId, queue);
    // The password never lands in a file; the auth's reply is skipped with it.
    if (/^(auth|userauth)\b/.test(c.line)) {
      queue.push(0);
      return;
    }
    const id = nextId++;
    queue.push(id);
    frames++;
    const frame: Record<string, unknown> = { t: Number(t()), kind: 'command', id, command: c.line, from: `connection ${c.connectionId}` };
    if (c.headers.length > 0) frame['headers'] = Object.fromEntries(c.headers);
    if (c.body !== undefined) frame['body'] = c.body;
    stream.write(`${JSON.stringify(frame)}\n`);
  });
  const stopReplies = onReply((connectionId, reply) => {
    const id = waiting.get(connectionId)?.shift();
    if (!id) return;
    frames++;
    const frame: Record<string, unknown> = { t: Number(t()), kind: 'reply', id, contentType: reply.contentType, replyText: reply.replyText, body: reply.body };
    if (reply.headers.length > 0) frame['headers'] = Object.fromEntries(reply.headers);
    stream.write(`${JSON.stringify(frame)}\n`);
  });
  let stopped: Promise<void> | undefined;
  return {
    get events() {
      return events;
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        detach();
        stopCommands();
        stopReplies();
        stream.end(`${JSON.stringify({ t: Number(t()), kind: 'end', reason: 'stopped', frames })}\n`, () => resolve());
      });
      return stopped;
    },
  };
}
