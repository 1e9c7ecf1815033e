/**
 * The log lines a session writes on its way through the core state machine and mod_loopback,
 * as FreeSWITCH 1.10.12 writes them at DEBUG (captures 08 and 20): file, function, line, level and
 * text channel as captured. Each function writes the lines of one step of one session in their
 * order; the lines of different sessions interleave by thread scheduling in a real switch, and a
 * client reads them from a queue apart from the events (see the conformance test).
 */
import type { ChannelState, SimChannel } from './channel';
import type { SimSwitch } from './switchCore';

/** Where a line is logged from: `Log-File`, `Log-Func`, `Log-Line`. */
export interface LogSite {
  readonly file: string;
  readonly func: string;
  readonly line: number;
}

const SM = 'switch_core_state_machine.c';
const RUN = { file: SM, func: 'switch_core_session_run' };

/** Sites of the lines that say who changed a state or hung a channel up. */
export const LOG_SITES = {
  /** mod_loopback's outgoing channel: CS_NEW -> CS_INIT of the a-leg. */
  loopbackOutgoing: { file: 'mod_loopback.c', func: 'channel_outgoing_channel', line: 1262 },
  /** mod_loopback's channel_on_init: CS_NEW -> CS_INIT of the b-leg. */
  loopbackInitB: { file: 'mod_loopback.c', func: 'channel_on_init', line: 288 },
  /** mod_loopback's channel_on_init: CS_INIT -> CS_ROUTING of both legs. */
  loopbackInit: { file: 'mod_loopback.c', func: 'channel_on_init', line: 380 },
  /** mod_loopback's channel_on_routing of a leg that runs an app (`loopback/app=…`): CS_ROUTING -> CS_EXECUTE. */
  loopbackRouting: { file: 'mod_loopback.c', func: 'channel_on_routing', line: 431 },
  /** switch_ivr_originate's originate_on_routing: the outbound leg waits in CS_CONSUME_MEDIA. */
  originateRouting: { file: 'switch_ivr_originate.c', func: 'originate_on_routing', line: 67 },
  /** switch_core_standard_on_routing after the dialplan: CS_ROUTING -> CS_EXECUTE. */
  standardRouting: { file: SM, func: 'switch_core_standard_on_routing', line: 281 },
  /** mod_commands' originate_function: the originated leg runs its `&app`. */
  originateFunction: { file: 'mod_commands.c', func: 'originate_function', line: 5164 },
  /** `Hangup …` by uuid_kill. */
  killUuid: { file: 'switch_ivr.c', func: 'switch_ivr_kill_uuid', line: 4412 },
  /** `Hangup …` of the loopback partner by mod_loopback's channel_on_hangup. */
  loopbackPartner: { file: 'mod_loopback.c', func: 'channel_on_hangup', line: 585 },
  /** `Hangup …` when the extension ran out of applications. */
  lastInstruction: { file: SM, func: 'switch_core_standard_on_execute', line: 384 },
  /** `Hangup …` after an unknown application. */
  invalidApplication: { file: 'switch_core_session.c', func: 'switch_core_session_execute_application_get_flags', line: 2767 },
  /** Invented sites (no capture shows them): hupall, the hangup app, sendmsg hangup, uuid_bridge teardown. */
  hupall: { file: 'switch_core_session.c', func: 'switch_core_session_hupall', line: 2125 },
  hangupApp: { file: 'mod_dptools.c', func: 'hangup_function', line: 1437 },
  /** Deferred AUDIO_SYNC messages a hung-up channel skips, by who queued them (capture 20). */
  sleepSync: { file: 'switch_ivr.c', func: 'switch_ivr_sleep', line: 217 },
  bridgeSync: { file: 'switch_ivr_bridge.c', func: 'switch_ivr_multi_threaded_bridge', line: 1645 },
  preAnswerSync: { file: 'switch_channel.c', func: 'switch_channel_perform_pre_answer', line: 3624 },
  originateSync: { file: 'switch_ivr_originate.c', func: 'switch_ivr_originate', line: 4246 },
} satisfies Record<string, LogSite>;

