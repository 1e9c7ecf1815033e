// Call tests in a real VS Code's Test Explorer (code-server + Playwright in Debian's chromium),
// against the test ESL server: discovery, a run where one test passes and one fails with a
// readable message and a timeline link, a file that does not compile, Debug stopping at a
// breakpoint in the test and at one in the app under test (an app fixture), and, once the server is
// disconnected, the Run (no server) profile: a test that needs no server passes, one that calls
// fails saying it needs one, and a file of computed test names lists them when run.
// Screenshots go to test-results/e2e/calltests-*.png.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import type { Page } from 'playwright-core';
import { TestEslServer } from '../server/eslServer';
import { ensurePackaged, openExtensionWorkbench, openViewContainer, runCommand, screenshot, treeRow, uiSteps, webviewFrame, type ExtensionWorkbench } from './harness';

const PASSWORD = 'ClueCon';
const STEP_TIMEOUT = 30_000;

const TESTS = `import { callTest, expect } from 'freeswitch-dev/test';

callTest('echo answers and returns my digits', async ({ originate }) => {
  const call = await originate('9196', { endpoint: 'loopback', app: 'park' });
  await expect(call).toBeAnswered({ within: 2000 });
  await call.sessions[1].sendDtmf('1234');
  await expect(call.sessions[0]).toReceiveDtmf('1234', { within: 3000 });
  await call.hangup();
  await expect(call).toHaveEnded({ cause: 'NORMAL_CLEARING' });
});

callTest('busy is not normal clearing', async ({ originate }) => {
  const call = await originate('9196', { endpoint: 'loopback', app: 'park' });
  await call.hangup('USER_BUSY');
  await expect(call).toHaveEnded({ cause: 'NORMAL_CLEARING' });
});
`;
/** Line (1-based) of `await call.hangup('USER_BUSY');`: the debug breakpoint. */
const BREAKPOINT_LINE = 14;

/** The app under test: a workspace app that hangs up inbound legs busy. */
const APP = `import { defineApp } from 'freeswitch-dev';

export default defineApp({
  name: 'busy',
  on: {
    CHANNEL_PARK: async (session) => {
      if (session.direction === 'inbound') {
        await session.hangup('USER_BUSY');
      }
    },
  },
});
`;
/** Line (1-based) of `await session.hangup('USER_BUSY');` in the app: the app breakpoint. */
const APP_BREAKPOINT_LINE = 8;

/**
 * A test of that app through the app fixture (bundled and loaded by the test host). Its limits are
 * generous because the test host sits at the app's breakpoint while the timers run on.
 */
const APP_TESTS = `import { callTest, expect, useApp } from 'freeswitch-dev/test';

const busy = useApp('./busy.ts', { id: 'busy-under-test' });

callTest('the app hangs up busy', async ({ originate }) => {
  const call = await originate('1000', { endpoint: { kind: 'loopback', context: 'park' }, app: 'park', appId: busy.id, within: 120000 });
  await expect(call).toHaveEnded({ cause: 'USER_BUSY', within: 120000 });
});
`;

/** One test that needs no server and one that calls: the Run (no server) profile. */
const OFFLINE_TESTS = `import { callTest, expect } from 'freeswitch-dev/test';

callTest('adds up without a server', async () => {
  expect(1 + 1).toBe(2);
});

callTest('calls need a server', async ({ originate }) => {
  await originate('9196', { endpoint: 'loopback', app: 'park' });
});
`;

/** Names the scan cannot read: the explorer says so until a run lists them. */
const COMPUTED_TESTS = `import { callTest, expect } from 'freeswitch-dev/test';

for (const digit of ['1', '2']) {
  callTest(\`digit \${digit} is a digit\`, async () => {
    expect(digit).toMatch(/^[0-9]$/);
  });
}
`;

let currentPage: Page | undefined;

