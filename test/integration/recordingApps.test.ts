// Recordings a user makes replay into an app: the app runs in the real app host (`fsdev serve`, and
// the supervisor VS Code uses), the call is recorded the user's way (`fsdev serve --record`; Record
// Events' recorder with the app host's commands; the test server's --record), and each file is
// replayed into the same app file with every command answered from the recording.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { AppHostSupervisor } from '../../src/apphost/supervisor';
import { APP_ID_VAR, type Client, EslRecorder, type EventListener, loadRecording, type App, type Recording } from '../../src/core';
import { replay, type ReplayResult } from '../../src/core/testing';
import { appDir, buildHost, spawnCli } from '../apphost/support';
import { TestEslServer } from '../server/eslServer';
import { until, within } from '../support/wait';
import { connectTo } from '../support/connect';

const PASSWORD = 'ClueCon';
const U = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** The app, as a user writes it: answers, plays a tone, hangs up. No imports, so the test can import the same file. */
const GREETER = `export default {
  name: 'greeter',
  on: {
    CHANNEL_PARK: async (session) => {
      if (session.direction !== 'inbound') return;
      await session.answer();
      await session.playback('tone_stream://%(100,0,800)');
      await session.hangup('NORMAL_CLEARING');
    },
  },
};
`;

const GREETER_DID = ['api uuid_answer U', 'sendmsg execute playback', 'api uuid_kill U NORMAL_CLEARING'];

function did(result: ReplayResult): string[] {
  return result.actions.map((a) => `${a.kind} ${a.command.replace(U, 'U')}`);
}

/** The greeter's commands in a recording, each with its reply. */
function greeterCommands(recording: Recording): string[] {
  return recording.commands
    .filter((c) => /^(api uuid_answer|api uuid_kill|sendmsg)/.test(c.command) && c.reply !== undefined)
    .map((c) => (c.command.startsWith('sendmsg') ? `sendmsg ${c.headers?.['call-command']} ${c.headers?.['execute-app-name']}` : c.command.replace(U, 'U')));
}