/** `State X` / `State X going to sleep`: the handler of each running state (switch_core_state_machine.c). */
const HANDLERS: Partial<Record<ChannelState, LogSite>> = {
  CS_INIT: { ...RUN, line: 624 },
  CS_ROUTING: { ...RUN, line: 640 },
  CS_EXECUTE: { ...RUN, line: 647 },
  CS_CONSUME_MEDIA: { ...RUN, line: 659 },
  CS_HANGUP: { file: SM, func: 'switch_core_session_hangup_state', line: 846 },
  CS_REPORTING: { file: SM, func: 'switch_core_session_reporting_state', line: 932 },
  CS_DESTROY: { file: SM, func: 'switch_core_session_destroy_state', line: 745 },
};

function put(sw: SimSwitch, level: number, site: LogSite, ch: SimChannel | undefined, message: string, textChannel: number): void {
  sw.log(level, site.file, site.func, site.line, ch, message, textChannel);
}

const short = (state: ChannelState): string => state.slice(3);

/** `switch_core_session_count` and the session id counter, for `(Cur n Tot m)`. */
function counts(sw: SimSwitch): string {
  return `(Cur ${sw.channels.size} Tot ${sw.sessionsSinceStartup})`;
}

/** `New Channel <name> [uuid]` and mod_loopback's `setup codec`, under the name it was dialled as. */
export function newChannel(sw: SimSwitch, ch: SimChannel, dialledName: string): void {
  put(sw, 5, { file: 'switch_channel.c', func: 'switch_channel_set_name', line: 1142 }, ch, `New Channel ${dialledName} [${ch.uuid}]`, 3);
  put(sw, 7, { file: 'mod_loopback.c', func: 'tech_init', line: 166 }, ch, `${dialledName} setup codec L16/8000/20`, 3);
}

/** `setting loopback_from_uuid to <uuid>`: an a-leg dialled by another session (bridge). */
export function loopbackFrom(sw: SimSwitch, ch: SimChannel, fromUuid: string): void {
  put(sw, 7, { file: 'mod_loopback.c', func: 'channel_outgoing_channel', line: 1191 }, ch, `setting loopback_from_uuid to ${fromUuid}`, 3);
}

/** mod_loopback names the a-leg after its destination: `Rename Channel <dialled>-><name> [uuid]`. */
export function renamed(sw: SimSwitch, ch: SimChannel, dialledName: string): void {
  put(sw, 5, { file: 'switch_channel.c', func: 'switch_channel_set_name', line: 1140 }, ch, `Rename Channel ${dialledName}->${ch.name} [${ch.uuid}]`, 3);
}

/** `set UUID=<uuid>`: origination_uuid replaced the a-leg's uuid (capture 08). */
export function uuidSet(sw: SimSwitch, ch: SimChannel): void {
  put(sw, 7, { file: 'switch_core_session.c', func: 'switch_core_session_outgoing_channel', line: 641 }, ch, `${ch.name} set UUID=${ch.uuid}`, 3);
}

/** mod_loopback's b-leg: `setting other_loopback_from_uuid on b leg to <uuid|(null)>`. */
export function otherLoopbackFrom(sw: SimSwitch, ch: SimChannel, fromUuid: string | undefined): void {
  put(sw, 7, { file: 'mod_loopback.c', func: 'channel_on_init', line: 356 }, ch, `setting other_loopback_from_uuid on b leg to ${fromUuid ?? '(null)'}`, 3);
}

/** `(name) State Change A -> B` by whoever asked for the new state. */
export function stateChange(sw: SimSwitch, ch: SimChannel, from: ChannelState, to: ChannelState, site: LogSite): void {
  put(sw, 7, site, ch, `(${ch.name}) State Change ${from} -> ${to}`, 0);
}

