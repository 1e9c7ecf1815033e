/**
 * `fsdev load` options: the command line and a `*.fsload.json` profile (validated against
 * schemas/fsload.schema.json), merged into one checked configuration before anything connects.
 * Pure: no sockets, no timers, so every bad input has a unit test.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import Ajv, { type ErrorObject } from 'ajv';
import schema from '../../schemas/fsload.schema.json';
import { parseThreshold, type Balance, type CallTarget, type EndpointSpec, type PoolServerOptions, type Threshold } from '../core';

/** Everything a load run needs, checked. */
export interface LoadConfig {
  servers: PoolServerOptions[];
  rate: number;
  limit: number;
  maxOffered: number | undefined;
  /** Stop offering after this long (ms). */
  runTimeMs: number | undefined;
  durationMs: number | 'auto';
  rampMs: number;
  balance: Balance;
  targets: CallTarget[];
  thresholds: Threshold[];
  out: string | undefined;
  originateTimeoutSec: number | undefined;
  hangupCause: string | undefined;
  callerIdNumber: string | undefined;
  callerIdName: string | undefined;
  applyLimits: boolean;
  ignoreLimits: boolean;
  runId: string | undefined;
}

/** A usage error: said plainly, before anything is sent. */
export class LoadUsageError extends Error {
  override name = 'LoadUsageError';
}

export const LOAD_USAGE = `usage: fsdev load [--server HOST[:PORT] …] [--profile FILE.fsload.json] [options]

Servers (each its own pair of ESL connections; calls are spread over them):
  --server HOST[:PORT]   repeat for a pool (default port 8021)
  --password-env NAME    environment variable with the ESL password (default FREESWITCH_PASSWORD;
                         unset: ClueCon, FreeSWITCH's default)
  --user USER            ESL user for userauth
  --profile FILE         a *.fsload.json profile (schemas/fsload.schema.json); options override it

Load:
  --rate N               calls per second offered across the servers (default 1)
  --limit N              most calls in progress at once (default 10)
  --max-offered N        stop after N calls
  --run-time T           stop offering after T (e.g. 60s, 5m); default: max-offered or Ctrl-C
  --duration T|auto      hold each answered call T, or auto = limit / rate (default auto)
  --ramp T               reach the rate from 0 over T (default 0)
  --balance round-robin|least-loaded   (default round-robin)

Calls (a weighted mix when repeated):
  --dest DEST[*WEIGHT]   destination, e.g. 9664 or 9664*3 (default 9664)
  --endpoint E           loopback, loopback/CONTEXT, user, user/DOMAIN, sofia/PROFILE, gateway/NAME
  --app NAME[:ARG]       application the originated leg runs (default park)
  --originate-timeout S  originate_timeout in seconds
  --caller-id-number N, --caller-id-name NAME, --hangup-cause CAUSE

Before the run, each server's sessions-per-second and max-sessions are read from \`status\`;
below what the run needs, fsdev load stops and prints the fsctl commands, unless:
  --apply-limits         run those fsctl commands (they last until FreeSWITCH restarts)
  --ignore-limits        run anyway (expect DESTINATION_OUT_OF_ORDER refusals)

Results:
  --threshold EXPR       e.g. 'asr>=0.99', 'setup_p95<250ms', 'achieved_cps>=0.98*rate';
                         a broken threshold exits 99
  --out DIR              calls.csv, calls.jsonl (one line per call), summary.json and
                         report.html (charts and tables, one self-contained file)
  --run-id ID            value of the fsdev_load_run variable on this run's calls

Keys while running (on a terminal): + / - rate ±1, * / / rate ±10, p pause/resume,
q or Ctrl-C stop offering and hang up this run's calls (Ctrl-C again: exit at once).
`;

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `500ms`, `30s`, `2m`, `1h`, or a bare number of seconds (command line) / ms (profile number). */
export function parseDuration(text: string | number, what: string, bareUnit: 'ms' | 's' = 's'): number {
  if (typeof text === 'number') {
    if (!(Number.isFinite(text) && text >= 0)) throw new LoadUsageError(`${what}: ${text} is not a length of time`);
    return text;
  }
  const m = DURATION.exec(text.trim());
  if (!m) throw new LoadUsageError(`${what}: ${JSON.stringify(text)} is not a length of time (e.g. 500ms, 30s, 2m)`);
  return Number(m[1]) * UNIT_MS[m[2] ?? bareUnit]!;
}

