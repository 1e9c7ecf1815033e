// The Load Test panel's generator process (src/apphost/loadHost.ts) forked as the extension forks
// it, driven over IPC against the test ESL server: a preflight that waits for the user, a run with
// ticks, a live rate change, a stop, a weighted mix, thresholds evaluated live and at the end,
// totals per server, the run folder with calls.csv, calls.jsonl, summary.json and report.html.
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_LOAD_SETTINGS, type LoadHostReply, type LoadHostRequest, type LoadSettings } from '../../src/shared/protocol/loadTest';
import { TestEslServer } from '../server/eslServer';
import { farEndMix } from '../server/farEnd';
import { until, within } from '../support/wait';

const HOST = join(__dirname, '..', '..', 'src', 'apphost', 'loadHost.ts');

function startHost(): { child: ChildProcess; replies: LoadHostReply[]; send(r: LoadHostRequest): void; exited: Promise<number | null> } {
  const child = fork(HOST, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
  const replies: LoadHostReply[] = [];
  child.on('message', (m) => replies.push(m as LoadHostReply));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, replies, send: (r) => child.send(r), exited };
}

describe('load host process', () => {
  let server: TestEslServer;
  let dir: string;
  before(async () => {
    server = new TestEslServer({ password: 'ClueCon', heartbeatMs: 0 });
    await server.start();
    dir = mkdtempSync(join(tmpdir(), 'fsdev-loadhost-'));
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('preflight, run, live rate, stop, run folder', { timeout: 60_000 }, async () => {
    const settings: LoadSettings = {
      ...DEFAULT_LOAD_SETTINGS,
      servers: ['t'],
      rate: 20,
      limit: 50,
      durationMs: 200,
      runTimeMs: 0,
      targets: [
        { destination: '9664', endpoint: 'loopback/load', app: 'park', weight: 3 },
        { destination: '9196', endpoint: 'loopback/load', app: 'park', weight: 1 },
      ],
      thresholds: ['failed==0', 'offered>=1000000'],
    };
    const host = startHost();
    const servers = [{ name: 't', host: '127.0.0.1', port: server.port, password: 'ClueCon' }];
    // The test server's sps limit is low enough for 20 calls/s? Either way the run must start: ignore limits when asked.
    host.send({ type: 'start', servers, settings, outDir: dir });
    await until(() => host.replies.some((r) => (r.type === 'phase' && r.phase === 'originating') || r.type === 'preflight'), 'originating or a preflight', 10_000);
    if (host.replies.some((r) => r.type === 'preflight')) host.send({ type: 'ignoreLimits' });
    await until(() => host.replies.filter((r) => r.type === 'tick' && r.tick.second >= 0).length >= 2, 'two ticks', 10_000);
    host.send({ type: 'set', rate: 40 });
    await until(() => host.replies.some((r) => r.type === 'tick' && r.totals.rate === 40), 'the new rate in the totals', 5000);
    host.send({ type: 'stop' });
    await until(() => host.replies.some((r) => r.type === 'done'), 'done', 20_000);
    assert.equal(await within(host.exited, 'the load host process to exit', 10_000), 0);
    const done = host.replies.find((r): r is Extract<LoadHostReply, { type: 'done' }> => r.type === 'done')!;
    assert.ok(done.totals.answered > 10, `answered ${done.totals.answered}`);
    assert.equal(done.totals.failed, 0);
    assert.equal(done.totals.hangupCauses['NORMAL_CLEARING'], done.totals.answered);
    // Live: each tick carries the verdicts so far and the server's share.
    const live = host.replies.find((r): r is Extract<LoadHostReply, { type: 'tick' }> => r.type === 'tick' && r.totals.answered > 0)!;
    assert.deepEqual(live.totals.thresholds.map((t) => [t.threshold, t.ok]), [['failed==0', true], ['offered>=1000000', false]]);
    assert.equal(live.totals.servers[0]!.server, 't');
    assert.deepEqual(done.totals.servers.map((s) => [s.server, s.answered, s.failed, s.inProgress, s.offered]), [['t', done.totals.answered, 0, 0, done.totals.offered]]);
    assert.ok(done.totals.servers[0]!.setupP95! > 0);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { ticks: unknown[]; settings: LoadSettings; summary: { answered: number }; thresholds: { threshold: string; ok: boolean; actual: number; kind: string }[] };
    assert.ok(summary.ticks.length >= 2);
    assert.deepEqual(summary.settings.targets.map((t) => [t.destination, t.weight]), [['9664', 3], ['9196', 1]]);
    // As fsdev load --out writes them: the threshold, its verdict and both sides.
    assert.deepEqual(summary.thresholds.map((t) => [t.threshold, t.ok, t.kind]), [['failed==0', true, 'number'], ['offered>=1000000', false, 'number']]);
    assert.equal(summary.thresholds[1]!.actual, done.totals.offered);
    const targetsUsed = new Set(readFileSync(join(dir, 'calls.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { target: string }).target));
    assert.deepEqual([...targetsUsed].sort(), ['loopback/9196', 'loopback/9664']);
    assert.ok(existsSync(join(dir, 'calls.csv')) && existsSync(join(dir, 'calls.jsonl')));
    // report.html beside summary.json, its data island the file's ticks.
    const report = readFileSync(join(dir, 'report.html'), 'utf8');
    assert.ok(report.includes(`<script type="application/json" id="run-data">${JSON.stringify(summary.ticks)}</script>`));
    assert.equal(readFileSync(join(dir, 'calls.jsonl'), 'utf8').trim().split('\n').length, summary.summary.answered);
  });

  test('two servers: each one\'s totals, live and at the end, add up to the run\'s', { timeout: 60_000 }, async () => {
    const busy = new TestEslServer({ password: 'ClueCon', heartbeatMs: 0, farEnd: farEndMix({ ringMs: 20, failures: { USER_BUSY: 0.3 }, seed: 7 }) });
    await busy.start();
    try {
      const host = startHost();
      const servers = [
        { name: 'a', host: '127.0.0.1', port: server.port, password: 'ClueCon' },
        { name: 'b', host: '127.0.0.1', port: busy.port, password: 'ClueCon' },
      ];
      const settings: LoadSettings = { ...DEFAULT_LOAD_SETTINGS, servers: ['a', 'b'], rate: 40, limit: 100, durationMs: 300, runTimeMs: 1500, targets: [{ destination: '9664', endpoint: 'loopback/load', app: 'park', weight: 1 }] };
      host.send({ type: 'start', servers, settings, outDir: join(dir, 'two') });
      await until(() => host.replies.some((r) => (r.type === 'phase' && r.phase === 'originating') || r.type === 'preflight'), 'originating or a preflight', 10_000);
      if (host.replies.some((r) => r.type === 'preflight')) host.send({ type: 'ignoreLimits' });
      await until(() => host.replies.some((r) => r.type === 'done'), 'done', 20_000);
      assert.equal(await within(host.exited, 'the load host process to exit', 10_000), 0);
      // While calls were held, some were up on each server and counted as offered already.
      const live = host.replies.filter((r): r is Extract<LoadHostReply, { type: 'tick' }> => r.type === 'tick' && r.tick.second >= 0);
      assert.ok(live.some((r) => r.totals.servers.every((s) => s.inProgress > 0 && s.offered >= s.answered + s.failed + s.inProgress)), 'calls up on both servers in some second');
      const { totals } = host.replies.find((r): r is Extract<LoadHostReply, { type: 'done' }> => r.type === 'done')!;
      const [a, b] = totals.servers;
      assert.deepEqual([a!.server, b!.server], ['a', 'b']);
      const sum = (k: 'offered' | 'answered' | 'failed' | 'inProgress'): number => totals.servers.reduce((n, s) => n + s[k], 0);
      assert.deepEqual([sum('offered'), sum('answered'), sum('failed'), sum('inProgress')], [totals.offered, totals.answered, totals.failed, 0]);
      // Round-robin: half each; only b's far end is busy.
      assert.ok(Math.abs(a!.offered - b!.offered) <= 1, `offered ${a!.offered} and ${b!.offered}`);
      assert.equal(a!.failed, 0);
      assert.equal(a!.asr, 1);
      assert.ok(b!.failed > 0 && b!.asr < 1, `b: ${b!.failed} failed, ASR ${b!.asr}`);
      assert.ok(a!.setupP95! > 0 && b!.setupP95! >= 20, `setup p95 ${a!.setupP95} and ${b!.setupP95} (b rings 20 ms)`);
    } finally {
      await busy.stop();
    }
  });

  test('bad settings fail before connecting', { timeout: 20_000 }, async () => {
    const host = startHost();
    host.send({ type: 'start', servers: [{ name: 't', host: '127.0.0.1', port: server.port, password: 'ClueCon' }], settings: { ...DEFAULT_LOAD_SETTINGS, servers: ['t'], rate: 0 }, outDir: join(dir, 'bad') });
    await until(() => host.replies.some((r) => r.type === 'error'), 'an error', 10_000);
    const err = host.replies.find((r): r is Extract<LoadHostReply, { type: 'error' }> => r.type === 'error')!;
    assert.match(err.message, /rate must be a number of calls per second above 0/);
    host.child.disconnect();
    await within(host.exited, 'the load host process to exit', 10_000);
  });
});
