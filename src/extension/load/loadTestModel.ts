/**
 * The Load Test panel's host-side model, vscode-free: it validates what the webview sends, keeps
 * the state the view is drawn from (posted whole when it is shown, ticks in between), forwards
 * checked commands to the generator process, and folds that process's replies. The glue
 * (loadTestPanel.ts) forks the process, finds passwords and opens files.
 */
import { readLoadRunFile } from '../../apphost/loadRunFile';
import { parseThreshold } from '../../core';
import {
  checkLoadSettings,
  parseLoadTestCommand,
  setProblem,
  type LoadHostReply,
  type LoadHostRequest,
  type LoadPhase,
  type LoadServerOption,
  type LoadSettings,
  type LoadTestNotification,
  type LoadTestState,
} from '../../shared/protocol/loadTest';

/** What is wrong with a threshold, by the parser `fsdev load` uses; undefined when it parses. */
export function thresholdProblem(source: string): string | undefined {
  try {
    parseThreshold(source);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** Checks settings from the webview, a profile or a saved run, thresholds included. */
export function checkSettings(raw: unknown): ReturnType<typeof checkLoadSettings> {
  return checkLoadSettings(raw, thresholdProblem);
}

/** The charts keep this many seconds (an hour); older ones are dropped from the view, not the run. */
export const MAX_TICKS = 3600;

export interface LoadTestActions {
  post(n: LoadTestNotification): void;
  /** Starts a run of checked settings (forks the generator); throws with a message for the user. */
  start(settings: LoadSettings): Promise<void>;
  /** Sends to the running generator. */
  send(request: LoadHostRequest): void;
  openTimeline(server: string, uuid: string): void;
  openRunFolder(): void;
  /** Phase or totals changed (status bar). */
  changed?(): void;
}

export class LoadTestModel {
  readonly state: LoadTestState;
  private ready = false;
  private visible = true;
  private resolveReady: (() => void) | undefined;
  /** The view said `ready` (its script runs). */
  readonly whenReady = new Promise<void>((resolve) => (this.resolveReady = resolve));

  constructor(
    private readonly actions: LoadTestActions,
    servers: LoadServerOption[],
    settings: LoadSettings,
  ) {
    this.state = { mode: 'live', servers, settings, settingsRevision: 0, phase: 'idle', ticks: [], warnings: [] };
  }

  /** Puts settings in the form (a profile, a group's servers): the view refills its fields. */
  setSettings(settings: LoadSettings): void {
    this.state.settings = settings;
    this.state.settingsRevision++;
    this.snapshot();
  }

  get running(): boolean {
    return isRunning(this.state.phase);
  }

  setServers(servers: LoadServerOption[]): void {
    this.state.servers = servers;
    this.snapshot();
  }

  setVisible(visible: boolean): void {
    const was = this.visible;
    this.visible = visible;
    if (visible && !was) this.snapshot();
  }

  /** Posts the whole state (the view was shown or something outside a tick changed). */
  snapshot(): void {
    if (this.ready && this.visible) this.actions.post({ type: 'snapshot', state: this.state });
  }

  private error(message: string): void {
    this.state.error = message;
    if (this.ready) this.actions.post({ type: 'error', message });
  }

  /** A message from the webview (untrusted). */
  handle(raw: unknown): void {
    const m = parseLoadTestCommand(raw);
    if (!m) return;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.resolveReady?.();
        this.snapshot();
        return;
      case 'start': {
        if (this.running) return this.error('A run is already going: stop it first.');
        const checked = checkSettings(m.settings);
        if ('error' in checked) return this.error(checked.error);
        const unknown = checked.settings.servers.filter((n) => !this.state.servers.some((s) => s.name === n && s.connected));
        if (unknown.length) return this.error(`Not connected: ${unknown.join(', ')}. Connect from the Servers view first.`);
        // The form shows them as checked (thresholds trimmed, empty rows gone).
        this.state.settings = checked.settings;
        this.state.settingsRevision++;
        this.state.ticks = [];
        delete this.state.totals;
        delete this.state.preflight;
        delete this.state.error;
        delete this.state.runId;
        this.state.warnings = [];
        this.state.phase = 'connecting';
        this.snapshot();
        this.actions.start(checked.settings).catch((err: unknown) => {
          this.state.phase = 'failed';
          this.error(err instanceof Error ? err.message : String(err));
          this.snapshot();
        });
        return;
      }
      case 'set': {
        const problem = setProblem(m);
        if (problem) return this.error(problem);
        if (m.rate !== undefined) this.state.settings.rate = m.rate;
        if (m.limit !== undefined) this.state.settings.limit = m.limit;
        if (m.durationMs !== undefined) this.state.settings.durationMs = m.durationMs;
        delete this.state.error;
        if (this.running) this.actions.send(m);
        return;
      }
      case 'pause':
      case 'resume':
      case 'stop':
      case 'hangup':
        if (this.running) this.actions.send({ type: m.type });
        return;
      case 'applyLimits':
      case 'ignoreLimits':
      case 'cancel':
        if (this.state.phase === 'preflight') this.actions.send({ type: m.type });
        return;
      case 'openTimeline':
        this.actions.openTimeline(m.server, m.uuid);
        return;
      case 'openRunFolder':
        this.actions.openRunFolder();
        return;
    }
  }

  /** A reply from the generator process. */
  onReply(r: LoadHostReply): void {
    switch (r.type) {
      case 'phase':
        this.state.phase = r.phase;
        if (r.runId) this.state.runId = r.runId;
        if (r.phase === 'originating') delete this.state.preflight;
        this.snapshot();
        break;
      case 'preflight':
        this.state.preflight = r.preflight;
        break;
      case 'tick':
        this.state.totals = r.totals;
        if (r.tick.second >= 0) {
          this.state.ticks.push(r.tick);
          if (this.state.ticks.length > MAX_TICKS) this.state.ticks.splice(0, this.state.ticks.length - MAX_TICKS);
        }
        if (this.ready && this.visible) this.actions.post({ type: 'tick', tick: r.tick, totals: r.totals, phase: this.state.phase });
        break;
      case 'warn':
        if (this.state.warnings.length < 50) this.state.warnings.push(r.message);
        this.snapshot();
        break;
      case 'error':
        this.error(r.message);
        break;
      case 'done':
        this.state.totals = r.totals;
        if (this.state.phase !== 'failed') this.state.phase = 'stopped';
        this.snapshot();
        break;
      case 'log':
        break;
    }
    this.actions.changed?.();
  }

  /** The generator process ended (normally after `done`; otherwise it died). */
  onExit(code: number | null): void {
    if (this.running) {
      this.state.phase = 'failed';
      this.error(`The load generator exited (code ${String(code)}) before the run ended.`);
      this.snapshot();
      this.actions.changed?.();
    }
  }

  setRunDir(dir: string): void {
    this.state.runDir = dir;
  }
}

export function isRunning(phase: LoadPhase): boolean {
  return phase === 'connecting' || phase === 'preflight' || phase === 'originating' || phase === 'paused' || phase === 'stopping';
}

/** The run folder name for a start time: `2026-11-29T10-27-19Z` (sorts by time, valid everywhere). */
export function runFolderName(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

/** A saved run (summary.json, whichever wrote it: see readLoadRunFile) as a panel state, or the problem with the file. */
export function savedRunState(data: unknown, runDir: string): LoadTestState | { error: string } {
  const run = readLoadRunFile(data);
  if ('error' in run) return run;
  const checked = checkSettings(run.settings);
  if ('error' in checked) return { error: `summary.json: its settings: ${checked.error}` };
  return {
    mode: 'saved',
    servers: [],
    settings: checked.settings,
    settingsRevision: 0,
    phase: 'stopped',
    ...(run.runId !== undefined ? { runId: run.runId } : {}),
    runDir,
    ...(run.startedAt !== undefined ? { startedAt: run.startedAt } : {}),
    ticks: run.ticks.slice(-MAX_TICKS),
    ...(run.totals ? { totals: run.totals } : {}),
    warnings: run.warnings,
  };
}

/** Two saved runs, each with both runs' seconds for the overlaid charts (labelled by run folder). */
export function comparisonStates(a: LoadTestState, b: LoadTestState): [LoadTestState, LoadTestState] {
  const label = (s: LoadTestState): string => s.runDir?.split(/[\\/]/).pop() ?? s.runId ?? 'run';
  const comparison = [a, b].map((s) => ({ label: label(s), ticks: s.ticks }));
  return [
    { ...a, comparison },
    { ...b, comparison },
  ];
}
