/**
 * Steady call traffic for the test server: short loopback calls started at a fixed rate, each hung
 * up after a hold time, as a load generator (or a busy PBX) would make them. Bounded by a count and a
 * duration, it stops by itself; `done` settles once every call it made has been hung up.
 *
 *   const traffic = startTraffic(esl, { callsPerSecond: 10, holdMs: 500, durationMs: 5_000 });
 *   …
 *   await traffic.done;
 */
import type { TestEslServer } from './eslServer';

export interface TrafficOptions {
  /** New calls per second, spread evenly. */
  callsPerSecond: number;
  /** How long each call stays up before it is hung up (uuid_kill NORMAL_CLEARING). */
  holdMs: number;
  /** Stop starting calls after this long. */
  durationMs: number;
  /** Stop after this many calls. Default: no limit but the duration. */
  maxCalls?: number;
  /** Loopback destination of the calls. Default 9664 (park). */
  destination?: string;
}

export interface Traffic {
  /** Uuids (a-legs) of the calls started so far. */
  readonly started: readonly string[];
  /** Settles when the last call has been started and every call hung up. */
  readonly done: Promise<void>;
  /** Stops starting calls; the calls up are hung up after their hold time, or now with `hangUpNow`. */
  stop(options?: { hangUpNow?: boolean }): void;
}

/** How often the generator looks at the clock; calls due in between start together. */
const TICK_MS = 10;

export function startTraffic(server: TestEslServer, options: TrafficOptions): Traffic {
  const interval = 1000 / options.callsPerSecond;
  const maxCalls = options.maxCalls ?? Number.POSITIVE_INFINITY;
  const destination = options.destination ?? '9664';
  const started: string[] = [];
  const hangups: Array<Promise<void>> = [];
  /** Calls still held, and how to hang each up before its time. */
  const held = new Map<string, () => void>();
  const begin = performance.now();
  let stopped = false;
  let finish: () => void = () => undefined;
  const startedAll = new Promise<void>((resolve) => (finish = resolve));

  const hangupLater = (uuid: string): Promise<void> =>
    new Promise((resolve) => {
      const hangUp = (): void => {
        clearTimeout(timer);
        held.delete(uuid);
        // The test server answers in-process; a call already gone answers -ERR, which is fine.
        server.api(`uuid_kill ${uuid} NORMAL_CLEARING`).then(
          () => resolve(),
          () => resolve(),
        );
      };
      const timer = setTimeout(hangUp, options.holdMs);
      held.set(uuid, hangUp);
    });

  // Calls are started by the clock, not by counting timer callbacks, so a late timer does not
  // lower the rate: each tick starts every call that is due by now.
  const timer = setInterval(() => {
    const elapsed = performance.now() - begin;
    const due = Math.min(maxCalls, Math.floor(elapsed / interval) + 1);
    while (!stopped && started.length < due && elapsed < options.durationMs) {
      const uuid = server.originateDirect(destination);
      started.push(uuid);
      hangups.push(hangupLater(uuid));
    }
    if (stopped || started.length >= maxCalls || elapsed >= options.durationMs) {
      stopped = true;
      clearInterval(timer);
      finish();
    }
  }, TICK_MS);

  return {
    started,
    done: startedAll.then(() => Promise.all(hangups)).then(() => undefined),
    stop: ({ hangUpNow = false } = {}) => {
      stopped = true;
      if (hangUpNow) for (const hangUp of [...held.values()]) hangUp();
    },
  };
}
