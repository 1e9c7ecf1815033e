import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { APP_ID_VAR, type Client, type EventListener, type Session } from '../../src/core';
import { AppHostSupervisor, type AppHostCrash } from '../../src/apphost/supervisor';
import type { AppErrorInfo, LoadResult } from '../../src/shared/protocol/appHost';
import { TestEslServer } from '../server/eslServer';
import { connectTo } from '../support/connect';
import { nextEvent, until } from '../support/wait';
import { appDir, buildHost } from './support';

const PASSWORD = 'ClueCon';

/** An app that hangs up every parked leg with `cause`; `extra` goes at the top of the module. */
function hangupApp(cause: string, extra = ''): string {
  return `${extra}
import { defineApp } from 'freeswitch-dev';
import { cause } from './cause';

export const app = defineApp({
  name: 'Hangup',
  on: {
    CHANNEL_PARK: async (session) => {
      await session.hangup(cause(${JSON.stringify(cause)}));
    },
  },
});
`;
}

const CAUSE_MODULE = `export function cause(c: string): string {\n  return c;\n}\n`;

describe('app host against the test ESL server', () => {
  let server: TestEslServer;
  let listener: EventListener;
  let client: Client;
  let supervisor: AppHostSupervisor;
  const apps = appDir();

  before(async () => {
    const [{ hostScript }] = await Promise.all([buildHost(), (server = new TestEslServer({ password: PASSWORD })).start()]);
    ({ listener, client } = await connectTo(server, PASSWORD));
    supervisor = new AppHostSupervisor({
      connection: { host: '127.0.0.1', port: server.port, password: PASSWORD },
      hostScript,
      heartbeatIntervalMs: 100,
      heartbeatTimeoutMs: 1000,
      restartPolicy: { initialDelayMs: 50, maxDelayMs: 1000, jitter: 0 },
    });
    await supervisor.start();
  });

  after(async () => {
    await supervisor.stop();
    supervisor.dispose();
    await client.disconnect();
    await listener.disconnect();
    await server.stop();
  });

  /**
   * Originates into the app host's app. The app lives in another process, so this client's
   * `originate({ appId })` (which checks its own listener's apps) cannot be used: the app id goes
   * in as the channel variable it stands for.
   */
  async function callInto(appId: string): Promise<Session[]> {
    const job = client.originate('9196', { endpoint: 'loopback', app: 'park', variables: { [APP_ID_VAR]: appId } });
    await job.get(10_000);
    const call = listener.calls.get(job.sessUuid!) ?? [...listener.history].find((c) => c.sessions.some((s) => s.uuid === job.sessUuid));
    assert.ok(call, 'the call is tracked');
    await until(() => call.sessions.length > 0 && call.sessions.every((s) => s.ended), `call ${call.uuid} ended`, 10_000);
    return [...call.sessions];
  }

  const causes = (sessions: Session[]): string[] => [...new Set(sessions.map((s) => s.hangupCause ?? '?'))].sort();

  test('loads an app from a .ts file and its callback runs on an originated call', async () => {
    apps.write('cause.ts', CAUSE_MODULE);
    const entry = apps.write('hangup.ts', hangupApp('USER_BUSY'));
    const result = await supervisor.load('hangup', entry);
    assert.equal(result.loaded, true, JSON.stringify(result));
    assert.ok(result.loaded && result.app.inputs.some((f) => f.endsWith('cause.ts')), 'the relative import is an input');
    assert.deepEqual(causes(await callInto('hangup')), ['USER_BUSY']);
    const status = await supervisor.status();
    const app = status.apps.find((a) => a.id === 'hangup');
    assert.ok(app);
    assert.equal(app.version, 1);
    assert.ok(app.callsHandled >= 1, `calls handled ${app.callsHandled}`);
    assert.ok((app.callbacksRun['CHANNEL_PARK'] ?? 0) >= 1);
  });

  test('a reload swaps the version; a compile error gives diagnostics at the right line and the old version keeps running', async () => {
    const entry = apps.write('hangup.ts', hangupApp('CALL_REJECTED'));
    const reloaded = await supervisor.reload('hangup');
    assert.equal(reloaded.loaded, true, JSON.stringify(reloaded));
    assert.equal(reloaded.loaded && reloaded.app.version, 2);
    assert.deepEqual(causes(await callInto('hangup')), ['CALL_REJECTED']);

    // Line 7 of the file has the syntax error.
    apps.write('hangup.ts', ['// 1', '// 2', '// 3', '// 4', '// 5', 'export const x = 1;', 'export const y = (;', ''].join('\n'));
    const failed: LoadResult = await supervisor.reload('hangup', entry);
    assert.equal(failed.loaded, false);
    assert.ok(!failed.loaded);
    assert.equal(failed.phase, 'compile');
    assert.equal(failed.previousVersionRunning, true);
    const d = failed.diagnostics[0];
    assert.ok(d, 'a diagnostic');
    assert.equal(d.file, entry);
    assert.equal(d.line, 7);
    assert.equal(d.column, 18);
    assert.equal(d.severity, 'error');
    assert.deepEqual(causes(await callInto('hangup')), ['CALL_REJECTED'], 'version 2 still handles calls');

    // A module that is not an app: a load error, and the old version keeps running too.
    apps.write('hangup.ts', 'export const notAnApp = 1;\n');
    const notApp = await supervisor.reload('hangup');
    assert.ok(!notApp.loaded);
    assert.equal(notApp.phase, 'load');
    assert.equal(notApp.previousVersionRunning, true);
    assert.match(notApp.message, /exports no app/);
    assert.deepEqual(causes(await callInto('hangup')), ['CALL_REJECTED']);
  });

  test('a callback that throws is reported with its stack mapped to the .ts file and line', async () => {
    const entry = apps.write(
      'thrower.ts',
      [
        "import { defineApp } from 'freeswitch-dev';", // 1
        '', // 2
        'function explode(uuid: string): never {', // 3
        '  throw new Error(`boom on ${uuid}`);', // 4
        '}', // 5
        '', // 6
        'export default defineApp({', // 7
        '  on: {', // 8
        '    CHANNEL_PARK: async (session) => {', // 9
        '      explode(session.uuid);', // 10
        '    },', // 11
        '  },', // 12
        '});', // 13
        '',
      ].join('\n'),
    );
    const result = await supervisor.load('thrower', entry);
    assert.ok(result.loaded, JSON.stringify(result));
    const reported = nextEvent<AppErrorInfo>(supervisor.onDidAppError, "the thrower app's error report", (e) => e.appId === 'thrower', 10_000);
    const job = client.originate('9196', { endpoint: 'loopback', app: 'park', variables: { [APP_ID_VAR]: 'thrower' } });
    await job.get(10_000);
    const error = await reported;
    assert.equal(error.eventName, 'CHANNEL_PARK');
    assert.match(error.message, /^boom on /);
    assert.deepEqual(error.location, { file: entry, line: 4, column: 9 });
    assert.ok(error.stack.includes(`${entry}:4:9`), error.stack);
    assert.ok(error.stack.includes(`${entry}:10:7`), error.stack);
    await client.hupall('NORMAL_CLEARING', 'thrower');
    await supervisor.unload('thrower');
  });

  test('an app that loops forever: the host is detected as stalled, killed, restarted, and its apps come back', async () => {
    const entry = apps.write(
      'looper.ts',
      `import { defineApp } from 'freeswitch-dev';
export const looper = defineApp({
  on: {
    CHANNEL_PARK: () => {
      for (;;) {
        // blocks the host's event loop for good
      }
    },
  },
});
`,
    );
    assert.ok((await supervisor.load('looper', entry)).loaded);
    const oldPid = supervisor.pid;
    const crash = nextEvent<AppHostCrash>(supervisor.onDidCrash, 'the stalled host to be reported as crashed', undefined, 10_000);
    const started = nextEvent(supervisor.onDidStart, 'the host to restart', (s) => s.restarted, 10_000);
    const reloaded = nextEvent(supervisor.onDidLoad, 'the looper app to be loaded again', (e) => e.appId === 'looper', 10_000);
    const job = client.originate('9196', { endpoint: 'loopback', app: 'park', variables: { [APP_ID_VAR]: 'looper' } });
    await job.get(10_000);
    // The test process itself stays responsive the whole time: this timer keeps ticking.
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 20);
    const c = await crash;
    assert.equal(c.reason, 'unresponsive');
    assert.equal(c.pid, oldPid);
    const s = await started;
    clearInterval(ticker);
    assert.ok(ticks > 10, `the test process kept running (${ticks} ticks)`);
    assert.notEqual(s.pid, oldPid);
    assert.equal(supervisor.state, 'running');
    // The apps asked for are loaded again on the new host (from their files as they are now).
    assert.equal((await reloaded).result.loaded, true);
    const status = await supervisor.status();
    assert.ok(status.apps.some((a) => a.id === 'looper'), JSON.stringify(status.apps.map((a) => a.id)));
    await supervisor.unload('looper');
    await client.hupall('NORMAL_CLEARING', 'looper');
  });
});
