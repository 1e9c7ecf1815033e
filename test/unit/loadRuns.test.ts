// The Load Tests view's runs without VS Code: which folders of .fsdev/runs are runs, newest first
// by their files' start times, a row's description and verdict, and a summary.json that cannot be
// read shown as a problem, not thrown.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isReadable, listLoadRuns, runDescription, runInfo, runStartText, runTooltipLines, runVerdict, sortRuns, type LoadRunEntry, type LoadRunInfo } from '../../src/extension/load/loadRuns';
import { savedRunState } from '../../src/extension/load/loadTestModel';
import { DEFAULT_LOAD_SETTINGS, type LoadTotals } from '../../src/shared/protocol/loadTest';

const totals = (over: Partial<LoadTotals> = {}): LoadTotals => ({
  elapsedS: 60,
  currentRate: 20,
  rate: 20,
  limit: 100,
  durationMs: 5000,
  offered: 1200,
  notOffered: 0,
  notOfferedByReason: {},
  answered: 1190,
  failed: 10,
  inProgress: 0,
  asr: 1190 / 1200,
  setupP95: 48.2,
  hangupCauses: {},
  firstFailures: [],
  thresholds: [],
  servers: [],
  ...over,
});

const summary = (startedAt: string, over: Partial<LoadTotals> = {}): unknown => ({
  version: 2,
  runId: `run-${startedAt}`,
  startedAt,
  settings: { ...DEFAULT_LOAD_SETTINGS, servers: ['fs1'], rate: 20 },
  ticks: [],
  totals: totals(over),
  summary: { warnings: [] },
});

const info = (over: Partial<LoadTotals> = {}): LoadRunInfo => {
  const r = runInfo(summary('2026-11-29T10:00:00.000Z', over));
  assert.ok(!('problem' in r));
  return r;
};

