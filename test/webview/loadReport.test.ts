// report.html of a load run opened in Debian's Chromium from a file:// URL with the network blocked:
// the four uPlot charts draw from the data island, their legends name the series, no console error
// or CSP violation, and nothing from the run's hostile text runs. One report from the source
// (hostile fixture), one written by the built CLI (dist/fsdev.js load --out) against the test
// server, which shows the bundle carries uPlot. Screenshots: test-results/webview/loadReport-*.png.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { loadReportHtml } from '../../src/apphost/loadReport';
import { REPO_ROOT, type BrowserHandle } from '../e2e/harness';
import { TestEslServer } from '../server/eslServer';
import { EVIL_CAUSE, hostileRunFile } from '../support/loadRunFixture';
import { SHOTS_DIR, launchBrowser } from './pageHarness';

interface Opened {
  page: Page;
  /** Console errors, page errors, dialogs, CSP violations and requests that left the file. */
  problems: string[];
}

/**
 * Resolves once `expression` is true in the page. Not page.waitForFunction: it evaluates its
 * predicate with eval, which the report's CSP refuses; page.evaluate goes through DevTools.
 */
async function pageUntil(page: Page, expression: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${expression}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function openReport(browser: BrowserHandle, file: string): Promise<Opened> {
  const page = await browser.newPage();
  const problems: string[] = [];
  // A report must need nothing but itself: any request beyond the file is refused and reported.
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    problems.push(`request ${url}`);
    return route.abort();
  });
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) problems.push(`request ${r.url()}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog ${d.message()}`);
    void d.dismiss();
  });
  // Browser-side code as text: the tests' tsconfig has no DOM types.
  await page.addInitScript("document.addEventListener('securitypolicyviolation', (e) => console.error('CSP ' + e.violatedDirective + ' ' + e.blockedURI))");
  await page.goto(pathToFileURL(file).href);
  await pageUntil(page, "document.querySelectorAll('.uplot canvas').length === 4");
  return { page, problems };
}

/** Per chart: its caption, its legend's labels, and whether its canvas has anything drawn. */
function charts(page: Page): Promise<{ caption: string; labels: string[]; drawn: boolean }[]> {
  return page.evaluate(`[...document.querySelectorAll('figure')].map((f) => {
    const canvas = f.querySelector('canvas');
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    return {
      caption: f.querySelector('figcaption').textContent,
      labels: [...f.querySelectorAll('.u-legend .u-label')].map((l) => l.textContent),
      drawn: pixels.some((v, i) => i % 4 === 3 && v > 0),
    };
  })`);
}

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS_DIR, { recursive: true });
  await page.screenshot({ path: join(SHOTS_DIR, `${name}.png`), fullPage: true });
}

describe('load run report.html in Chromium', { timeout: 90_000 }, () => {
  let browser: BrowserHandle;
  let dir: string;
  before(async () => {
    browser = await launchBrowser({ viewport: { width: 1280, height: 900 } });
    await browser.context.setOffline(true);
    dir = mkdtempSync(join(tmpdir(), 'fsdev-report-'));
  });
  after(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a run with hostile names: four charts, legends as text, no script from the run, light and dark', async () => {
    const file = join(dir, 'hostile.html');
    writeFileSync(file, loadReportHtml(hostileRunFile()));
    const { page, problems } = await openReport(browser, file);
    const drawn = await charts(page);
    assert.deepEqual(
      drawn.map((c) => c.labels),
      [
        ['target', 'offered', 'achieved (answered)', 'not offered'],
        ['calls up', 'erlangs'],
        ['p50', 'p95', 'p99'],
        ['USER_BUSY', EVIL_CAUSE, 'NO_ANSWER', 'other'],
      ],
    );
    assert.ok(drawn.every((c) => c.drawn), 'every canvas has lines');
    assert.equal(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned), undefined, 'no hostile script ran');
    assert.equal(await page.locator('img').count(), 0, 'no element from the run\'s text');
    assert.match((await page.locator('table', { hasText: 'Per server' }).textContent()) ?? '', /fs2<img src=x onerror=alert\(1\)>/);
    await page.emulateMedia({ colorScheme: 'light' });
    await screenshot(page, 'loadReport-light');
    // The charts are drawn again in the dark scheme's colours: the old ones go, four new ones come.
    await page.evaluate("document.querySelectorAll('.uplot').forEach((u) => u.classList.add('light-drawn'))");
    await page.emulateMedia({ colorScheme: 'dark' });
    await pageUntil(page, "document.querySelectorAll('.uplot.light-drawn').length === 0 && document.querySelectorAll('.uplot canvas').length === 4");
    assert.equal(await page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--bg').trim()"), '#0d1117');
    await screenshot(page, 'loadReport-dark');
    await page.emulateMedia({ colorScheme: 'dark', media: 'print' });
    await screenshot(page, 'loadReport-print');
    assert.deepEqual(problems, []);
  });

  test('the report the built CLI writes (dist/fsdev.js load --out) draws the same way', async () => {
    const server = new TestEslServer({ password: 'ClueCon', heartbeatMs: 0 });
    await server.start();
    const out = join(dir, 'cli-run');
    try {
      await promisify(execFile)(
        process.execPath,
        [join(REPO_ROOT, 'dist', 'fsdev.js'), 'load', '--server', `127.0.0.1:${server.port}`, '--rate', '20', '--max-offered', '70', '--duration', '50ms', '--endpoint', 'loopback/load', '--out', out, '--run-id', 'cli-report'],
        { env: { ...process.env, FREESWITCH_PASSWORD: 'ClueCon' } },
      );
    } finally {
      await server.stop();
    }
    const { page, problems } = await openReport(browser, join(out, 'report.html'));
    const drawn = await charts(page);
    assert.equal(drawn.length, 4);
    assert.deepEqual(drawn[0]!.labels, ['target', 'offered', 'achieved (answered)', 'not offered']);
    assert.ok(drawn[0]!.drawn);
    assert.match((await page.locator('table', { hasText: 'Totals' }).textContent()) ?? '', /Offered70/);
    await screenshot(page, 'loadReport-cli');
    assert.deepEqual(problems, []);
  });
});