/** `(name) Callstate Change A -> B`. */
export function callstateChange(sw: SimSwitch, ch: SimChannel, from: string, to: string, site: LogSite): void {
  put(sw, 7, site, ch, `(${ch.name}) Callstate Change ${from} -> ${to}`, 0);
}

/** switch_core_session_run enters a state: `Running State Change`, then its handler's `State X`. */
export function enterState(sw: SimSwitch, ch: SimChannel, state: ChannelState): void {
  if (state === 'CS_DESTROY') {
    put(sw, 7, { file: SM, func: 'switch_core_session_destroy_state', line: 735 }, ch, `(${ch.name}) Running State Change ${state} ${counts(sw)}`, 0);
  } else {
    put(sw, 7, { ...RUN, line: 581 }, ch, `(${ch.name}) Running State Change ${state} ${counts(sw)}`, 0);
  }
}

/** `(name) State X`: the state's handler starts. */
export function stateHandler(sw: SimSwitch, ch: SimChannel, state: ChannelState): void {
  const site = HANDLERS[state];
  if (site) put(sw, 7, site, ch, `(${ch.name}) State ${short(state)}`, 3);
}

/** `(name) State X going to sleep`: the state's handler returned. */
export function stateAsleep(sw: SimSwitch, ch: SimChannel, state: ChannelState): void {
  const site = HANDLERS[state];
  if (site) put(sw, 7, site, ch, `(${ch.name}) State ${short(state)} going to sleep`, 3);
}

const ENDPOINT_LINES: Partial<Record<ChannelState, LogSite>> = {
  CS_ROUTING: { file: 'mod_loopback.c', func: 'channel_on_routing', line: 412 },
  CS_EXECUTE: { file: 'mod_loopback.c', func: 'channel_on_execute', line: 454 },
  CS_HANGUP: { file: 'mod_loopback.c', func: 'channel_on_hangup', line: 569 },
};

/** mod_loopback's state handlers: `name CHANNEL ROUTING`, `CHANNEL CONSUME_MEDIA` (no name), … */
export function endpointHandler(sw: SimSwitch, ch: SimChannel, state: ChannelState): void {
  if (state === 'CS_CONSUME_MEDIA') {
    put(sw, 7, { file: 'mod_loopback.c', func: 'channel_on_consume_media', line: 681 }, ch, 'CHANNEL CONSUME_MEDIA', 3);
    return;
  }
  const site = ENDPOINT_LINES[state];
  if (site) put(sw, 7, site, ch, `${ch.name} CHANNEL ${short(state)}`, 3);
}

const STANDARD_LINES: Partial<Record<ChannelState, LogSite>> = {
  CS_ROUTING: { file: SM, func: 'switch_core_standard_on_routing', line: 230 },
  CS_EXECUTE: { file: SM, func: 'switch_core_standard_on_execute', line: 323 },
  CS_HANGUP: { file: SM, func: 'switch_core_standard_on_hangup', line: 59 },
  CS_REPORTING: { file: SM, func: 'switch_core_standard_on_reporting', line: 168 },
  CS_DESTROY: { file: SM, func: 'switch_core_standard_on_destroy', line: 175 },
};

/** The core's standard handler: `name Standard ROUTING`, `… Standard HANGUP, cause: X`. */
export function standardHandler(sw: SimSwitch, ch: SimChannel, state: ChannelState): void {
  const site = STANDARD_LINES[state];
  if (!site) return;
  const cause = state === 'CS_HANGUP' || state === 'CS_REPORTING' ? `, cause: ${ch.hangupCause ?? 'NORMAL_CLEARING'}` : '';
  put(sw, 7, site, ch, `${ch.name} Standard ${short(state)}${cause}`, 3);
}

/** A whole state the endpoint and core handle without anything else happening (INIT of a loopback leg…). */
export function passState(sw: SimSwitch, ch: SimChannel, state: ChannelState, next: ChannelState, site: LogSite): void {
  enterState(sw, ch, state);
  stateHandler(sw, ch, state);
  endpointHandler(sw, ch, state);
  stateChange(sw, ch, state, next, site);
  stateAsleep(sw, ch, state);
}

