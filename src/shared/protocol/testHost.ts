/**
 * The IPC protocol between a test host (a Node child process that runs call tests,
 * `src/apphost/testHost.ts`) and whoever started it (the Test Explorer, `fsdev test`). JSON over
 * Node's `child_process` IPC channel; both directions are validated, because test files are
 * untrusted, in-development code.
 *
 * Flow: the host says `hello`; the parent sends one `run`; when debugging, the host bundles the
 * files, says `debuggerWaiting` and blocks until the parent's debugger attaches; the host reports each file (`file`: its tests, or why it did not compile or load),
 * then `testStarted` / `testFinished` per test, `output` lines, and `done`. `cancel` cuts the
 * running test short, runs its afterEach hooks (briefly) and the cleanup that hangs up its calls,
 * and ends the run: a parent that has to kill a host that did not get there hangs up the calls of
 * unfinished tests itself, by their `tag`.
 */
import { isBoolean, isInteger, isObject, isString, isStringArray } from './validate';

/** 2: `testStarted` carries the test's `tag`; `run.connection` is optional. A parent refuses a host that speaks another. */
export const TEST_HOST_PROTOCOL_VERSION = 2;

/**
 * After `cancel`, a host ends its run within this many ms, the cancelled test's calls hung up (its
 * afterEach hooks and its cleanup are bounded to fit). A parent waits this long, and a little,
 * before it kills the host and hangs up the calls itself.
 */
export const CANCELLED_RUN_MAX_MS = 8_000;

/** A place in a `.ts` file: 1-based line and column. */
export interface TestLocation {
  file: string;
  line: number;
  column: number;
}

/** A compile or load problem of a test file. */
export interface TestFileProblem {
  file: string;
  /** 1-based. */
  line: number;
  /** 0-based, as VS Code's Position.character. */
  column: number;
  message: string;
}

/** One test as the host found it by running the file's declarations. */
export interface TestInfo {
  /** `<file>::<full name>`: stable across runs, and what discovery without running computes too. */
  id: string;
  /** Suites and name joined by ' › '. */
  fullName: string;
  name: string;
  location: TestLocation | undefined;
  skipped: boolean;
}

/** An event attached to a failure: headers in order, and the body. */
export interface TestEventRecord {
  headers: Array<[string, string]>;
  body: string;
}

export interface TestFailure {
  message: string;
  expected?: string;
  actual?: string;
  /** Where in the test file it failed (from the mapped stack). */
  location?: TestLocation;
  stack?: string;
  /**
   * The call the failure is about, with its events (oldest first, the cleanup's hangup included)
   * for the timeline; `atFailure` of them had arrived when the test failed.
   */
  call?: { uuid: string; label: string; events: TestEventRecord[]; atFailure: number };
}

export type TestStatus = 'passed' | 'failed' | 'skipped';

export interface TestRunSummary {
  passed: number;
  failed: number;
  skipped: number;
  /** Files that did not compile or load. */
  fileErrors: number;
  wallMs: number;
  /** Sessions still up on the server after the run that a test started (should be 0). */
  leftoverSessions: number;
}

// ---- parent → host ----

export interface RunMessage {
  kind: 'run';
  /** The server tests connect to when they first need one; absent: none (tests that need it fail, saying so). */
  connection?: { host: string; port: number; user?: string; password: string };
  files: string[];
  /** Test ids to run; absent = every test of the files. */
  only?: string[];
  /** Default per-test time limit, ms. */
  timeoutMs: number;
  /** Wait for a debugger before running the tests (and turn off time limits). */
  debug: boolean;
}
export interface CancelMessage {
  kind: 'cancel';
}
export type ParentToTestHost = RunMessage | CancelMessage;

// ---- host → parent ----

export interface TestHostHello {
  kind: 'hello';
  protocol: number;
  pid: number;
  inspectorUrl: string | undefined;
}
/** Bundles written; the host now blocks until a debugger attaches and says run. Attach now. */
export interface DebuggerWaiting {
  kind: 'debuggerWaiting';
  inspectorUrl: string;
}
export interface FileReport {
  kind: 'file';
  file: string;
  tests: TestInfo[];
  /** Set when the file did not compile or threw while declaring its tests. */
  error?: { message: string; problems: TestFileProblem[] };
}
export interface TestStarted {
  kind: 'testStarted';
  id: string;
  /** The value of the channel variable `fsdev_test_run` on every call the test starts. */
  tag: string;
}
export interface TestFinished {
  kind: 'testFinished';
  id: string;
  status: TestStatus;
  durationMs: number;
  failure?: TestFailure;
}
export interface TestOutput {
  kind: 'output';
  /** The test that was running, if any. */
  id?: string;
  text: string;
}
export interface TestRunDone {
  kind: 'done';
  summary: TestRunSummary;
}
/** The run could not start (no connection) or broke down. */
export interface TestHostFatal {
  kind: 'fatal';
  message: string;
}
export type TestHostToParent = TestHostHello | DebuggerWaiting | FileReport | TestStarted | TestFinished | TestOutput | TestRunDone | TestHostFatal;

// ---- validation ----

const MAX_TEXT = 1_000_000;
const MAX_EVENTS = 2000;

function isLocation(v: unknown): v is TestLocation {
  return isObject(v) && isString(v['file'], 4096) && isInteger(v['line']) && isInteger(v['column']);
}

