/**
 * What the load benchmarks share: the test ESL server in its own process (loadServer.ts), the
 * generator process the Load Test panel forks (dist/loadhost.js, forked as loadTestPanel.ts does),
 * and another process's CPU time and RSS read from /proc (these benchmarks run on Linux; a process
 * cannot be asked for its own figures without changing the code being measured).
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { FromServer, ServerRecord, ToServer } from './loadServer';

const REPO = join(__dirname, '..');
const LOAD_HOST = join(REPO, 'dist', 'loadhost.js');

export interface LoadServer {
  port: number;
  pid: number;
  /** Sends `m`; for `record`, resolves with the server's record of the run. */
  ask(m: ToServer): Promise<ServerRecord | undefined>;
  stop(): void;
}

/** Forks the test ESL server (loadServer.ts) and resolves once it listens. */
export async function startLoadServer(): Promise<LoadServer> {
  const child = fork(join(__dirname, 'loadServer.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve) => child.once('message', (m: FromServer) => m.type === 'listening' && resolve(m.port)));
  const ask = (m: ToServer): Promise<ServerRecord | undefined> =>
    new Promise((resolve) => {
      if (m.type !== 'record') {
        child.send(m);
        resolve(undefined);
        return;
      }
      child.once('message', (reply: FromServer) => resolve(reply.type === 'record' ? reply.record : undefined));
      child.send(m);
    });
  return { port, pid: child.pid!, ask, stop: () => child.disconnect() };
}

/** Newest modification time (ms) of the sources dist/loadhost.js is built from. */
function newestSource(): number {
  let newest = 0;
  for (const dir of ['src/apphost', 'src/core', 'src/shared']) {
    for (const f of readdirSync(join(REPO, dir), { recursive: true, encoding: 'utf8' })) {
      if (f.endsWith('.ts')) newest = Math.max(newest, statSync(join(REPO, dir, f)).mtimeMs);
    }
  }
  return newest;
}

/**
 * Forks dist/loadhost.js as the panel does (JSON over IPC); its output goes to ours. Refuses a
 * missing or stale build: the figures must belong to the code in the tree.
 */
export function forkLoadHost(): ChildProcess {
  if (!existsSync(LOAD_HOST)) throw new Error('dist/loadhost.js is missing: run `npm run build` first');
  if (statSync(LOAD_HOST).mtimeMs < newestSource()) throw new Error('dist/loadhost.js is older than its sources: run `npm run build` first');
  // No execArgv: not this process's `--import tsx`; the extension host forks it with none either.
  return fork(LOAD_HOST, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

export interface ProcSample {
  /** performance.now() when read. */
  at: number;
  /** User + system CPU time so far, ms. */
  cpuMs: number;
  rssBytes: number;
}

/** A process's CPU time and resident set size, from /proc/<pid>/stat and /proc/<pid>/status. */
export function procSample(pid: number): ProcSample {
  const at = performance.now();
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  const rssKb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return { at, cpuMs, rssBytes: rssKb * 1024 };
}

/** CPU between two samples of one process, as % of one core. */
export function cpuPercent(from: ProcSample, to: ProcSample): number {
  return ((to.cpuMs - from.cpuMs) / (to.at - from.at)) * 100;
}

/** The 1, 5 and 15 minute load averages, as printed. */
export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}
