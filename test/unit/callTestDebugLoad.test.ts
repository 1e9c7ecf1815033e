// loadForDebugger compiles a bundle inside Node's CommonJS wrapper: a `#!` line must not break it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadForDebugger } from '../../src/apphost/testing/debugLoad';

test('a bundle starting with a shebang loads, its line numbers kept', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsdev-debugload-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'app.js');
  writeFileSync(file, '#!/usr/bin/env node\nmodule.exports = { line: new Error().stack.split("\\n")[1] };\n');
  const loaded = loadForDebugger(file) as { line: string };
  assert.match(loaded.line, /app\.js:2:/);
});

test('a bundle without one loads as before', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsdev-debugload-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'app.js');
  writeFileSync(file, 'exports.answer = 42;\n');
  assert.deepEqual(loadForDebugger(file), { answer: 42 });
});
