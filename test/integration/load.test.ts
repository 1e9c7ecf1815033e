import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { LOAD_RUN_VAR, Originator, ServerPool, type CallRecord, type OriginatorOptions, type PoolServerOptions } from '../../src/core';
import { runLoad, type LoadIo } from '../../src/apphost/loadCommand';
import { savedRunState } from '../../src/extension/load/loadTestModel';
import { TestEslServer, type TestEslServerOptions } from '../server/eslServer';
import { farEndMix } from '../server/farEnd';
import { until } from '../support/wait';

// The load-testing core and `fsdev load` against the test ESL server: real sockets, real timing.

const PASSWORD = 'ClueCon';
const LOAD = { kind: 'loopback', context: 'load' } as const;

async function startServer(options: TestEslServerOptions = {}): Promise<TestEslServer> {
  const server = new TestEslServer({ password: PASSWORD, heartbeatMs: 0, ...options });
  await server.start();
  return server;
}

/** a-legs of a run that the server has up now (not hung up): its own count of the run's calls. */
function runCalls(server: TestEslServer, runId: string): number {
  return server.channels.filter((c) => c.direction === 'outbound' && c.hangupCause === undefined && c.variables[LOAD_RUN_VAR] === runId).length;
}

/**
 * Test servers and a pool over them for one test, torn down when it ends, passed or failed: a
 * failed assertion must not leave sockets that hold the file open until its time limit.
 */
async function poolOver(
  t: TestContext,
  members: ReadonlyArray<{ name: string; server?: TestEslServerOptions; reconnect?: PoolServerOptions['reconnect'] }>,
): Promise<{ servers: TestEslServer[]; pool: ServerPool }> {
  const servers = await Promise.all(members.map((m) => startServer(m.server)));
  const pool = new ServerPool(members.map((m, i) => ({ name: m.name, host: '127.0.0.1', port: servers[i]!.port, password: PASSWORD, reconnect: m.reconnect })));
  t.after(async () => {
    await pool.disconnect();
    pool.dispose();
    await Promise.all(servers.map((s) => s.stop()));
  });
  await pool.connect();
  return { servers, pool };
}

/** An originator over the pool, disposed when the test ends (its pacing timers with it). */
function run(t: TestContext, pool: ServerPool, options: Partial<OriginatorOptions>): { o: Originator; ended: CallRecord[] } {
  const o = new Originator(pool, { rate: 50, limit: 100, durationMs: 100, targets: { destination: '9664', endpoint: LOAD }, ...options });
  t.after(() => o.dispose());
  const ended: CallRecord[] = [];
  o.onDidEndCall((r) => ended.push(r));
  return { o, ended };
}

