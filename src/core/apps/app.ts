import type { Client } from '../client';
import type { EslEvent } from '../esl/event';
import type { EventListener } from '../listener';
import type { Call } from '../models/call';
import type { Session } from '../models/session';

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

/**
 * Channel variables apps read and set most often, so `session.var(…)`, `getVar` and `setVar`
 * autocomplete them. Any other name is accepted too.
 */
export type KnownChannelVariable =
  | 'fsdev_app_id'
  | 'fsdev_call_id'
  | 'call_uuid'
  | 'uuid'
  | 'direction'
  | 'caller_id_name'
  | 'caller_id_number'
  | 'destination_number'
  | 'effective_caller_id_name'
  | 'effective_caller_id_number'
  | 'origination_caller_id_name'
  | 'origination_caller_id_number'
  | 'origination_uuid'
  | 'other_loopback_leg_uuid'
  | 'hangup_cause'
  | 'hangup_after_bridge'
  | 'park_after_bridge'
  | 'continue_on_fail'
  | 'ringback'
  | 'transfer_ringback'
  | 'hold_music'
  | 'playback_ms'
  | 'playback_terminators'
  | 'sip_from_user'
  | 'sip_to_user'
  | 'sip_call_id'
  | 'current_application'
  | 'current_application_data'
  | 'current_application_response'
  | 'answer_epoch'
  | 'billsec'
  | 'duration';

/** A channel variable name: the known ones autocomplete, any other string is allowed. */
export type ChannelVariable = KnownChannelVariable | (string & {});

/**
 * A callback for one FreeSWITCH event on a session handled by the app. It runs off the socket's
 * read path; it may be async (`await session.recv('CHANNEL_ANSWER', 5000)`), and a throw or a
 * rejection is reported through `onDidAppError` without affecting other calls or apps.
 */
export type AppCallback = (session: Session, event: EslEvent, call: Call | undefined) => unknown;

/** An app's callbacks keyed by FreeSWITCH event name: names autocomplete and a typo is a type error. */
export type AppCallbacks = Readonly<Partial<Record<ChannelEventName, AppCallback>>>;

/** What an app's setup and teardown receive. */
export interface AppContext<TClient = Client, TListener = EventListener> {
  /** The id the app was loaded with; calls originated with this `appId` reach it. */
  readonly id: string;
  /** The client that loaded the app: originate, api, bgapi… */
  readonly client: TClient;
  /** The listener whose events reach the app. */
  readonly listener: TListener;
  /** The app's version under this id: 1 on load, +1 on every successful reload. */
  readonly version: number;
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
export interface App<TClient = Client, TListener = EventListener> {
  readonly name?: string;
  readonly on: AppCallbacks;
  /**
   * Also receive CHANNEL_PARK of inbound legs that no app owns (no `fsdev_app_id`), as a Router
   * does. When several loaded apps ask for this, the one loaded first gets them.
   */
  readonly inbound?: boolean;
  /** Runs before the app receives anything; a throw or rejection fails the load (or reload). */
  setup?(context: AppContext<TClient, TListener>): unknown;
  /** Runs on unload, and for a replaced version once its last call ended. */
  teardown?(context: AppContext<TClient, TListener>): unknown;
}

/** Identity helper that gives an app literal its types. */
export function defineApp<T extends App>(app: T): T {
  return app;
}

/** A callback (or setup / teardown) failure, with enough context to find it. */
export interface AppError {
  appId: string;
  /** The event whose callback failed, or `setup`, `teardown`, `reload`. */
  eventName: string;
  /** The session, or `''` for setup / teardown / reload. */
  sessionUuid: string;
  /** The app version that failed. */
  version: number;
  error: Error;
  at: number;
}

/** One version of an app that is still live: the current one, or an older one finishing its calls. */
export interface AppVersionInfo {
  readonly version: number;
  readonly loadedAt: number;
  /** Calls pinned to this version that have not ended yet. */
  readonly liveCalls: number;
  /** Callbacks of this version still running (an awaited flow counts until it settles). */
  readonly running: number;
  readonly current: boolean;
}

/** An app as loaded under one id, with what it has done (over all its versions). */
export interface LoadedApp {
  readonly id: string;
  /** The current version's name (or the id). */
  readonly name: string;
  /** The current version. */
  readonly app: App;
  /** 1 on load, +1 on every successful reload. */
  readonly version: number;
  /** When the current version was loaded (ms since the epoch). */
  readonly loadedAt: number;
  /** Event names the current version has callbacks for. */
  readonly callbacks: readonly ChannelEventName[];
  /** Callbacks started, per event name, over all versions. */
  readonly runs: Map<string, number>;
  /** Calls whose events reached it (keys: call uuids). */
  readonly calls: Set<string>;
  /** Number of calls whose events reached it (same as `calls.size`). */
  readonly callsHandled: number;
  /** Callback failures over all versions. */
  readonly errors: number;
  /** The latest failure: a callback, a setup or teardown, or a reload that was refused. */
  readonly lastError: AppError | undefined;
  /** Live versions: the current one first, then older ones still finishing calls. */
  readonly versions: readonly AppVersionInfo[];
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
