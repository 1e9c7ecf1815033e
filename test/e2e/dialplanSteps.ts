// The dialplan scenario of the e2e suite (called from extension.test.ts): a configuration tree in
// the workspace, completion from the server, a broken regex in Problems, Reload XML with
// FreeSWITCH's assembled-line error mapped to the file, and a traced call with its marks,
// photographed in the dark, light and high-contrast themes.
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { mapSnapshot, preprocess } from '../../src/extension/dialplan/preprocess';
import type { TestEslServer } from '../server/eslServer';
import { FIXTURE_CONF, readTree } from '../support/confTree';
import { pressUntilVisible, screenshot, treeRow, waitForNotification } from './harness';

const TIMEOUT = 20_000;

export interface DialplanScenario {
  readonly page: Page;
  readonly esl: TestEslServer;
  readonly workspace: string;
}

async function visible(locator: Locator, what: string, timeout = TIMEOUT): Promise<void> {
  try {
    await locator.waitFor({ state: 'visible', timeout });
  } catch (err) {
    throw new Error(`timed out after ${timeout} ms waiting for ${what}: ${(err as Error).message.split('\n')[0]}`);
  }
}

async function palette(page: Page, title: string): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await page.locator('.monaco-workbench').focus();
  await page.keyboard.press('F1');
  await widget.locator('input').fill(`>${title}`);
  const row = widget.locator('.quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${title}$`) }) }).first();
  await visible(row, `palette row ${title}`);
  await row.click();
}

/** Opens a workspace file with Quick Open and waits for its tab. */
async function openFile(page: Page, name: string, hint: string): Promise<void> {
  await page.locator('.monaco-workbench').focus();
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.fill(hint);
  await visible(page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first(), `quick open ${name}`);
  await input.press('Enter');
  await visible(page.locator('.tab.active', { hasText: name }), `the ${name} tab`);
}

async function goToLine(page: Page, line: number, column = 1): Promise<void> {
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget input');
  await input.fill(`:${line}:${column}`);
  await input.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: TIMEOUT });
  // Keys pressed before the editor has the focus back go nowhere.
  await visible(page.locator('.monaco-editor.focused'), 'the editor focused at the line');
}

/** Opens the suggestions at the cursor and waits for `expected` among them. */
async function suggestAtCursor(page: Page, expected: string): Promise<Locator> {
  const suggest = page.locator('.editor-widget.suggest-widget');
  await pressUntilVisible(page, 'Control+Space', suggest.locator('.monaco-list-row', { hasText: expected }).first(), `${expected} among the suggestions`, TIMEOUT);
  return suggest;
}

