// The extension in a real VS Code (code-server), driven through its UI by Playwright in Debian's
// chromium, against the test ESL server. Screenshots of each step go to test-results/e2e/.
//
//   npm run test:e2e      (installs code-server on first use, packages the vsix, runs this)
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { EventListener } from '../../src/core';
import { TestEslServer } from '../server/eslServer';
import { dialplanScenario } from './dialplanSteps';
import { startTraffic, type Traffic } from '../server/traffic';
import { until } from '../support/wait';
import {
  REPO_ROOT,
  contextMenu,
  ensurePackaged,
  openExtensionWorkbench,
  openViewContainer,
  runCommand,
  runExtensionHostTests,
  screenshot,
  startCodeServer,
  notification,
  treeRow,
  uiSteps,
  waitForNotification,
  webviewFrame,
  type ExtensionWorkbench,
} from './harness';

const PASSWORD = 'ClueCon';
const STEP_TIMEOUT = 20_000;

/** Starts a palette command without waiting for the palette to close (it may open an input). */
async function palette(page: Page, title: string): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await page.locator('.monaco-workbench').focus();
  await page.keyboard.press('F1');
  const input = widget.locator('input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  const row = widget.locator('.quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${title}$`) }) }).first();
  await row.waitFor({ state: 'visible' });
  await row.click();
}

/** Answers the input box whose prompt matches. */
async function answer(page: Page, prompt: RegExp, value: string): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-message', { hasText: prompt }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
  const input = widget.locator('.quick-input-box input');
  await input.fill(value);
  await input.press('Enter');
  // The next step reuses the widget: wait until this prompt is gone.
  await widget.locator('.quick-input-message', { hasText: prompt }).waitFor({ state: 'hidden', timeout: STEP_TIMEOUT });
}

/** Picks the row whose label matches in the quick pick showing `placeholder`. */
async function pick(page: Page, placeholder: string, label: string | RegExp): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await widget.locator(`input[placeholder=${JSON.stringify(placeholder)}]`).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
  const row = widget.locator('.quick-input-list .monaco-list-row', { hasText: label }).first();
  await row.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
  await row.click();
  await widget.locator(`input[placeholder=${JSON.stringify(placeholder)}]`).waitFor({ state: 'hidden', timeout: STEP_TIMEOUT });
}

/** Runs the context-menu entry starting with `item` of the first tree row matching `rowText`. */
function rowMenu(page: Page, rowText: string | RegExp, item: string): Promise<void> {
  return contextMenu(page, treeRow(page, rowText).first(), new RegExp(`^${item}`), STEP_TIMEOUT);
}

/** Waits until `locator` is visible, failing with what was waited for. */
async function visible(locator: Locator, what: string, timeout = STEP_TIMEOUT): Promise<void> {
  try {
    await locator.waitFor({ state: 'visible', timeout });
  } catch (err) {
    throw new Error(`timed out after ${timeout} ms waiting for ${what}: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** Waits until `locator` is gone, failing with what was waited for. */
async function hidden(locator: Locator, what: string, timeout = STEP_TIMEOUT): Promise<void> {
  try {
    await locator.waitFor({ state: 'hidden', timeout });
  } catch (err) {
    throw new Error(`timed out after ${timeout} ms waiting for ${what}: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** `promise`, or a rejection naming what was awaited once `timeout` ms have passed. */
async function within<T>(promise: Promise<T>, what: string, timeout = STEP_TIMEOUT): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeout} ms waiting for ${what}`)), timeout);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Clicks a row's action as a user does until `done` shows. Under call traffic the rows are redrawn
 * several times a second, and VS Code loses a row's handle while it does (microsoft/vscode#144250):
 * the extension then declines the click with a notice instead of guessing; and a redraw between
 * mouse down and up loses the click itself. The user (and this) clicks again. `never` must not
 * show, e.g. a picker asking which call. Returns how many clicks were declined, and lost.
 */
async function rowAction(page: Page, click: () => Promise<void>, done: Locator, what: string, never?: Locator): Promise<{ declined: number; lost: number }> {
  const tally = { declined: 0, lost: 0 };
  const declined = notification(page, 'redrawing that row as you clicked it');
  const outcome = never ? done.or(declined).or(never) : done.or(declined);
  for (let attempt = 1; ; attempt++) {
    await click();
    const answered = await outcome
      .filter({ visible: true })
      .first()
      .waitFor({ state: 'visible', timeout: 2_000 })
      .then(() => true, () => false);
    if (answered && never) assert.equal(await never.isVisible(), false, `${what}: the action lost its row and asked which one`);
    if (answered && (await done.isVisible())) return tally;
    assert.ok(attempt < 5, `${what}: ${attempt} clicks in a row declined or lost`);
    if (!answered) {
      tally.lost++;
      continue;
    }
    tally.declined++;
    // The notice's close button shows on hover.
    await declined.first().hover();
    await declined.first().locator('.codicon-notifications-clear').click();
    await hidden(declined, 'the notice to close');
  }
}

/**
 * Collapses the other views of the side bar (Dialplan Trace) so the Servers tree has its height: a
 * call that starts below the fold of a busy tree is not drawn, and a test waits for rows drawn.
 * Returns how to expand them again.
 */
async function serversViewAlone(page: Page): Promise<() => Promise<void>> {
  const headers = page.locator('.part.sidebar .pane-header[aria-expanded="true"]');
  const collapsed: string[] = [];
  for (const header of await headers.all()) {
    const title = (await header.locator('.title').first().textContent())?.trim() ?? '';
    if (/^servers$/i.test(title)) continue;
    await header.locator('.title').first().click();
    collapsed.push(title);
  }
  return async () => {
    for (const title of collapsed) await page.locator('.part.sidebar .pane-header[aria-expanded="false"]', { hasText: title }).locator('.title').first().click();
  };
}

/** The hover (tooltip) the workbench shows. */
function hoverWidget(page: Page, text: string | RegExp): Locator {
  return page.locator('.workbench-hover, .monaco-hover', { hasText: text });
}

/**
 * Watches the server row's call count while `body` runs, against a reference: an EventListener of
 * this process on the same test server, whose count is what the extension's own listener holds at
 * each moment (the model is tested elsewhere; this is about the tree showing it). The page reads
 * the row on every animation frame; each count shown must be one the reference held at some
 * moment of the 0.5 s before. Returns how many frames were checked and the longest a count stayed
 * shown after the reference had moved on.
 */
async function watchCounts(page: Page, esl: TestEslServer, what: string, body: () => Promise<void>): Promise<{ frames: number; maxLagMs: number }> {
  const epoch = (): number => performance.timeOrigin + performance.now();
  const reference = new EventListener({ host: esl.host, port: esl.port, password: PASSWORD });
  await within(reference.connect(), 'the reference listener to connect');
  // Every change of the count, as it happens.
  const changes: Array<[number, number]> = [[epoch(), reference.calls.size]];
  const record = (): void => {
    if (changes.at(-1)![1] !== reference.calls.size) changes.push([epoch(), reference.calls.size]);
  };
  for (const event of [reference.onDidCreateCall, reference.onDidEndCall, reference.onDidMergeCalls, reference.onDidResync]) event(record);
  // Runs in the page: the row text on every frame, with an epoch time stamp. A string, so the
  // bundler's helpers (which the page does not have) stay out of it.
  await page.evaluate(`(() => {
    window.fsdevCounts = [];
    window.fsdevWatching = true;
    const frame = () => {
      const row = [...document.querySelectorAll('.part.sidebar .monaco-list-row')].find((r) => r.textContent.startsWith('Test FS'));
      const match = /connected · (\\d+) calls?/.exec(row ? row.textContent : '');
      if (match) window.fsdevCounts.push([performance.timeOrigin + performance.now(), Number(match[1])]);
      if (window.fsdevWatching) requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  })()`);
  const start = epoch();
  try {
    await body();
  } finally {
    await reference.disconnect();
    reference.dispose();
  }
  const end = epoch();
  const shown = await page.evaluate<Array<[number, number]>>('(() => { window.fsdevWatching = false; return window.fsdevCounts; })()');
  let maxLagMs = 0;
  for (const [at, count] of shown) {
    if (at < start + 500 || at > end) continue;
    // The reference held `count` until `until` (the next change, or still at the frame).
    let lag = Infinity;
    for (let i = changes.length - 1; i >= 0; i--) {
      const [from, held] = changes[i]!;
      if (from > at || held !== count) continue;
      const until = changes[i + 1]?.[0] ?? Infinity;
      lag = until > at ? 0 : at - until;
      break;
    }
    maxLagMs = Math.max(maxLagMs, lag);
    assert.ok(lag <= 500, `${what}: the tree said ${count} calls at +${Math.round(at - start)} ms; the listener last had that many ${Math.round(lag)} ms before`);
  }
  return { frames: shown.length, maxLagMs };
}

/** Starts `originate` on the test server as fs_cli would, and times until its row is in the tree. */
async function originateAndTime(page: Page, esl: TestEslServer, command: string, row: RegExp, what: string): Promise<number> {
  const started = performance.now();
  const reply = esl.api(`originate ${command}`);
  await visible(treeRow(page, row), what, 5_000);
  const ms = performance.now() - started;
  assert.match(await reply, /^\+OK /, `originate ${command}`);
  return ms;
}

let currentPage: Page | undefined;
/** A UI step: on failure, a screenshot of the moment is saved next to the others. */
const step = uiSteps('', () => currentPage);

describe('FreeSWITCH Dev in a real VS Code', { timeout: 240_000 }, () => {
  let esl: TestEslServer;
  let workbench: ExtensionWorkbench | undefined;
  let page: Page;
  let workspace: string;

  before(async () => {
    ensurePackaged();
    // show channels lags the events as a real switch's does (capture 22), so resyncs meet the real lag.
    esl = new TestEslServer({ password: PASSWORD, channelTableLag: 150 });
    await esl.start();
    // The DOM renderer keeps the terminal's text readable by the test.
    workbench = await openExtensionWorkbench({ name: 'main', userSettings: { 'terminal.integrated.gpuAcceleration': 'off' } });
    workspace = workbench.workspace;
    page = workbench.page;
    currentPage = page;
  });

  after(async () => {
    await workbench?.close();
    await esl?.stop();
  });

  step('with no server, the view offers Add Server', async () => {
    await openViewContainer(page, 'FreeSWITCH');
    await page.locator('.welcome-view-content .monaco-button', { hasText: 'Add Server' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, '01-welcome');
  });

  step('add a server, enter the password, see it connected', async () => {
    await page.locator('.welcome-view-content .monaco-button', { hasText: 'Add Server' }).click();
    await answer(page, /Host of the FreeSWITCH event socket/, '127.0.0.1');
    await answer(page, /Event socket port/, String(esl.port));
    await answer(page, /A name for this server/, 'Test FS');
    await answer(page, /ESL user/, '');
    await answer(page, /ESL password for 127\.0\.0\.1/, PASSWORD);
    await treeRow(page, /Test FS.*connected · 0 calls/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await page.locator('.statusbar-item', { hasText: 'Test FS: 0 calls' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, '02-connected');
  });

  step('originate from the palette: the call and both sessions appear', async () => {
    await palette(page, 'FreeSWITCH: Originate Call');
    await pick(page, 'Endpoint (or a recent destination)', /loopback/);
    await answer(page, /Destination for loopback/, '9196');
    await pick(page, 'When answered, run', /^park/);
    await answer(page, /Caller ID/, 'E2E Caller <1000>');
    await answer(page, /Channel variables/, 'e2e_run=yes');
    const confirm = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Originate' }).first();
    await confirm.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    const detail = await page.locator('.quick-input-list .monaco-list-row').first().innerText();
    assert.match(detail, /originate \{origination_uuid=.*origination_caller_id_name='E2E Caller',origination_caller_id_number=1000,e2e_run=yes\}loopback\/9196 &park/);
    await screenshot(page, '03-originate-confirm');
    await confirm.click();
    await treeRow(page, /E2E Caller \(1000\) → 9196/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await treeRow(page, /E2E Caller \(1000\) → 9196/).first().click();
    await treeRow(page, 'loopback/9196-a').waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await treeRow(page, 'loopback/9196-b').waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await treeRow(page, /Test FS.*connected · 1 call$/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await page.locator('.statusbar-item', { hasText: 'Test FS: 1 call' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, '04-call-in-tree');
  });

  step('hang up from the context menu: the call disappears', async () => {
    await rowMenu(page, /E2E Caller \(1000\) → 9196/, 'Hang Up Call');
    await pick(page, 'Hangup cause', 'NORMAL_CLEARING');
    await treeRow(page, /E2E Caller \(1000\) → 9196/).waitFor({ state: 'hidden', timeout: STEP_TIMEOUT });
    await treeRow(page, /Test FS.*connected · 0 calls/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    assert.equal(esl.channels.length, 0, 'the server has no channels left');
    await screenshot(page, '05-hung-up');
  });

  step('Run API Command status shows the output', async () => {
    await palette(page, 'FreeSWITCH: Run API Command');
    const input = page.locator('.quick-input-widget input[placeholder^="e.g. status"]');
    await input.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await input.fill('status');
    await input.press('Enter');
    // The editor renders spaces as no-break spaces: \s matches both.
    await page.locator('.monaco-editor .view-lines', { hasText: /UP\s0\syears/ }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await page.locator('.monaco-editor .view-lines', { hasText: /FreeSWITCH\s\(Version\s1\.10/ }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await page.locator('.tab', { hasText: 'api status.txt' }).waitFor({ state: 'visible' });
    await screenshot(page, '06-api-status');
    await page.keyboard.press('Control+W');
  });

  step('Show Channel Details opens uuid_dump as JSON', async () => {
    const uuid = esl.originateDirect('9196');
    // Let the call settle: each of its events refreshes the tree.
    await esl.whenIdle();
    await treeRow(page, /→ 9196/).first().click();
    await treeRow(page, 'loopback/9196-a').waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    // The inline action on the session row. If a tree refresh (one of the call's late events) was
    // redrawing the row as it was clicked, the click is declined and clicked again, as a user would.
    const row = treeRow(page, 'loopback/9196-a').first();
    const tab = page.locator('.tab', { hasText: `channel-${uuid}.json` });
    await rowAction(
      page,
      async () => {
        await row.hover();
        await row.locator('.action-label[aria-label*="Show Channel Details"]').click();
      },
      tab,
      'the channel details tab',
    );
    await tab.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await page.locator('.monaco-editor .view-lines', { hasText: /"Event-Name":\s"CHANNEL_DATA"/ }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, '06b-channel-details');
    await page.keyboard.press('Control+W');
    esl.hangupAll('NORMAL_CLEARING');
    await treeRow(page, /Test FS.*connected · 0 calls/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
  });

  step('Open Console works like fs_cli', async () => {
    await palette(page, 'FreeSWITCH: Open Console');
    const screen = page.locator('.terminal-wrapper.active .xterm-rows');
    await screen.filter({ hasText: /freeswitch@Test FS>/ }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await page.keyboard.type('global_getvar local_ip_v4');
    await page.keyboard.press('Enter');
    await screen.filter({ hasText: /127\.0\.0\.1/ }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await page.keyboard.type('not_a_real_command');
    await page.keyboard.press('Enter');
    await screen.filter({ hasText: /-ERR not_a_real_command Command not found!/ }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    // History: Up recalls the last command.
    await page.keyboard.press('ArrowUp');
    await screen.filter({ hasText: /Test FS>\s*not_a_real_command\s*$/m }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await page.keyboard.press('Control+U');
    await screenshot(page, '06c-console');
    await page.keyboard.type('/exit');
    await page.keyboard.press('Enter');
    await page.locator('.terminal-wrapper.active .xterm-rows').waitFor({ state: 'hidden', timeout: STEP_TIMEOUT });
  });

  step('Stream Logs shows FreeSWITCH log lines in an output channel, with FreeSWITCH\'s level names', async () => {
    await palette(page, 'FreeSWITCH: Stream Logs');
    await pick(page, 'FreeSWITCH log level: lines at this level and more severe are shown', /^info/);
    esl.originateDirect('9196');
    try {
      const lines = page.locator('.part.panel .monaco-editor .view-lines');
      await lines.filter({ hasText: /\[NOTICE\]\s/ }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
      // NOTICE keeps its name (the channel's own level for it is info), and the channel's filter
      // finds it: filtered, the a-leg's first line is in view however many lines followed it.
      const filter = page.locator('.part.panel input[placeholder="Filter"]');
      await filter.fill('[NOTICE]');
      await lines.filter({ hasText: /\[NOTICE\]\sswitch_channel\.c:\d+\sNew\sChannel\sloopback\/9196-a/ }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
      await screenshot(page, '06d-stream-logs');
      await filter.fill('');
    } finally {
      esl.hangupAll('NORMAL_CLEARING');
    }
    await treeRow(page, /Test FS.*connected · 0 calls/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
  });

  step('the server stops: reconnecting is shown; it returns: connected, calls resynced', async () => {
    await esl.stop({ keepChannels: true });
    await treeRow(page, /Test FS.*reconnecting \(attempt \d+\)/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, '07-reconnecting');
    // A call that began while the extension was away must appear after the resync.
    esl.originateDirect('9664');
    await esl.start();
    await treeRow(page, /Test FS.*connected · 1 call$/).waitFor({ state: 'visible', timeout: 30_000 });
    await treeRow(page, /→ 9664/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, '08-reconnected-resynced');
    esl.hangupAll('NORMAL_CLEARING');
    await treeRow(page, /Test FS.*connected · 0 calls/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
  });

  step('event stream: a call\'s events appear in order, filter to the call, open its timeline', async () => {
    await palette(page, 'FreeSWITCH: Open Event Stream');
    const stream = webviewFrame(page);
    await stream.locator('#stats', { hasText: 'buffered' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    const uuid = esl.originateDirect('9196');
    await esl.whenIdle();
    const short = uuid.slice(0, 8);
    // The a-leg's events, in order, from its creation to its park.
    const aLeg = stream.locator('#rows .row', { has: stream.locator('.c-uuid', { hasText: short }) });
    await aLeg.filter({ has: stream.locator('.c-name', { hasText: /^CHANNEL_PARK$/ }) }).first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    const names = await aLeg.locator('.c-name').allTextContents();
    const created = names.indexOf('CHANNEL_CREATE');
    const parked = names.indexOf('CHANNEL_PARK');
    assert.ok(created >= 0 && parked > created, `CHANNEL_CREATE … CHANNEL_PARK in order: ${names.join(', ')}`);
    await screenshot(page, '09a-event-stream');
    // Show Events for This Call: only the call's events (both legs) remain, with the call named.
    await rowMenu(page, /→ 9196/, 'Show Events for This Call');
    await stream.locator('#call-chip', { hasText: /Call .*→ 9196/ }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await stream.locator('#rows .row .c-name', { hasText: /^HEARTBEAT$/ }).waitFor({ state: 'detached', timeout: STEP_TIMEOUT });
    const uuids = new Set(await stream.locator('#rows .row .c-uuid').allTextContents());
    assert.ok(uuids.has(short) && uuids.size === 2, `both legs and nothing else: ${[...uuids].join(', ')}`);
    // Select the CHANNEL_PARK row: every header is shown.
    await stream.locator('#rows .row', { has: stream.locator('.c-name', { hasText: /^CHANNEL_PARK$/ }) }).first().click();
    await stream.locator('#detail-body .hvalue', { hasText: uuid }).first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, '09b-event-stream-call');
    // Open Call Timeline from the detail pane: lanes for both legs.
    await stream.locator('#open-timeline').click();
    await page.locator('.tab', { hasText: /Timeline: .*→ 9196/ }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    const timeline = webviewFrame(page);
    await timeline.locator('#lanes .lane-title', { hasText: 'loopback/9196-a' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await timeline.locator('#lanes .lane-title', { hasText: 'loopback/9196-b' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await timeline.locator('#lanes g.marker.k-answer').first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await timeline.locator('#lanes g.marker.k-execute').first().click();
    await timeline.locator('#detail-title', { hasText: 'CHANNEL_EXECUTE' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, '09c-call-timeline');
    // Hang up: the timeline shows each leg's cause, and the tree empties for the next steps.
    esl.hangupAll('NORMAL_CLEARING');
    await treeRow(page, /Test FS.*connected · 0 calls/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await timeline.locator('#subtitle', { hasText: 'ended' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await timeline.locator('#lanes .marker-label', { hasText: 'NORMAL_CLEARING' }).first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, '09d-call-timeline-ended');
    // Close the timeline and the stream.
    await page.locator('.tab', { hasText: /Timeline: / }).click();
    await page.keyboard.press('Control+W');
    await page.locator('.tab', { hasText: /Timeline: / }).waitFor({ state: 'hidden', timeout: STEP_TIMEOUT });
    await page.locator('.tab', { hasText: 'Events: Test FS' }).click();
    await page.keyboard.press('Control+W');
    await page.locator('.tab', { hasText: 'Events: Test FS' }).waitFor({ state: 'hidden', timeout: STEP_TIMEOUT });
  });

  let restoreViews: (() => Promise<void>) | undefined;

  step('steady call traffic: a new call shows within 0.5 s and every count is right', async () => {
    // The log stream of an earlier step, at info level, would print a dozen lines per call into a
    // visible panel: stop it and hide the panel, so the traffic measures the tree.
    await palette(page, 'FreeSWITCH: Stream Logs');
    const levels = page.locator('.quick-input-widget input[placeholder="FreeSWITCH log level: lines at this level and more severe are shown"]');
    await visible(levels, 'the log level picker');
    const stop = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Stop streaming' });
    if ((await stop.count()) > 0) await stop.first().click();
    else await page.keyboard.press('Escape');
    await hidden(levels, 'the log level picker to close');
    await runCommand(page, 'View: Hide Panel');
    restoreViews = await serversViewAlone(page);
    for (const rate of [10, 50]) {
      let traffic: Traffic | undefined;
      try {
        const counts = await watchCounts(page, esl, `${rate} calls/s`, async () => {
          traffic = startTraffic(esl, { callsPerSecond: rate, holdMs: 500, durationMs: 4_000 });
          // A second of traffic first, then a long call from "fs_cli".
          await until(() => traffic!.started.length >= rate, `${rate} calls of traffic to start`, 5_000);
          const label = new RegExp(`^Long ${rate} \\(4${rate}\\) → 9664`);
          const ms = await originateAndTime(page, esl, `{origination_caller_id_name='Long ${rate}',origination_caller_id_number=4${rate}}loopback/9664 &park`, label, `the long call's row under ${rate} calls/s`);
          console.log(`# ${rate} calls/s of traffic: the new call's row appeared ${Math.round(ms)} ms after the originate`);
          assert.ok(ms < 500, `the row appeared after ${Math.round(ms)} ms`);
          if (rate === 50) await screenshot(page, '10a-traffic-50-per-second');
          await within(traffic.done, 'the traffic to end');
        });
        console.log(`# ${rate} calls/s: ${traffic?.started.length} calls; the count was right in all ${counts.frames} frames, at most ${Math.round(counts.maxLagMs)} ms behind`);
      } finally {
        traffic?.stop({ hangUpNow: true });
        await within(traffic?.done ?? Promise.resolve(), 'the traffic to end');
      }
      await esl.whenIdle();
      // The traffic is gone: the long calls remain, counted right.
      await visible(treeRow(page, new RegExp(`Test FS.*connected · ${rate === 10 ? '1 call' : '2 calls'}$`)), 'the count once the traffic ended', 1_000);
    }
  });

  step('a ramp of 100 calls at 20 calls/s: the count follows it', async () => {
    let traffic: Traffic | undefined;
    try {
      const counts = await watchCounts(page, esl, 'ramp', async () => {
        traffic = startTraffic(esl, { callsPerSecond: 20, holdMs: 60_000, durationMs: 10_000, maxCalls: 100 });
        await until(() => traffic!.started.length >= 100, 'the ramp to start 100 calls', 10_000);
        const last = performance.now();
        await visible(treeRow(page, /Test FS.*connected · 102 calls$/), 'the count after the ramp', 1_000);
        console.log(`# ramp: 102 calls shown ${Math.round(performance.now() - last)} ms after the last was started`);
      });
      console.log(`# ramp: the count was right in all ${counts.frames} frames, at most ${Math.round(counts.maxLagMs)} ms behind`);
      await screenshot(page, '10b-ramp');
    } finally {
      traffic?.stop({ hangUpNow: true });
      await within(traffic?.done ?? Promise.resolve(), 'the ramp calls to be hung up');
    }
    await visible(treeRow(page, /Test FS.*connected · 2 calls$/), 'the ramp calls to end');
  });

  step('a call expanded as soon as it appears keeps its sessions, and their tooltips show', async () => {
    const label = /^Expand Me \(4300\) → 9664/;
    const expanded = page.locator('.part.sidebar .monaco-list-row[aria-expanded="true"]', { hasText: label });
    const traffic = startTraffic(esl, { callsPerSecond: 10, holdMs: 500, durationMs: 3_000 });
    try {
      await until(() => traffic.started.length >= 5, 'traffic to start', 5_000);
      await originateAndTime(page, esl, "{origination_caller_id_name='Expand Me',origination_caller_id_number=4300}loopback/9664 &park", label, 'the row to expand');
      // At once, as a user clicking a row that just appeared.
      await treeRow(page, label).first().locator('.monaco-tl-twistie').click();
      await visible(expanded, 'the call row expanded');
      await visible(treeRow(page, 'loopback/9664-b'), 'its b-leg row');
      await within(traffic.done, 'the traffic to end');
    } finally {
      traffic.stop({ hangUpNow: true });
      await within(traffic.done, 'the traffic to end');
    }
    await esl.whenIdle();
    // The traffic's rows are gone (the rows below have moved up): nothing moves under the pointer.
    await visible(treeRow(page, /Test FS.*connected · 3 calls$/), 'the count once the traffic ended');
    await visible(expanded, 'the call row still expanded after the traffic');
    // The session rows are not redrawn every second: the first hover shows the tooltip.
    const bLeg = treeRow(page, 'loopback/9664-b').last();
    await bLeg.locator('.label-name').hover();
    await visible(hoverWidget(page, /Caller\sID:.*Expand\sMe/), "the b-leg's tooltip on first hover", 3_000);
    await screenshot(page, '10c-expanded-session-tooltip');
    await page.mouse.move(0, 0);
    await treeRow(page, label).first().locator('.monaco-tl-twistie').click();
    await hidden(expanded, 'the call row to collapse');
  });

  step('a caller name with a right-to-left override is neutralised; a collapsed call shows its tooltip on first hover', async () => {
    const spoof = 'Alice\u202Egnp.exe';
    const shown = /^Alice\[U\+202E\]gnp\.exe \(5103\) → 9196/;
    await originateAndTime(page, esl, `{origination_caller_id_name='${spoof}',origination_caller_id_number=5103}loopback/9196 &park`, shown, 'the neutralised call row');
    const row = treeRow(page, shown).first();
    assert.ok(!(await row.innerText()).includes('\u202E'), 'no override character in the row');
    // Once the call has settled (answered, parked), as a user would come to it.
    await esl.whenIdle();
    await visible(treeRow(page, new RegExp(`${shown.source}\\s*ACTIVE`)), 'the call answered');
    await row.locator('.label-name').hover();
    const tooltip = hoverWidget(page, /Caller\sname:\sAlice\[U\+202E\]gnp\.exe/);
    await visible(tooltip, "the call row's tooltip on first hover", 3_000);
    const text = await tooltip.first().innerText();
    assert.ok(!text.includes('\u202E'), `no override character in the tooltip: ${text}`);
    assert.match(text, /ACTIVE\sfor\s\d+:\d\d/);
    await screenshot(page, '10d-bidi-call-tooltip');
    await page.mouse.move(0, 0);
    // Its session's tooltip too.
    await row.locator('.monaco-tl-twistie').click();
    // The b-leg: the a-leg's caller id is the far end once FreeSWITCH has flipped it.
    const bLeg = treeRow(page, 'loopback/9196-b');
    await visible(bLeg, 'its b-leg row');
    await bLeg.locator('.label-name').hover();
    const sessionTip = hoverWidget(page, /Caller\sID:\sAlice\[U\+202E\]gnp\.exe\s<5103>/);
    await visible(sessionTip, "the session's tooltip", 3_000);
    await screenshot(page, '10e-bidi-session-tooltip');
    await page.mouse.move(0, 0);
  });

  step('during a burst, Hang Up from the context menu and inline reaches its row', async () => {
    const traffic = startTraffic(esl, { callsPerSecond: 50, holdMs: 500, durationMs: 8_000 });
    await until(() => traffic.started.length >= 25, 'the burst to start', 5_000);
    const causePicker = page.locator('.quick-input-widget input[placeholder="Hangup cause"]');
    const callPicker = page.locator('.quick-input-widget input[placeholder="Pick a call"]');
    const missed = { declined: 0, lost: 0 };
    try {
      for (const [how, label] of [
        ['context menu', /^Long 10 \(410\) → 9664/],
        ['inline', /^Long 50 \(450\) → 9664/],
      ] as const) {
        // VS Code loses a row's handle while it redraws the rows around it (microsoft/vscode
        // #144250): such a click is declined with a notice, never sent to a picker or another call.
        // A user clicks again; so does the test, and counts it.
        const tally = await rowAction(
          page,
          async () => {
            if (how === 'context menu') await rowMenu(page, label, 'Hang Up Call');
            else {
              const row = treeRow(page, label).first();
              await row.hover();
              await row.locator('.action-label[aria-label*="Hang Up"]').click();
            }
          },
          causePicker,
          'the hangup cause picker',
          callPicker,
        );
        missed.declined += tally.declined;
        missed.lost += tally.lost;
        const title = await page.locator('.quick-input-widget .quick-input-title').innerText();
        assert.match(title, new RegExp(`^Hang up ${label.source.slice(1)}`), `${how}: the row's own call`);
        if (how === 'inline') await screenshot(page, '10f-inline-hangup-during-burst');
        await pick(page, 'Hangup cause', 'NORMAL_CLEARING');
        await hidden(treeRow(page, label), `the ${how} hung-up call's row`, 2_000);
      }
      console.log(`# Hang Up during a 50 calls/s burst: context menu and inline reached their rows; clicks declined (row lost by VS Code): ${missed.declined}, lost (row redrawn under the click): ${missed.lost}`);
    } finally {
      traffic.stop({ hangUpNow: true });
      await within(traffic.done, 'the burst to end');
    }
    await esl.whenIdle();
    await visible(treeRow(page, /Test FS.*connected · 2 calls$/), 'the two calls left');
    esl.hangupAll('NORMAL_CLEARING');
    await visible(treeRow(page, /Test FS.*connected · 0 calls/), 'an empty tree');
  });

  step('1,000 concurrent calls: the tree keeps up and the workbench stays responsive', async () => {
    // The page times what a user sees (this process is busy making the calls' events, so its own
    // clock would count its delays): on every frame, when the counts and the palette appear.
    await page.evaluate(`(() => {
      const marks = (window.fsdevMarks = {});
      const mark = (name) => { if (!(name in marks)) marks[name] = performance.timeOrigin + performance.now(); };
      document.addEventListener('keydown', (e) => { if (e.key === 'F1') mark('f1'); }, true);
      document.addEventListener('input', () => { if (marks.paletteShown) mark('typed'); }, true);
      const frame = () => {
        const rows = [...document.querySelectorAll('.part.sidebar .monaco-list-row')];
        const server = rows.find((r) => r.textContent.startsWith('Test FS'));
        const calls = rows.find((r) => /^Calls\\s*\\d+$/.test(r.textContent.trim()));
        if (server && /connected · 1000 calls/.test(server.textContent) && calls && /1000$/.test(calls.textContent.trim())) mark('thousand');
        if (server && /connected · 0 calls/.test(server.textContent) && marks.thousand) mark('empty');
        if (marks.f1 && document.querySelector('.quick-input-widget input') && document.querySelector('.quick-input-widget').style.display !== 'none') mark('paletteShown');
        if (marks.typed && [...document.querySelectorAll('.quick-input-list .monaco-list-row')].some((r) => r.textContent.includes('FreeSWITCH: Hang Up All'))) mark('paletteListed');
        if (!marks.empty) requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
    })()`);
    const marks = (): Promise<Record<string, number>> => page.evaluate<Record<string, number>>('window.fsdevMarks');
    const epoch = (): number => performance.timeOrigin + performance.now();

    try {
      for (let i = 0; i < 1000; i++) esl.originateDirect('9196');
      const created = epoch();
      // While the calls' events pour in, the palette still opens and lists our commands.
      await page.locator('.monaco-workbench').focus();
      await page.keyboard.press('F1');
      const input = page.locator('.quick-input-widget input');
      await visible(input, 'the palette');
      await input.fill('>FreeSWITCH: Hang Up All');
      await visible(page.locator('.quick-input-list .monaco-list-row', { hasText: 'FreeSWITCH: Hang Up All' }), 'Hang Up All in the palette');
      await visible(treeRow(page, /Test FS.*connected · 1000 calls$/), 'the server row to count 1,000 calls', 30_000);
      await visible(treeRow(page, /^Calls\s*1000$/), 'the Calls row to list 1,000 calls', 1_000);
      const m = await marks();
      const shownMs = m.thousand! - created;
      const paletteMs = m.paletteShown! - m.f1! + (m.paletteListed! - m.typed!);
      console.log(`# 1,000 calls: all in the tree ${Math.round(shownMs)} ms after the last was created; meanwhile the palette opened in ${Math.round(m.paletteShown! - m.f1!)} ms and listed the command ${Math.round(m.paletteListed! - m.typed!)} ms after the text was typed (${Math.round(paletteMs)} ms)`);
      assert.ok(shownMs < 1_000, `the tree showed 1,000 calls after ${Math.round(shownMs)} ms`);
      assert.ok(paletteMs < 200, `the palette took ${Math.round(paletteMs)} ms`);
      await screenshot(page, '10-thousand-calls');
      await page.keyboard.press('Enter');
      await visible(page.locator('.monaco-dialog-box', { hasText: 'Hang up all 1000 calls on Test FS?' }), 'the Hang Up All dialog');
      await screenshot(page, '11-hang-up-all-confirm');
      const hupall = new Promise<number>((resolve) => {
        const off = esl.onCommand((record) => {
          if (!/hupall/.test(record.line)) return;
          off();
          resolve(epoch());
        });
      });
      await page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Hang Up 1000 Calls' }).click();
      // The last hangup: every call has finished its way down on the server.
      const hupallAt = await within(hupall, 'the hupall command to reach the server');
      await esl.whenIdle(30_000);
      const lastHangup = epoch();
      await visible(treeRow(page, /Test FS.*connected · 0 calls/), 'the tree to empty', 30_000);
      const empty = (await marks()).empty!;
      const emptiedMs = empty - lastHangup;
      console.log(
        `# 1,000 calls hung up: the tree was empty ${Math.round(empty - hupallAt)} ms after hupall reached the server, ` +
          `${emptiedMs >= 0 ? `${Math.round(emptiedMs)} ms after` : `${Math.round(-emptiedMs)} ms before`} the last channel was gone`,
      );
      assert.ok(emptiedMs < 1_000, `the tree emptied ${Math.round(emptiedMs)} ms after the last hangup`);
    } finally {
      // Whatever happened, the next steps start with no calls.
      if (esl.channels.length > 0) {
        await page.keyboard.press('Escape');
        esl.hangupAll('NORMAL_CLEARING');
        await esl.whenIdle(30_000);
      }
      await restoreViews?.();
    }
  });

  step('an app from the template: originate into it, edit it, a syntax error shows in Problems', async () => {
    await palette(page, 'FreeSWITCH: New App from Template');
    await answer(page, /App name/, 'greeter');
    const file = join(workspace, 'fsapps', 'greeter.ts');
    await page.locator('.tab', { hasText: 'greeter.ts' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    // IntelliSense without copying code: the apps folder maps freeswitch-dev to the shipped declarations.
    const tsconfig = JSON.parse(readFileSync(join(workspace, 'fsapps', 'tsconfig.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } };
    assert.match(tsconfig.compilerOptions.paths['freeswitch-dev']![0]!, /dist[\\/]types[\\/]index\.d\.ts$/);
    const appsRow = treeRow(page, /^Apps/).first();
    await appsRow.locator('.monaco-tl-twistie').click();
    await page.locator('.part.sidebar .monaco-list-row[aria-expanded="true"]', { hasText: /^Apps/ }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await treeRow(page, /greeter.*v1 · .* · 0 calls/).waitFor({ state: 'visible', timeout: 60_000 });
    await screenshot(page, '12-app-from-template');

    await rowMenu(page, /greeter.*v1 ·/, 'Originate Call into This App');
    await answer(page, /Loopback destination/, '9196');
    await treeRow(page, /greeter.*v1 · .* · 1 call · \d+ callbacks/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await treeRow(page, /Test FS.*connected · 0 calls/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await palette(page, 'FreeSWITCH: Show Apps Log');
    const log = page.locator('.part.panel .monaco-editor .view-lines');
    await log.filter({ hasText: /greeter:\sanswering/ }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, '13-app-call-handled');

    // Edit and save (on disk, as another tool would): the next call runs the new version.
    writeFileSync(file, readFileSync(file, 'utf8').replace('answering', 'v2 answering'));
    await treeRow(page, /greeter.*v2 · .* · 1 call/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await palette(page, 'FreeSWITCH: Originate Call into This App');
    await answer(page, /Loopback destination/, '9196');
    await treeRow(page, /greeter.*v2 · .* · 2 calls/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await log.filter({ hasText: /greeter:\sv2\sanswering/ }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, '14-app-reloaded');

    // A syntax error: Problems lists it at its line; the running version stays v2.
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, good.replace("await session.answer();", 'await session.answer(;'));
    await page.locator('.part.panel .composite-bar .action-item', { hasText: /^Problems/i }).first().click();
    await treeRow(page, /Unexpected ";"|Expected/).first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    const problem = await treeRow(page, /Unexpected ";"|Expected/).first().innerText();
    assert.match(problem, /\[Ln 13, Col \d+\]/, problem);
    await treeRow(page, /greeter.*v2 ·/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, '15-app-syntax-error-in-problems');
    // Fixed: the problem goes away.
    writeFileSync(file, good);
    await treeRow(page, /Unexpected ";"|Expected/).first().waitFor({ state: 'hidden', timeout: STEP_TIMEOUT });
    await treeRow(page, /greeter.*v3 ·/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
  });

  step('Debug Apps: a breakpoint in the app .ts hits on the next call; the tree keeps working while paused', async () => {
    await palette(page, 'FreeSWITCH: Debug Apps');
    await page.locator('.debug-toolbar').waitFor({ state: 'visible', timeout: 30_000 });
    // Starting a debug session shows Run and Debug: back to the servers.
    await openViewContainer(page, 'FreeSWITCH');
    // The restarted host loaded the app again.
    await treeRow(page, /greeter.*v1 ·/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    // A breakpoint on the console.log line (12) of the CHANNEL_PARK callback.
    await page.locator('.tab', { hasText: 'greeter.ts' }).click();
    const line = page.locator('.monaco-editor .margin-view-overlays > div').nth(11);
    await line.click({ position: { x: 5, y: 8 } });
    await page.locator('.monaco-editor .codicon-debug-breakpoint').first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await palette(page, 'FreeSWITCH: Originate Call into This App');
    await answer(page, /Loopback destination/, '9196');
    await page.locator('.debug-toolbar .codicon-debug-continue').waitFor({ state: 'visible', timeout: 30_000 });
    await page.locator('.monaco-editor .codicon-debug-stackframe').first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await openViewContainer(page, 'FreeSWITCH');
    // While the app is paused the extension answers: the call shows in the tree.
    await treeRow(page, /Test FS.*connected · 1 call$/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, '16-debug-apps-paused');
    await page.locator('.debug-toolbar .codicon-debug-continue').click();
    await treeRow(page, /greeter.*v1 · .* · 1 call/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await page.locator('.debug-toolbar .codicon-debug-disconnect, .debug-toolbar .codicon-debug-stop').first().click();
    await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: STEP_TIMEOUT });
    await openViewContainer(page, 'FreeSWITCH');
  });

  step('a wrong password shows the error node and a message', async () => {
    // The container shows more than one view (Load Tests below Servers): the action is in the Servers
    // pane's header, drawn while the pointer is over it.
    const header = page.locator('.part.sidebar .pane-header', { hasText: /^Servers/i });
    await header.hover();
    await header.locator('.action-label[aria-label*="Add Server"]').click();
    // Passwords are kept per address: a different address than Test FS, so it is asked for.
    await answer(page, /Host of the FreeSWITCH event socket/, 'localhost');
    await answer(page, /Event socket port/, String(esl.port));
    await answer(page, /A name for this server/, 'Wrong Password FS');
    await answer(page, /ESL user/, '');
    await answer(page, /ESL password for localhost/, 'not-the-password');
    await treeRow(page, /Wrong Password FS.*authentication failed/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await treeRow(page, /rejected the password \(-ERR invalid\)/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await waitForNotification(page, /Wrong Password FS: FreeSWITCH at localhost:\d+ rejected the password/);
    const text = await page.locator('.monaco-workbench').innerText();
    assert.doesNotMatch(text, /not-the-password/, 'the password is never shown');
    await screenshot(page, '09-wrong-password');
  });

  step('dialplan: completion from the server, a broken regex in Problems, Reload XML mapped to the file, a traced call marked in the XML (three themes)', async () => {
    await dialplanScenario({ page, esl, workspace });
  });

  test('extension-host tests: commands match package.json; activation time reported', async () => {
    // The development extension loads from the repository; a separate code-server keeps it
    // apart from the installed vsix.
    const hostWorkspace = join(workbench!.tmp, 'exthost-workspace');
    mkdirSync(hostWorkspace);
    const host = await startCodeServer({ workspaceDir: hostWorkspace });
    try {
      const result = await runExtensionHostTests(host, {
        extensionDevelopmentPath: REPO_ROOT,
        extensionTestsPath: join(REPO_ROOT, 'test', 'e2e', 'exthost', 'index.js'),
        folder: hostWorkspace,
        browser: workbench!.browser,
      });
      const activation = result.output.find((l) => l.includes('ACTIVATION_MS='));
      if (activation) console.log(`# activation time: ${activation.split('ACTIVATION_MS=')[1]} ms`);
      assert.equal(result.exitCode, 0, result.output.join('\n'));
    } finally {
      await host.stop();
    }
  });
});
