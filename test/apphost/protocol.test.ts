import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findApp, locate } from '../../src/apphost/host';
import { TestHostRun } from '../../src/apphost/testing/testHostClient';
import { isLoadResult, parseHostMessage, parseSupervisorMessage } from '../../src/shared/protocol/appHost';
import { TEST_HOST_PROTOCOL_VERSION, type TestHostToParent } from '../../src/shared/protocol/testHost';

test('supervisor messages are validated: the password stays, junk is refused', () => {
  assert.deepEqual(parseSupervisorMessage({ kind: 'request', id: 1, method: 'connect', params: { host: 'h', port: 8021, password: 'p', extra: 1 } }), {
    kind: 'request',
    id: 1,
    method: 'connect',
    params: { host: 'h', port: 8021, password: 'p' },
  });
  assert.equal(parseSupervisorMessage({ kind: 'request', id: 1, method: 'connect', params: { host: 'h', port: 70000, password: 'p' } }), undefined);
  assert.equal(parseSupervisorMessage({ kind: 'request', id: 1, method: 'eval', params: {} }), undefined);
  assert.equal(parseSupervisorMessage({ kind: 'request', id: -1, method: 'status', params: {} }), undefined);
  assert.equal(parseSupervisorMessage({ kind: 'request', id: 2, method: 'load', params: { appId: '', entry: '/x.ts' } }), undefined);
  assert.deepEqual(parseSupervisorMessage({ kind: 'ping', seq: 3 }), { kind: 'ping', seq: 3 });
  assert.equal(parseSupervisorMessage('ping'), undefined);
});

test('host messages are validated', () => {
  assert.deepEqual(parseHostMessage({ kind: 'pong', seq: 1 }), { kind: 'pong', seq: 1 });
  assert.equal(parseHostMessage({ kind: 'log', level: 'shout', message: 'x', at: 1 }), undefined);
  assert.deepEqual(parseHostMessage({ kind: 'response', id: 4, ok: false, error: { message: 'no' } }), { kind: 'response', id: 4, ok: false, error: { message: 'no' } });
  assert.equal(parseHostMessage({ kind: 'status', status: { pid: 1, connection: 'ready', apps: [{ id: 'a' }], startedAt: 1 } }), undefined);
  assert.ok(isLoadResult({ loaded: false, phase: 'compile', diagnostics: [{ file: '/a.ts', line: 2, column: 0, length: 1, severity: 'error', message: 'x' }], message: 'x', previousVersionRunning: false }));
  assert.ok(!isLoadResult({ loaded: false, phase: 'link', diagnostics: [], message: 'x', previousVersionRunning: false }));
});

test('record requests and recorded frames are validated', () => {
  assert.deepEqual(parseSupervisorMessage({ kind: 'request', id: 5, method: 'record', params: { on: true } }), { kind: 'request', id: 5, method: 'record', params: { on: true } });
  assert.equal(parseSupervisorMessage({ kind: 'request', id: 5, method: 'record', params: { on: 'yes' } }), undefined);
  const command = { kind: 'command', ref: '42.1', at: 1.5, command: 'sendmsg U', headers: { 'call-command': 'execute' }, body: 'tone' };
  assert.deepEqual(parseHostMessage({ kind: 'recorded', frame: { ...command, extra: 1 } }), { kind: 'recorded', frame: command });
  const reply = { kind: 'reply', ref: '42.1', at: 2, contentType: 'command/reply', replyText: '+OK', body: '' };
  assert.deepEqual(parseHostMessage({ kind: 'recorded', frame: reply }), { kind: 'recorded', frame: reply });
  assert.equal(parseHostMessage({ kind: 'recorded', frame: { ...reply, replyText: 1 } }), undefined);
  assert.equal(parseHostMessage({ kind: 'recorded', frame: { ...command, headers: { a: 1 } } }), undefined);
  assert.equal(parseHostMessage({ kind: 'recorded', frame: { ...command, at: Number.NaN } }), undefined);
});

test('findApp takes the default export, else the one app export; a class is instantiated', () => {
  const app = { on: { CHANNEL_PARK: () => undefined } };
  assert.equal(findApp({ default: app, other: { on: {} } }), app);
  assert.equal(findApp({ helper: 1, app }), app);
  class Tone {
    on = { CHANNEL_PARK: (): void => undefined };
  }
  assert.ok(findApp({ Tone }) instanceof Tone);
  assert.throws(() => findApp({ a: app, b: app }), /exports 2 apps \(a, b\)/);
  assert.throws(() => findApp({ x: 1 }), /exports no app/);
});

test('locate picks the first frame in an app input, else the first .ts outside the core', () => {
  const stack = ['Error: boom', '    at x (/repo/src/core/listener.ts:1:1)', '    at explode (/w/fsapps/a.ts:4:9)', '    at /w/fsapps/lib.ts:2:3'].join('\n');
  assert.deepEqual(locate(stack, new Set(['/w/fsapps/lib.ts'])), { file: '/w/fsapps/lib.ts', line: 2, column: 3 });
  assert.deepEqual(locate(stack, new Set()), { file: '/w/fsapps/a.ts', line: 4, column: 9 });
});

/** A stand-in test host that says hello in `protocol` and answers a run with an empty `done`. */
function fakeTestHost(dir: string, protocol: number): string {
  const script = join(dir, `testhost-${protocol}.js`);
  writeFileSync(
    script,
    `process.send({ kind: 'hello', protocol: ${protocol}, pid: process.pid });
process.on('message', (m) => {
  if (m.kind === 'run') process.send({ kind: 'done', summary: { passed: 0, failed: 0, skipped: 0, fileErrors: 0, wallMs: 0, leftoverSessions: 0 } }, () => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
`,
  );
  return script;
}

test('test host: a host speaking another protocol is refused before it gets the run', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fsdev-testhost-proto-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const run = { files: [], timeoutMs: 1000, debug: false };
  const seen: Array<TestHostToParent['kind']> = [];
  const stale = new TestHostRun({ run, hostScript: fakeTestHost(dir, TEST_HOST_PROTOCOL_VERSION - 1), onMessage: (m) => seen.push(m.kind) });
  await assert.rejects(stale.done, new RegExp(`the test host speaks protocol ${TEST_HOST_PROTOCOL_VERSION - 1}, expected ${TEST_HOST_PROTOCOL_VERSION}`));
  assert.ok(!seen.includes('done'), `the stale host got the run: ${seen.join(', ')}`);
  const current = new TestHostRun({ run, hostScript: fakeTestHost(dir, TEST_HOST_PROTOCOL_VERSION), onMessage: () => undefined });
  assert.equal((await current.done).passed, 0);
});
