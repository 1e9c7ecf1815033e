// The call timeline webview bundle in real Chromium, fed by the real host-side TimelineModel, which
// follows a real call on the test ESL server through a real EventListener: lanes per session, state
// changes, answer, bridge, applications, DTMF, hangup with its cause, the event on click, and
// hostile caller data shown as text. Screenshots (light and dark): test-results/webview/.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EventListener, type Call, type EslEvent } from '../../src/core';
import { TimelineModel } from '../../src/extension/webviews/timelineModel';
import type { TimelineNotification, TimelineState } from '../../src/shared/protocol/timeline';
import { TestEslServer } from '../server/eslServer';
import { launchBrowser, openWebview, waitFor, type ThemeName, type WebviewPage } from './pageHarness';
import type { BrowserHandle } from '../e2e/harness';

const EVIL_NAME = '<img src=x onerror="globalThis.__pwned=1">';
const EVIL_VAR = '<script>globalThis.__pwned=2</script>';

interface Scenario {
  state: TimelineState;
  model: TimelineModel;
  call: Call;
}

/**
 * A call with everything a timeline shows: a hostile caller name calls 9196 (answer, echo), its a-leg
 * parks; a second call is bridged to the a-leg; DTMF is sent; then everything hangs up.
 */
async function recordCall(esl: TestEslServer): Promise<Scenario> {
  const listener = new EventListener({ host: '127.0.0.1', port: esl.port, password: 'ClueCon' });
  try {
    await listener.connect();
    await listener.connection.subscribe(['ALL']);
    const events: EslEvent[] = [];
    listener.onDidReceiveEvent((e) => events.push(e));
    const reply = await esl.api(`originate {origination_caller_id_name='${EVIL_NAME}',origination_caller_id_number=1000,fsdev_evil='${EVIL_VAR}'}loopback/9196 &park`);
    assert.match(reply, /^\+OK /, reply);
    const aLeg = reply.slice(4).trim();
    await esl.whenIdle();
    const other = esl.originateDirect('park');
    await esl.whenIdle();
    assert.match(await esl.api(`uuid_bridge ${aLeg} ${other}`), /^\+OK/);
    await esl.whenIdle();
    // Sent out of the loopback partner, the digits are queued on the a-leg, whose bridge reads them (capture 14).
    const partner = esl.channels.find((c) => c.partnerUuid === aLeg)!.uuid;
    assert.match(await esl.api(`uuid_send_dtmf ${partner} 42`), /^\+OK/);
    await esl.whenIdle();
    await waitFor(() => events.some((e) => e.name === 'DTMF'), 'DTMF events');
    const call = listener.sessions.get(aLeg)?.call;
    assert.ok(call, 'the listener knows the call');
    esl.hangupAll('NORMAL_CLEARING');
    await esl.whenIdle();
    await waitFor(() => call.ended && events.filter((e) => e.name === 'CHANNEL_HANGUP_COMPLETE').length >= call.sessions.length, 'the call to end');
    const model = new TimelineModel(call, 'Test FS (127.0.0.1:8021)');
    model.replay(events, 0);
    return { state: model.state(), model, call };
  } finally {
    await listener.disconnect().catch(() => undefined);
  }
}

async function show(browser: BrowserHandle, state: TimelineState, theme: ThemeName): Promise<WebviewPage> {
  const wv = await openWebview(browser, 'timeline', { theme });
  await waitFor(() => wv.received.some((m) => (m as { type?: string }).type === 'ready'), 'ready');
  await wv.post({ type: 'snapshot', state } satisfies TimelineNotification);
  await wv.page.locator('#lanes svg g.marker').first().waitFor();
  return wv;
}

