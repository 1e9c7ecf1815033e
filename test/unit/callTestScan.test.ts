import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { scanCallTests } from '../../src/core/testing/scan';
import { discoverFiles } from '../../src/extension/testing/discovery';
import { globToRegExp } from '../../src/shared/glob';

describe('call test discovery without running the file', () => {
  test('finds callTest and describe with literal names; skips comments, strings, templates and regexes', () => {
    const src = [
      "import { callTest, describe, expect } from 'freeswitch-dev/test';",
      "// callTest('in a comment', () => {})",
      "/* callTest('in a block comment') */",
      "const re = /callTest\\('in a regex'/g;",
      "const half = 4 / 2 / 1; callTest('after a division', async () => {});",
      'callTest(\'echo answers\', async ({ originate }) => {',
      "  const s = `text ${'a' + { b: 1 }.b} callTest('in a template')`;",
      '});',
      'describe("suite A", () => {',
      "  callTest.skip('skipped one', async () => {});",
      "  describe('inner', () => { callTest(`literal template`, async () => {}); });",
      '  callTest(`dynamic ${1}`, async () => {});',
      '});',
      "obj.callTest('a method, not ours');",
      "callTest('it\\'s escaped', () => {}, { timeout: 3 });",
    ].join('\n');
    const { tests, dynamic } = scanCallTests(src);
    assert.deepEqual(
      tests.map((t) => [t.fullName, t.line, t.skipped]),
      [
        ['after a division', 4, false],
        ['echo answers', 5, false],
        ['suite A › skipped one', 9, true],
        ['suite A › inner › literal template', 10, false],
        ["it's escaped", 14, false],
      ],
    );
    assert.equal(dynamic, 1);
  });

  test('a syntax error does not hide the tests before and after it', () => {
    const { tests } = scanCallTests("callTest('one', () => { const a = ; });\ncallTest('two', () => { if (x) { });\ncallTest('three', () => {});");
    assert.deepEqual(
      tests.map((t) => t.name),
      ['one', 'two', 'three'],
    );
  });

  test('a file that does not compile is an error at its line, not an empty list', async () => {
    const [found] = await discoverFiles([{ file: '/w/fsapps/broken.calltest.ts', text: "import { callTest } from 'freeswitch-dev/test';\ncallTest('x', async () => {\n  const a = ;\n});\n" }]);
    assert.ok(found!.error, 'an error');
    assert.match(found!.error.message, /does not compile: Unexpected ";" \(line 3\)/);
    assert.deepEqual(found!.error.problems[0], { file: '/w/fsapps/broken.calltest.ts', line: 3, column: 12, message: 'Unexpected ";"' });
    assert.deepEqual(
      found!.tests.map((t) => t.name),
      ['x'],
    );
  });

  test('200 test files are discovered in under a second', async () => {
    const files = Array.from({ length: 200 }, (_, f) => ({
      file: `/w/fsapps/suite${f}.calltest.ts`,
      text: [
        "import { callTest, describe, expect, useApp } from 'freeswitch-dev/test';",
        "import app from './app';",
        "const fixture = useApp(app, { id: 'app' });",
        ...Array.from({ length: 10 }, (_, t) =>
          [
            `describe('group ${t}', () => {`,
            `  callTest('call ${f}.${t} is answered and ends', async ({ originate }) => {`,
            "    const call = await originate('9196', { endpoint: 'loopback', app: 'park', appId: fixture.id });",
            '    await expect(call).toBeAnswered({ within: 2000 });',
            "    await call.sessions[1]!.sendDtmf('1234');",
            "    await expect(call.sessions[0]!).toReceiveDtmf('1234', { within: 3000 });",
            "    await expect(call).toHaveEnded({ cause: 'NORMAL_CLEARING' });",
            '  });',
            '});',
          ].join('\n'),
        ),
      ].join('\n'),
    }));
    await discoverFiles(files.slice(0, 1)); // esbuild's service starts once per process
    const started = performance.now();
    const found = await discoverFiles(files);
    const ms = performance.now() - started;
    console.log(`# discovery of 200 call test files (2,000 tests): ${ms.toFixed(0)} ms`);
    assert.equal(
      found.reduce((n, f) => n + f.tests.length, 0),
      2000,
    );
    assert.ok(found.every((f) => !f.error));
    assert.ok(ms < 1000, `${ms} ms`);
  });

  test('globs', () => {
    const re = globToRegExp('fsapps/**/*.calltest.ts');
    assert.ok(re.test('fsapps/a.calltest.ts'));
    assert.ok(re.test('fsapps/x/y/a.calltest.ts'));
    assert.ok(!re.test('fsapps/a.ts'));
    assert.ok(globToRegExp('{a,b}/*.ts').test('b/x.ts'));
  });
});
