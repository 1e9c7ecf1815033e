// summary.json: the one shape both writers build (LoadRunRecorder), and the panel's reader of it
// and of what the panel and `fsdev load --out` wrote before they shared it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LOAD_RUN_FILE_VERSION, LoadRunRecorder, readLoadRunFile, type LoadRunFile } from '../../src/apphost/loadRunFile';
import { endpointText, parseEndpoint, parseLoadArgs } from '../../src/apphost/loadOptions';
import { summaryText } from '../../src/apphost/loadDisplay';
import { LoadMetrics, deriveLatencies, parseThreshold, type CallRecord, type PoolCounts, type PoolMember, type SecondSample } from '../../src/core';
import { savedRunState } from '../../src/extension/load/loadTestModel';
import { callRecord } from '../support/callRecord';
import { DEFAULT_LOAD_SETTINGS, formatThresholdValue, type LoadSettings } from '../../src/shared/protocol/loadTest';

function record(over: Partial<CallRecord>): CallRecord {
  return deriveLatencies(callRecord({ uuid: '00000000-0000-0000-0000-000000000001', sentAtEpochMs: 1_700_000_000_000, ...over }));
}

const counts: PoolCounts = {
  servers: [
    { server: 'fs1', status: 'ready', calls: 0, sessions: 0, callsCreated: 3, sessionsCreated: 6, failedSessions: 2, hangupCauses: { NORMAL_CLEARING: 4, USER_BUSY: 2 } },
    { server: 'fs2', status: 'ready', calls: 1, sessions: 2, callsCreated: 1, sessionsCreated: 2, failedSessions: 0, hangupCauses: {} },
  ],
  total: { calls: 1, sessions: 2, callsCreated: 4, sessionsCreated: 8, failedSessions: 2, hangupCauses: { NORMAL_CLEARING: 4, USER_BUSY: 2 } },
};

/**
 * A recorder over a run's real aggregates (LoadMetrics) without sockets: three calls on fs1 (two
 * answered, one busy) and one up on fs2, in one second.
 */
function recorded(thresholds: string[]): { recorder: LoadRunRecorder; samples: SecondSample[]; dispose(): void } {
  const m = new LoadMetrics(0);
  const samples: SecondSample[] = [];
  const calls = [
    record({ index: 0, sentMs: 10, answeredMs: 30, hangupMs: 500, endedMs: 500 }),
    record({ index: 1, uuid: '00000000-0000-0000-0000-000000000002', sentMs: 20, answeredMs: 60, hangupMs: 600, endedMs: 600 }),
    record({ index: 2, uuid: '00000000-0000-0000-0000-000000000003', sentMs: 30, hangupMs: 90, endedMs: 90, outcome: 'failed', hangupCause: 'USER_BUSY', hangupBy: 'far-end' }),
  ];
  for (let i = 0; i < 4; i++) m.slot(i * 10, undefined, 0);
  const originator = {
    runId: 'run-1',
    summary: () => m.summary(1000, 1000, 4, 10, ['a warning']),
    progress: () => ({ state: 'stopped' as const, elapsedS: 1, rate: 4, currentRate: 4, limit: 10, durationMs: 500, offered: 4, notOffered: 0, answered: 2, failed: 1, inProgress: 1, inFlight: 0, lastSecond: samples.at(-1) }),
    serverProgress: () => [
      { server: 'fs1', inProgress: 0, inFlight: 0 },
      { server: 'fs2', inProgress: 1, inFlight: 0 },
    ],
    get samples() {
      return samples;
    },
  };
  const members = [{ name: 'fs1' }, { name: 'fs2' }] as unknown as PoolMember[];
  const recorder = new LoadRunRecorder(originator, { members, counts: () => counts }, thresholds.map((t) => parseThreshold(t)));
  for (const r of calls) {
    if (r.answeredMs !== undefined) m.answeredCall(r.answeredMs);
    m.ended(r.endedMs, r);
    recorder.ended(r);
  }
  const sample = m.closeSecond(1000, 4);
  samples.push(sample);
  recorder.second(sample);
  return {
    recorder,
    samples,
    dispose: () => {
      recorder.dispose();
      m.dispose();
    },
  };
}

