/**
 * Runs call test files: bundles each with esbuild (as the app host bundles apps, with
 * `freeswitch-dev/test` resolved to this process's test API), requires it to collect its
 * declarations, and runs the tests one after another: app fixtures, beforeEach and the test under
 * the test's time limit, each afterEach under a limit of its own, then, always and bounded, the
 * cleanup that hangs up every call the test started. One Client and EventListener, connected when
 * a test first needs the server, so tests that need none (replays) run without one. Everything is
 * reported through `report`, in the test host protocol's messages (src/shared/protocol/testHost.ts).
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { format } from 'node:util';
import * as core from '../../core';
import { Client, EventListener, type App, type EslEvent } from '../../core';
import { TEST_RUN_VAR, TestScope, settleWithin, type AppLoader, type ConnectedServer, type TestServer } from '../../core/testing/context';
import { CallTestError, CallTestTimeoutError } from '../../core/testing/errors';
import { setCurrentScope } from '../../core/testing/expect';
import * as testApi from '../../core/testing/index';
import { collectTests, planTests, type AppFixture, type Hook, type PlannedTest, type Suite } from '../../core/testing/registry';
import { CANCELLED_RUN_MAX_MS, testId, type RunMessage, type TestFailure, type TestHostToParent, type TestInfo, type TestRunSummary } from '../../shared/protocol/testHost';
import { AppBundler, CORE_GLOBAL, TEST_GLOBAL } from '../bundler';
import { findApp, locate } from '../host';
import { loadForDebugger } from './debugLoad';

export interface TestRunOptions {
  /** The server, connected when a test first needs it; undefined: none (such tests fail, saying so). */
  connection: RunMessage['connection'];
  files: readonly string[];
  /** Test ids to run; undefined = all. */
  only?: ReadonlySet<string>;
  /** Default per-test limit, ms. */
  timeoutMs: number;
  /** Time limits off; `waitForDebugger` is called once the bundles are written. */
  debug: boolean;
  waitForDebugger?(): Promise<void>;
  /** Where bundles are written. */
  outDir: string;
  report(message: TestHostToParent): void;
  /**
   * Aborted to cancel the run: the running test is cut short, its afterEach hooks get
   * CANCELLED_HOOKS_MS in all, its cleanup runs, and no further test starts.
   */
  signal?: AbortSignal;
}

/** Events attached to a failure for the timeline. */
const FAILURE_EVENTS = 500;
/** How long the cleanup of one test may take before it is reported. */
const CLEANUP_MS = 5_000;
/**
 * After a cancel, what follows the cancelled test's cleanup shares this: unloading the file's app
 * fixtures (their teardown is user code), counting leftovers, disconnecting.
 */
const CANCELLED_WINDUP_MS = 1_000;
/** Otherwise each of those steps (a file's fixture unloads, the leftover count, the disconnect) gets this. */
const WINDUP_MS = 5_000;
/**
 * Once the run is cancelled, the afterEach hooks of the running test get this long in all: with
 * the cleanup and the wind-up, the run ends within the protocol's promise.
 */
const CANCELLED_HOOKS_MS = CANCELLED_RUN_MAX_MS - CLEANUP_MS - CANCELLED_WINDUP_MS;
/** Of a cancelled run's wind-up, kept for the disconnect. */
const DISCONNECT_RESERVE_MS = 250;

interface LoadedFile {
  file: string;
  root: Suite;
  planned: PlannedTest[];
  inputs: Set<string>;
}

function errorText(err: unknown): { message: string; stack: string | undefined } {
  if (err instanceof Error) return { message: err.message, stack: err.stack };
  return { message: String(err), stack: undefined };
}

/** Publishes the core and the test API where bundled test files (and the apps they import) find them. */
export function publishTestGlobals(): void {
  const g = globalThis as Record<symbol, unknown>;
  g[Symbol.for(CORE_GLOBAL)] = core;
  g[Symbol.for(TEST_GLOBAL)] = testApi;
}