describe('call timeline webview in Chromium', { timeout: 60_000 }, () => {
  let browser: BrowserHandle;
  let esl: TestEslServer;
  let scenario: Scenario;
  before(async () => {
    esl = new TestEslServer({ password: 'ClueCon', heartbeatMs: 0 });
    await esl.start();
    scenario = await recordCall(esl);
    browser = await launchBrowser({ viewport: { width: 1280, height: 800 } });
  });
  after(async () => {
    await browser?.close();
    await esl?.stop();
  });

  test('the host model follows every session of the call, in time order', () => {
    const { state, call } = scenario;
    assert.equal(state.sessions.length, call.sessions.length);
    assert.ok(state.sessions.length >= 3, `lanes: ${state.sessions.map((s) => s.channelName).join(', ')}`);
    const kinds = new Set(state.events.map((e) => e.kind));
    for (const k of ['create', 'answer', 'bridge', 'execute', 'dtmf', 'hangup'] as const) assert.ok(kinds.has(k), `a ${k} marker`);
    const times = state.events.map((e) => e.timeUs);
    assert.deepEqual(times, [...times].sort((a, b) => a - b), 'oldest first');
    assert.ok(state.sessions.every((s) => s.hangupCause === 'NORMAL_CLEARING'), 'every lane has its hangup cause');
    assert.ok(state.ended);
    assert.equal(state.recordedSinceUs, 0, 'the whole call was recorded');
  });

  for (const theme of ['dark', 'light', 'highContrast'] as const) {
    test(`lanes, markers, bridge and hangup are drawn (${theme})`, async () => {
      const { state } = scenario;
      const wv = await show(browser, state, theme);
      const page = wv.page;
      assert.equal(await page.locator('#lanes .lane-title').count(), state.sessions.length, 'one lane per session');
      assert.equal(await page.locator('#lanes g.marker').count(), state.events.length, 'one marker per event');
      for (const k of ['create', 'answer', 'bridge', 'execute', 'dtmf', 'hangup']) assert.ok((await page.locator(`#lanes g.marker.k-${k}`).count()) > 0, `${k} markers`);
      assert.ok((await page.locator('#lanes .bridge-line').count()) > 0, 'the bridge joins two lanes');
      assert.ok((await page.locator('#lanes .phase-answered').count()) > 0, 'answered phase bars');
      assert.ok((await page.locator('#lanes .phase-bridged').count()) > 0, 'bridged phase bars');
      const labels = await page.locator('#lanes .marker-label').allTextContents();
      assert.ok(labels.includes('NORMAL_CLEARING'), 'the hangup cause is written on the lane');
      assert.ok(labels.some((l) => l.includes('DTMF 4')) && labels.some((l) => l.includes('DTMF 2')), `DTMF digits: ${labels.join('|')}`);
      assert.ok(labels.includes('answer') || labels.includes('answered'), 'answer');
      assert.ok(labels.includes('echo'), 'the echo application');
      const title = await page.locator('#title').textContent();
      assert.equal(title, state.title);
      assert.match((await page.locator('#subtitle').textContent()) ?? '', /sessions · ended/);
      await wv.screenshot(`timeline-${theme}`);
      // Click the hangup marker of the first lane: its headers show below.
      await page.locator('#lanes g.marker.k-hangup').first().click();
      await page.locator('#detail-title', { hasText: 'CHANNEL_HANGUP' }).waitFor();
      await page.locator('#detail-body .hvalue', { hasText: 'NORMAL_CLEARING' }).first().waitFor();
      assert.equal(await page.locator('#lanes g.marker.selected').count(), 1);
      // Keyboard: right arrow moves to the next event.
      await page.keyboard.press('ArrowLeft');
      await page.locator('#lanes g.marker.selected:focus').waitFor();
      await page.locator('#lanes g.marker.k-dtmf').first().click();
      await page.locator('#detail-body .hvalue', { hasText: /^4$|^2$/ }).first().waitFor();
      await wv.screenshot(`timeline-${theme}-detail`);
      // Copy and Show in Event Stream reach the host through the protocol.
      await page.locator('#copy-json').click();
      await page.locator('#show-in-stream').click();
      await waitFor(() => wv.received.some((m) => (m as { type?: string }).type === 'showInStream'), 'showInStream');
      const copy = wv.received.find((m) => (m as { type?: string }).type === 'copyEvent') as { seq: number };
      assert.equal(scenario.model.event(copy.seq)?.name, 'DTMF');
      assert.deepEqual(await wv.violations(), []);
      assert.deepEqual(wv.received.filter((m) => typeof m === 'object' && m !== null && ('dialog' in m || 'unexpectedRequest' in m || 'pageerror' in m)), []);
      await page.close();
    });
  }

  test('hostile caller names and variables are text, and nothing runs', async () => {
    const wv = await show(browser, scenario.state, 'dark');
    const page = wv.page;
    const subs = await page.locator('#lanes .lane-sub').allTextContents();
    // The lane names the caller as the tree does (`name (number)`), the hostile name as text, clipped.
    assert.ok(subs.some((s) => s.includes(EVIL_NAME.slice(0, 20))), subs.join(' | '));
    // Find the create event of the a-leg and look at its headers.
    await page.locator('#lanes g.marker.k-create').first().click();
    await page.locator('#detail-body .hvalue', { hasText: EVIL_NAME }).first().waitFor();
    await page.locator('#detail-body .hvalue', { hasText: EVIL_VAR }).first().waitFor();
    assert.equal(await page.locator('#app img, #app script:not([nonce]), #app a, #app foreignObject').count(), 0, 'no element came from event data');
    assert.equal(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned), undefined);
    assert.deepEqual(await wv.violations(), []);
    await page.close();
  });

  test('a snapshot replaces the picture; a call seen late says so', async () => {
    const { state } = scenario;
    const late: TimelineState = { ...state, events: state.events.slice(-3), recordedSinceUs: state.events[0]!.timeUs, ended: false };
    const wv = await show(browser, state, 'light');
    await wv.post({ type: 'snapshot', state: late } satisfies TimelineNotification);
    await wv.page.locator('#subtitle', { hasText: 'earlier events were not seen' }).waitFor();
    assert.equal(await wv.page.locator('#lanes g.marker').count(), 3);
    // Malformed host messages are ignored.
    await wv.post({ type: 'snapshot' });
    await wv.post(null);
    await wv.post({ type: 'nonsense', state });
    assert.equal(await wv.page.locator('#lanes g.marker').count(), 3);
    assert.deepEqual(wv.received.filter((m) => typeof m === 'object' && m !== null && 'pageerror' in m), []);
    await wv.page.close();
  });
});