/** The file as a reader gets it: JSON, as written. */
const onDisk = (f: LoadRunFile): unknown => JSON.parse(JSON.stringify(f));

describe('summary.json: one shape from both writers', () => {
  test('fsdev load: its options are kept (no password) and become the panel settings; every field the panel draws is there', () => {
    const config = parseLoadArgs(
      ['--server', '10.0.0.5', '--server', '10.0.0.6:8022', '--rate', '4', '--limit', '10', '--duration', '500ms', '--dest', '9664*3', '--dest', '9196', '--endpoint', 'loopback/load', '--app', 'playback:tone.wav', '--threshold', 'asr>=0.99', '--threshold', 'setup_p95<250ms', '--caller-id-number', '1000', '--out', 'results'],
      { FREESWITCH_PASSWORD: 'secret' },
    );
    assert.ok(config !== 'help');
    const run = recorded(config.thresholds.map((t) => t.source));
    const file = run.recorder.file({ ran: true, config, preflight: { ok: true, servers: [{ server: 'fs1', needs: { rate: 4, concurrent: 10, sessionsPerCall: 2 }, neededSessionsPerSecond: 11, neededMaxSessions: 20, problems: [], commands: [] }] } });
    run.dispose();

    assert.equal(file.version, LOAD_RUN_FILE_VERSION);
    assert.equal(file.runId, 'run-1');
    assert.ok(!JSON.stringify(file).includes('secret'), 'no password');
    // What scripts of `fsdev load` users read.
    assert.equal(file.summary.offered, 4);
    assert.deepEqual(file.perSecond, run.samples);
    assert.deepEqual(
      file.thresholds.map((t) => [t.threshold, t.ok, t.kind]),
      [
        ['asr>=0.99', false, 'ratio'],
        ['setup_p95<250ms', true, 'time'],
      ],
    );
    assert.equal(file.servers, counts);
    assert.equal(file.config?.callerIdNumber, '1000');
    assert.deepEqual(file.config?.thresholds, ['asr>=0.99', 'setup_p95<250ms']);
    assert.deepEqual(file.config?.servers[1], { name: undefined, host: '10.0.0.6', port: 8022, user: undefined });
    // What the panel draws.
    assert.deepEqual(file.settings, {
      servers: ['fs1', 'fs2'],
      rate: 4,
      limit: 10,
      durationMs: 500,
      maxOffered: 0,
      runTimeMs: 0,
      rampMs: 0,
      balance: 'round-robin',
      targets: [
        { destination: '9664', endpoint: 'loopback/load', app: 'playback', appArg: 'tone.wav', weight: 3 },
        { destination: '9196', endpoint: 'loopback/load', app: 'playback', appArg: 'tone.wav', weight: 1 },
      ],
      thresholds: ['asr>=0.99', 'setup_p95<250ms'],
    });
    assert.equal(file.ticks.length, 1);
    assert.deepEqual([file.ticks[0]!.setupP50, file.ticks[0]!.setupP95], [20, 40]);
    assert.deepEqual(file.totals.hangupCauses, { NORMAL_CLEARING: 2, USER_BUSY: 1 });
    assert.deepEqual(file.totals.firstFailures.map((f) => f.cause), ['USER_BUSY']);
    assert.deepEqual(file.totals.thresholds, file.thresholds);
    assert.deepEqual(
      file.totals.servers.map((s) => [s.server, s.offered, s.answered, s.failed, s.inProgress]),
      [
        ['fs1', 3, 2, 1, 0],
        ['fs2', 1, 0, 0, 1],
      ],
    );
    assert.deepEqual(file.preflight, { servers: [{ server: 'fs1', problems: [], commands: [] }], blocking: false });
  });

  test('the panel: its settings as given, no config', () => {
    const settings: LoadSettings = { ...DEFAULT_LOAD_SETTINGS, servers: ['fs1', 'fs2'], thresholds: ['asr>=0.5'] };
    const run = recorded(settings.thresholds);
    const file = run.recorder.file({ ran: false, settings, preflight: undefined });
    run.dispose();
    assert.equal(file.settings, settings);
    assert.equal(file.ran, false);
    assert.ok(!('config' in file) && !('preflight' in file));
    assert.deepEqual(Object.keys(file), ['version', 'runId', 'startedAt', 'endedAt', 'ran', 'settings', 'summary', 'thresholds', 'servers', 'perSecond', 'ticks', 'totals']);
  });

  test('the panel opens a file of either writer with its charts, totals, thresholds and per-server table', () => {
    const config = parseLoadArgs(['--server', '10.0.0.5', '--rate', '4', '--threshold', 'asr>=0.99'], {});
    assert.ok(config !== 'help');
    const cli = recorded(['asr>=0.99']);
    const fromCli = cli.recorder.file({ ran: true, config, preflight: undefined });
    cli.dispose();
    const panel = recorded([]);
    const fromPanel = panel.recorder.file({ ran: true, settings: { ...DEFAULT_LOAD_SETTINGS, servers: ['fs1'] }, preflight: undefined });
    panel.dispose();
    for (const f of [fromCli, fromPanel]) {
      const state = savedRunState(onDisk(f), '/runs/x');
      assert.ok(!('error' in state), 'error' in state ? state.error : '');
      assert.equal(state.mode, 'saved');
      assert.equal(state.ticks.length, 1);
      assert.equal(state.ticks[0]!.setupP95, 40);
      assert.equal(state.totals?.servers.length, 2);
      assert.deepEqual(state.totals?.thresholds, onDisk(f.thresholds as never));
      assert.deepEqual(state.warnings, ['a warning']);
    }
  });
});