describe('load testing against the test server', () => {
  let server: TestEslServer;
  let pool: ServerPool;

  before(async () => {
    server = await startServer();
    pool = new ServerPool([{ name: 'fs1', host: '127.0.0.1', port: server.port, password: PASSWORD }]);
    await pool.connect();
  });

  after(async () => {
    await pool.disconnect();
    pool.dispose();
    await server.stop();
  });

  test('offers at the rate: the server receives originate n at n/rate, and every call is measured', async (t) => {
    const received: number[] = [];
    const off = server.onCommand((c) => {
      if (c.line.startsWith('bgapi originate')) received.push(performance.now());
    });
    const { o, ended } = run(t, pool, { rate: 100, maxOffered: 100, durationMs: 50 });
    o.start();
    await o.whenStopped();
    off();
    const s = o.summary();
    assert.equal(s.offered, 100);
    assert.equal(s.offeredCps, 100);
    assert.equal(s.answered, 100);
    assert.equal(s.asr, 1);
    assert.equal(s.notOffered, 0);
    assert.equal(received.length, 100);
    // The schedule: call n is due at start + n × 10 ms, exactly (no drift from timer gaps).
    const byIndex = [...ended].sort((x, y) => x.index - y.index);
    const start = byIndex[0]!.dueMs;
    assert.ok(byIndex.every((c, n) => c.index === n && Math.abs(c.dueMs - (start + n * 10)) < 0.001), 'due at start + n/rate');
    // The server got each at its time, not in bursts and not drifting: measured from the schedule
    // laid on its earliest arrival, the median originate is near it. Once-a-second bursts put the
    // median ~500 ms behind, a 1 ms drift per call ~50 ms; a machine busy with other suites delays
    // most timers by a few ms, and a median does not count a single stall.
    const base = Math.min(...received.map((at, n) => at - n * 10));
    const lags = received.map((at, n) => at - n * 10 - base).sort((x, y) => x - y);
    const lag = lags[Math.floor(lags.length / 2)]!;
    assert.ok(lag < 25, `received ${lag.toFixed(2)} ms behind the schedule (median)`);
    const r = ended[0]!;
    assert.equal(r.outcome, 'answered');
    assert.equal(r.hangupBy, 'duration');
    assert.equal(r.hangupCause, 'NORMAL_CLEARING');
    for (const k of ['jobMs', 'legACreatedMs', 'legBCreatedMs', 'answeredMs', 'legBAnsweredMs', 'hangupMs', 'setupMs', 'durationMs'] as const) assert.ok(r[k] !== undefined, `${k} recorded`);
    // Held 50 ms from the answer; a machine busy with other suites may fire a few timers late.
    assert.ok(ended.every((c) => c.durationMs! >= 45), 'no call shorter than its hold');
    assert.ok(s.latency.duration.p50 >= 45 && s.latency.duration.p50 < 100, `held ${s.latency.duration.p50} ms (median)`);
    assert.equal(s.latency.setup.count, 100);
    assert.ok(s.latency.setup.p50 > 0);
  });

  test('never exceeds the limit, counted on the server; the rest is reported as not offered', async (t) => {
    const { o } = run(t, pool, { rate: 100, limit: 5, durationMs: 200, runTimeMs: 1000 });
    let max = 0;
    const off = server.onCommand((c) => {
      if (c.line.startsWith('bgapi originate')) max = Math.max(max, runCalls(server, o.runId) + 1);
    });
    o.start();
    await o.whenStopped();
    off();
    const s = o.summary();
    assert.ok(max <= 5, `the server had ${max} of the run's calls at once`);
    assert.ok(s.notOfferedByReason.limit > 50, `${s.notOfferedByReason.limit} not offered for the limit`);
    assert.equal(s.due, s.offered + s.notOffered);
    assert.match(s.warnings[0]!, /NOT OFFERED/);
  });

  test('rate, limit and duration change live; pause, resume and stop', async (t) => {
    const { o, ended } = run(t, pool, { rate: 20, durationMs: 100 });
    const states: string[] = [];
    o.onDidChangeState(({ to }) => states.push(to));
    o.start();
    await until(() => o.summary().offered >= 5, '5 calls at 20/s');
    o.setRate(200);
    o.setDuration(300);
    const before = o.summary().offered;
    await until(() => o.summary().offered >= before + 40, '40 more at 200/s', 2000);
    o.pause();
    const paused = o.summary().offered;
    await until(() => ended.length >= paused - 2, 'the calls up end while paused', 3000);
    assert.equal(o.summary().offered, paused, 'nothing offered while paused');
    o.resume();
    await until(() => o.summary().offered >= paused + 10, 'offering again');
    o.setLimit(1);
    await o.stop();
    assert.deepEqual(states, ['originating', 'paused', 'originating', 'stopping', 'stopped']);
    assert.equal(runCalls(server, o.runId), 0);
    const late = ended.filter((r) => r.index > paused && r.durationMs !== undefined);
    // Held 300 ms from the answer; the answer and the hangup are switch times mapped onto ours, each to within a few ms.
    assert.ok(late.length > 0 && late.every((r) => r.durationMs! >= 290), `calls answered after the change are held 300 ms: ${late.map((r) => r.durationMs).join(' ')}`);
  });

  test('hupall hangs up this run’s calls and only them', async (t) => {
    const other = server.originateDirect('9664');
    const { o, ended } = run(t, pool, { rate: 100, durationMs: 60_000 });
    o.start();
    await until(() => ended.length === 0 && runCalls(server, o.runId) >= 10, '10 calls up');
    void o.stop();
    const replies = await o.hupall();
    assert.deepEqual(replies, [{ server: 'fs1', reply: `+OK hangup all channels matching [${LOAD_RUN_VAR}]=[${o.runId}] with cause: NORMAL_CLEARING` }]);
    await o.whenStopped();
    assert.equal(runCalls(server, o.runId), 0);
    assert.ok(ended.every((r) => r.hangupBy === 'hupall'));
    assert.ok(server.channels.some((c) => c.uuid === other), 'the call that is not the run’s is still up');
    await server.api(`uuid_kill ${other}`);
  });
});

