/**
 * Where `callTest`, `describe`, `beforeEach`, `afterEach` and `useApp` put what a test file
 * declares. A runner opens a collection (`collectTests`), requires the file, and gets its suite
 * tree back; nothing runs at declaration time.
 *
 * The state lives on a global symbol, so a second copy of this module (an installed
 * `freeswitch-dev/test` next to the runner's own) still registers into the runner's collection.
 */
import type { App } from '../apps/app';
import type { CallTestContext } from './context';

/** A test body: gets the test's context (originate, client, listener, loadApp…). */
export type CallTestFn = (context: CallTestContext) => void | Promise<void>;
/** A hook body: the same context as the test it runs around. */
export type HookFn = (context: CallTestContext) => void | Promise<void>;

export interface CallTestOptions {
  /** This test's time limit in ms (the runner's default otherwise, 10 s). Hooks and cleanup are not counted. */
  timeout?: number;
}

/** An app loaded for every test of a file (or suite), unloaded after its last test. */
export interface AppFixture {
  /** The app, or a path to its `.ts` file (relative to the test file). */
  readonly source: App | string;
  /** The app id calls are originated into (`originate(dest, { appId })`). */
  readonly id: string;
}

export interface RegisteredTest {
  readonly name: string;
  /** Suite names and the test name, joined by ' › ': the test's id within its file. */
  readonly fullName: string;
  readonly fn: CallTestFn | undefined;
  readonly options: CallTestOptions;
  readonly mode: 'run' | 'skip' | 'only' | 'todo';
  /** Where it was declared: the stack of the `callTest` call (mapped to the .ts by source maps). */
  readonly declaredAt: string;
}

/** A `beforeEach` or `afterEach`, with where it was declared (the runner names it when it overruns). */
export interface Hook {
  readonly fn: HookFn;
  /** The stack of the `beforeEach`/`afterEach` call (mapped to the .ts by source maps). */
  readonly declaredAt: string;
}

export interface Suite {
  readonly name: string;
  readonly fullName: string;
  readonly tests: RegisteredTest[];
  readonly suites: Suite[];
  readonly beforeEach: Hook[];
  readonly afterEach: Hook[];
  readonly apps: AppFixture[];
  /** The order tests and suites were declared in: index into `tests` (t) or `suites` (s). */
  readonly order: Array<{ kind: 't' | 's'; index: number }>;
}

export const NAME_SEPARATOR = ' › ';

interface RegistryState {
  /** The suite being declared (innermost `describe`), or none outside a collection. */
  stack: Suite[];
}

const STATE_KEY = Symbol.for('freeswitch-dev.test.registry');

function state(): RegistryState {
  const g = globalThis as Record<symbol, RegistryState | undefined>;
  return (g[STATE_KEY] ??= { stack: [] });
}

function newSuite(name: string, parent: Suite | undefined): Suite {
  const fullName = parent && parent.fullName ? `${parent.fullName}${NAME_SEPARATOR}${name}` : name;
  return { name, fullName, tests: [], suites: [], beforeEach: [], afterEach: [], apps: [], order: [] };
}

function current(what: string): Suite {
  const suite = state().stack.at(-1);
  if (!suite) throw new Error(`${what} is only valid at the top level of a call test file (or inside describe), run by \`fsdev test\` or the Test Explorer`);
  return suite;
}

/**
 * Declares what `load` declares (requiring a test file) into a fresh root suite and returns it.
 * Throws what `load` throws; nothing stays registered either way.
 */
export function collectTests(load: () => void): Suite {
  const root = newSuite('', undefined);
  const s = state();
  const saved = s.stack;
  s.stack = [root];
  try {
    load();
  } finally {
    s.stack = saved;
  }
  return root;
}

function checkName(kind: string, name: unknown): string {
  if (typeof name !== 'string' || name.trim() === '') throw new TypeError(`${kind} needs a name: a non-empty string`);
  return name;
}

function register(name: string, fn: CallTestFn | undefined, options: CallTestOptions | undefined, mode: RegisteredTest['mode']): void {
  checkName('callTest', name);
  if (mode !== 'todo' && typeof fn !== 'function') throw new TypeError(`callTest(${JSON.stringify(name)}) needs a function: callTest(name, async ({ originate }) => { … })`);
  if (options?.timeout !== undefined && !(Number.isFinite(options.timeout) && options.timeout > 0)) throw new TypeError(`callTest(${JSON.stringify(name)}): timeout must be a positive number of ms`);
  const suite = current('callTest');
  const fullName = suite.fullName ? `${suite.fullName}${NAME_SEPARATOR}${name}` : name;
  if (suite.tests.some((t) => t.name === name)) throw new Error(`two call tests are named ${JSON.stringify(fullName)}: names must be unique within a file`);
  suite.order.push({ kind: 't', index: suite.tests.length });
  suite.tests.push({ name, fullName, fn, options: { ...options }, mode, declaredAt: new Error().stack ?? '' });
}