/** `Hangup <name> [<running state>] [<cause>]` by `site`, then mod_loopback's `CHANNEL KILL`. */
export function hangupLine(sw: SimSwitch, ch: SimChannel, cause: string, site: LogSite): void {
  put(sw, 5, site, ch, `Hangup ${ch.name} [${ch.runningState}] [${cause}]`, 0);
}

/** mod_loopback's kill_channel: `name CHANNEL KILL`. */
export function channelKill(sw: SimSwitch, ch: SimChannel): void {
  put(sw, 7, { file: 'mod_loopback.c', func: 'channel_kill_channel', line: 610 }, ch, `${ch.name} CHANNEL KILL`, 3);
}

/** A message that reaches a hung-up channel: `name skip receive message [X] (channel is hungup already)`. */
export function skippedMessage(sw: SimSwitch, ch: SimChannel, message: string, site: LogSite): void {
  put(sw, 7, site, ch, `${ch.name} skip receive message [${message}] (channel is hungup already)`, 0);
}

const EXEC_COMPLETE_SITE: LogSite = { file: 'switch_core_session.c', func: 'switch_core_session_exec', line: 2979 };

/** The running application ends because the channel hung up: its APPLICATION_EXEC_COMPLETE is skipped. */
export function appEndedByHangup(sw: SimSwitch, ch: SimChannel): void {
  skippedMessage(sw, ch, 'APPLICATION_EXEC_COMPLETE', EXEC_COMPLETE_SITE);
}

/**
 * AUDIO_SYNC messages applications queued on a channel (sleep, bridge, pre_answer, originate) and
 * that it only reads once it is hung up; each is then logged as skipped (capture 20).
 */
const pendingSync = new WeakMap<SimChannel, LogSite[]>();

/** Queues an AUDIO_SYNC message on `ch` (see pendingSync). */
export function queueAudioSync(ch: SimChannel, site: LogSite): void {
  const list = pendingSync.get(ch) ?? [];
  list.push(site);
  pendingSync.set(ch, list);
}

/** Logs the queued AUDIO_SYNC messages as skipped. */
export function skipAudioSync(sw: SimSwitch, ch: SimChannel): void {
  for (const site of pendingSync.get(ch) ?? []) skippedMessage(sw, ch, 'AUDIO_SYNC', site);
  pendingSync.delete(ch);
}

/** `Session N (name) Locked, Waiting on external entities`: the session thread before destroying. */
export function sessionLocked(sw: SimSwitch, ch: SimChannel): void {
  put(sw, 7, { file: 'switch_core_session.c', func: 'switch_core_session_thread', line: 1744 }, ch, `Session ${ch.sessionId} (${ch.name}) Locked, Waiting on external entities`, 3);
}

/** `Session N (name) Ended`, `Close Channel name [CS_DESTROY]`. */
export function sessionEnded(sw: SimSwitch, ch: SimChannel): void {
  put(sw, 5, { file: 'switch_core_session.c', func: 'switch_core_session_thread', line: 1762 }, ch, `Session ${ch.sessionId} (${ch.name}) Ended`, 3);
  put(sw, 5, { file: 'switch_core_session.c', func: 'switch_core_session_thread', line: 1766 }, ch, `Close Channel ${ch.name} [CS_DESTROY]`, 0);
}

/** CS_DESTROY: `Running State Change CS_DESTROY`, `State DESTROY`, `Standard DESTROY`, `… going to sleep`. */
export function destroyState(sw: SimSwitch, ch: SimChannel): void {
  enterState(sw, ch, 'CS_DESTROY');
  stateHandler(sw, ch, 'CS_DESTROY');
  standardHandler(sw, ch, 'CS_DESTROY');
  stateAsleep(sw, ch, 'CS_DESTROY');
}