describe('summary.json: files written before the shared shape', () => {
  const tick = { second: 0, targetRate: 10, offered: 10, answered: 9, failed: 1, notOffered: 0, concurrent: 40, erlangs: 38.5, setupP50: 20, setupP95: 40, setupP99: 60, failuresByCause: { USER_BUSY: 1 } };

  test('the panel’s: settings, ticks, totals, and servers as a list of names', () => {
    const settings = { ...DEFAULT_LOAD_SETTINGS, servers: ['local'] };
    const totals = { elapsedS: 1, currentRate: 10, rate: 10, limit: 100, durationMs: 5000, offered: 10, notOffered: 0, notOfferedByReason: {}, answered: 9, failed: 1, inProgress: 0, asr: 0.9, setupP95: 40, hangupCauses: {}, firstFailures: [], thresholds: [], servers: [] };
    const old = { runId: 'p1', startedAt: 'x', endedAt: 'y', ran: true, settings, servers: ['local'], summary: { warnings: ['w'] }, totals, thresholds: [], perSecond: [], ticks: [tick] };
    const state = savedRunState(old, '/runs/p1');
    assert.ok(!('error' in state));
    assert.deepEqual(state.settings, settings);
    assert.deepEqual(state.ticks, [tick]);
    assert.equal(state.totals?.answered, 9);
    assert.deepEqual(state.warnings, ['w']);
  });

  test('fsdev load’s: config with endpoint objects, perSecond, summary and pool counts; no totals', () => {
    const lat = { count: 9, mean: 30, p50: 25, p90: 45, p95: 50, p99: 70, max: 80 };
    const old = {
      runId: 'cli-run',
      startedAt: '2026-11-29T10:00:00.000Z',
      config: {
        servers: [{ name: 'fs1', host: '10.0.0.5', port: 8021 }],
        rate: 10,
        limit: 100,
        durationMs: 'auto',
        rampMs: 0,
        balance: 'least-loaded',
        targets: [{ destination: '9664', weight: 3 }, { destination: '9196', endpoint: { kind: 'loopback', context: 'load' }, app: 'echo' }, { destination: '1000', endpoint: 'sofia' }],
        thresholds: ['asr>=0.99'],
        out: 'results',
        applyLimits: false,
        ignoreLimits: false,
      },
      summary: { elapsedS: 1, rate: 10, limit: 100, offered: 10, notOffered: 0, notOfferedByReason: { limit: 0, backlog: 0, 'no-server': 0, late: 0 }, answered: 9, failed: 1, asr: 0.9, latency: { setup: lat }, warnings: ['w'] },
      thresholds: [{ threshold: 'asr>=0.99', ok: false, actual: 0.9, expected: 0.99, kind: 'ratio' }],
      servers: counts,
      perSecond: [{ second: 0, targetRate: 10, due: 10, offered: 10, notOffered: 0, answered: 9, failed: 1, failuresByCause: { USER_BUSY: 1 }, concurrent: 40, peakConcurrent: 41, erlangs: 38.5 }],
    };
    const state = savedRunState(old, '/runs/cli');
    assert.ok(!('error' in state), 'error' in state ? state.error : '');
    assert.equal(state.runId, 'cli-run');
    assert.equal(state.startedAt, '2026-11-29T10:00:00.000Z', 'orders a comparison');
    assert.deepEqual(state.settings.servers, ['fs1', 'fs2']);
    assert.equal(state.settings.durationMs, 'auto');
    assert.equal(state.settings.balance, 'least-loaded');
    assert.deepEqual(
      state.settings.targets.map((t) => [t.destination, t.endpoint, t.app, t.weight]),
      [
        ['9664', 'loopback', 'park', 3],
        ['9196', 'loopback/load', 'echo', 1],
        ['1000', 'sofia/internal', 'park', 1],
      ],
    );
    assert.deepEqual(state.ticks, [{ ...tick, setupP50: null, setupP95: null, setupP99: null }]);
    assert.equal(state.totals?.offered, 10);
    assert.equal(state.totals?.setupP95, 50);
    assert.deepEqual(state.totals?.thresholds, old.thresholds);
    assert.deepEqual(state.totals?.servers, [], 'it kept no per-server tally');
    assert.deepEqual(state.warnings, ['w']);
  });

  test('a file with neither settings nor config says so', () => {
    assert.deepEqual(readLoadRunFile({ runId: 'x' }), { error: 'summary.json has neither the run settings (settings) nor fsdev load options (config)' });
    assert.deepEqual(readLoadRunFile([]), { error: 'summary.json is not an object' });
  });
});

