// TestScope without a server: a test cut short while its app connects or loads leaves no app
// behind, and the cleanup's app unloads share its one deadline.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { App, EventListener } from '../../src/core';
import { TestScope, type AppLoader, type ConnectedServer, type TestServer } from '../../src/core/testing/context';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A pair whose listener only hands out event subscriptions: enough for loadApp. */
const PAIR = { client: {}, listener: { onDidReceiveEvent: () => ({ dispose: () => undefined }) } as unknown as EventListener } as ConnectedServer;

/** A server whose connect resolves when the test says; `current` stays empty, so the cleanup has no calls to hang up. */
function slowServer(): { server: TestServer; connected: Deferred<ConnectedServer> } {
  const connected = deferred<ConnectedServer>();
  return { server: { connect: () => connected.promise, current: undefined }, connected };
}

function recordingLoader(load: (id: string) => Promise<void> = async () => undefined, unload: (id: string) => Promise<void> = async () => undefined): AppLoader & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    load: (_app, id) => {
      log.push(`load ${id}`);
      return load(id);
    },
    unload: (id) => {
      log.push(`unload ${id}`);
      return unload(id);
    },
  };
}

const APP = { name: 'late', on: {} } as App;

test('loadApp: a test that ended while the run connected loads no app', async () => {
  const { server, connected } = slowServer();
  const loader = recordingLoader();
  const scope = new TestScope('t', server, 'r1_1', loader);
  const loading = scope.loadApp(APP);
  assert.deepEqual(await scope.cleanup(100), []);
  connected.resolve(PAIR);
  await assert.rejects(loading, /the test already ended: app late not loaded/);
  assert.deepEqual(loader.log, []);
});

test('loadApp: a test that ended while its app loaded unloads it', async () => {
  const { server, connected } = slowServer();
  connected.resolve(PAIR);
  const loaded = deferred<void>();
  const loader = recordingLoader(() => loaded.promise);
  const scope = new TestScope('t', server, 'r1_1', loader);
  const loading = scope.loadApp(APP);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(loader.log, ['load late']);
  assert.deepEqual(await scope.cleanup(100), []);
  loaded.resolve();
  await assert.rejects(loading, /the test already ended/);
  assert.deepEqual(loader.log, ['load late', 'unload late']);
});

test('cleanup: apps whose unload never answers share the one deadline', async () => {
  const { server, connected } = slowServer();
  connected.resolve(PAIR);
  const loader = recordingLoader(undefined, () => new Promise<void>(() => undefined));
  const scope = new TestScope('t', server, 'r1_1', loader);
  for (const id of ['a', 'b', 'c']) await scope.loadApp(APP, { id });
  const t0 = performance.now();
  const problems = await scope.cleanup(300);
  const ms = performance.now() - t0;
  assert.ok(ms < 600, `the cleanup took ${Math.round(ms)} ms for a limit of 300`);
  assert.deepEqual(loader.log.filter((l) => l.startsWith('unload')), ['unload c', 'unload b', 'unload a']);
  assert.equal(problems.length, 3);
  assert.match(problems[0]!, /unloading app c: no answer within the cleanup's time/);
});
