/**
 * The Load Test panel's protocol (webview ⇄ extension host) and the generator process's (extension
 * host ⇄ load host, a forked Node process that runs the core's Originator). The host validates every
 * message from the webview with `parseLoadTestCommand`, and every run's settings with
 * `checkLoadSettings`, before anything is sent to a server.
 */
import { isObject, isString, isStringArray } from './validate';

/** A server the panel can use: the extension's configured servers, by name. */
export interface LoadServerOption {
  name: string;
  /** `name (host:port)`. */
  label: string;
  connected: boolean;
}

/** One kind of call in the run's mix (a profile's `targets[]`, `fsdev load --dest D*W`). */
export interface LoadTarget {
  /** The number dialled, e.g. `9664`. */
  destination: string;
  /** `loopback`, `loopback/CONTEXT`, `user[/DOMAIN]`, `sofia/PROFILE`, `gateway/NAME`. */
  endpoint: string;
  /** The application the originated leg runs (`park`, `echo`…). */
  app: string;
  /** Its argument (`playback`'s file…); none when absent. */
  appArg?: string;
  /** Its share relative to the other targets' weights, > 0. */
  weight: number;
  /** A label for the records and the summary (a profile's `name`). */
  name?: string;
  /** Channel variables for these calls (a profile's `variables`). */
  variables?: Record<string, string | number | boolean>;
}

/** The Originator's ways to pick a server: in turn, or the one with the fewest calls up. */
export type LoadBalance = 'round-robin' | 'least-loaded';

/** What one run asks for; every field but `servers` changes from the form. */
export interface LoadSettings {
  /** Names of the servers the calls go to (connected ones). */
  servers: string[];
  /** Calls per second offered, > 0. Changes live. */
  rate: number;
  /** Most calls in progress at once, whole, ≥ 1. Changes live. */
  limit: number;
  /** How long an answered call is held (ms), or `auto` (limit / rate, less setup). Changes live. */
  durationMs: number | 'auto';
  /** Stop offering after this many calls; 0 = no end. */
  maxOffered: number;
  /** Stop offering after this long (ms); 0 = no end. */
  runTimeMs: number;
  /** Time to reach the rate from 0 (ms). */
  rampMs: number;
  /** How calls are spread over the servers (a profile's `balance`, `fsdev load --balance`). */
  balance: LoadBalance;
  /** The weighted mix of calls, at least one. */
  targets: LoadTarget[];
  /** Pass/fail criteria as `fsdev load --threshold` takes them (`asr>=0.99`, `setup_p95<250ms`). */
  thresholds: string[];
}

export const DEFAULT_LOAD_SETTINGS: LoadSettings = {
  servers: [],
  rate: 10,
  limit: 100,
  durationMs: 5000,
  maxOffered: 0,
  runTimeMs: 60_000,
  rampMs: 0,
  balance: 'round-robin',
  targets: [{ destination: '9664', endpoint: 'loopback', app: 'park', weight: 1 }],
  thresholds: [],
};

/** Where the run is. `preflight`: the servers' limits do not admit it; waiting for the user. */
export type LoadPhase = 'idle' | 'connecting' | 'preflight' | 'originating' | 'paused' | 'stopping' | 'stopped' | 'failed';

/** One server's preflight verdict, as shown before starting. */
export interface LoadPreflightServer {
  server: string;
  problems: string[];
  /** The exact commands that raise its limits (`fsctl sps N`, `fsctl max_sessions N`). */
  commands: string[];
  error?: string;
}

export interface LoadPreflight {
  servers: LoadPreflightServer[];
  /** A problem raising limits cannot fix (an application missing, status unreadable). */
  blocking: boolean;
}

/** One second of the run, for the charts. */
export interface LoadTick {
  second: number;
  /** The rate the schedule asked for. */
  targetRate: number;
  /** Originates sent (offered cps) and calls answered (achieved cps) in this second. */
  offered: number;
  answered: number;
  failed: number;
  notOffered: number;
  concurrent: number;
  erlangs: number;
  /** Setup latency (sent → answer) of the calls that ended this second, ms; null when none. */
  setupP50: number | null;
  setupP95: number | null;
  setupP99: number | null;
  failuresByCause: Record<string, number>;
}

/** A failed call, with what its timeline needs. */
export interface LoadFailedCall {
  uuid: string;
  server: string;
  cause: string;
  /** Epoch ms it was sent. */
  sentAt: number;
}

/** The run's totals so far. */
export interface LoadTotals {
  elapsedS: number;
  currentRate: number;
  rate: number;
  limit: number;
  durationMs: number;
  offered: number;
  notOffered: number;
  notOfferedByReason: Record<string, number>;
  answered: number;
  failed: number;
  inProgress: number;
  /** 0–1. */
  asr: number;
  setupP95: number | null;
  /** Ended calls by hangup cause (answered and failed). */
  hangupCauses: Record<string, number>;
  /** The first failed calls (up to 20). */
  firstFailures: LoadFailedCall[];
  /** The run's thresholds evaluated on the totals so far (final once the run is over). */
  thresholds: LoadThresholdResult[];
  /** The totals of each server, in the run's server order. */
  servers: LoadServerTotals[];
}

