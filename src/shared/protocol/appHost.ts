/**
 * The IPC protocol between an app host (a Node child process running user apps, `src/apphost/`)
 * and whoever supervises it (the extension, the `fsdev` CLI). Messages travel over Node's
 * `child_process` IPC channel as JSON.
 *
 * Flow: the host says `hello` as soon as it runs; the supervisor sends a `connect` request with the
 * ESL connection options (the password travels here, never on a command line); then `load`,
 * `reload`, `unload`, `status` requests. The supervisor pings on a timer; a host whose event loop is
 * blocked stops answering `pong` and is killed and restarted. The host pushes `status`, `log` and
 * `appError` notifications, and while a recording runs (`record` on) a `recorded` notification per
 * command its connections send and per reply they receive, for the supervisor's recording file.
 *
 * Plain types and a validator: no vscode, no Node built-ins. Both directions are validated, because
 * a host runs untrusted, in-development code.
 */
import { isBoolean, isInteger, isObject, isString, isStringArray } from './validate';

/** Bumped on any incompatible change; the supervisor refuses a host that says another. 2: `record`. */
export const APP_HOST_PROTOCOL_VERSION = 2;

// ---- Shared shapes ----

/** ESL connection options for the host's own Client and EventListener. */
export interface AppHostConnectionOptions {
  host: string;
  port: number;
  /** ESL user for `userauth`; absent for plain `auth`. */
  user?: string;
  password: string;
}

/** A compile or load problem at a place in a source file, ready for VS Code's Problems. */
export interface AppDiagnostic {
  /** Absolute path of the file, or the entry file when esbuild gives none. */
  file: string;
  /** 1-based line. */
  line: number;
  /** 0-based column (as esbuild reports it; VS Code's `Position.character`). */
  column: number;
  /** Length of the offending text on that line, 0 when unknown. */
  length: number;
  severity: 'error' | 'warning';
  message: string;
  /** The source line, when esbuild has it. */
  lineText?: string;
}

/** A place in the TypeScript source, taken from the first frame of a mapped stack in a workspace file. */
export interface SourceLocation {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based (as in stack traces). */
  column: number;
}

/** A callback that threw or rejected, with its stack mapped to the `.ts` source. */
export interface AppErrorInfo {
  appId: string;
  /** The app version (see AppStatus.version) whose callback failed. */
  version: number;
  /** The FreeSWITCH event whose callback failed, e.g. `CHANNEL_PARK`; `setup`/`teardown` for hooks. */
  eventName: string;
  sessionUuid: string | undefined;
  message: string;
  /** The stack with frames mapped through the bundle's source map. */
  stack: string;
  location: SourceLocation | undefined;
  /** Epoch ms. */
  at: number;
}

/** One loaded app, as the host sees it. */
export interface AppStatus {
  id: string;
  /** The app's `name`, or its id. */
  name: string;
  /** Absolute path of the entry `.ts` file. */
  entry: string;
  /** 1 for the first load, +1 for every reload that succeeded. */
  version: number;
  /** Epoch ms of the current version's load. */
  loadedAt: number;
  /** Event names it has callbacks for. */
  callbacks: string[];
  /** Callbacks started since the first load, per event name (all versions). */
  callbacksRun: Record<string, number>;
  /** Calls whose events reached it (all versions). */
  callsHandled: number;
  /** Callback failures (all versions). */
  errors: number;
  lastError: AppErrorInfo | undefined;
  /** Files the current version was bundled from (entry and its relative imports): what to watch. */
  inputs: string[];
}

/** ESL connection status of the host, as the core names it (`ready`, `reconnecting`…). */
export type AppHostConnectionStatus = string;

export interface AppHostStatus {
  pid: number;
  /** The listener's connection status. */
  connection: AppHostConnectionStatus;
  apps: AppStatus[];
  /** Epoch ms the host started. */
  startedAt: number;
}

/** What `load` and `reload` answer. A compile or load failure is an answer, not a protocol error. */
export type LoadResult =
  | {
      loaded: true;
      app: AppStatus;
      /** esbuild time. */
      bundleMs: number;
      /** Swap time (setup, subscriptions). */
      loadMs: number;
    }
  | {
      loaded: false;
      /** `compile`: esbuild failed; `load`: the module threw, or the app's shape or setup failed. */
      phase: 'compile' | 'load';
      /** Compile errors (and a load error located in the source). Empty when the place is unknown. */
      diagnostics: AppDiagnostic[];
      message: string;
      /** Load failures: the mapped stack. */
      stack?: string;
      /** True when a previous version is still loaded and running. */
      previousVersionRunning: boolean;
    };

