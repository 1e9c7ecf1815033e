/**
 * Runs the test ESL server from the command line, for manual testing of the extension:
 *
 *   node --import tsx test/server/cli.ts --port 8021 --password ClueCon [--demo]
 *
 * `--demo` keeps a few simulated calls coming and going so the UI has live calls to show. This is
 * a simulator for development, not FreeSWITCH.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { TestEslServer } from './eslServer';

const USAGE = `usage: node --import tsx test/server/cli.ts [--host 127.0.0.1] [--port 8021] [--password ClueCon]
       [--heartbeat-ms 20000] [--call-setup-ms 0] [--demo] [--demo-interval-ms 4000] [--demo-max-calls 5]`;

const DEMO_CALLERS: readonly [string, string][] = [
  ['Alice Example', '1001'],
  ['Bob Example', '1002'],
  ['Carol Example', '1003'],
  ['Front Desk', '2000'],
  ['Sales Queue', '3000'],
];

/** Destinations the demo dials: mostly good calls, now and then one that fails like capture 09. */
const DEMO_DESTINATIONS = ['9196', '9196', '9664', 'park', 'does_not_exist'];

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!;
}

function number(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} needs a non-negative number, got ${value}`);
  return n;
}

/** Originates a call every interval (while under the limit) and hangs each up after 10–30 s. */
function runDemo(server: TestEslServer, intervalMs: number, maxCalls: number): () => void {
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const tick = (): void => {
    const live = server.channels.filter((c) => c.direction === 'outbound').length;
    if (live < maxCalls) {
      const [name, num] = pick(DEMO_CALLERS);
      const uuid = randomUUID();
      const dest = pick(DEMO_DESTINATIONS);
      const vars = `{origination_uuid=${uuid},origination_caller_id_name='${name}',origination_caller_id_number=${num}}`;
      void server.api(`originate ${vars}loopback/${dest} &park`).then((reply) => {
        console.log(`demo: ${name} <${num}> -> ${dest}: ${reply.trim()}`);
        if (reply.startsWith('+OK')) later(10_000 + Math.random() * 20_000, () => void server.api(`uuid_kill ${uuid}`));
      });
    }
    later(intervalMs, tick);
  };
  later(500, tick);
  return () => {
    for (const t of timers) clearTimeout(t);
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      password: { type: 'string' },
      'heartbeat-ms': { type: 'string' },
      'call-setup-ms': { type: 'string' },
      demo: { type: 'boolean' },
      'demo-interval-ms': { type: 'string' },
      'demo-max-calls': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const password = values.password ?? 'ClueCon';
  const server = new TestEslServer({
    host: values.host ?? '127.0.0.1',
    port: number(values.port, 8021, 'port'),
    password,
    heartbeatMs: number(values['heartbeat-ms'], 20_000, 'heartbeat-ms'),
    callSetupDelayMs: number(values['call-setup-ms'], values.demo ? 800 : 0, 'call-setup-ms'),
  });
  const port = await server.start();
  const label = values.demo ? 'Simulated FreeSWITCH (demo)' : 'Simulated FreeSWITCH (test ESL server)';
  console.log(`${label} listening on ${server.host}:${port}, password ${password}`);
  const stopDemo = values.demo
    ? runDemo(server, number(values['demo-interval-ms'], 4000, 'demo-interval-ms'), number(values['demo-max-calls'], 5, 'demo-max-calls'))
    : () => undefined;
  const shutdown = (): void => {
    stopDemo();
    void server.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  console.error(USAGE);
  process.exit(1);
});
