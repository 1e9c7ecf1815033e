/**
 * summary.json of a load run: one shape (`LoadRunFile`), written by `fsdev load --out` and by the
 * Load Test panel's generator (loadHost.ts) through one `LoadRunRecorder`, with report.html beside
 * it (loadReport.ts), and read back by the panel ("Open Load Test Run…", "Compare Load Test
 * Runs…") with `readLoadRunFile`, which also reads what both wrote before they shared it. It lives
 * here, not in src/shared or src/core, because it holds both layers' types: the core's summary
 * and the panel's settings, ticks and totals.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LatencyHistogram, evaluateThresholds, type CallRecord, type LoadSummary, type Originator, type PoolCounts, type PreflightResult, type SecondSample, type ServerPool, type Threshold, type ThresholdResult } from '../core';
import { isObject } from '../shared/protocol/validate';
import type { LoadFailedCall, LoadPreflight, LoadServerTotals, LoadSettings, LoadThresholdResult, LoadTick, LoadTotals } from '../shared/protocol/loadTest';
import { tallyRecord, type ServerTally } from './loadDisplay';
import { loadReportHtml } from './loadReport';
import { endpointText, type LoadConfig } from './loadOptions';

/** The shape's version; files without one were written before the two writers shared it. */
export const LOAD_RUN_FILE_VERSION = 2;

/** `fsdev load`'s options as summary.json keeps them: passwords left out, thresholds as written. */
export type SavedLoadConfig = Omit<LoadConfig, 'servers' | 'thresholds'> & {
  servers: { name?: string; host: string; port?: number; user?: string }[];
  thresholds: string[];
};

/** summary.json, whichever wrote it. */
export interface LoadRunFile {
  version: typeof LOAD_RUN_FILE_VERSION;
  /** The `fsdev_load_run` variable on the run's calls. */
  runId: string;
  /** ISO times the run started and its file was written. */
  startedAt: string;
  endedAt: string;
  /** False when the run stopped at the preflight (the panel's Cancel): nothing was offered. */
  ran: boolean;
  /** The run as the panel's form holds it, servers by their pool names. */
  settings: LoadSettings;
  /** `fsdev load` only: every option it was given, those the form has no field for too. */
  config?: SavedLoadConfig;
  /** The core's summary: counts, rates, latency percentiles, warnings. */
  summary: LoadSummary;
  /** Each threshold's verdict on `summary`. */
  thresholds: ThresholdResult[];
  /** Calls, sessions and hangup causes (legs) each server's listener saw. */
  servers: PoolCounts;
  /** The core's per-second samples. */
  perSecond: SecondSample[];
  /** The same seconds as the panel draws them, with the setup percentiles of the calls ended in each. */
  ticks: LoadTick[];
  /** The panel's totals: hangup causes, first failures, thresholds and the per-server table. */
  totals: LoadTotals;
  /** The servers' session limits as judged before the run. */
  preflight?: LoadPreflight;
}

const MAX_FAILURES_LISTED = 20;
/** Ticks kept: the last hour, as the core keeps its per-second samples, so a day's soak stays small. */
const MAX_TICKS_KEPT = 3600;

