// Recordings (.fsrec.jsonl): the recorder against the test ESL server, the reader on whole and
// damaged files, replay of a recorded call into apps, and the test server's own recorder.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Client, EslRecorder, type EventListener, defineApp, loadRecording, parseRecording, type Recording } from '../../src/core';
import { replay } from '../../src/core/testing';
import { TestEslServer } from '../server/eslServer';
import { nextEvent, until } from '../support/wait';
import { connectTo } from '../support/connect';

const PASSWORD = 'ClueCon';

/** Answers, plays a tone, hangs up: the app whose session is recorded and replayed. */
const greeter = defineApp({
  name: 'greeter',
  on: {
    CHANNEL_PARK: async (session) => {
      if (session.direction !== 'inbound') return;
      await session.answer();
      await session.playback('tone_stream://%(100,0,800)');
      await session.hangup('NORMAL_CLEARING');
    },
  },
});

describe('recordings', () => {
  let server: TestEslServer;
  let listener: EventListener;
  let client: Client;
  let dir: string;
  let recorded: Recording;
  let file: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fsdev-rec-'));
    server = new TestEslServer({ password: PASSWORD, mediaDurationMs: () => 50 });
    await server.start();
    ({ listener, client } = await connectTo(server, PASSWORD));
  });

  after(async () => {
    client.dispose();
    listener.dispose();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('records events and the commands sent with their replies, with a header and an end line', async () => {
    file = join(dir, 'greeter.fsrec.jsonl');
    await client.loadApp(greeter, { id: 'greeter' });
    // The listener's connection carries the app's commands (answer, playback, hangup) and the events.
    const recorder = await EslRecorder.start(listener.connection, { path: file });
    const job = client.originate('1000', { endpoint: { kind: 'loopback', context: 'park' }, app: 'park', appId: 'greeter' });
    await job;
    // Every session's last event (CHANNEL_DESTROY follows HANGUP_COMPLETE) is in.
    await until(() => listener.sessions.size === 0 && listener.history.some((c) => c.sessions.some((s) => s.uuid === job.sessUuid)), 'the greeter call ended');
    await server.whenIdle();
    await recorder.stop();
    await client.unloadApp('greeter');
    const text = readFileSync(file, 'utf8');
    recorded = parseRecording(text);
    assert.match(recorded.header.freeswitchVersion, /^FreeSWITCH Version 1\.10\.12/);
    // The switch's name, or '' (unknown) when the switch cannot say: never its error. (The test
    // server has no `switchname` api, no capture showing FreeSWITCH's answer, and says -ERR.)
    const switchname = recorded.events[0]?.event.headers['FreeSWITCH-Switchname'];
    assert.doesNotMatch(recorded.header.switchname, /ERR/);
    assert.ok(recorded.header.switchname === '' || recorded.header.switchname === switchname, `header switchname ${JSON.stringify(recorded.header.switchname)}`);
    assert.equal(recorded.header.eventFormat, 'json');
    assert.equal(recorded.endReason, 'stopped');
    assert.equal(recorded.problem, undefined);
    assert.equal(recorded.events.length, recorder.status.events);
    const names = recorded.events.map((e) => e.event.name);
    for (const n of ['CHANNEL_CREATE', 'CHANNEL_PARK', 'CHANNEL_ANSWER', 'CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_HANGUP_COMPLETE']) assert.ok(names.includes(n), n);
    const commands = recorded.commands.map((c) => c.command.replace(/[0-9a-f-]{36}/g, 'U'));
    assert.ok(commands.includes('api uuid_answer U'), commands.join('\n'));
    assert.ok(commands.includes('sendmsg U'));
    assert.ok(commands.includes('api uuid_kill U NORMAL_CLEARING'));
    assert.ok(recorded.commands.every((c) => c.reply !== undefined), 'every command has its reply');
    assert.ok(!text.includes(PASSWORD), 'no password in the file');
    // Times increase and are ms since the start.
    const times = recorded.events.map((e) => e.t);
    assert.deepEqual(times, [...times].sort((a, b) => a - b));
  });

  test('a size limit stops the recording and says so', async () => {
    const small = join(dir, 'small.fsrec.jsonl');
    const recorder = await EslRecorder.start(listener.connection, { path: small, maxBytes: 4000 });
    const stopped = nextEvent(recorder.onDidStop, 'the recording to stop at its size limit');
    await client.originate('9196', { endpoint: 'loopback', app: 'park' });
    assert.equal((await stopped).stopReason, 'size limit');
    await recorder.stop();
    await client.hupall();
    const r = await loadRecording(small);
    assert.equal(r.endReason, 'size limit');
    assert.ok(readFileSync(small).length < 4000 + 6000, 'stops within a frame of the limit');
  });

  test('a cut-off or hand-edited file opens with its valid part and says where it stopped', () => {
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n');
    // Cut in the middle of line 10.
    const cut = parseRecording(`${lines.slice(0, 9).join('\n')}\n${lines[9]!.slice(0, 40)}`);
    assert.equal(cut.events.length + cut.commands.length + cut.commands.filter((c) => c.reply).length, 8);
    assert.deepEqual(cut.problem, { line: 10, message: 'line 10 is cut off (the file ends mid-line): read up to line 9' });
    assert.equal(cut.endReason, undefined);
    // A hand edit that broke line 5.
    const edited = [...lines];
    edited[4] = '{"t": 1, "kind": "event", "event": {"no": "name"}}';
    const bad = parseRecording(edited.join('\n'));
    assert.match(bad.problem!.message, /^line 5: an event without Event-Name .*: read up to line 4$/);
    assert.throws(() => parseRecording('hello\n'), /not an fsdev recording/);
  });

  test('replay into the same app: it does what it did live, answered from the recording', async () => {
    const result = await replay(recorded, greeter);
    assert.equal(result.appId, 'greeter');
    assert.deepEqual(result.errors, []);
    const did = result.actions.map((a) => `${a.kind} ${a.command.replace(/[0-9a-f-]{36}/g, 'U')}`);
    assert.deepEqual(did, ['api uuid_answer U', 'sendmsg execute playback', 'api uuid_kill U NORMAL_CLEARING']);
    const inbound = recorded.events.find((e) => e.event.name === 'CHANNEL_PARK' && e.event.headers['Call-Direction'] === 'inbound')!.event.uuid;
    assert.ok(result.actions.every((a) => a.session === inbound), 'each action names the session it targeted');
  });

  test('replay into an app that does something else: a clear error for the command with no recorded reply', async () => {
    const other = defineApp({
      name: 'other',
      on: {
        CHANNEL_PARK: async (session) => {
          if (session.direction !== 'inbound') return;
          await session.setVar('greeting', 'hello');
        },
      },
    });
    const started = performance.now();
    const result = await replay(recorded, other, { appId: 'greeter' });
    assert.ok(performance.now() - started < 5_000, 'no hang');
    assert.equal(result.errors.length, 1);
    assert.match(result.errors[0]!.message, /^the recording has no reply for api uuid_setvar [0-9a-f-]{36} greeting hello: /);
    assert.equal(result.actions[0]!.error, result.errors[0]!.message);
    // With a reply given for it, the same app runs through.
    const answered = await replay(recorded, other, { appId: 'greeter', reply: (command) => (command.startsWith('uuid_setvar') ? '+OK\n' : undefined) });
    assert.deepEqual(answered.errors, []);
  });

  test('replay with recorded timing keeps the gaps', async () => {
    const started = performance.now();
    await replay(recorded, greeter, { timing: 'recorded', speed: 4 });
    const ms = performance.now() - started;
    assert.ok(ms >= recorded.durationMs / 4 - 20, `${ms} ms for a ${recorded.durationMs} ms recording at 4×`);
  });

  test('the test server records in the same format', async () => {
    const path = join(dir, 'server.fsrec.jsonl');
    const rec = server.record(path);
    await client.originate('9196', { endpoint: 'loopback', app: 'park' });
    await client.hupall();
    await server.whenIdle();
    await rec.stop();
    const r = await loadRecording(path);
    assert.equal(r.problem, undefined);
    assert.equal(r.endReason, 'stopped');
    assert.ok(r.events.some((e) => e.event.name === 'CHANNEL_HANGUP_COMPLETE'));
    assert.ok(r.commands.some((c) => c.command.startsWith('bgapi originate')));
  });
});
