/**
 * Taps the commands one or more ESL connections send and the replies they receive, paired by order
 * as the connection's own waiters are. The recorder taps its connection with it; the app host taps
 * its two (the listener's, the client's) and sends the frames over IPC, so a recording also holds
 * what the apps asked and were answered.
 */
import type { Connection, SentCommand } from '../esl/connection';
import type { EslFrame } from '../esl/parser';
import { DisposableStore, type Disposable } from '../util/lifecycle';

/** A command as sent. `ref` pairs it with its reply; `at` is epoch ms (fractional), comparable across processes. */
export interface TappedCommand {
  kind: 'command';
  ref: string;
  at: number;
  /** The command line, e.g. `api uuid_answer …`, `sendmsg <uuid>`. */
  command: string;
  headers?: Record<string, string>;
  body?: string;
}

/** The reply to the command with the same `ref`. */
export interface TappedReply {
  kind: 'reply';
  ref: string;
  at: number;
  contentType: string;
  replyText: string;
  body: string;
  /** Headers other than Content-Type, Reply-Text and Content-Length (a bgapi's Job-UUID). */
  headers?: Record<string, string>;
}

export type TappedFrame = TappedCommand | TappedReply;

/** Now, as epoch ms with performance.now()'s resolution. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Calls `sink` with each command the connections send (the `auth` line is skipped, and so is its
 * reply) and each reply, until disposed. Refs are `<refPrefix><n>`, unique within one tap: give a
 * prefix that tells taps apart when their frames meet in one file (another process's pid).
 */
export function tapCommands(connections: readonly Connection[], sink: (frame: TappedFrame) => void, refPrefix = ''): Disposable {
  const store = new DisposableStore();
  let next = 1;
  for (const connection of connections) {
    /**
     * Refs waiting for their reply, in order; '' for a reply to skip: a withheld auth's, or one to a
     * command already in flight when the tap started (replies come in order, so it would otherwise
     * take the next new command's ref, and every later reply its predecessor's).
     */
    let waiting: string[] = new Array<string>(connection.pendingCommands).fill('');
    store.add(
      connection.onDidSendCommand((c: SentCommand) => {
        if (c.secret) {
          waiting.push('');
          return;
        }
        const ref = `${refPrefix}${next++}`;
        waiting.push(ref);
        const frame: TappedCommand = { kind: 'command', ref, at: epochMs(), command: c.line };
        if (c.headers) frame.headers = { ...c.headers };
        if (c.body !== undefined) frame.body = c.body;
        sink(frame);
      }),
    );
    store.add(
      connection.onDidReceiveReply((f: EslFrame) => {
        const ref = waiting.shift();
        if (!ref) return;
        const frame: TappedReply = {
          kind: 'reply',
          ref,
          at: epochMs(),
          contentType: f.headers['Content-Type'] ?? '',
          replyText: f.headers['Reply-Text'] ?? '',
          body: f.body?.toString('utf8') ?? '',
        };
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(f.headers)) if (k !== 'Content-Type' && k !== 'Reply-Text' && k !== 'Content-Length') headers[k] = v;
        if (Object.keys(headers).length > 0) frame.headers = headers;
        sink(frame);
      }),
    );
    // A lost socket rejects every waiter: the replies of a new socket belong to its own commands.
    store.add(
      connection.onDidChangeStatus((change) => {
        if (change.to === 'connecting' || change.to === 'reconnecting' || change.to === 'closed') waiting = [];
      }),
    );
  }
  return store;
}
