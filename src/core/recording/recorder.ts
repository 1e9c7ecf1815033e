/**
 * Records what one ESL connection receives (its events, and the commands it sends with their
 * replies) to a `.fsrec.jsonl` file (format.ts), until stopped or a size or time limit is reached.
 * It taps the connection's emitters: the read path only formats a line and hands it to a file
 * stream; nothing waits on the disk. Commands other connections sent (the app host's, where the
 * apps run) join the same file through `addCommandFrame`, so a recording can be replayed into an app.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Connection } from '../esl/connection';
import type { EslEvent } from '../esl/event';
import { DisposableStore, Emitter, type Disposable, type Event } from '../util/lifecycle';
import { eventObject, RECORDING_FORMAT_VERSION, type RecordingHeader } from './format';
import { epochMs, tapCommands, type TappedFrame } from './tap';

export interface RecorderOptions {
  /** The file to write (created or truncated). */
  path: string;
  /** Stop once this many bytes were written. Default 100 MiB. */
  maxBytes?: number;
  /** Stop after this long, ms. Default 1 hour. */
  maxMs?: number;
}

export interface RecorderStatus {
  path: string;
  frames: number;
  events: number;
  bytes: number;
  elapsedMs: number;
  /** Set once stopped: `stopped`, `size limit`, `time limit`, `connection closed`. */
  stopReason: string | undefined;
}

/**
 * An api answer as a header value: '' (unknown) for an error or no answer. A switch without the
 * command answers `-ERR switchname Command not found!`, and ESL says `-ERR no reply` for an empty
 * answer (capture 19): neither is a name.
 */
function headerValue(reply: string): string {
  const value = reply.trim();
  return value.startsWith('-ERR') ? '' : value;
}

export class EslRecorder implements Disposable {
  private readonly store = new DisposableStore();
  private readonly stream: WriteStream;
  private readonly started = performance.now();
  /** `started` as epoch ms: tapped frames carry epoch times (they may come from another process). */
  private readonly startedEpoch = epochMs();
  private readonly maxBytes: number;
  private readonly maxMs: number;
  private timer: NodeJS.Timeout | undefined;
  private frames = 0;
  private events = 0;
  private bytes = 0;
  private nextId = 1;
  /** File ids of commands waiting for their reply: by source (`from`, '' for this connection), then ref. */
  private readonly waiting = new Map<string, Map<string, number>>();
  private stopReason: string | undefined;
  private closed: Promise<void> | undefined;
  private readonly _onDidStop = new Emitter<RecorderStatus>();
  /** Fires once when the recording stops, by `stop()` or a limit. */
  readonly onDidStop: Event<RecorderStatus> = this._onDidStop.event;

  private constructor(
    connection: Connection,
    private readonly options: RecorderOptions,
    header: RecordingHeader,
  ) {
    this.maxBytes = options.maxBytes ?? 100 * 1024 * 1024;
    this.maxMs = options.maxMs ?? 60 * 60 * 1000;
    this.stream = createWriteStream(options.path);
    this.stream.on('error', () => void this.stop('write error'));
    this.write(`${JSON.stringify(header)}\n`);
    this.store.add(connection.onDidReceiveEvent((e) => this.onEvent(e)));
    this.store.add(tapCommands([connection], (f) => this.addCommandFrame(f)));
    this.store.add(
      connection.onDidChangeStatus((change) => {
        if (change.to === 'closed') void this.stop('connection closed');
        // The tap pairs a new socket's replies with its own commands: the old socket's never come.
        else if (change.to === 'reconnecting') this.forgetCommands('');
      }),
    );
    this.timer = setTimeout(() => void this.stop('time limit'), this.maxMs);
    this.timer.unref();
  }

