/**
 * The load host: a Node process the extension forks for one Load Test panel run, so the generator
 * (about a third of a core at 1,000 calls/s) never competes with the extension host's ESL readers
 * and UI. It takes LoadHostRequests over IPC (the password too: never on a command line), runs the
 * core's ServerPool and Originator, and answers with LoadHostReplies: the phase, the preflight, one
 * tick a second, warnings and the end. Per-call records go to calls.csv/calls.jsonl in the run
 * folder as they end; summary.json (loadRunFile.ts, the shape `fsdev load --out` writes) when the
 * run is over.
 */
import { FileRecordSink, Originator, ServerPool, parseThreshold, type CallRecord, type PreflightResult } from '../core';
import { parseEndpoint } from './loadOptions';
import { LoadRunRecorder, toPreflight, writeLoadRunFile } from './loadRunFile';
import type { LoadHostReply, LoadHostRequest, LoadPhase, LoadSettings, LoadTick } from '../shared/protocol/loadTest';

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

class LoadRun {
  private readonly pool: ServerPool;
  private readonly originator: Originator;
  private readonly sink: FileRecordSink;
  /** Ticks, totals and summary.json. */
  private readonly recorder: LoadRunRecorder;
  private preflightResult: PreflightResult | undefined;
  private decide: ((choice: 'apply' | 'ignore' | 'cancel') => void) | undefined;
  private finished = false;

  constructor(
    servers: { name: string; host: string; port: number; user?: string; password: string }[],
    private readonly settings: LoadSettings,
    private readonly outDir: string,
  ) {
    // Checked by the extension already; a bad one still fails here, before anything connects.
    const thresholds = settings.thresholds.map((t) => parseThreshold(t));
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
    this.recorder = new LoadRunRecorder(this.originator, this.pool, thresholds);
    this.originator.onDidEndCall((r) => this.ended(r));
    this.originator.onDidWarn((w) => send({ type: 'warn', message: w }));
    this.originator.onDidChangeState(({ to }) => this.phase(to));
    this.originator.onDidTick((s) => send({ type: 'tick', tick: this.recorder.second(s), totals: this.recorder.totals() }));
  }

  private phase(phase: LoadPhase): void {
    send({ type: 'phase', phase, runId: this.originator.runId });
  }

  private ended(r: CallRecord): void {
    this.sink.write(r);
    this.recorder.ended(r);
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
        send({ type: 'tick', tick: this.emptyTick(), totals: this.recorder.totals() });
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
    const file = this.recorder.file({ ran, settings: this.settings, preflight: this.preflightResult });
    const summaryFile = writeLoadRunFile(this.outDir, file);
    this.originator.dispose();
    this.recorder.dispose();
    await this.pool.disconnect();
    this.pool.dispose();
    await sendNow({ type: 'done', totals: file.totals, summaryFile });
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
