// The Load Test panel's host side without VS Code: the protocol's validation (bad input gets a
// clear error and nothing reaches the generator), the model's forwarding and folding of the
// generator's replies, saved runs, and profiles turned into the panel's settings.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { LoadTestModel, checkSettings, comparisonStates, runFolderName, savedRunState, thresholdProblem } from '../../src/extension/load/loadTestModel';
import { profileSettings } from '../../src/extension/load/loadProfile';
import {
  DEFAULT_LOAD_SETTINGS,
  parseLoadTestCommand,
  type LoadHostRequest,
  type LoadSettings,
  type LoadTestNotification,
  type LoadTick,
  type LoadTotals,
} from '../../src/shared/protocol/loadTest';

const good: LoadSettings = { ...DEFAULT_LOAD_SETTINGS, servers: ['local'] };

function harness() {
  const posted: LoadTestNotification[] = [];
  const sent: LoadHostRequest[] = [];
  const started: LoadSettings[] = [];
  const timelines: [string, string][] = [];
  const model = new LoadTestModel(
    {
      post: (n) => posted.push(n),
      start: async (s) => void started.push(s),
      send: (r) => sent.push(r),
      openTimeline: (s, u) => void timelines.push([s, u]),
      openRunFolder: () => undefined,
    },
    [
      { name: 'local', label: 'local (127.0.0.1:8021)', connected: true },
      { name: 'down', label: 'down (10.0.0.1:8021)', connected: false },
    ],
    good,
  );
  model.handle({ type: 'ready' });
  return { model, posted, sent, started, timelines };
}

const errors = (posted: LoadTestNotification[]): string[] => posted.flatMap((p) => (p.type === 'error' ? [p.message] : []));

function tick(second: number): LoadTick {
  return { second, targetRate: 10, offered: 10, answered: 9, failed: 1, notOffered: 0, concurrent: 40, erlangs: 38.5, setupP50: 20, setupP95: 40, setupP99: 60, failuresByCause: { USER_BUSY: 1 } };
}

const totals: LoadTotals = {
  elapsedS: 1,
  currentRate: 10,
  rate: 10,
  limit: 100,
  durationMs: 5000,
  offered: 10,
  notOffered: 0,
  notOfferedByReason: { limit: 0, backlog: 0, 'no-server': 0, late: 0 },
  answered: 9,
  failed: 1,
  inProgress: 40,
  asr: 0.9,
  setupP95: 40,
  hangupCauses: { NORMAL_CLEARING: 9, USER_BUSY: 1 },
  firstFailures: [{ uuid: 'a1b2c3d4-0000-4000-8000-000000000001', server: 'local', cause: 'USER_BUSY', sentAt: 0 }],
  thresholds: [{ threshold: 'asr>=0.99', ok: false, actual: 0.9, expected: 0.99 }],
  servers: [{ server: 'local', offered: 50, answered: 9, failed: 1, asr: 0.9, setupP95: 40, inProgress: 40 }],
};

const target = DEFAULT_LOAD_SETTINGS.targets[0]!;
const mix = (...patches: Record<string, unknown>[]): Record<string, unknown> => ({ targets: patches.map((p) => ({ ...target, ...p })) });

