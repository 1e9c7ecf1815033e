/**
 * The load host: a Node process the extension forks for one Load Test panel run, so the generator
 * (about a third of a core at 1,000 calls/s) never competes with the extension host's ESL readers
 * and UI. It takes LoadHostRequests over IPC (the password too: never on a command line), runs the
 * core's ServerPool and Originator, and answers with LoadHostReplies: the phase, the preflight, one
 * tick a second, warnings and the end. Per-call records go to calls.csv/calls.jsonl in the run
 * folder as they end; summary.json is written when the run is over.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileRecordSink, LatencyHistogram, Originator, ServerPool, evaluateThresholds, parseThreshold, type CallRecord, type PreflightResult, type Threshold } from '../core';
import { tallyRecord, type ServerTally } from './loadDisplay';
import { parseEndpoint } from './loadOptions';
import type { LoadFailedCall, LoadHostReply, LoadHostRequest, LoadPhase, LoadPreflight, LoadServerTotals, LoadSettings, LoadTick, LoadTotals } from '../shared/protocol/loadTest';

const MAX_FAILURES_LISTED = 20;
const HANGUP_GRACE_MS = 15_000;

function send(m: LoadHostReply): void {
  process.send?.(m);
}

/** Sends and resolves once the message is handed to the channel (before the process exits). */
function sendNow(m: LoadHostReply): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(m, undefined, {}, () => resolve());
  });
}

