#!/usr/bin/env node
/**
 * `fsdev`: runs call-control apps headless, the same app host the extension uses, and load tests.
 *
 *   fsdev serve --host 127.0.0.1 --port 8021 --password ClueCon --app ./fsapps/x.ts [--app …] [--watch] [--record calls.fsrec.jsonl]
 *   fsdev load --server 127.0.0.1:8021 --rate 50 --limit 500 --duration 10s --run-time 60s (see loadOptions.ts)
 *
 * The password may come from FREESWITCH_PASSWORD instead (better: it stays off the process list).
 * Logs go to stdout; SIGINT/SIGTERM unload the apps (teardown runs) and exit 0.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { LoadResult } from '../shared/protocol/appHost';
import { runLoad } from './loadCommand';
import { AppHostSupervisor, type AppHostLog } from './supervisor';
import { testCommand } from './testing/testCommand';
import type { Disposable } from '../core';
import { recordCommand, recordingLimits, recordingSummary, startRecording } from './recordCommand';

const USAGE = `usage: fsdev load --server HOST[:PORT] [--rate N] [--limit N] [--duration T|auto] … (fsdev load --help)
       fsdev record --server HOST:PORT --out calls.fsrec.jsonl [--max-mb 100] [--max-seconds 3600] (fsdev record --help)
       fsdev test [globs…] [--server HOST:PORT] [--reporter junit --out results.xml] … (fsdev test --help)
       fsdev serve [--host 127.0.0.1] [--port 8021] [--user USER] [--password PASSWORD] --app ./fsapps/x.ts [--app [id=]path …] [--watch] [--inspect]
                   [--record calls.fsrec.jsonl [--max-mb 100] [--max-seconds 3600]]

  --host       mod_event_socket host (default 127.0.0.1)
  --port       mod_event_socket port (default 8021)
  --user       ESL user for userauth (default: plain auth)
  --password   ESL password (default: $FREESWITCH_PASSWORD, else ClueCon)
  --app        an app file; the id is the file name without .ts, or give id=path
  --watch      reload an app when its file (or a file it imports) changes
  --inspect    start the app host with the inspector on 127.0.0.1 (a free port)
  --record     record the server's events and the apps' commands with their replies (a recording
               replay() can answer the apps from) until Ctrl-C or --max-mb / --max-seconds
`;

function line(text: string): void {
  process.stdout.write(`${new Date().toISOString()} ${text}\n`);
}

function describe(appId: string, result: LoadResult): string {
  if (result.loaded) return `app ${appId} v${result.app.version} live (${result.app.callbacks.join(', ')}) in ${(result.bundleMs + result.loadMs).toFixed(0)} ms`;
  const where = result.diagnostics.map((d) => `\n  ${d.file}:${d.line}:${d.column + 1}: ${d.message}`).join('');
  return `app ${appId}: ${result.phase} error: ${result.message}${where}${result.previousVersionRunning ? '\n  (the previous version keeps running)' : ''}`;
}

export function parseAppSpec(spec: string): { id: string; path: string } {
  const eq = spec.indexOf('=');
  if (eq > 0 && !spec.slice(0, eq).includes('/')) return { id: spec.slice(0, eq), path: resolve(spec.slice(eq + 1)) };
  const path = resolve(spec);
  return { id: basename(path, extname(path)), path };
}

async function serve(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8021' },
      user: { type: 'string' },
      password: { type: 'string' },
      app: { type: 'string', multiple: true, default: [] },
      watch: { type: 'boolean', default: false },
      inspect: { type: 'boolean', default: false },
      record: { type: 'string' },
      'max-mb': { type: 'string', default: '100' },
      'max-seconds': { type: 'string', default: '3600' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const limits = values.record !== undefined ? recordingLimits(values['max-mb']!, values['max-seconds']!) : undefined;
  const port = Number(values.port);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`--port ${values.port} is not a port number`);
  const apps = (values.app ?? []).map(parseAppSpec);
  if (apps.length === 0) throw new Error('give at least one --app ./path/to/app.ts');
  const password = values.password ?? process.env['FREESWITCH_PASSWORD'] ?? 'ClueCon';

  const supervisor = new AppHostSupervisor({
    connection: { host: values.host!, port, password, ...(values.user !== undefined ? { user: values.user } : {}) },
    inspect: values.inspect ?? false,
  });
  supervisor.onDidLog((log: AppHostLog) => line(`${log.level.padEnd(5)} ${log.source === 'host' ? '' : `[${log.source}] `}${log.message}`));
  supervisor.onDidCrash((c) => line(`error the app host ${c.reason === 'unresponsive' ? 'stopped answering' : 'exited'}; restart ${c.attempt} in ${c.delayMs} ms`));
  supervisor.onDidStart((s) => line(`info  app host ${s.restarted ? 're' : ''}started (pid ${s.pid})${s.inspectorUrl ? `, inspector ${s.inspectorUrl}` : ''}`));
  supervisor.onDidAppError((e) => {
    const at = e.location ? ` at ${e.location.file}:${e.location.line}:${e.location.column}` : '';
    line(`error app ${e.appId} v${e.version}: ${e.eventName} callback failed${at}: ${e.message}`);
  });
  supervisor.onDidLoad(({ appId, result }) => {
    if (!result.loaded) line(`error ${describe(appId, result)}`);
  });

  // The recording has a connection of its own for the events (as `fsdev record`); the apps' commands
  // come from the app host, asked before it loads them so their first commands are in the file.
  let recording: { stop(): Promise<void> } | undefined;
  if (values.record !== undefined && limits) {
    const { connection, recorder } = await startRecording({
      host: values.host!,
      port,
      password,
      ...(values.user !== undefined ? { user: values.user } : {}),
      events: ['ALL'],
      path: values.record,
      ...limits,
    });
    const apps: Disposable = await supervisor.recordCommands((frame) => recorder.addCommandFrame(frame, 'apps'), () => recorder.forgetCommands('apps'));
    recorder.onDidStop((s) => {
      apps.dispose();
      line(`info  recording stopped (${s.stopReason}): ${recordingSummary(recorder)} in ${values.record}`);
    });
    recording = {
      async stop() {
        await supervisor.flushRecorded();
        await recorder.stop('stopped');
        await connection.close().catch(() => undefined);
        connection.dispose();
      },
    };
    line(`info  recording ${connection.address} and the apps' commands to ${values.record}`);
  }

  let stopping: Promise<void> | undefined;
  const watchers = new Map<string, FSWatcher>();
  const stop = (signal: string): Promise<void> => {
    stopping ??= (async () => {
      line(`info  ${signal}: stopping`);
      for (const w of watchers.values()) w.close();
      await recording?.stop();
      await supervisor.stop();
      supervisor.dispose();
    })();
    return stopping;
  };
  const exit = new Promise<number>((resolveExit) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop(signal).then(() => resolveExit(0)));
  });

  await supervisor.start();
  line(`info  connected to ${values.host}:${port}`);
  for (const { id, path } of apps) {
    const result = await supervisor.load(id, path);
    if (result.loaded) line(`info  ${describe(id, result)}`);
  }

  if (values.watch) {
    const timers = new Map<string, NodeJS.Timeout>();
    const reload = (id: string): void => {
      clearTimeout(timers.get(id));
      // Editors write a file in several steps: one reload per burst.
      timers.set(
        id,
        setTimeout(() => {
          if (stopping) return;
          supervisor.reload(id).then(
            (result) => {
              if (result.loaded) line(`info  ${describe(id, result)}`);
              watchInputs();
            },
            (err: unknown) => line(`error reload of ${id} failed: ${err instanceof Error ? err.message : String(err)}`),
          );
        }, 50),
      );
    };
    const watchInputs = (): void => {
      const byFile = new Map<string, Set<string>>();
      for (const { id, path } of apps) byFile.set(path, new Set([...(byFile.get(path) ?? []), id]));
      for (const app of supervisor.lastStatus?.apps ?? []) {
        for (const input of app.inputs) byFile.set(input, new Set([...(byFile.get(input) ?? []), app.id]));
      }
      for (const [file, ids] of byFile) {
        watchers.get(file)?.close();
        try {
          watchers.set(file, watch(file, () => ids.forEach(reload)));
        } catch (err) {
          line(`warn  cannot watch ${file}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    };
    // The status with each app's inputs arrives just after the loads; watch the entries now and the imports then.
    watchInputs();
    supervisor.onDidChangeStatus(() => {
      const known = new Set(watchers.keys());
      if (supervisor.lastStatus?.apps.some((a) => a.inputs.some((i) => !known.has(i)))) watchInputs();
    });
    line(`info  watching ${apps.map((a) => a.path).join(', ')} for changes`);
  }
  return exit;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'serve') return serve(rest);
  if (command === 'test') return testCommand(rest);
  if (command === 'record') return recordCommand(rest);
  if (command === 'load') return runLoad(rest);
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command === undefined ? 1 : 0;
  }
  process.stderr.write(`fsdev: unknown command ${JSON.stringify(command)}\n${USAGE}`);
  return 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`fsdev: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
