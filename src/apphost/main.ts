/**
 * Entry of the app host process (`dist/apphost.js`). Started by an AppHostSupervisor with
 * `child_process.fork`; speaks src/shared/protocol/appHost.ts over the IPC channel only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { url as inspectorUrl } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSupervisorMessage, type HostToSupervisor } from '../shared/protocol/appHost';
import { AppHost } from './host';

// Stacks of bundled apps map to their .ts through the .map files the bundler writes.
process.setSourceMapsEnabled(true);

const send = process.send?.bind(process);
if (!send) {
  process.stderr.write('the app host runs under a supervisor (it needs an IPC channel); to run apps from a shell use `fsdev serve`\n');
  process.exit(2);
}

const outDir = mkdtempSync(join(tmpdir(), 'fsdev-apphost-'));
process.on('exit', () => rmSync(outDir, { recursive: true, force: true }));

// Settles when the last message was handed to the channel, so `shutdown` answers before exiting.
let lastSent: Promise<void> = Promise.resolve();
const host = new AppHost(
  (message: HostToSupervisor) => {
    if (!process.connected) return;
    lastSent = new Promise((resolve) => send(message, undefined, {}, () => resolve()));
  },
  outDir,
  inspectorUrl(),
);

process.on('message', (raw: unknown) => {
  const message = parseSupervisorMessage(raw);
  if (!message) {
    host.log('warn', `ignored a malformed message from the supervisor: ${JSON.stringify(raw).slice(0, 200)}`);
    return;
  }
  if (message.kind === 'ping') {
    host.ping(message.seq);
    return;
  }
  void host.handle(message).then(() => {
    if (message.method === 'shutdown') void lastSent.then(() => process.exit(0));
  });
});

// An app's stray timer or promise must not take the other apps down with it.
process.on('uncaughtException', (err) => host.reportUncaught(err, 'uncaught exception'));
process.on('unhandledRejection', (err) => host.reportUncaught(err, 'unhandled rejection'));
// The supervisor went away: nobody is left to talk to.
process.on('disconnect', () => process.exit(0));
