// The test ESL server in its own process for `npm run bench:webview`, so emitting events never
// shares an event loop (or CPU accounting) with the host code being measured.
// IPC in: { rate, seconds } → emits `rate` events a second for `seconds`, then replies { emitted }.
import { randomUUID } from 'node:crypto';
import { TestEslServer } from '../test/server/eslServer';

const CALLERS = ['Alice <1000>', 'Bob', '<img src=x onerror=alert(1)>', 'Ärger GmbH', 'محمد', 'Zoë\u200B'];
const UUIDS = Array.from({ length: 64 }, () => randomUUID());

async function main(): Promise<void> {
  const server = new TestEslServer({ heartbeatMs: 0 });
  await server.start();
  process.send!({ port: server.port });
  // The parent died or finished: do not linger.
  process.on('disconnect', () => process.exit(0));
  process.on('message', (m: { rate: number; seconds: number } | 'stop') => {
    if (m === 'stop') {
      void server.stop().then(() => process.exit(0));
      return;
    }
    const { rate, seconds } = m;
    const tickMs = 10;
    const started = Date.now();
    let emitted = 0;
    const timer = setInterval(() => {
      const elapsed = Date.now() - started;
      const due = Math.min(Math.floor((elapsed / 1000) * rate), rate * seconds);
      while (emitted < due) {
        const i = emitted++;
        const uuid = UUIDS[i % UUIDS.length]!;
        server.emitEvent('bench::event', {
          'Unique-ID': uuid,
          'Channel-Name': `sofia/internal/${1000 + (i % 50)}@fs-dev`,
          'Channel-State': 'CS_EXECUTE',
          'Caller-Caller-ID-Name': CALLERS[i % CALLERS.length]!,
          'Caller-Caller-ID-Number': String(1000 + (i % 50)),
          'Caller-Destination-Number': String(9000 + (i % 100)),
          'Application': 'playback',
          'Application-Data': `/sounds/prompt-${i}.wav`,
          'variable_sip_user_agent': 'Bench/1.0',
          'variable_bench_index': String(i),
        });
      }
      if (elapsed >= seconds * 1000 && emitted >= rate * seconds) {
        clearInterval(timer);
        process.send!({ emitted });
      }
    }, tickMs);
  });
}

void main();
