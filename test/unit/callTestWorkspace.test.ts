// What the Test Explorer does for a call test file without running it: the note on a file whose
// tests have computed names, and the tsconfig that gives a test (and no app) the package's types:
// created where none governs the test, the project's own changed only with consent and byte for byte.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTsconfigPaths } from '../../src/extension/apps/jsonEdit';
import { planTypesConfig, typesConfigFile, typesInstructions, typesSnippet, writeTypesConfig } from '../../src/extension/apps/typesConfig';
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
  const ext = '/ext/freeswitch-dev-0.2.0';
  const entries = { 'freeswitch-dev': [`${ext}/dist/types/index.d.ts`], 'freeswitch-dev/test': [`${ext}/dist/types/testing/index.d.ts`] };
  const dir = (name: string) => {
    mkdirSync(join(root, name), { recursive: true });
    return join(root, name);
  };
  const paths = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } }).compilerOptions.paths;

  test('a test folder no tsconfig governs gets a new one (create), then is left alone (mapped)', () => {
    const tests = dir('w1/tests');
    const file = typesConfigFile(join(tests, 'a.calltest.ts'), join(root, 'w1'));
    assert.equal(file, join(tests, 'tsconfig.json'));
    assert.deepEqual(planTypesConfig(file, ext), { kind: 'create', file });
    assert.equal(writeTypesConfig(file, ext), true);
    assert.deepEqual(paths(file), entries);
    assert.deepEqual(planTypesConfig(file, ext), { kind: 'mapped', file });
    const before = statSync(file).mtimeMs;
    assert.equal(writeTypesConfig(file, ext), false, 'no rewrite when it maps this install');
    assert.equal(statSync(file).mtimeMs, before);
  });

  test("the extension's own file with an older install's path is updated without asking (update)", () => {
    const tests = dir('w2/fsapps');
    const file = join(tests, 'tsconfig.json');
    writeTypesConfig(file, '/ext/freeswitch-dev-0.1.0');
    assert.deepEqual(planTypesConfig(file, ext), { kind: 'update', file });
    assert.equal(writeTypesConfig(file, ext), true);
    assert.deepEqual(paths(file), entries);
    assert.deepEqual(planTypesConfig(file, ext), { kind: 'mapped', file });
  });

  test("the project's own root tsconfig governs a test below it: ask, and nothing written until then", () => {
    const w = dir('w3');
    dir('w3/fsapps');
    const text = '{\n    "compilerOptions": {\n        "strict": false,\n        "paths": { "@app/*": ["./src/*"] }\n    },\n    "include": ["src", "fsapps"]\n}\n';
    writeFileSync(join(w, 'tsconfig.json'), text);
    const file = typesConfigFile(join(w, 'fsapps', 'a.calltest.ts'), w);
    assert.equal(file, join(w, 'tsconfig.json'));
    assert.deepEqual(planTypesConfig(file, ext), { kind: 'ask', file, stale: false });
    assert.equal(readFileSync(file, 'utf8'), text, 'planning never writes');
  });

  test('once the user agrees, only the two entries go in: every other byte stays, and a second write changes nothing', () => {
    const file = join(root, 'w3', 'tsconfig.json');
    assert.equal(writeTypesConfig(file, ext), true);
    const written = readFileSync(file, 'utf8');
    assert.equal(
      written,
      '{\n    "compilerOptions": {\n        "strict": false,\n        "paths": { "@app/*": ["./src/*"], "freeswitch-dev": ["/ext/freeswitch-dev-0.2.0/dist/types/index.d.ts"], "freeswitch-dev/test": ["/ext/freeswitch-dev-0.2.0/dist/types/testing/index.d.ts"] }\n    },\n    "include": ["src", "fsapps"]\n}\n',
    );
    assert.equal(writeTypesConfig(file, ext), false);
    assert.deepEqual(planTypesConfig(file, ext), { kind: 'mapped', file });
  });

  test("the user's file mapping an older install is asked about again (stale), and updated in place", () => {
    const w = dir('w4');
    const file = join(w, 'tsconfig.json');
    const old = '{\r\n\t"compilerOptions": {\r\n\t\t"paths": {\r\n\t\t\t"freeswitch-dev": ["/ext/freeswitch-dev-0.1.0/dist/types/index.d.ts"],\r\n\t\t\t"mine": ["./x.ts"]\r\n\t\t}\r\n\t}\r\n}\r\n';
    writeFileSync(file, old);
    assert.deepEqual(planTypesConfig(file, ext), { kind: 'ask', file, stale: true });
    writeTypesConfig(file, ext);
    assert.equal(
      readFileSync(file, 'utf8'),
      '{\r\n\t"compilerOptions": {\r\n\t\t"paths": {\r\n\t\t\t"freeswitch-dev": [\r\n\t\t\t\t"/ext/freeswitch-dev-0.2.0/dist/types/index.d.ts"\r\n\t\t\t],\r\n\t\t\t"mine": ["./x.ts"],\r\n\t\t\t"freeswitch-dev/test": [\r\n\t\t\t\t"/ext/freeswitch-dev-0.2.0/dist/types/testing/index.d.ts"\r\n\t\t\t]\r\n\t\t}\r\n\t}\r\n}\r\n',
    );
  });

  test('a config that extends another is never written: the entries to add, and why (inherited paths would be replaced)', () => {
    const w = dir('w5');
    writeFileSync(join(w, 'tsconfig.base.json'), JSON.stringify({ compilerOptions: { paths: { '@lib/*': ['./lib/*'] } } }));
    const text = JSON.stringify({ extends: './tsconfig.base.json', include: ['fsapps'] });
    writeFileSync(join(w, 'tsconfig.json'), text);
    const plan = planTypesConfig(join(w, 'tsconfig.json'), ext);
    assert.equal(plan.kind, 'instructions');
    assert.ok(plan.kind === 'instructions');
    assert.equal(plan.reason, 'extends');
    assert.equal(plan.snippet, typesSnippet(ext));
    assert.deepEqual(JSON.parse(`{${plan.snippet}}`), entries, 'the snippet pastes into "paths" as is');
    assert.match(typesInstructions(plan, 'tsconfig.json'), /extends another config.*replace the inherited path mappings.*"freeswitch-dev": \["\/ext\/freeswitch-dev-0\.2\.0\/dist\/types\/index\.d\.ts"\]/);
    assert.throws(() => writeTypesConfig(join(w, 'tsconfig.json'), ext), /extends another config: not written/);
    assert.equal(readFileSync(join(w, 'tsconfig.json'), 'utf8'), text);
  });

  test('a config that extends a base mapping this install is mapped (the entries were added where the paths are)', () => {
    const w = join(root, 'w5');
    writeFileSync(join(w, 'tsconfig.base.json'), JSON.stringify({ compilerOptions: { paths: { '@lib/*': ['./lib/*'], ...entries } } }));
    assert.deepEqual(planTypesConfig(join(w, 'tsconfig.json'), ext), { kind: 'mapped', file: join(w, 'tsconfig.json') });
  });

  test('a tsconfig with comments is left alone, with the entries to add; once pasted it counts as mapped', () => {
    const file = join(dir('w6'), 'tsconfig.json');
    writeFileSync(file, '{\n  // mine\n  "compilerOptions": {}\n}\n');
    const plan = planTypesConfig(file, ext);
    assert.ok(plan.kind === 'instructions' && plan.reason === 'not plain JSON');
    assert.match(typesInstructions(plan, 'tsconfig.json'), /not plain JSON \(comments\).*"freeswitch-dev\/test"/);
    writeFileSync(file, `{\n  // mine\n  "compilerOptions": { "paths": {\n${typesSnippet(ext)}\n  } }\n}\n`);
    assert.deepEqual(planTypesConfig(file, ext), { kind: 'mapped', file });
  });
});