/** `loopback`, `loopback/CONTEXT`, `user[/DOMAIN]`, `sofia/PROFILE`, `gateway/NAME`. */
export function parseEndpoint(text: string): EndpointSpec {
  const [kind, arg, extra] = text.split('/');
  const ok = arg === undefined || /^[A-Za-z0-9_.-]+$/.test(arg);
  if (extra === undefined && ok) {
    if (kind === 'loopback') return arg ? { kind: 'loopback', context: arg } : 'loopback';
    if (kind === 'user') return arg ? { kind: 'user', domain: arg } : 'user';
    if (kind === 'sofia' && arg) return { kind: 'sofia', profile: arg };
    if (kind === 'gateway' && arg) return { kind: 'gateway', gateway: arg };
  }
  throw new LoadUsageError(`--endpoint ${JSON.stringify(text)}: use loopback, loopback/CONTEXT, user, user/DOMAIN, sofia/PROFILE or gateway/NAME`);
}

/** The inverse of parseEndpoint, as the panel's form and summary.json's `settings` write it; none is `loopback` (the core's default). */
export function endpointText(spec: EndpointSpec | undefined): string {
  if (spec === undefined || typeof spec === 'string') return spec === 'sofia' ? 'sofia/internal' : (spec ?? 'loopback');
  switch (spec.kind) {
    case 'loopback':
      return spec.context ? `loopback/${spec.context}` : 'loopback';
    case 'user':
      return spec.domain ? `user/${spec.domain}` : 'user';
    case 'sofia':
      return `sofia/${spec.profile}`;
    case 'gateway':
      return `gateway/${spec.gateway}`;
  }
}

/** `DEST` or `DEST*WEIGHT`. */
function parseDest(text: string): { destination: string; weight: number } {
  if (/[\r\n]/.test(text)) throw new LoadUsageError(`--dest ${JSON.stringify(text)} contains a line break`);
  const star = text.lastIndexOf('*');
  if (star > 0 && /^\d+(\.\d+)?$/.test(text.slice(star + 1))) {
    const weight = Number(text.slice(star + 1));
    if (!(weight > 0)) throw new LoadUsageError(`--dest ${text}: the weight must be above 0`);
    return { destination: text.slice(0, star), weight };
  }
  return { destination: text, weight: 1 };
}

/** `HOST`, `HOST:PORT`, `[V6]:PORT`. */
export function parseServer(text: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:\s/]+)(?::(\d+))?$/.exec(text);
  const port = m?.[2] === undefined ? 8021 : Number(m[2]);
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) throw new LoadUsageError(`--server ${JSON.stringify(text)}: use HOST or HOST:PORT`);
  return { host: m[1]!, port };
}

function num(value: string | undefined, what: string, check: (n: number) => boolean, rule: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !check(n)) throw new LoadUsageError(`${what} ${JSON.stringify(value)}: ${rule}`);
  return n;
}

/** The profile type as the schema describes it. */
interface Profile {
  servers: { name?: string; host: string; port?: number; user?: string; passwordEnv?: string }[];
  rate: number;
  limit?: number;
  maxOffered?: number;
  runTime?: number | string;
  duration?: number | string;
  ramp?: number | string;
  balance?: Balance;
  targets?: { destination: string; endpoint?: string; app?: string; appArg?: string; weight?: number; name?: string; variables?: Record<string, string | number | boolean> }[];
  thresholds?: string[];
  out?: string;
  originateTimeoutSec?: number;
  hangupCause?: string;
  callerIdNumber?: string;
  callerIdName?: string;
  applyLimits?: boolean;
  ignoreLimits?: boolean;
}

let validateProfile: ((data: unknown) => boolean) & { errors?: ErrorObject[] | null | undefined } = undefined as never;