export async function runTests(options: TestRunOptions): Promise<TestRunSummary> {
  const started = performance.now();
  publishTestGlobals();
  const summary: TestRunSummary = { passed: 0, failed: 0, skipped: 0, fileErrors: 0, wallMs: 0, leftoverSessions: 0 };
  const runToken = `r${randomBytes(6).toString('hex')}`;
  const bundlers: AppBundler[] = [];
  const finish = (): TestRunSummary => {
    summary.wallMs = performance.now() - started;
    options.report({ kind: 'done', summary });
    return summary;
  };

  // 1. Bundle every file (compile errors are reported per file, the others still run).
  const bundles: Array<{ file: string; bundle: string; inputs: string[] }> = [];
  for (const [i, raw] of options.files.entries()) {
    const file = resolve(raw);
    const bundler = new AppBundler(`calltest-${i}`, options.outDir);
    bundlers.push(bundler);
    const out = await bundler.bundle(file);
    if (!out.ok) {
      summary.fileErrors++;
      const problems = out.diagnostics.filter((d) => d.severity === 'error').map((d) => ({ file: d.file, line: d.line, column: d.column, message: d.message }));
      options.report({ kind: 'file', file, tests: [], error: { message: `does not compile: ${out.message}`, problems } });
      continue;
    }
    bundles.push({ file, bundle: out.file, inputs: out.inputs });
  }
  await Promise.all(bundlers.map((b) => b.dispose()));
  if (options.debug) await options.waitForDebugger?.();

  // 2. Collect each file's declarations.
  const loaded: LoadedFile[] = [];
  for (const { file, bundle, inputs } of bundles) {
    const inputSet = new Set(inputs);
    try {
      const req = createRequire(bundle);
      const root = collectTests(() => {
        req(bundle);
      });
      const planned = planTests(root);
      const tests: TestInfo[] = planned.map(({ test }) => ({
        id: testId(file, test.fullName),
        fullName: test.fullName,
        name: test.name,
        location: locate(test.declaredAt, new Set([file])) ?? undefined,
        skipped: test.mode === 'skip' || test.mode === 'todo',
      }));
      options.report({ kind: 'file', file, tests });
      loaded.push({ file, root, planned, inputs: inputSet });
    } catch (err) {
      summary.fileErrors++;
      const { message, stack } = errorText(err);
      const at = stack ? locate(stack, inputSet) : undefined;
      options.report({
        kind: 'file',
        file,
        tests: [],
        error: { message: `failed while declaring its tests: ${message}`, problems: [{ file: at?.file ?? file, line: at?.line ?? 1, column: Math.max(0, (at?.column ?? 1) - 1), message }] },
      });
    }
  }

  const toRun = loaded.map((f) => ({ ...f, planned: f.planned.filter((p) => !options.only || options.only.has(testId(f.file, p.test.fullName))) })).filter((f) => f.planned.length > 0);
  if (toRun.length === 0) return finish();

  // 3. One connection pair for the run, made when a test first needs the server.
  const server = new RunServer(options.connection);
  let currentId: string | undefined;
  const restoreConsole = captureConsole((text) => options.report(currentId === undefined ? { kind: 'output', text } : { kind: 'output', id: currentId, text }));
  const appBundlers = new Map<string, AppBundler>();
  const appLoader = (testFile: string): AppLoader => ({
    load: async (app: App | string, id: string) => {
      let value: App;
      if (typeof app === 'string') {
        const entry = resolve(dirname(testFile), app);
        let bundler = appBundlers.get(id);
        if (!bundler) appBundlers.set(id, (bundler = new AppBundler(`app-${id}`, options.outDir)));
        const out = await bundler.bundle(entry);
        if (!out.ok) throw new CallTestError(`app ${id} (${entry}) does not compile: ${out.message}`, { expected: 'the app compiles', actual: out.message });
        // Under the debugger, loaded so its breakpoints are set before it runs (debugLoad.ts).
        value = findApp(options.debug ? loadForDebugger(out.file) : createRequire(out.file)(out.file));
      } else value = app;
      const { client, listener } = await server.connect();
      if (listener.loadedApps.has(id)) await client.reloadApp(value, { id });
      else await client.loadApp(value, { id });
    },
    unload: async (id: string) => {
      await server.current?.client.unloadApp(id);
    },
  });
  const cancelled = (): boolean => options.signal?.aborted ?? false;
  // When the steps after the tests must be done by: once cancelled, one deadline for all of them.
  let cancelWindupEnd: number | undefined;
  const windupEnd = (): number => (cancelled() ? (cancelWindupEnd ??= performance.now() + CANCELLED_WINDUP_MS) : performance.now() + WINDUP_MS);

  try {
    let n = 0;
    for (const file of toRun) {
      if (cancelled()) break;
      const loader = appLoader(file.file);
      // App fixtures of every suite that has a test to run, for the file's tests.
      const fixtures = uniqueFixtures(file.planned);
      const fixtureError = await loadFixtures(fixtures, loader);
      for (const planned of file.planned) {
        if (cancelled()) break;
        const id = testId(file.file, planned.test.fullName);
        const test = planned.test;
        if (test.mode === 'skip' || test.mode === 'todo') {
          summary.skipped++;
          options.report({ kind: 'testFinished', id, status: 'skipped', durationMs: 0 });
          continue;
        }
        currentId = id;
        const tag = `${runToken}_${++n}`;
        options.report({ kind: 'testStarted', id, tag });
        const scope = new TestScope(test.fullName, server, tag, loader);
        setCurrentScope(scope);
        const t0 = performance.now();
        let error: unknown = fixtureError;
        const limit = options.debug ? undefined : (test.options.timeout ?? options.timeoutMs);
        if (!error) {
          error = await runBody(scope, planned, limit, file.file, options.signal);
          // afterEach runs whatever the hooks and the test did, each hook under a limit of its own
          // (not when the file's apps did not load: then nothing of the test ran).
          const hookError = await runAfterEach(scope, planned, limit, file.file, options.signal);
          error ??= hookError;
        }
        // What had happened when it failed; the call's remaining events (the cleanup) are added below.
        const failedAt = scope.events.length;
        const cleanupProblems = await scope.cleanup(CLEANUP_MS);
        setCurrentScope(undefined);
        const durationMs = performance.now() - t0;
        if (cleanupProblems.length > 0 && (!error || error instanceof RunCancelledError)) error = new CallTestError(cleanupProblems.join('\n'), { expected: 'every call of the test hung up', actual: cleanupProblems.join('\n') });
        if (error instanceof RunCancelledError) {
          // Cut short, not failed: its calls are hung up, which is what a cancel asks for.
          summary.skipped++;
          options.report({ kind: 'testFinished', id, status: 'skipped', durationMs });
        } else if (error) {
          summary.failed++;
          options.report({ kind: 'testFinished', id, status: 'failed', durationMs, failure: toFailure(error, scope, file, planned, failedAt) });
        } else {
          summary.passed++;
          options.report({ kind: 'testFinished', id, status: 'passed', durationMs });
        }
        currentId = undefined;
      }
      const connected = server.current;
      if (connected) await unloadFixtures(connected.client, fixtures, msUntil(windupEnd()));
    }
  } finally {
    restoreConsole();
    const end = windupEnd();
    await settleWithin(Promise.all([...appBundlers.values()].map((b) => b.dispose())), msUntil(end));
    const connected = server.current;
    // What this run left behind: sessions carrying one of its tokens (none without a connection).
    const reserve = cancelled() ? DISCONNECT_RESERVE_MS : 0;
    if (connected) summary.leftoverSessions = await countLeftovers(connected.client, runToken, msUntil(end) - reserve);
    await server.dispose(cancelled() ? msUntil(end) : WINDUP_MS);
  }
  return finish();
}

