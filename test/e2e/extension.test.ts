// The extension in a real VS Code (code-server), driven through its UI by Playwright in Debian's
// chromium, against the test ESL server. Screenshots of each step go to test-results/e2e/.
//
//   npm run test:e2e      (installs code-server on first use, packages the vsix, runs this)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { TestEslServer } from '../server/eslServer';
import {
  REPO_ROOT,
  launchBrowser,
  makeTempDir,
  openViewContainer,
  openWorkbench,
  removeTempDir,
  runExtensionHostTests,
  screenshot,
  startCodeServer,
  treeRow,
  waitForNotification,
  type BrowserHandle,
  type CodeServerHandle,
} from './harness';

const PASSWORD = 'ClueCon';
const VSIX = join(REPO_ROOT, 'dist', 'freeswitch-dev.vsix');
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

async function contextMenu(page: Page, rowText: string | RegExp, item: string): Promise<void> {
  const row = treeRow(page, rowText).first();
  await row.click({ button: 'right' });
  const entry = page.locator('.monaco-menu .action-menu-item', { hasText: new RegExp(`^${item}`) }).first();
  await entry.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
  await entry.hover();
  await entry.focus();
  await page.keyboard.press('Enter');
  await entry.waitFor({ state: 'hidden', timeout: STEP_TIMEOUT });
}

/** A UI step: on failure, a screenshot of the moment is saved next to the others. */
function step(name: string, body: () => Promise<void>): void {
  test(name, async () => {
    try {
      await body();
    } catch (err) {
      const shot = await screenshot(currentPage!, `FAILED-${name.replace(/\W+/g, '-').slice(0, 60)}`).catch(() => undefined);
      if (shot) console.log(`# failure screenshot: ${shot}`);
      throw err;
    }
  });
}

let currentPage: Page | undefined;

describe('FreeSWITCH Dev in a real VS Code', { timeout: 240_000 }, () => {
  let esl: TestEslServer;
  let code: CodeServerHandle;
  let browser: BrowserHandle;
  let page: Page;
  let tmp: string;
  let workspace: string;

  before(async () => {
    const built = spawnSync('npm', ['run', 'package'], { cwd: REPO_ROOT, encoding: 'utf8' });
    assert.equal(built.status, 0, `npm run package failed:\n${built.stdout}\n${built.stderr}`);
    esl = new TestEslServer({ password: PASSWORD });
    await esl.start();
    tmp = makeTempDir('fsdev-e2e-');
    workspace = join(tmp, 'workspace');
    mkdirSync(workspace);
    // The DOM renderer keeps the terminal's text readable by the test.
    code = await startCodeServer({ workspaceDir: workspace, extensionVsix: VSIX, userSettings: { 'terminal.integrated.gpuAcceleration': 'off' } });
    browser = await launchBrowser({ viewport: { width: 1400, height: 900 } });
    page = await browser.newPage();
    currentPage = page;
    await openWorkbench(code, page, workspace);
  });

  after(async () => {
    await browser?.close();
    await code?.stop();
    await esl?.stop();
    if (tmp) removeTempDir(tmp);
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
    await treeRow(page, /1000 → 9196/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await treeRow(page, /1000 → 9196/).first().click();
    await treeRow(page, 'loopback/9196-a').waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await treeRow(page, 'loopback/9196-b').waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await treeRow(page, /Test FS.*connected · 1 call$/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await page.locator('.statusbar-item', { hasText: 'Test FS: 1 call' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, '04-call-in-tree');
  });

  step('hang up from the context menu: the call disappears', async () => {
    await contextMenu(page, /1000 → 9196/, 'Hang Up Call');
    await pick(page, 'Hangup cause', 'NORMAL_CLEARING');
    await treeRow(page, /1000 → 9196/).waitFor({ state: 'hidden', timeout: STEP_TIMEOUT });
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
    // The inline action on the session row.
    const row = treeRow(page, 'loopback/9196-a').first();
    await row.hover();
    await row.locator('.action-label[aria-label*="Show Channel Details"]').click();
    await page.locator('.tab', { hasText: `channel-${uuid}.json` }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
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

  step('Stream Logs shows FreeSWITCH log lines in an output channel', async () => {
    await palette(page, 'FreeSWITCH: Stream Logs');
    await pick(page, 'FreeSWITCH log level: lines at this level and more severe are shown', /^info/);
    esl.originateDirect('9196');
    await page.locator('.part.panel .monaco-editor .view-lines', { hasText: /New\sChannel\sloopback\/9196-a/ }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, '06d-stream-logs');
    esl.hangupAll('NORMAL_CLEARING');
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

  step('1,000 concurrent calls: the tree keeps up and the workbench stays responsive', async () => {
    const started = performance.now();
    for (let i = 0; i < 1000; i++) esl.originateDirect('9196');
    await treeRow(page, /Test FS.*connected · 1000 calls$/).waitFor({ state: 'visible', timeout: 60_000 });
    const shownMs = performance.now() - started;
    // While the calls' durations tick, the palette still opens and lists our commands.
    const opened = performance.now();
    await page.locator('.monaco-workbench').focus();
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await input.fill('>FreeSWITCH: Hang Up All');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'FreeSWITCH: Hang Up All' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    const paletteMs = performance.now() - opened;
    console.log(`# 1,000 calls: shown in the tree ${Math.round(shownMs)} ms after they began; palette opened and filtered in ${Math.round(paletteMs)} ms`);
    await screenshot(page, '10-thousand-calls');
    await page.keyboard.press('Enter');
    await page.locator('.monaco-dialog-box', { hasText: 'Hang up all 1000 calls on Test FS?' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, '11-hang-up-all-confirm');
    await page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Hang Up 1000 Calls' }).click();
    await treeRow(page, /Test FS.*connected · 0 calls/).waitFor({ state: 'visible', timeout: 60_000 });
  });

  step('a wrong password shows the error node and a message', async () => {
    await page.locator('.part.sidebar .title-actions .action-label[aria-label*="Add Server"]').click();
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

  test('extension-host tests: commands match package.json; activation time reported', async () => {
    // The development extension loads from the repository; a separate code-server keeps it
    // apart from the installed vsix.
    const hostWorkspace = join(tmp, 'exthost-workspace');
    mkdirSync(hostWorkspace);
    const host = await startCodeServer({ workspaceDir: hostWorkspace });
    try {
      const result = await runExtensionHostTests(host, {
        extensionDevelopmentPath: REPO_ROOT,
        extensionTestsPath: join(REPO_ROOT, 'test', 'e2e', 'exthost', 'index.js'),
        folder: hostWorkspace,
        browser,
      });
      const activation = result.output.find((l) => l.includes('ACTIVATION_MS='));
      if (activation) console.log(`# activation time: ${activation.split('ACTIVATION_MS=')[1]} ms`);
      assert.equal(result.exitCode, 0, result.output.join('\n'));
    } finally {
      await host.stop();
    }
  });
});