describe('load testing: servers that refuse, fail and drop', () => {
  test('a pool counts calls, sessions and hangup causes per server and in total, and runs a command on every server', async (t) => {
    const { pool, } = await poolOver(t, [{ name: 'a' }, { name: 'b' }]);
    const { o } = run(t, pool, { rate: 100, maxOffered: 20, durationMs: 10 });
    o.start();
    await o.whenStopped();
    await until(() => pool.counts().total.sessions === 0, 'every leg gone');
    const counts = pool.counts();
    assert.deepEqual(
      counts.servers.map((c) => [c.server, c.status, c.callsCreated, c.sessionsCreated, c.failedSessions, c.hangupCauses]),
      [
        ['a', 'ready', 10, 20, 0, { NORMAL_CLEARING: 20 }],
        ['b', 'ready', 10, 20, 0, { NORMAL_CLEARING: 20 }],
      ],
    );
    assert.deepEqual(counts.total, { calls: 0, sessions: 0, callsCreated: 20, sessionsCreated: 40, failedSessions: 0, hangupCauses: { NORMAL_CLEARING: 40 } });
    const results = await pool.evalAll('global_getvar local_ip_v4');
    assert.deepEqual(results, [
      { server: 'a', ok: true, result: '127.0.0.1' },
      { server: 'b', ok: true, result: '127.0.0.1' },
    ]);
    const bad = await pool.evalAll('no_such_command');
    assert.ok(bad.every((r) => !r.ok && /Command not found/.test(r.error.message)));
  });

  test('calls refused by sessions-per-second are reported by cause, after a preflight that said so', async (t) => {
    // A tick of 11 tokens admits 10 sessions: 5 loopback calls a second.
    const { pool, } = await poolOver(t, [{ name: 'fs1', server: { sessionsPerSecond: 11 } }]);
    const { o } = run(t, pool, { rate: 20, maxOffered: 20, durationMs: 10 });
    const preflight = await o.preflight();
    assert.equal(preflight.ok, false);
    assert.deepEqual(preflight.servers[0]!.commands, ['fsctl sps 43']);
    o.start();
    await o.whenStopped();
    const s = o.summary();
    assert.ok(s.refusedByLimits >= 10, `${s.refusedByLimits} refused`);
    assert.equal(s.failuresByCause['DESTINATION_OUT_OF_ORDER'], s.refusedByLimits);
    assert.match(s.warnings.join('\n'), /sessions-per-second or max-sessions refused them, not the network/);
  });

  test('a failure mix by cause and ring time from the far end', async (t) => {
    const farEnd = farEndMix({ ringMs: 20, failures: { USER_BUSY: 0.25, CALL_REJECTED: 0.25 }, seed: 7 });
    const { pool, } = await poolOver(t, [{ name: 'fs1', server: { farEnd } }]);
    const { o, ended } = run(t, pool, { rate: 100, maxOffered: 40, durationMs: 10 });
    o.start();
    await o.whenStopped();
    const s = o.summary();
    assert.equal(s.answered + s.failed, 40);
    assert.ok((s.failuresByCause['USER_BUSY'] ?? 0) > 3 && (s.failuresByCause['CALL_REJECTED'] ?? 0) > 3, JSON.stringify(s.failuresByCause));
    assert.equal(s.refusedByLimits, 0);
    const answered = ended.filter((r) => r.outcome === 'answered');
    assert.ok(answered.every((r) => r.ringingMs !== undefined && r.setupMs! >= 20), 'rang 20 ms before the answer');
    assert.ok(answered.every((r) => r.pddMs! < r.setupMs!), 'post-dial delay ends at the ringing');
  });

  test('a server that drops mid-run: its calls fail CONNECTION_LOST, the other goes on, and it is used again once back', async (t) => {
    const { servers, pool, } = await poolOver(t, [{ name: 'a' }, { name: 'b', reconnect: { initialDelayMs: 50, maxDelayMs: 200 } }]);
    const [a, b] = servers as [TestEslServer, TestEslServer];
    const { o, ended } = run(t, pool, { rate: 100, durationMs: 2000 });
    const warnings: string[] = [];
    o.onDidWarn((w) => warnings.push(w));
    o.start();
    await until(() => runCalls(b, o.runId) >= 10, 'calls up on b');
    await b.stop();
    await until(() => warnings.some((w) => w.startsWith('b: connection lost')), 'the drop reported');
    const lost = ended.filter((r) => r.server === 'b');
    assert.ok(lost.length >= 10);
    assert.ok(lost.every((r) => r.hangupCause === 'CONNECTION_LOST' && r.hangupBy === 'connection'));
    const onA = runCalls(a, o.runId);
    await until(() => runCalls(a, o.runId) >= onA + 20, 'a takes every call meanwhile');
    await b.start();
    await until(() => warnings.some((w) => w.startsWith('b: connected again')), 'b back', 5000);
    await until(() => runCalls(b, o.runId) >= 5, 'calls offered to b again');
    void o.stop();
    await o.hupall();
    await o.whenStopped();
    const s = o.summary();
    assert.equal(s.failuresByCause['CONNECTION_LOST'] ?? 0, lost.filter((r) => r.outcome === 'failed').length);
    assert.equal(s.lost, lost.filter((r) => r.outcome === 'lost').length);
  });
});