describe('recordings made the user\'s way replay into the app', () => {
  let server: TestEslServer;
  let listener: EventListener;
  let client: Client;
  let apps: ReturnType<typeof appDir>;
  let greeterFile: string;
  let greeter: App;

  before(async () => {
    apps = appDir();
    greeterFile = apps.write('greeter.ts', GREETER);
    greeter = ((await import(pathToFileURL(greeterFile).href)) as { default: App }).default;
    server = new TestEslServer({ password: PASSWORD, mediaDurationMs: () => 50 });
    await server.start();
    ({ listener, client } = await connectTo(server, PASSWORD));
  });

  after(async () => {
    client.dispose();
    listener.dispose();
    await server.stop();
  });

  /** Places a call into the greeter (in whichever app host runs it) and waits, on events, until it ended. */
  async function callGreeter(): Promise<void> {
    const job = client.originate('1000', { endpoint: { kind: 'loopback', context: 'park' }, app: 'park', variables: { [APP_ID_VAR]: 'greeter' } });
    await job.get(10_000);
    const ended = (): boolean => listener.history.some((c) => c.sessions.some((s) => s.uuid === job.sessUuid) && c.sessions.every((s) => s.ended));
    await until(ended, 'the greeter call ended', 10_000);
    await until(() => server.commandLog.some((l) => /^api uuid_kill \S+ NORMAL_CLEARING$/.test(l)), 'the greeter hung up', 10_000);
    await server.whenIdle();
  }

  test('fsdev serve --record: the file holds the apps\' commands with replies, events once; it and the test server\'s --record replay into the app', async () => {
    const { cliScript } = await buildHost();
    const file = join(apps.dir, 'serve.fsrec.jsonl');
    const serverFile = join(apps.dir, 'server.fsrec.jsonl');
    const clientOnlyFile = join(apps.dir, 'record-only.fsrec.jsonl');
    const cli = spawnCli(cliScript, ['serve', '--host', '127.0.0.1', '--port', String(server.port), '--app', greeterFile, '--record', file], PASSWORD);
    const { lines, exited } = cli;
    const serverRecording = server.record(serverFile);
    // What `fsdev record` alone writes: a connection of its own, no apps.
    const alone = await EslRecorder.start(listener.connection, { path: clientOnlyFile });
    try {
      await until(() => lines.some((l) => /app greeter v1 live/.test(l)) || cli.process.exitCode !== null, 'fsdev serve runs the greeter', 20_000);
      assert.ok(lines.some((l) => /recording .* and the apps' commands to /.test(l)), cli.output());
      await callGreeter();
    } finally {
      cli.process.kill('SIGINT');
    }
    assert.equal(await within(exited, 'fsdev serve to exit'), 0, cli.output());
    await alone.stop();
    await serverRecording.stop();

    const recorded = await loadRecording(file);
    assert.equal(recorded.problem, undefined);
    assert.equal(recorded.endReason, 'stopped');
    assert.deepEqual(greeterCommands(recorded), GREETER_DID);
    assert.ok(recorded.commands.filter((c) => greeterCommands({ ...recorded, commands: [c] }).length > 0).every((c) => c.from === 'apps'), 'the apps\' commands say where they came from');
    // Events come from the recording connection only: no event twice.
    const sequences = recorded.events.map((e) => e.event.headers['Event-Sequence']);
    assert.equal(new Set(sequences).size, sequences.length, 'no event recorded twice');
    assert.ok(!readFileSync(file, 'utf8').includes(PASSWORD), 'no password in the file');

    const fromServe = await replay(recorded, greeter);
    assert.deepEqual(fromServe.errors, []);
    assert.deepEqual(did(fromServe), GREETER_DID);
    assert.ok(fromServe.actions.every((a) => a.reply !== undefined && a.error === undefined));

    // The test server's recording: the same header fields, commands with replies, and it replays the same.
    const byServer = await loadRecording(serverFile);
    assert.deepEqual(Object.keys(byServer.header), Object.keys(recorded.header));
    assert.equal(byServer.header.freeswitchVersion, recorded.header.freeswitchVersion);
    assert.equal(byServer.header.eventFormat, 'json');
    assert.deepEqual(greeterCommands(byServer), GREETER_DID);
    assert.ok(byServer.commands.every((c) => c.reply !== undefined), 'every command the server answered has its reply');
    const fromServer = await replay(byServer, greeter);
    assert.deepEqual(fromServer.errors, []);
    assert.deepEqual(did(fromServer), GREETER_DID);

    // `fsdev record` alone has none of the app's commands: a clear error that says how to record one.
    const started = performance.now();
    const withoutApps = await replay(await loadRecording(clientOnlyFile), greeter, { appId: 'greeter' });
    assert.ok(performance.now() - started < 5_000, 'no hang');
    assert.equal(withoutApps.errors.length, 1);
    assert.match(withoutApps.errors[0]!.message, /^the recording has no reply for api uuid_answer \S+: .*`fsdev serve --app … --record calls\.fsrec\.jsonl`/);
  });

  test('Record Events\' way: the event connection\'s recorder takes the app host\'s commands over IPC, and the file replays', async () => {
    const { hostScript } = await buildHost();
    const supervisor = new AppHostSupervisor({ connection: { host: '127.0.0.1', port: server.port, password: PASSWORD }, hostScript });
    const file = join(apps.dir, 'extension.fsrec.jsonl');
    // As Recordings.start does: the event connection's recorder, then the app host's commands into it.
    const recorder = await EslRecorder.start(listener.connection, { path: file });
    try {
      await supervisor.start();
      const tap = await supervisor.recordCommands((frame) => recorder.addCommandFrame(frame, 'apps'), () => recorder.forgetCommands('apps'));
      const loaded = await supervisor.load('greeter', greeterFile);
      assert.ok(loaded.loaded, JSON.stringify(loaded));
      await callGreeter();
      // As Recordings.stop does: every recorded command sent before is in.
      await supervisor.flushRecorded();
      await recorder.stop();
      tap.dispose();
    } finally {
      await recorder.stop();
      await supervisor.stop();
      supervisor.dispose();
    }
    const recorded = await loadRecording(file);
    assert.deepEqual(greeterCommands(recorded), GREETER_DID);
    const result = await replay(recorded, greeter);
    assert.deepEqual(result.errors, []);
    assert.deepEqual(did(result), GREETER_DID);
  });
});
