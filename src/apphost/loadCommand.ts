/**
 * `fsdev load`: runs a load test from the command line with the core's ServerPool and Originator.
 * Checks every input before connecting, preflights the servers' session limits, shows progress
 * (one line rewritten in place on a terminal, a plain line every 5 s otherwise), takes + - * / p q
 * from the keyboard, stops cleanly on Ctrl-C (offer no more, hang up this run's calls), prints a
 * summary table, writes per-call records and summary.json (loadRunFile.ts: the shape the Load Test
 * panel writes and opens) with --out, and exits 99 when a threshold is broken (as k6 does), 2 when
 * the preflight stopped the run, 1 on any other error.
 */
import { join } from 'node:path';
import { FileRecordSink, Originator, ServerPool, type CallRecordSink, type PreflightResult } from '../core';
import { progressLine, summaryText } from './loadDisplay';
import { LOAD_USAGE, LoadUsageError, parseLoadArgs, type LoadConfig } from './loadOptions';
import { LoadRunRecorder, writeLoadRunFile } from './loadRunFile';

/** Exit codes of `fsdev load`. */
export const LOAD_EXIT = { ok: 0, error: 1, preflight: 2, thresholds: 99 } as const;

/** Where `fsdev load` reads and writes (a test passes its own). */
export interface LoadIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
  /** Keys, when it is a terminal. */
  stdin?: NodeJS.ReadStream;
  env: Readonly<Record<string, string | undefined>>;
  /** Registers the handler of SIGINT/SIGTERM; returns how to unregister it. */
  onSignal(handler: (signal: string) => void): () => void;
  /** Plain progress lines every this many ms (not a terminal). Default 5000. */
  progressEveryMs?: number;
}

export const processIo: LoadIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  onSignal(handler) {
    const on = (signal: NodeJS.Signals): void => handler(signal);
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
    return () => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    };
  },
};

/** How long calls may take to go after a hupall before the run ends without them. */
const HANGUP_GRACE_MS = 15_000;

export async function runLoad(argv: readonly string[], io: LoadIo = processIo): Promise<number> {
  let config: LoadConfig | 'help';
  try {
    config = parseLoadArgs(argv, io.env);
  } catch (err) {
    if (err instanceof LoadUsageError) {
      io.stderr.write(`fsdev load: ${err.message}\n(fsdev load --help for the options)\n`);
      return LOAD_EXIT.error;
    }
    throw err;
  }
  if (config === 'help') {
    io.stdout.write(LOAD_USAGE);
    return LOAD_EXIT.ok;
  }

  const pool = new ServerPool(config.servers);
  let originator: Originator;
  try {
    originator = new Originator(pool, {
      rate: config.rate,
      limit: config.limit,
      durationMs: config.durationMs,
      rampMs: config.rampMs,
      targets: config.targets,
      balance: config.balance,
      ...(config.maxOffered !== undefined ? { maxOffered: config.maxOffered } : {}),
      ...(config.runTimeMs !== undefined ? { runTimeMs: config.runTimeMs } : {}),
      ...(config.originateTimeoutSec !== undefined ? { originateTimeoutSec: config.originateTimeoutSec } : {}),
      ...(config.hangupCause !== undefined ? { hangupCause: config.hangupCause } : {}),
      ...(config.callerIdNumber !== undefined ? { callerIdNumber: config.callerIdNumber } : {}),
      ...(config.callerIdName !== undefined ? { callerIdName: config.callerIdName } : {}),
      ...(config.runId !== undefined ? { runId: config.runId } : {}),
    });
  } catch (err) {
    pool.dispose();
    io.stderr.write(`fsdev load: ${err instanceof Error ? err.message : String(err)}\n`);
    return LOAD_EXIT.error;
  }

  const say = (text: string): void => void io.stdout.write(`${text}\n`);
  try {
    await pool.connect();
  } catch (err) {
    io.stderr.write(`fsdev load: ${err instanceof Error ? err.message : String(err)}\n`);
    await pool.disconnect();
    originator.dispose();
    pool.dispose();
    return LOAD_EXIT.error;
  }
  say(`connected to ${pool.members.map((m) => m.name).join(', ')}; run ${originator.runId} (calls carry fsdev_load_run=${originator.runId})`);

  let sink: (CallRecordSink & { dropped?: number }) | undefined;
  try {
    const preflight = await originator.preflight();
    const verdict = reportPreflight(preflight, config, say);
    if (verdict === 'stop') return LOAD_EXIT.preflight;
    if (verdict === 'apply') for (const line of await originator.applyLimits(preflight)) say(`applied ${line}`);
    if (config.out) sink = new FileRecordSink(config.out);
    return await run(originator, pool, config, io, sink, preflight);
  } catch (err) {
    io.stderr.write(`fsdev load: ${err instanceof Error ? err.message : String(err)}\n`);
    return LOAD_EXIT.error;
  } finally {
    await sink?.close().catch((err: unknown) => io.stderr.write(`fsdev load: writing the call records failed: ${String(err)}\n`));
    originator.dispose();
    await pool.disconnect();
    pool.dispose();
  }
}

function reportPreflight(result: PreflightResult, config: LoadConfig, say: (t: string) => void): 'go' | 'apply' | 'stop' {
  if (result.ok) return 'go';
  for (const s of result.servers) for (const p of s.problems) say(`preflight: ${p}`);
  const commands = result.servers.flatMap((s) => s.commands.map((c) => `  ${s.server}: ${c}`));
  const appProblem = result.servers.some((s) => s.problems.some((p) => / is not an application there/.test(p)) || s.error !== undefined);
  if (appProblem) {
    say('Not started: fix the problems above.');
    return 'stop';
  }
  if (config.applyLimits) return 'apply';
  if (config.ignoreLimits) {
    say('preflight: --ignore-limits: running anyway; calls over the limits fail DESTINATION_OUT_OF_ORDER');
    return 'go';
  }
  say(`Not started. The run needs higher session limits; these commands raise them (until FreeSWITCH restarts):\n${commands.join('\n')}`);
  say('Run them yourself (fs_cli -x "fsctl sps N"), or pass --apply-limits to have fsdev load run them, or --ignore-limits to run anyway.');
  return 'stop';
}