/** Picks a color theme with Preferences: Color Theme and waits for the workbench to switch. */
async function setTheme(page: Page, theme: string, bodyClass: string): Promise<void> {
  await palette(page, 'Preferences: Color Theme');
  const input = page.locator('.quick-input-widget input');
  await input.fill(theme);
  const row = page.locator('.quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${theme}$`) }) }).first();
  await visible(row, `${theme} in the theme picker`);
  await row.click();
  await visible(page.locator(`.monaco-workbench.${bodyClass}`), `the ${theme} theme`);
}

const BROKEN = `<include>
  <extension name="e2e_gateway">
    <condition field="destination_number" expression="^9(10[01][0-9]$">
      <action application="bri" data="sofia/gateway/carrier/$1"/>
    </condition>
  </extension>
</include>
`;

export async function dialplanScenario({ page, esl, workspace }: DialplanScenario): Promise<void> {
  const conf = join(workspace, 'conf');
  cpSync(FIXTURE_CONF, conf, { recursive: true });
  writeFileSync(join(conf, 'dialplan', 'default', '50_e2e.xml'), BROKEN);

  // Completion of an application name, from the server (capture 19's list, marked "on Test FS").
  await openFile(page, '50_e2e.xml', '50_e2e');
  // The tree is read once its files appear: the lens shows when the file is known as configuration.
  await visible(page.locator('.monaco-editor .codelens-decoration a[title*="(e2e_gateway)"]'), 'the lens of the new extension');
  await goToLine(page, 4, 31);
  const suggest = await suggestAtCursor(page, 'bridge');
  if (!(await suggest.locator('.suggest-details').isVisible())) await page.keyboard.press('Control+Space');
  await visible(page.locator('.suggest-details', { hasText: 'on Test FS' }), 'the application\'s documentation from Test FS');
  await screenshot(page, '17-dialplan-completion');
  await page.keyboard.press('Enter');
  await visible(page.locator('.monaco-editor .view-lines', { hasText: /application="bridge"/ }), 'bridge inserted');
  await page.keyboard.press('Control+S');

  // The broken regex in Problems, at its line.
  await page.keyboard.press('Control+Shift+M');
  const problem = treeRow(page, /Not a valid PCRE: Missing \) for this \(/).first();
  await visible(problem, 'the PCRE problem');
  assert.match(await problem.innerText(), /\[Ln 3, Col \d+\]/);
  await screenshot(page, '18-dialplan-regex-problem');

  // Reload XML: FreeSWITCH's "near line N" of its assembled file lands on default.xml's </context>.
  const assembled = preprocess(mapSnapshot(readTree(conf)), `${conf}/freeswitch.xml`);
  const line = assembled.text.split('\n').findIndex((l) => l.includes('</context>')) + 1;
  const origin = assembled.lines[line - 1]!;
  assert.equal(origin.file, `${conf}/dialplan/default.xml`);
  esl.setXmlError(`[error near line ${line}]: unexpected closing tag </context>`);
  await page.locator('.editor-actions .action-label[aria-label*="Reload XML"]').first().click();
  const toast = await waitForNotification(page, /FreeSWITCH refused the XML on Test FS: unexpected closing tag <\/context>/);
  assert.match(await toast.innerText(), new RegExp(`conf/dialplan/default\\.xml:${origin.line + 1}`));
  await visible(treeRow(page, new RegExp(`reloadxml on Test FS: unexpected closing tag </context> \\(line ${line} of the assembled`)), 'the reloadxml problem');
  await screenshot(page, '19-dialplan-reloadxml-error');
  await toast.locator('.monaco-button', { hasText: 'Show Line' }).click();
  await visible(page.locator('.tab.active', { hasText: 'default.xml' }), 'default.xml opened at the line');
  esl.setXmlError(undefined);
  await palette(page, 'FreeSWITCH: Reload XML');
  await waitForNotification(page, /Test FS: reloadxml answered \+OK \[Success\]/);
  await treeRow(page, /reloadxml on Test FS/).waitFor({ state: 'hidden', timeout: TIMEOUT });

  // Trace a Call from the lens above hold_music: the prompts come prefilled from its conditions.
  const defaultXml = readFileSync(join(conf, 'dialplan', 'default.xml'), 'utf8').split('\n');
  const holdLine = defaultXml.findIndex((l) => l.includes('name="hold_music"')) + 1;
  await goToLine(page, holdLine);
  // The lens's tooltip names its extension.
  const lens = page.locator('.monaco-editor .codelens-decoration a[title*="(hold_music)"]');
  await visible(lens, 'the Call this extension lens of hold_music');
  await lens.click();
  const input = page.locator('.quick-input-widget input');
  await visible(page.locator('.quick-input-widget .quick-input-title', { hasText: 'Trace a Call on Test FS (1/3)' }), 'the destination prompt');
  assert.equal(await input.inputValue(), '9664');
  await input.press('Enter');
  await visible(page.locator('.quick-input-widget .quick-input-list .monaco-list-row.focused', { hasText: 'default' }), 'default preselected');
  await input.press('Enter');
  await visible(page.locator('.quick-input-widget .quick-input-title', { hasText: '(3/3)' }), 'the caller ID prompt');
  await input.press('Enter');
  const still = await waitForNotification(page, /The traced call is still up on Test FS/, 30_000);
  assert.match(await still.innerText(), /Hang Up[\s\S]*Leave It Up/);

  // The marks: hold_music matched, its conditions passed/failed, the anti-actions numbered.
  await visible(treeRow(page, /hold_music.*matched/), 'hold_music matched in the Dialplan Trace view');
  await visible(page.locator('.tab.active', { hasText: 'default.xml' }), 'default.xml shown');
  const glyphs = page.locator('.monaco-editor .margin-view-overlays .cgmr, .monaco-editor .glyph-margin-widgets .cgmr');
  await visible(glyphs.first(), 'gutter marks');
  assert.ok((await glyphs.count()) >= 4, `gutter marks: ${await glyphs.count()}`);
  await visible(treeRow(page, /#1 anti-action answer\(\)\s*ran/), 'the first queued action, ran');
  const condition = page.locator('.monaco-editor .view-lines .view-line', { hasText: 'expression="^9664$"' }).first();
  // The three kinds of theme; then the one the suite runs in.
  const wasLight = (await page.locator('.monaco-workbench.vs').count()) > 0;
  for (const [theme, cls, shot] of [
    ['Dark Modern', 'vs-dark', '20-dialplan-trace-dark'],
    ['Light Modern', 'vs', '21-dialplan-trace-light'],
    ['Dark High Contrast', 'hc-black', '22-dialplan-trace-high-contrast'],
  ] as const) {
    await setTheme(page, theme, cls);
    await condition.hover();
    const hover = page.locator('.monaco-hover', { hasText: 'PASS: destination_number(9664) =~ /^9664$/' });
    await visible(hover, `the condition's hover (${theme})`);
    // The hover fades in: photograph it once it is opaque.
    // (A string: the bundler's helpers do not exist in the page.)
    await hover.evaluate(
      `(el) => new Promise((resolve) => {
        const opaque = () => { for (let e = el; e; e = e.parentElement) if (getComputedStyle(e).opacity !== '1') return false; return true; };
        const check = () => (opaque() ? resolve() : requestAnimationFrame(check));
        check();
      })`,
    );
    await screenshot(page, shot);
  }
  await setTheme(page, wasLight ? 'Light Modern' : 'Dark Modern', wasLight ? 'vs' : 'vs-dark');

  // The server's own assembled context, read-only, with the same features: its lenses, and the
  // trace marked on it too (every extension the server tested is in it).
  await palette(page, 'FreeSWITCH: Show Effective Dialplan');
  await visible(page.locator('.quick-input-widget .quick-input-list .monaco-list-row.focused', { hasText: 'default' }), 'default preselected');
  await page.locator('.quick-input-widget input').press('Enter');
  await visible(page.locator('.tab.active', { hasText: 'dialplan-default.xml' }), 'the effective dialplan');
  await visible(page.locator('.monaco-editor .codelens-decoration a[title*="(unloop)"]'), 'a lens in the server\'s XML');
  await visible(page.locator('.monaco-editor .margin-view-overlays .cgmr, .monaco-editor .glyph-margin-widgets .cgmr').first(), 'trace marks in the server\'s XML');
  await screenshot(page, '23-dialplan-effective');
  await page.keyboard.press('Control+W');

  // The call is still up: the toast offered Hang Up; so does the view's title bar. Then the
  // timeline is one click away.
  const header = page.locator('.part.sidebar .pane-header', { hasText: 'Dialplan Trace' });
  await header.hover();
  await header.locator('.action-label[aria-label*="Hang Up the Traced Call"]').click();
  await visible(treeRow(page, /Test FS.*connected · 0 calls/), 'the traced call hung up');
  await header.hover();
  await header.locator('.action-label[aria-label*="Timeline"]').click();
  await visible(page.locator('.tab', { hasText: /Timeline: / }), 'the traced call\'s timeline');
  await page.keyboard.press('Control+W');
  await page.keyboard.press('Escape');
}
