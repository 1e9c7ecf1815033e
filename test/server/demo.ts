// Demo traffic for the simulated FreeSWITCH: calls that come and go, so a UI has something to show.
import { randomUUID } from 'node:crypto';
import type { TestEslServer } from './eslServer';

const DEMO_CALLERS: readonly [string, string][] = [
  ['Alice Example', '1001'],
  ['Bob Example', '1002'],
  ['Carol Example', '1003'],
  ['Front Desk', '2000'],
  ['Sales Queue', '3000'],
];

/** Destinations the demo dials: mostly good calls, now and then one that fails like capture 09. */
const DEMO_DESTINATIONS = ['9196', '9196', '9664', 'park', 'does_not_exist'];

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!;
}


/** Originates a call every interval (while under the limit) and hangs each up after 10–30 s. */
export function runDemo(server: TestEslServer, options: { intervalMs: number; maxCalls: number; log: (line: string) => void }): () => void {
  const { intervalMs, maxCalls, log } = options;
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const tick = (): void => {
    const live = server.channels.filter((c) => c.direction === 'outbound').length;
    if (live < maxCalls) {
      const [name, num] = pick(DEMO_CALLERS);
      const uuid = randomUUID();
      const dest = pick(DEMO_DESTINATIONS);
      const vars = `{origination_uuid=${uuid},origination_caller_id_name='${name}',origination_caller_id_number=${num}}`;
      void server.api(`originate ${vars}loopback/${dest} &park`).then((reply) => {
        log(`demo: ${name} <${num}> -> ${dest}: ${reply.trim()}`);
        if (reply.startsWith('+OK')) later(10_000 + Math.random() * 20_000, () => void server.api(`uuid_kill ${uuid}`));
      });
    }
    later(intervalMs, tick);
  };
  later(500, tick);
  return () => {
    for (const t of timers) clearTimeout(t);
  };
}

