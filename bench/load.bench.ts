/**
 * `npm run bench:load`: the load generator's rate accuracy at 250 and 1,000 calls a second against
 * the test ESL server in its own process, on this machine.
 *
 *   node --import tsx bench/load.bench.ts              (60 s per rate)
 *   BENCH_LOAD_SECONDS=10 BENCH_LOAD_RATES=250 node --import tsx bench/load.bench.ts
 *   BENCH_LOAD_SOAK_MINUTES=10 node --import tsx bench/load.bench.ts   (the memory soak instead; see soak())
 *
 * Each run: ServerPool + Originator as `fsdev load` uses them, loopback calls into the test
 * server's `load` context (answered and parked), hold 1 s with limit = rate × 1.25 s, records
 * streamed to CSV/JSONL in a temporary folder. Checked, and printed:
 * - achieved rate within ±2 % in every 5 s window and ±0.5 % over the run, as the generator sent
 *   the originates and as the server received them;
 * - the inter-originate gap jitter (|gap − 1/rate|) p50/p99/max;
 * - the limit never exceeded, counted from the server's side (the run's calls created and not hung up);
 * - setup-latency percentiles and ASR recomputed from the server's own record of when it answered
 *   each call's leg (and received each originate), against the generator's (within ±1 ms).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileRecordSink, Originator, ServerPool, type CallRecord } from '../src/core';
import { DEFAULT_LOAD_SETTINGS, isLoadHostReply, type LoadHostRequest, type LoadSettings, type LoadTotals } from '../src/shared/protocol/loadTest';
import { cpuPercent, forkLoadHost, loadAverage, procSample, startLoadServer, type LoadServer, type ProcSample } from './loadRig';
import type { ServerRecord, ToServer } from './loadServer';

const SECONDS = Number(process.env['BENCH_LOAD_SECONDS'] ?? 60);
const RATES = (process.env['BENCH_LOAD_RATES'] ?? '250,1000').split(',').map(Number);
const WINDOW_S = 5;
const SOAK_MINUTES = Number(process.env['BENCH_LOAD_SOAK_MINUTES'] ?? 0);
const SOAK_RATE = 250;
const SOAK_SAMPLE_MS = 10_000;
/** Issue 10: RSS at the end of the soak within this much of RSS after its first minute. */
const SOAK_GROWTH_LIMIT = 50 * 1024 * 1024;

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** Counts per WINDOW_S window of times (ms from the first), and each window's deviation from the rate. */
function windows(times: number[], rate: number, spanS: number): { worst: number; counts: number[] } {
  const t0 = Math.min(...times);
  const n = Math.floor(spanS / WINDOW_S);
  const counts = new Array<number>(n).fill(0);
  for (const t of times) {
    const w = Math.floor((t - t0) / 1000 / WINDOW_S);
    if (w < n) counts[w]!++;
  }
  const expected = rate * WINDOW_S;
  return { worst: Math.max(...counts.map((c) => Math.abs(c - expected) / expected)), counts };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(3)} %`;
}

async function runOnce(rate: number, port: number, ask: (m: ToServer) => Promise<ServerRecord | undefined>): Promise<boolean> {
  await ask({ type: 'reset' });
  const pool = new ServerPool([{ name: 'test-server', host: '127.0.0.1', port, password: 'ClueCon' }]);
  await pool.connect();
  // Hold 1 s: about `rate` calls up; the limit leaves room for setup and teardown.
  const limit = Math.ceil(rate * 1.25);
  const dir = mkdtempSync(join(tmpdir(), 'fsdev-bench-load-'));
  const sink = new FileRecordSink(dir);
  const o = new Originator(pool, {
    rate,
    limit,
    durationMs: 1000,
    runTimeMs: SECONDS * 1000,
    targets: { destination: '9664', endpoint: { kind: 'loopback', context: 'load' } },
    sink,
  });
  const pre = await o.preflight();
  if (!pre.ok) throw new Error(`preflight: ${pre.servers.flatMap((s) => s.problems).join('; ')}`);
  const records: CallRecord[] = [];
  o.onDidEndCall((r) => records.push(r));
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  o.start();
  await o.whenStopped();
  const cpu = process.cpuUsage(cpu0);
  const wallS = (performance.now() - wall0) / 1000;
  const s = o.summary();
  const record = (await ask({ type: 'record' }))!;
  await sink.close();
  rmSync(dir, { recursive: true, force: true });

  // The generator's view.
  const sent = records.map((r) => r.sentMs).sort((a, b) => a - b);
  const gaps = sent.slice(1).map((t, i) => Math.abs(t - sent[i]! - 1000 / rate));
  const clientWindows = windows(sent, rate, SECONDS);
  const clientRate = s.offered / s.elapsedS;
  // The server's view.
  const received = record.calls.map((c) => c.receivedMs).sort((a, b) => a - b);
  const serverGaps = received.slice(1).map((t, i) => Math.abs(t - received[i]! - 1000 / rate));
  const serverWindows = windows(received, rate, SECONDS);
  const serverRate = received.length / ((received.at(-1)! - received[0]!) / 1000 + 1 / rate);
  // Setup latency again, from the moment the generator sent each originate (its own fact) to the
  // moment the server's record says it answered the leg: both on this machine's wall clock.
  const startWall = performance.timeOrigin + o.startedAtMs!;
  const sentWall = new Map(records.map((r) => [r.uuid, startWall + r.sentMs]));
  const answeredOnServer = record.calls.filter((c) => c.answeredMs !== undefined && sentWall.has(c.uuid));
  const serverSetup = answeredOnServer.map((c) => c.answeredMs! - sentWall.get(c.uuid)!);
  const serverAsr = record.calls.filter((c) => c.answeredMs !== undefined).length / record.calls.length;
  const ours = s.latency.setup;
  const theirs = { p50: percentile(serverSetup, 50), p90: percentile(serverSetup, 90), p95: percentile(serverSetup, 95), p99: percentile(serverSetup, 99), max: Math.max(...serverSetup) };

  const checks: [string, boolean][] = [
    [`every ${WINDOW_S} s window within ±2 % (generator)`, clientWindows.worst <= 0.02],
    [`every ${WINDOW_S} s window within ±2 % (server)`, serverWindows.worst <= 0.02],
    ['whole run within ±0.5 % (generator)', Math.abs(clientRate - rate) / rate <= 0.005],
    ['whole run within ±0.5 % (server)', Math.abs(serverRate - rate) / rate <= 0.005],
    [`limit ${limit} never exceeded (server's count)`, record.peakUp <= limit],
    ['nothing left not offered', s.notOffered === 0],
    ['ASR equal to the server’s', Math.abs(s.asr - serverAsr) < 1e-9],
    ...(['p50', 'p90', 'p95', 'p99'] as const).map((p): [string, boolean] => [`setup ${p} within ±1 ms of the server’s`, Math.abs(ours[p] - theirs[p]) <= 1]),
  ];

  const lines = [
    `rate ${rate}/s for ${SECONDS} s: ${s.offered} calls offered, ${s.answered} answered, ${s.failed} failed, ${s.notOffered} not offered; hold ${o.durationMs} ms, limit ${limit}`,
    `  achieved (generator)   ${clientRate.toFixed(3)}/s over the run (${pct(Math.abs(clientRate - rate) / rate)} off); worst ${WINDOW_S} s window ${pct(clientWindows.worst)} off`,
    `  achieved (server)      ${serverRate.toFixed(3)}/s over the run (${pct(Math.abs(serverRate - rate) / rate)} off); worst ${WINDOW_S} s window ${pct(serverWindows.worst)} off`,
    `  gap jitter |gap − ${(1000 / rate).toFixed(1)} ms|   generator p50 ${percentile(gaps, 50).toFixed(3)} ms  p99 ${percentile(gaps, 99).toFixed(3)} ms  max ${Math.max(...gaps).toFixed(3)} ms;  server p50 ${percentile(serverGaps, 50).toFixed(3)} ms  p99 ${percentile(serverGaps, 99).toFixed(3)} ms`,
    `  send lag (due → sent)  p50 ${s.sendLag.p50.toFixed(3)} ms  p99 ${s.sendLag.p99.toFixed(3)} ms  max ${s.sendLag.max.toFixed(3)} ms`,
    `  peak calls up          server ${record.peakUp}, generator ${s.peakConcurrent} (limit ${limit})`,
    `  setup latency (ms)     generator p50 ${ours.p50.toFixed(2)}  p90 ${ours.p90.toFixed(2)}  p95 ${ours.p95.toFixed(2)}  p99 ${ours.p99.toFixed(2)}  max ${ours.max.toFixed(2)}`,
    `                         server    p50 ${theirs.p50.toFixed(2)}  p90 ${theirs.p90.toFixed(2)}  p95 ${theirs.p95.toFixed(2)}  p99 ${theirs.p99.toFixed(2)}  max ${theirs.max.toFixed(2)}`,
    `  ASR                    generator ${(s.asr * 100).toFixed(2)} %, server ${(serverAsr * 100).toFixed(2)} %`,
    `  generator CPU          ${((cpu.user + cpu.system) / 1e6 / wallS * 100).toFixed(0)} % of a core over ${wallS.toFixed(1)} s`,
    ...checks.map(([what, ok]) => `  ${ok ? 'PASS' : 'FAIL'}  ${what}`),
  ];
  console.log(lines.join('\n'));
  o.dispose();
  await pool.disconnect();
  pool.dispose();
  return checks.every(([, ok]) => ok);
}

