// The Load Test panel in a real VS Code (code-server + Playwright in Debian's chromium), against
// the test ESL server: the panel from the palette, a preflight that shows the exact fsctl commands,
// Apply Limits, a short run whose dashboard fills and whose status bar item shows the rate, the
// run folder in .fsdev/runs, the run opened again with "Open Load Test Run…", two runs compared
// side by side and overlaid, and a profile's lens filling the panel with its weighted mix and
// thresholds, whose verdicts show and land in summary.json, then the Load Tests view listing the
// runs and the profile, a run opened by a click and compared with another from its context menu.
// Screenshots go to test-results/e2e/loadtest-*.png.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import type { Page } from 'playwright-core';
import { TestEslServer } from '../server/eslServer';
import { until } from '../support/wait';
import { contextMenu, ensurePackaged, openExtensionWorkbench, openViewContainer, runCommand, screenshot, treeRow, uiSteps, webviewFrame, type ExtensionWorkbench } from './harness';

const PASSWORD = 'ClueCon';
const STEP_TIMEOUT = 30_000;


let currentPage: Page | undefined;
const step = uiSteps('loadtest-', () => currentPage);

describe('the Load Test panel in a real VS Code', { timeout: 240_000 }, () => {
  let esl: TestEslServer;
  let workbench: ExtensionWorkbench | undefined;
  let page: Page;
  let workspace: string;

  before(async () => {
    ensurePackaged();
    // Low enough that a 20 calls/s loopback run needs more: the preflight has something to say.
    esl = new TestEslServer({ password: PASSWORD, sessionsPerSecond: 30 });
    await esl.start();
    workbench = await openExtensionWorkbench({
      name: 'load',
      prepare: (dir) => {
        writeFileSync(
          join(dir, 'smoke.fsload.json'),
          JSON.stringify(
            {
              servers: [{ host: '127.0.0.1', port: esl.port }],
              rate: 8,
              limit: 30,
              duration: '1s',
              runTime: '2s',
              targets: [
                { destination: '9664', endpoint: 'loopback/load', app: 'park', weight: 3 },
                { destination: '9196', endpoint: 'loopback/load', app: 'park', weight: 1 },
              ],
              // One that holds and one no run can meet: both verdicts show.
              thresholds: ['offered>=1', 'setup_p95<0.001ms'],
            },
            null,
            2,
          ),
        );
      },
      env: { FSDEV_E2E_PASSWORD: PASSWORD },
      userSettings: {
        'freeswitch.servers': [{ name: 'Test FS', host: '127.0.0.1', port: esl.port, passwordEnv: 'FSDEV_E2E_PASSWORD' }],
        'freeswitch.autoConnect': true,
      },
      viewport: { width: 1400, height: 1000 },
    });
    workspace = workbench.workspace;
    page = workbench.page;
    currentPage = page;
  });

  after(async () => {
    await workbench?.close();
    await esl?.stop();
  });

  step('a run from the panel: preflight, Apply Limits, live dashboard, status bar, run folder', async () => {
    await openViewContainer(page, 'FreeSWITCH');
    await treeRow(page, /Test FS.*connected/).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await runCommand(page, 'FreeSWITCH: Open Load Test');
    const view = webviewFrame(page);
    await view.locator('vscode-textfield#rate').waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await view.locator('vscode-textfield#rate input').fill('20');
    await view.locator('vscode-textfield#limit input').fill('60');
    await view.locator('vscode-textfield#hold input').fill('1');
    await view.locator('vscode-textfield#run-time input').fill('4');
    await view.locator('vscode-button', { hasText: 'Start' }).first().click();
    await view.locator('.preflight .commands', { hasText: 'fsctl sps' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, 'loadtest-01-preflight');
    await view.locator('.preflight vscode-button', { hasText: 'Apply Limits' }).click();
    await page.locator('.statusbar-item', { hasText: /Load \d+(\.\d)?\/s/ }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await view.locator('.uplot canvas').nth(3).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await view.locator('.phase', { hasText: 'originating' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, 'loadtest-02-running');
    await view.locator('.phase', { hasText: /stopping|stopped/ }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    // A call still up when offering ends (the first second's call the old sps limit refused can
    // leave one) is this run's to hang up: the button does, with hupall by fsdev_load_run.
    if (await view.locator('.phase', { hasText: 'stopping' }).isVisible()) await view.locator('vscode-button', { hasText: "Hang Up This Run's Calls" }).click();
    await view.locator('.phase', { hasText: 'stopped' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await view.locator('.causes td', { hasText: 'NORMAL_CLEARING' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, 'loadtest-03-done');
    const runs = join(workspace, '.fsdev', 'runs');
    await until(() => existsSync(runs) && readdirSync(runs).some((d) => existsSync(join(runs, d, 'summary.json'))), 'summary.json', STEP_TIMEOUT);
    const dir = join(runs, readdirSync(runs)[0]!);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { summary: { answered: number; failed: number } };
    assert.ok(summary.summary.answered >= 40, `answered ${summary.summary.answered}`);
    // The raised sps takes effect from the switch's next tick: calls of the first second may still fail.
    assert.ok(summary.summary.failed <= 20, `failed ${summary.summary.failed}`);
    assert.ok(existsSync(join(dir, 'calls.csv')));
    await page.locator('.statusbar-item', { hasText: /Load \d/ }).waitFor({ state: 'hidden', timeout: STEP_TIMEOUT });
  });

  step('Open Load Test Run… shows the saved run', async () => {
    await page.keyboard.press('Control+W');
    await runCommand(page, 'FreeSWITCH: Open Load Test Run…');
    const pick = page.locator('.quick-input-widget .quick-input-list .monaco-list-row').first();
    await pick.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await pick.click();
    const view = webviewFrame(page);
    await view.locator('.phase', { hasText: 'saved run' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await view.locator('.uplot canvas').nth(3).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, 'loadtest-04-saved-run');
    await page.keyboard.press('Control+W');
  });

  step('a second run (the limits raised: no preflight), then Compare Load Test Runs… side by side and overlaid', async () => {
    await runCommand(page, 'FreeSWITCH: Open Load Test');
    const view = webviewFrame(page);
    await view.locator('vscode-textfield#rate').waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await view.locator('vscode-textfield#rate input').fill('10');
    await view.locator('vscode-textfield#hold input').fill('0.5');
    await view.locator('vscode-textfield#run-time input').fill('2');
    await view.locator('vscode-button', { hasText: 'Start' }).first().click();
    await view.locator('.phase', { hasText: 'stopped' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await page.keyboard.press('Control+W');
    await runCommand(page, 'FreeSWITCH: Compare Load Test Runs…');
    const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
    await rows.nth(1).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    // The two runs of this workspace, ticked by name, then OK.
    const names = readdirSync(join(workspace, '.fsdev', 'runs'));
    assert.equal(names.length, 2);
    for (const name of names) {
      const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: name });
      await row.click();
    }
    await page.locator('.quick-input-widget', { hasText: '2 Selected' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await page.locator('.quick-input-widget .monaco-button', { hasText: /^OK$/ }).click();
    await page.locator('.tab', { hasText: /Load Test Run / }).nth(1).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    assert.equal(await page.locator('.editor-group-container').count(), 2, 'two editor groups, side by side');
    for (const i of [0, 1]) {
      const frame = page.frameLocator('iframe.webview.ready').nth(i).frameLocator('#active-frame');
      await frame.locator('.phase', { hasText: 'saved run' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
      await frame.locator('.uplot canvas').nth(3).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
      // Both runs overlaid: cps and setup latency, the older run named first.
      await frame.locator('.comparison .uplot').nth(1).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
      assert.equal(await frame.locator('.comparison h2').textContent(), `Runs compared: ${[...names].sort().join(' and ')}`);
    }
    await screenshot(page, 'loadtest-05-compare');
  });

  step('a profile\'s lens: its weighted mix and thresholds in the panel, their verdicts at the end and in summary.json', async () => {
    await page.keyboard.press('Control+W');
    await page.keyboard.press('Control+W');
    await openViewContainer(page, 'Explorer');
    await treeRow(page, 'smoke.fsload.json').click();
    const lens = page.locator('.monaco-editor .codelens-decoration a', { hasText: 'Open in Load Test Panel' });
    await lens.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await lens.click();
    const view = webviewFrame(page);
    await view.locator('.mix-rows .mix-row').nth(1).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    assert.deepEqual(await view.locator('.mix-share').allTextContents(), ['75 %', '25 %']);
    assert.equal(await view.locator('.threshold-row').count(), 2);
    const before = new Set(readdirSync(join(workspace, '.fsdev', 'runs')));
    await view.locator('vscode-button', { hasText: 'Start' }).first().click();
    await view.locator('.verdicts h2', { hasText: /^Thresholds: 1 of 2 failed$/ }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await view.locator('.verdicts tr.pass', { hasText: 'offered>=1' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, 'loadtest-06-profile-thresholds');
    const dir = readdirSync(join(workspace, '.fsdev', 'runs')).find((d) => !before.has(d))!;
    const file = join(workspace, '.fsdev', 'runs', dir, 'summary.json');
    await until(() => existsSync(file), 'summary.json of the profile run', STEP_TIMEOUT);
    const summary = JSON.parse(readFileSync(file, 'utf8')) as { thresholds: { threshold: string; ok: boolean }[]; settings: { targets: { destination: string; weight: number }[] } };
    assert.deepEqual(summary.thresholds.map((t) => [t.threshold, t.ok]), [['offered>=1', true], ['setup_p95<0.001ms', false]]);
    assert.deepEqual(summary.settings.targets.map((t) => [t.destination, t.weight]), [['9664', 3], ['9196', 1]]);
  });

  step('the Load Tests view: the runs (newest first, the profile run failed) and the profile; a click opens a run, Compare with… two', async () => {
    await page.keyboard.press('Control+W');
    await openViewContainer(page, 'FreeSWITCH');
    const names = readdirSync(join(workspace, '.fsdev', 'runs')).sort().reverse();
    assert.equal(names.length, 3);
    // A row's description: `20/s · 80 calls · ASR 100.0 %`.
    const runRows = treeRow(page, /\/s · [\d,]+ calls? · ASR /);
    await runRows.nth(names.length - 1).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    assert.equal(await runRows.count(), names.length);
    await treeRow(page, 'smoke.fsload.json').waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    // The newest is the profile's run, with one threshold broken; the two before it had none.
    await runRows.first().locator('.codicon-error').waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    assert.equal(await runRows.nth(1).locator('.codicon-pulse').count(), 1);
    await runRows.first().hover();
    await page.locator('.monaco-hover', { hasText: 'Thresholds: 1 of 2 failed' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await screenshot(page, 'loadtest-07-load-tests-view');

    await runRows.nth(2).click();
    await page.locator('.tab', { hasText: `Load Test Run ${names[2]!}` }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    const view = webviewFrame(page);
    await view.locator('.phase', { hasText: 'saved run' }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await view.locator('.uplot canvas').nth(3).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    // Through the palette: a Ctrl+W while the focus is still in the tree closes nothing.
    await runCommand(page, 'View: Close All Editors');
    await page.locator('.tab', { hasText: /Load Test Run / }).first().waitFor({ state: 'detached', timeout: STEP_TIMEOUT });

    await contextMenu(page, runRows.first(), 'Compare with…');
    const pick = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: names[1]! });
    await pick.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    assert.equal(await page.locator('.quick-input-widget .quick-input-list .monaco-list-row').count(), 2, 'the other two runs');
    await pick.click();
    for (const name of [names[0]!, names[1]!]) await page.locator('.tab', { hasText: `Load Test Run ${name}` }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    assert.equal(await page.locator('.editor-group-container').count(), 2, 'two editor groups, side by side');
    for (const i of [0, 1]) {
      const frame = page.frameLocator('iframe.webview.ready').nth(i).frameLocator('#active-frame');
      await frame.locator('.comparison .uplot').nth(1).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
      assert.equal(await frame.locator('.comparison h2').textContent(), `Runs compared: ${names[1]!} and ${names[0]!}`);
    }
    await screenshot(page, 'loadtest-08-load-tests-compare');
  });

  step('Delete Run… asks, names the run, and the row goes with the folder', async () => {
    const names = readdirSync(join(workspace, '.fsdev', 'runs')).sort().reverse();
    const runRows = treeRow(page, /\/s · [\d,]+ calls? · ASR /);
    await contextMenu(page, runRows.nth(2), 'Delete Run…');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.locator('.dialog-message-text', { hasText: /^Delete the load test run of .*\(/ }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    assert.match((await dialog.textContent()) ?? '', new RegExp(names[2]!));
    await screenshot(page, 'loadtest-09-delete-confirm');
    await dialog.locator('.monaco-button', { hasText: /^Delete$/ }).click();
    // code-server's file system has no trash: VS Code refuses `useTrash`, and the view asks again.
    const permanently = dialog.locator('.monaco-button', { hasText: 'Delete Permanently' });
    const gone = (): boolean => !existsSync(join(workspace, '.fsdev', 'runs', names[2]!));
    const deadline = Date.now() + STEP_TIMEOUT;
    while (!gone() && !(await permanently.isVisible())) if (Date.now() > deadline) throw new Error('the run was neither deleted nor asked about again');
    if (!gone()) {
      console.log(`# Delete Run…: ${(await dialog.textContent()) ?? ''}`);
      await permanently.click();
    }
    await until(gone, 'the run folder deleted', STEP_TIMEOUT);
    await runRows.nth(2).waitFor({ state: 'detached', timeout: STEP_TIMEOUT });
    assert.equal(await runRows.count(), 2);
  });

  step('a profile row\'s Open in Load Test Panel fills the panel from the file', async () => {
    await runCommand(page, 'View: Close All Editors');
    await page.locator('iframe.webview.ready').first().waitFor({ state: 'detached', timeout: STEP_TIMEOUT });
    const row = treeRow(page, 'smoke.fsload.json');
    await row.hover();
    await row.locator('.action-label[aria-label*="Open in Load Test Panel"]').click();
    const view = webviewFrame(page);
    await view.locator('.mix-rows .mix-row').nth(1).waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    assert.deepEqual(await view.locator('.mix-share').allTextContents(), ['75 %', '25 %']);
  });
});
