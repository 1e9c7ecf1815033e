/**
 * `replay(recording, app)`: feeds a recording's events to an app's callbacks in order, offline,
 * with the recorded timing or as fast as possible; answers the app's commands with the replies
 * the recording holds for the same commands; and returns what the app tried to do.
 *
 * The app runs on the core's own EventListener (never connected): events go through `ingest`, the
 * same way live events do, so sessions, calls and dispatch behave as they did live. Commands go to
 * the recording instead of a socket. A command the recording has no reply for fails at once with
 * a ReplayError naming it (add one with `options.reply`), never a hang.
 */
import type { App, AppCallback, ChannelEventName } from '../apps/app';
import { Client } from '../client';
import { APP_ID_VAR } from '../dialString';
import { ApiError, CommandError, ConnectionClosedError } from '../esl/errors';
import { EslEvent } from '../esl/event';
import { EventListener } from '../listener';
import { loadRecording } from '../recording';
import type { RecordedCommand, Recording } from '../recording/format';

export interface ReplayOptions {
  /** `fast` (default): one event after the other, as soon as the app's callbacks have reacted; `recorded`: with the recorded gaps. */
  timing?: 'fast' | 'recorded';
  /** With recorded timing: 2 plays twice as fast. Default 1. */
  speed?: number;
  /** The id the app is loaded under. Default: the app id the recorded calls carry (`fsdev_app_id`), else the app's name, else `replay`. */
  appId?: string;
  /** A reply for a command the recording has none for (the api body, or a sendmsg's reply text); undefined: none. */
  reply?(command: string, session: string | undefined): string | undefined;
}

/** One thing the app tried to do. */
export interface ReplayAction {
  /** ms into the recording when it happened (the time of the event being replayed). */
  t: number;
  kind: 'api' | 'sendmsg' | 'bgapi';
  /** `uuid_answer <uuid>`; for sendmsg: its `call-command` and app, e.g. `execute playback`. */
  command: string;
  /** The session it targeted, if it named one. */
  session: string | undefined;
  headers?: Record<string, string>;
  body?: string;
  /** What it was answered. */
  reply?: string;
  /** Why it failed (no recorded reply, or FreeSWITCH's -ERR as recorded). */
  error?: string;
}

export interface ReplayResult {
  actions: ReplayAction[];
  /** Callbacks that threw or rejected, or were still waiting when the recording ended. */
  errors: Array<{ eventName: string; session: string; message: string; error: unknown }>;
  /** Events fed. */
  events: number;
  /** The app id used. */
  appId: string;
}

/** A command the recording cannot answer. */
export class ReplayError extends Error {
  override readonly name = 'ReplayError';
}

interface Pending {
  queue: RecordedCommand[];
}

