/**
 * The test server's own recorder: what the switch emits (every event, as a connection subscribed
 * to ALL would receive it) and the commands clients send, in the `.fsrec.jsonl` format the core
 * reads (src/core/recording/format.ts). Replies stay with the client's recorder (`fsdev record`,
 * the event stream's Record): the switch does not see them as one stream.
 */
import { createWriteStream } from 'node:fs';
import { RECORDING_FORMAT_VERSION } from '../../src/core/recording/format';
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
  info: { switchname: string; source: string },
  attach: (sink: SwitchSink) => () => void,
  onCommand: (listener: (c: { line: string; headers: readonly (readonly [string, string])[]; body: string | undefined }) => void) => () => void,
): ServerRecording {
  const stream = createWriteStream(path);
  const started = performance.now();
  const t = (): string => (performance.now() - started).toFixed(3);
  let events = 0;
  let frames = 0;
  let nextId = 1;
  stream.write(
    `${JSON.stringify({
      fsrec: RECORDING_FORMAT_VERSION,
      freeswitchVersion: 'FreeSWITCH Version 1.10.12-release~64bit (test ESL server)',
      switchname: info.switchname,
      eventFormat: 'json',
      startedAt: new Date().toISOString(),
      source: info.source,
      limits: {},
    })}\n`,
  );
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
    // The password never lands in a file.
    if (/^(auth|userauth)\b/.test(c.line)) return;
    frames++;
    const frame: Record<string, unknown> = { t: Number(t()), kind: 'command', id: nextId++, command: c.line };
    if (c.headers.length > 0) frame['headers'] = Object.fromEntries(c.headers);
    if (c.body !== undefined) frame['body'] = c.body;
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
        stream.end(`${JSON.stringify({ t: Number(t()), kind: 'end', reason: 'stopped', frames })}\n`, () => resolve());
      });
      return stopped;
    },
  };
}