/**
 * The run's Client and EventListener, connected on the first `connect()`. A failure is kept: the
 * tests after it fail at once with the same reason instead of each waiting for a connect timeout.
 */
export class RunServer implements TestServer {
  private connecting: Promise<ConnectedServer> | undefined;
  private pair: ConnectedServer | undefined;
  /** Set by dispose: a connect still in flight then closes what it opened. */
  private disposed = false;

  constructor(private readonly connection: TestRunOptions['connection']) {}

  get current(): ConnectedServer | undefined {
    return this.pair;
  }

  connect(): Promise<ConnectedServer> {
    this.connecting ??= this.open();
    return this.connecting;
  }

  private async open(): Promise<ConnectedServer> {
    if (!this.connection) {
      throw new CallTestError('this test needs a FreeSWITCH server, and the run has none: run it on a server', { expected: 'a FreeSWITCH server to run on', actual: 'a run without a server' });
    }
    const { host, port, password, user } = this.connection;
    const conn = { host, port, password, ...(user !== undefined ? { user } : {}), reconnect: false as const };
    const listener = new EventListener(conn);
    const client = new Client({ ...conn, listener });
    const close = (): void => {
      listener.dispose();
      client.dispose();
    };
    try {
      await listener.connect();
      await client.connect();
    } catch (err) {
      close();
      // The core's errors name the address already; say it once.
      const reason = errorText(err).message.replace(`${host}:${port}: `, '');
      throw new CallTestError(`cannot connect to FreeSWITCH at ${host}:${port}: ${reason}`, { expected: `a connection to FreeSWITCH at ${host}:${port}`, actual: reason });
    }
    if (this.disposed) {
      // Every test that wanted it was abandoned while it connected, and the run has ended.
      await Promise.all([client.disconnect().catch(() => undefined), listener.disconnect().catch(() => undefined)]);
      close();
      throw new CallTestError('the run ended while it connected', { expected: 'a running run', actual: 'ended' });
    }
    this.pair = { client, listener };
    return this.pair;
  }

