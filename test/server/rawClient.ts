/**
 * A bare ESL client for tests of the test server itself: writes commands as given and collects
 * frames, so tests see exactly what is on the wire (the project's Client hides that).
 */
import { connect, type Socket } from 'node:net';
import { FrameParser, type EslFrame } from '../../src/core/esl/parser';
import { parseEvent, type EventHeader } from './captureReplay';

export class RawEslClient {
  /** Every frame received, in order. */
  readonly frames: EslFrame[] = [];
  /** Every byte received, in order. */
  readonly bytes: Buffer[] = [];
  closed = false;
  private readonly parser = new FrameParser();
  private readonly waiters = new Set<() => void>();
  private consumed = 0;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.bytes.push(chunk);
      this.frames.push(...this.parser.push(chunk));
      this.wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  /** Connects; with a password, also authenticates and checks `+OK accepted`. */
  static async connect(port: number, password?: string): Promise<RawEslClient> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new RawEslClient(socket);
    if (password !== undefined) {
      await client.next((f) => f.headers['Content-Type'] === 'auth/request');
      const reply = await client.command(`auth ${password}`);
      if (reply.headers['Reply-Text'] !== '+OK accepted') throw new Error(`auth failed: ${reply.headers['Reply-Text']}`);
    }
    return client;
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Resolves when `condition()` holds, re-checked on every read; rejects after `timeoutMs`. */
  until(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** The next not-yet-consumed frame matching `predicate` (frames before it are skipped). */
  async next(predicate: (f: EslFrame) => boolean, what = 'a frame', timeoutMs?: number): Promise<EslFrame> {
    let found: EslFrame | undefined;
    await this.until(
      () => {
        for (let i = this.consumed; i < this.frames.length; i++) {
          if (predicate(this.frames[i]!)) {
            found = this.frames[i]!;
            this.consumed = i + 1;
            return true;
          }
        }
        return false;
      },
      what,
      timeoutMs,
    );
    return found!;
  }

  write(text: string): void {
    this.socket.write(text);
  }

  /** Sends `line` (and header lines) and resolves to the command/reply. */
  command(line: string, headers: readonly string[] = []): Promise<EslFrame> {
    this.write(`${[line, ...headers].join('\n')}\n\n`);
    return this.next((f) => f.headers['Content-Type'] === 'command/reply', `reply to ${line}`);
  }

  /** `api <cmd>`; resolves to the body. */
  async api(cmd: string): Promise<string> {
    this.write(`api ${cmd}\n\n`);
    const frame = await this.next((f) => f.headers['Content-Type'] === 'api/response', `api ${cmd}`);
    return frame.body?.toString('utf8') ?? '';
  }

  /** The next event named `name` (optionally also matching `where`), as headers. */
  async event(name: string, where: (h: readonly EventHeader[]) => boolean = () => true, timeoutMs?: number): Promise<EventHeader[]> {
    const frame = await this.next(
      (f) => {
        if (!f.headers['Content-Type']?.startsWith('text/event-')) return false;
        const { headers } = parseEvent(f);
        return headers.find(([n]) => n === 'Event-Name')?.[1] === name && where(headers);
      },
      `event ${name}`,
      timeoutMs,
    );
    return parseEvent(frame).headers;
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** The first value of a header. */
export function header(headers: readonly EventHeader[], name: string): string | undefined {
  return headers.find(([n]) => n === name)?.[1];
}
