/**
 * The event model of the test ESL server: an ordered header list, as FreeSWITCH's `switch_event_t`
 * keeps it. Order matters (clients and the conformance test see it on the wire) and duplicates are
 * legal: real CODEC events carry `Channel-Write-Codec-Name` twice.
 */

/**
 * A header value. A Buffer carries raw bytes, so a test can put invalid UTF-8 on the wire the way
 * FreeSWITCH would pass through a Latin-1 caller name.
 */
export type HeaderValue = string | Buffer;

/** One header, in wire order. */
export type Header = readonly [name: string, value: HeaderValue];

/** A FreeSWITCH event as the server delivers it to subscribed connections. */
export interface EslEvent {
  /** `Event-Name`, e.g. `CHANNEL_CREATE`, or `CUSTOM`. */
  readonly name: string;
  /** `Event-Subclass` of a CUSTOM event. */
  readonly subclass: string | undefined;
  /** Every header, starting with `Event-Name`, in the order FreeSWITCH adds them. */
  readonly headers: readonly Header[];
  /** The event body (BACKGROUND_JOB's result), if any. */
  readonly body: string | undefined;
  /** Write plain values as they are instead of URL-encoding them (malformed-input tests only). */
  readonly rawPlainValues?: boolean;
}

/** The text of a header value (raw bytes are read as UTF-8, lossily). */
export function valueText(value: HeaderValue): string {
  return typeof value === 'string' ? value : value.toString('utf8');
}

/** First header of that name, case-insensitively, as `switch_event_get_header` finds it. */
export function headerValue(headers: readonly Header[], name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [n, v] of headers) if (n.toLowerCase() === lower) return valueText(v);
  return undefined;
}

/**
 * Event names FreeSWITCH 1.10 knows (`switch_event_names`), in its order. `event` and `nixevent`
 * ignore unknown words, exactly as `switch_name_event` fails on them.
 */
export const EVENT_NAMES: readonly string[] = [
  'CUSTOM', 'CLONE', 'CHANNEL_CREATE', 'CHANNEL_DESTROY', 'CHANNEL_STATE', 'CHANNEL_CALLSTATE', 'CHANNEL_ANSWER',
  'CHANNEL_HANGUP', 'CHANNEL_HANGUP_COMPLETE', 'CHANNEL_EXECUTE', 'CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_HOLD',
  'CHANNEL_UNHOLD', 'CHANNEL_BRIDGE', 'CHANNEL_UNBRIDGE', 'CHANNEL_PROGRESS', 'CHANNEL_PROGRESS_MEDIA',
  'CHANNEL_OUTGOING', 'CHANNEL_PARK', 'CHANNEL_UNPARK', 'CHANNEL_APPLICATION', 'CHANNEL_ORIGINATE', 'CHANNEL_UUID',
  'API', 'LOG', 'INBOUND_CHAN', 'OUTBOUND_CHAN', 'STARTUP', 'SHUTDOWN', 'PUBLISH', 'UNPUBLISH', 'TALK', 'NOTALK',
  'SESSION_CRASH', 'MODULE_LOAD', 'MODULE_UNLOAD', 'DTMF', 'MESSAGE', 'PRESENCE_IN', 'NOTIFY_IN', 'PRESENCE_OUT',
  'PRESENCE_PROBE', 'MESSAGE_WAITING', 'MESSAGE_QUERY', 'ROSTER', 'CODEC', 'BACKGROUND_JOB', 'DETECTED_SPEECH',
  'DETECTED_TONE', 'PRIVATE_COMMAND', 'HEARTBEAT', 'TRAP', 'ADD_SCHEDULE', 'DEL_SCHEDULE', 'EXE_SCHEDULE',
  'RE_SCHEDULE', 'RELOADXML', 'NOTIFY', 'PHONE_FEATURE', 'PHONE_FEATURE_SUBSCRIBE', 'SEND_MESSAGE', 'RECV_MESSAGE',
  'REQUEST_PARAMS', 'CHANNEL_DATA', 'GENERAL', 'COMMAND', 'SESSION_HEARTBEAT', 'CLIENT_DISCONNECTED',
  'SERVER_DISCONNECTED', 'SEND_INFO', 'RECV_INFO', 'RECV_RTCP_MESSAGE', 'SEND_RTCP_MESSAGE', 'CALL_SECURE', 'NAT',
  'RECORD_START', 'RECORD_STOP', 'PLAYBACK_START', 'PLAYBACK_STOP', 'CALL_UPDATE', 'FAILURE', 'SOCKET_DATA',
  'MEDIA_BUG_START', 'MEDIA_BUG_STOP', 'CONFERENCE_DATA_QUERY', 'CONFERENCE_DATA', 'CALL_SETUP_REQ',
  'CALL_SETUP_RESULT', 'CALL_DETAIL', 'DEVICE_STATE', 'TEXT', 'SHUTDOWN_REQUESTED', 'ALL',
];

const EVENT_NAME_SET = new Set(EVENT_NAMES);

/**
 * The canonical name for a subscription word, or undefined. Like `switch_name_event`: case-insensitive,
 * and a `SWITCH_EVENT_` prefix is accepted.
 */
export function canonicalEventName(word: string): string | undefined {
  let upper = word.toUpperCase();
  if (upper.length > 13 && upper.startsWith('SWITCH_EVENT_')) upper = upper.slice(13);
  return EVENT_NAME_SET.has(upper) ? upper : undefined;
}