describe('Load Tests view: runs', () => {
  const root = mkdtempSync(join(tmpdir(), 'fsdev-runs-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  test('lists folders with a summary.json, newest first by start time; a run still going (no summary.json) is not listed', async () => {
    const write = (name: string, data: unknown): void => {
      mkdirSync(join(root, name), { recursive: true });
      writeFileSync(join(root, name, 'summary.json'), typeof data === 'string' ? data : JSON.stringify(data));
    };
    write('2026-11-29T10-00-00Z', summary('2026-11-29T10:00:00.000Z'));
    // Named by hand (fsdev load --out): ordered by its file's start time, not its name.
    write('zz-cli-run', summary('2026-11-29T09:00:00.000Z'));
    write('2026-11-29T11-00-00Z', summary('2026-11-29T11:00:00.000Z'));
    write('broken', '{ "settings": ');
    // No start time: placed by when its file was written.
    write('old-shape', { settings: { ...DEFAULT_LOAD_SETTINGS, servers: ['fs1'] }, ticks: [] });
    utimesSync(join(root, 'old-shape', 'summary.json'), new Date('2026-11-29T09:30:00Z'), new Date('2026-11-29T09:30:00Z'));
    utimesSync(join(root, 'broken', 'summary.json'), new Date('2026-11-29T08:00:00Z'), new Date('2026-11-29T08:00:00Z'));
    mkdirSync(join(root, '2026-11-29T12-00-00Z'));
    writeFileSync(join(root, 'notes.txt'), 'not a run');

    const cache = new Map<string, { size: number; entry: LoadRunEntry }>();
    const runs = await listLoadRuns(root, cache);
    assert.deepEqual(
      runs.map((r) => r.name),
      ['2026-11-29T11-00-00Z', '2026-11-29T10-00-00Z', 'old-shape', 'zz-cli-run', 'broken'],
    );
    const broken = runs.find((r) => r.name === 'broken')!;
    assert.ok(!isReadable(broken));
    assert.match((broken.run as { problem: string }).problem, /JSON/);

    // Unchanged files are not read again; a deleted run leaves the cache.
    const again = await listLoadRuns(root, cache);
    assert.equal(again[0], runs[0]);
    rmSync(join(root, 'zz-cli-run'), { recursive: true });
    assert.equal((await listLoadRuns(root, cache)).length, 4);
    assert.equal(cache.size, 4);
  });

  test('a missing root has no runs', async () => {
    assert.deepEqual(await listLoadRuns(join(root, 'nope')), []);
  });

  test('a summary.json whose settings do not check is a problem, as Open Load Test Run… would say', () => {
    const r = runInfo({ settings: { ...DEFAULT_LOAD_SETTINGS, servers: ['fs1'], rate: -1 } });
    assert.ok('problem' in r);
    assert.match(r.problem, /Rate must be/);
    assert.ok('problem' in runInfo('not an object'));
  });

  test('a summary.json with malformed totals and ticks still lists, describes and opens, never throws', () => {
    const bad = {
      ...(summary('2026-11-29T10:00:00.000Z') as object),
      totals: { offered: 'many', asr: null, thresholds: [null, 7, { threshold: 'asr>=0.99' }, { threshold: 'offered>=1', ok: true, actual: 5, expected: 1, kind: 'bogus' }], servers: [null, { server: 3 }], hangupCauses: { NORMAL_CLEARING: 'x', USER_BUSY: 2 }, firstFailures: [null] },
      ticks: [null, { second: 1e10 }, { second: -1 }, { second: 1.5 }, { second: 2, offered: 'x' }],
    };
    const r = runInfo(bad);
    assert.ok(!('problem' in r));
    assert.deepEqual(r.thresholds, [{ threshold: 'offered>=1', ok: true, actual: 5, expected: 1 }]);
    assert.equal(r.offered, 0);
    assert.equal(runVerdict(r), 'passed');
    assert.match(runDescription(r), /20\/s · 0 calls · ASR –/);
    const entry: LoadRunEntry = { name: 'bad', dir: '/r/bad', mtimeMs: 0, run: r };
    assert.ok(runTooltipLines(entry, 'en-US', 'UTC').length > 0);
    const state = savedRunState(bad, '/r/bad');
    assert.ok('mode' in state);
    assert.deepEqual(state.ticks.map((t) => [t.second, t.offered]), [[2, 0]], 'only a whole second in range is drawn');
    assert.deepEqual(state.totals?.hangupCauses, { USER_BUSY: 2 });
    assert.deepEqual(state.totals?.servers, []);
    assert.deepEqual(state.totals?.firstFailures, []);
  });

  test('sorting is stable for equal times: by name, newest-looking first', () => {
    const e = (name: string): LoadRunEntry => ({ name, dir: `/r/${name}`, mtimeMs: 1000, run: { problem: 'x' } });
    assert.deepEqual(sortRuns([e('a'), e('c'), e('b')]).map((r) => r.name), ['c', 'b', 'a']);
  });

  test('the description: rate, calls grouped in any locale, ASR to a tenth of a percent', () => {
    assert.equal(runDescription(info()), '20/s · 1,200 calls · ASR 99.2 %');
    assert.equal(runDescription(info({ offered: 1, answered: 1, failed: 0, asr: 1 })), '20/s · 1 call · ASR 100.0 %');
    // Nothing ended (a run stopped at the preflight): no ASR to speak of.
    assert.equal(runDescription(info({ offered: 0, answered: 0, failed: 0, asr: 0 })), '20/s · 0 calls · ASR –');
  });

  test('the verdict: none without thresholds, failed when one broke', () => {
    assert.equal(runVerdict(info()), undefined);
    const pass = { threshold: 'asr>=0.99', ok: true, actual: 0.992, expected: 0.99, kind: 'ratio' as const };
    const fail = { threshold: 'setup_p95<10ms', ok: false, actual: 48.2, expected: 10, kind: 'time' as const };
    assert.equal(runVerdict(info({ thresholds: [pass] })), 'passed');
    const failed = info({ thresholds: [pass, fail] });
    assert.equal(runVerdict(failed), 'failed');
    const lines = runTooltipLines({ name: 'n', dir: '/w/.fsdev/runs/n', mtimeMs: 0, run: failed }, 'en-GB', 'UTC');
    assert.ok(lines.includes('Thresholds: 1 of 2 failed'), lines.join('\n'));
    assert.ok(lines.includes('  FAILED  setup_p95<10ms: 48.2 ms'), lines.join('\n'));
    assert.ok(lines.includes('  passed  asr>=0.99: 99.2 %'), lines.join('\n'));
  });

  test('the label: the start in the given locale and time zone; the folder name without a start time', () => {
    const entry: LoadRunEntry = { name: '2026-11-29T10-00-00Z', dir: '/r', mtimeMs: 0, run: info() };
    assert.equal(runStartText(entry, 'en-GB', 'UTC'), '29 Nov 2026, 10:00:00');
    assert.equal(runStartText(entry, 'de-DE', 'Europe/Berlin'), '29.11.2026, 11:00:00');
    assert.equal(runStartText({ ...entry, run: { problem: 'bad' } }, 'en-GB', 'UTC'), '2026-11-29T10-00-00Z');
  });

  test('an unreadable run\'s tooltip names the problem and the file', () => {
    const lines = runTooltipLines({ name: 'broken', dir: '/w/.fsdev/runs/broken', mtimeMs: 0, run: { problem: 'Unexpected end of JSON input' } }, 'en-GB', 'UTC');
    assert.deepEqual(lines, ['broken: summary.json cannot be opened', 'Unexpected end of JSON input', join('/w/.fsdev/runs/broken', 'summary.json')]);
  });
});