function isProblem(v: unknown): v is TestFileProblem {
  return isObject(v) && isString(v['file'], 4096) && isInteger(v['line']) && isInteger(v['column']) && isString(v['message'], MAX_TEXT);
}

function isTestInfo(v: unknown): v is TestInfo {
  return (
    isObject(v) &&
    isString(v['id'], 10_000) &&
    isString(v['fullName'], 5000) &&
    isString(v['name'], 5000) &&
    (v['location'] === undefined || isLocation(v['location'])) &&
    isBoolean(v['skipped'])
  );
}

function isHeaderPairs(v: unknown): v is Array<[string, string]> {
  return Array.isArray(v) && v.length <= 2000 && v.every((p) => Array.isArray(p) && p.length === 2 && isString(p[0], 1000) && isString(p[1], MAX_TEXT));
}

function isFailure(v: unknown): v is TestFailure {
  if (!isObject(v) || !isString(v['message'], MAX_TEXT)) return false;
  for (const k of ['expected', 'actual', 'stack']) if (v[k] !== undefined && !isString(v[k], MAX_TEXT)) return false;
  if (v['location'] !== undefined && !isLocation(v['location'])) return false;
  const call = v['call'];
  if (call === undefined) return true;
  return (
    isObject(call) &&
    isString(call['uuid'], 200) &&
    isString(call['label'], 1000) &&
    isInteger(call['atFailure']) &&
    Array.isArray(call['events']) &&
    call['events'].length <= MAX_EVENTS &&
    call['events'].every((e: unknown) => isObject(e) && isHeaderPairs(e['headers']) && isString(e['body'], MAX_TEXT))
  );
}

function isSummary(v: unknown): v is TestRunSummary {
  return isObject(v) && ['passed', 'failed', 'skipped', 'fileErrors', 'leftoverSessions'].every((k) => isInteger(v[k])) && typeof v['wallMs'] === 'number';
}

/** Validates what a test host sent; undefined when it is not a message of this protocol. */
export function parseTestHostMessage(v: unknown): TestHostToParent | undefined {
  if (!isObject(v)) return undefined;
  switch (v['kind']) {
    case 'hello':
      return isInteger(v['protocol']) && isInteger(v['pid']) && (v['inspectorUrl'] === undefined || isString(v['inspectorUrl'], 1000)) ? (v as unknown as TestHostHello) : undefined;
    case 'debuggerWaiting':
      return isString(v['inspectorUrl'], 1000) ? { kind: 'debuggerWaiting', inspectorUrl: v['inspectorUrl'] } : undefined;
    case 'file': {
      if (!isString(v['file'], 4096) || !Array.isArray(v['tests']) || !v['tests'].every(isTestInfo)) return undefined;
      const error = v['error'];
      if (error !== undefined && !(isObject(error) && isString(error['message'], MAX_TEXT) && Array.isArray(error['problems']) && error['problems'].every(isProblem))) return undefined;
      return v as unknown as FileReport;
    }
    case 'testStarted':
      return isString(v['id'], 10_000) && isString(v['tag'], 200) && /^[A-Za-z0-9_]+$/.test(v['tag']) ? { kind: 'testStarted', id: v['id'], tag: v['tag'] } : undefined;
    case 'testFinished':
      if (!isString(v['id'], 10_000) || !['passed', 'failed', 'skipped'].includes(v['status'] as string) || typeof v['durationMs'] !== 'number') return undefined;
      if (v['failure'] !== undefined && !isFailure(v['failure'])) return undefined;
      return v as unknown as TestFinished;
    case 'output':
      return isString(v['text'], MAX_TEXT) && (v['id'] === undefined || isString(v['id'], 10_000)) ? (v as unknown as TestOutput) : undefined;
    case 'done':
      return isSummary(v['summary']) ? { kind: 'done', summary: v['summary'] } : undefined;
    case 'fatal':
      return isString(v['message'], MAX_TEXT) ? { kind: 'fatal', message: v['message'] } : undefined;
    default:
      return undefined;
  }
}

/** Validates what the parent sent. */
export function parseParentMessage(v: unknown): ParentToTestHost | undefined {
  if (!isObject(v)) return undefined;
  if (v['kind'] === 'cancel') return { kind: 'cancel' };
  if (v['kind'] !== 'run') return undefined;
  const c = v['connection'];
  if (c !== undefined && (!isObject(c) || !isString(c['host'], 1000) || !isInteger(c['port']) || !isString(c['password'], 10_000) || (c['user'] !== undefined && !isString(c['user'], 1000)))) return undefined;
  if (!isStringArray(v['files'], 100_000, 4096) || (v['only'] !== undefined && !isStringArray(v['only'], 100_000, 10_000))) return undefined;
  if (!isInteger(v['timeoutMs']) || !isBoolean(v['debug'])) return undefined;
  const run: RunMessage = { kind: 'run', files: [...v['files']], timeoutMs: v['timeoutMs'], debug: v['debug'] };
  if (c !== undefined) {
    run.connection = { host: c['host'] as string, port: c['port'] as number, password: c['password'] as string };
    if (c['user'] !== undefined) run.connection.user = c['user'] as string;
  }
  if (v['only'] !== undefined) run.only = [...(v['only'] as string[])];
  return run;
}

/** The id of a test: its file and full name. Discovery and the runner compute the same. */
export function testId(file: string, fullName: string): string {
  return `${file}::${fullName}`;
}
