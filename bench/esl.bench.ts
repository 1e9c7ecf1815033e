/**
 * `npm run bench`: our ESL client against modesl 1.2.1 on the same fake FreeSWITCH, same run.
 *
 * The fake server (bench/benchServer.ts) and every measurement (bench/measure.ts) run in their own
 * processes: the client never shares an event loop with the server (the machine has 2 cores), and
 * peak RSS is per client. Clients are listed in bench/clients.ts.
 *
 * Environment knobs (all optional): BENCH_REPEATS (default 3), BENCH_ONLY (comma list of
 * `<client>:<format>`, `reference`, `sink`, `bigbody`), BENCH_CPU_PROF=<dir> (children run with
 * --cpu-prof into that directory).
 *
 * Exits 0 whatever the numbers say; non-zero only if a measurement crashed.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { EventFormat } from '../src/core/esl/event';
import { CLIENTS } from './clients';
import type { BigBodyResult, EventsResult, Job, Outcome, RatesResult } from './measure';
import { CALLER_NAMES, buildWorkload } from './workload';

const ROOT = join(__dirname, '..');
const REPEATS = Math.max(1, Number(process.env['BENCH_REPEATS'] ?? 3));
const ONLY = process.env['BENCH_ONLY']?.split(',').map((s) => s.trim());
const CPU_PROF = process.env['BENCH_CPU_PROF'];
const FORMATS: readonly EventFormat[] = ['plain', 'json'];
const BIG_BODY_BYTES = 32 * 1024 * 1024;
/** Per measured run: size N from the warm-up rate so a run lasts about this long. */
const SIZING = { warmup: 10_000, targetMs: 1_500, min: 20_000, max: 200_000 };
const CHILD_TIMEOUT_MS = 60_000;
const MODESL_BIG_BODY_TIMEOUT_MS = 60_000;

const TARGETS = { plainRatio: 3, jsonRatio: 1.5, jsonRate: 40_000, listenerJsonRate: 100_000, listenerPlainRate: 60_000, bigBodySeconds: 0.5 };

function wanted(key: string): boolean {
  return !ONLY || ONLY.includes(key) || ONLY.includes(key.split(':')[0]!);
}

