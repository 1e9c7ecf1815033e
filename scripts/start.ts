// `npm start`: builds the extension, starts a local VS Code (code-server on 127.0.0.1) with it
// installed, and prints the URL. With FREESWITCH_HOST (and FREESWITCH_PORT, FREESWITCH_PASSWORD)
// set it is configured for that server; otherwise a simulated FreeSWITCH (the test ESL server,
// in demo mode) is started on loopback so there are calls to look at right away.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TestEslServer } from '../test/server/eslServer';
import { runDemo } from '../test/server/demo';
import { REPO_ROOT, startCodeServer } from '../test/e2e/harness';

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd: REPO_ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status})`);
}

async function main(): Promise<void> {
  run('npm', ['run', 'package']);
  run('bash', ['scripts/e2e/install-code-server.sh']);

  let demo: { server: TestEslServer; stop(): void } | undefined;
  let server: { name: string; host: string; port: number };
  const env: Record<string, string> = {};
  if (process.env.FREESWITCH_HOST) {
    server = { name: `FreeSWITCH (${process.env.FREESWITCH_HOST})`, host: process.env.FREESWITCH_HOST, port: Number(process.env.FREESWITCH_PORT ?? 8021) };
    if (process.env.FREESWITCH_PASSWORD) env.FREESWITCH_PASSWORD = process.env.FREESWITCH_PASSWORD;
  } else {
    // show channels lags the events as a real switch's does (capture 22).
    const esl = new TestEslServer({ password: 'ClueCon', channelTableLag: 150 });
    await esl.start();
    demo = { server: esl, stop: runDemo(esl, { intervalMs: 4000, maxCalls: 5, log: () => undefined }) };
    server = { name: 'Simulated FreeSWITCH (demo)', host: '127.0.0.1', port: esl.port };
    env.FREESWITCH_PASSWORD = 'ClueCon';
  }

  const workspace = join(REPO_ROOT, '.e2e-cache', 'start-workspace');
  mkdirSync(workspace, { recursive: true });
  const code = await startCodeServer({
    workspaceDir: workspace,
    extensionVsix: join(REPO_ROOT, 'dist', 'freeswitch-dev.vsix'),
    env,
    userSettings: {
      'freeswitch.servers': [{ ...server, ...(env.FREESWITCH_PASSWORD ? { passwordEnv: 'FREESWITCH_PASSWORD' } : {}) }],
      'freeswitch.autoConnect': true,
    },
  });
  console.log('');
  console.log(`FreeSWITCH Dev is running in VS Code at ${code.url}/?folder=${encodeURIComponent(workspace)}`);
  console.log(demo ? `Server: ${server.name} on 127.0.0.1:${server.port} (a simulator, not FreeSWITCH)` : `Server: ${server.name} at ${server.host}:${server.port}`);
  console.log('Press Ctrl-C to stop.');

  const stop = async (): Promise<void> => {
    demo?.stop();
    await code.stop();
    await demo?.server.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