/** One threshold's verdict: the core's ThresholdResult, as `fsdev load` writes it to summary.json. */
export interface LoadThresholdResult {
  threshold: string;
  ok: boolean;
  /** The two sides of the comparison, evaluated (times in ms, ratios 0–1). */
  actual: number;
  expected: number;
  /** What the sides measure (absent in runs saved before it was written: shown as numbers). */
  kind?: 'time' | 'ratio' | 'number';
}

/** A whole count as the panel, the Load Tests view and report.html show it: `1,520`, the same in every locale. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A threshold's side with its unit, as the panel and `fsdev load` show it: `48.2 ms`, `98.54 %`, `1,520`. */
export function formatThresholdValue(v: number, kind: LoadThresholdResult['kind']): string {
  if (!Number.isFinite(v)) return '–';
  const plain = (x: number): string => (Math.abs(x) >= 1000 ? formatCount(x) : String(Number(x.toPrecision(4))));
  return kind === 'time' ? `${plain(v)} ms` : kind === 'ratio' ? `${plain(v * 100)} %` : plain(v);
}

/** One server's share of the run. */
export interface LoadServerTotals {
  server: string;
  /** Calls sent to it: ended plus in progress. */
  offered: number;
  answered: number;
  failed: number;
  /** answered / (answered + failed), 0–1; 0 before any call ended. */
  asr: number;
  /** Setup latency p95 (ms) of its calls, null before one was answered. */
  setupP95: number | null;
  /** This run's calls in progress on it. */
  inProgress: number;
}

/** One run's seconds, labelled, for the overlaid charts of a comparison. */
export interface LoadRunSeries {
  /** The run folder's name (its start time). */
  label: string;
  ticks: LoadTick[];
}

/** Everything the panel shows; posted whole when the view is (re)shown. */
export interface LoadTestState {
  /** `live`: a form and a generator; `saved`: a finished run read from its folder. */
  mode: 'live' | 'saved';
  servers: LoadServerOption[];
  settings: LoadSettings;
  /**
   * Counts the times the host put settings in the form (a profile, Open Load Test on Group, a
   * start). The view refills its fields only when it changes, so other snapshots (a server
   * connecting, a warning) keep what the user typed.
   */
  settingsRevision: number;
  phase: LoadPhase;
  runId?: string;
  /** The run's folder (`.fsdev/runs/<time>`), once it has one. */
  runDir?: string;
  /** A saved run's start (ISO), from its summary.json: orders a comparison whatever the folders are named. */
  startedAt?: string;
  preflight?: LoadPreflight;
  ticks: LoadTick[];
  totals?: LoadTotals;
  warnings: string[];
  error?: string;
  /** Compare Load Test Runs…: the runs compared, drawn overlaid on the same axes. */
  comparison?: LoadRunSeries[];
}

// ---- webview → host ----
export type LoadTestCommand =
  | { type: 'ready' }
  | { type: 'start'; settings: LoadSettings }
  /** A live change of one setting while a run goes. */
  | { type: 'set'; rate?: number; limit?: number; durationMs?: number | 'auto' }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  /** Hang up this run's calls (hupall by its fsdev_load_run). */
  | { type: 'hangup' }
  /** After a preflight: run the `fsctl` commands shown, then start. */
  | { type: 'applyLimits' }
  /** After a preflight: start anyway. */
  | { type: 'ignoreLimits' }
  | { type: 'cancel' }
  | { type: 'openTimeline'; server: string; uuid: string }
  | { type: 'openRunFolder' };

// ---- host → webview ----
export type LoadTestNotification =
  | { type: 'snapshot'; state: LoadTestState }
  /** A second of a live run: its tick, the totals and the phase. */
  | { type: 'tick'; tick: LoadTick; totals: LoadTotals; phase: LoadPhase }
  /** Bad input or a failure the user should see next to the buttons. */
  | { type: 'error'; message: string };

const MAX_NAME = 200;
const UUID = /^[0-9a-fA-F-]{8,64}$/;
const ENDPOINT = /^(loopback|user)(\/[A-Za-z0-9_.-]+)?$|^(sofia|gateway)\/[A-Za-z0-9_.-]+$/;
const APP = /^[A-Za-z0-9_]+$/;

function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Checks a rate: a number of calls per second above 0. Returns the problem, or undefined. */
export function rateProblem(v: unknown): string | undefined {
  return finite(v) && v > 0 && v <= 100_000 ? undefined : `Rate must be a number of calls per second above 0 (got ${String(v)}).`;
}

