/**
 * The clients the benchmark measures, each behind the same small driver interface. Adding a client
 * (or a new layer of ours) is one entry in `CLIENTS`.
 */
import { Connection as ModeslConnection } from 'modesl';
import { Connection, type ConnectionOptions } from '../src/core/esl/connection';
import type { EslEvent, EventFormat } from '../src/core/esl/event';
import { EventListener } from '../src/core/listener';
import { MARKER_SUBCLASS } from './workload';

export const PASSWORD = 'ClueCon';

/** What a client hands to the benchmark for each event it delivers. */
export interface EventSink {
  /** A CHANNEL_CREATE: its Unique-ID and caller name as the client decoded them. */
  event(uuid: string | null | undefined, callerName: string | null | undefined): void;
  /** The end-of-blast marker, with the count the server says it sent. */
  done(sent: number): void;
}

export interface OpenClient {
  /** `api <command>`, resolving to the response body. */
  api(command: string): Promise<string>;
  /** Something to show after a run, e.g. how many sessions a listener tracks. */
  describe?(): string | undefined;
  close(): Promise<void>;
}

export interface ClientDriver {
  readonly id: string;
  readonly label: string;
  /** Why this client cannot run here, or undefined when it can. */
  unavailable(): string | undefined;
  /** Connects, authenticates and, when `format` is given, subscribes to CHANNEL_CREATE in it. */
  open(port: number, format: EventFormat | undefined, sink: EventSink): Promise<OpenClient>;
}

function connectionOptions(port: number, format: EventFormat | undefined): ConnectionOptions {
  return { host: '127.0.0.1', port, password: PASSWORD, eventFormat: format ?? 'json', reconnect: false };
}

/** The heap in use after a full collection (the measuring children run with --expose-gc). */
function heapAfterGc(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

/** Routes our EslEvents to the sink: what an app that reads two headers per event does. */
function deliver(sink: EventSink, ev: EslEvent): void {
  const name = ev.name;
  if (name === 'CHANNEL_CREATE') sink.event(ev.uuid, ev.get('Caller-Caller-ID-Name'));
  else if (name === 'CUSTOM' && ev.subclass === MARKER_SUBCLASS) sink.done(Number(ev.get('Bench-Count')));
}

/** Ours: FrameParser + decodeEventFrame through `Connection.onDidReceiveEvent`. */
const ours: ClientDriver = {
  id: 'ours',
  label: 'ours (Connection)',
  unavailable: () => undefined,
  async open(port, format, sink) {
    const conn = new Connection(connectionOptions(port, format));
    conn.onDidReceiveEvent((ev) => deliver(sink, ev));
    await conn.connect();
    if (format) await conn.subscribe(['CHANNEL_CREATE']);
    return { api: (command) => conn.api(command, { timeoutMs: 120_000 }), close: () => conn.close() };
  },
};

/**
 * Ours through the EventListener, which folds channel events into Session/Call models. Events are
 * observed through the listener's own `onDidReceiveEvent` (fired after the models were updated),
 * so a delivered marker means every event before it has been folded. The workload has no hangups:
 * every CHANNEL_CREATE leaves a live Session and Call behind, so RSS grows with N.
 */
const listener: ClientDriver = {
  id: 'listener',
  label: 'ours (EventListener)',
  unavailable: () => undefined,
  async open(port, format, sink) {
    const heapBefore = heapAfterGc();
    const l = new EventListener(connectionOptions(port, format));
    l.onDidReceiveEvent((ev) => deliver(sink, ev));
    await l.connect();
    if (format) await l.connection.subscribe(['CHANNEL_CREATE']);
    return {
      api: (command) => l.connection.api(command, { timeoutMs: 120_000 }),
      // What tracking costs: the heap the listener holds per live session (each with its call).
      describe: () => `sessions=${l.sessions.size} calls=${l.calls.size}, ${((heapAfterGc() - heapBefore) / 1024 / Math.max(1, l.sessions.size)).toFixed(1)} KB heap/session`,
      close: async () => {
        await l.disconnect();
        l.dispose();
      },
    };
  },
};

/** The baseline: modesl 1.2.1, used the way its README shows (callbacks, `esl::event::NAME::*`). */
const modesl: ClientDriver = {
  id: 'modesl',
  label: 'modesl 1.2.1',
  unavailable: () => undefined,
  open(port, format, sink) {
    return new Promise<OpenClient>((resolve, reject) => {
      const conn = new ModeslConnection('127.0.0.1', port, PASSWORD, () => {
        const client: OpenClient = {
          api: (command) => new Promise((res) => conn.api(command, (response) => res(response.getBody()))),
          close: () =>
            new Promise((res) => {
              const socket = conn.socket;
              if (!socket) return res();
              socket.once('close', () => res());
              conn.disconnect();
            }),
        };
        if (!format) return resolve(client);
        conn.events(format, ['CHANNEL_CREATE'], () => resolve(client));
      });
      conn.on('error', (err: Error) => reject(err));
      conn.on('esl::event::CHANNEL_CREATE::*', (ev) => sink.event(ev.getHeader('Unique-ID'), ev.getHeader('Caller-Caller-ID-Name')));
      conn.on('esl::event::CUSTOM::*', (ev) => {
        if (ev.getHeader('Event-Subclass') === MARKER_SUBCLASS) sink.done(Number(ev.getHeader('Bench-Count')));
      });
    });
  },
};

/** Every client measured, in table order. */
export const CLIENTS: readonly ClientDriver[] = [ours, listener, modesl];

export function clientById(id: string): ClientDriver {
  const c = CLIENTS.find((x) => x.id === id);
  if (!c) throw new Error(`unknown client ${id}`);
  return c;
}
