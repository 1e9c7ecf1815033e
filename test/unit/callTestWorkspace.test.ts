// What the Test Explorer does for a call test file without running it: the note on a file whose
// tests have computed names, and the tsconfig that gives a test (and no app) the package's types.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { typesConfigFolder, writeTypesConfig } from '../../src/extension/apps/typesConfig';
import { computedNamesNote, discoverFile } from '../../src/extension/testing/discovery';

describe('a file whose tests all have computed names', () => {
  test('is discovered as such, and its item says how to see them', async () => {
    const found = await discoverFile(
      '/w/fsapps/loop.calltest.ts',
      ["import { callTest } from 'freeswitch-dev/test';", "for (const d of ['1000', '2000']) {", '  callTest(`calls ${d}`, async () => {});', '}'].join('\n'),
    );
    assert.deepEqual(found.tests, []);
    assert.equal(found.dynamic, 1);
    assert.equal(computedNamesNote(found.tests.length, found.dynamic), 'tests with computed names: run the file to see them');
  });

  test('a file with both says the computed ones are there too; one with none says nothing', () => {
    assert.equal(computedNamesNote(3, 2), 'and 2 with computed names: run the file to see them');
    assert.equal(computedNamesNote(3, 0), undefined);
  });
});

describe('the types config of call tests (one code path with New App from Template)', () => {
  const root = mkdtempSync(join(tmpdir(), 'fsdev-types-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const extensionPath = '/ext';

  test('a test folder with no tsconfig gets one mapping freeswitch-dev and freeswitch-dev/test', () => {
    mkdirSync(join(root, 'tests'));
    const file = join(root, 'tests', 'a.calltest.ts');
    const folder = typesConfigFolder(file, root);
    assert.equal(folder, join(root, 'tests'));
    const result = writeTypesConfig(extensionPath, folder);
    assert.deepEqual(result, { file: join(root, 'tests', 'tsconfig.json'), changed: true });
    const config = JSON.parse(readFileSync(join(root, 'tests', 'tsconfig.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } };
    assert.deepEqual(config.compilerOptions.paths, {
      'freeswitch-dev': ['/ext/dist/types/index.d.ts'],
      'freeswitch-dev/test': ['/ext/dist/types/testing/index.d.ts'],
    });
    assert.deepEqual(writeTypesConfig(extensionPath, folder), { file: join(root, 'tests', 'tsconfig.json'), changed: false }, 'written once');
  });

  test('a test below a tsconfig uses that one (as TypeScript does); its other settings are kept', () => {
    mkdirSync(join(root, 'fsapps', 'deep'), { recursive: true });
    writeFileSync(join(root, 'fsapps', 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: false, paths: { mine: ['./x.ts'] } } }));
    const folder = typesConfigFolder(join(root, 'fsapps', 'deep', 'b.calltest.ts'), root);
    assert.equal(folder, join(root, 'fsapps'));
    writeTypesConfig(extensionPath, folder);
    const config = JSON.parse(readFileSync(join(root, 'fsapps', 'tsconfig.json'), 'utf8')) as { compilerOptions: { strict: boolean; paths: Record<string, string[]> } };
    assert.equal(config.compilerOptions.strict, false);
    assert.deepEqual(Object.keys(config.compilerOptions.paths), ['mine', 'freeswitch-dev', 'freeswitch-dev/test']);
  });

  test('a tsconfig with comments is left alone, with the entry to add', () => {
    mkdirSync(join(root, 'commented'));
    const text = '{\n  // mine\n  "compilerOptions": {}\n}\n';
    writeFileSync(join(root, 'commented', 'tsconfig.json'), text);
    const result = writeTypesConfig(extensionPath, join(root, 'commented'));
    assert.ok('warning' in result);
    assert.match(result.warning, /not plain JSON: add "paths": \{ "freeswitch-dev"/);
    assert.equal(readFileSync(join(root, 'commented', 'tsconfig.json'), 'utf8'), text);
  });
});