export function limitProblem(v: unknown): string | undefined {
  return finite(v) && Number.isInteger(v) && v >= 1 && v <= 10_000_000 ? undefined : `Limit must be a whole number of calls, 1 or more (got ${String(v)}).`;
}

export function durationProblem(v: unknown): string | undefined {
  return v === 'auto' || (finite(v) && v >= 0 && v <= 86_400_000) ? undefined : `Hold must be auto or a length of time of 0 or more (got ${String(v)}).`;
}

const MAX_TARGETS = 50;
const MAX_THRESHOLDS = 50;
const MAX_TEXT = 500;
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_.\-:]*$/;
// Control characters would end an ESL command or corrupt a dial string.
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The problem with one target of the mix, or the target typed and normalised. */
function checkTarget(raw: unknown, where: string): LoadTarget | string {
  if (!isObject(raw)) return `${where} is missing.`;
  const t = raw;
  const destination = t['destination'];
  if (!isString(destination, MAX_NAME) || destination.trim() === '') return `${where}: the destination is empty.`;
  if (/[\r\n]/.test(destination)) return `${where}: the destination contains a line break.`;
  if (/[\s{}\[\],'"]/.test(destination) || CONTROL.test(destination)) return `${where}: the destination ${JSON.stringify(destination)} may not contain spaces, quotes, braces, brackets or commas.`;
  const endpoint = t['endpoint'];
  if (!isString(endpoint, MAX_NAME) || !ENDPOINT.test(endpoint)) return `${where}: endpoint ${JSON.stringify(String(endpoint))}: use loopback, loopback/CONTEXT, user, user/DOMAIN, sofia/PROFILE or gateway/NAME.`;
  const app = t['app'];
  if (!isString(app, MAX_NAME) || !APP.test(app)) return `${where}: application ${JSON.stringify(String(app))}: a name of letters, digits and _ (park, echo…).`;
  const weight = t['weight'];
  if (!(finite(weight) && weight > 0 && weight <= 1_000_000)) return `${where}: the weight must be a number above 0 (got ${String(weight)}).`;
  const out: LoadTarget = { destination, endpoint, app, weight };
  const appArg = t['appArg'];
  if (appArg !== undefined && appArg !== '') {
    if (!isString(appArg, MAX_TEXT) || CONTROL.test(appArg)) return `${where}: the application's argument must be one line of text.`;
    out.appArg = appArg;
  }
  const name = t['name'];
  if (name !== undefined && name !== '') {
    if (!isString(name, MAX_NAME) || CONTROL.test(name)) return `${where}: the name must be one line of text.`;
    out.name = name;
  }
  const variables = t['variables'];
  if (variables !== undefined) {
    if (!isObject(variables) || Object.keys(variables).length > 50) return `${where}: variables must be an object of up to 50 channel variables.`;
    for (const [k, v] of Object.entries(variables)) {
      if (!VAR_NAME.test(k) || k.length > MAX_NAME) return `${where}: ${JSON.stringify(k)} is not a channel variable name.`;
      if (!((isString(v, MAX_TEXT) && !CONTROL.test(v)) || finite(v) || typeof v === 'boolean')) return `${where}: variable ${k} must be one line of text, a number or a boolean.`;
    }
    if (Object.keys(variables).length > 0) out.variables = { ...(variables as Record<string, string | number | boolean>) };
  }
  return out;
}

/**
 * Checks a run's settings (from the webview, a profile or a saved run): returns them typed and
 * normalised, or the first problem in words. Nothing is sent to a server with settings this
 * rejects. `thresholdProblem` parses one threshold with the core's parser (this layer cannot import
 * it) and says what is wrong with it, naming it, or undefined.
 */
export function checkLoadSettings(raw: unknown, thresholdProblem: (source: string) => string | undefined): { settings: LoadSettings } | { error: string } {
  if (!isObject(raw)) return { error: 'The settings are missing.' };
  const s = raw;
  if (!isStringArray(s['servers'], 64, MAX_NAME) || s['servers'].length === 0) return { error: 'Pick at least one connected server.' };
  const problem = rateProblem(s['rate']) ?? limitProblem(s['limit']) ?? durationProblem(s['durationMs']);
  if (problem) return { error: problem };
  for (const [key, label] of [
    ['maxOffered', 'Max offered'],
    ['runTimeMs', 'Run time'],
    ['rampMs', 'Ramp'],
  ] as const) {
    const v = s[key];
    if (!(finite(v) && v >= 0 && (key !== 'maxOffered' || Number.isInteger(v)))) return { error: `${label} must be ${key === 'maxOffered' ? 'a whole number' : 'a length of time'} of 0 or more (0: no end) (got ${String(v)}).` };
  }
  const balance = s['balance'];
  if (balance !== 'round-robin' && balance !== 'least-loaded') return { error: `Balance ${JSON.stringify(String(balance))}: use round-robin or least-loaded.` };
  const rawTargets = s['targets'];
  if (!Array.isArray(rawTargets) || rawTargets.length === 0) return { error: 'The call mix needs at least one destination.' };
  if (rawTargets.length > MAX_TARGETS) return { error: `The call mix has ${rawTargets.length} destinations; at most ${MAX_TARGETS}.` };
  const targets: LoadTarget[] = [];
  for (const [i, t] of rawTargets.entries()) {
    const checked = checkTarget(t, rawTargets.length === 1 ? 'Call mix' : `Call mix row ${i + 1}`);
    if (typeof checked === 'string') return { error: checked };
    targets.push(checked);
  }
  const rawThresholds = s['thresholds'];
  if (!isStringArray(rawThresholds, MAX_THRESHOLDS, MAX_TEXT)) return { error: `Thresholds must be up to ${MAX_THRESHOLDS} lines of text.` };
  const thresholds = rawThresholds.map((t) => t.trim()).filter((t) => t !== '');
  for (const t of thresholds) {
    const bad = thresholdProblem(t);
    if (bad) return { error: bad };
  }
  return {
    settings: {
      servers: [...new Set(s['servers'])],
      rate: s['rate'] as number,
      limit: s['limit'] as number,
      durationMs: s['durationMs'] as number | 'auto',
      maxOffered: s['maxOffered'] as number,
      runTimeMs: s['runTimeMs'] as number,
      rampMs: s['rampMs'] as number,
      balance,
      targets,
      thresholds,
    },
  };
}

/** Validates a message from the webview (untrusted); undefined when it is not one of ours. */
export function parseLoadTestCommand(m: unknown): LoadTestCommand | undefined {
  if (!isObject(m) || !isString(m['type'], 40)) return undefined;
  switch (m['type']) {
    case 'ready':
    case 'pause':
    case 'resume':
    case 'stop':
    case 'hangup':
    case 'applyLimits':
    case 'ignoreLimits':
    case 'cancel':
    case 'openRunFolder':
      return { type: m['type'] };
    case 'start':
      // The settings are checked by checkLoadSettings, which says what is wrong.
      return isObject(m['settings']) ? { type: 'start', settings: m['settings'] as unknown as LoadSettings } : undefined;
    case 'set': {
      const out: { type: 'set'; rate?: number; limit?: number; durationMs?: number | 'auto' } = { type: 'set' };
      if ('rate' in m) out.rate = m['rate'] as number;
      if ('limit' in m) out.limit = m['limit'] as number;
      if ('durationMs' in m) out.durationMs = m['durationMs'] as number | 'auto';
      return out.rate === undefined && out.limit === undefined && out.durationMs === undefined ? undefined : out;
    }
    case 'openTimeline':
      return isString(m['server'], MAX_NAME) && isString(m['uuid'], 64) && UUID.test(m['uuid']) ? { type: 'openTimeline', server: m['server'], uuid: m['uuid'] } : undefined;
    default:
      return undefined;
  }
}

/** The problem with a live change, or undefined when every field in it is valid. */
export function setProblem(m: { rate?: unknown; limit?: unknown; durationMs?: unknown }): string | undefined {
  return (m.rate !== undefined ? rateProblem(m.rate) : undefined) ?? (m.limit !== undefined ? limitProblem(m.limit) : undefined) ?? (m.durationMs !== undefined ? durationProblem(m.durationMs) : undefined);
}

// ---- extension host ⇄ load host (the generator's own process, over IPC) ----

/** A server for the generator: the extension's connection details, the password over IPC only. */
export interface LoadHostServer {
  name: string;
  host: string;
  port: number;
  user?: string;
  password: string;
}

/** The panel's controls of a run, passed on to the load host as they came. */
export type LoadRunControl = Extract<LoadTestCommand, { type: 'set' | 'pause' | 'resume' | 'stop' | 'hangup' | 'applyLimits' | 'ignoreLimits' | 'cancel' }>;

export type LoadHostRequest = { type: 'start'; servers: LoadHostServer[]; settings: LoadSettings; outDir: string } | LoadRunControl;

export type LoadHostReply =
  | { type: 'phase'; phase: LoadPhase; runId?: string }
  | { type: 'preflight'; preflight: LoadPreflight }
  | { type: 'tick'; tick: LoadTick; totals: LoadTotals }
  | { type: 'warn'; message: string }
  | { type: 'log'; message: string }
  /** The run is over; summary.json is written in the run folder. */
  | { type: 'done'; totals: LoadTotals; summaryFile: string }
  | { type: 'error'; message: string };

export function isLoadHostReply(m: unknown): m is LoadHostReply {
  return isObject(m) && isString(m['type'], 20);
}
