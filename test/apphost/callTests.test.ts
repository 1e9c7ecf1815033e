// `fsdev test` end to end: the built CLI forks the built test host, which runs call test files
// against the test ESL server. Exit codes, the report, the JUnit file, cleanup and the wall time.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RunServer } from '../../src/apphost/testing/runner';
import { TestHostRun } from '../../src/apphost/testing/testHostClient';
import { Client } from '../../src/core';
import { hangupTestCalls } from '../../src/core/testing/context';
import { CANCELLED_RUN_MAX_MS, type TestFinished, type TestHostToParent } from '../../src/shared/protocol/testHost';
import { TestEslServer } from '../server/eslServer';
import { until } from '../support/wait';
import { appDir, buildHost } from './support';

const PASSWORD = 'ClueCon';

interface CliResult {
  code: number | null;
  out: string;
}

function runCli(cliScript: string, cwd: string, args: string[], timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliScript, 'test', ...args], { cwd, env: { ...process.env, FREESWITCH_PASSWORD: PASSWORD }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`fsdev test did not finish within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

const ECHO_TESTS = `import { callTest, expect, beforeEach, afterEach } from 'freeswitch-dev/test';

const order: string[] = [];
beforeEach(({ testName }) => { order.push('before ' + testName); });
afterEach(() => { order.push('after'); });

callTest('echo answers and returns my digits', async ({ originate }) => {
  const call = await originate('9196', { endpoint: 'loopback', app: 'park' });
  await expect(call).toBeAnswered({ within: 2000 });
  // The b leg runs echo (it reads no DTMF); digits sent out of it reach the a leg, which parks and reads them.
  await call.sessions[1].sendDtmf('1234');
  await expect(call.sessions[0]).toReceiveDtmf('1234', { within: 3000 });
  await call.hangup();
  await expect(call).toHaveEnded({ cause: 'NORMAL_CLEARING' });
});

callTest('hooks ran around the first test', async () => {
  expect(order).toEqual(['before echo answers and returns my digits', 'after', 'before hooks ran around the first test']);
});

callTest('a wrong cause fails with expected and actual', async ({ originate }) => {
  const call = await originate('9196', { endpoint: 'loopback', app: 'park' });
  await expect(call).toBeAnswered({ within: 2000 });
  await call.hangup('USER_BUSY');
  await expect(call).toHaveEnded({ cause: 'NORMAL_CLEARING' });
});

callTest.skip('not yet', async () => {});
`;

const APP = `import { defineApp } from 'freeswitch-dev';
export default defineApp({
  name: 'busy',
  on: { CHANNEL_PARK: async (session) => { if (session.direction === 'inbound') await session.hangup('USER_BUSY'); } },
});
`;

const APP_TESTS = `import { callTest, expect, useApp } from 'freeswitch-dev/test';
import busyApp from './busy';

const byObject = useApp(busyApp, { id: 'busy-object' });
const byPath = useApp('./busy.ts', { id: 'busy-path' });

for (const fixture of [byObject, byPath]) {
  callTest('the app hangs up busy: ' + fixture.id, async ({ originate }) => {
    const call = await originate('1000', { endpoint: { kind: 'loopback', context: 'park' }, app: 'park', appId: fixture.id });
    await expect(call).toHaveEnded({ cause: 'USER_BUSY', within: 3000 });
  });
}
`;

/** Every way a test can go wrong, each leaving calls up for the cleanup to find. */
const ALL_FAIL = `import { callTest, expect, afterEach, describe } from 'freeswitch-dev/test';

callTest('throws with two calls up', async ({ originate }) => {
  await originate('9196', { endpoint: 'loopback', app: 'park' });
  await originate('9664', { endpoint: 'loopback', app: 'park' });
  throw new Error('boom');
});

callTest('times out with a call up', async ({ originate }) => {
  await originate('9196', { endpoint: 'loopback', app: 'park' });
  await new Promise(() => undefined);
}, { timeout: 300 });

callTest('an expectation fails', async ({ originate }) => {
  const call = await originate('9196', { endpoint: 'loopback', app: 'park' });
  await expect(call).toHaveEnded({ within: 200 });
});

callTest('a call to nowhere', async ({ originate }) => {
  await originate('no-such-extension', { endpoint: 'loopback', app: 'park' });
});

describe('a failing hook', () => {
  afterEach(() => { throw new Error('afterEach broke'); });
  callTest('passes but its hook throws', async ({ originate }) => {
    await originate('9196', { endpoint: 'loopback', app: 'park' });
  });
});
`;

/** Hooks that never finish: each fails its test naming the hook, and the run goes on. */
const HANGING_HOOKS = `import { callTest, afterEach, beforeEach, describe } from 'freeswitch-dev/test';

describe('a hanging afterEach', () => {
  afterEach(() => new Promise<void>(() => undefined));
  callTest('leaves a call up for the cleanup', async ({ originate }) => {
    await originate('9196', { endpoint: 'loopback', app: 'park' });
  }, { timeout: 400 });
});

describe('a hanging beforeEach', () => {
  beforeEach(() => new Promise<void>(() => undefined));
  callTest('never gets to run', async () => undefined, { timeout: 400 });
});

callTest('the run went on', async () => undefined);
`;

const CALL = '11111111-2222-4333-8444-555555555555';

/** A hand-made recording: a parked inbound call that the app answers. */
function answerRecording(): string {
  const event = (t: number, name: string, answerState: string): string =>
    JSON.stringify({ t, kind: 'event', event: { 'Event-Name': name, 'Unique-ID': CALL, 'Call-Direction': 'inbound', 'Channel-Name': 'loopback/1000-b', 'Answer-State': answerState, variable_fsdev_app_id: 'answerer' } });
  return `${[
    JSON.stringify({ fsrec: 1, freeswitchVersion: 'FreeSWITCH Version 1.10.12-release', switchname: 'fs-dev', eventFormat: 'json', startedAt: '2026-11-01T00:00:00.000Z', source: 'hand-made', limits: { maxBytes: 1_000_000, maxMs: 60_000 } }),
    event(1, 'CHANNEL_CREATE', 'ringing'),
    event(2, 'CHANNEL_PARK', 'ringing'),
    JSON.stringify({ t: 3, kind: 'command', id: 1, command: `api uuid_answer ${CALL}`, from: 'apps' }),
    JSON.stringify({ t: 4, kind: 'reply', id: 1, contentType: 'api/response', replyText: '', body: '+OK\n' }),
    event(5, 'CHANNEL_ANSWER', 'answered'),
    JSON.stringify({ t: 6, kind: 'end', reason: 'stopped', frames: 5 }),
  ].join('\n')}\n`;
}

/** A replay (no server) and a test that calls (needs one). */
const OFFLINE = `import { callTest, expect, replay } from 'freeswitch-dev/test';
import { defineApp } from 'freeswitch-dev';

const answerer = defineApp({ name: 'answerer', on: { CHANNEL_PARK: async (session) => { await session.answer(); } } });

callTest('a replay needs no server', async () => {
  const result = await replay('offline/answer.fsrec.jsonl', answerer);
  expect(result.errors).toEqual([]);
  expect(result.actions.map((a) => a.command)).toEqual(['uuid_answer ${CALL}']);
});

callTest('a test that calls needs the server', async ({ originate }) => {
  await originate('9196', { endpoint: 'loopback', app: 'park' });
});
`;

/** A test that holds a call up and never ends by itself: only a cancel stops it. */
const STUCK = `import { callTest } from 'freeswitch-dev/test';

callTest('waits forever with a call up', async ({ originate }) => {
  await originate('9196', { endpoint: 'loopback', app: 'park' });
  await new Promise(() => undefined);
}, { timeout: 120_000 });
`;

/** The same, stuck in a synchronous loop: the host cannot act on a cancel, it has to be killed. */
const SPINNING = `import { callTest } from 'freeswitch-dev/test';

callTest('spins with a call up', async ({ originate }) => {
  await originate('9196', { endpoint: 'loopback', app: 'park' });
  // Written to the IPC pipe at once (a small message): the parent hears it with the loop running.
  console.log('spinning');
  for (;;);
}, { timeout: 120_000 });
`;

/** The stuck test again, with an app fixture whose teardown never ends: a cancel still ends the run in time. */
const STUCK_TEARDOWN = `import { callTest, useApp } from 'freeswitch-dev/test';
import { defineApp } from 'freeswitch-dev';

useApp(defineApp({ name: 'sticky', on: { CHANNEL_PARK: () => undefined }, teardown: () => new Promise<void>(() => undefined) }), { id: 'sticky' });

callTest('waits forever with a call up, beside an app that never tears down', async ({ originate }) => {
  await originate('9196', { endpoint: 'loopback', app: 'park' });
  await new Promise(() => undefined);
}, { timeout: 120_000 });
`;

/** An afterEach that hangs, under a short limit of its own: a cancel must not lengthen it. */
const SHORT_HOOK = `import { callTest, afterEach } from 'freeswitch-dev/test';

afterEach(async () => {
  console.log('hook running');
  await new Promise(() => undefined);
});

callTest('passes, its hook hangs', async () => undefined, { timeout: 300 });
`;

/** A port nothing listens on (it was just free). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('fsdev test against the test ESL server', () => {
  let server: TestEslServer;
  let cliScript: string;
  let dir: string;

  before(async () => {
    server = new TestEslServer({ password: PASSWORD, channelTableLag: 150 });
    await server.start();
    ({ cliScript } = await buildHost());
    const apps = appDir();
    dir = apps.dir;
    mkdirSync(join(dir, 'fsapps'));
    apps.write('fsapps/echo.calltest.ts', ECHO_TESTS);
    apps.write('fsapps/busy.ts', APP);
    apps.write('fsapps/busyApp.calltest.ts', APP_TESTS);
    mkdirSync(join(dir, 'failing'));
    apps.write('failing/allFail.calltest.ts', ALL_FAIL);
    apps.write('failing/hooks.calltest.ts', HANGING_HOOKS);
    mkdirSync(join(dir, 'offline'));
    apps.write('offline/offline.calltest.ts', OFFLINE);
    apps.write('offline/answer.fsrec.jsonl', answerRecording());
    mkdirSync(join(dir, 'stuck'));
    apps.write('stuck/stuck.calltest.ts', STUCK);
    apps.write('stuck/spinning.calltest.ts', SPINNING);
    apps.write('stuck/teardown.calltest.ts', STUCK_TEARDOWN);
    apps.write('stuck/shortHook.calltest.ts', SHORT_HOOK);
    apps.write('failing/broken.calltest.ts', `import { callTest } from 'freeswitch-dev/test';\ncallTest('x', async () => {\n  const a = ;\n});\n`);
  });

  after(async () => {
    await server.stop();
  });

  test('runs the default glob: passes, fails with expected/actual and the call, writes JUnit, exits 1', async () => {
    const result = await runCli(cliScript, dir, ['--server', `127.0.0.1:${server.port}`, '--reporter', 'junit', '--out', 'results.xml']);
    assert.equal(result.code, 1, result.out);
    assert.match(result.out, /✔ echo answers and returns my digits \(\d+ ms\)/);
    assert.match(result.out, /✔ hooks ran around the first test/);
    assert.match(result.out, /✔ the app hangs up busy: busy-object/);
    assert.match(result.out, /✔ the app hangs up busy: busy-path/);
    assert.match(result.out, /✖ a wrong cause fails with expected and actual/);
    assert.match(result.out, /expected: NORMAL_CLEARING\n\s+actual: {3}USER_BUSY\n\s+at fsapps\/echo\.calltest\.ts:25:\d+/);
    // The call's last events, whichever came last (CALL_UPDATE may be among them), end with its hangup.
    assert.match(result.out, /last events of call .* when it failed:\n(?: {6}[A-Z_]+ .*\n)* {6}CHANNEL_HANGUP_COMPLETE USER_BUSY/);
    assert.match(result.out, /- not yet \(skipped\)/);
    assert.match(result.out, /^4 passed, 1 failed, 1 skipped$/m);
    assert.match(result.out, /wall time .*; 0 session\(s\) left on the server/);
    const xml = readFileSync(join(dir, 'results.xml'), 'utf8');
    assert.match(xml, /<testsuites name="fsdev call tests" tests="6" failures="1" errors="0" skipped="1">/);
    assert.match(xml, /<testcase classname="fsapps\/echo.calltest.ts" name="a wrong cause fails with expected and actual"[^>]*>\s*<failure message="expected call 9196 \([0-9a-f]+\) to end with NORMAL_CLEARING, but it ended with USER_BUSY" type="ExpectationFailed">/);
    await server.whenIdle();
  });

  test('every test fails or throws: each is reported and the server is left with 0 calls', async () => {
    const result = await runCli(cliScript, dir, ['failing/allFail.calltest.ts', '--server', `127.0.0.1:${server.port}`]);
    assert.equal(result.code, 1, result.out);
    assert.match(result.out, /✖ throws with two calls up[\s\S]*boom/);
    assert.match(result.out, /✖ times out with a call up[\s\S]*time limit of 300 ms[\s\S]*at failing\/allFail\.calltest\.ts:9:1/);
    assert.match(result.out, /✖ an expectation fails[\s\S]*expected call 9196 \([0-9a-f]+\) to end within 200 ms/);
    assert.match(result.out, /✖ a call to nowhere[\s\S]*NO_ROUTE_DESTINATION|✖ a call to nowhere[\s\S]*UNALLOCATED_NUMBER/);
    assert.match(result.out, /✖ a failing hook › passes but its hook throws[\s\S]*afterEach broke/);
    assert.match(result.out, /^0 passed, 5 failed, 0 skipped$/m);
    assert.match(result.out, /0 session\(s\) left on the server/);
    // The server's own view, once its channel table caught up: nothing left.
    server.syncChannelTable();
    assert.deepEqual(server.channels, []);
  });

  test('hooks run under a time limit: one that never finishes fails its test naming it, and the calls are still hung up', async () => {
    const result = await runCli(cliScript, dir, ['failing/hooks.calltest.ts', '--server', `127.0.0.1:${server.port}`], 20_000);
    assert.equal(result.code, 1, result.out);
    assert.match(result.out, /✖ a hanging afterEach › leaves a call up for the cleanup[\s\S]*afterEach hook of "a hanging afterEach" \(line 4\) did not finish within its time limit of 400 ms[\s\S]*at failing\/hooks\.calltest\.ts:4:/);
    assert.match(result.out, /✖ a hanging beforeEach › never gets to run[\s\S]*beforeEach hook of "a hanging beforeEach" \(line 11\) did not finish within the test's time limit of 400 ms/);
    assert.match(result.out, /✔ the run went on/);
    assert.match(result.out, /^1 passed, 2 failed, 0 skipped$/m);
    assert.match(result.out, /0 session\(s\) left on the server/);
    server.syncChannelTable();
    assert.deepEqual(server.channels, []);
  });

  test('no server: a replay test runs and passes, a test that calls fails with the connection error', async () => {
    const port = await closedPort();
    const result = await runCli(cliScript, dir, ['offline/offline.calltest.ts', '--server', `127.0.0.1:${port}`], 20_000);
    assert.equal(result.code, 1, result.out);
    assert.match(result.out, /✔ a replay needs no server/);
    assert.match(result.out, new RegExp(`✖ a test that calls needs the server[\\s\\S]*cannot connect to FreeSWITCH at 127\\.0\\.0\\.1:${port}: connection refused`));
    assert.match(result.out, /^1 passed, 1 failed, 0 skipped$/m);
  });

  test('a run without a server (the Test Explorer\'s "Run (no server)"): the replay passes, a test that calls says it needs one', async () => {
    const finished = new Map<string, TestFinished>();
    const host = new TestHostRun({
      run: { files: [join(dir, 'offline/offline.calltest.ts')], timeoutMs: 5_000, debug: false },
      hostScript: join(dirname(cliScript), 'testhost.js'),
      cwd: dir,
      onMessage: (m: TestHostToParent) => {
        if (m.kind === 'testFinished') finished.set(m.id.split('::')[1]!, m);
      },
    });
    const summary = await host.done;
    assert.deepEqual({ passed: summary.passed, failed: summary.failed }, { passed: 1, failed: 1 });
    assert.equal(finished.get('a replay needs no server')?.status, 'passed');
    assert.match(finished.get('a test that calls needs the server')?.failure?.message ?? '', /needs a FreeSWITCH server, and the run has none/);
  });

  /** Starts `file`, whose test holds a call up and never ends, and cancels it once the call is up. */
  async function cancelStuck(file: string): Promise<{ host: TestHostRun; ms: number }> {
    const started = new Set<string>();
    const host = new TestHostRun({
      run: { connection: { host: '127.0.0.1', port: server.port, password: PASSWORD }, files: [join(dir, file)], timeoutMs: 120_000, debug: false },
      hostScript: join(dirname(cliScript), 'testhost.js'),
      cwd: dir,
      onMessage: (m: TestHostToParent) => {
        if (m.kind === 'testStarted') started.add(m.id);
      },
    });
    await until(() => started.size === 1 && server.channels.length === 2, 'the stuck test has its call up', 10_000);
    const t0 = performance.now();
    const stopped = await host.stop();
    const ms = performance.now() - t0;
    assert.deepEqual(stopped, { killed: false, tags: [] });
    assert.ok(ms < CANCELLED_RUN_MAX_MS, `the host ended ${Math.round(ms)} ms after the cancel`);
    return { host, ms };
  }

  test('cancel: the host cuts the running test short, hangs up its calls and ends, in time', async () => {
    const { host, ms } = await cancelStuck('stuck/stuck.calltest.ts');
    const summary = await host.done;
    assert.deepEqual({ skipped: summary.skipped, failed: summary.failed, leftoverSessions: summary.leftoverSessions }, { skipped: 1, failed: 0, leftoverSessions: 0 });
    server.syncChannelTable();
    assert.deepEqual(server.channels, []);
    console.log(`# cancel of a test with a call up: host ended and hung up in ${Math.round(ms)} ms`);
  });

  test('cancel: an app fixture whose teardown never ends does not hold the run past its promise', async () => {
    const { host } = await cancelStuck('stuck/teardown.calltest.ts');
    assert.equal((await host.done).skipped, 1);
    server.syncChannelTable();
    assert.deepEqual(server.channels, []);
  });

  test('cancel: an afterEach with less of its own limit left than the grace keeps its own limit', async () => {
    let cancelledAt: number | undefined;
    let finished: { at: number; message: TestFinished } | undefined;
    const host = new TestHostRun({
      run: { files: [join(dir, 'stuck/shortHook.calltest.ts')], timeoutMs: 120_000, debug: false },
      hostScript: join(dirname(cliScript), 'testhost.js'),
      cwd: dir,
      onMessage: (m: TestHostToParent) => {
        if (m.kind === 'output' && m.text.includes('hook running') && cancelledAt === undefined) {
          cancelledAt = performance.now();
          host.cancel();
        }
        if (m.kind === 'testFinished') finished = { at: performance.now(), message: m };
      },
    });
    await host.done;
    assert.ok(cancelledAt !== undefined && finished, 'the hook ran and the test finished');
    const ms = finished.at - cancelledAt;
    assert.ok(ms < 1_000, `the hook was cut off ${Math.round(ms)} ms after the cancel, its own limit being 300 ms`);
    assert.match(finished.message.failure?.message ?? '', /afterEach hook \(line 3\) did not finish within its time limit of 300 ms/);
  });

  test('a connect still in flight when the run ends closes what it opens', async () => {
    // A proxy that holds connections until released, so the run's connect is in flight at dispose.
    const held: Socket[] = [];
    const open = new Set<Socket>();
    let released = false;
    const pipe = (socket: Socket): void => {
      const upstream = netConnect(server.port, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
      upstream.on('close', () => socket.destroy());
    };
    const proxy = createServer((socket) => {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      if (released) pipe(socket);
      else held.push(socket);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = proxy.address() as { port: number };
      const run = new RunServer({ host: '127.0.0.1', port, password: PASSWORD });
      const connecting = run.connect();
      connecting.catch(() => undefined);
      await until(() => held.length === 1, 'the run started to connect');
      await run.dispose();
      released = true;
      for (const socket of held.splice(0)) pipe(socket);
      await assert.rejects(connecting, /the run ended while it connected/);
      await until(() => open.size === 0, 'the late connection pair closed', 5_000);
    } finally {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });

  test('cancel of a host stuck in a loop: it is killed, and the calls of its test are hung up by their tag', async () => {
    let spinning = false;
    const host = new TestHostRun({
      run: { connection: { host: '127.0.0.1', port: server.port, password: PASSWORD }, files: [join(dir, 'stuck/spinning.calltest.ts')], timeoutMs: 120_000, debug: false },
      hostScript: join(dirname(cliScript), 'testhost.js'),
      cwd: dir,
      onMessage: (m: TestHostToParent) => {
        if (m.kind === 'output' && m.text.includes('spinning')) spinning = true;
      },
    });
    await until(() => spinning, 'the test spins with its call up', 10_000);
    const stopped = await host.stop(500);
    assert.equal(stopped.killed, true);
    assert.equal(stopped.tags.length, 1);
    await assert.rejects(host.done, /exited/);
    // The host is gone; its calls are not: hang them up from here, as the Test Explorer does.
    server.syncChannelTable();
    assert.equal(server.channels.length, 2);
    const client = new Client({ host: '127.0.0.1', port: server.port, password: PASSWORD });
    await client.connect();
    try {
      assert.deepEqual(await hangupTestCalls(client, stopped.tags), []);
    } finally {
      await client.disconnect();
      client.dispose();
    }
    await server.whenIdle();
    server.syncChannelTable();
    assert.deepEqual(server.channels, []);
  });

  test('a file that does not compile is an error at its line, and the exit code says so', async () => {
    const result = await runCli(cliScript, dir, ['failing/broken.calltest.ts', '--server', `127.0.0.1:${server.port}`]);
    assert.equal(result.code, 1, result.out);
    assert.match(result.out, /✖ failing\/broken\.calltest\.ts: does not compile/);
    assert.match(result.out, /failing\/broken\.calltest\.ts:3:\d+: Unexpected ";"/);
  });

  test('50 call tests: wall time printed', async () => {
    const apps = appDir();
    const body = Array.from(
      { length: 50 },
      (_, i) => `callTest('call ${i}', async ({ originate }) => {
  const call = await originate('9196', { endpoint: 'loopback', app: 'park' });
  await expect(call).toBeAnswered({ within: 2000 });
  await call.hangup();
  await expect(call).toHaveEnded({ cause: 'NORMAL_CLEARING' });
});`,
    ).join('\n');
    apps.write('fifty.calltest.ts', `import { callTest, expect } from 'freeswitch-dev/test';\n${body}\n`);
    const started = performance.now();
    const run = await runCli(cliScript, apps.dir, ['fifty.calltest.ts', '--server', `127.0.0.1:${server.port}`], 120_000);
    assert.equal(run.code, 0, run.out);
    assert.match(run.out, /^50 passed, 0 failed, 0 skipped$/m);
    const wall = /wall time ([\d.]+ m?s)/.exec(run.out)?.[1];
    console.log(`# 50 call tests against the test server: wall time ${wall} (the run, in the test host); ${Math.round(performance.now() - started)} ms with process start and bundling`);
  });
});