/** Percentile of sorted values (nearest rank). */
function pct(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** The preflight as the panel shows it and summary.json keeps it; `blocking`: raising limits would not fix it. */
export function toPreflight(result: PreflightResult): LoadPreflight {
  const servers = result.servers.map((s) => ({ server: s.server, problems: s.problems, commands: s.commands, ...(s.error !== undefined ? { error: s.error } : {}) }));
  const blocking = result.servers.some((s) => s.error !== undefined || s.problems.some((p) => / is not an application there/.test(p)));
  return { servers, blocking };
}

/** `fsdev load`'s options as the panel's settings. */
function configSettings(c: SavedLoadConfig, servers: string[]): LoadSettings {
  return {
    servers,
    rate: c.rate,
    limit: c.limit,
    durationMs: c.durationMs,
    maxOffered: c.maxOffered ?? 0,
    runTimeMs: c.runTimeMs ?? 0,
    rampMs: c.rampMs,
    balance: c.balance,
    // The core's defaults where a target names none.
    targets: c.targets.map((t) => ({
      destination: t.destination,
      endpoint: endpointText(t.endpoint),
      app: t.app ?? 'park',
      weight: t.weight ?? 1,
      ...(t.appArg !== undefined ? { appArg: t.appArg } : {}),
      ...(t.name !== undefined ? { name: t.name } : {}),
      ...(t.variables !== undefined ? { variables: { ...t.variables } } : {}),
    })),
    thresholds: c.thresholds,
  };
}

/**
 * What a run records besides the core's own aggregates, from its ended calls and its seconds: the
 * per-server tally and setup latencies, hangup causes, the first failures and the ticks. Both
 * writers feed it the same events, so both files carry the same fields.
 */
export class LoadRunRecorder {
  /** Ended calls per server (`fsdev load`'s table prints them too). */
  readonly tally = new Map<string, ServerTally>();
  readonly startedAt = new Date().toISOString();
  private readonly setupByServer = new Map<string, LatencyHistogram>();
  private secondSetups: number[] = [];
  private readonly hangupCauses: Record<string, number> = {};
  private readonly failures: LoadFailedCall[] = [];
  private readonly ticks: LoadTick[] = [];

  constructor(
    private readonly originator: Pick<Originator, 'runId' | 'summary' | 'progress' | 'serverProgress' | 'samples'>,
    private readonly pool: Pick<ServerPool, 'members' | 'counts'>,
    private readonly thresholds: readonly Threshold[],
  ) {}

  /** A call ended (Originator.onDidEndCall). */
  ended(r: CallRecord): void {
    tallyRecord(this.tally, r);
    if (r.setupMs !== undefined) {
      this.secondSetups.push(r.setupMs);
      let h = this.setupByServer.get(r.server);
      if (!h) this.setupByServer.set(r.server, (h = new LatencyHistogram()));
      h.record(r.setupMs);
    }
    this.hangupCauses[r.hangupCause] = (this.hangupCauses[r.hangupCause] ?? 0) + 1;
    if (r.outcome === 'failed' && this.failures.length < MAX_FAILURES_LISTED) this.failures.push({ uuid: r.uuid, server: r.server, cause: r.hangupCause, sentAt: r.sentAtEpochMs });
  }

  /** A second is over (Originator.onDidTick): its tick, kept for the file. */
  second(s: SecondSample): LoadTick {
    const setups = this.secondSetups.sort((a, b) => a - b);
    this.secondSetups = [];
    const tick: LoadTick = {
      second: s.second,
      targetRate: s.targetRate,
      offered: s.offered,
      answered: s.answered,
      failed: s.failed,
      notOffered: s.notOffered,
      concurrent: s.concurrent,
      erlangs: s.erlangs,
      setupP50: pct(setups, 50),
      setupP95: pct(setups, 95),
      setupP99: pct(setups, 99),
      failuresByCause: s.failuresByCause,
    };
    this.ticks.push(tick);
    if (this.ticks.length > MAX_TICKS_KEPT) this.ticks.shift();
    return tick;
  }

  /** The totals so far, thresholds evaluated on the summary (one evaluation for the view and the file). */
  totals(summary = this.originator.summary(), thresholds: LoadThresholdResult[] = evaluateThresholds(this.thresholds, summary)): LoadTotals {
    const p = this.originator.progress();
    return {
      elapsedS: p.elapsedS,
      currentRate: p.currentRate,
      rate: p.rate,
      limit: p.limit,
      durationMs: p.durationMs,
      offered: summary.offered,
      notOffered: summary.notOffered,
      notOfferedByReason: { ...summary.notOfferedByReason },
      answered: summary.answered,
      failed: summary.failed,
      inProgress: p.inProgress,
      asr: summary.asr,
      setupP95: summary.latency.setup.count > 0 ? summary.latency.setup.p95 : null,
      hangupCauses: { ...this.hangupCauses },
      firstFailures: [...this.failures],
      thresholds,
      servers: this.serverTotals(),
    };
  }

  private serverTotals(): LoadServerTotals[] {
    const up = new Map(this.originator.serverProgress().map((p) => [p.server, p.inProgress]));
    return this.pool.members.map((m) => {
      const t = this.tally.get(m.name) ?? { offered: 0, answered: 0, failed: 0, lost: 0 };
      const inProgress = up.get(m.name) ?? 0;
      const setup = this.setupByServer.get(m.name);
      return {
        server: m.name,
        offered: t.offered + inProgress,
        answered: t.answered,
        failed: t.failed,
        asr: t.answered + t.failed > 0 ? t.answered / (t.answered + t.failed) : 0,
        setupP95: setup ? setup.percentile(95) : null,
        inProgress,
      };
    });
  }

  /**
   * The file at the end of the run. `settings` is the panel's; `fsdev load` passes its `config`
   * instead, and the settings are derived from it.
   */
  file(run: { ran: boolean; preflight: PreflightResult | undefined } & ({ settings: LoadSettings } | { config: LoadConfig })): LoadRunFile {
    const summary = this.originator.summary();
    const thresholds = evaluateThresholds(this.thresholds, summary);
    let settings: LoadSettings;
    let config: SavedLoadConfig | undefined;
    if ('config' in run) {
      config = { ...run.config, servers: run.config.servers.map((s) => ({ name: s.name, host: s.host, port: s.port, user: s.user })), thresholds: run.config.thresholds.map((t) => t.source) };
      settings = configSettings(config, this.pool.members.map((m) => m.name));
    } else settings = run.settings;
    return {
      version: LOAD_RUN_FILE_VERSION,
      runId: this.originator.runId,
      startedAt: this.startedAt,
      endedAt: new Date().toISOString(),
      ran: run.ran,
      settings,
      ...(config ? { config } : {}),
      summary,
      thresholds,
      servers: this.pool.counts(),
      perSecond: [...this.originator.samples],
      ticks: [...this.ticks],
      totals: this.totals(summary, thresholds),
      ...(run.preflight ? { preflight: toPreflight(run.preflight) } : {}),
    };
  }

  dispose(): void {
    for (const h of this.setupByServer.values()) h.destroy();
  }
}

/**
 * Writes summary.json and report.html (its charts and tables, self-contained) into the run folder
 * (made if missing); returns summary.json's path.
 */
export function writeLoadRunFile(dir: string, file: LoadRunFile): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'summary.json');
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
  writeFileSync(join(dir, 'report.html'), loadReportHtml(file));
  return path;
}