describe('checkLoadSettings (with fsdev load\'s threshold parser)', () => {
  test('accepts good settings', () => {
    assert.deepEqual(checkSettings(good), { settings: good });
  });
  test('keeps a weighted mix, an application argument, names and variables; trims thresholds and drops empty ones', () => {
    const r = checkSettings({
      ...good,
      targets: [
        { destination: '9664', endpoint: 'loopback', app: 'park', weight: 3 },
        { destination: '9196', endpoint: 'sofia/internal', app: 'playback', appArg: '/tmp/a b.wav', weight: 0.5, name: 'echo test', variables: { sip_h_X_Test: 'yes', hold: 2, fast: true } },
      ],
      thresholds: [' asr>=0.99 ', '', 'setup_p95<250ms'],
    });
    assert.ok('settings' in r, JSON.stringify(r));
    assert.equal(r.settings.targets[1]!.appArg, '/tmp/a b.wav');
    assert.deepEqual(r.settings.targets[1]!.variables, { sip_h_X_Test: 'yes', hold: 2, fast: true });
    assert.deepEqual(r.settings.thresholds, ['asr>=0.99', 'setup_p95<250ms']);
  });
  for (const [what, patch, message] of [
    ['rate 0', { rate: 0 }, /Rate must be a number of calls per second above 0/],
    ['a negative rate', { rate: -5 }, /Rate must be/],
    ['a rate that is text', { rate: '10' }, /Rate must be/],
    ['limit 0', { limit: 0 }, /Limit must be a whole number of calls, 1 or more/],
    ['a fractional limit', { limit: 1.5 }, /Limit must be/],
    ['a negative hold', { durationMs: -1 }, /Hold must be auto/],
    ['a destination with a line break', mix({ destination: '9664\nbgapi hupall' }), /Call mix: the destination contains a line break/],
    ['a line break in the second row', mix({}, { destination: '9196\r\nhupall' }), /Call mix row 2: the destination contains a line break/],
    ['a destination with a brace', mix({ destination: '{x=1}9664' }), /may not contain/],
    ['an empty destination', mix({ destination: ' ' }), /destination is empty/],
    ['a bad endpoint', mix({ endpoint: 'sofia' }), /endpoint "sofia": use loopback/],
    ['an app with a space', mix({ app: 'park now' }), /application/],
    ['weight 0', mix({}, { destination: '9196', weight: 0 }), /Call mix row 2: the weight must be a number above 0 \(got 0\)/],
    ['a negative weight', mix({ weight: -1 }), /weight must be a number above 0/],
    ['a weight that is text', mix({ weight: '3' }), /weight must be a number above 0/],
    ['a missing weight', mix({ weight: undefined }), /weight must be a number above 0/],
    ['an argument with a line break', mix({ app: 'playback', appArg: 'a\nhupall' }), /argument must be one line/],
    ['a bad variable name', mix({ variables: { 'a b': 1 } }), /"a b" is not a channel variable name/],
    ['a variable with a line break', mix({ variables: { x: '1\n2' } }), /variable x must be one line/],
    ['an empty mix', { targets: [] }, /at least one destination/],
    ['no mix', { targets: undefined }, /at least one destination/],
    ['an unknown metric', { thresholds: ['asr>=0.99', 'setpu_p95<250ms'] }, /threshold "setpu_p95<250ms": unknown metric setpu_p95 \(did you mean setup_p95\?\)/],
    ['a ratio compared with a time', { thresholds: ['asr<250ms'] }, /compares a ratio with a time/],
    ['a threshold with no comparison', { thresholds: ['asr'] }, /comparison .* is missing/],
    ['thresholds that are not text', { thresholds: [1] }, /Thresholds must be/],
    ['an unknown balance', { balance: 'random' }, /Balance "random": use round-robin or least-loaded/],
    ['no servers', { servers: [] }, /Pick at least one connected server/],
    ['a fractional max offered', { maxOffered: 2.5 }, /Max offered must be a whole number/],
  ] as const) {
    test(`rejects ${what}`, () => {
      const r = checkSettings({ ...good, ...patch });
      assert.ok('error' in r, `accepted ${what}`);
      assert.match(r.error, message);
    });
  }
  test('thresholdProblem is the core parser\'s message, and nothing for a good one', () => {
    assert.equal(thresholdProblem('achieved_cps>=0.98*rate'), undefined);
    assert.match(thresholdProblem('asr>=')!, /threshold "asr>=": unexpected end/);
  });
});

describe('parseLoadTestCommand', () => {
  test('keeps the commands it knows, drops the rest', () => {
    assert.deepEqual(parseLoadTestCommand({ type: 'pause', extra: 1 }), { type: 'pause' });
    assert.deepEqual(parseLoadTestCommand({ type: 'set', rate: 5 }), { type: 'set', rate: 5 });
    assert.equal(parseLoadTestCommand({ type: 'set' }), undefined);
    assert.equal(parseLoadTestCommand({ type: 'eval', code: 'x' }), undefined);
    assert.equal(parseLoadTestCommand('pause'), undefined);
    assert.equal(parseLoadTestCommand({ type: 'openTimeline', server: 'local', uuid: '<img src=x>' }), undefined);
    assert.deepEqual(parseLoadTestCommand({ type: 'openTimeline', server: 'local', uuid: 'a1b2c3d4-0000' }), { type: 'openTimeline', server: 'local', uuid: 'a1b2c3d4-0000' });
  });
});