/** Reads and validates a profile; errors name the file, the JSON path and the rule. */
export function loadProfile(path: string, text = readFileSync(path, 'utf8')): Profile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new LoadUsageError(`${path}: not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  validateProfile ??= new Ajv({ allErrors: true, strict: false }).compile(schema);
  if (!validateProfile(data)) {
    const errors = (validateProfile.errors ?? []).filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'if').slice(0, 8);
    const lines = errors.map((e) => `  ${e.instancePath || '(top)'}: ${e.message}${e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})` : ''}${e.keyword === 'enum' ? ` (${(e.params as { allowedValues?: unknown[] }).allowedValues?.join(', ')})` : ''}`);
    throw new LoadUsageError(`${path} does not match the load profile schema (schemas/fsload.schema.json):\n${[...new Set(lines)].join('\n')}`);
  }
  return data as Profile;
}

/**
 * Turns `fsdev load` arguments (and the profile they name) into a checked LoadConfig. `env` gives
 * the passwords. Throws LoadUsageError for anything wrong, before anything connects.
 */
export function parseLoadArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, readProfile: (path: string) => Profile = (p) => loadProfile(p)): LoadConfig | 'help' {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (err) {
    throw new LoadUsageError(err instanceof Error ? err.message.replace(/\. To specify a positional.*$/s, '') : String(err));
  }
  if (values.help) return 'help';
  const profile = values.profile ? readProfile(values.profile) : undefined;

  const passwordEnv = values['password-env'] ?? 'FREESWITCH_PASSWORD';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(passwordEnv)) throw new LoadUsageError(`--password-env ${JSON.stringify(passwordEnv)} is not an environment variable name`);
  const password = (name: string | undefined): string => {
    const value = env[name ?? passwordEnv];
    if (name !== undefined && value === undefined) throw new LoadUsageError(`the environment variable ${name} (passwordEnv of a server) is not set`);
    return value ?? 'ClueCon';
  };
  let servers: PoolServerOptions[];
  if (values.server && values.server.length > 0) {
    servers = values.server.map((s) => ({ ...parseServer(s), password: password(undefined), ...(values.user !== undefined ? { user: values.user } : {}) }));
  } else if (profile) {
    servers = profile.servers.map((s) => ({
      host: s.host,
      port: s.port ?? 8021,
      password: password(s.passwordEnv),
      ...(s.name !== undefined ? { name: s.name } : {}),
      ...(s.user ?? values.user ? { user: s.user ?? values.user } : {}),
    }));
  } else {
    throw new LoadUsageError('name at least one server: --server HOST[:PORT], or --profile FILE.fsload.json');
  }

  const positive = (n: number): boolean => n > 0;
  const rate = num(values.rate, '--rate', positive, 'must be a number of calls per second above 0') ?? profile?.rate ?? 1;
  const limit = num(values.limit, '--limit', (n) => Number.isInteger(n) && n >= 1, 'must be a whole number, 1 or more') ?? profile?.limit ?? 10;
  const maxOffered = num(values['max-offered'], '--max-offered', (n) => Number.isInteger(n) && n >= 1, 'must be a whole number, 1 or more') ?? profile?.maxOffered;
  const runTimeText = values['run-time'] ?? profile?.runTime;
  const runTimeMs = runTimeText === undefined ? undefined : parseDuration(runTimeText, '--run-time', typeof runTimeText === 'number' ? 'ms' : 's');
  const durationText = values.duration ?? profile?.duration ?? 'auto';
  const durationMs = durationText === 'auto' ? 'auto' : parseDuration(durationText, '--duration', 's');
  const rampText = values.ramp ?? profile?.ramp;
  const rampMs = rampText === undefined ? 0 : parseDuration(rampText, '--ramp', 's');
  const balance = (values.balance ?? profile?.balance ?? 'round-robin') as Balance;
  if (balance !== 'round-robin' && balance !== 'least-loaded') throw new LoadUsageError(`--balance ${JSON.stringify(balance)}: use round-robin or least-loaded`);

  let targets: CallTarget[];
  const cliTargets = values.dest && values.dest.length > 0;
  if (cliTargets || values.endpoint || values.app || !profile?.targets) {
    const endpoint = values.endpoint !== undefined ? parseEndpoint(values.endpoint) : undefined;
    let app: string | undefined;
    let appArg: string | undefined;
    if (values.app !== undefined) {
      const colon = values.app.indexOf(':');
      app = colon < 0 ? values.app : values.app.slice(0, colon);
      appArg = colon < 0 ? undefined : values.app.slice(colon + 1);
      if (!/^[A-Za-z0-9_]+$/.test(app)) throw new LoadUsageError(`--app ${JSON.stringify(values.app)}: an application name has only letters, digits and _ (e.g. park, echo, playback:FILE)`);
      if (appArg !== undefined && /[\r\n]/.test(appArg)) throw new LoadUsageError('--app: the argument contains a line break');
    }
    const dests = cliTargets ? values.dest!.map(parseDest) : (profile?.targets?.map((t) => ({ destination: t.destination, weight: t.weight ?? 1 })) ?? [{ destination: '9664', weight: 1 }]);
    targets = dests.map((d) => ({
      destination: d.destination,
      weight: d.weight,
      ...(endpoint !== undefined ? { endpoint } : {}),
      ...(app !== undefined ? { app } : {}),
      ...(appArg !== undefined ? { appArg } : {}),
    }));
  } else {
    targets = profile.targets.map((t) => ({
      destination: t.destination,
      ...(t.endpoint !== undefined ? { endpoint: parseEndpoint(t.endpoint) } : {}),
      ...(t.app !== undefined ? { app: t.app } : {}),
      ...(t.appArg !== undefined ? { appArg: t.appArg } : {}),
      ...(t.weight !== undefined ? { weight: t.weight } : {}),
      ...(t.name !== undefined ? { name: t.name } : {}),
      ...(t.variables !== undefined ? { variables: t.variables } : {}),
    }));
  }

  const thresholds = [...(profile?.thresholds ?? []), ...(values.threshold ?? [])].map((t) => {
    try {
      return parseThreshold(t);
    } catch (err) {
      throw new LoadUsageError(err instanceof Error ? err.message : String(err));
    }
  });
  const originateTimeoutSec = num(values['originate-timeout'], '--originate-timeout', (n) => Number.isInteger(n) && n >= 1, 'must be a whole number of seconds') ?? profile?.originateTimeoutSec;
  const hangupCause = values['hangup-cause'] ?? profile?.hangupCause;
  if (hangupCause !== undefined && !/^[A-Z_0-9]+$/.test(hangupCause)) throw new LoadUsageError(`--hangup-cause ${JSON.stringify(hangupCause)} is not a FreeSWITCH cause name (e.g. NORMAL_CLEARING)`);
  const applyLimits = values['apply-limits'] ?? profile?.applyLimits ?? false;
  const ignoreLimits = values['ignore-limits'] ?? profile?.ignoreLimits ?? false;
  if (applyLimits && ignoreLimits) throw new LoadUsageError('--apply-limits and --ignore-limits contradict each other: pick one');
  return {
    servers,
    rate,
    limit,
    maxOffered,
    runTimeMs,
    durationMs,
    rampMs,
    balance,
    targets,
    thresholds,
    out: values.out ?? profile?.out,
    originateTimeoutSec,
    hangupCause,
    callerIdNumber: values['caller-id-number'] ?? profile?.callerIdNumber,
    callerIdName: values['caller-id-name'] ?? profile?.callerIdName,
    applyLimits,
    ignoreLimits,
    runId: values['run-id'],
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      server: { type: 'string', multiple: true },
      'password-env': { type: 'string' },
      user: { type: 'string' },
      profile: { type: 'string' },
      rate: { type: 'string' },
      limit: { type: 'string' },
      'max-offered': { type: 'string' },
      'run-time': { type: 'string' },
      duration: { type: 'string' },
      ramp: { type: 'string' },
      balance: { type: 'string' },
      dest: { type: 'string', multiple: true },
      endpoint: { type: 'string' },
      app: { type: 'string' },
      'originate-timeout': { type: 'string' },
      'caller-id-number': { type: 'string' },
      'caller-id-name': { type: 'string' },
      'hangup-cause': { type: 'string' },
      'apply-limits': { type: 'boolean' },
      'ignore-limits': { type: 'boolean' },
      threshold: { type: 'string', multiple: true },
      out: { type: 'string' },
      'run-id': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