/** What the panel shows of a saved run; `settings` still to be checked (checkLoadSettings). */
export interface SavedLoadRun {
  runId?: string;
  startedAt?: string;
  settings: unknown;
  ticks: LoadTick[];
  totals?: LoadTotals;
  warnings: string[];
}

/** Settings as the panel wrote them before mixes: one target, no thresholds, no balance. */
function panelSettings(raw: unknown): unknown {
  if (!isObject(raw)) return raw;
  const withBalance = { balance: 'round-robin', ...raw };
  if ('targets' in raw) return withBalance;
  const { destination, endpoint, app, ...rest } = withBalance as Record<string, unknown>;
  return { ...rest, targets: [{ destination, endpoint, app, weight: 1 }], thresholds: [] };
}

// A summary.json is a file anyone may have edited: every value read from it is checked, so a bad
// one shows as 0, empty or absent and never reaches the views as something else.
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const ms = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const counts = (v: unknown): Record<string, number> =>
  isObject(v) ? (Object.fromEntries(Object.entries(v).filter(([, n]) => typeof n === 'number' && Number.isFinite(n))) as Record<string, number>) : {};
/** The most seconds a saved run is drawn over (the recorder keeps the last hour); a second beyond is not one. */
const MAX_SECOND = 366 * 24 * 3600;
const THRESHOLD_KINDS: ReadonlySet<unknown> = new Set(['time', 'ratio', 'number']);

function thresholdResults(v: unknown): LoadThresholdResult[] {
  if (!Array.isArray(v)) return [];
  return v.filter(isObject).flatMap((t) =>
    typeof t['threshold'] === 'string' && typeof t['ok'] === 'boolean'
      ? [{ threshold: t['threshold'], ok: t['ok'], actual: num(t['actual']), expected: num(t['expected']), ...(THRESHOLD_KINDS.has(t['kind']) ? { kind: t['kind'] as LoadThresholdResult['kind'] } : {}) }]
      : [],
  );
}

function serverTotals(v: unknown): LoadServerTotals[] {
  if (!Array.isArray(v)) return [];
  return v.filter(isObject).flatMap((s) =>
    typeof s['server'] === 'string'
      ? [{ server: s['server'], offered: num(s['offered']), answered: num(s['answered']), failed: num(s['failed']), asr: num(s['asr']), setupP95: ms(s['setupP95']), inProgress: num(s['inProgress']) }]
      : [],
  );
}

function failedCalls(v: unknown): LoadFailedCall[] {
  if (!Array.isArray(v)) return [];
  return v.filter(isObject).map((c) => ({ uuid: str(c['uuid']), server: str(c['server']), cause: str(c['cause']), sentAt: num(c['sentAt']) }));
}

