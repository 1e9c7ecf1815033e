/**
 * Entry of the test host process (`dist/testhost.js`): runs call tests for a parent (the Test
 * Explorer, `fsdev test`) that forked it, speaking src/shared/protocol/testHost.ts over IPC. Test
 * files are in-development code: in their own process they never stall the editor, and a
 * debugger can attach (started with `--inspect`, the run waits for it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { url as inspectorUrl, waitForDebugger } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_HOST_PROTOCOL_VERSION, parseParentMessage, type TestHostToParent } from '../shared/protocol/testHost';
import { runTests } from './testing/runner';

// Stacks of bundled tests map to their .ts through the .map files the bundler writes.
process.setSourceMapsEnabled(true);

const send = process.send?.bind(process);
if (!send) {
  process.stderr.write('the test host runs under a parent (it needs an IPC channel); from a shell use `fsdev test`\n');
  process.exit(2);
}

const outDir = mkdtempSync(join(tmpdir(), 'fsdev-testhost-'));
process.on('exit', () => rmSync(outDir, { recursive: true, force: true }));

let lastSent: Promise<void> = Promise.resolve();
const report = (message: TestHostToParent): void => {
  if (!process.connected) return;
  lastSent = new Promise((resolve) => send(message, undefined, {}, () => resolve()));
};

let running = false;
// A cancel cuts the running test short; the runner still hangs up its calls before ending.
const cancel = new AbortController();
process.on('message', (raw: unknown) => {
  const message = parseParentMessage(raw);
  if (!message) return;
  if (message.kind === 'cancel') {
    cancel.abort();
    return;
  }
  if (running) return;
  running = true;
  void runTests({
    connection: message.connection,
    files: message.files,
    ...(message.only ? { only: new Set(message.only) } : {}),
    timeoutMs: message.timeoutMs,
    debug: message.debug,
    waitForDebugger: async () => {
      const url = inspectorUrl();
      if (!url) return;
      report({ kind: 'debuggerWaiting', inspectorUrl: url });
      // The message must be out before the event loop blocks.
      await lastSent;
      // Blocks until the debugger has set its breakpoints and says run (Runtime.runIfWaitingForDebugger).
      waitForDebugger();
    },
    outDir,
    report,
    signal: cancel.signal,
  })
    .catch((err: unknown) => report({ kind: 'fatal', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }))
    .finally(() => void lastSent.then(() => process.exit(0)));
});

// A test's stray timer or promise is reported, not fatal: the run goes on.
process.on('uncaughtException', (err) => report({ kind: 'output', text: `uncaught exception in the test host: ${err.stack ?? err.message}\n` }));
process.on('unhandledRejection', (err) => report({ kind: 'output', text: `unhandled rejection in the test host: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n` }));
process.on('disconnect', () => process.exit(0));

report({ kind: 'hello', protocol: TEST_HOST_PROTOCOL_VERSION, pid: process.pid, inspectorUrl: inspectorUrl() });