/** Opens a workspace file with Quick Open and waits for its tab. */
async function openFile(page: Page, name: string): Promise<void> {
  await page.locator('.monaco-workbench').focus();
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
  await input.fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().click();
  await page.locator('.tab.active', { hasText: name }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
}

/** Opens `name` and sets a breakpoint on `line` (Go to Line, F9), waiting for its glyph. */
async function setBreakpoint(page: Page, name: string, line: number): Promise<void> {
  await openFile(page, name);
  const editor = page.locator('.editor-group-container.active .monaco-editor').first();
  await editor.click();
  await page.keyboard.press('Control+G');
  await page.locator('.quick-input-widget input').fill(`:${line}`);
  await page.keyboard.press('Enter');
  await page.keyboard.press('F9');
  await page.locator('.editor-group-container.active .monaco-editor .codicon-debug-breakpoint').first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
}

/**
 * Expands a file's row in the Test Explorer if it is collapsed. In the side bar only: once a run
 * has been shown, the Test Results tree in the panel has rows of the file's tests that name it too.
 */
async function expandFile(page: Page, name: string): Promise<void> {
  const row = page.locator('.part.sidebar .monaco-list-row[aria-level="1"]', { hasText: name });
  await row.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
  if ((await row.getAttribute('aria-expanded')) === 'false') await row.locator('.monaco-tl-twistie').click();
}

const step = uiSteps('calltests-', () => currentPage);

describe('call tests in the Test Explorer of a real VS Code', { timeout: 420_000 }, () => {
  let esl: TestEslServer;
  let workbench: ExtensionWorkbench | undefined;
  let page: Page;

  before(async () => {
    ensurePackaged();
    esl = new TestEslServer({ password: PASSWORD, channelTableLag: 150 });
    await esl.start();
    workbench = await openExtensionWorkbench({
      name: 'calltests',
      prepare: (workspace) => {
        mkdirSync(join(workspace, 'fsapps'), { recursive: true });
        writeFileSync(join(workspace, 'fsapps', 'echo.calltest.ts'), TESTS);
        writeFileSync(join(workspace, 'fsapps', 'busy.ts'), APP);
        writeFileSync(join(workspace, 'fsapps', 'busy.calltest.ts'), APP_TESTS);
        writeFileSync(join(workspace, 'fsapps', 'offline.calltest.ts'), OFFLINE_TESTS);
        writeFileSync(join(workspace, 'fsapps', 'computed.calltest.ts'), COMPUTED_TESTS);
        writeFileSync(join(workspace, 'fsapps', 'broken.calltest.ts'), "import { callTest } from 'freeswitch-dev/test';\ncallTest('never runs', async () => {\n  const a = ;\n});\n");
      },
      env: { FSDEV_E2E_PASSWORD: PASSWORD },
      userSettings: {
        'freeswitch.servers': [{ name: 'Test FS', host: '127.0.0.1', port: esl.port, passwordEnv: 'FSDEV_E2E_PASSWORD' }],
        'freeswitch.autoConnect': true,
        'freeswitch.recording.folder': 'recordings',
        // The failure's peek opens in the test file's editor.
        'testing.automaticallyOpenPeekView': 'failureAnywhere',
      },
    });
    page = workbench.page;
    currentPage = page;
  });

  after(async () => {
    await workbench?.close();
    await esl?.stop();
  });

  step('the tests appear in the Test Explorer without running; the file that does not compile is an error', async () => {
    await openViewContainer(page, 'FreeSWITCH');
    await treeRow(page, /Test FS.*connected/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await openViewContainer(page, 'Testing');
    const file = treeRow(page, 'echo.calltest.ts');
    await file.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    if ((await file.getAttribute('aria-expanded')) === 'false') await file.locator('.monaco-tl-twistie').click();
    await treeRow(page, 'echo answers and returns my digits').waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await treeRow(page, 'busy is not normal clearing').waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    // The broken file: an error in the explorer (not an empty list) and in Problems.
    const broken = treeRow(page, 'broken.calltest.ts');
    await broken.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    // (The explorer renders the message as markdown: spaces may arrive as no-break spaces.)
    await treeRow(page, /does\s+not\s+compile:\s+Unexpected/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    // A file of computed names says so instead of showing as empty.
    await treeRow(page, 'computed.calltest.ts').filter({ hasText: 'tests with computed names: run the file to see them' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    assert.equal(esl.channels.length, 0, 'discovery runs nothing');
    await screenshot(page, 'calltests-01-discovered');
    await runCommand(page, 'View: Toggle Problems');
    await page.locator('.part.panel .monaco-list-row', { hasText: /Unexpected ";"/ }).first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, 'calltests-02-broken-file-in-problems');
  });

  step('Run: one passes, one fails with expected vs happened, the call events and a timeline link', async () => {
    // From the palette, with the test file open: its tests run and the failure's peek opens in it.
    await openFile(page, 'echo.calltest.ts');
    await runCommand(page, 'Test: Run Tests in Current File');
    await treeRow(page, 'echo answers and returns my digits').locator('.codicon-testing-passed-icon').first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await treeRow(page, 'busy is not normal clearing').locator('.codicon-testing-failed-icon').first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    // The failure's peek: the message says what was expected and what happened.
    const peek = page.locator('.test-output-peek, .peekview-widget').first();
    await peek.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await peek.getByText(/expected call 9196 \([0-9a-f]+\) to end with NORMAL_CLEARING, but it ended with USER_BUSY/).first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await peek.getByText(/happened: USER_BUSY/).first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await peek.getByText(/CHANNEL_HANGUP USER_BUSY/).first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, 'calltests-03-run-one-failed');
    // The link opens the call's timeline, drawn from the events the test host kept.
    const link = peek.locator('a', { hasText: "Open the call's timeline" }).first();
    await link.click();
    await page.locator('.tab', { hasText: /Timeline: / }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await webviewFrame(page).locator('.lane-sub', { hasText: 'USER_BUSY' }).first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, 'calltests-04-failure-timeline');
    assert.equal(esl.channels.filter((c) => !c.hangupCause).length, 0, 'every call of the run hung up');
    await page.keyboard.press('Escape');
  });

  step('Debug: a breakpoint in the test stops the run there', async () => {
    // A breakpoint on the hangup line of the failing test.
    await setBreakpoint(page, 'echo.calltest.ts', BREAKPOINT_LINE);
    await runCommand(page, 'Test: Debug All Tests');
    await page.locator('.debug-toolbar .codicon-debug-continue').waitFor({ state: 'visible', timeout: 60_000 });
    await page.locator('.monaco-editor .codicon-debug-stackframe').first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, 'calltests-06-debug-paused-in-test');
    await page.locator('.debug-toolbar .codicon-debug-continue').click();
    // The run ends (the debug session with it) and its calls are hung up.
    await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: STEP_TIMEOUT });
    await page.locator('.statusbar-item', { hasText: 'Test FS: 0 calls' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
  });

  step('Debug: a breakpoint in the app under test (an app fixture) stops there, and the test passes after Continue', async () => {
    // The app is bundled after the debugger attached, and its callback runs within milliseconds of
    // loading: this hits only because the host lets the debugger set it first (apphost/testing/debugLoad.ts).
    await setBreakpoint(page, 'busy.ts', APP_BREAKPOINT_LINE);
    // Only this file's test; the default Debug profile is the connected server's.
    await openFile(page, 'busy.calltest.ts');
    const started = performance.now();
    await runCommand(page, 'Test: Debug Tests in Current File');
    await page.locator('.debug-toolbar .codicon-debug-continue').waitFor({ state: 'visible', timeout: 60_000 });
    // Stopped in the app's .ts: its editor is in front with the stack frame's arrow, and the top of
    // the call stack is the app's breakpoint line.
    await page.locator('.tab.active', { hasText: 'busy.ts' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await page.locator('.editor-group-container.active .monaco-editor .codicon-debug-stackframe').first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await page
      .locator('.debug-call-stack .monaco-list-row', { hasText: new RegExp(`busy\\.ts\\s*${APP_BREAKPOINT_LINE}:`) })
      .first()
      .waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    console.log(`# Debug → stopped in the app: ${Math.round(performance.now() - started)} ms`);
    await screenshot(page, 'calltests-06b-debug-paused-in-app');
    await page.locator('.debug-toolbar .codicon-debug-continue').click();
    await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: STEP_TIMEOUT });
    await openViewContainer(page, 'Testing');
    await expandFile(page, 'busy.calltest.ts');
    await treeRow(page, 'the app hangs up busy').locator('.codicon-testing-passed-icon').first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    console.log(`# Debug → test passed after Continue: ${Math.round(performance.now() - started)} ms`);
    await screenshot(page, 'calltests-06c-app-test-passed');
    await page.locator('.statusbar-item', { hasText: 'Test FS: 0 calls' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
  });

  step('Record: the event stream records a call; the status bar shows it; Stop ends it', async () => {
    await runCommand(page, 'FreeSWITCH: Open Event Stream');
    const stream = webviewFrame(page);
    await stream.locator('#stats', { hasText: 'buffered' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    // freeswitch.recording.folder is set: Record starts without asking where.
    await page.locator('.editor-actions .action-label[aria-label*="Record Events"]').click();
    const status = page.locator('.statusbar-item', { hasText: /Recording Test FS · \d+ events/ });
    await status.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    const uuid = esl.originateDirect('9196');
    await stream.locator('#rows .row', { has: stream.locator('.c-uuid', { hasText: uuid.slice(0, 8) }) }).first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await esl.api(`uuid_kill ${uuid}`);
    await esl.whenIdle();
    await stream.locator('#rows .row .c-name', { hasText: /^CHANNEL_DESTROY$/ }).first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, 'calltests-07-recording');
    await status.click();
    await status.waitFor({ state: 'hidden', timeout: STEP_TIMEOUT });
    await page.locator('.notifications-toasts .notification-toast', { hasText: /Recording of Test FS stopped \(stopped\): \d+ events/ }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await page.keyboard.press('Control+W');
  });

  step('Open Recording with no server connected: the events as if live, a slider to scrub, a timeline', async () => {
    await runCommand(page, 'FreeSWITCH: Disconnect');
    await page.locator('.statusbar-item', { hasText: /Test FS: disconnected|Test FS$/ }).first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT }).catch(() => undefined);
    // The stop notification's Open Recording (from the notification center if the toast has gone).
    let open = page.locator('.notifications-toasts .notification-toast', { hasText: /Recording of Test FS stopped/ }).locator('.monaco-button', { hasText: 'Open Recording' });
    if (!(await open.isVisible())) {
      await runCommand(page, 'Notifications: Show Notifications');
      open = page.locator('.notifications-center .notification-list-item', { hasText: /Recording of Test FS stopped/ }).locator('.monaco-button', { hasText: 'Open Recording' });
    }
    await open.first().click();
    await page.locator('.tab', { hasText: /Recording: Test_FS-.*\.fsrec\.jsonl/ }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    const view = webviewFrame(page);
    await view.locator('#server', { hasText: /Recording · Test_FS-.*\.fsrec\.jsonl/ }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await view.locator('#rows .row .c-name', { hasText: /^CHANNEL_DESTROY$/ }).first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    const all = await view.locator('#stats').textContent();
    await screenshot(page, 'calltests-08-recording-open');
    // Scrub back to the start: fewer events, the hangup not yet there.
    const slider = view.locator('#scrub');
    const max = Number(await slider.getAttribute('max'));
    await slider.fill(String(Math.floor(max / 4)));
    await view.locator('#rows .row .c-name', { hasText: /^CHANNEL_DESTROY$/ }).first().waitFor({ state: 'detached', timeout: STEP_TIMEOUT });
    assert.notEqual(await view.locator('#stats').textContent(), all);
    await screenshot(page, 'calltests-09-recording-scrubbed');
    // Back to the end; the timeline of the call opens from a row, offline.
    await slider.fill(String(max));
    await view.locator('#rows .row', { has: view.locator('.c-name', { hasText: /^CHANNEL_ANSWER$/ }) }).first().click();
    await view.locator('#open-timeline').click();
    await page.locator('.tab', { hasText: /Timeline: / }).last().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await webviewFrame(page).locator('#lanes .lane-title', { hasText: 'loopback/9196-a' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, 'calltests-10-recording-timeline');
  });

  step('Run (no server): a test that needs no server passes; one that calls fails saying it needs a server', async () => {
    // The previous step disconnected Test FS: Run (no server) is the default profile now.
    await openFile(page, 'offline.calltest.ts');
    const started = performance.now();
    await runCommand(page, 'Test: Run Tests in Current File');
    await openViewContainer(page, 'Testing');
    await expandFile(page, 'offline.calltest.ts');
    await treeRow(page, 'adds up without a server').locator('.codicon-testing-passed-icon').first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await treeRow(page, 'calls need a server').locator('.codicon-testing-failed-icon').first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    const peek = page.locator('.test-output-peek, .peekview-widget', { hasText: /this test needs a FreeSWITCH server, and the run has none/ }).first();
    await peek.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await peek.getByText(/happened: a run without a server/).first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    // The run was the no-server profile's (Test Results names it).
    await page.locator('.part.panel .monaco-list-row', { hasText: 'Call tests without a server' }).first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    console.log(`# Run (no server) → results: ${Math.round(performance.now() - started)} ms`);
    assert.equal(esl.channels.filter((c) => !c.hangupCause).length, 0, 'no call is up');
    await screenshot(page, 'calltests-11-no-server-run');
    await page.keyboard.press('Escape');
  });

  step('Run (no server) of a file of computed names lists its tests, and they pass', async () => {
    await openFile(page, 'computed.calltest.ts');
    await runCommand(page, 'Test: Run Tests in Current File');
    await openViewContainer(page, 'Testing');
    await expandFile(page, 'computed.calltest.ts');
    for (const digit of ['1', '2']) {
      await treeRow(page, `digit ${digit} is a digit`).locator('.codicon-testing-passed-icon').first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    }
    await screenshot(page, 'calltests-12-computed-names-listed');
  });
});