function sendmsgKey(uuid: string, headers: Record<string, string>, body: string | undefined): string {
  const h = (k: string): string => headers[k] ?? headers[k.toLowerCase()] ?? '';
  return `sendmsg ${uuid} ${h('call-command')} ${h('execute-app-name')} ${body ?? h('execute-app-arg')}`;
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export async function replay(recording: Recording | string, app: App, options: ReplayOptions = {}): Promise<ReplayResult> {
  const rec = typeof recording === 'string' ? await loadRecording(recording) : recording;
  const timing = options.timing ?? 'fast';
  const speed = options.speed && options.speed > 0 ? options.speed : 1;

  // Recorded commands by what they asked, each answerable once, in order.
  const byKey = new Map<string, Pending>();
  /** Commands the recording holds without a reply: the error says why that is. */
  const unanswered = new Set<string>();
  for (const c of rec.commands) {
    const key = c.command.startsWith('sendmsg ') ? sendmsgKey(c.command.slice(8).trim(), c.headers ?? {}, c.body) : c.command;
    if (!c.reply) {
      unanswered.add(key);
      continue;
    }
    const p = byKey.get(key) ?? { queue: [] };
    p.queue.push(c);
    byKey.set(key, p);
  }
  const recordedAppId = rec.events.find((e) => e.event.headers[`variable_${APP_ID_VAR}`])?.event.headers[`variable_${APP_ID_VAR}`];
  const appId = options.appId ?? recordedAppId ?? app.name ?? 'replay';
  const stamp = recordedAppId === undefined;

  const listener = new EventListener({ host: 'replay', port: 0, reconnect: false, resyncSettleMs: 0 });
  const client = new Client({ host: 'replay', port: 0, reconnect: false, listener });
  const actions: ReplayAction[] = [];
  const errors: ReplayResult['errors'] = [];
  /** Event-UUIDs of recorded executes → the app's own, so CHANNEL_EXECUTE_COMPLETE finds its waiter. */
  const eventUuids = new Map<string, string>();
  let now = 0;

  const sessionIn = (text: string): string | undefined => text.split(/\s+/).find((w) => listener.sessions.has(w));
  const take = (key: string): RecordedCommand | undefined => byKey.get(key)?.queue.shift();
  const howToRecord =
    "to record the app's commands with their replies, record while the app runs: VS Code's Record Events with the app loaded, `fsdev serve --app … --record calls.fsrec.jsonl`, or the test server's --record; or give a reply with replay(…, { reply })";
  const noReply = (what: string, key: string): ReplayError => {
    const why = byKey.has(key)
      ? 'it was sent more often now than when the recording was made'
      : unanswered.has(key)
        ? 'the recording holds the command but not its reply (made before replies were recorded, or cut off)'
        : byKey.size === 0
          ? 'the recording holds no command with a reply (made without the app, e.g. by `fsdev record` alone)'
          : 'it was not sent when the recording was made';
    return new ReplayError(`the recording has no reply for ${what}: ${why}; ${howToRecord}`);
  };

  const api = async (command: string): Promise<string> => {
    const action: ReplayAction = { t: now, kind: 'api', command, session: sessionIn(command) };
    actions.push(action);
    const recorded = take(`api ${command}`);
    const body = recorded?.reply?.body ?? options.reply?.(command, action.session);
    if (body === undefined) {
      const err = noReply(`api ${command}`, `api ${command}`);
      action.error = err.message;
      throw err;
    }
    action.reply = body;
    return body;
  };
  const cmd = async (command: string): Promise<string> => {
    const body = await api(command);
    if (body.startsWith('-ERR') || body.startsWith('-USAGE')) {
      actions[actions.length - 1]!.error = body.trim();
      throw new ApiError(command, body);
    }
    return body.replace(/\n$/, '');
  };
  const sendmsg = async (uuid: string, headers: Record<string, string>, body?: string): Promise<string> => {
    const what = [headers['call-command'], headers['execute-app-name']].filter(Boolean).join(' ');
    const action: ReplayAction = { t: now, kind: 'sendmsg', command: what, session: uuid, headers: { ...headers } };
    if (body !== undefined) action.body = body;
    actions.push(action);
    const key = sendmsgKey(uuid, headers, body);
    const recorded = take(key);
    const text = recorded?.reply ? recorded.reply.replyText || recorded.reply.body : options.reply?.(`sendmsg ${uuid} ${what}`, uuid);
    if (text === undefined) {
      const err = noReply(`sendmsg ${uuid} (${what}${body !== undefined ? ` ${body}` : ''})`, key);
      action.error = err.message;
      throw err;
    }
    const mine = headers['Event-UUID'];
    const theirs = recorded?.headers?.['Event-UUID'];
    if (mine && theirs) eventUuids.set(theirs, mine);
    action.reply = text;
    if (text.startsWith('-ERR')) {
      action.error = text;
      throw new CommandError(`sendmsg ${uuid}`, text.slice(4).trim());
    }
    return text;
  };
  // The listener and the client answer from the recording instead of a socket.
  listener.cmd = cmd;
  listener.sendmsg = sendmsg;
  client.api = (command: string) => api(command);
  client.cmd = cmd;
  client.bgapi = (command: string) => {
    actions.push({ t: now, kind: 'bgapi', command, session: sessionIn(command), error: 'bgapi is not replayed: jobs (originate…) need a live switch' });
    throw new ReplayError(`bgapi ${command}: background jobs are not replayed (they need a live switch)`);
  };

  // Wraps the callbacks to know what is still running when the recording ends.
  const running = new Set<Promise<unknown>>();
  let ending = false;
  const on: Record<string, AppCallback> = {};
  for (const [name, fn] of Object.entries(app.on) as Array<[ChannelEventName, AppCallback | undefined]>) {
    if (typeof fn !== 'function') continue;
    on[name] = (session, event, call) => {
      const p = Promise.resolve()
        .then(() => fn.call(app, session, event, call))
        .catch((error: unknown) => {
          const message =
            ending && error instanceof ConnectionClosedError
              ? `the recording ended while the ${name} callback still waited for an event it does not have`
              : error instanceof Error
                ? error.message
                : String(error);
          errors.push({ eventName: name, session: session.uuid, message, error });
        })
        .finally(() => running.delete(p));
      running.add(p);
      return p;
    };
  }
  const wrapped: App = { ...app, on };
  if (app.setup) wrapped.setup = app.setup.bind(app);
  if (app.teardown) wrapped.teardown = app.teardown.bind(app);

  try {
    await listener.loadApp(wrapped, appId, { client });
    const started = performance.now();
    for (const { t, event } of rec.events) {
      if (timing === 'recorded') {
        const due = started + t / speed - performance.now();
        if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
      }
      now = t;
      listener.ingest(rewrite(event, eventUuids, stamp ? appId : undefined));
      // The callbacks run off the ingest path (setImmediate): let them react before the next event.
      await turn();
      await turn();
    }
    for (let i = 0; i < 5 && running.size > 0; i++) await turn();
    ending = true;
    await listener.unloadApp(appId, { client }).catch(() => undefined);
  } finally {
    ending = true;
    // Waiters of callbacks still running are rejected here (the recording has nothing more).
    listener.dispose();
    await Promise.allSettled([...running]);
    client.dispose();
  }
  return { actions, errors, events: rec.events.length, appId };
}

/** The event as the app should see it: its executes' Event-UUIDs, and the app id when the recording had none. */
function rewrite(event: EslEvent, eventUuids: ReadonlyMap<string, string>, appId: string | undefined): EslEvent {
  const h = event.headers;
  const appUuid = h['Application-UUID'];
  const mapped = appUuid !== undefined ? eventUuids.get(appUuid) : undefined;
  const stamp = appId !== undefined && h['Unique-ID'] !== undefined;
  if (mapped === undefined && !stamp) return event;
  const headers = Object.assign(Object.create(null) as Record<string, string>, h);
  if (mapped !== undefined) headers['Application-UUID'] = mapped;
  if (stamp) headers[`variable_${APP_ID_VAR}`] = appId;
  return new EslEvent(headers, event.body);
}
