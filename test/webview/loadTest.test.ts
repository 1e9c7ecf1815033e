// The Load Test webview bundle in real Chromium, fed by the real host-side LoadTestModel: the form,
// the call mix as rows and the thresholds, live ticks drawn as uPlot charts, *not offered* by
// reason, each threshold's verdict live and at the end, the totals per server, the hangup-cause
// table, failed calls with timeline links, the preflight with its exact fsctl commands, bad input
// refused before anything is sent, hostile cause and server names shown as text, and two saved
// runs overlaid. Screenshots in three themes: test-results/webview/loadTest-*.png.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LoadTestModel, comparisonStates, savedRunState } from '../../src/extension/load/loadTestModel';
import { DEFAULT_LOAD_SETTINGS, type LoadHostRequest, type LoadSettings, type LoadTestState, type LoadTick, type LoadTotals } from '../../src/shared/protocol/loadTest';
import type { BrowserHandle } from '../e2e/harness';
import { launchBrowser, openWebview, waitFor, type ThemeName, type WebviewPage } from './pageHarness';

const EVIL = '<img src=x onerror="globalThis.__pwned=1">';

function tick(second: number): LoadTick {
  const ramp = Math.min(1, second / 10);
  const offered = Math.round(50 * ramp);
  const failed = second > 20 ? 3 : second % 7 === 0 ? 1 : 0;
  return {
    second,
    targetRate: 50 * ramp,
    offered,
    answered: Math.max(0, offered - failed - (second === 15 ? 8 : 0)),
    failed,
    notOffered: second === 15 ? 8 : 0,
    concurrent: Math.min(250, offered * 5 + second),
    erlangs: Math.min(240, offered * 4.8),
    setupP50: 18 + (second % 5),
    setupP95: 35 + (second % 9) * 2,
    setupP99: 60 + (second % 11) * 4,
    failuresByCause: second > 20 ? { USER_BUSY: 2, [EVIL]: 1 } : failed ? { NO_ANSWER: 1 } : {},
  };
}

function totals(second: number): LoadTotals {
  return {
    elapsedS: second + 1,
    currentRate: 50 * Math.min(1, second / 10),
    rate: 50,
    limit: 250,
    durationMs: 5000,
    offered: 1520,
    notOffered: 8,
    notOfferedByReason: { limit: 8, backlog: 0, 'no-server': 0, late: 0 },
    answered: 1490,
    failed: 22,
    inProgress: 247,
    asr: 1490 / 1512,
    setupP95: 48,
    hangupCauses: { NORMAL_CLEARING: 1240, USER_BUSY: 14, NO_ANSWER: 4, [EVIL]: 4 },
    firstFailures: [
      { uuid: '0b7e3f3a-2d0c-4c6e-9d0a-3e1f00000001', server: 'lab', cause: 'NO_ANSWER', sentAt: Date.UTC(2026, 10, 29, 10, 0, 0) },
      { uuid: '0b7e3f3a-2d0c-4c6e-9d0a-3e1f00000002', server: 'lab', cause: EVIL, sentAt: Date.UTC(2026, 10, 29, 10, 0, 21) },
    ],
    thresholds: [
      { threshold: 'asr>=0.99', ok: false, actual: 1490 / 1512, expected: 0.99, kind: 'ratio' },
      { threshold: 'setup_p95<250ms', ok: true, actual: 48, expected: 250, kind: 'time' },
      { threshold: 'not_offered==0', ok: false, actual: 8, expected: 0, kind: 'number' },
    ],
    servers: [
      { server: 'lab', offered: 1000, answered: 980, failed: 12, asr: 980 / 992, setupP95: 45.4, inProgress: 150 },
      { server: EVIL, offered: 520, answered: 510, failed: 10, asr: 510 / 520, setupP95: null, inProgress: 97 },
    ],
  };
}

interface Harness {
  wv: WebviewPage;
  model: LoadTestModel;
  sent: LoadHostRequest[];
  started: LoadSettings[];
  timelines: string[];
}