/**
 * Reads any summary.json: this shape, the panel's before it (`settings`, `ticks`, `totals`, its
 * `servers` a list of names) and `fsdev load`'s before it (`config`, `perSecond`, no totals: they
 * are made from `summary`, without a per-server table or failed calls, which it did not keep).
 */
export function readLoadRunFile(data: unknown): SavedLoadRun | { error: string } {
  if (!isObject(data)) return { error: 'summary.json is not an object' };
  let settings: unknown;
  if ('settings' in data) settings = panelSettings(data['settings']);
  else if (isObject(data['config']) && Array.isArray(data['config']['targets']) && Array.isArray(data['config']['thresholds'])) {
    const names = isObject(data['servers']) && Array.isArray(data['servers']['servers']) ? data['servers']['servers'].map((s: unknown) => (isObject(s) ? s['server'] : undefined)) : [];
    settings = configSettings(data['config'] as SavedLoadConfig, names.filter((n): n is string => typeof n === 'string'));
  } else return { error: 'summary.json has neither the run settings (settings) nor fsdev load options (config)' };
  // `ticks` has the setup percentiles; `perSecond` alone (fsdev load before this shape) draws the rest.
  const seconds = Array.isArray(data['ticks']) ? data['ticks'] : Array.isArray(data['perSecond']) ? data['perSecond'] : [];
  const ticks: LoadTick[] = seconds.filter((s) => isObject(s) && Number.isInteger(s['second']) && (s['second'] as number) >= 0 && (s['second'] as number) <= MAX_SECOND).map((s) => ({
    second: num(s['second']),
    targetRate: num(s['targetRate']),
    offered: num(s['offered']),
    answered: num(s['answered']),
    failed: num(s['failed']),
    notOffered: num(s['notOffered']),
    concurrent: num(s['concurrent']),
    erlangs: num(s['erlangs']),
    setupP50: ms(s['setupP50']),
    setupP95: ms(s['setupP95']),
    setupP99: ms(s['setupP99']),
    failuresByCause: counts(s['failuresByCause']),
  }));
  const summary = isObject(data['summary']) ? data['summary'] : undefined;
  const thresholds = thresholdResults(data['thresholds']);
  let totals: LoadTotals | undefined;
  if (isObject(data['totals'])) {
    const t = data['totals'];
    // The panel's runs saved before thresholds and per-server totals have neither: empty lists.
    totals = {
      elapsedS: num(t['elapsedS']),
      currentRate: num(t['currentRate']),
      rate: num(t['rate']),
      limit: num(t['limit']),
      durationMs: num(t['durationMs']),
      offered: num(t['offered']),
      notOffered: num(t['notOffered']),
      notOfferedByReason: counts(t['notOfferedByReason']),
      answered: num(t['answered']),
      failed: num(t['failed']),
      inProgress: num(t['inProgress']),
      asr: num(t['asr']),
      setupP95: ms(t['setupP95']),
      hangupCauses: counts(t['hangupCauses']),
      firstFailures: failedCalls(t['firstFailures']),
      thresholds: thresholdResults(t['thresholds']),
      servers: serverTotals(t['servers']),
    };
  } else if (summary) {
    const setup = isObject(summary['latency']) && isObject(summary['latency']['setup']) ? summary['latency']['setup'] : {};
    totals = {
      elapsedS: num(summary['elapsedS']),
      currentRate: num(summary['rate']),
      rate: num(summary['rate']),
      limit: num(summary['limit']),
      durationMs: isObject(data['config']) ? num(data['config']['durationMs']) : 0,
      offered: num(summary['offered']),
      notOffered: num(summary['notOffered']),
      notOfferedByReason: counts(summary['notOfferedByReason']),
      answered: num(summary['answered']),
      failed: num(summary['failed']),
      inProgress: 0,
      asr: num(summary['asr']),
      setupP95: num(setup['count']) > 0 ? ms(setup['p95']) : null,
      hangupCauses: {},
      firstFailures: [],
      thresholds,
      servers: [],
    };
  }
  const warnings = summary && Array.isArray(summary['warnings']) ? summary['warnings'].filter((w): w is string => typeof w === 'string').slice(0, 50) : [];
  return {
    ...(typeof data['runId'] === 'string' ? { runId: data['runId'] } : {}),
    ...(typeof data['startedAt'] === 'string' ? { startedAt: data['startedAt'] } : {}),
    settings,
    ticks,
    ...(totals ? { totals } : {}),
    warnings,
  };
}