  /** Disconnects, within `ms` (then closes the sockets at once); a connect still in flight closes what it opens. */
  async dispose(ms = WINDUP_MS): Promise<void> {
    this.disposed = true;
    const pair = this.pair;
    if (!pair) return;
    await settleWithin(Promise.all([pair.client.disconnect().catch(() => undefined), pair.listener.disconnect().catch(() => undefined)]), Math.max(0, ms));
    pair.client.dispose();
    pair.listener.dispose();
  }
}

function uniqueFixtures(planned: readonly PlannedTest[]): AppFixture[] {
  const seen = new Set<AppFixture>();
  for (const p of planned) if (p.test.mode !== 'skip' && p.test.mode !== 'todo') for (const s of p.suites) for (const a of s.apps) seen.add(a);
  return [...seen];
}

/** Unloads a file's app fixtures, last first, within `ms` in all (each runs the app's teardown: user code). */
async function unloadFixtures(client: Client, fixtures: readonly AppFixture[], ms: number): Promise<void> {
  const all = (async () => {
    for (const f of [...fixtures].reverse()) await client.unloadApp(f.id).catch(() => undefined);
  })();
  await settleWithin(all, ms);
}

function msUntil(end: number): number {
  return Math.max(0, end - performance.now());
}

async function loadFixtures(fixtures: readonly AppFixture[], loader: AppLoader): Promise<unknown> {
  for (const f of fixtures) {
    try {
      await loader.load(f.source, f.id);
    } catch (err) {
      return err instanceof CallTestError ? err : new CallTestError(`useApp(${f.id}) failed: ${errorText(err).message}`, { expected: `app ${f.id} loaded`, actual: errorText(err).message });
    }
  }
  return undefined;
}

/** The run was cancelled while the test ran: it is reported as skipped, not failed. */
class RunCancelledError extends Error {
  override readonly name = 'RunCancelledError';
}

/** How a hook is named in a message: which hook, of which describe, declared where. */
function hookName(kind: 'beforeEach' | 'afterEach', hook: Hook, suite: Suite, file: string): string {
  const at = locate(hook.declaredAt, new Set([file]));
  return `${kind} hook${suite.fullName ? ` of "${suite.fullName}"` : ''}${at ? ` (line ${at.line})` : ''}`;
}

/** A hook overran its limit: the failure points at the hook's declaration. */
class HookOverrunError extends CallTestTimeoutError {
  constructor(
    message: string,
    details: { expected: string; actual: string },
    readonly declaredAt: string,
  ) {
    super(message, details);
  }
}