// ---- Supervisor → host ----

export interface ConnectRequest {
  kind: 'request';
  id: number;
  method: 'connect';
  params: AppHostConnectionOptions;
}
export interface LoadRequest {
  kind: 'request';
  id: number;
  method: 'load';
  params: { appId: string; entry: string };
}
/** Re-bundles and swaps an app; `entry` may move the app to another file. */
export interface ReloadRequest {
  kind: 'request';
  id: number;
  method: 'reload';
  params: { appId: string; entry?: string };
}
export interface UnloadRequest {
  kind: 'request';
  id: number;
  method: 'unload';
  params: { appId: string };
}
export interface StatusRequest {
  kind: 'request';
  id: number;
  method: 'status';
  params: Record<string, never>;
}
/** Unloads every app (teardown runs), disconnects and exits 0. */
export interface ShutdownRequest {
  kind: 'request';
  id: number;
  method: 'shutdown';
  params: Record<string, never>;
}
/**
 * Starts (`on`) or stops sending `recorded` notifications: the commands the host's connections send
 * (the apps' answer, playback, hangup…) and their replies. Events are not sent: the recording
 * connection receives those itself.
 */
export interface RecordRequest {
  kind: 'request';
  id: number;
  method: 'record';
  params: { on: boolean };
}
export type AppHostRequest = ConnectRequest | LoadRequest | ReloadRequest | UnloadRequest | StatusRequest | ShutdownRequest | RecordRequest;
export type AppHostMethod = AppHostRequest['method'];

/** The result type of each method. */
export interface AppHostResults {
  connect: AppHostStatus;
  load: LoadResult;
  reload: LoadResult;
  unload: AppHostStatus;
  status: AppHostStatus;
  shutdown: null;
  record: null;
}

/** Liveness probe: the host answers `pong` with the same `seq` from its event loop. */
export interface PingMessage {
  kind: 'ping';
  seq: number;
}

export type SupervisorToHost = AppHostRequest | PingMessage;

// ---- Host → supervisor ----

export interface HelloMessage {
  kind: 'hello';
  protocol: number;
  pid: number;
  /** `process.version` of the host. */
  node: string;
  /** `ws://127.0.0.1:<port>/<id>` when started with `--inspect`. */
  inspectorUrl: string | undefined;
}
export interface PongMessage {
  kind: 'pong';
  seq: number;
}
export interface ResponseMessage {
  kind: 'response';
  id: number;
  ok: boolean;
  /** The method's result (AppHostResults[method]) when ok. */
  result?: unknown;
  /** Why it failed when not ok. */
  error?: { message: string; stack?: string };
}
export interface StatusNotification {
  kind: 'status';
  status: AppHostStatus;
}
export interface LogNotification {
  kind: 'log';
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  appId?: string;
  /** Epoch ms. */
  at: number;
}
export interface AppErrorNotification {
  kind: 'appError';
  error: AppErrorInfo;
}
/**
 * A command one of the host's connections sent, or a reply it received (the same shape as the
 * core's TappedFrame). `ref` pairs a reply with its command; `at` is epoch ms.
 */
export type RecordedCommandFrame =
  | { kind: 'command'; ref: string; at: number; command: string; headers?: Record<string, string>; body?: string }
  | { kind: 'reply'; ref: string; at: number; contentType: string; replyText: string; body: string; headers?: Record<string, string> };
export interface RecordedNotification {
  kind: 'recorded';
  frame: RecordedCommandFrame;
}
export type HostToSupervisor = HelloMessage | PongMessage | ResponseMessage | StatusNotification | LogNotification | AppErrorNotification | RecordedNotification;

// ---- Validation ----

const MAX_TEXT = 1_000_000;
const METHODS: ReadonlySet<string> = new Set<AppHostMethod>(['connect', 'load', 'reload', 'unload', 'status', 'shutdown', 'record']);
const LOG_LEVELS: ReadonlySet<string> = new Set(['debug', 'info', 'warn', 'error']);

function isAppId(value: unknown): value is string {
  return isString(value, 200) && value.length > 0;
}

function isPath(value: unknown): value is string {
  return isString(value, 4096) && value.length > 0;
}