/** Percentile of sorted values (nearest rank). */
function pct(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function toPreflight(result: PreflightResult): LoadPreflight {
  const servers = result.servers.map((s) => ({ server: s.server, problems: s.problems, commands: s.commands, ...(s.error !== undefined ? { error: s.error } : {}) }));
  const blocking = result.servers.some((s) => s.error !== undefined || s.problems.some((p) => / is not an application there/.test(p)));
  return { servers, blocking };
}

class LoadRun {
  private readonly pool: ServerPool;
  private readonly originator: Originator;
  private readonly sink: FileRecordSink;
  private readonly startedAt = new Date().toISOString();
  private preflightResult: PreflightResult | undefined;
  private decide: ((choice: 'apply' | 'ignore' | 'cancel') => void) | undefined;
  private secondSetups: number[] = [];
  private readonly hangupCauses: Record<string, number> = {};
  private readonly failures: LoadFailedCall[] = [];
  private lastTotals: LoadTotals | undefined;
  private readonly thresholds: Threshold[];
  /** Ended calls and setup latencies per server, for the per-server table. */
  private readonly tally = new Map<string, ServerTally>();
  private readonly setupByServer = new Map<string, LatencyHistogram>();
  /** Every second's tick, for summary.json (the panel draws a saved run from them). */
  private readonly ticks: LoadTick[] = [];
  private finished = false;

  constructor(
    servers: { name: string; host: string; port: number; user?: string; password: string }[],
    private readonly settings: LoadSettings,
    private readonly outDir: string,
  ) {
    // Checked by the extension already; a bad one still fails here, before anything connects.
    this.thresholds = settings.thresholds.map((t) => parseThreshold(t));
    this.pool = new ServerPool(servers.map((s) => ({ name: s.name, host: s.host, port: s.port, password: s.password, ...(s.user ? { user: s.user } : {}) })));
    this.originator = new Originator(this.pool, {
      rate: settings.rate,
      limit: settings.limit,
      durationMs: settings.durationMs,
      rampMs: settings.rampMs,
      balance: settings.balance,
      targets: settings.targets.map((t) => ({ ...t, endpoint: parseEndpoint(t.endpoint) })),
      ...(settings.maxOffered > 0 ? { maxOffered: settings.maxOffered } : {}),
      ...(settings.runTimeMs > 0 ? { runTimeMs: settings.runTimeMs } : {}),
    });
    this.sink = new FileRecordSink(outDir);
    this.originator.onDidEndCall((r) => this.ended(r));
    this.originator.onDidWarn((w) => send({ type: 'warn', message: w }));
    this.originator.onDidChangeState(({ to }) => this.phase(to));
    this.originator.onDidTick((s) => {
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
      send({ type: 'tick', tick, totals: this.totals() });
    });
  }

  private phase(phase: LoadPhase): void {
    send({ type: 'phase', phase, runId: this.originator.runId });
  }

  private ended(r: CallRecord): void {
    this.sink.write(r);
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

  totals(): LoadTotals {
    const p = this.originator.progress();
    const s = this.originator.summary();
    this.lastTotals = {
      elapsedS: p.elapsedS,
      currentRate: p.currentRate,
      rate: p.rate,
      limit: p.limit,
      durationMs: p.durationMs,
      offered: s.offered,
      notOffered: s.notOffered,
      notOfferedByReason: { ...s.notOfferedByReason },
      answered: s.answered,
      failed: s.failed,
      inProgress: p.inProgress,
      asr: s.asr,
      setupP95: s.latency.setup.count > 0 ? s.latency.setup.p95 : null,
      hangupCauses: { ...this.hangupCauses },
      firstFailures: [...this.failures],
      thresholds: evaluateThresholds(this.thresholds, s),
      servers: this.serverTotals(),
    };
    return this.lastTotals;
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

  async run(): Promise<void> {
    this.phase('connecting');
    await this.pool.connect();
    send({ type: 'log', message: `connected to ${this.pool.members.map((m) => m.name).join(', ')}; run ${this.originator.runId}` });
    this.preflightResult = await this.originator.preflight();
    if (!this.preflightResult.ok) {
      send({ type: 'preflight', preflight: toPreflight(this.preflightResult) });
      this.phase('preflight');
      const choice = await new Promise<'apply' | 'ignore' | 'cancel'>((resolve) => (this.decide = resolve));
      this.decide = undefined;
      if (choice === 'cancel') return this.finish(false);
      if (choice === 'apply') for (const line of await this.originator.applyLimits(this.preflightResult)) send({ type: 'log', message: `applied ${line}` });
    }
    this.originator.start();
    await this.originator.whenStopped();
    await this.finish(true);
  }

  choose(choice: 'apply' | 'ignore' | 'cancel'): void {
    this.decide?.(choice);
  }

  handle(m: LoadHostRequest): void {
    const o = this.originator;
    const live = o.state === 'originating' || o.state === 'paused';
    switch (m.type) {
      case 'set':
        if (m.rate !== undefined && live) o.setRate(m.rate);
        if (m.limit !== undefined) o.setLimit(m.limit);
        if (m.durationMs !== undefined) o.setDuration(m.durationMs);
        send({ type: 'tick', tick: this.emptyTick(), totals: this.totals() });
        break;
      case 'pause':
        if (o.state === 'originating') o.pause();
        break;
      case 'resume':
        if (o.state === 'paused') o.resume();
        break;
      case 'stop':
        if (this.decide) this.choose('cancel');
        else void o.stop();
        break;
      case 'hangup':
        o.hupall().then(
          (replies) => {
            for (const r of replies) send({ type: 'log', message: `hupall on ${r.server}: ${r.reply.trim()}` });
          },
          (err: unknown) => send({ type: 'error', message: `Hang up failed: ${err instanceof Error ? err.message : String(err)}` }),
        );
        break;
      case 'applyLimits':
        this.choose('apply');
        break;
      case 'ignoreLimits':
        this.choose('ignore');
        break;
      case 'cancel':
        this.choose('cancel');
        break;
      case 'start':
        break;
    }
  }

  /** A tick that carries no second (a live change shows in the totals at once). */
  private emptyTick(): LoadTick {
    return { second: -1, targetRate: this.originator.rate, offered: 0, answered: 0, failed: 0, notOffered: 0, concurrent: 0, erlangs: 0, setupP50: null, setupP95: null, setupP99: null, failuresByCause: {} };
  }

  private async finish(ran: boolean): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.sink.close().catch((err: unknown) => send({ type: 'warn', message: `writing the call records failed: ${String(err)}` }));
    const totals = this.totals();
    const summaryFile = join(this.outDir, 'summary.json');
    const data = {
      runId: this.originator.runId,
      startedAt: this.startedAt,
      endedAt: new Date().toISOString(),
      ran,
      settings: this.settings,
      servers: this.pool.members.map((m) => m.name),
      summary: this.originator.summary(),
      totals,
      // As `fsdev load --out` writes them.
      thresholds: totals.thresholds,
      perSecond: this.originator.samples,
      ticks: this.ticks,
      ...(this.preflightResult ? { preflight: toPreflight(this.preflightResult) } : {}),
    };
    writeFileSync(summaryFile, `${JSON.stringify(data, null, 2)}\n`);
    this.originator.dispose();
    for (const h of this.setupByServer.values()) h.destroy();
    await this.pool.disconnect();
    this.pool.dispose();
    await sendNow({ type: 'done', totals, summaryFile });
  }

  /** Ends at once (the panel closed): no more offers, this run's calls hung up. */
  async abort(): Promise<void> {
    if (this.decide) return this.choose('cancel');
    if (this.originator.state === 'originating' || this.originator.state === 'paused') {
      void this.originator.stop();
      await Promise.race([this.originator.hupall().catch(() => undefined), new Promise((r) => setTimeout(r, HANGUP_GRACE_MS))]);
    }
  }
}

/** The IPC loop: one run per process. */
export function main(): void {
  let run: LoadRun | undefined;
  process.on('message', (raw: unknown) => {
    const m = raw as LoadHostRequest;
    if (!m || typeof m !== 'object' || typeof m.type !== 'string') return;
    if (m.type === 'start') {
      if (run) return send({ type: 'error', message: 'a run is already going' });
      try {
        run = new LoadRun(m.servers, m.settings, m.outDir);
      } catch (err) {
        send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
        send({ type: 'phase', phase: 'failed' });
        return;
      }
      run.run().then(
        () => process.exit(0),
        async (err: unknown) => {
          send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
          await sendNow({ type: 'phase', phase: 'failed' });
          process.exit(1);
        },
      );
      return;
    }
    run?.handle(m);
  });
  // The extension went away: hang up this run's calls and go.
  process.on('disconnect', () => {
    void (run?.abort() ?? Promise.resolve()).finally(() => process.exit(0));
  });
}

if (require.main === module) main();