  /**
   * Asks the switch for its version and name (for the header), then records until `stop()` or a
   * limit. The connection must be ready.
   */
  static async start(connection: Connection, options: RecorderOptions): Promise<EslRecorder> {
    const [version, switchname] = await Promise.all([connection.api('version').catch(() => ''), connection.api('switchname').catch(() => '')]);
    const header: RecordingHeader = {
      fsrec: RECORDING_FORMAT_VERSION,
      freeswitchVersion: headerValue(version),
      switchname: headerValue(switchname),
      eventFormat: connection.eventFormat,
      startedAt: new Date().toISOString(),
      source: connection.address,
      limits: { maxBytes: options.maxBytes ?? 100 * 1024 * 1024, maxMs: options.maxMs ?? 60 * 60 * 1000 },
    };
    return new EslRecorder(connection, options, header);
  }

  get status(): RecorderStatus {
    return { path: this.options.path, frames: this.frames, events: this.events, bytes: this.bytes, elapsedMs: performance.now() - this.started, stopReason: this.stopReason };
  }

  get isRecording(): boolean {
    return this.stopReason === undefined;
  }

  private t(): string {
    return (performance.now() - this.started).toFixed(3);
  }

  private write(line: string): void {
    // Byte length of UTF-8 without encoding twice: exact for ASCII, an estimate otherwise is not
    // good enough for a limit, so measure.
    this.bytes += Buffer.byteLength(line);
    this.stream.write(line);
  }

  private frame(line: string): void {
    if (this.stopReason !== undefined) return;
    this.frames++;
    this.write(line);
    if (this.bytes >= this.maxBytes) void this.stop('size limit');
  }

  private onEvent(e: EslEvent): void {
    this.events++;
    this.frame(`{"t":${this.t()},"kind":"event","event":${JSON.stringify(eventObject(e))}}\n`);
  }

  /**
   * Records a command or its reply. Without `from`: this recorder's own connection. With it: another
   * connection's (`apps`, the app host's), written with `"from"` so a reader can tell; its refs are
   * kept apart from the others'. A reply whose command was not recorded is dropped.
   */
  addCommandFrame(f: TappedFrame, from?: string): void {
    if (this.stopReason !== undefined) return;
    const source = from ?? '';
    const t = Math.max(0, Number((f.at - this.startedEpoch).toFixed(3)));
    if (f.kind === 'command') {
      const id = this.nextId++;
      let waiting = this.waiting.get(source);
      if (!waiting) this.waiting.set(source, (waiting = new Map()));
      waiting.set(f.ref, id);
      const frame: Record<string, unknown> = { t, kind: 'command', id, command: f.command };
      if (from !== undefined) frame['from'] = from;
      if (f.headers) frame['headers'] = f.headers;
      if (f.body !== undefined) frame['body'] = f.body;
      this.frame(`${JSON.stringify(frame)}\n`);
      return;
    }
    const id = this.waiting.get(source)?.get(f.ref);
    if (id === undefined) return;
    this.waiting.get(source)!.delete(f.ref);
    const frame: Record<string, unknown> = { t, kind: 'reply', id, contentType: f.contentType, replyText: f.replyText, body: f.body };
    if (f.headers) frame['headers'] = f.headers;
    this.frame(`${JSON.stringify(frame)}\n`);
  }

  /**
   * The source `from` went away (its app host restarted, or its connection closed): the replies to
   * its commands still waiting will never come, so stop waiting for them. Their commands stay in the
   * file, without replies.
   */
  forgetCommands(from: string): void {
    this.waiting.delete(from);
  }

  /** Commands recorded whose reply has not come yet: from `from` (as given to `addCommandFrame`), or ('') this connection's. */
  waitingCommands(from = ''): number {
    return this.waiting.get(from)?.size ?? 0;
  }

  /** Stops recording, writes the `end` line and closes the file. Idempotent. */
  stop(reason = 'stopped'): Promise<void> {
    if (this.closed) return this.closed;
    this.stopReason = reason;
    clearTimeout(this.timer);
    this.store.dispose();
    this.write(`${JSON.stringify({ t: Number(this.t()), kind: 'end', reason, frames: this.frames })}\n`);
    this.closed = new Promise<void>((resolve) => this.stream.end(() => resolve()));
    this._onDidStop.fire(this.status);
    this._onDidStop.dispose();
    return this.closed;
  }

  dispose(): void {
    void this.stop();
  }
}