/** Validates a message the host received; undefined when it is not one. */
export function parseSupervisorMessage(value: unknown): SupervisorToHost | undefined {
  if (!isObject(value)) return undefined;
  if (value['kind'] === 'ping') return isInteger(value['seq']) ? { kind: 'ping', seq: value['seq'] } : undefined;
  if (value['kind'] !== 'request' || !isInteger(value['id']) || !isString(value['method']) || !METHODS.has(value['method'])) return undefined;
  const id = value['id'];
  const p = value['params'];
  if (!isObject(p)) return undefined;
  switch (value['method'] as AppHostMethod) {
    case 'connect': {
      const { host, port, user, password } = p;
      if (!isString(host, 1000) || !isInteger(port) || port > 65535 || !isString(password, 10_000)) return undefined;
      if (user !== undefined && !isString(user, 1000)) return undefined;
      return { kind: 'request', id, method: 'connect', params: user === undefined ? { host, port, password } : { host, port, user, password } };
    }
    case 'load':
      if (!isAppId(p['appId']) || !isPath(p['entry'])) return undefined;
      return { kind: 'request', id, method: 'load', params: { appId: p['appId'], entry: p['entry'] } };
    case 'reload': {
      if (!isAppId(p['appId'])) return undefined;
      const entry = p['entry'];
      if (entry !== undefined && !isPath(entry)) return undefined;
      return { kind: 'request', id, method: 'reload', params: entry === undefined ? { appId: p['appId'] } : { appId: p['appId'], entry } };
    }
    case 'unload':
      if (!isAppId(p['appId'])) return undefined;
      return { kind: 'request', id, method: 'unload', params: { appId: p['appId'] } };
    case 'status':
      return { kind: 'request', id, method: 'status', params: {} };
    case 'shutdown':
      return { kind: 'request', id, method: 'shutdown', params: {} };
    case 'record':
      return isBoolean(p['on']) ? { kind: 'request', id, method: 'record', params: { on: p['on'] } } : undefined;
  }
}

function isLocation(value: unknown): value is SourceLocation {
  return isObject(value) && isString(value['file'], 4096) && isInteger(value['line']) && isInteger(value['column']);
}

function isAppErrorInfo(value: unknown): value is AppErrorInfo {
  if (!isObject(value)) return false;
  return (
    isAppId(value['appId']) &&
    isInteger(value['version']) &&
    isString(value['eventName'], 200) &&
    (value['sessionUuid'] === undefined || isString(value['sessionUuid'], 200)) &&
    isString(value['message'], MAX_TEXT) &&
    isString(value['stack'], MAX_TEXT) &&
    (value['location'] === undefined || isLocation(value['location'])) &&
    isInteger(value['at'])
  );
}

function isAppStatus(value: unknown): value is AppStatus {
  if (!isObject(value)) return false;
  const runs = value['callbacksRun'];
  return (
    isAppId(value['id']) &&
    isString(value['name'], 1000) &&
    isPath(value['entry']) &&
    isInteger(value['version']) &&
    isInteger(value['loadedAt']) &&
    isStringArray(value['callbacks'], 100, 100) &&
    isObject(runs) &&
    Object.values(runs).every(isInteger) &&
    isInteger(value['callsHandled']) &&
    isInteger(value['errors']) &&
    (value['lastError'] === undefined || isAppErrorInfo(value['lastError'])) &&
    isStringArray(value['inputs'], 10_000, 4096)
  );
}

/** True for a well-formed AppHostStatus. */
export function isAppHostStatus(value: unknown): value is AppHostStatus {
  return (
    isObject(value) &&
    isInteger(value['pid']) &&
    isString(value['connection'], 100) &&
    isInteger(value['startedAt']) &&
    Array.isArray(value['apps']) &&
    value['apps'].every(isAppStatus)
  );
}

function isDiagnostic(value: unknown): value is AppDiagnostic {
  return (
    isObject(value) &&
    isString(value['file'], 4096) &&
    isInteger(value['line']) &&
    isInteger(value['column']) &&
    isInteger(value['length']) &&
    (value['severity'] === 'error' || value['severity'] === 'warning') &&
    isString(value['message'], MAX_TEXT) &&
    (value['lineText'] === undefined || isString(value['lineText'], MAX_TEXT))
  );
}