async function run(originator: Originator, pool: ServerPool, config: LoadConfig, io: LoadIo, sink: CallRecordSink | undefined, preflight: PreflightResult): Promise<number> {
  const tty = io.stdout.isTTY === true;
  const recorder = new LoadRunRecorder(originator, pool, config.thresholds);
  const disposables: (() => void)[] = [];
  let lineShown = false;
  const clearLine = (): void => {
    if (tty && lineShown) io.stdout.write('\r\x1b[2K');
    lineShown = false;
  };
  const say = (text: string): void => {
    clearLine();
    io.stdout.write(`${text}\n`);
  };
  const render = (): void => {
    const s = originator.progress();
    const p95 = originator.summary().latency.setup;
    const line = progressLine(s, p95.count > 0 ? p95.p95 : undefined);
    if (tty) {
      io.stdout.write(`\r\x1b[2K${line}`);
      lineShown = true;
    } else {
      io.stdout.write(`${line}\n`);
    }
  };

  originator.onDidEndCall((r) => {
    recorder.ended(r);
    sink?.write(r);
  });
  originator.onDidTick((s) => void recorder.second(s));
  originator.onDidWarn((w) => say(`warning: ${w}`));
  originator.onDidChangeState(({ from, to }) => {
    if (to === 'paused') say('paused: no calls are offered until p');
    else if (to === 'originating' && from === 'paused') say('resumed');
    else if (to === 'stopping') say('stopping: no more calls are offered; waiting for the calls up to end');
  });

  let interrupted = 0;
  let forced: (() => void) | undefined;
  const forcedEnd = new Promise<void>((resolve) => (forced = resolve));
  const interrupt = (why: string): void => {
    interrupted++;
    if (interrupted === 1) {
      say(`${why}: stopping offers and hanging up this run's calls (again to exit at once)`);
      void originator.stop();
      originator.hupall().then(
        (replies) => {
          for (const r of replies) say(`hupall on ${r.server}: ${r.reply.trim()}`);
        },
        (err: unknown) => say(`hupall failed: ${err instanceof Error ? err.message : String(err)}`),
      );
      const grace = setTimeout(() => {
        say(`calls still up ${HANGUP_GRACE_MS / 1000} s after the hangup: ending the run without them`);
        forced?.();
      }, HANGUP_GRACE_MS);
      grace.unref();
      disposables.push(() => clearTimeout(grace));
    } else {
      forced?.();
    }
  };
  disposables.push(io.onSignal((signal) => interrupt(signal === 'SIGTERM' ? 'SIGTERM' : 'Ctrl-C')));

  const stdin = io.stdin;
  if (tty && stdin?.isTTY) {
    stdin.setRawMode(true);
    stdin.resume();
    const onKey = (data: Buffer): void => {
      for (const key of data.toString('utf8')) {
        if (key === '\u0003' || key === 'q') interrupt(key === 'q' ? 'q' : 'Ctrl-C');
        else if (key === 'p') {
          if (originator.state === 'paused') originator.resume();
          else originator.pause();
        } else if ('+-*/'.includes(key) && (originator.state === 'originating' || originator.state === 'paused')) {
          const step = key === '*' || key === '/' ? 10 : 1;
          const up = key === '+' || key === '*';
          const next = up ? originator.rate + step : originator.rate - step > 0 ? originator.rate - step : originator.rate / 2;
          originator.setRate(next);
          say(`rate ${Number.isInteger(next) ? next : next.toFixed(2)}/s`);
        }
      }
      render();
    };
    stdin.on('data', onKey);
    disposables.push(() => {
      stdin.off('data', onKey);
      stdin.setRawMode(false);
      stdin.pause();
    });
  }

  const every = tty ? 250 : (io.progressEveryMs ?? 5000);
  const ticker = setInterval(render, every);
  disposables.push(() => clearInterval(ticker));

  say(
    `originating ${config.rate}/s up to ${config.limit} calls, hold ${config.durationMs === 'auto' ? `auto (${Math.round(originator.durationMs)} ms)` : `${config.durationMs} ms`}` +
      `${config.maxOffered ? `, ${config.maxOffered} calls` : ''}${config.runTimeMs ? `, for ${config.runTimeMs / 1000} s` : ''}` +
      `${tty ? '  [+/- rate ±1, * / ±10, p pause, q stop]' : ''}`,
  );
  originator.start();
  await Promise.race([originator.whenStopped(), forcedEnd]);
  for (const d of disposables.reverse()) d();
  clearLine();

  const file = recorder.file({ ran: true, config, preflight });
  recorder.dispose();
  io.stdout.write(summaryText(file.summary, { runId: file.runId, servers: file.servers, tally: recorder.tally, thresholds: file.thresholds }));
  if (config.out) {
    const path = writeLoadRunFile(config.out, file);
    io.stdout.write(`records: ${join(config.out, 'calls.csv')}, ${join(config.out, 'calls.jsonl')}; summary: ${path}; report: ${join(config.out, 'report.html')}\n`);
  }
  return file.thresholds.some((r) => !r.ok) ? LOAD_EXIT.thresholds : LOAD_EXIT.ok;
}
