// `npm run bench:recording`: recordings (.fsrec.jsonl) measured.
//
// 1. Recording at 5,000 events/s for 20 s: the test ESL server in its own process
//    (bench/webviewServer.ts, as bench:webview uses it) emits; our Connection receives and the
//    EslRecorder writes. Emitted vs recorded (in the file) must match; the event loop's delay while
//    recording says whether the host stays responsive.
// 2. Opening a 100 MB recording: a file of real CHANNEL_CREATE events (capture 05, ~3.6 KB each) is
//    written, then a fresh process reads it (loadRecording) and builds what the event stream view
//    shows (the newest 10,000 events in the model, one snapshot): time and memory after a GC.
import { fork, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Connection, EslRecorder, loadRecording, parseRecording, RECORDING_FORMAT_VERSION } from '../src/core';
import { EventStreamModel } from '../src/extension/webviews/eventStreamModel';
import { buildWorkload, uuidOf } from './workload';

const RATE = Number(process.env['BENCH_RATE'] ?? 5000);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 20);
const FILE_MB = Number(process.env['BENCH_FILE_MB'] ?? 100);

async function recordAtRate(dir: string): Promise<void> {
  const server = fork(join(__dirname, 'webviewServer.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve) => server.once('message', (m: { port: number }) => resolve(m.port)));
  const connection = new Connection({ host: '127.0.0.1', port, password: 'ClueCon' });
  await connection.connect();
  await connection.subscribe(['bench::event']);
  const path = join(dir, 'rate.fsrec.jsonl');
  const recorder = await EslRecorder.start(connection, { path });
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  server.send({ rate: RATE, seconds: SECONDS });
  const emitted = await new Promise<number>((resolve) => server.on('message', (m: { emitted?: number }) => m.emitted !== undefined && resolve(m.emitted)));
  // The last events are on the wire: wait for them by count (bounded), not by time.
  const deadline = Date.now() + 10_000;
  while (recorder.status.events < emitted && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  const wallMs = performance.now() - t0;
  delay.disable();
  const cpu = process.cpuUsage(cpu0);
  await recorder.stop();
  const status = recorder.status;
  await connection.close();
  connection.dispose();
  server.send('stop');
  const parsed = parseRecording(readFileSync(path, 'utf8'));
  const lost = emitted - parsed.events.length;
  // The histogram holds the interval between 1 ms ticks: the delay is what exceeds 1 ms.
  const ms = (ns: number): string => Math.max(0, ns / 1e6 - 1).toFixed(1);
  console.log(`\n## Recording at ${RATE.toLocaleString('en-US')} events/s for ${SECONDS} s`);
  console.log(`| emitted | recorded (in the file) | lost | file | event-loop delay p50 / p99 / max | CPU of the recording process |`);
  console.log(`|---:|---:|---:|---:|---|---:|`);
  console.log(
    `| ${emitted.toLocaleString('en-US')} | ${parsed.events.length.toLocaleString('en-US')} | ${lost} | ${(status.bytes / 1024 / 1024).toFixed(1)} MB | ${ms(delay.percentile(50))} / ${ms(delay.percentile(99))} / ${ms(delay.max)} ms | ${(((cpu.user + cpu.system) / 1000 / wallMs) * 100).toFixed(0)} % of one core |`,
  );
  if (lost !== 0) process.exitCode = 1;
}

async function writeBigFile(path: string, targetBytes: number): Promise<number> {
  const w = buildWorkload('json');
  const bodies = w.templates.map((t) => {
    const text = t.bytes.toString('utf8');
    return JSON.parse(text.slice(text.indexOf('\n\n') + 2)) as Record<string, string>;
  });
  const out = createWriteStream(path);
  const header = { fsrec: RECORDING_FORMAT_VERSION, freeswitchVersion: 'FreeSWITCH Version 1.10.12-release (bench)', switchname: 'bench', eventFormat: 'json', startedAt: new Date().toISOString(), source: 'bench', limits: {} };
  out.write(`${JSON.stringify(header)}\n`);
  let bytes = 0;
  let n = 0;
  while (bytes < targetBytes) {
    const body = bodies[n % bodies.length]!;
    const uuid = uuidOf(n);
    // The template carries a placeholder uuid (workload.ts): each event gets its own.
    const event = JSON.stringify(body).split('be7c0000-0000-4000-8000-000000000000').join(uuid);
    const line = `{"t":${(n * 0.2).toFixed(3)},"kind":"event","event":${event}}\n`;
    bytes += Buffer.byteLength(line);
    if (!out.write(line)) await new Promise<void>((r) => out.once('drain', () => r()));
    n++;
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
  return n;
}

/** Child: open the file as the extension does and report time and memory. */
async function openChild(path: string): Promise<void> {
  const t0 = performance.now();
  const recording = await loadRecording(path);
  const readMs = performance.now() - t0;
  const model = new EventStreamModel({ bufferSize: 10_000, server: 'bench', post: () => undefined });
  model.handle({ type: 'ready' });
  const start = Math.max(0, recording.events.length - 10_000);
  model.replaceEvents(recording.events.slice(start).map((e) => e.event));
  const totalMs = performance.now() - t0;
  (globalThis as { gc?: () => void }).gc?.();
  const mem = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ events: recording.events.length, readMs, totalMs, rssMb: mem.rss / 1048576, heapMb: mem.heapUsed / 1048576 })}\n`);
}

async function openBig(dir: string): Promise<void> {
  const path = join(dir, 'big.fsrec.jsonl');
  const n = await writeBigFile(path, FILE_MB * 1024 * 1024);
  const size = statSync(path).size;
  const runs = [0, 1, 2].map(() => {
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', __filename, '--open', path], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { events: number; readMs: number; totalMs: number; rssMb: number; heapMb: number };
  });
  runs.sort((a, b) => a.totalMs - b.totalMs);
  const m = runs[1]!;
  console.log(`\n## Opening a ${(size / 1048576).toFixed(0)} MB recording (${n.toLocaleString('en-US')} CHANNEL_CREATE events), median of 3 fresh processes`);
  console.log(`| read and parse | to the view's first snapshot (10,000 newest events in the model) | RSS after GC | JS heap after GC |`);
  console.log(`|---:|---:|---:|---:|`);
  console.log(`| ${(m.readMs / 1000).toFixed(2)} s | ${(m.totalMs / 1000).toFixed(2)} s | ${m.rssMb.toFixed(0)} MB | ${m.heapMb.toFixed(0)} MB |`);
  if (m.totalMs > 3000) process.exitCode = 1;
}

async function main(): Promise<void> {
  const open = process.argv.indexOf('--open');
  if (open >= 0) return openChild(process.argv[open + 1]!);
  const dir = mkdtempSync(join(tmpdir(), 'fsdev-bench-rec-'));
  try {
    console.log(`# npm run bench:recording (Node ${process.version}, load average ${loadavg()[0]!.toFixed(2)})`);
    await recordAtRate(dir);
    await openBig(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