/**
 * The memory soak (BENCH_LOAD_SOAK_MINUTES=N): the process the Load Test panel forks
 * (dist/loadhost.js: ServerPool, Originator, call records streamed to CSV/JSONL, a tick a second
 * over IPC) at 250 calls/s for N minutes, hold 5 s (the panel's default), its RSS read from /proc
 * every 10 s. Target: RSS at the end within 50 MB of RSS after the first minute.
 */
async function soak(server: LoadServer): Promise<boolean> {
  await server.ask({ type: 'reset' });
  const dir = mkdtempSync(join(tmpdir(), 'fsdev-bench-soak-'));
  const settings: LoadSettings = {
    ...DEFAULT_LOAD_SETTINGS,
    servers: ['test-server'],
    rate: SOAK_RATE,
    limit: SOAK_RATE * 6,
    durationMs: 5000,
    runTimeMs: SOAK_MINUTES * 60_000,
    targets: [{ destination: '9664', endpoint: 'loopback/load', app: 'park', weight: 1 }],
  };
  const load0 = loadAverage();
  const child = forkLoadHost();
  const pid = child.pid!;
  const samples: ProcSample[] = [];
  let timer: ReturnType<typeof setInterval> | undefined;
  const totals = await new Promise<LoadTotals>((resolve, reject) => {
    child.on('message', (m: unknown) => {
      if (!isLoadHostReply(m)) return;
      if (m.type === 'phase' && m.phase === 'originating') {
        samples.push(procSample(pid));
        timer = setInterval(() => samples.push(procSample(pid)), SOAK_SAMPLE_MS);
      }
      // The last sample when offering ends, while the process is surely alive (it exits after `done`).
      if (m.type === 'phase' && m.phase === 'stopping') {
        clearInterval(timer);
        samples.push(procSample(pid));
      }
      if (m.type === 'phase' && (m.phase === 'preflight' || m.phase === 'failed')) reject(new Error(`the generator stopped in phase ${m.phase}`));
      if (m.type === 'warn' || m.type === 'error') console.log(`  generator ${m.type}: ${m.message}`);
      if (m.type === 'done') resolve(m.totals);
    });
    child.once('exit', (code) => reject(new Error(`the generator exited (code ${String(code)}) before its run ended`)));
    child.send({ type: 'start', servers: [{ name: 'test-server', host: '127.0.0.1', port: server.port, password: 'ClueCon' }], settings, outDir: dir } satisfies LoadHostRequest);
  }).finally(() => clearInterval(timer));
  if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });

  const notOfferedWhy = (t: LoadTotals): string => {
    const why = Object.entries(t.notOfferedByReason).filter(([, n]) => n > 0);
    return why.length ? ` (${why.map(([r, n]) => `${r} ${n}`).join(', ')})` : '';
  };
  const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MB`;
  const t0 = samples[0]!.at;
  const atMinute = (min: number): ProcSample | undefined => samples.find((s) => s.at - t0 >= min * 60_000 - SOAK_SAMPLE_MS / 2);
  const first = atMinute(1);
  const end = samples.at(-1)!;
  const growth = first ? end.rssBytes - first.rssBytes : NaN;
  const afterFirst = samples.filter((s) => first && s.at >= first.at).map((s) => s.rssBytes);
  const series = [0, ...Array.from({ length: SOAK_MINUTES }, (_, i) => i + 1)].map((min) => {
    const s = min === SOAK_MINUTES ? end : atMinute(min);
    return s ? `${min} min ${mb(s.rssBytes)}` : `${min} min n/a`;
  });
  const met = growth <= SOAK_GROWTH_LIMIT;
  console.log(
    [
      `memory soak: ${SOAK_RATE} calls/s for ${SOAK_MINUTES} min, hold ${settings.durationMs} ms, limit ${settings.limit}; the panel's generator process (dist/loadhost.js), RSS from /proc every ${SOAK_SAMPLE_MS / 1000} s`,
      `  calls                  offered ${totals.offered}, answered ${totals.answered}, failed ${totals.failed}, not offered ${totals.notOffered}${notOfferedWhy(totals)}; offered ${(totals.offered / (SOAK_MINUTES * 60)).toFixed(1)}/s over the ${SOAK_MINUTES * 60} s of offering`,
      `  generator RSS per minute ${series.join(' · ')}`,
      `  RSS after 1 min        ${first ? mb(first.rssBytes) : 'n/a'}; at the end ${mb(end.rssBytes)}; difference ${Number.isFinite(growth) ? `${growth >= 0 ? '+' : ''}${mb(growth)}` : 'n/a'} (after the first minute: min ${mb(Math.min(...afterFirst))}, max ${mb(Math.max(...afterFirst))})`,
      `  generator CPU          ${cpuPercent(samples[0]!, end).toFixed(0)} % of a core`,
      `  load average           ${load0} at the start, ${loadAverage()} at the end (1, 5, 15 min)`,
      `  ${met ? 'met   ' : 'MISSED'} RSS at the end within 50 MB of RSS after the first minute`,
    ].join('\n'),
  );
  return met;
}

async function main(): Promise<void> {
  const server = await startLoadServer();
  console.log(`fsdev load benchmark: test ESL server in its own process, node ${process.version}, ${(await import('node:os')).cpus().length} cores`);
  let ok = true;
  if (SOAK_MINUTES > 0) ok = await soak(server);
  else for (const rate of RATES) ok = (await runOnce(rate, server.port, server.ask)) && ok;
  server.stop();
  process.exitCode = ok ? 0 : 1;
}

void main();