async function open(browser: BrowserHandle, theme: ThemeName, saved?: LoadTestState): Promise<Harness> {
  const sent: LoadHostRequest[] = [];
  const started: LoadSettings[] = [];
  const timelines: string[] = [];
  const ref: { model?: LoadTestModel } = {};
  const pending: unknown[] = [];
  const wv = await openWebview(browser, 'loadTest', {
    theme,
    onMessage: (m) => (ref.model ? ref.model.handle(m) : pending.push(m)),
  });
  const page = wv;
  const model = new LoadTestModel(
    {
      post: (n) => void page.post(n),
      start: async (s) => void started.push(s),
      send: (r) => sent.push(r),
      openTimeline: (_server, uuid) => void timelines.push(uuid),
      openRunFolder: () => undefined,
    },
    [
      { name: 'lab', label: 'lab (10.0.0.5:8021)', connected: true },
      { name: 'spare', label: 'spare (10.0.0.6:8021)', connected: false },
    ],
    { ...DEFAULT_LOAD_SETTINGS, servers: ['lab'], rate: 50, limit: 250 },
  );
  // As the panel opens a saved run: the model's state is the run's.
  if (saved) Object.assign(model.state, saved);
  ref.model = model;
  for (const m of pending) model.handle(m);
  await waitFor(() => wv.received.some((m) => (m as { type?: string }).type === 'ready'), 'ready');
  await wv.page.waitForSelector('vscode-textfield#rate');
  return { wv, model, sent, started, timelines };
}

