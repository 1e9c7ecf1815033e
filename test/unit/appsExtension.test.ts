import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { appIdForFile, callbackLensTitle, findCallbacks, hostAppDescription, problemFromAppError, problemsFromLoad } from '../../src/extension/apps/appsPure';
import { appTemplate, mergeAppsTsconfig, validateAppName } from '../../src/extension/apps/template';
import type { AppErrorInfo, AppStatus } from '../../src/shared/protocol/appHost';

const ENTRY = '/ws/fsapps/greeter.ts';

function status(over: Partial<AppStatus> = {}): AppStatus {
  return {
    id: 'greeter',
    name: 'greeter',
    entry: ENTRY,
    version: 2,
    loadedAt: Date.UTC(2026, 0, 1, 12, 0, 0),
    callbacks: ['CHANNEL_PARK'],
    callbacksRun: { CHANNEL_PARK: 3, CHANNEL_HANGUP_COMPLETE: 1 },
    callsHandled: 3,
    errors: 0,
    lastError: undefined,
    inputs: [ENTRY],
    ...over,
  };
}

function appError(over: Partial<AppErrorInfo> = {}): AppErrorInfo {
  return { appId: 'greeter', version: 2, eventName: 'CHANNEL_PARK', sessionUuid: 'u1', message: 'boom', stack: 'Error: boom\n    at CHANNEL_PARK (/ws/fsapps/greeter.ts:7:13)', location: { file: ENTRY, line: 7, column: 13 }, at: 1, ...over };
}

describe('app diagnostics mapping', () => {
  test('compile errors map 1-based lines to 0-based, keep esbuild columns and lengths', () => {
    const problems = problemsFromLoad(ENTRY, {
      loaded: false,
      phase: 'compile',
      diagnostics: [{ file: '/ws/fsapps/util.ts', line: 3, column: 4, length: 2, severity: 'error', message: 'Expected ";" but found "}"' }],
      message: 'Build failed with 1 error',
      previousVersionRunning: true,
    });
    assert.deepEqual(problems, [{ file: '/ws/fsapps/util.ts', line: 2, character: 4, endCharacter: 6, severity: 'error', message: 'Expected ";" but found "}"' }]);
  });

  test('a load failure without a place goes to the first line of the entry, saying the old version runs', () => {
    const [p] = problemsFromLoad(ENTRY, { loaded: false, phase: 'load', diagnostics: [], message: 'setup failed: nope', previousVersionRunning: true });
    assert.equal(p!.file, ENTRY);
    assert.equal(p!.line, 0);
    assert.equal(p!.severity, 'error');
    assert.match(p!.message, /setup failed: nope \(the previous version keeps running\)/);
  });

  test('a successful load clears the problems', () => {
    assert.deepEqual(problemsFromLoad(ENTRY, { loaded: true, app: status(), bundleMs: 1, loadMs: 1 }), []);
  });

  test('a callback error is a warning at its mapped stack frame (stack columns are 1-based)', () => {
    assert.deepEqual(problemFromAppError(appError(), ENTRY), { file: ENTRY, line: 6, character: 12, endCharacter: 12, severity: 'warning', message: 'CHANNEL_PARK callback failed: boom' });
  });

  test('a callback error without a location goes to the entry, or nowhere when the entry is unknown', () => {
    assert.equal(problemFromAppError(appError({ location: undefined }), ENTRY)!.line, 0);
    assert.equal(problemFromAppError(appError({ location: undefined }), undefined), undefined);
  });

  test('app ids come from file names', () => {
    assert.equal(appIdForFile('/ws/fsapps/tones.ts'), 'tones');
    assert.equal(appIdForFile('/ws/fsapps/my app.ts'), 'my_app');
  });
});

describe('CodeLens callback finding', () => {
  test('finds the keys of on: { … } with their 0-based places, not nested object keys or other objects', () => {
    const source = [
      "import { defineApp } from 'freeswitch-dev';", // 0
      'const other = { CHANNEL_PARK: 1 };', // 1
      'export default defineApp({', // 2
      "  name: 'x',", // 3
      '  on: {', // 4
      '    CHANNEL_PARK: async (session) => {', // 5
      "      await session.playback('a,b', { FOO: 1 });", // 6
      '    },', // 7
      "    'CHANNEL_ANSWER': (s) => s.uuid,", // 8
      '    // DTMF: commented out', // 9
      '    async CHANNEL_HANGUP(session) {', // 10
      '      const x = { NESTED: 1 };', // 11
      '    },', // 12
      '  },', // 13
      '});', // 14
    ].join('\n');
    assert.deepEqual(findCallbacks(source), [
      { name: 'CHANNEL_PARK', line: 5, character: 4 },
      { name: 'CHANNEL_ANSWER', line: 8, character: 4 },
      { name: 'CHANNEL_HANGUP', line: 10, character: 4 },
    ]);
  });

  test('finds the template app callbacks and never throws on broken input', () => {
    const sites = findCallbacks(appTemplate('greeter'));
    assert.deepEqual(sites.map((s) => s.name), ['CHANNEL_PARK', 'CHANNEL_HANGUP_COMPLETE']);
    for (const broken of ['on: {', 'on: { CHANNEL_PARK: "unterminated', '}}}on:{{{', '/* on: {', '']) assert.ok(Array.isArray(findCallbacks(broken)));
  });

  test('lens titles show runs and the last error of that callback', () => {
    assert.equal(callbackLensTitle(status(), 'CHANNEL_PARK'), 'ran 3 times');
    assert.equal(callbackLensTitle(status(), 'CHANNEL_HANGUP_COMPLETE'), 'ran 1 time');
    assert.equal(callbackLensTitle(status({ lastError: appError() }), 'CHANNEL_PARK'), 'ran 3 times · last error: boom');
    assert.equal(callbackLensTitle(undefined, 'CHANNEL_PARK'), 'not loaded');
  });

  test('tree description: version, load time, calls, callbacks, errors', () => {
    const d = hostAppDescription(status({ errors: 2 }), new Date(Date.UTC(2026, 0, 1, 13)));
    assert.match(d, /^v2 · .+ · 3 calls · 4 callbacks · 2 errors$/);
  });
});

describe('app template and types', () => {
  test('names are validated', () => {
    assert.equal(validateAppName('greeter'), undefined);
    assert.ok(validateAppName(''));
    assert.ok(validateAppName('../x'));
  });

  test('the tsconfig maps freeswitch-dev to the shipped declarations, merging an existing file', () => {
    const fresh = JSON.parse(mergeAppsTsconfig(undefined, '/ext/dist/types/index.d.ts')!);
    assert.deepEqual(fresh.compilerOptions.paths, { 'freeswitch-dev': ['/ext/dist/types/index.d.ts'], 'freeswitch-dev/test': ['/ext/dist/types/testing/index.d.ts'] });
    const merged = JSON.parse(mergeAppsTsconfig(JSON.stringify({ compilerOptions: { strict: false, paths: { x: ['y'] } } }), '/e/index.d.ts')!);
    assert.equal(merged.compilerOptions.strict, false);
    assert.deepEqual(merged.compilerOptions.paths, { x: ['y'], 'freeswitch-dev': ['/e/index.d.ts'], 'freeswitch-dev/test': ['/e/testing/index.d.ts'] });
    assert.equal(mergeAppsTsconfig('{ // comment\n}', '/e'), undefined);
  });
});
