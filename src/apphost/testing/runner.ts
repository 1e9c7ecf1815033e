/**
 * Runs call test files: bundles each with esbuild (as the app host bundles apps, with
 * `freeswitch-dev/test` resolved to this process's test API), requires it to collect its
 * declarations, connects one Client and EventListener, and runs the tests one after another:
 * app fixtures, beforeEach, the test under its time limit, afterEach, then the cleanup that hangs
 * up every call the test started. Everything is reported through `report`, in the test host
 * protocol's messages (src/shared/protocol/testHost.ts).
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { format } from 'node:util';
import * as core from '../../core';
import { Client, EventListener, type App, type EslEvent } from '../../core';
import { TEST_RUN_VAR, TestScope, type AppLoader } from '../../core/testing/context';
import { CallTestError, CallTestTimeoutError } from '../../core/testing/errors';
import { setCurrentScope } from '../../core/testing/expect';
import * as testApi from '../../core/testing/index';
import { collectTests, planTests, type AppFixture, type HookFn, type PlannedTest, type Suite } from '../../core/testing/registry';
import { testId, type RunMessage, type TestFailure, type TestHostToParent, type TestInfo, type TestRunSummary } from '../../shared/protocol/testHost';
import { AppBundler, CORE_GLOBAL, TEST_GLOBAL } from '../bundler';
import { findApp, locate } from '../host';

export interface TestRunOptions {
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
  /** True once the run should stop after the running test. */
  cancelled?(): boolean;
}

/** Events attached to a failure for the timeline. */
const FAILURE_EVENTS = 500;
/** How long the cleanup of one test may take before it is reported. */
const CLEANUP_MS = 5_000;

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

  // 3. One connection pair for the run.
  const { host, port, password, user } = options.connection;
  const conn = { host, port, password, ...(user !== undefined ? { user } : {}), reconnect: false as const };
  const listener = new EventListener(conn);
  const client = new Client({ ...conn, listener });
  try {
    await listener.connect();
    await client.connect();
  } catch (err) {
    listener.dispose();
    client.dispose();
    options.report({ kind: 'fatal', message: `cannot connect to FreeSWITCH at ${host}:${port}: ${errorText(err).message}` });
    return finish();
  }

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
        const req = createRequire(out.file);
        value = findApp(req(out.file));
      } else value = app;
      if (listener.loadedApps.has(id)) await client.reloadApp(value, { id });
      else await client.loadApp(value, { id });
    },
    unload: (id: string) => client.unloadApp(id),
  });

  try {
    let n = 0;
    for (const file of toRun) {
      if (options.cancelled?.()) break;
      const loader = appLoader(file.file);
      // App fixtures of every suite that has a test to run, for the file's tests.
      const fixtures = uniqueFixtures(file.planned);
      const fixtureError = await loadFixtures(fixtures, loader);
      for (const planned of file.planned) {
        if (options.cancelled?.()) break;
        const id = testId(file.file, planned.test.fullName);
        const test = planned.test;
        if (test.mode === 'skip' || test.mode === 'todo') {
          summary.skipped++;
          options.report({ kind: 'testFinished', id, status: 'skipped', durationMs: 0 });
          continue;
        }
        currentId = id;
        options.report({ kind: 'testStarted', id });
        const scope = new TestScope(test.fullName, client, listener, `${runToken}_${++n}`, loader);
        setCurrentScope(scope);
        const t0 = performance.now();
        let error: unknown = fixtureError;
        if (!error) {
          const limit = options.debug ? undefined : (test.options.timeout ?? options.timeoutMs);
          error = await runBody(scope, planned, limit);
        }
        // What had happened when it failed; the call's remaining events (the cleanup) are added below.
        const failedAt = scope.events.length;
        const cleanupProblems = await scope.cleanup(CLEANUP_MS);
        setCurrentScope(undefined);
        const durationMs = performance.now() - t0;
        if (!error && cleanupProblems.length > 0) error = new CallTestError(cleanupProblems.join('\n'), { expected: 'every call of the test hung up', actual: cleanupProblems.join('\n') });
        if (error) {
          summary.failed++;
          options.report({ kind: 'testFinished', id, status: 'failed', durationMs, failure: toFailure(error, scope, file, planned, failedAt) });
        } else {
          summary.passed++;
          options.report({ kind: 'testFinished', id, status: 'passed', durationMs });
        }
        currentId = undefined;
      }
      for (const f of [...fixtures].reverse()) await client.unloadApp(f.id).catch(() => undefined);
    }
  } finally {
    restoreConsole();
    for (const b of appBundlers.values()) await b.dispose();
    // What this run left behind: sessions carrying one of its tokens.
    summary.leftoverSessions = await countLeftovers(client, runToken);
    await client.disconnect().catch(() => undefined);
    await listener.disconnect().catch(() => undefined);
    client.dispose();
    listener.dispose();
  }
  return finish();
}

