// Server groups in a real VS Code (code-server + Playwright in Debian's chromium), against two test
// ESL servers in one group: the group row with its counts (and a member's call changing them),
// Run API Command on Group with both servers' answers in one table, and Hang Up All Calls on Group's
// modal naming each server, Open Load Test on Group with both servers ticked, and Set Group… moving a
// third, ungrouped server under the group row without reconnecting it. Screenshots go to
// test-results/e2e/groups-*.png.
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import type { Page } from 'playwright-core';
import { TestEslServer } from '../server/eslServer';
import { contextMenu, ensurePackaged, openExtensionWorkbench, openViewContainer, screenshot, treeRow, uiSteps, webviewFrame, type ExtensionWorkbench } from './harness';

const PASSWORD = 'ClueCon';
const STEP_TIMEOUT = 30_000;

let currentPage: Page | undefined;
const step = uiSteps('groups-', () => currentPage);

/** Runs a context-menu entry of the first tree row matching `row`, then moves the pointer off the tree. */
async function rowMenu(page: Page, row: RegExp, item: string): Promise<void> {
  await contextMenu(page, treeRow(page, row).first(), item, STEP_TIMEOUT);
  // Off the tree, so no row's hover or tooltip is in the screenshots.
  await page.mouse.move(900, 700);
}

describe('server groups in a real VS Code', { timeout: 240_000 }, () => {
  const esl: TestEslServer[] = [];
  /** FS C's own server, outside the group until Set Group… puts it in. */
  const outsider = new TestEslServer({ password: PASSWORD });
  let workbench: ExtensionWorkbench | undefined;
  let page: Page;

  before(async () => {
    ensurePackaged();
    for (let i = 0; i < 2; i++) {
      const server = new TestEslServer({ password: PASSWORD });
      await server.start();
      esl.push(server);
    }
    await outsider.start();
    workbench = await openExtensionWorkbench({
      name: 'groups',
      env: { FSDEV_E2E_PASSWORD: PASSWORD },
      userSettings: {
        'freeswitch.servers': [
          { name: 'FS A', host: '127.0.0.1', port: esl[0]!.port, passwordEnv: 'FSDEV_E2E_PASSWORD', group: 'Pool' },
          { name: 'FS B', host: '127.0.0.1', port: esl[1]!.port, passwordEnv: 'FSDEV_E2E_PASSWORD', group: 'Pool' },
          { name: 'FS C', host: '127.0.0.1', port: outsider.port, passwordEnv: 'FSDEV_E2E_PASSWORD' },
        ],
        'freeswitch.autoConnect': true,
      },
    });
    page = workbench.page;
    currentPage = page;
  });

  after(async () => {
    await workbench?.close();
    for (const server of esl) await server.stop();
    await outsider.stop();
  });

  step("the group row counts its servers and their calls, and follows a member's calls", async () => {
    await openViewContainer(page, 'FreeSWITCH');
    await treeRow(page, /Pool.*2\/2 connected · 0 calls/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await treeRow(page, /FS A.*connected · 0 calls/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await treeRow(page, /FS B.*connected · 0 calls/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    esl[1]!.originateDirect('9664');
    await treeRow(page, /Pool.*2\/2 connected · 1 call$/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await treeRow(page, /FS B.*connected · 1 call$/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, 'groups-01-tree');
  });

  step('Run API Command on Group: one table with both servers’ answers', async () => {
    await rowMenu(page, /Pool.*connected/, 'Run API Command on Group…');
    const input = page.locator('.quick-input-widget input[placeholder^="e.g. status"]');
    await input.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await input.fill('status');
    await input.press('Enter');
    await page.locator('.tab', { hasText: 'api status on Pool.txt' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    // The editor renders spaces as no-break spaces: \s matches both.
    const lines = page.locator('.monaco-editor .view-lines');
    await lines.locator('.view-line', { hasText: /^api\sstatus\son\sgroup\sPool:\s2\sservers,\s2\sok,\s0\serrors$/ }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    for (const server of esl) {
      await lines.locator('.view-line', { hasText: new RegExp(`^FS\\s[AB]\\s\\(127\\.0\\.0\\.1:${server.port}\\)\\s+ok\\s+UP\\s0\\syears`) }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    }
    await screenshot(page, 'groups-02-api-on-group');
    await page.keyboard.press('Control+W');
  });

  step('Hang Up All Calls on Group asks first, naming each server and its calls', async () => {
    await rowMenu(page, /Pool.*connected/, 'Hang Up All Calls on Group…');
    const dialog = page.locator('.monaco-dialog-box', { hasText: 'Hang up all calls on 2 servers of group Pool?' });
    await dialog.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await dialog.locator('text=/FS A \\(127\\.0\\.0\\.1:\\d+\\): 0 calls/').waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await dialog.locator('text=/FS B \\(127\\.0\\.0\\.1:\\d+\\): 1 call/').waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, 'groups-03-hangup-confirm');
    await dialog.locator('.monaco-button', { hasText: 'Hang Up 1 Call on 2 Servers' }).click();
    await treeRow(page, /Pool.*2\/2 connected · 0 calls/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await page.locator('.tab', { hasText: 'api hupall NORMAL_CLEARING on Pool.txt' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, 'groups-04-hangup-done');
  });

  step('Open Load Test on Group ticks exactly the group’s connected servers', async () => {
    await rowMenu(page, /Pool.*connected/, 'Open Load Test on Group');
    const boxes = webviewFrame(page).locator('.servers vscode-checkbox');
    await boxes.nth(1).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    // A vscode-checkbox keeps its state in the `checked` property.
    const ticked = await boxes.evaluateAll((all) => all.map((c) => c as unknown as { dataset: Record<string, string>; checked: boolean }).map((c) => `${c.dataset['server']}=${String(c.checked)}`));
    assert.deepEqual(ticked.sort(), ['FS A=true', 'FS B=true', 'FS C=false']);
    await screenshot(page, 'groups-05-load-test');
  });

  step('Set Group… on an ungrouped server puts its row under the group row, still connected', async () => {
    const fsC = treeRow(page, /FS C.*connected · 0 calls/);
    await fsC.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    assert.equal(await fsC.getAttribute('aria-level'), '1', 'FS C starts at the top level');
    // Its connections (a Client and an EventListener), to compare after the move.
    const connections = (): number[] => [...new Set(outsider.commands.map((c) => c.connectionId))].sort();
    const before = connections();
    assert.equal(outsider.connectionCount, before.length);
    await rowMenu(page, /FS C.*connected/, 'Set Group…');
    const widget = page.locator('.quick-input-widget');
    await widget.locator('input[placeholder="Pick a group"]').waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    const rows = widget.locator('.quick-input-list .monaco-list-row');
    await rows.nth(2).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    // Its current choice first, so Enter keeps it; then the groups, then a new one.
    assert.deepEqual(
      (await rows.locator('.label-name').allInnerTexts()).map((t) => t.trim()),
      ['No Group', 'Pool', 'New Group…'],
    );
    await screenshot(page, 'groups-06-set-group-pick');
    await rows.filter({ hasText: /^Pool/ }).click();
    await treeRow(page, /Pool.*3\/3 connected · 0 calls/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await page.locator('.part.sidebar .monaco-list-row[aria-level="2"]', { hasText: /FS C.*connected · 0 calls/ }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    // The same connection: the group is not part of it (ServerManager keeps it, updateConfig).
    assert.deepEqual(connections(), before, 'FS C was not reconnected');
    assert.equal(outsider.connectionCount, before.length);
    await screenshot(page, 'groups-07-set-group-moved');
  });
});