interface StepLimits {
  /** ms; undefined: none (debugging). */
  limitMs: number | undefined;
  overrun(): Error;
  cancel: AbortSignal | undefined;
  /**
   * When the run is cancelled: undefined, the step is cut short at once; else the ms it may still
   * take (afterEach hooks get to finish the test's own cleanup, briefly), or less if its own limit
   * ends sooner.
   */
  cancelGraceMs?(): number;
  /** The error when the grace after a cancel ran out (default: `overrun()`). */
  graceOverrun?(): Error;
}

/**
 * Runs `fn` until it settles, its limit passes (then `overrun()` is the error and the scope is
 * aborted, so what the step awaits on the scope stops too) or the run is cancelled. A step that
 * overran is left behind: the run goes on without it.
 */
async function bounded(scope: TestScope, fn: () => void | Promise<void>, limits: StepLimits): Promise<void> {
  const { limitMs, overrun, cancel, cancelGraceMs, graceOverrun = overrun } = limits;
  const ownEnd = limitMs === undefined ? undefined : performance.now() + limitMs;
  let timer: NodeJS.Timeout | undefined;
  let onCancel: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    const fail = (err: Error): void => {
      scope.abort(err);
      reject(err);
    };
    if (limitMs !== undefined) timer = setTimeout(() => fail(overrun()), Math.max(0, limitMs));
    if (cancel) {
      onCancel = () => {
        if (!cancelGraceMs) return fail(new RunCancelledError('the run was cancelled'));
        const grace = cancelGraceMs();
        // A step whose own limit ends first keeps it.
        if (ownEnd !== undefined && ownEnd - performance.now() <= grace) return;
        clearTimeout(timer);
        timer = setTimeout(() => fail(graceOverrun()), Math.max(0, grace));
      };
      if (cancel.aborted) onCancel();
      else cancel.addEventListener('abort', onCancel, { once: true });
    }
  });
  stop.catch(() => undefined);
  try {
    await Promise.race([Promise.resolve().then(fn), stop]);
  } finally {
    clearTimeout(timer);
    if (onCancel) cancel?.removeEventListener('abort', onCancel);
  }
}

/** beforeEach (outer first) and the test, under the test's limit. The first error wins. */
async function runBody(scope: TestScope, planned: PlannedTest, limitMs: number | undefined, file: string, cancel: AbortSignal | undefined): Promise<unknown> {
  const deadline = limitMs === undefined ? undefined : performance.now() + limitMs;
  const left = (): number | undefined => (deadline === undefined ? undefined : deadline - performance.now());
  try {
    for (const suite of planned.suites) {
      for (const hook of suite.beforeEach) {
        const name = hookName('beforeEach', hook, suite, file);
        const overrun = (): Error => new HookOverrunError(`${name} did not finish within the test's time limit of ${limitMs} ms`, { expected: `${name} done within ${limitMs} ms`, actual: 'still running' }, hook.declaredAt);
        await bounded(scope, () => hook.fn(scope), { limitMs: left(), overrun, cancel });
      }
    }
    const overrun = (): Error => new CallTestTimeoutError(`the test did not finish within its time limit of ${limitMs} ms`, { expected: `done within ${limitMs} ms`, actual: 'still running' });
    await bounded(scope, () => planned.test.fn!(scope), { limitMs: left(), overrun, cancel });
  } catch (err) {
    return err;
  }
  return undefined;
}

/**
 * afterEach (inner first), whatever happened before, each under a limit of its own: the test's,
 * and once the run is cancelled, what is left of CANCELLED_HOOKS_MS for them all. Every hook runs;
 * the first error is returned.
 */
