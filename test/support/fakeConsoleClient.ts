import { Emitter, type EslEvent, type LogLine } from '../../src/core';
import type { ConsoleClient } from '../../src/extension/console/consoleSession';

export interface FakeConsoleClient {
  client: ConsoleClient;
  log: Emitter<LogLine>;
  events: Emitter<EslEvent>;
  /** Every command in the order the console sent it. */
  calls: string[];
  subscriptions: Set<string>;
  /** Resolves the pending api call for `command`. */
  answer(command: string, body: string): void;
}

/**
 * A console client that records every command. `api` answers from `answers`, else from
 * `otherwise` when given, else waits until the test calls `answer`.
 */
export function fakeConsoleClient(answers: Record<string, string> = {}, otherwise?: (command: string) => string): FakeConsoleClient {
  const log = new Emitter<LogLine>();
  const events = new Emitter<EslEvent>();
  const calls: string[] = [];
  const subscriptions = new Set<string>(['BACKGROUND_JOB']);
  const waiting = new Map<string, (body: string) => void>();
  return {
    log,
    events,
    calls,
    subscriptions,
    answer: (command, body) => waiting.get(command)?.(body),
    client: {
      api: (command) => {
        calls.push(`api ${command}`);
        if (command in answers) return Promise.resolve(answers[command]!);
        if (otherwise) return Promise.resolve(otherwise(command));
        return new Promise((resolve) => waiting.set(command, resolve));
      },
      connection: {
        subscriptions,
        eventFormat: 'json',
        onDidReceiveLog: log.event,
        onDidReceiveEvent: events.event,
        setLogLevel: (level) => {
          calls.push(level === undefined ? 'nolog' : `log ${level}`);
          return Promise.resolve();
        },
        subscribe: (names) => {
          const list = [...names];
          if (list.length > 0) calls.push(`event json ${list.join(' ')}`);
          for (const n of list) subscriptions.add(n);
          return Promise.resolve();
        },
        unsubscribe: (names) => {
          const list = [...names];
          for (const n of list) subscriptions.delete(n);
          calls.push(subscriptions.size === 0 ? 'noevents' : `nixevent ${list.join(' ')}`);
          return Promise.resolve();
        },
        send: (command) => {
          calls.push(command.line);
          return Promise.resolve();
        },
      },
    },
  };
}