function childExecArgv(): string[] {
  return ['--import', 'tsx', '--expose-gc', ...(CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`] : [])];
}

type ChildResult = { ok: true; outcome: Outcome } | { ok: false; error: string; timedOut: boolean };

function runChild(job: Job, timeoutMs = CHILD_TIMEOUT_MS): Promise<ChildResult> {
  return new Promise((resolve) => {
    const child = fork(join(__dirname, 'measure.ts'), [JSON.stringify(job)], {
      cwd: ROOT,
      execArgv: childExecArgv(),
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    let outcome: Outcome | undefined;
    let stderr = '';
    let timedOut = false;
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('message', (m) => (outcome = m as Outcome));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (outcome) resolve({ ok: true, outcome });
      else
        resolve({
          ok: false,
          timedOut,
          error: timedOut ? `timed out after ${timeoutMs / 1000} s` : `exit ${code ?? signal}: ${stderr.trim().split('\n').slice(0, 6).join(' | ')}`,
        });
    });
  });
}

function startServer(): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, 'benchServer.ts'), [], { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (m) => resolve({ child, port: (m as { port: number }).port }));
    child.once('exit', (code) => reject(new Error(`bench server exited (${code}) before listening`)));
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const fmtRate = (n: number) => Math.round(n).toLocaleString('en-US');
const fmtMb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
const progress = (msg: string) => process.stderr.write(`  … ${msg}\n`);

interface Row {
  label: string;
  format: EventFormat;
  rates: number[];
  cpuRates: number[];
  events: number;
  peakKb: number[];
  deltaKb: number[];
  check: string;
}

async function main(): Promise<number> {
  const started = Date.now();
  const loadAtStart = loadavg()[0]!;
  const failures: string[] = [];
  const { child: server, port } = await startServer();
  const workloads = { plain: buildWorkload('plain'), json: buildWorkload('json') };
  const nonAscii = CALLER_NAMES.filter((n) => /[^\x20-\x7e]/.test(n)).length;

  try {
    // Reference lines: no socket, no server.
    const reference: Array<{ label: string; format: EventFormat; result: RatesResult | undefined }> = [];
    if (wanted('reference')) {
      for (const format of FORMATS) {
        for (const mode of ['framing', 'decode'] as const) {
          const label = mode === 'framing' ? 'FrameParser only, in memory' : 'FrameParser + decodeEventFrame, in memory';
          progress(`${label} (${format})`);
          const r = await runChild({ kind: 'reference', format, mode, repeats: REPEATS, warmup: 20_000, targetMs: 700, min: 20_000, max: 400_000 });
          if (!r.ok) failures.push(`${label} ${format}: ${r.error}`);
          reference.push({ label, format, result: r.ok ? (r.outcome as RatesResult & Outcome) : undefined });
        }
      }
    }

    // The server's own ceiling: a socket that drops what it reads.
    const sinkRows: Row[] = [];
    if (wanted('sink')) {
      for (const format of FORMATS) {
        progress(`fake server → raw socket (${format})`);
        const r = await runChild({ kind: 'sink', format, port, ...SIZING, max: 400_000 });
        if (!r.ok) failures.push(`sink ${format}: ${r.error}`);
        else {
          const o = r.outcome as EventsResult & Outcome;
          sinkRows.push({ label: 'fake server → raw socket', format, rates: [o.rate], cpuRates: [o.cpuRate], events: o.events, peakKb: [o.maxRssKb], deltaKb: [o.maxRssKb - o.baseRssKb], check: 'server ceiling' });
        }
      }
    }

    // Clients × formats, repeats interleaved so drift spreads evenly; N fixed after the first run.
    const rows = new Map<string, Row>();
    const skipped: string[] = [];
    for (const c of CLIENTS) {
      const why = c.unavailable();
      if (why) skipped.push(`${c.label}: skipped, ${why}`);
    }
    const runnable = CLIENTS.filter((c) => !c.unavailable());
    for (let rep = 0; rep < REPEATS; rep++) {
      for (const format of FORMATS) {
        for (const c of runnable) {
          const key = `${c.id}:${format}`;
          if (!wanted(key)) continue;
          const row = rows.get(key);
          if (row?.check.startsWith('CRASH')) continue;
          progress(`${c.label} ${format}, run ${rep + 1}/${REPEATS}`);
          const job: Job = { kind: 'events', client: c.id, format, port, ...SIZING };
          if (row) job.events = row.events;
          const r = await runChild(job);
          const current = row ?? { label: c.label, format, rates: [], cpuRates: [], events: 0, peakKb: [], deltaKb: [], check: 'ok' };
          rows.set(key, current);
          if (!r.ok) {
            failures.push(`${c.label} ${format}: ${r.error}`);
            current.check = `CRASH: ${r.error}`;
            continue;
          }
          const o = r.outcome as EventsResult & Outcome;
          current.events = o.events;
          current.rates.push(o.rate);
          current.cpuRates.push(o.cpuRate);
          current.peakKb.push(o.maxRssKb);
          current.deltaKb.push(o.maxRssKb - o.baseRssKb);
          const problems = [o.lost ? `LOST ${o.lost}` : '', o.namesOk ? '' : 'NAMES WRONG', o.uuidsOk ? '' : 'UUIDS WRONG'].filter(Boolean);
          if (problems.length) current.check = problems.join(', ');
          else if (current.check === 'ok' && o.note) current.check = `ok (${o.note})`;
        }
      }
    }

    // One 32 MiB api/response.
    const big: Array<{ label: string; result: BigBodyResult | undefined; error?: string; timedOut?: boolean; peakKb?: number }> = [];
    if (wanted('bigbody')) {
      for (const c of runnable.filter((x) => x.id === 'ours' || x.id === 'modesl')) {
        const runs = c.id === 'modesl' ? 1 : REPEATS;
        progress(`${c.label}: 32 MiB api/response ×${runs}`);
        const r = await runChild({ kind: 'bigbody', client: c.id, port, bytes: BIG_BODY_BYTES, runs }, c.id === 'modesl' ? MODESL_BIG_BODY_TIMEOUT_MS : CHILD_TIMEOUT_MS);
        if (r.ok) {
          const o = r.outcome as BigBodyResult & Outcome;
          big.push({ label: c.label, result: o, peakKb: o.maxRssKb });
        } else {
          // modesl being too slow to finish is a measurement (a lower bound), not a crash.
          if (!(r.timedOut && c.id === 'modesl')) failures.push(`${c.label} 32 MiB: ${r.error}`);
          big.push({ label: c.label, result: undefined, error: r.error, timedOut: r.timedOut });
        }
      }
    }

    // ---- Report ----
    const out: string[] = [];
    const cpu = cpus();
    out.push('');
    out.push(`ESL client benchmark: node ${process.version}, ${cpu.length} CPU (${cpu[0]?.model.trim() ?? '?'}), ${process.platform}`);
    out.push(
      `Workload: the real CHANNEL_CREATE of captures 04 (plain) / 05 (json) plus caller-name headers: ${workloads.plain.headerCount} headers, ` +
        `${workloads.plain.averageFrameBytes} B plain / ${workloads.json.averageFrameBytes} B json per frame; a new Unique-ID per event; ` +
        `${nonAscii} of ${CALLER_NAMES.length} caller names non-ASCII (${CALLER_NAMES.filter((n) => /[^\x20-\x7e]/.test(n)).join(', ')}), %-encoded in plain.`,
    );
    const loadAtEnd = loadavg()[0]!;
    out.push(
      `Method: fake ESL server in its own process; each run in its own process: connect, ${SIZING.warmup / 1000}k-event warm-up (checks names and uuids), ` +
        `then N events (sized to ~${SIZING.targetMs / 1000} s). events/s = N / (api trigger written → end marker delivered). Median of ${REPEATS} runs.`,
    );
    out.push('per CPU-s = events per CPU-second (user+sys) of the client process alone: steadier than events/s when other work shares the machine.');
    const busy = Math.max(loadAtStart, loadAtEnd) > cpu.length * 0.75;
    out.push(
      `Load average (1 min): ${loadAtStart.toFixed(1)} at start, ${loadAtEnd.toFixed(1)} at end, on ${cpu.length} CPUs` +
        (busy ? ' (WARNING: the machine was busy with other work; events/s are noisy, compare per CPU-s too).' : '.'),
    );
    out.push('');
    const header = `${pad('client', 42)}${pad('format', 8)}${lpad('events/s', 10)}  ${pad('(min – max)', 21)}${lpad('per CPU-s', 10)}${lpad('N', 9)}${lpad('peak RSS', 10)}${lpad('Δ RSS', 9)}  check`;
    out.push(header);
    out.push('-'.repeat(header.length + 6));
    const line = (r: Row) => {
      const med = r.rates.length ? fmtRate(median(r.rates)) : '—';
      const range = r.rates.length > 1 ? `(${fmtRate(Math.min(...r.rates))} – ${fmtRate(Math.max(...r.rates))})` : '';
      out.push(
        `${pad(r.label, 42)}${pad(r.format, 8)}${lpad(med, 10)}  ${pad(range, 21)}${lpad(r.cpuRates.length ? fmtRate(median(r.cpuRates)) : '—', 10)}` +
          `${lpad(r.events ? fmtRate(r.events) : '—', 9)}` +
          `${lpad(r.peakKb.length ? fmtMb(median(r.peakKb)) : '—', 10)}${lpad(r.deltaKb.length ? fmtMb(median(r.deltaKb)) : '—', 9)}  ${r.check}`,
      );
    };
    for (const format of FORMATS) {
      for (const r of sinkRows.filter((x) => x.format === format)) line(r);
      for (const c of CLIENTS) {
        const r = rows.get(`${c.id}:${format}`);
        if (r) line(r);
      }
      for (const ref of reference.filter((x) => x.format === format)) {
        if (!ref.result) out.push(`${pad(ref.label, 42)}${pad(format, 8)}${lpad('CRASH', 10)}`);
        else line({ label: ref.label, format, rates: ref.result.rates, cpuRates: ref.result.cpuRates, events: ref.result.events, peakKb: [], deltaKb: [], check: 'reference, no socket' });
      }
      out.push('');
    }
    for (const s of skipped) out.push(`(${s})`);
    if (skipped.length) out.push('');

    let oursBig: number | undefined;
    if (big.length) {
      out.push(`32 MiB api/response, api written → body string resolved:`);
      for (const b of big) {
        if (b.result) {
          const med = median(b.result.seconds);
          if (b.label.startsWith('ours')) oursBig = med;
          const all = b.result.seconds.map((s) => s.toFixed(3)).join(', ');
          out.push(`  ${pad(b.label, 24)}${lpad(med.toFixed(3), 8)} s  (runs: ${all})  peak RSS ${fmtMb(b.peakKb ?? 0)}${b.result.bytesOk ? '' : '  WRONG LENGTH'}`);
        } else out.push(`  ${pad(b.label, 24)}${b.timedOut ? `> ${MODESL_BIG_BODY_TIMEOUT_MS / 1000} s (killed)` : `CRASH: ${b.error}`}`);
      }
      out.push('');
    }

    const rateOf = (id: string, format: EventFormat) => {
      const r = rows.get(`${id}:${format}`);
      return r && r.rates.length ? median(r.rates) : undefined;
    };
    const cpuRateOf = (id: string, format: EventFormat) => {
      const r = rows.get(`${id}:${format}`);
      return r && r.cpuRates.length ? median(r.cpuRates) : undefined;
    };
    const ratio = (format: EventFormat) => {
      const a = rateOf('ours', format);
      const b = rateOf('modesl', format);
      return a !== undefined && b !== undefined ? a / b : undefined;
    };
    const cpuRatio = (format: EventFormat) => {
      const a = cpuRateOf('ours', format);
      const b = cpuRateOf('modesl', format);
      return a !== undefined && b !== undefined ? a / b : undefined;
    };
    const fmtRatio = (x: number | undefined) => (x === undefined ? 'n/a' : `${x.toFixed(1)}×`);
    /** Two decimals next to a verdict, so 1.49× never reads as a failed 1.5×. */
    const fmtRatio2 = (x: number | undefined) => (x === undefined ? 'n/a' : `${x.toFixed(2)}×`);
    const verdict = (ok: boolean | undefined, why = 'not measured') => (ok === undefined ? `n/a (${why})` : ok ? 'PASS' : 'FAIL');
    const plainRatio = ratio('plain');
    const jsonRatio = ratio('json');
    const oursJson = rateOf('ours', 'json');
    const listenerJson = rateOf('listener', 'json');
    const listenerPlain = rateOf('listener', 'plain');
    const listenerWhy = CLIENTS.find((c) => c.id === 'listener')?.unavailable() ?? 'not measured';
    out.push('Targets:');
    const cpuNote = (format: EventFormat) => (cpuRatio(format) === undefined ? '' : `  (per CPU-s: ${fmtRatio2(cpuRatio(format))})`);
    out.push(`  ${pad(`plain events/s ≥ ${TARGETS.plainRatio}× modesl`, 46)}${lpad(fmtRatio2(plainRatio), 12)}  ${verdict(plainRatio === undefined ? undefined : plainRatio >= TARGETS.plainRatio)}${cpuNote('plain')}`);
    out.push(`  ${pad(`json events/s ≥ ${TARGETS.jsonRatio}× modesl`, 46)}${lpad(fmtRatio2(jsonRatio), 12)}  ${verdict(jsonRatio === undefined ? undefined : jsonRatio >= TARGETS.jsonRatio)}${cpuNote('json')}`);
    out.push(`  ${pad(`json ≥ ${TARGETS.jsonRate / 1000}k events/s through Connection (parser)`, 46)}${lpad(oursJson === undefined ? 'n/a' : fmtRate(oursJson), 12)}  ${verdict(oursJson === undefined ? undefined : oursJson >= TARGETS.jsonRate)}`);
    // Issue 9's targets: the listener (framing, decoding and call tracking) at these rates.
    for (const [format, rate, target] of [['json', listenerJson, TARGETS.listenerJsonRate], ['plain', listenerPlain, TARGETS.listenerPlainRate]] as const) {
      out.push(
        `  ${pad(`${format} ≥ ${target / 1000}k events/s through EventListener`, 46)}${lpad(rate === undefined ? 'n/a' : fmtRate(rate), 12)}  ${verdict(rate === undefined ? undefined : rate >= target, listenerWhy)}`,
      );
    }
    out.push(`  ${pad(`32 MiB api body < ${TARGETS.bigBodySeconds} s`, 46)}${lpad(oursBig === undefined ? 'n/a' : `${oursBig.toFixed(3)} s`, 12)}  ${verdict(oursBig === undefined ? undefined : oursBig < TARGETS.bigBodySeconds)}`);
    if (failures.length) {
      out.push('');
      out.push('Crashed:');
      for (const f of failures) out.push(`  ${f}`);
    }
    out.push(`(bench took ${((Date.now() - started) / 1000).toFixed(0)} s)`);
    out.push('');
    out.push(`plain events/s vs modesl: ${fmtRatio(plainRatio)}`);
    out.push(`json events/s vs modesl: ${fmtRatio(jsonRatio)}`);
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    server.kill();
  }
  return failures.length ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = 1;
  },
);