async function runAfterEach(scope: TestScope, planned: PlannedTest, limitMs: number | undefined, file: string, cancel: AbortSignal | undefined): Promise<unknown> {
  let error: unknown;
  let cancelDeadline: number | undefined;
  const cancelLeft = (): number => {
    cancelDeadline ??= performance.now() + CANCELLED_HOOKS_MS;
    return cancelDeadline - performance.now();
  };
  for (const suite of [...planned.suites].reverse()) {
    for (const hook of [...suite.afterEach].reverse()) {
      const name = hookName('afterEach', hook, suite, file);
      const overrun = (): Error => new HookOverrunError(`${name} did not finish within its time limit of ${limitMs} ms`, { expected: `${name} done within ${limitMs} ms`, actual: 'still running' }, hook.declaredAt);
      const graceOverrun = (): Error => new HookOverrunError(`${name} did not finish within the ${CANCELLED_HOOKS_MS} ms a cancelled run gives afterEach hooks`, { expected: `${name} done`, actual: 'still running' }, hook.declaredAt);
      try {
        await bounded(scope, () => hook.fn(scope), { limitMs, overrun, cancel, cancelGraceMs: cancelLeft, graceOverrun });
      } catch (err) {
        error ??= err;
      }
    }
  }
  return error;
}

function eventRecord(e: EslEvent): { headers: Array<[string, string]>; body: string } {
  return { headers: Object.entries(e.headers), body: e.body };
}

function toFailure(err: unknown, scope: TestScope, file: LoadedFile, planned: PlannedTest, failedAt: number): TestFailure {
  const { message, stack } = errorText(err);
  const failure: TestFailure = { message };
  if (stack) failure.stack = stack;
  if (err instanceof CallTestError) {
    if (err.expected !== undefined) failure.expected = err.expected;
    if (err.actual !== undefined) failure.actual = err.actual;
  }
  // A time limit has no place in the test's code: point at the hook that overran, or the test.
  const at = err instanceof HookOverrunError ? (locate(err.declaredAt, new Set([file.file])) ?? locate(err.declaredAt, file.inputs)) : err instanceof CallTestTimeoutError ? locate(planned.test.declaredAt, new Set([file.file])) : stack ? (locate(stack, new Set([file.file])) ?? locate(stack, file.inputs)) : undefined;
  if (at) failure.location = at;
  const callUuid = err instanceof CallTestError ? err.callUuid : undefined;
  const call = (callUuid !== undefined ? scope.calls.find((c) => c.uuid === callUuid || c.sessions.some((s) => s.uuid === callUuid)) : undefined) ?? scope.calls.at(-1);
  if (call) {
    const first = call.first;
    const label = `${first.callerIdNumber || first.callerIdName || '?'} → ${first.destination || first.channelName || '?'}`;
    const all = scope.eventsOf(call);
    const before = new Set(scope.events.slice(0, failedAt));
    const kept = all.slice(-FAILURE_EVENTS);
    failure.call = { uuid: call.uuid, label, events: kept.map(eventRecord), atFailure: kept.filter((e) => before.has(e)).length };
  }
  return failure;
}

/**
 * Sessions on the server carrying one of the run's tokens, counted within `ms` in all (a lower
 * bound if the server is slower). `show channels` has no column for a channel variable (its `like`
 * matches names, numbers and uuids), so: one `show channels`, then every `uuid_getvar` at once.
 */
async function countLeftovers(client: Client, runToken: string, ms: number): Promise<number> {
  if (ms <= 0) return 0;
  const deadline = performance.now() + ms;
  const timeoutMs = (): number => Math.max(1, deadline - performance.now());
  let n = 0;
  const count = (async () => {
    const body = await client.cmd('show channels as json', { timeoutMs: timeoutMs() });
    const parsed = JSON.parse(body) as { rows?: Array<Record<string, string>> };
    const uuids = (parsed.rows ?? []).map((row) => row['uuid']).filter((u): u is string => !!u);
    await Promise.all(
      uuids.map(async (uuid) => {
        const value = await client.cmd(`uuid_getvar ${uuid} ${TEST_RUN_VAR}`, { timeoutMs: timeoutMs() }).catch(() => '');
        if (value.startsWith(`${runToken}_`)) n++;
      }),
    );
  })();
  await settleWithin(count, ms);
  return n;
}

/** Sends what tests print with console.* to `out` (tagged with the running test) instead of stdout. */
function captureConsole(out: (text: string) => void): () => void {
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const saved = methods.map((m) => console[m]);
  for (const m of methods) console[m] = (...args: unknown[]) => out(`${format(...args)}\n`);
  return () => methods.forEach((m, i) => (console[m] = saved[i]!));
}
