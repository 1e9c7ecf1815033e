// @ts-check
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS, loaded as is by the extension host */
'use strict';
// Entry point the workbench calls (extensionTestsPath): runs the mocha files next to it inside
// the extension host, where `vscode` is real. Output reaches the page console.
const path = require('path');
const Mocha = require('mocha');

exports.run = function run() {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 30_000, reporter: 'spec' });
  mocha.addFile(path.join(__dirname, 'commands.test.js'));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} extension-host test(s) failed`)) : resolve(undefined)));
  });
};
