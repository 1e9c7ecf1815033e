/**
 * The test ESL server for `npm run bench:load`, in its own process (forked by load.bench.ts) so
 * the load generator never shares an event loop with it. Besides serving, it keeps its own record
 * of every originate of the run: when the command arrived, when the switch created and answered
 * the originated leg, and how many of the run's calls were up at once, on this process's
 * monotonic clock. The bench recomputes the run's figures from this record, independently of the
 * generator's. Tells its parent `{ port }` once listening; answers `record` with the record.
 */
import { TestEslServer } from '../test/server/eslServer';
import type { EslEvent } from '../test/server/eslEvent';
import type { SwitchSink } from '../test/server/switchCore';

/**
 * One originate as the server saw it: ms on the machine's wall clock (performance.timeOrigin +
 * performance.now(), µs precision, the same in every process of this machine).
 */
export interface ServerCall {
  uuid: string;
  receivedMs: number;
  createdMs?: number;
  answeredMs?: number;
  hungUpMs?: number;
}

const now = (): number => performance.timeOrigin + performance.now();

export interface ServerRecord {
  calls: ServerCall[];
  /** Most of the run's calls up at once (created, not hung up), counted when each was created. */
  peakUp: number;
}

export type ToServer = { type: 'record' } | { type: 'reset' };
export type FromServer = { type: 'listening'; port: number } | { type: 'record'; record: ServerRecord };

const server = new TestEslServer({ password: 'ClueCon', heartbeatMs: 0, sessionsPerSecond: 10_000, maxSessions: 50_000 });
let calls = new Map<string, ServerCall>();
let up = 0;
let peakUp = 0;

function header(e: EslEvent, name: string): string | undefined {
  for (const [k, v] of e.headers) if (k === name) return typeof v === 'string' ? v : v.toString('utf8');
  return undefined;
}

server.onCommand((c) => {
  if (!c.line.startsWith('bgapi originate ')) return;
  const uuid = /origination_uuid=([0-9a-f-]{36})/.exec(c.line)?.[1];
  if (uuid) calls.set(uuid, { uuid, receivedMs: now() });
});

// The switch's own moments: CHANNEL_CREATE, CHANNEL_ANSWER and CHANNEL_HANGUP of each originated leg.
const sink: SwitchSink = {
  wantsEvent: (name) => name === 'CHANNEL_CREATE' || name === 'CHANNEL_ANSWER' || name === 'CHANNEL_HANGUP',
  onLog: () => undefined,
  wantsLog: () => false,
  onEvent(e) {
    if (e.name !== 'CHANNEL_CREATE' && e.name !== 'CHANNEL_ANSWER' && e.name !== 'CHANNEL_HANGUP') return;
    const call = calls.get(header(e, 'Unique-ID') ?? '');
    if (!call) return;
    const at = now();
    if (e.name === 'CHANNEL_CREATE' && call.createdMs === undefined) {
      call.createdMs = at;
      peakUp = Math.max(peakUp, ++up);
    } else if (e.name === 'CHANNEL_ANSWER') call.answeredMs ??= at;
    else if (e.name === 'CHANNEL_HANGUP' && call.hungUpMs === undefined && call.createdMs !== undefined) {
      call.hungUpMs = at;
      up--;
    }
  },
};

void server.start().then((port) => {
  // The bench's own tap on the switch: a sink like a connection's, read through the private field.
  server['sw'].addSink(sink);
  process.send!({ type: 'listening', port } satisfies FromServer);
});

process.on('message', (m: ToServer) => {
  if (m.type === 'record') process.send!({ type: 'record', record: { calls: [...calls.values()], peakUp } } satisfies FromServer);
  if (m.type === 'reset') {
    calls = new Map();
    up = 0;
    peakUp = 0;
  }
});
process.on('disconnect', () => void server.stop().then(() => process.exit(0)));