describe('LoadTestModel', () => {
  test('posts a snapshot on ready', () => {
    const { posted } = harness();
    assert.equal(posted[0]?.type, 'snapshot');
  });

  test('bad settings get a clear error and start nothing', () => {
    const { model, posted, started } = harness();
    model.handle({ type: 'start', settings: { ...good, rate: 0 } });
    model.handle({ type: 'start', settings: { ...good, ...mix({ destination: '1\r\n2' }) } });
    model.handle({ type: 'start', settings: { ...good, servers: ['down'] } });
    model.handle({ type: 'start', settings: { ...good, ...mix({}, { destination: '9196', weight: 0 }) } });
    model.handle({ type: 'start', settings: { ...good, thresholds: ['asr >= 99%', 'asr >= fast'] } });
    assert.deepEqual(started, []);
    const e = errors(posted);
    assert.match(e[0]!, /Rate must be/);
    assert.match(e[1]!, /line break/);
    assert.match(e[2]!, /Not connected: down/);
    assert.match(e[3]!, /row 2: the weight/);
    assert.match(e[4]!, /threshold "asr >= fast": unknown metric fast/);
  });

  test('a start forks once; live changes, pause and hangup reach the generator only while it runs', () => {
    const { model, sent, started, posted } = harness();
    model.handle({ type: 'pause' });
    assert.deepEqual(sent, []);
    model.handle({ type: 'start', settings: good });
    assert.equal(started.length, 1);
    assert.equal(model.state.phase, 'connecting');
    model.handle({ type: 'start', settings: good });
    assert.equal(started.length, 1);
    assert.match(errors(posted).at(-1)!, /already going/);
    model.onReply({ type: 'phase', phase: 'originating', runId: 'r1' });
    model.handle({ type: 'set', rate: 25 });
    model.handle({ type: 'set', limit: 0 });
    model.handle({ type: 'set', durationMs: 'auto' });
    model.handle({ type: 'pause' });
    model.handle({ type: 'hangup' });
    assert.deepEqual(sent, [{ type: 'set', rate: 25 }, { type: 'set', durationMs: 'auto' }, { type: 'pause' }, { type: 'hangup' }]);
    assert.match(errors(posted).at(-1)!, /Limit must be/);
    assert.equal(model.state.settings.rate, 25);
  });

  test('preflight choices are forwarded only while the preflight waits', () => {
    const { model, sent } = harness();
    model.handle({ type: 'start', settings: good });
    model.handle({ type: 'applyLimits' });
    assert.deepEqual(sent, []);
    model.onReply({ type: 'preflight', preflight: { servers: [{ server: 'local', problems: ['sps 30 < 41'], commands: ['fsctl sps 41'] }], blocking: false } });
    model.onReply({ type: 'phase', phase: 'preflight' });
    model.handle({ type: 'applyLimits' });
    assert.deepEqual(sent, [{ type: 'applyLimits' }]);
    model.onReply({ type: 'phase', phase: 'originating' });
    assert.equal(model.state.preflight, undefined);
  });

  test('folds ticks, keeps totals, posts ticks; a generator that dies fails the run', () => {
    const { model, posted } = harness();
    model.handle({ type: 'start', settings: good });
    model.onReply({ type: 'phase', phase: 'originating' });
    model.onReply({ type: 'tick', tick: tick(0), totals });
    model.onReply({ type: 'tick', tick: { ...tick(0), second: -1 }, totals });
    assert.equal(model.state.ticks.length, 1);
    assert.equal(posted.filter((p) => p.type === 'tick').length, 2);
    model.onExit(1);
    assert.equal(model.state.phase, 'failed');
    assert.match(errors(posted).at(-1)!, /exited \(code 1\)/);
  });

  test('a hidden view gets no ticks, then one snapshot when shown', () => {
    const { model, posted } = harness();
    model.handle({ type: 'start', settings: good });
    model.setVisible(false);
    const before = posted.length;
    model.onReply({ type: 'tick', tick: tick(0), totals });
    assert.equal(posted.length, before);
    model.setVisible(true);
    assert.equal(posted.length, before + 1);
    assert.equal(posted.at(-1)!.type, 'snapshot');
  });

  test('the form is refilled only when the host puts settings in it: a profile or a start, not a live change', () => {
    const { model, posted } = harness();
    const revision = (): number => (posted.at(-1) as Extract<LoadTestNotification, { type: 'snapshot' }>).state.settingsRevision;
    assert.equal(revision(), 0);
    model.setSettings({ ...good, thresholds: ['asr>=0.99'] });
    assert.equal(revision(), 1);
    model.setServers([{ name: 'local', label: 'local', connected: true }]);
    assert.equal(revision(), 1);
    model.handle({ type: 'start', settings: { ...good, thresholds: [' asr>=0.99 ', ''] } });
    assert.equal(revision(), 2);
    assert.deepEqual(model.state.settings.thresholds, ['asr>=0.99']);
    model.handle({ type: 'set', rate: 5 });
    assert.equal(model.state.settingsRevision, 2);
  });

  test('openTimeline passes a checked uuid', () => {
    const { model, timelines } = harness();
    model.handle({ type: 'openTimeline', server: 'local', uuid: 'a1b2c3d4-0000-4000-8000-000000000001' });
    assert.deepEqual(timelines, [['local', 'a1b2c3d4-0000-4000-8000-000000000001']]);
  });
});