describe('endpoints and threshold values as text', () => {
  test('endpointText is parseEndpoint inverted', () => {
    for (const text of ['loopback', 'loopback/load', 'user', 'user/example.com', 'sofia/external', 'gateway/carrier']) assert.equal(endpointText(parseEndpoint(text)), text);
    assert.equal(endpointText(undefined), 'loopback');
    assert.equal(endpointText('sofia'), 'sofia/internal');
  });

  test('fsdev load prints threshold values with the units the panel shows', () => {
    const run = recorded(['asr>=0.99', 'setup_p95<250ms', 'offered>25']);
    const file = run.recorder.file({ ran: true, settings: { ...DEFAULT_LOAD_SETTINGS, servers: ['fs1'] }, preflight: undefined });
    const text = summaryText(file.summary, { runId: file.runId, servers: file.servers, tally: run.recorder.tally, thresholds: file.thresholds });
    run.dispose();
    assert.match(text, /BROKEN asr>=0\.99 {2}\(66\.67 % vs 99 %\)/);
    assert.match(text, /ok {4} setup_p95<250ms {2}\(40\.03 ms vs 250 ms\)/);
    assert.match(text, /BROKEN offered>25 {2}\(4 vs 25\)/);
    assert.equal(formatThresholdValue(1520, 'number'), '1,520');
    assert.equal(formatThresholdValue(Number.NaN, 'time'), '–');
  });
});
