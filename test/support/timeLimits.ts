// Gives every node:test test and hook its own time limit. Loaded by scripts/test.mjs into each test
// process (`--import`), before the test file, with the limit in FSDEV_TEST_TIMEOUT_MS.
//
// Why not `--test-timeout` alone: on Node 20 the runner applies it to each FILE's process, not to
// the tests inside, so a test stuck on a promise fails only when the whole file runs out, and the
// report names the file, not the test. A node:test test inherits its parent's `timeout`, but the
// root of a file has none, so the limit is given here to each test and hook declared without one.
// A `describe` that sets its own `timeout` (the e2e and webview suites' longer steps) keeps it for
// what it declares, as node:test's own inheritance would.
//
// The functions are replaced on node:test's exports object: test files compiled by tsx read
// `require('node:test').test` at each call, and syncBuiltinESMExports() updates ESM imports.
import { syncBuiltinESMExports } from 'node:module';
import type * as NodeTest from 'node:test';
import { fileURLToPath } from 'node:url';
import { compileFunction } from 'node:vm';

const limitMs = Number(process.env.FSDEV_TEST_TIMEOUT_MS);
if (!Number.isSafeInteger(limitMs) || limitMs <= 0) {
  throw new Error(`FSDEV_TEST_TIMEOUT_MS must be a positive number of milliseconds, not ${process.env.FSDEV_TEST_TIMEOUT_MS}`);
}

type Options = { timeout?: number } & Record<string, unknown>;
type Declare = (...args: unknown[]) => unknown;

const nodeTest = process.getBuiltinModule('node:test') as unknown as Record<string, Declare & Record<string, Declare>>;

/**
 * The `timeout` set by the innermost `describe` being declared that set one. node:test runs a
 * describe's body synchronously while declaring it, so a stack around that call sees its children.
 */
const declaredLimits: Array<number | undefined> = [];

function limitHere(): number {
  for (let i = declaredLimits.length - 1; i >= 0; i--) {
    if (declaredLimits[i] !== undefined) return declaredLimits[i]!;
  }
  return limitMs;
}

/**
 * Calls `declare` from the declaring file's own line. node:test reports a test's location as that
 * of whoever called `test()`; from a wrapper that would be this file for every test. The stack is
 * source-mapped by tsx, so the location is the .ts line (without this, the compiled one).
 */
function declareFromCaller(declare: Declare, args: unknown[], wrapper: Declare): unknown {
  const site: { stack?: string } = {};
  Error.captureStackTrace(site, wrapper);
  const at = /\(?([^\s()]+):(\d+):(\d+)\)?$/m.exec(site.stack?.split('\n')[1] ?? '');
  if (!at) return declare(...args);
  const file = at[1]!.startsWith('file:') ? fileURLToPath(at[1]!) : at[1]!;
  const call = compileFunction(`return (\n${' '.repeat(Number(at[3]) - 1)}declare(...args))`, ['declare', 'args'], {
    filename: file,
    lineOffset: Number(at[2]) - 2,
  });
  return call(declare, args) as unknown;
}

const isOptions = (a: unknown): a is Options => typeof a === 'object' && a !== null;

/** Test and hook bodies that started and have not settled: one left when the file's tests end hung. */
let unsettled = 0;

/** A test or hook body, counted in `unsettled` while it runs. Its `length` is kept: node:test reads `(t, done)` as callback style. */
function counted(body: unknown): unknown {
  if (typeof body !== 'function') return body;
  const fn = body as Declare;
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    unsettled++;
    let result: unknown;
    try {
      result = fn.apply(this, args);
    } catch (err) {
      unsettled--;
      throw err;
    }
    if (result instanceof Promise) {
      return result.finally(() => {
        unsettled--;
      });
    }
    unsettled--;
    return result;
  };
  return Object.defineProperty(wrapped, 'length', { value: fn.length });
}

/** `(name?, options?, fn?)` with `timeout` in the options unless the caller gave one. */
function withTestLimit(given: unknown[]): unknown[] {
  const args = given.map(counted);
  const at = args.findIndex(isOptions);
  if (at >= 0) {
    const options = args[at] as Options;
    if (options.timeout !== undefined) return args;
    return args.map((a, i) => (i === at ? { ...options, timeout: limitHere() } : a));
  }
  const afterName = typeof args[0] === 'string' ? 1 : 0;
  return [...args.slice(0, afterName), { timeout: limitHere() }, ...args.slice(afterName)];
}

/** A test-declaring function (and its .skip/.only/.todo) that adds the limit. */
function limitTests(original: Declare & Record<string, Declare>): Declare {
  const wrap = (fn: Declare): Declare =>
    function declareTest(...args) {
      return declareFromCaller(fn, withTestLimit(args), declareTest);
    };
  return Object.assign(wrap(original), {
    skip: wrap(original.skip!),
    only: wrap(original.only!),
    todo: wrap(original.todo!),
  });
}

/** A describe (and its .skip/.only/.todo) that records its own `timeout` while its body declares. */
function trackSuites(original: Declare & Record<string, Declare>): Declare {
  const wrap = (fn: Declare): Declare =>
    function declareSuite(...args) {
      const options = args.find(isOptions);
      const tracked = args.map((a) =>
        typeof a === 'function'
          ? function (this: unknown, ...body: unknown[]) {
              declaredLimits.push(options?.timeout);
              try {
                return (a as Declare).apply(this, body);
              } finally {
                declaredLimits.pop();
              }
            }
          : a,
      );
      return declareFromCaller(fn, tracked, declareSuite);
    };
  return Object.assign(wrap(original), {
    skip: wrap(original.skip!),
    only: wrap(original.only!),
    todo: wrap(original.todo!),
  });
}

/** A hook `(fn, options?)` with `timeout` in the options unless the caller gave one. */
function limitHook(original: Declare): Declare {
  return function declareHook(fn, options) {
    const limited = isOptions(options) && options.timeout !== undefined ? options : { ...(isOptions(options) ? options : {}), timeout: limitHere() };
    return declareFromCaller(original, [counted(fn), limited], declareHook);
  };
}

const replaced: Partial<Record<keyof typeof NodeTest, Declare>> = {
  test: limitTests(nodeTest.test!),
  it: limitTests(nodeTest.it!),
  describe: trackSuites(nodeTest.describe!),
  suite: trackSuites(nodeTest.suite!),
  before: limitHook(nodeTest.before!),
  after: limitHook(nodeTest.after!),
  beforeEach: limitHook(nodeTest.beforeEach!),
  afterEach: limitHook(nodeTest.afterEach!),
};
// A test or hook that ran out of time may have left sockets or timers open, which would keep the
// file's process alive until the file's own limit. So once the file's tests are done, a process
// with a body still unsettled exits 2 s later; a file whose bodies all settled ends as it would.
// (Not `--test-force-exit`: on Node 20 it sometimes ended a file before all its tests had run,
// and the run reported fewer tests, all passed.)
nodeTest.after!(() => {
  if (unsettled > 0) setTimeout(() => process.exit(), 2_000).unref();
});

Object.assign(nodeTest, replaced);
syncBuiltinESMExports();