describe('saved runs and profiles', () => {
  test('run folders sort by time and have no colons', () => {
    assert.equal(runFolderName(new Date('2026-11-29T10:27:19.123Z')), '2026-11-29T10-27-19Z');
  });

  test('a summary.json becomes a saved panel state', () => {
    const s = savedRunState({ runId: 'r1', settings: good, ticks: [tick(0), tick(1)], totals, summary: { warnings: ['w'] } }, '/tmp/run');
    assert.ok(!('error' in s));
    assert.equal(s.mode, 'saved');
    assert.equal(s.ticks.length, 2);
    assert.equal(s.ticks[1]!.setupP95, 40);
    assert.deepEqual(s.warnings, ['w']);
    const bad = savedRunState({ settings: { ...good, rate: -1 } }, '/tmp/run');
    assert.ok('error' in bad);
    assert.match((bad as { error: string }).error, /Rate must be/);
  });

  test('a summary.json saved before mixes and thresholds opens with its one target', () => {
    const without = <T extends object>(o: T, ...keys: string[]): Record<string, unknown> => Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
    const old = { ...without(good, 'targets', 'thresholds'), destination: '9196', endpoint: 'loopback', app: 'echo' };
    const oldTotals = without(totals, 'thresholds', 'servers');
    const s = savedRunState({ runId: 'r0', settings: old, ticks: [tick(0)], totals: oldTotals }, '/tmp/run');
    assert.ok(!('error' in s), JSON.stringify(s));
    assert.deepEqual(s.settings.targets, [{ destination: '9196', endpoint: 'loopback', app: 'echo', weight: 1 }]);
    assert.deepEqual(s.settings.thresholds, []);
    assert.equal(s.settings.balance, 'round-robin');
    assert.deepEqual(s.totals?.thresholds, []);
    assert.deepEqual(s.totals?.servers, []);
  });

  test('compared runs each carry both runs\' seconds, labelled by their folder', () => {
    const a = savedRunState({ settings: good, ticks: [tick(0), tick(1)], totals }, '/w/.fsdev/runs/2026-11-29T10-00-00Z');
    const b = savedRunState({ settings: good, ticks: [tick(0)], totals }, '/w/.fsdev/runs/2026-11-29T11-00-00Z');
    assert.ok(!('error' in a) && !('error' in b));
    const [x, y] = comparisonStates(a, b);
    assert.deepEqual(x.comparison?.map((r) => [r.label, r.ticks.length]), [['2026-11-29T10-00-00Z', 2], ['2026-11-29T11-00-00Z', 1]]);
    assert.deepEqual(y.comparison, x.comparison);
    assert.equal(y.runDir, '/w/.fsdev/runs/2026-11-29T11-00-00Z');
  });

  test('the example profile fills the form with its whole mix and its thresholds; a profile that does not validate is an error', () => {
    const path = join(__dirname, '..', '..', 'examples', 'loopback.fsload.json');
    const s = profileSettings(path, readFileSync(path, 'utf8'), [{ name: 'mine', host: '127.0.0.1', port: 8021 }]);
    assert.deepEqual(s, {
      servers: ['mine'],
      rate: 20,
      limit: 200,
      durationMs: 5000,
      maxOffered: 0,
      runTimeMs: 60000,
      rampMs: 5000,
      balance: 'round-robin',
      targets: [
        { destination: '9664', endpoint: 'loopback', app: 'park', weight: 4 },
        { destination: '9196', endpoint: 'loopback', app: 'park', weight: 1 },
      ],
      thresholds: ['asr>=0.99', 'setup_p95<250ms', 'achieved_cps>=0.98*rate', 'not_offered==0'],
    });
    assert.throws(() => profileSettings('x.fsload.json', '{"servers":[{"host":"a"}],"rate":"fast"}', []), /does not match the load profile schema[\s\S]*\/rate/);
    assert.throws(() => profileSettings(path, readFileSync(path, 'utf8'), []), /no configured server is 127\.0\.0\.1:8021/);
  });

  test('a profile\'s balance is kept; a target without endpoint, app or weight gets loopback, park and 1; a bad threshold names the file', () => {
    const servers = [{ name: 'mine', host: 'h', port: 8021 }];
    const s = profileSettings('p.fsload.json', JSON.stringify({ servers: [{ host: 'h' }], rate: 1, balance: 'least-loaded', targets: [{ destination: '1000', name: 'main', variables: { x: 'y' } }] }), servers);
    assert.equal(s.balance, 'least-loaded');
    assert.deepEqual(s.targets, [{ destination: '1000', endpoint: 'loopback', app: 'park', weight: 1, name: 'main', variables: { x: 'y' } }]);
    assert.throws(() => profileSettings('p.fsload.json', JSON.stringify({ servers: [{ host: 'h' }], rate: 1, thresholds: ['asr>=1s'] }), servers), /^Error: p\.fsload\.json: threshold "asr>=1s": compares a ratio with a time/);
    // A line break is already a schema error, as the editor shows it while typing.
    assert.throws(() => profileSettings('p.fsload.json', JSON.stringify({ servers: [{ host: 'h' }], rate: 1, thresholds: ['asr>=0.99\nhupall'] }), servers), /\/thresholds\/0: must match pattern/);
  });
});
