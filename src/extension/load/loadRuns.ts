/**
 * The runs kept in `.fsdev/runs/<time>/` as the Load Tests view and the run pickers list them,
 * vscode-free: which folders hold a summary.json, newest first, and the words of each row. A
 * summary.json is judged by `savedRunState`, the check "Open Load Test Run…" makes, so a row that
 * looks readable opens.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatCount as count, formatThresholdValue, type LoadThresholdResult } from '../../shared/protocol/loadTest';
import { savedRunState } from './loadTestModel';

/** What a readable summary.json says, kept small: the view lists every run, the panel reads the ticks. */
export interface LoadRunInfo {
  runId?: string;
  /** ISO start time from the file. */
  startedAt?: string;
  servers: string[];
  /** The rate asked for, calls per second. */
  rate: number;
  offered: number;
  answered: number;
  failed: number;
  notOffered: number;
  /** 0–1. */
  asr: number;
  setupP95: number | null;
  thresholds: LoadThresholdResult[];
  warnings: string[];
}

/** One folder of `.fsdev/runs` holding a summary.json. */
export interface LoadRunEntry {
  /** The folder's name. */
  name: string;
  dir: string;
  /** summary.json's modification time: orders runs whose file has no start time. */
  mtimeMs: number;
  /** What the file says, or why it cannot be opened. */
  run: LoadRunInfo | { problem: string };
}

export function isReadable(entry: LoadRunEntry): entry is LoadRunEntry & { run: LoadRunInfo } {
  return !('problem' in entry.run);
}

/** A summary.json's parsed contents as a row's facts, or the problem `Open Load Test Run…` would report. */
export function runInfo(data: unknown): LoadRunInfo | { problem: string } {
  const state = savedRunState(data, '');
  if (!('mode' in state)) return { problem: state.error };
  const t = state.totals;
  return {
    ...(state.runId !== undefined ? { runId: state.runId } : {}),
    ...(state.startedAt !== undefined ? { startedAt: state.startedAt } : {}),
    servers: state.settings.servers,
    rate: state.settings.rate,
    offered: t?.offered ?? 0,
    answered: t?.answered ?? 0,
    failed: t?.failed ?? 0,
    notOffered: t?.notOffered ?? 0,
    asr: t?.asr ?? 0,
    setupP95: t?.setupP95 ?? null,
    thresholds: t?.thresholds ?? [],
    warnings: state.warnings,
  };
}

/** Reads one summary.json; a missing, unparsable or unexpected file is a problem, never a throw. */
export async function readRunEntry(dir: string, name: string, mtimeMs: number): Promise<LoadRunEntry> {
  let run: LoadRunEntry['run'];
  try {
    run = runInfo(JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')));
  } catch (err) {
    run = { problem: err instanceof Error ? err.message : String(err) };
  }
  return { name, dir, mtimeMs, run };
}

/** When a run started, for ordering: the file's start time, else when its summary.json was written. */
function startMs(entry: LoadRunEntry): number {
  const t = isReadable(entry) && entry.run.startedAt !== undefined ? Date.parse(entry.run.startedAt) : NaN;
  return Number.isFinite(t) ? t : entry.mtimeMs;
}

/** Newest first, by start time (`fsdev load --out` folders are named by whoever ran it), then by name. */
export function sortRuns(entries: readonly LoadRunEntry[]): LoadRunEntry[] {
  return [...entries].sort((a, b) => startMs(b) - startMs(a) || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
}

/**
 * The runs under `root`, newest first: each folder with a summary.json (a run still going has none
 * yet). `cache` keeps files whose size and modification time are unchanged from being read again
 * on every refresh; a root that does not exist has no runs.
 */
export async function listLoadRuns(root: string, cache?: Map<string, { size: number; entry: LoadRunEntry }>): Promise<LoadRunEntry[]> {
  let names: string[];
  try {
    names = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
  const entries = await Promise.all(
    names.map(async (name) => {
      const dir = join(root, name);
      const file = join(dir, 'summary.json');
      const st = await stat(file).catch(() => undefined);
      if (!st?.isFile()) return undefined;
      const cached = cache?.get(file);
      if (cached && cached.size === st.size && cached.entry.mtimeMs === st.mtimeMs) return cached.entry;
      const entry = await readRunEntry(dir, name, st.mtimeMs);
      cache?.set(file, { size: st.size, entry });
      return entry;
    }),
  );
  const found = entries.filter((e): e is LoadRunEntry => e !== undefined);
  if (cache) {
    const present = new Set(found.map((e) => join(e.dir, 'summary.json')));
    for (const key of cache.keys()) if (!present.has(key)) cache.delete(key);
  }
  return sortRuns(found);
}

/** `20/s · 1,200 calls · ASR 99.2 %`; the ASR is `–` when no call ended. */
export function runDescription(run: LoadRunInfo): string {
  const ended = run.answered + run.failed;
  const asr = ended > 0 ? `${(run.asr * 100).toFixed(1)} %` : '–';
  return `${String(Number(run.rate.toPrecision(4)))}/s · ${count(run.offered)} ${run.offered === 1 ? 'call' : 'calls'} · ASR ${asr}`;
}

/** `passed` when every threshold held, `failed` when one broke, undefined for a run without thresholds. */
export function runVerdict(run: LoadRunInfo): 'passed' | 'failed' | undefined {
  if (run.thresholds.length === 0) return undefined;
  return run.thresholds.every((t) => t.ok) ? 'passed' : 'failed';
}

/**
 * A run's start in the user's locale (`locale` is VS Code's display language); `timeZone` is for
 * tests, which must not depend on the machine's. Without a start time, the folder's name.
 */
export function runStartText(entry: LoadRunEntry, locale: string | undefined, timeZone?: string): string {
  const t = isReadable(entry) && entry.run.startedAt !== undefined ? Date.parse(entry.run.startedAt) : NaN;
  if (!Number.isFinite(t)) return entry.name;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium', ...(timeZone ? { timeZone } : {}) }).format(t);
}

/** The tooltip of a run's row, as plain lines (the view shows them as text, never markdown). */
export function runTooltipLines(entry: LoadRunEntry, locale: string | undefined, timeZone?: string): string[] {
  const where = join(entry.dir, 'summary.json');
  if ('problem' in entry.run) return [`${entry.name}: summary.json cannot be opened`, entry.run.problem, where];
  const r = entry.run;
  const lines = [
    `Load test run of ${runStartText(entry, locale, timeZone)}`,
    `${r.servers.join(', ') || 'no server'} at ${runDescription(r)}`,
    `Offered ${count(r.offered)}, answered ${count(r.answered)}, failed ${count(r.failed)}, not offered ${count(r.notOffered)}`,
  ];
  if (r.setupP95 !== null) lines.push(`Setup p95 ${formatThresholdValue(r.setupP95, 'time')}`);
  const broken = r.thresholds.filter((t) => !t.ok).length;
  if (r.thresholds.length) lines.push(broken ? `Thresholds: ${broken} of ${r.thresholds.length} failed` : `Thresholds: all ${r.thresholds.length} passed`);
  for (const t of r.thresholds) lines.push(`  ${t.ok ? 'passed' : 'FAILED'}  ${t.threshold}: ${formatThresholdValue(t.actual, t.kind)}`);
  if (r.warnings.length) lines.push(`${r.warnings.length} ${r.warnings.length === 1 ? 'warning' : 'warnings'}: ${r.warnings[0]!}`);
  lines.push(r.runId ? `Run ${r.runId} in ${where}` : where);
  return lines;
}
