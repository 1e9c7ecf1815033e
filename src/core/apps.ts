import type { EslEvent } from './esl/event';
import type { Call } from './models/call';
import type { Session } from './models/session';

/** Channel events an app can handle, as FreeSWITCH names them. */
export const CHANNEL_EVENT_NAMES = [
  'CHANNEL_CREATE',
  'CHANNEL_ANSWER',
  'CHANNEL_PROGRESS',
  'CHANNEL_PROGRESS_MEDIA',
  'CHANNEL_BRIDGE',
  'CHANNEL_UNBRIDGE',
  'CHANNEL_PARK',
  'CHANNEL_UNPARK',
  'CHANNEL_EXECUTE',
  'CHANNEL_EXECUTE_COMPLETE',
  'CHANNEL_HOLD',
  'CHANNEL_UNHOLD',
  'CHANNEL_HANGUP',
  'CHANNEL_HANGUP_COMPLETE',
  'CHANNEL_DESTROY',
  'CHANNEL_CALLSTATE',
  'CALL_UPDATE',
  'DTMF',
  'PLAYBACK_START',
  'PLAYBACK_STOP',
  'RECORD_START',
  'RECORD_STOP',
  'DETECTED_TONE',
] as const;

export type ChannelEventName = (typeof CHANNEL_EVENT_NAMES)[number];

const CHANNEL_EVENTS: ReadonlySet<string> = new Set(CHANNEL_EVENT_NAMES);

/** True for the event names an app may register callbacks for. */
export function isChannelEventName(name: string): name is ChannelEventName {
  return CHANNEL_EVENTS.has(name);
}

/** A callback for one FreeSWITCH event on a session handled by the app. */
export type AppCallback = (session: Session, event: EslEvent, call: Call | undefined) => unknown;

/** What an app's setup and teardown receive. */
export interface AppContext<TClient = unknown, TListener = unknown> {
  /** The id the app was loaded with; calls originated with this `appId` reach it. */
  readonly id: string;
  readonly client: TClient;
  readonly listener: TListener;
}

/**
 * A call-control app: callbacks keyed by FreeSWITCH event name, so names autocomplete and a typo
 * is a type error. A class works as well as an object literal, as long as it has `on`.
 *
 * ```ts
 * export const tonePlay = defineApp({
 *   name: 'TonePlay',
 *   on: {
 *     CHANNEL_PARK: async (session) => {
 *       await session.answer();
 *       await session.playback('tone_stream://%(251,0,1004)');
 *     },
 *   },
 * });
 * ```
 */
export interface App<TClient = unknown, TListener = unknown> {
  readonly name?: string;
  readonly on: Readonly<Partial<Record<ChannelEventName, AppCallback>>>;
  setup?(context: AppContext<TClient, TListener>): unknown;
  teardown?(context: AppContext<TClient, TListener>): unknown;
}

/** Identity helper that gives an app literal its types. */
export function defineApp<T extends App>(app: T): T {
  return app;
}

/** A callback failure, with enough context to find it. */
export interface AppError {
  appId: string;
  eventName: string;
  sessionUuid: string;
  error: Error;
  at: number;
}

/** An app as loaded, with what it has done. */
export interface LoadedApp {
  readonly id: string;
  readonly name: string;
  readonly app: App;
  readonly loadedAt: number;
  /** Event names it has callbacks for. */
  readonly callbacks: readonly ChannelEventName[];
  /** Callbacks started, per event name. */
  readonly runs: Map<string, number>;
  /** Calls whose events reached it. */
  readonly calls: Set<string>;
  errors: number;
  lastError: AppError | undefined;
}

/** Checks an app's shape before anything is registered, so loading is all or nothing. */
export function validateApp(app: App, id: string): ChannelEventName[] {
  if (!/^[A-Za-z0-9_.\-+@:*#]+$/.test(id)) throw new Error(`app id ${JSON.stringify(id)} may only contain letters, digits and . - + @ : * # _`);
  if (app === null || typeof app !== 'object') throw new Error(`app ${id} is not an object`);
  if (app.on === null || typeof app.on !== 'object') throw new Error(`app ${id} has no \`on\` callbacks`);
  const names: ChannelEventName[] = [];
  for (const [name, callback] of Object.entries(app.on)) {
    if (!isChannelEventName(name)) throw new Error(`app ${id}: ${JSON.stringify(name)} is not a channel event it can handle (expected one of ${CHANNEL_EVENT_NAMES.join(', ')})`);
    if (typeof callback !== 'function') throw new Error(`app ${id}: the ${name} callback is not a function`);
    names.push(name);
  }
  if (names.length === 0) throw new Error(`app ${id} has no callbacks`);
  return names;
}
