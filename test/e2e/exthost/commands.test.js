// @ts-check
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS, loaded as is by the extension host */
'use strict';
const assert = require('assert');
const vscode = require('vscode');

const EXTENSION_ID = 'freeswitch-dev.freeswitch-dev';

describe('FreeSWITCH Dev in the extension host', () => {
  /** @type {vscode.Extension<{ activationMs: number }>} */
  let extension;

  before(async () => {
    const found = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(found, `${EXTENSION_ID} is loaded`);
    extension = found;
    await extension.activate();
  });

  it('registers every command package.json contributes, and contributes every command it registers', async () => {
    const contributed = extension.packageJSON.contributes.commands.map((/** @type {{ command: string }} */ c) => c.command).sort();
    // VS Code itself registers `<view id>.focus` and the like for the Servers view.
    const viewIds = extension.packageJSON.contributes.views.freeswitch.map((/** @type {{ id: string }} */ v) => `${v.id}.`);
    const registered = (await vscode.commands.getCommands(true))
      .filter((id) => id.startsWith('freeswitch.') && !viewIds.some((/** @type {string} */ prefix) => id.startsWith(prefix)))
      .sort();
    assert.deepStrictEqual(registered, contributed);
  });

  it('every command has the FreeSWITCH category and every menu entry names a contributed command', () => {
    const contributes = extension.packageJSON.contributes;
    const ids = new Set(contributes.commands.map((/** @type {{ command: string }} */ c) => c.command));
    for (const c of contributes.commands) assert.strictEqual(c.category, 'FreeSWITCH', c.command);
    for (const [menu, entries] of Object.entries(contributes.menus)) {
      for (const entry of /** @type {Array<{ command: string }>} */ (entries)) assert.ok(ids.has(entry.command), `${menu}: ${entry.command}`);
    }
  });

  it('activates quickly (reported, not asserted)', () => {
    const ms = extension.exports.activationMs;
    assert.strictEqual(typeof ms, 'number');
    console.log(`ACTIVATION_MS=${ms.toFixed(2)}`);
  });
});