export interface CallTestFunction {
  /** Declares a call test. */
  (name: string, fn: CallTestFn, options?: CallTestOptions): void;
  /** Declares a test that is reported as skipped. */
  skip(name: string, fn?: CallTestFn, options?: CallTestOptions): void;
  /** Runs only the tests marked `only` in this file. */
  only(name: string, fn: CallTestFn, options?: CallTestOptions): void;
  /** A test still to write: reported as skipped. */
  todo(name: string): void;
}

/**
 * Declares a call test:
 * ```ts
 * callTest('echo answers', async ({ originate }) => {
 *   const call = await originate('9196', { endpoint: 'loopback', app: 'park' });
 *   await expect(call).toBeAnswered({ within: 2000 });
 * });
 * ```
 * Every call the test originates is hung up when it ends, whether it passed or failed.
 */
export const callTest: CallTestFunction = Object.assign((name: string, fn: CallTestFn, options?: CallTestOptions) => register(name, fn, options, 'run'), {
  skip: (name: string, fn?: CallTestFn, options?: CallTestOptions) => register(name, fn, options, 'skip'),
  only: (name: string, fn: CallTestFn, options?: CallTestOptions) => register(name, fn, options, 'only'),
  todo: (name: string) => register(name, undefined, undefined, 'todo'),
});

/** Groups tests; hooks and apps declared inside apply to its tests only. */
export function describe(name: string, body: () => void): void {
  checkName('describe', name);
  const parent = current('describe');
  const suite = newSuite(name, parent);
  parent.order.push({ kind: 's', index: parent.suites.length });
  parent.suites.push(suite);
  const s = state();
  s.stack.push(suite);
  try {
    const result: unknown = body();
    if (result instanceof Promise) throw new Error(`describe(${JSON.stringify(name)}) must declare its tests synchronously (no async body)`);
  } finally {
    s.stack.pop();
  }
}

/** Runs before each test of the file (or of the enclosing describe), outer hooks first. */
export function beforeEach(fn: HookFn): void {
  if (typeof fn !== 'function') throw new TypeError('beforeEach needs a function');
  current('beforeEach').beforeEach.push({ fn, declaredAt: new Error().stack ?? '' });
}

/** Runs after each test, passed or failed, inner hooks first; before the test's calls are cleaned up. */
export function afterEach(fn: HookFn): void {
  if (typeof fn !== 'function') throw new TypeError('afterEach needs a function');
  current('afterEach').afterEach.push({ fn, declaredAt: new Error().stack ?? '' });
}

/**
 * Loads an app for the tests of this file (or describe): an app object (imported from your app's
 * file) or the path of its `.ts` file, relative to the test file. Loaded before the first test, under
 * `id` (default: the app's name, else the file name), and unloaded after the last. Originate into it
 * with `originate(dest, { appId: fixture.id })`.
 */
export function useApp(source: App | string, options: { id?: string } = {}): AppFixture {
  const suite = current('useApp');
  const id = options.id ?? (typeof source === 'string' ? (source.split(/[\\/]/).pop() ?? source).replace(/\.[cm]?tsx?$/, '') : source.name);
  if (!id) throw new Error('useApp: give the app an id ({ id: "myapp" }) or a name');
  if (typeof source !== 'string' && (source === null || typeof source !== 'object' || !('on' in source))) throw new TypeError(`useApp(${id}): not an app (an object with \`on\` callbacks) or a path`);
  const fixture: AppFixture = { source, id };
  suite.apps.push(fixture);
  return fixture;
}

/** Every test of a suite tree, in declaration order, with the hooks and apps that apply to it. */
export interface PlannedTest {
  test: RegisteredTest;
  /** Outermost suite first. */
  suites: Suite[];
}

export function planTests(root: Suite): PlannedTest[] {
  const out: PlannedTest[] = [];
  const walk = (suite: Suite, path: Suite[]): void => {
    const here = [...path, suite];
    for (const item of suite.order) {
      if (item.kind === 't') out.push({ test: suite.tests[item.index]!, suites: here });
      else walk(suite.suites[item.index]!, here);
    }
  };
  walk(root, []);
  // `only` in a file narrows the file to those tests.
  if (out.some((p) => p.test.mode === 'only')) return out.map((p) => (p.test.mode === 'only' ? p : { ...p, test: { ...p.test, mode: 'skip' as const } }));
  return out;
}
