import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { APP_ID_VAR, Client, EventListener } from '../../src/core';
import { AppHostRequestError, AppHostSupervisor, type AppHostCrash, type AppHostLog } from '../../src/apphost/supervisor';
import { TestEslServer } from '../server/eslServer';
import { nextEvent } from '../support/wait';
import { appDir, buildHost } from './support';

describe('app host supervisor', () => {
  let server: TestEslServer;
  let hostScript: string;

  before(async () => {
    server = new TestEslServer({ password: 'ClueCon' });
    [, { hostScript }] = await Promise.all([server.start(), buildHost()]);
  });

  after(async () => {
    await server.stop();
  });

  test('a wrong password fails start() with FreeSWITCH words and no restart loop', async () => {
    const supervisor = new AppHostSupervisor({ connection: { host: '127.0.0.1', port: server.port, password: 'wrong' }, hostScript });
    let crashes = 0;
    supervisor.onDidCrash(() => crashes++);
    await assert.rejects(supervisor.start(), (err: unknown) => err instanceof AppHostRequestError && /auth|password|denied|invalid/i.test(err.message));
    assert.equal(supervisor.state, 'failed');
    assert.equal(supervisor.pid, undefined);
    assert.equal(crashes, 0);
    supervisor.dispose();
  });

  test('with inspect, the host listens on 127.0.0.1 at a free port and reports its URL; restart() toggles it and keeps the apps', async () => {
    const apps = appDir();
    const entry = apps.write('park.ts', "import { defineApp } from 'freeswitch-dev';\nexport const app = defineApp({ on: { CHANNEL_PARK: () => undefined } });\n");
    const supervisor = new AppHostSupervisor({ connection: { host: '127.0.0.1', port: server.port, password: 'ClueCon' }, hostScript });
    try {
      await supervisor.start();
      assert.equal(supervisor.inspectorUrl, undefined);
      assert.ok((await supervisor.load('park', entry)).loaded);
      const oldPid = supervisor.pid;
      await supervisor.restart({ inspect: true });
      assert.notEqual(supervisor.pid, oldPid);
      assert.match(supervisor.inspectorUrl ?? '', /^ws:\/\/127\.0\.0\.1:\d+\//);
      assert.ok((supervisor.inspectorPort ?? 0) > 0);
      const status = await supervisor.status();
      assert.deepEqual(status.apps.map((a) => [a.id, a.version]), [['park', 1]]);
    } finally {
      await supervisor.stop();
      supervisor.dispose();
    }
  });

  test('a host that exits is restarted; while FreeSWITCH is down the restart keeps trying with backoff', async () => {
    const apps = appDir();
    const entry = apps.write('exiter.ts', "import { defineApp } from 'freeswitch-dev';\nexport const app = defineApp({ on: { CHANNEL_PARK: () => process.exit(3) } });\n");
    const supervisor = new AppHostSupervisor({
      connection: { host: '127.0.0.1', port: server.port, password: 'ClueCon' },
      hostScript,
      restartPolicy: { initialDelayMs: 300, maxDelayMs: 600, jitter: 0 },
    });
    const listener = new EventListener({ host: '127.0.0.1', port: server.port, password: 'ClueCon' });
    const client = new Client({ host: '127.0.0.1', port: server.port, password: 'ClueCon', listener });
    try {
      await supervisor.start();
      assert.ok((await supervisor.load('exiter', entry)).loaded);
      await listener.connect();
      await client.connect();
      const crashed = nextEvent<AppHostCrash>(supervisor.onDidCrash, 'the app host to crash', undefined, 10_000);
      const retrying = nextEvent<AppHostLog>(supervisor.onDidLog, "the supervisor's 'trying again' log", (l) => /trying again/.test(l.message), 10_000);
      const restarted = nextEvent(supervisor.onDidStart, 'the app host to restart', (s) => s.restarted, 10_000);
      client.originate('9196', { endpoint: 'loopback', app: 'park', variables: { [APP_ID_VAR]: 'exiter' } });
      const crash = await crashed;
      assert.equal(crash.reason, 'exited');
      assert.equal(crash.code, 3);
      await client.disconnect();
      await listener.disconnect();
      await server.stop();
      await retrying;
      assert.equal(supervisor.state, 'restarting');
      await server.start();
      await restarted;
      assert.equal(supervisor.state, 'running');
      assert.deepEqual((await supervisor.status()).apps.map((a) => a.id), ['exiter']);
    } finally {
      client.dispose();
      listener.dispose();
      await supervisor.stop();
      supervisor.dispose();
    }
  });
});