describe('setting paths entries in a tsconfig text keeps the rest of it', () => {
  const e = { a: ['/x'] };

  test('no compilerOptions, empty ones, empty paths: objects created where missing, indented like the file', () => {
    assert.equal(setTsconfigPaths('{\n  "include": ["src"]\n}\n', e), '{\n  "include": ["src"],\n  "compilerOptions": {\n    "paths": {\n      "a": [\n        "/x"\n      ]\n    }\n  }\n}\n');
    assert.equal(setTsconfigPaths('{\n  "compilerOptions": {}\n}', e), '{\n  "compilerOptions": {\n    "paths": {\n      "a": [\n        "/x"\n      ]\n    }\n  }\n}');
    assert.equal(setTsconfigPaths('{\n  "compilerOptions": { "paths": {} }\n}', e), '{\n  "compilerOptions": { "paths": {\n    "a": [\n      "/x"\n    ]\n  } }\n}');
    assert.equal(setTsconfigPaths('{}', e), '{ "compilerOptions": {"paths":{"a":["/x"]}} }');
  });

  test('a one-line file stays on one line; a repeated key is set where JSON.parse reads it', () => {
    assert.equal(setTsconfigPaths('{"compilerOptions":{"paths":{"b":["y"]}}}', e), '{"compilerOptions":{"paths":{"b":["y"], "a": ["/x"]}}}');
    const twice = '{"compilerOptions":{"paths":{"a":["1"],"a":["2"]}}}';
    assert.equal(setTsconfigPaths(twice, e), '{"compilerOptions":{"paths":{"a":["1"],"a":["/x"]}}}');
  });

  test('already set: the same text; not plain JSON or paths not an object: undefined', () => {
    const text = '{ "compilerOptions": { "paths": { "a": [ "/x" ] } } }';
    assert.equal(setTsconfigPaths(text, e), text);
    assert.equal(setTsconfigPaths('{ "compilerOptions": {}, }', e), undefined);
    assert.equal(setTsconfigPaths('{ "compilerOptions": { "paths": 3 } }', e), undefined);
    assert.equal(setTsconfigPaths('[]', e), undefined);
  });
});
