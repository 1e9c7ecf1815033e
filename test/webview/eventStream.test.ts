// The event stream webview bundle in real Chromium, driven by the real host-side model
// (EventStreamModel) through the protocol: safety against hostile event data, virtualisation, the
// buffer limit, filters, pause, detail, copy and export. Screenshots: test-results/webview/.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { EslEvent } from '../../src/core/esl/event';
import { FrameParser, decodeEventFrame } from '../../src/core';
import { EventStreamModel, type EventStreamModelOptions } from '../../src/extension/webviews/eventStreamModel';
import { loadCapture } from '../support/captures';
import { launchBrowser, openWebview, waitFor, type ThemeName, type WebviewPage } from './pageHarness';
import type { BrowserHandle } from '../e2e/harness';

const HOSTILE = {
  img: '<img src=x onerror="globalThis.__pwned=1">',
  script: '<script>globalThis.__pwned=2</script>',
  link: '<a href="javascript:globalThis.__pwned=3">click me</a>',
  rtl: 'Bob \u202Eevil\u202C Smith',
  zeroWidth: 'Ali\u200Bce\u200D',
  long: `L${'x'.repeat(100_000)}`,
};

interface Harness {
  wv: WebviewPage;
  model: EventStreamModel;
  copied: string[];
  exported: string[][];
  /** While `held` is set, the view's `rendered` answers wait here (a view that is slow to draw). */
  answers: { held: boolean; queue: unknown[]; release(): void };
}

let clock = Date.now() * 1000;
function event(name: string, headers: Record<string, string> = {}, body = ''): EslEvent {
  clock += 1000;
  return new EslEvent({ 'Event-Name': name, 'Event-Date-Timestamp': String(clock), 'Channel-State': 'CS_EXECUTE', ...headers }, body);
}

function call(uuid: string, caller: string, dest = '9196'): Record<string, string> {
  return { 'Unique-ID': uuid, 'Caller-Caller-ID-Number': caller, 'Caller-Caller-ID-Name': caller, 'Caller-Destination-Number': dest, 'Channel-Name': `loopback/${dest}-a` };
}

async function open(browser: BrowserHandle, opts: { bufferSize?: number; theme?: ThemeName; model?: Partial<EventStreamModelOptions> } = {}): Promise<Harness> {
  const copied: string[] = [];
  const exported: string[][] = [];
  // Assigned once the page exists; the page's messages reach it through this box.
  const box: { model?: EventStreamModel } = {};
  const answers = {
    held: false,
    queue: [] as unknown[],
    release(): void {
      answers.held = false;
      for (const m of answers.queue.splice(0)) box.model?.handle(m);
    },
  };
  const onMessage = (m: unknown): void => {
    if (answers.held && (m as { type?: string }).type === 'rendered') answers.queue.push(m);
    else box.model?.handle(m);
  };
  const wv = await openWebview(browser, 'eventStream', { theme: opts.theme ?? 'dark', onMessage });
  const model = (box.model = new EventStreamModel({
    bufferSize: opts.bufferSize ?? 10_000,
    server: 'Test FS (127.0.0.1:8021)',
    post: (m) => void wv.post(m),
    actions: { copy: (j) => copied.push(j), exportJsonl: (l) => exported.push(l) },
    ...opts.model,
  }));
  // The webview said ready before the model existed: replay it.
  for (const m of wv.received) model.handle(m);
  await wv.page.locator('#stats').filter({ hasText: 'buffered' }).waitFor({ timeout: 5000 });
  return { wv, model, copied, exported, answers };
}

const rowCount = (wv: WebviewPage): Promise<number> => wv.page.locator('#rows .row').count();
/** Waits until the list shows exactly `n` rows (rendering is batched, so it follows the data by a frame). */
const rowsShown = (wv: WebviewPage, n: number): Promise<unknown> =>
  wv.page.waitForFunction((count) => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('#rows .row').length === count, n);

