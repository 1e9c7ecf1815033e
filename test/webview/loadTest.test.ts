// The Load Test webview bundle in real Chromium, fed by the real host-side LoadTestModel: the form,
// live ticks drawn as uPlot charts, *not offered* by reason, the hangup-cause table, failed calls
// with timeline links, the preflight with its exact fsctl commands, bad input refused before
// anything is sent, and hostile cause names shown as text. Screenshots in three themes:
// test-results/webview/loadTest-*.png.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LoadTestModel } from '../../src/extension/load/loadTestModel';
import { DEFAULT_LOAD_SETTINGS, type LoadHostRequest, type LoadSettings, type LoadTick, type LoadTotals } from '../../src/shared/protocol/loadTest';
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
  };
}

interface Harness {
  wv: WebviewPage;
  model: LoadTestModel;
  sent: LoadHostRequest[];
  started: LoadSettings[];
  timelines: string[];
}

async function open(browser: BrowserHandle, theme: ThemeName): Promise<Harness> {
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
  ref.model = model;
  for (const m of pending) model.handle(m);
  await waitFor(() => wv.received.some((m) => (m as { type?: string }).type === 'ready'), 'ready');
  await wv.page.waitForSelector('vscode-textfield#rate');
  return { wv, model, sent, started, timelines };
}

describe('Load Test webview in Chromium', { timeout: 90_000 }, () => {
  let browser: BrowserHandle;
  before(async () => {
    browser = await launchBrowser({ viewport: { width: 1280, height: 1100 } });
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
      doc.querySelector('vscode-textfield#destination').value = '9664\nhupall';
    });
    await page.locator('vscode-button', { hasText: 'Start' }).first().click();
    await waitFor(() => wv.received.some((m) => (m as { type?: string }).type === 'start'), 'the start message');
    await page.locator('.error', { hasText: 'line break' }).waitFor();
    assert.equal(started.length, 0, 'the host refused the destination with a line break');
    await page.locator('vscode-textfield#destination input').fill('9664');
    await page.locator('vscode-button', { hasText: 'Start' }).first().click();
    await waitFor(() => started.length === 1, 'a start');
    assert.equal(started[0]!.rate, 50);
    assert.deepEqual(started[0]!.servers, ['lab']);
    assert.deepEqual(await wv.violations(), []);
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

  for (const theme of ['dark', 'light', 'highContrast'] as const) {
    test(`live ticks draw the dashboard (${theme})`, async () => {
      const { wv, model, sent, timelines } = await open(browser, theme);
      const page = wv.page;
      model.handle({ type: 'start', settings: model.state.settings });
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
    });
  }
});