describe('Load Test webview in Chromium', { timeout: 90_000 }, () => {
  let browser: BrowserHandle;
  before(async () => {
    browser = await launchBrowser({ viewport: { width: 1280, height: 1700 } });
  });
  after(async () => {
    await browser?.close();
  });

  test('bad input is refused before anything is sent; a good start reaches the host once', async () => {
    const { wv, started } = await open(browser, 'dark');
    const page = wv.page;
    await page.locator('vscode-textfield#rate input').fill('0');
    await page.locator('vscode-button', { hasText: 'Start' }).first().click();
    await page.waitForSelector('.error:not([hidden])');
    assert.match((await page.locator('.error').textContent()) ?? '', /Rate must be a number of calls per second above 0/);
    await page.locator('vscode-textfield#rate input').fill('50');
    // A line break cannot be typed into a one-line field; a compromised view could still send one.
    await page.evaluate(() => {
      const doc = (globalThis as unknown as { document: { querySelector(s: string): { value: string } } }).document;
      doc.querySelector('vscode-textfield.mix-destination').value = '9664\nhupall';
    });
    await page.locator('vscode-button', { hasText: 'Start' }).first().click();
    await waitFor(() => wv.received.some((m) => (m as { type?: string }).type === 'start'), 'the start message');
    await page.locator('.error', { hasText: 'line break' }).waitFor();
    assert.equal(started.length, 0, 'the host refused the destination with a line break');
    await page.locator('vscode-textfield.mix-destination input').fill('9664');
    await page.locator('vscode-button', { hasText: 'Start' }).first().click();
    await waitFor(() => started.length === 1, 'a start');
    assert.equal(started[0]!.rate, 50);
    assert.deepEqual(started[0]!.servers, ['lab']);
    assert.deepEqual(await wv.violations(), []);
  });

  test('a ticked server that disconnects is ticked again when it reconnects', async () => {
    const { wv, model, started } = await open(browser, 'dark');
    const page = wv.page;
    const lab = { name: 'lab', label: 'lab (10.0.0.5:8021)', connected: true };
    const spare = (connected: boolean) => ({ name: 'spare', label: 'spare (10.0.0.6:8021)', connected });
    const box = 'vscode-checkbox[data-server="spare"]';
    const ticked = () => page.locator(box).evaluate((c) => (c as unknown as { checked: boolean }).checked);
    model.setServers([lab, spare(true)]);
    await page.locator(`${box}:not([disabled])`).waitFor();
    await page.locator(box).click();
    assert.equal(await ticked(), true);
    model.setServers([lab, spare(false)]);
    await page.locator(`${box}[label$="not connected"]`).waitFor();
    assert.equal(await ticked(), false, 'a server that is not connected is not ticked');
    model.setServers([lab, spare(true)]);
    await page.locator(`${box}[label="spare (10.0.0.6:8021)"]`).waitFor();
    assert.equal(await ticked(), true, 'the tick came back');
    await page.locator('vscode-button', { hasText: 'Start' }).first().click();
    await waitFor(() => started.length === 1, 'a start');
    assert.deepEqual(started[0]!.servers, ['lab', 'spare']);
  });

  test('the preflight shows the problems and the exact fsctl commands; Apply Limits forwards', async () => {
    const { wv, model, sent } = await open(browser, 'dark');
    model.handle({ type: 'start', settings: model.state.settings });
    model.onReply({ type: 'preflight', preflight: { servers: [{ server: 'lab', problems: ['sessions-per-second is 30; this run needs 103'], commands: ['fsctl sps 103', 'fsctl max_sessions 1200'] }], blocking: false } });
    model.onReply({ type: 'phase', phase: 'preflight', runId: 'run-1' });
    const page = wv.page;
    await page.waitForSelector('.preflight:not([hidden]) .commands');
    assert.equal(await page.locator('.commands').textContent(), 'lab: fsctl sps 103\nlab: fsctl max_sessions 1200');
    await wv.screenshot('loadTest-preflight-dark');
    await page.locator('.preflight vscode-button', { hasText: 'Apply Limits' }).click();
    await waitFor(() => sent.some((r) => r.type === 'applyLimits'), 'applyLimits');
  });

  test('a profile\'s mix and thresholds fill the rows; weights show as shares; bad weights and thresholds are refused by the host', async () => {
    const { wv, model, started } = await open(browser, 'dark');
    const page = wv.page;
    // Unticked by hand, then a profile (or Open Load Test on Group) names the same server: ticked again.
    await page.locator('vscode-checkbox[data-server="lab"]').click();
    await page.locator('vscode-checkbox[data-server="lab"]:not([checked])').waitFor();
    // What "Open in Load Test Panel" does with a profile's settings.
    model.setSettings({
      ...model.state.settings,
      targets: [
        { destination: '9664', endpoint: 'loopback', app: 'park', weight: 4 },
        { destination: '9196', endpoint: 'sofia/internal', app: 'playback', appArg: '/tmp/a.wav', weight: 1, name: 'prompt', variables: { x_test: 'y' } },
      ],
      thresholds: ['asr>=0.99', 'setup_p95<250ms'],
    });
    await page.locator('vscode-checkbox[data-server="lab"][checked]').waitFor();
    const rows = page.locator('.mix-rows .mix-row');
    await rows.nth(1).waitFor();
    assert.equal(await rows.count(), 2);
    assert.deepEqual(await page.locator('.mix-share').allTextContents(), ['80 %', '20 %']);
    assert.equal(await rows.nth(1).locator('vscode-textfield.mix-app').evaluate((e) => (e as unknown as { value: string }).value), 'playback:/tmp/a.wav');
    assert.equal(await rows.nth(1).locator('.mix-note').textContent(), 'prompt · 1 variable');
    assert.equal(await page.locator('.threshold-row').count(), 2);
    // A third row; weight 0 is refused by the host with the row named.
    await page.locator('button', { hasText: 'Add Destination' }).click();
    await rows.nth(2).waitFor();
    await rows.nth(2).locator('vscode-textfield.mix-destination input').fill('5000');
    await rows.nth(2).locator('vscode-textfield.mix-weight input').fill('0');
    assert.equal(await page.locator('.mix-share').nth(2).textContent(), '–');
    await page.locator('vscode-button', { hasText: 'Start' }).first().click();
    await page.locator('.error', { hasText: 'Call mix row 3: the weight must be a number above 0' }).waitFor();
    await rows.nth(2).locator('vscode-textfield.mix-weight input').fill('5');
    assert.deepEqual(await page.locator('.mix-share').allTextContents(), ['40 %', '10 %', '50 %']);
    // A snapshot with the same settings (a server connected) keeps what was typed.
    model.setServers([{ name: 'lab', label: 'lab (10.0.0.5:8021)', connected: true }, { name: 'spare', label: 'spare (10.0.0.6:8021)', connected: true }]);
    await page.locator('vscode-checkbox[data-server="spare"]:not([disabled])').waitFor();
    assert.equal(await rows.count(), 3);
    assert.equal(await rows.nth(2).locator('vscode-textfield.mix-destination').evaluate((e) => (e as unknown as { value: string }).value), '5000');
    // A threshold the parser of fsdev load does not take.
    await page.locator('button', { hasText: 'Add Threshold' }).click();
    await page.locator('.threshold-row').nth(2).locator('vscode-textfield input').fill('setup_p95<fast');
    await page.locator('vscode-button', { hasText: 'Start' }).first().click();
    await page.locator('.error', { hasText: 'threshold "setup_p95<fast": unknown metric fast' }).waitFor();
    assert.equal(started.length, 0);
    await page.locator('.threshold-row').nth(2).locator('vscode-textfield input').fill('not_offered==0');
    // The second row goes; the first row alone could not.
    await page.locator('button[aria-label="Remove row 2"]').click();
    // The rows' labels follow their places.
    assert.deepEqual(await page.locator('.mix-rows button.tb-button').evaluateAll((bs) => bs.map((b) => b.getAttribute('aria-label'))), ['Remove row 1', 'Remove row 2']);
    await page.locator('vscode-single-select#balance').click();
    await page.getByRole('option', { name: 'least-loaded' }).click();
    await page.locator('vscode-button', { hasText: 'Start' }).first().click();
    await waitFor(() => started.length === 1, 'a start');
    assert.deepEqual(started[0]!.targets, [
      { destination: '9664', endpoint: 'loopback', app: 'park', weight: 4 },
      { destination: '5000', endpoint: 'sofia/internal', app: 'playback', weight: 5 },
    ]);
    assert.deepEqual(started[0]!.thresholds, ['asr>=0.99', 'setup_p95<250ms', 'not_offered==0']);
    assert.equal(started[0]!.balance, 'least-loaded');
    // While the run goes the rows are fixed.
    await page.locator('button[aria-label="Add Destination"]:disabled').waitFor({ state: 'attached' });
    assert.equal(await rows.first().locator('vscode-textfield.mix-destination').evaluate((e) => (e as unknown as { disabled: boolean }).disabled), true);
    await wv.screenshot('loadTest-mix-dark');
  });

  for (const theme of ['dark', 'light', 'highContrast'] as const) {
    test(`Compare Load Test Runs: both runs overlaid on the same axes, each named in the legend (${theme})`, async () => {
      const run = (dir: string, scale: number) => {
        const s = savedRunState({ runId: dir, settings: { ...DEFAULT_LOAD_SETTINGS, servers: ['lab'], thresholds: ['asr>=0.99', 'setup_p95<250ms', 'not_offered==0'] }, ticks: Array.from({ length: 30 }, (_, i) => ({ ...tick(i), offered: Math.round(tick(i).offered * scale), setupP95: tick(i).setupP95! * scale })), totals: totals(29) }, `/w/.fsdev/runs/${dir}`);
        assert.ok(!('error' in s));
        return s;
      };
      const [a] = comparisonStates(run('2026-11-29T10-00-00Z', 1), run('2026-11-29T11-00-00Z', 1.5));
      const { wv } = await open(browser, theme, a);
      const page = wv.page;
      await page.locator('.comparison .uplot').nth(1).waitFor();
      assert.equal(await page.locator('.phase').textContent(), 'saved run');
      assert.match((await page.locator('.comparison h2').textContent()) ?? '', /2026-11-29T10-00-00Z and 2026-11-29T11-00-00Z/);
      for (const i of [0, 1]) {
        const legend = (await page.locator('.comparison .uplot').nth(i).locator('.u-legend th').allTextContents()).filter((l) => l.trim() !== 's');
        assert.equal(legend.length, 4, `legend ${i}: ${legend.join('|')}`);
        assert.equal(legend.filter((l) => l.includes('2026-11-29T10-00-00Z')).length, 2, `legend ${i}: ${legend.join('|')}`);
        assert.equal(legend.filter((l) => l.includes('2026-11-29T11-00-00Z')).length, 2, `legend ${i}: ${legend.join('|')}`);
      }
      // Each run's own charts stay below.
      await page.locator('.charts > .chart-wrap .uplot').nth(3).waitFor();
      assert.deepEqual(await wv.violations(), []);
      await wv.screenshot(`loadTest-compare-${theme}`);
    });
  }

  for (const theme of ['dark', 'light', 'highContrast'] as const) {
    test(`live ticks draw the dashboard (${theme})`, async () => {
      const { wv, model, sent, timelines } = await open(browser, theme);
      const page = wv.page;
      model.handle({ type: 'start', settings: { ...model.state.settings, thresholds: ['asr>=0.99', 'setup_p95<250ms', 'not_offered==0'] } });
      model.onReply({ type: 'phase', phase: 'originating', runId: 'run-2' });
      for (let s = 0; s < 30; s++) model.onReply({ type: 'tick', tick: tick(s), totals: totals(s) });
      await page.locator('.uplot canvas').nth(3).waitFor();
      await page.locator('.stats', { hasText: '30 s' }).waitFor();
      assert.equal(await page.locator('.phase').textContent(), 'originating');
      assert.match((await page.locator('.not-offered').textContent()) ?? '', /8 not offered[\s\S]*8 limit/);
      const causes = await page.locator('.causes td').allTextContents();
      assert.ok(causes.includes('NORMAL_CLEARING') && causes.includes(EVIL), `causes: ${causes.join('|')}`);
      const legends = await page.locator('.u-legend th').allTextContents();
      assert.ok(legends.some((l) => l.includes('answered')) && legends.some((l) => l.includes('p95')) && legends.some((l) => l.includes('USER_BUSY')), `legends: ${legends.join('|')}`);
      assert.equal(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned), undefined, 'no injected markup ran');
      assert.equal(await page.locator('img').count(), 0);
      // Each threshold's verdict on the totals so far, with its value.
      assert.equal(await page.locator('.verdicts h2').textContent(), 'Thresholds (live): 2 of 3 fail so far');
      const verdicts = await page.locator('.verdicts tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.className, ...[...tr.querySelectorAll('td')].map((td) => td.textContent!.trim())]));
      assert.deepEqual(verdicts, [
        ['fail', 'asr>=0.99', '98.54 %', '99 %', 'fail'],
        ['pass', 'setup_p95<250ms', '48 ms', '250 ms', 'pass'],
        ['fail', 'not_offered==0', '8', '0', 'fail'],
      ]);
      // The totals of each server.
      const perServer = await page.locator('.per-server tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent!.trim())));
      assert.deepEqual(perServer, [
        ['lab', '1,000', '980', '12', '98.8 %', '45 ms', '150'],
        [EVIL, '520', '510', '10', '98.1 %', '–', '97'],
      ]);
      // Live changes and the buttons.
      await page.locator('vscode-button', { hasText: 'Pause' }).click();
      await page.locator('vscode-textfield#rate input').fill('80');
      await page.locator('vscode-textfield#rate input').press('Tab');
      await waitFor(() => sent.some((r) => r.type === 'set' && r.rate === 80), 'the live rate');
      assert.ok(sent.some((r) => r.type === 'pause'));
      await page.locator('.failures a.link').first().click();
      await waitFor(() => timelines.length === 1, 'a timeline link');
      assert.equal(timelines[0], '0b7e3f3a-2d0c-4c6e-9d0a-3e1f00000001');
      await page.locator('.failures a.link').first().focus();
      await page.keyboard.press('Enter');
      await waitFor(() => timelines.length === 2, 'a timeline link from the keyboard');
      assert.deepEqual(await wv.violations(), []);
      assert.deepEqual(wv.received.filter((m) => typeof m === 'object' && m !== null && ('pageerror' in m || 'unexpectedRequest' in m)), []);
      await wv.screenshot(`loadTest-${theme}`);
      // At the end the verdicts are final.
      model.onReply({ type: 'done', totals: totals(30), summaryFile: '/tmp/run/summary.json' });
      await page.locator('.verdicts h2', { hasText: 'Thresholds: 2 of 3 failed' }).waitFor();
    });
  }
});
