/**
 * Runs the test ESL server from the command line, for manual testing of the extension:
 *
 *   node --import tsx test/server/cli.ts --port 8021 --password ClueCon [--demo]
 *
 * `--demo` keeps a few simulated calls coming and going so the UI has live calls to show. This is
 * a simulator for development, not FreeSWITCH.
 */
import { parseArgs } from 'node:util';
import { runDemo } from './demo';
import { TestEslServer } from './eslServer';

const USAGE = `usage: node --import tsx test/server/cli.ts [--host 127.0.0.1] [--port 8021] [--password ClueCon]
       [--heartbeat-ms 20000] [--call-setup-ms 0] [--channel-table-lag-ms 0] [--demo] [--demo-interval-ms 4000]
       [--demo-max-calls 5] [--record calls.fsrec.jsonl]
--record: write what the switch emits and the commands it receives, with their replies, in the
       .fsrec.jsonl format clients record (replay() answers an app from it)
--channel-table-lag-ms: how often show channels catches up with the events, as FreeSWITCH's core
       database does (about 200 ms behind; 0 = never behind; --demo: 150)`;

function number(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} needs a non-negative number, got ${value}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      password: { type: 'string' },
      'heartbeat-ms': { type: 'string' },
      'call-setup-ms': { type: 'string' },
      'channel-table-lag-ms': { type: 'string' },
      demo: { type: 'boolean' },
      'demo-interval-ms': { type: 'string' },
      'demo-max-calls': { type: 'string' },
      record: { type: 'string' },
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
    channelTableLag: number(values['channel-table-lag-ms'], values.demo ? 150 : 0, 'channel-table-lag-ms'),
  });
  const port = await server.start();
  const label = values.demo ? 'Simulated FreeSWITCH (demo)' : 'Simulated FreeSWITCH (test ESL server)';
  console.log(`${label} listening on ${server.host}:${port}, password ${password}`);
  const recording = values.record ? server.record(values.record) : undefined;
  if (values.record) console.log(`recording to ${values.record} (.fsrec.jsonl)`);
  const stopDemo = values.demo
    ? runDemo(server, { intervalMs: number(values['demo-interval-ms'], 4000, 'demo-interval-ms'), maxCalls: number(values['demo-max-calls'], 5, 'demo-max-calls'), log: console.log })
    : () => undefined;
  const shutdown = (): void => {
    stopDemo();
    void (recording?.stop() ?? Promise.resolve()).then(() => server.stop()).then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  console.error(USAGE);
  process.exit(1);
});
