import type { Connection, ConnectionStatus, StatusChange } from '../../src/core';

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

/** The next status change of `connection` to `status`. */
export function nextStatus(connection: Connection, status: ConnectionStatus, timeoutMs = 5_000): Promise<StatusChange> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out waiting for status ${status} (now ${connection.status})`));
    }, timeoutMs);
    const sub = connection.onDidChangeStatus((change) => {
      if (change.to !== status) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(change);
    });
  });
}
