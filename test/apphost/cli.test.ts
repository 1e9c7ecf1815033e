import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { APP_ID_VAR, type Client, type EventListener } from '../../src/core';
import { parseAppSpec } from '../../src/apphost/cli';
import { TestEslServer } from '../server/eslServer';
import { until, within } from '../support/wait';
import { appDir, buildHost, spawnCli } from './support';
import { connectTo } from '../support/connect';

const PASSWORD = 'Sekrit';

describe('fsdev serve', () => {
  let server: TestEslServer;
  let listener: EventListener;
  let client: Client;

  before(async () => {
    server = new TestEslServer({ password: PASSWORD });
    await server.start();
    ({ listener, client } = await connectTo(server, PASSWORD));
  });

  after(async () => {
    await client.disconnect();
    await listener.disconnect();
    await server.stop();
  });

  test('app specs: a path, or id=path', () => {
    assert.equal(parseAppSpec('./fsapps/tone.ts').id, 'tone');
    assert.equal(parseAppSpec('ivr=./fsapps/x.ts').id, 'ivr');
    assert.match(parseAppSpec('ivr=./fsapps/x.ts').path, /\/fsapps\/x\.ts$/);
  });

  test('serves an app headless (password from FREESWITCH_PASSWORD), reloads it on save with --watch, exits 0 on SIGINT', async () => {
    const { cliScript } = await buildHost();
    const apps = appDir();
    const app = (cause: string): string =>
      `import { defineApp } from 'freeswitch-dev';\nexport const app = defineApp({ on: { CHANNEL_PARK: (s) => s.hangup('${cause}') } });\n`;
    const entry = apps.write('busy.ts', app('USER_BUSY'));
    const cli = spawnCli(cliScript, ['serve', '--host', '127.0.0.1', '--port', String(server.port), '--app', entry, '--watch'], PASSWORD);
    const { lines, exited } = cli;
    try {
      await until(() => lines.some((l) => /watching/.test(l)) || cli.process.exitCode !== null, 'the CLI is serving', 20_000);
      assert.ok(lines.some((l) => /app busy v1 live \(CHANNEL_PARK\)/.test(l)), cli.output());

      const call = async (): Promise<string[]> => {
        const job = client.originate('9196', { endpoint: 'loopback', app: 'park', variables: { [APP_ID_VAR]: 'busy' } });
        await job.get(10_000);
        const found = (): ReturnType<typeof listener.calls.get> =>
          listener.calls.get(job.sessUuid!) ?? [...listener.history].find((c) => c.sessions.some((s) => s.uuid === job.sessUuid));
        await until(() => found()?.sessions.every((s) => s.ended) === true, 'the call ended', 10_000);
        return [...new Set(found()!.sessions.map((s) => s.hangupCause ?? '?'))];
      };
      assert.deepEqual(await call(), ['USER_BUSY']);

      apps.write('busy.ts', app('CALL_REJECTED'));
      await until(() => lines.some((l) => /app busy v2 live/.test(l)), 'the watcher reloaded the app', 10_000);
      assert.deepEqual(await call(), ['CALL_REJECTED']);
    } finally {
      cli.process.kill('SIGINT');
    }
    assert.equal(await within(exited, 'the CLI to exit after SIGINT'), 0, cli.output());
    assert.ok(lines.some((l) => /SIGINT: stopping/.test(l)));
  });
});