/**
 * Events whose channel data includes every `variable_*`: the list in
 * `switch_channel_event_set_extended_data`. Other channel events (CHANNEL_STATE, CALLSTATE, CODEC,
 * OUTGOING, DTMF…) carry only the basic channel headers, as the captures show.
 */
export const VERBOSE_EVENTS: ReadonlySet<string> = new Set([
  'CHANNEL_CREATE', 'CHANNEL_ORIGINATE', 'CHANNEL_UUID', 'CHANNEL_ANSWER', 'CHANNEL_PARK', 'CHANNEL_UNPARK',
  'CHANNEL_BRIDGE', 'CHANNEL_UNBRIDGE', 'CHANNEL_PROGRESS', 'CHANNEL_PROGRESS_MEDIA', 'CHANNEL_HANGUP',
  'CHANNEL_HANGUP_COMPLETE', 'REQUEST_PARAMS', 'CHANNEL_DATA', 'CHANNEL_EXECUTE', 'CHANNEL_EXECUTE_COMPLETE',
  'CHANNEL_DESTROY', 'SESSION_HEARTBEAT', 'API', 'RECORD_START', 'RECORD_STOP', 'PLAYBACK_START', 'PLAYBACK_STOP',
  'CALL_UPDATE', 'MEDIA_BUG_START', 'MEDIA_BUG_STOP', 'CUSTOM',
]);

/** Where FreeSWITCH fires an event from: the `Event-Calling-*` headers. */
export interface CallSite {
  readonly file: string;
  readonly func: string;
  readonly line: number;
}

/**
 * Calling sites, taken from the captures (FreeSWITCH 1.10.12) unless marked invented. They show up
 * as `Event-Calling-File/-Function/-Line-Number` and some clients log them.
 */
export const SITES = {
  api: { file: 'switch_loadable_module.c', func: 'switch_api_execute', line: 2954 },
  backgroundJob: { file: 'mod_event_socket.c', func: 'api_exec', line: 1572 },
  callUpdate: { file: 'switch_channel.c', func: 'switch_channel_flip_cid', line: 3277 },
  answer: { file: 'switch_channel.c', func: 'switch_channel_perform_mark_answered', line: 3846 },
  bridge: { file: 'switch_ivr_bridge.c', func: 'switch_ivr_multi_threaded_bridge', line: 1689 },
  unbridge: { file: 'switch_ivr_bridge.c', func: 'switch_ivr_multi_threaded_bridge', line: 1879 },
  callState: { file: 'switch_channel.c', func: 'switch_channel_perform_set_callstate', line: 301 },
  create: { file: 'switch_core_state_machine.c', func: 'switch_core_session_run', line: 626 },
  originate: { file: 'switch_core_state_machine.c', func: 'switch_core_session_run', line: 632 },
  destroy: { file: 'switch_core_session.c', func: 'switch_core_session_perform_destroy', line: 1584 },
  execute: { file: 'switch_core_session.c', func: 'switch_core_session_exec', line: 2944 },
  executeComplete: { file: 'switch_core_session.c', func: 'switch_core_session_exec', line: 2967 },
  uuidBridgeA: { file: 'switch_ivr_bridge.c', func: 'uuid_bridge_on_soft_execute', line: 1236 },
  uuidBridgeB: { file: 'switch_ivr_bridge.c', func: 'uuid_bridge_on_soft_execute', line: 1243 },
  hangup: { file: 'switch_channel.c', func: 'switch_channel_perform_hangup', line: 3445 },
  hangupComplete: { file: 'switch_core_state_machine.c', func: 'switch_core_session_reporting_state', line: 943 },
  outgoing: { file: 'switch_core_session.c', func: 'switch_core_session_outgoing_channel', line: 768 },
  park: { file: 'switch_ivr.c', func: 'switch_ivr_park', line: 1002 },
  unpark: { file: 'switch_ivr.c', func: 'switch_ivr_park', line: 1213 },
  state: { file: 'switch_channel.c', func: 'switch_channel_perform_set_running_state', line: 2408 },
  uuid: { file: 'switch_core_session.c', func: 'switch_core_session_set_uuid', line: 2051 },
  readCodec: { file: 'switch_core_codec.c', func: 'switch_core_session_set_read_codec', line: 279 },
  writeCodec: { file: 'switch_core_codec.c', func: 'switch_core_session_set_write_codec', line: 450 },
  heartbeat: { file: 'switch_core.c', func: 'send_heartbeat', line: 95 },
  playbackStart: { file: 'switch_ivr_play_say.c', func: 'switch_ivr_play_file', line: 1646 },
  playbackStop: { file: 'switch_ivr_play_say.c', func: 'switch_ivr_play_file', line: 2020 },
  reSchedule: { file: 'switch_scheduler.c', func: 'switch_scheduler_execute', line: 73 },
  channelData: { file: 'mod_commands.c', func: 'uuid_dump_function', line: 6468 },
  dtmf: { file: 'switch_channel.c', func: 'switch_channel_dequeue_dtmf', line: 677 },
  recordStart: { file: 'switch_ivr_async.c', func: 'record_callback', line: 1481 },
  recordStop: { file: 'switch_ivr_async.c', func: 'send_record_stop_event', line: 1240 },
  // Invented line numbers (no capture has these events); file and function are FreeSWITCH's.
  sendEvent: { file: 'mod_event_socket.c', func: 'parse_command', line: 1972 },
  progress: { file: 'switch_channel.c', func: 'switch_channel_perform_mark_ring_ready_value', line: 3582 },
  progressMedia: { file: 'switch_channel.c', func: 'switch_channel_perform_mark_pre_answered', line: 3658 },
} satisfies Record<string, CallSite>;