describe('event stream webview in Chromium', { timeout: 60_000 }, () => {
  let browser: BrowserHandle;
  before(async () => {
    browser = await launchBrowser({ viewport: { width: 1280, height: 720 } });
  });
  after(async () => {
    await browser?.close();
  });

  test('hostile caller names and variables render as text and execute nothing', async () => {
    const { wv, model } = await open(browser);
    const uuid = randomUUID();
    for (const [key, value] of Object.entries(HOSTILE)) {
      model.ingest(event('CHANNEL_CREATE', { ...call(uuid, value), [`variable_${key}`]: value, [value.slice(0, 60)]: 'header name is hostile too' }));
    }
    model.ingest(event('CUSTOM', { 'Event-Subclass': '<b>sofia::register</b>', username: HOSTILE.img }, HOSTILE.script));
    await waitFor(() => true, '');
    await wv.page.locator('#rows .row').nth(6).waitFor();
    const parties = await wv.page.locator('#rows .row .c-party').allTextContents();
    assert.ok(parties.includes(`${HOSTILE.img} → 9196`), 'the img payload is shown as text');
    assert.ok(parties.includes(`${HOSTILE.script} → 9196`));
    assert.ok(parties.includes(`${HOSTILE.link} → 9196`));
    assert.ok(parties.includes(`${HOSTILE.rtl} → 9196`), 'RTL overrides are kept as text');
    assert.ok(parties.some((p) => p.startsWith('Lxxxx') && p.length < 400), 'a very long value is cut in the row');
    assert.equal(await wv.page.locator('#app img, #app script, #app a, #app b').count(), 0, 'no element came from event data');
    // Open the detail of the img row and of the RTL/zero-width rows.
    await wv.page.locator('#rows .row .c-party', { hasText: '<img' }).click();
    await wv.page.locator('#detail-body table.headers').waitFor();
    const values = await wv.page.locator('#detail-body .hvalue').allTextContents();
    assert.ok(values.includes(HOSTILE.img));
    assert.ok((await wv.page.locator('#detail-body .hname').allTextContents()).includes(HOSTILE.img.slice(0, 60)), 'a hostile header name is text');
    await wv.page.locator('#rows .row .c-party', { hasText: 'Smith' }).click();
    await wv.page.locator('#detail-body .invisible', { hasText: 'U+202E' }).first().waitFor();
    await wv.page.locator('#rows .row .c-party', { hasText: 'Ali' }).click();
    await wv.page.locator('#detail-body .invisible', { hasText: 'U+200B' }).first().waitFor();
    await wv.page.locator('#rows .row .c-party', { hasText: 'Lxxx' }).click();
    await wv.page.locator('#detail-body', { hasText: 'more characters (Copy as JSON has them all)' }).waitFor();
    await wv.page.locator('#rows .row .c-name', { hasText: 'sofia::register' }).click();
    await wv.page.locator('#detail-body pre.event-body', { hasText: HOSTILE.script }).waitFor();
    await wv.screenshot('stream-hostile-dark');
    const pwned = await wv.page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned);
    assert.equal(pwned, undefined, 'no payload ran');
    assert.equal(await wv.page.locator('#app img, #app script, #app a, #app b').count(), 0);
    assert.deepEqual(wv.received.filter((m) => typeof m === 'object' && m !== null && ('dialog' in m || 'unexpectedRequest' in m || 'pageerror' in m)), []);
    assert.deepEqual(await wv.violations(), []);
    await wv.page.close();
  });

  test('the CSP blocks scripts without the nonce (defence in depth)', async () => {
    const { wv } = await open(browser);
    await wv.page.evaluate(() => {
      const doc = (globalThis as unknown as { document: { createElement(t: string): { textContent: string }; body: { append(n: unknown): void } } }).document;
      const s = doc.createElement('script');
      s.textContent = 'globalThis.__pwned = 4';
      doc.body.append(s);
    });
    await waitFor(() => true, '');
    const pwned = await wv.page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned);
    assert.equal(pwned, undefined);
    const violations = await wv.violations();
    assert.ok(violations.some((v) => v.startsWith('script-src')), `a violation was reported: ${violations.join(', ')}`);
    await wv.page.close();
  });

  test('virtualised: only visible rows are in the DOM; the buffer limit drops and says so', async () => {
    const { wv, model } = await open(browser, { bufferSize: 500 });
    const uuid = randomUUID();
    for (let i = 0; i < 2000; i++) model.ingest(event(i % 2 ? 'CHANNEL_EXECUTE' : 'CHANNEL_STATE', { ...call(uuid, `caller-${i}`), Application: `app-${i}` }));
    await wv.page.locator('#dropped', { hasText: '1,500 older events dropped (buffer of 500 full)' }).waitFor();
    await wv.page.locator('#stats', { hasText: '500 shown · 500 of 500 buffered · 2,000 received' }).waitFor();
    const inDom = await rowCount(wv);
    assert.ok(inDom > 10 && inDom < 80, `only visible rows are rendered (${inDom})`);
    // Auto-scroll: the newest row is visible.
    await wv.page.locator('#rows .row .c-party', { hasText: 'caller-1999 → 9196' }).waitFor();
    // Scrolling up stops auto-scroll; new events do not move the view; the jump button counts them.
    // As a user scrolling would (a wheel scroll animates; setting scrollTop is the same event, settled).
    await wv.page.evaluate(() => {
      const list = (globalThis as unknown as { document: { getElementById(id: string): { scrollTop: number } } }).document.getElementById('list');
      list.scrollTop = 4000;
    });
    await wv.page.locator('#jump').waitFor();
    await wv.page.locator('#rows .row').first().waitFor();
    const firstBefore = await wv.page.locator('#rows .row').first().getAttribute('data-seq');
    for (let i = 0; i < 5; i++) model.ingest(event('CHANNEL_STATE', call(uuid, `late-${i}`)));
    await wv.page.locator('#jump', { hasText: '5 new' }).waitFor();
    await wv.screenshot('stream-scrolled-up-dark');
    assert.ok(Number(await wv.page.locator('#rows .row').first().getAttribute('data-seq')) >= Number(firstBefore), 'the view stays on what the user reads');
    await wv.page.locator('#jump').click();
    await wv.page.locator('#rows .row .c-party', { hasText: 'late-4 → 9196' }).waitFor();
    await wv.page.close();
  });

  test('filters: names, call uuid (following linked legs), free text over headers', async () => {
    const { wv, model } = await open(browser);
    const a = randomUUID();
    const b = randomUUID();
    const other = randomUUID();
    model.ingest(event('CHANNEL_CREATE', call(a, '1000')));
    model.ingest(event('CHANNEL_CREATE', { ...call(b, '1000'), 'Other-Leg-Unique-ID': a }));
    model.ingest(event('CHANNEL_ANSWER', call(b, '1000')));
    model.ingest(event('CHANNEL_CREATE', { ...call(other, '2000', '5000'), variable_secret_tag: 'needle-in-a-header' }));
    model.ingest(event('HEARTBEAT', { 'Up-Time': '0 years', 'Session-Count': '3' }));
    await wv.page.locator('#rows .row').nth(4).waitFor();
    // Names (multi-select).
    await wv.page.locator('#names > summary').click();
    await wv.page.locator('#names .name-option', { hasText: /^CHANNEL_ANSWER$/ }).locator('input').check();
    await wv.page.locator('#names .name-option', { hasText: /^HEARTBEAT$/ }).locator('input').check();
    await waitFor(() => model.currentFilter.names.length === 2, 'names filter');
    await wv.page.locator('#names-label', { hasText: '2 events' }).waitFor();
    await rowsShown(wv, 2);
    await wv.screenshot('stream-names-filter-dark');
    await wv.page.locator('#names-clear').click();
    await wv.page.locator('#names > summary').click();
    await wv.page.locator('#rows .row').nth(4).waitFor();
    // Call uuid: the first leg's uuid also shows the second leg (linked by Other-Leg-Unique-ID).
    await wv.page.locator('#uuid-filter').fill(a);
    await waitFor(() => model.currentFilter.uuids[0] === a, 'uuid filter');
    await rowsShown(wv, 3);
    assert.deepEqual(await wv.page.locator('#rows .row .c-name').allTextContents(), ['CHANNEL_CREATE', 'CHANNEL_CREATE', 'CHANNEL_ANSWER']);
    await wv.page.locator('#call-chip').waitFor();
    await wv.page.locator('#uuid-filter').fill('');
    // Free text: matches a header value that is not in the row.
    await wv.page.locator('#text-filter').fill('NEEDLE-in-a');
    await waitFor(() => model.currentFilter.text === 'NEEDLE-in-a', 'text filter');
    await rowsShown(wv, 1);
    assert.deepEqual(await wv.page.locator('#rows .row .c-party').allTextContents(), ['2000 → 5000']);
    // New events are filtered as they arrive.
    model.ingest(event('CHANNEL_ANSWER', { ...call(other, '2000', '5000'), variable_secret_tag: 'needle-in-a-header' }));
    model.ingest(event('CHANNEL_ANSWER', call(a, '1000')));
    await wv.page.locator('#rows .row').nth(1).waitFor();
    assert.equal(await rowCount(wv), 2);
    await wv.page.close();
  });

  test('pause counts arriving events; resume shows them; clear empties', async () => {
    const { wv, model } = await open(browser);
    const uuid = randomUUID();
    for (let i = 0; i < 3; i++) model.ingest(event('CHANNEL_STATE', call(uuid, `before-${i}`)));
    await wv.page.locator('#rows .row').nth(2).waitFor();
    await wv.page.locator('#pause').click();
    await waitFor(() => model.isPaused, 'paused');
    for (let i = 0; i < 50; i++) model.ingest(event('CHANNEL_STATE', call(uuid, `during-${i}`)));
    await wv.page.locator('#pause', { hasText: 'Resume (50)' }).waitFor();
    await wv.page.locator('#paused-count', { hasText: 'Paused · 50 new events not shown' }).waitFor();
    assert.equal(await rowCount(wv), 3);
    await wv.screenshot('stream-paused-light').catch(() => undefined);
    await wv.page.locator('#pause').click();
    await wv.page.locator('#rows .row .c-party', { hasText: 'during-49 → 9196' }).waitFor();
    await wv.page.locator('#stats', { hasText: '53 shown' }).waitFor();
    await wv.page.locator('#clear').click();
    await wv.page.locator('#stats', { hasText: '0 shown · 0 of 10,000 buffered · 0 received' }).waitFor();
    await rowsShown(wv, 0);
    await wv.page.close();
  });

  test('detail, copy as JSON, export, keyboard navigation, open timeline', async () => {
    const { wv, model, copied, exported } = await open(browser, { theme: 'light' });
    const uuid = randomUUID();
    model.ingest(event('CHANNEL_CREATE', call(uuid, '1000')));
    model.ingest(event('CHANNEL_EXECUTE', { ...call(uuid, '1000'), Application: 'playback', 'Application-Data': 'tone_stream://%(100,0,440)' }));
    model.ingest(event('BACKGROUND_JOB', { 'Job-UUID': randomUUID(), 'Job-Command': 'status' }, '+OK UP 0 years\nsecond line'));
    await wv.page.locator('#rows .row').nth(2).waitFor();
    assert.deepEqual(await wv.page.locator('#rows .row .c-summary').allTextContents(), ['CS_EXECUTE', 'playback tone_stream://%(100,0,440)', 'status → +OK UP 0 years']);
    // Keyboard: focus the list, ArrowUp selects the newest, ArrowUp again the one before.
    await wv.page.locator('#list').focus();
    await wv.page.keyboard.press('ArrowUp');
    await wv.page.locator('#rows .row.selected .c-name', { hasText: 'BACKGROUND_JOB' }).waitFor();
    await wv.page.locator('#detail-body pre.event-body', { hasText: 'second line' }).waitFor();
    await wv.page.keyboard.press('ArrowUp');
    await wv.page.locator('#rows .row.selected .c-name', { hasText: 'CHANNEL_EXECUTE' }).waitFor();
    await wv.page.locator('#detail-body .hvalue', { hasText: 'tone_stream://%(100,0,440)' }).waitFor();
    await wv.page.keyboard.press('Home');
    await wv.page.locator('#rows .row.selected .c-name', { hasText: 'CHANNEL_CREATE' }).waitFor();
    await wv.page.keyboard.press('End');
    await wv.page.keyboard.press('ArrowUp');
    await wv.page.locator('#rows .row.selected .c-name', { hasText: 'CHANNEL_EXECUTE' }).waitFor();
    assert.equal(await wv.page.locator('#list').getAttribute('aria-activedescendant'), await wv.page.locator('#rows .row.selected').getAttribute('id'));
    const headerNames = await wv.page.locator('#detail-body .hname').allTextContents();
    assert.deepEqual(headerNames, Object.keys(model.buffer.at(1)!.event.headers), 'every header, in order');
    await wv.screenshot('stream-detail-light');
    await wv.page.locator('#copy-json').click();
    await waitFor(() => copied.length === 1, 'copy');
    const json = JSON.parse(copied[0]!) as Record<string, string>;
    assert.equal(json['Application'], 'playback');
    await wv.page.locator('#open-timeline').click();
    await waitFor(() => wv.received.some((m) => (m as { type?: string }).type === 'openTimeline'), 'openTimeline');
    assert.deepEqual(wv.received.find((m) => (m as { type?: string }).type === 'openTimeline'), { type: 'openTimeline', uuid });
    // Export the visible (filtered) events.
    await wv.page.locator('#text-filter').fill('playback');
    await rowsShown(wv, 1);
    await wv.page.locator('#export').click();
    await waitFor(() => exported.length === 1, 'export');
    assert.equal(exported[0]!.length, 1);
    assert.equal((JSON.parse(exported[0]![0]!) as Record<string, string>)['Event-Name'], 'CHANNEL_EXECUTE');
    await wv.page.keyboard.press('Escape');
    await wv.page.close();
  });

  test('hidden → visible: a complete snapshot replaces stale state', async () => {
    const { wv, model } = await open(browser);
    const uuid = randomUUID();
    model.ingest(event('CHANNEL_CREATE', call(uuid, 'one')));
    await wv.page.locator('#rows .row').first().waitFor();
    const posts = model.posts;
    model.setVisible(false);
    for (let i = 0; i < 100; i++) model.ingest(event('CHANNEL_STATE', call(uuid, `hidden-${i}`)));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(model.posts, posts, 'nothing is posted while hidden');
    model.setVisible(true);
    assert.equal(model.posts, posts + 1, 'one snapshot on show');
    await wv.page.locator('#stats', { hasText: '101 shown' }).waitFor();
    await wv.page.close();
  });

  test('screenshots in light, dark and high contrast themes', async () => {
    for (const theme of ['dark', 'light', 'highContrast'] as const) {
      const { wv, model } = await open(browser, { theme });
      const a = randomUUID();
      const b = randomUUID();
      const names = ['CHANNEL_CREATE', 'CHANNEL_PROGRESS', 'CHANNEL_ANSWER', 'CHANNEL_EXECUTE', 'DTMF', 'CHANNEL_BRIDGE', 'CHANNEL_HANGUP', 'CHANNEL_HANGUP_COMPLETE'];
      for (const name of names) {
        model.ingest(event(name, { ...call(a, '1000'), Application: 'park', 'DTMF-Digit': '5', 'DTMF-Duration': '2000', 'Hangup-Cause': 'NORMAL_CLEARING', 'Bridge-A-Unique-ID': a, 'Bridge-B-Unique-ID': b }));
        model.ingest(event(name, { ...call(b, '1000'), 'Call-Direction': 'outbound', 'Hangup-Cause': 'NORMAL_CLEARING' }));
      }
      model.ingest(event('HEARTBEAT', { 'Up-Time': '0 years, 0 days, 1 hour', 'Session-Count': '0' }));
      await wv.page.locator('#rows .row').nth(16).waitFor();
      await wv.page.locator('#rows .row').nth(5).click();
      await wv.page.locator('#detail-body table').waitFor();
      await wv.screenshot(`stream-${theme}`);
      await wv.page.close();
    }
  });
  test('a view that falls behind: one row counts what it skipped, Show brings it back from the buffer', async () => {
    // The model's clock is ours, so "waited 300 ms" needs no sleep.
    const clock = { t: 0 };
    const { wv, model, answers } = await open(browser, { model: { now: () => clock.t, keepRows: 20, maxLagMs: 200 } });
    const uuid = randomUUID();
    for (let i = 0; i < 30; i++) model.ingest(event('CHANNEL_STATE', call(uuid, `before-${i}`)));
    await wv.page.locator('#stats', { hasText: '30 shown' }).waitFor({ timeout: 5000 });
    await waitFor(() => model.unanswered === 0, 'the view to answer every batch');
    // The view stops answering (slow to draw): two batches go out unanswered, then the host holds rows.
    answers.held = true;
    const posts = model.posts;
    model.ingest(event('CHANNEL_STATE', call(uuid, 'in-flight-0')));
    await waitFor(() => model.posts === posts + 1, 'the first unanswered batch');
    model.ingest(event('CHANNEL_STATE', call(uuid, 'in-flight-1')));
    await waitFor(() => model.posts === posts + 2, 'the second unanswered batch');
    for (let i = 0; i < 100; i++) model.ingest(event('CHANNEL_STATE', call(uuid, `behind-${i}`)));
    clock.t += 300;
    for (let i = 0; i < 10; i++) model.ingest(event('CHANNEL_STATE', call(uuid, `fresh-${i}`)));
    await wv.page.locator('#stats', { hasText: '32 shown' }).waitFor({ timeout: 5000 });
    assert.equal(model.posts, posts + 2, 'nothing more is posted while the view has not answered');
    // The view answers: the 90 rows that waited 300 ms become one gap row; the newest 20 are shown.
    answers.release();
    const gap = wv.page.locator('#rows .row.gap');
    await gap.filter({ hasText: '90 events not shown while you were behind; all are in the buffer' }).waitFor({ timeout: 5000 });
    await wv.page.locator('#behind', { hasText: '90 not shown while the view was behind' }).waitFor({ timeout: 5000 });
    await wv.page.locator('#stats', { hasText: '52 shown · 142 of 10,000 buffered · 142 received' }).waitFor({ timeout: 5000 });
    await wv.page.locator('#rows .row .c-party', { hasText: 'fresh-9 → 9196' }).waitFor({ timeout: 5000 });
    // In order: the last row posted before, the gap, the first row posted after it.
    const order = await wv.page.locator('#rows .row').evaluateAll((els) => els.map((e) => (e.classList.contains('gap') ? 'gap' : (e.querySelector('.c-party')?.textContent ?? ''))));
    const at = order.indexOf('gap');
    assert.deepEqual(order.slice(at - 1, at + 2), ['in-flight-1 → 9196', 'gap', 'behind-90 → 9196']);
    await wv.screenshot('stream-behind-dark');
    // The arrow keys step over the gap row.
    await wv.page.locator('#rows .row .c-party', { hasText: 'behind-90 → 9196' }).click();
    await wv.page.keyboard.press('ArrowUp');
    await wv.page.locator('#rows .row.selected .c-party', { hasText: 'in-flight-1 → 9196' }).waitFor({ timeout: 5000 });
    // Show: the skipped rows come from the host's buffer and take the gap's place.
    await gap.locator('.gap-show', { hasText: 'Show them' }).click();
    await wv.page.locator('#stats', { hasText: '142 shown' }).waitFor({ timeout: 5000 });
    await gap.waitFor({ state: 'detached', timeout: 5000 });
    await wv.page.locator('#rows .row .c-party', { hasText: 'behind-0 → 9196' }).click();
    await wv.page.locator('#detail-body .hvalue', { hasText: 'behind-0' }).first().waitFor({ timeout: 5000 });
    assert.deepEqual(wv.received.filter((m) => typeof m === 'object' && m !== null && 'pageerror' in m), []);
    await wv.page.close();
  });

  test('a gap whose events age out of the buffer says so, then goes', async () => {
    const clock = { t: 0 };
    const { wv, model, answers } = await open(browser, { bufferSize: 150, theme: 'light', model: { now: () => clock.t, keepRows: 20, maxLagMs: 200 } });
    const uuid = randomUUID();
    for (let i = 0; i < 30; i++) model.ingest(event('CHANNEL_STATE', call(uuid, `before-${i}`)));
    await wv.page.locator('#stats', { hasText: '30 shown' }).waitFor({ timeout: 5000 });
    await waitFor(() => model.unanswered === 0, 'the view to answer every batch');
    answers.held = true;
    const posts = model.posts;
    model.ingest(event('CHANNEL_STATE', call(uuid, 'in-flight-0')));
    await waitFor(() => model.posts === posts + 1, 'the first unanswered batch');
    model.ingest(event('CHANNEL_STATE', call(uuid, 'in-flight-1')));
    await waitFor(() => model.posts === posts + 2, 'the second unanswered batch');
    for (let i = 0; i < 100; i++) model.ingest(event('CHANNEL_STATE', call(uuid, `behind-${i}`)));
    clock.t += 300;
    for (let i = 0; i < 10; i++) model.ingest(event('CHANNEL_STATE', call(uuid, `fresh-${i}`)));
    answers.release();
    const gap = wv.page.locator('#rows .row.gap');
    await gap.filter({ hasText: 'all are in the buffer' }).waitFor({ timeout: 5000 });
    // Caught up (a batch drawn after the scroll below would follow the newest again), then scrolled
    // up to the gap: the view stops following the newest.
    await wv.page.locator('#stats', { hasText: '52 shown · 142 of 150 buffered · 142 received' }).waitFor({ timeout: 5000 });
    await wv.page.evaluate(() => {
      (globalThis as unknown as { document: { getElementById(id: string): { scrollTop: number } } }).document.getElementById('list').scrollTop = 0;
    });
    await wv.page.locator('#jump').waitFor({ timeout: 5000 });
    // 50 more events: the buffer of 150 drops the oldest 42, among them the gap's first 10.
    for (let i = 0; i < 50; i++) model.ingest(event('CHANNEL_STATE', call(uuid, `later-${i}`)));
    await gap.filter({ hasText: '90 events not shown while you were behind; the older ones have left the buffer' }).waitFor({ timeout: 5000 });
    await gap.locator('.gap-show', { hasText: 'Show the rest' }).waitFor({ timeout: 5000 });
    await wv.screenshot('stream-behind-aged-light');
    // 100 more: the whole gap has left the buffer, and so has its row; what is shown is what is kept.
    for (let i = 0; i < 100; i++) model.ingest(event('CHANNEL_STATE', call(uuid, `last-${i}`)));
    await wv.page.locator('#stats', { hasText: '150 shown · 150 of 150 buffered · 292 received' }).waitFor({ timeout: 5000 });
    await gap.waitFor({ state: 'detached', timeout: 5000 });
    await wv.page.close();
  });

  test('details pane: values get the room, wrap at spaces, uuids stay whole; a narrow pane stacks; three themes', async () => {
    // A real CHANNEL_PARK (capture 05), plus a long sentence holding a uuid.
    const frames = new FrameParser().push(loadCapture('05').server);
    const park = frames.map((f) => decodeEventFrame(f)).flatMap((d) => (d.ok && d.event.name === 'CHANNEL_PARK' ? [d.event] : []))[0]!;
    const note = `The caller asked for a callback after the survey; see ticket ${park.uuid} and the notes from the last three calls, which were all dropped during the transfer to the billing queue.`;
    const measure = `(() => {
      const tops = (range) => new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top))).size;
      const lines = (el) => { const r = document.createRange(); r.selectNodeContents(el); return tops(r); };
      const table = document.querySelector('#detail-body table.headers');
      const rows = [...table.querySelectorAll('tbody tr')].map((tr) => {
        const value = tr.querySelector('.hvalue');
        let broken = 0;
        const walker = document.createTreeWalker(value, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          for (const m of node.data.matchAll(/\\S+/g)) {
            const r = document.createRange();
            r.setStart(node, m.index);
            r.setEnd(node, m.index + m[0].length);
            if (tops(r) > 1) broken++;
          }
        }
        return {
          name: tr.querySelector('.hname').textContent,
          lines: lines(value),
          broken,
          uuids: [...value.querySelectorAll('.uuid')].map((u) => u.getClientRects().length),
          nameWidth: tr.querySelector('.hname').getBoundingClientRect().width,
        };
      });
      return { tableWidth: table.getBoundingClientRect().width, stacked: getComputedStyle(table.querySelector('tbody tr')).display === 'block', rows };
    })()`;
    type Measured = { tableWidth: number; stacked: boolean; rows: Array<{ name: string; lines: number; broken: number; uuids: number[]; nameWidth: number }> };
    for (const theme of ['dark', 'light', 'highContrast'] as const) {
      const { wv, model } = await open(browser, { theme });
      model.ingest(new EslEvent({ ...park.headers, variable_fsdev_note: note }, park.body));
      await wv.page.locator('#rows .row .c-name', { hasText: 'CHANNEL_PARK' }).click();
      await wv.page.locator('#detail-body table.headers').waitFor({ timeout: 5000 });
      for (const width of [1280, 1000, 760]) {
        await wv.page.setViewportSize({ width, height: 720 });
        await wv.page.waitForFunction((w) => (globalThis as unknown as { innerWidth: number }).innerWidth === w, width, { timeout: 5000 });
        const m = (await wv.page.evaluate(measure)) as Measured;
        const row = (name: string): Measured['rows'][number] => {
          const found = m.rows.find((r) => r.name === name);
          assert.ok(found, `${name} in ${m.rows.map((r) => r.name).join(', ')}`);
          return found;
        };
        const where = `${theme}, ${width} px`;
        assert.equal(row('Event-Name').lines, 1, `CHANNEL_PARK on one line (${where})`);
        assert.equal(row('variable_current_application').lines, 1, `park on one line (${where})`);
        assert.ok(row('variable_fsdev_note').lines > 1, `the note wraps (${where})`);
        assert.equal(row('variable_fsdev_note').broken, 0, `the note wraps at spaces only (${where})`);
        const uuids = m.rows.flatMap((r) => r.uuids);
        assert.ok(uuids.length > 5, 'uuids found');
        assert.ok(uuids.every((n) => n === 1), `no uuid is broken (${where}): ${uuids.join(',')}`);
        // Two columns when the pane is wide, names above values when it is narrow (below 64 characters).
        if (width !== 1000) assert.equal(m.stacked, width === 760, `stacked only when narrow (${where})`);
        assert.ok((await wv.page.locator('#detail-title').boundingBox())!.width > 80, `the title keeps room next to the buttons (${where})`);
        if (!m.stacked) assert.ok(Math.max(...m.rows.map((r) => r.nameWidth)) <= 0.42 * m.tableWidth + 1, `names take at most 42 % (${where}): ${Math.max(...m.rows.map((r) => r.nameWidth))} of ${m.tableWidth}`);
        await wv.screenshot(`stream-details-pane-${theme}-${width}`);
      }
      await wv.page.close();
    }
  });
});
