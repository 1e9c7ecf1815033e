/**
 * Save-to-live latency of an app: from writing the new source to (a) the reload answered `loaded`
 * (esbuild rebuild + swap in the app host) and (b) the next call handled by the new version.
 * Against the test ESL server, with the shipped host bundle (plain Node, as in production).
 *
 *   node --import tsx bench/appReload.bench.ts     (BENCH_RELOADS=20 by default)
 *
 * The save is a direct `supervisor.reload()` as the extension does on save; the CLI's `--watch`
 * adds its 50 ms debounce on top.
 */
import { writeFileSync } from 'node:fs';
import { APP_ID_VAR, Client, EventListener } from '../src/core';
import { AppHostSupervisor } from '../src/apphost/supervisor';
import { appDir, buildHost } from '../test/apphost/support';
import { TestEslServer } from '../test/server/eslServer';

const RELOADS = Math.max(2, Number(process.env['BENCH_RELOADS'] ?? 20));
const CAUSES = ['USER_BUSY', 'CALL_REJECTED'] as const;

function source(i: number): string {
  return `import { defineApp } from 'freeswitch-dev';
import { helper } from './helper';
// version ${i}
export const app = defineApp({
  name: 'Bench',
  on: {
    CHANNEL_PARK: async (session) => {
      await session.hangup(helper(${JSON.stringify(CAUSES[i % 2])}));
    },
  },
});
`;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(label: string, values: number[]): string {
  const s = [...values].sort((a, b) => a - b);
  return `${label.padEnd(34)} p50 ${percentile(s, 50).toFixed(1).padStart(6)} ms   p95 ${percentile(s, 95).toFixed(1).padStart(6)} ms   max ${s[s.length - 1]!.toFixed(1).padStart(6)} ms   (n=${s.length})`;
}

async function main(): Promise<void> {
  const server = new TestEslServer({ password: 'ClueCon' });
  const [{ hostScript }] = await Promise.all([buildHost(), server.start()]);
  const conn = { host: '127.0.0.1', port: server.port, password: 'ClueCon' };
  const listener = new EventListener(conn);
  await listener.connect();
  const client = new Client({ ...conn, listener });
  await client.connect();
  const supervisor = new AppHostSupervisor({ connection: conn, hostScript });
  await supervisor.start();

  const apps = appDir();
  apps.write('helper.ts', 'export const helper = (cause: string): string => cause;\n');
  const entry = apps.write('bench.ts', source(0));
  const first = await supervisor.load('bench', entry);
  if (!first.loaded) throw new Error(`first load failed: ${first.message}`);

  const nextCallCause = async (): Promise<string | undefined> => {
    const job = client.originate('9196', { endpoint: 'loopback', app: 'park', variables: { [APP_ID_VAR]: 'bench' } });
    await job.get(10_000);
    for (;;) {
      const call = listener.calls.get(job.sessUuid!) ?? [...listener.history].find((c) => c.sessions.some((s) => s.uuid === job.sessUuid));
      const cause = call?.sessions.find((s) => s.hangupCause !== undefined)?.hangupCause;
      if (cause !== undefined) return cause;
      await new Promise((r) => setImmediate(r));
    }
  };
  await nextCallCause(); // warm-up

  const live: number[] = [];
  const bundle: number[] = [];
  const swap: number[] = [];
  const handled: number[] = [];
  for (let i = 1; i <= RELOADS; i++) {
    const t0 = performance.now();
    writeFileSync(entry, source(i));
    const result = await supervisor.reload('bench');
    const t1 = performance.now();
    if (!result.loaded) throw new Error(`reload ${i} failed: ${result.message}`);
    const cause = await nextCallCause();
    const t2 = performance.now();
    if (cause !== CAUSES[i % 2]) throw new Error(`reload ${i}: the next call ran the old version (cause ${cause})`);
    live.push(t1 - t0);
    bundle.push(result.bundleMs);
    swap.push(result.loadMs);
    handled.push(t2 - t0);
  }

  console.log(`app save-to-live latency over ${RELOADS} reloads (node ${process.version})`);
  console.log(`  first load (cold esbuild, bundle + swap): ${(first.bundleMs + first.loadMs).toFixed(1)} ms`);
  console.log(summary('  esbuild rebuild (in host)', bundle));
  console.log(summary('  swap (load/setup/subscribe)', swap));
  console.log(summary('  save → new version live', live));
  console.log(summary('  save → next call handled by it', handled));

  await supervisor.stop();
  supervisor.dispose();
  await client.disconnect();
  await listener.disconnect();
  await server.stop();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