/** True for a well-formed LoadResult. */
export function isLoadResult(value: unknown): value is LoadResult {
  if (!isObject(value) || !isBoolean(value['loaded'])) return false;
  if (value['loaded']) return isAppStatus(value['app']) && typeof value['bundleMs'] === 'number' && typeof value['loadMs'] === 'number';
  return (
    (value['phase'] === 'compile' || value['phase'] === 'load') &&
    Array.isArray(value['diagnostics']) &&
    value['diagnostics'].every(isDiagnostic) &&
    isString(value['message'], MAX_TEXT) &&
    (value['stack'] === undefined || isString(value['stack'], MAX_TEXT)) &&
    isBoolean(value['previousVersionRunning'])
  );
}

function optionalStringMap(value: unknown): value is Record<string, string> | undefined {
  return value === undefined || (isObject(value) && Object.values(value).every((v) => isString(v, MAX_TEXT)));
}

function parseRecordedFrame(value: unknown): RecordedCommandFrame | undefined {
  if (!isObject(value) || !isString(value['ref'], 100) || typeof value['at'] !== 'number' || !Number.isFinite(value['at'])) return undefined;
  const { ref, at, headers } = value;
  if (!optionalStringMap(headers)) return undefined;
  if (value['kind'] === 'command') {
    const { command, body } = value;
    if (!isString(command, MAX_TEXT) || (body !== undefined && !isString(body, MAX_TEXT))) return undefined;
    const frame: RecordedCommandFrame = { kind: 'command', ref, at, command };
    if (headers !== undefined) frame.headers = { ...headers };
    if (body !== undefined) frame.body = body;
    return frame;
  }
  if (value['kind'] === 'reply') {
    const { contentType, replyText, body } = value;
    if (!isString(contentType, 1000) || !isString(replyText, MAX_TEXT) || !isString(body, MAX_TEXT)) return undefined;
    const frame: RecordedCommandFrame = { kind: 'reply', ref, at, contentType, replyText, body };
    if (headers !== undefined) frame.headers = { ...headers };
    return frame;
  }
  return undefined;
}

/** Validates a message the supervisor received from a host; undefined when it is not one. */
export function parseHostMessage(value: unknown): HostToSupervisor | undefined {
  if (!isObject(value)) return undefined;
  switch (value['kind']) {
    case 'hello':
      if (!isInteger(value['protocol']) || !isInteger(value['pid']) || !isString(value['node'], 100)) return undefined;
      if (value['inspectorUrl'] !== undefined && !isString(value['inspectorUrl'], 1000)) return undefined;
      return { kind: 'hello', protocol: value['protocol'], pid: value['pid'], node: value['node'], inspectorUrl: value['inspectorUrl'] as string | undefined };
    case 'pong':
      return isInteger(value['seq']) ? { kind: 'pong', seq: value['seq'] } : undefined;
    case 'response': {
      if (!isInteger(value['id']) || !isBoolean(value['ok'])) return undefined;
      if (value['ok']) return { kind: 'response', id: value['id'], ok: true, result: value['result'] };
      const error = value['error'];
      if (!isObject(error) || !isString(error['message'], MAX_TEXT)) return undefined;
      const stack = isString(error['stack'], MAX_TEXT) ? error['stack'] : undefined;
      return { kind: 'response', id: value['id'], ok: false, error: stack === undefined ? { message: error['message'] } : { message: error['message'], stack } };
    }
    case 'status':
      return isAppHostStatus(value['status']) ? { kind: 'status', status: value['status'] } : undefined;
    case 'log': {
      const { level, message, appId, at } = value;
      if (!isString(level) || !LOG_LEVELS.has(level) || !isString(message, MAX_TEXT) || !isInteger(at)) return undefined;
      if (appId !== undefined && !isAppId(appId)) return undefined;
      const log: LogNotification = { kind: 'log', level: level as LogNotification['level'], message, at };
      if (appId !== undefined) log.appId = appId;
      return log;
    }
    case 'appError':
      return isAppErrorInfo(value['error']) ? { kind: 'appError', error: value['error'] } : undefined;
    case 'recorded': {
      const frame = parseRecordedFrame(value['frame']);
      return frame ? { kind: 'recorded', frame } : undefined;
    }
    default:
      return undefined;
  }
}

/** Validates a method's result; the supervisor checks results before handing them on. */
export function isResultOf<M extends AppHostMethod>(method: M, value: unknown): value is AppHostResults[M] {
  switch (method) {
    case 'load':
    case 'reload':
      return isLoadResult(value);
    case 'shutdown':
    case 'record':
      return value === null;
    default:
      return isAppHostStatus(value);
  }
}
