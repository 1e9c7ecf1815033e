import type { Connection, ConnectionStatus, Disposable, Event, StatusChange } from '../../src/core';

/**
 * Resolves once `condition()` holds, checking after every turn of the event loop (events arrive
 * as socket reads, so a turn is the unit in which state can change). Rejects after `timeoutMs`
 * with `what` in the message. This is awaiting a state, not sleeping.
 */
export function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const check = (): void => {
      if (condition()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`));
      setImmediate(check);
    };
    check();
  });
}

/**
 * Settles as `promise` does, or rejects after `timeoutMs` naming `what`: for a wait on something
 * that only a working system ends (a process's exit, a stream's end), so a regression fails here,
 * in seconds, rather than at the test's own limit.
 */
export function within<T>(promise: Promise<T>, what: string | (() => string), timeoutMs = 5_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for: ${typeof what === 'string' ? what : what()}`)), timeoutMs);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/**
 * The next firing of `event` that `accept` accepts, or a rejection naming `what` after
 * `timeoutMs`. Subscribes now, so subscribe before doing what should fire it, and await later.
 */
export function nextEvent<T>(event: Event<T>, what: string | (() => string), accept: (e: T) => boolean = () => true, timeoutMs = 5_000): Promise<T> {
  let sub: Disposable | undefined;
  const fired = new Promise<T>((resolve) => {
    sub = event((e) => {
      if (!accept(e)) return;
      sub?.dispose();
      resolve(e);
    });
  });
  return within(fired, what, timeoutMs).finally(() => sub?.dispose());
}

/** The next status change of `connection` to `status`. */
export function nextStatus(connection: Connection, status: ConnectionStatus, timeoutMs = 5_000): Promise<StatusChange> {
  return nextEvent(connection.onDidChangeStatus, () => `status ${status} (now ${connection.status})`, (change) => change.to === status, timeoutMs);
}