function uniqueFixtures(planned: readonly PlannedTest[]): AppFixture[] {
  const seen = new Set<AppFixture>();
  for (const p of planned) if (p.test.mode !== 'skip' && p.test.mode !== 'todo') for (const s of p.suites) for (const a of s.apps) seen.add(a);
  return [...seen];
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

/** beforeEach (outer first), the test under its limit, afterEach (inner first). The first error wins. */
async function runBody(scope: TestScope, planned: PlannedTest, limitMs: number | undefined): Promise<unknown> {
  const before: HookFn[] = planned.suites.flatMap((s) => s.beforeEach);
  const after: HookFn[] = [...planned.suites].reverse().flatMap((s) => [...s.afterEach].reverse());
  let error: unknown;
  let timer: NodeJS.Timeout | undefined;
  const timedOut =
    limitMs === undefined
      ? undefined
      : new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            const err = new CallTestTimeoutError(`the test did not finish within its time limit of ${limitMs} ms`, { expected: `done within ${limitMs} ms`, actual: 'still running' });
            scope.abort(err);
            reject(err);
          }, limitMs);
        });
  timedOut?.catch(() => undefined);
  const guarded = async (fn: () => void | Promise<void>): Promise<void> => {
    const p = Promise.resolve().then(fn);
    await (timedOut ? Promise.race([p, timedOut]) : p);
  };
  try {
    for (const hook of before) await guarded(() => hook(scope));
    await guarded(() => planned.test.fn!(scope));
  } catch (err) {
    error = err;
  }
  clearTimeout(timer);
  for (const hook of after) {
    try {
      await hook(scope);
    } catch (err) {
      error ??= err;
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
  // A time limit has no place in the test's code: point at the test.
  const at = err instanceof CallTestTimeoutError ? locate(planned.test.declaredAt, new Set([file.file])) : stack ? (locate(stack, new Set([file.file])) ?? locate(stack, file.inputs)) : undefined;
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

async function countLeftovers(client: Client, runToken: string): Promise<number> {
  try {
    const body = await client.cmd('show channels as json');
    const parsed = JSON.parse(body) as { rows?: Array<Record<string, string>> };
    const rows = parsed.rows ?? [];
    let n = 0;
    for (const row of rows) {
      const uuid = row['uuid'];
      if (!uuid) continue;
      const value = await client.cmd(`uuid_getvar ${uuid} ${TEST_RUN_VAR}`).catch(() => '');
      if (value.startsWith(`${runToken}_`)) n++;
    }
    return n;
  } catch {
    return 0;
  }
}

/** Sends what tests print with console.* to `out` (tagged with the running test) instead of stdout. */
function captureConsole(out: (text: string) => void): () => void {
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const saved = methods.map((m) => console[m]);
  for (const m of methods) console[m] = (...args: unknown[]) => out(`${format(...args)}\n`);
  return () => methods.forEach((m, i) => (console[m] = saved[i]!));
}