describe('fsdev load', () => {
  let server: TestEslServer;
  let dir: string;

  before(async () => {
    server = await startServer();
    dir = mkdtempSync(join(tmpdir(), 'fsdev-load-'));
  });

  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function io(): LoadIo & { out: () => string; err: () => string } {
    let out = '';
    let err = '';
    return {
      stdout: { write: (t: string) => (out += t), isTTY: false },
      stderr: { write: (t: string) => (err += t) },
      env: { FREESWITCH_PASSWORD: PASSWORD },
      onSignal: () => () => undefined,
      progressEveryMs: 100,
      out: () => out,
      err: () => err,
    };
  }

  test('runs, prints progress and a summary, writes the records, and exits 99 on a broken threshold', async () => {
    const out = join(dir, 'run1');
    const term = io();
    const code = await runLoad(
      ['--server', `127.0.0.1:${server.port}`, '--rate', '50', '--max-offered', '25', '--duration', '50ms', '--endpoint', 'loopback/load', '--out', out, '--threshold', 'asr>=0.99', '--threshold', 'offered>25', '--run-id', 'cli-run'],
      term,
    );
    assert.equal(code, 99, term.err());
    const text = term.out();
    assert.match(text, /originating 50\/s up to 10 calls/);
    assert.match(text, /^originating +\d/m, 'a progress line');
    assert.match(text, /Load test cli-run: 25 calls offered in 0\.5 s at 50\/s/);
    assert.match(text, /ok +asr>=0\.99/);
    assert.match(text, /BROKEN offered>25 +\(25 vs 25\)/);
    assert.ok(text.includes(`report: ${join(out, 'report.html')}`), 'the report named at the end');
    const csv = readFileSync(join(out, 'calls.csv'), 'utf8').trim().split('\n');
    assert.equal(csv.length, 26);
    assert.match(csv[0]!, /^index,uuid,server,target,outcome/);
    const jsonl = readFileSync(join(out, 'calls.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as CallRecord);
    assert.equal(jsonl.length, 25);
    assert.ok(jsonl.every((r) => r.outcome === 'answered'));
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { runId: string; summary: { offered: number }; thresholds: { ok: boolean }[] };
    assert.equal(summary.runId, 'cli-run');
    assert.equal(summary.summary.offered, 25);
    assert.deepEqual(summary.thresholds.map((t) => t.ok), [true, false]);
    const report = readFileSync(join(out, 'report.html'), 'utf8');
    assert.match(report, /<title>Load test cli-run<\/title>/);
    assert.match(report, /<th scope="row">Offered<\/th><td>25<\/td>/);
  });

  test('its --out folder opens in the Load Test panel: charts, totals, thresholds, per-server table', async () => {
    const out = join(dir, 'run-for-panel');
    const term = io();
    const code = await runLoad(
      ['--server', `127.0.0.1:${server.port}`, '--rate', '20', '--max-offered', '30', '--duration', '50ms', '--dest', '9664*2', '--dest', '9196', '--endpoint', 'loopback/load', '--out', out, '--threshold', 'asr>=0.99', '--threshold', 'setup_p95<5s', '--run-id', 'cli-panel'],
      term,
    );
    assert.equal(code, 0, term.err());
    assert.match(term.out(), /ok +asr>=0\.99 +\(100 % vs 99 %\)/);
    assert.match(term.out(), /ok +setup_p95<5s +\([\d.]+ ms vs 5,000 ms\)/);
    const state = savedRunState(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')), out);
    assert.ok(!('error' in state), 'error' in state ? state.error : '');
    assert.equal(state.runId, 'cli-panel');
    assert.deepEqual(
      state.settings.targets.map((t) => [t.destination, t.endpoint, t.weight]),
      [
        ['9664', 'loopback/load', 2],
        ['9196', 'loopback/load', 1],
      ],
    );
    const name = `127.0.0.1:${server.port}`;
    assert.deepEqual(state.settings.servers, [name]);
    assert.equal(state.ticks[0]?.offered, 20, 'the first whole second at the rate');
    assert.ok(state.ticks.some((t) => t.setupP95 !== null), 'setup latency per second');
    assert.equal(state.totals?.offered, 30);
    assert.equal(state.totals?.answered, 30);
    assert.deepEqual(
      state.totals?.thresholds.map((t) => [t.threshold, t.ok, t.kind]),
      [
        ['asr>=0.99', true, 'ratio'],
        ['setup_p95<5s', true, 'time'],
      ],
    );
    assert.deepEqual(
      state.totals?.servers.map((s) => [s.server, s.offered, s.answered, s.failed]),
      [[name, 30, 30, 0]],
    );
  });

  test('stops before sending anything when the server’s limits are too low, and prints the commands', async () => {
    const term = io();
    const before = server.commands.filter((c) => c.line.includes('originate')).length;
    const code = await runLoad(['--server', `127.0.0.1:${server.port}`, '--rate', '600', '--limit', '3000'], term);
    assert.equal(code, 2);
    assert.match(term.out(), /fsctl sps 1203/);
    assert.match(term.out(), /fsctl max_sessions 6000/);
    assert.match(term.out(), /--apply-limits/);
    assert.equal(server.commands.filter((c) => c.line.includes('originate')).length, before);
  });

  test('an application the server does not have stops the run before any originate', async () => {
    const term = io();
    const before = server.commands.filter((c) => c.line.includes('originate')).length;
    const code = await runLoad(['--server', `127.0.0.1:${server.port}`, '--app', 'playbak'], term);
    assert.equal(code, 2);
    assert.match(term.out(), /playbak is not an application there \(show application\)/);
    assert.match(term.out(), /Not started: fix the problems above/);
    assert.equal(server.commands.filter((c) => c.line.includes('originate')).length, before);
  });

  test('bad input is refused before connecting', async () => {
    const term = io();
    const connections = server.connectionCount;
    assert.equal(await runLoad(['--server', `127.0.0.1:${server.port}`, '--rate', '0'], term), 1);
    assert.match(term.err(), /--rate "0": must be a number of calls per second above 0/);
    assert.equal(server.connectionCount, connections);
  });
});
