/**
 * The mod_dptools applications the vanilla `Local_Extension` runs (capture 20): export,
 * bind_meta_app, hash and bridge, with their log lines and variables. bridge knows two kinds of
 * target: `user/<id>@<domain>`, which fails as the recording machine's did (no phone is
 * registered: USER_NOT_REGISTERED), and `loopback/app=<app>[:<arg>]` with an application the
 * switch lacks (voicemail), which pre-answers, fails with DESTINATION_OUT_OF_ORDER and ends in
 * `Bridge Failed`. Other targets fail at once with CHAN_NOT_IMPLEMENTED (invented: the test server
 * bridges nothing; uuid_bridge is the way to join two calls).
 */
import type { SimChannel } from './channel';
import { nowUs } from './clock';
import { isTrue } from './dialplan';
import type { SimSwitch } from './switchCore';
import { LOG_SITES, callstateChange, queueAudioSync, type LogSite } from './sessionLog';
import { userData } from './xmlRegistry';

const ORIGINATE = 'switch_ivr_originate.c';

/** The switch's own cause codes where they differ from Q.850 (switch_types.h). */
const CAUSE_CODES: Readonly<Record<string, number>> = {
  USER_NOT_REGISTERED: 806, SUBSCRIBER_ABSENT: 20, CHAN_NOT_IMPLEMENTED: 66, DESTINATION_OUT_OF_ORDER: 27,
  NO_ROUTE_DESTINATION: 3, USER_BUSY: 17, NO_ANSWER: 19, NORMAL_CLEARING: 16,
};

function put(sw: SimSwitch, level: number, site: LogSite, ch: SimChannel | undefined, message: string, textChannel = 3): void {
  sw.log(level, site.file, site.func, site.line, ch, message, textChannel);
}

/**
 * `export <var>=<value>` (switch_channel_export_variable_var_check): sets the variable and adds
 * its name to `export_vars`, which originates from this channel copy to the new leg.
 */
export function exportVariable(sw: SimSwitch, ch: SimChannel, data: string): void {
  const eq = data.indexOf('=');
  let name = eq < 0 ? data : data.slice(0, eq);
  const value = eq < 0 ? undefined : data.slice(eq + 1) || undefined;
  let local = true;
  if (/^nolocal:/i.test(name)) {
    name = name.slice(8);
    local = false;
  }
  put(sw, 7, { file: 'switch_channel.c', func: 'switch_channel_export_variable_var_check', line: 1334 }, ch, `EXPORT (export_vars) ${local ? '' : '(REMOTE ONLY) '}[${name}]=[${value ?? 'UNDEF'}]`);
  if (local) ch.vars.set(name, value);
  const exports = ch.vars.get('export_vars');
  const names = exports ? exports.split(',') : [];
  if (!names.includes(name)) ch.vars.set('export_vars', [...names, name].join(','));
}

/** The variables `export_vars` names, as an originate from this channel hands them to the new leg. */
export function exportedVariables(ch: SimChannel): [string, string][] {
  const out: [string, string][] = [];
  for (const name of (ch.vars.get('export_vars') ?? '').split(',')) {
    const value = name ? ch.vars.get(name) : undefined;
    if (value !== undefined) out.push([name, value]);
  }
  return out;
}

/** switch_channel_process_export: `<name> EXPORTING[export_vars] [var]=[value] to event` for each. */
function logExports(sw: SimSwitch, ch: SimChannel): void {
  for (const [name, value] of exportedVariables(ch)) {
    put(sw, 7, { file: 'switch_channel.c', func: 'switch_channel_process_export', line: 1288 }, ch, `${ch.name} EXPORTING[export_vars] [${name}]=[${value}] to event`);
  }
}

/** `bind_meta_app <key> <a|b|ab> <flags> <app>`: `Bound B-Leg: *1 <app>` (no DTMF is simulated beyond). */
export function bindMetaApp(sw: SimSwitch, ch: SimChannel, data: string): void {
  const [key = '', legs = '', , ...app] = data.split(' ');
  const site: LogSite = { file: 'switch_ivr_async.c', func: 'switch_ivr_bind_dtmf_meta_session', line: 4782 };
  if (legs.includes('a')) put(sw, 6, { ...site, line: 4774 }, ch, `Bound A-Leg: *${key} ${app.join(' ')}`);
  if (legs.includes('b')) put(sw, 6, site, ch, `Bound B-Leg: *${key} ${app.join(' ')}`);
}

/** `hash insert|delete/<realm>/<key>[/<value>]` (mod_hash): the switch-wide table `${hash(select/…)}` reads. */
export function hash(sw: SimSwitch, data: string): void {
  const [verb, realm, key, ...value] = data.split('/');
  if (!realm || key === undefined) return;
  if (verb === 'insert') sw.globals.hash.set(`${realm}/${key}`, value.join('/'));
  else if (verb === 'delete') sw.globals.hash.delete(`${realm}/${key}`);
}

/** `Originate Resulted in Error Cause: <code> [<CAUSE>]` after `Cannot create outgoing channel…`. */
function cannotCreate(sw: SimSwitch, ch: SimChannel, type: string, cause: string): void {
  put(sw, 5, { file: ORIGINATE, func: 'switch_ivr_originate', line: 3059 }, ch, `Cannot create outgoing channel of type [${type}] cause: [${cause}]`);
  put(sw, 7, { file: ORIGINATE, func: 'switch_ivr_originate', line: 4056 }, ch, `Originate Resulted in Error Cause: ${CAUSE_CODES[cause] ?? 0} [${cause}]`);
}

/** switch_ivr_originate's `Parsing global variables`, preceded by what the caller exports to the new leg. */
function originateStart(sw: SimSwitch, ch: SimChannel): void {
  logExports(sw, ch);
  put(sw, 7, { file: ORIGINATE, func: 'switch_ivr_originate', line: 2301 }, ch, 'Parsing global variables');
}

/**
 * A failed bridge (audio_bridge_function): `Originate Failed.  Cause: X`, originate_failed_cause,
 * then switch_channel_handle_cause: with continue_on_fail (true, or a list holding the cause) the
 * dialplan goes on; otherwise the channel hangs up with that cause.
 */
function bridgeFailed(sw: SimSwitch, ch: SimChannel, cause: string): 'done' | 'hangup' {
  ch.vars.set('originate_disposition', cause);
  ch.vars.set('DIALSTATUS', cause);
  put(sw, 6, { file: 'mod_dptools.c', func: 'audio_bridge_function', line: 3635 }, ch, `Originate Failed.  Cause: ${cause}`);
  ch.vars.set('originate_failed_cause', cause);
  const onFail = ch.vars.get('continue_on_fail');
  const code = String(CAUSE_CODES[cause] ?? '');
  if (isTrue(onFail) || (onFail ?? '').split(',').some((c) => c === cause || c === code)) return 'done';
  sw.calls.hangup(ch, cause, { file: 'switch_channel.c', func: 'switch_channel_handle_cause', line: 3209 });
  return 'hangup';
}

/**
 * Why `user/<id>@<domain>` cannot be dialled here: USER_NOT_REGISTERED for a directory user (no
 * phone registers with the test server; capture 20), SUBSCRIBER_ABSENT for anyone else.
 */
export function userEndpointCause(sw: SimSwitch, who: string): 'USER_NOT_REGISTERED' | 'SUBSCRIBER_ABSENT' {
  const [user = '', domain = sw.globals.get('domain') ?? ''] = who.split('@');
  return userData(user, domain, 'attr', 'id') ? 'USER_NOT_REGISTERED' : 'SUBSCRIBER_ABSENT';
}

/** The first target of a dial string: `{…}` stripped, up to `,` or `|`. */
function firstTarget(data: string): string {
  let s = data.trim();
  while (/^[{<[]/.test(s)) {
    const close = { '{': '}', '<': '>', '[': ']' }[s[0] as '{' | '<' | '[']!;
    const end = s.indexOf(close);
    if (end < 0) break;
    s = s.slice(end + 1);
  }
  return s.split(/[,|]/)[0]!.trim();
}

/** `bridge <dial string>`: see the module comment. Resolves how the app ended. */
export async function bridge(sw: SimSwitch, ch: SimChannel, data: string, knownApp: (name: string) => boolean): Promise<'done' | 'hangup'> {
  const target = firstTarget(data);
  const slash = target.indexOf('/');
  const type = slash < 0 ? target : target.slice(0, slash);
  const rest = slash < 0 ? '' : target.slice(slash + 1);
  if (type === 'user') return bridgeUser(sw, ch, rest);
  const app = /^app=([^:]*)(?::(.*))?$/.exec(rest);
  if (type === 'loopback' && app && !knownApp(app[1]!)) return bridgeLoopbackApp(sw, ch, target);
  originateStart(sw, ch);
  const cause = type === 'error' ? rest.toUpperCase() : 'CHAN_NOT_IMPLEMENTED';
  cannotCreate(sw, ch, type, cause);
  return bridgeFailed(sw, ch, cause);
}

/**
 * `user/<id>@<domain>`: mod_dptools' user endpoint sets dialed_user/dialed_domain and dials the
 * user's dial-string, whose `${sofia_contact(…)}` is `error/user_not_registered` with no
 * registration; an unknown user is SUBSCRIBER_ABSENT.
 */
async function bridgeUser(sw: SimSwitch, ch: SimChannel, who: string): Promise<'done' | 'hangup'> {
  const [user = '', domain = sw.globals.get('domain') ?? ''] = who.split('@');
  originateStart(sw, ch);
  await sw.step();
  if (userEndpointCause(sw, who) === 'SUBSCRIBER_ABSENT') {
    put(sw, 4, { file: 'mod_dptools.c', func: 'user_outgoing_channel', line: 3769 }, ch, `Can't find user [${user}@${domain}]`);
    cannotCreate(sw, ch, 'user', 'SUBSCRIBER_ABSENT');
    return bridgeFailed(sw, ch, 'SUBSCRIBER_ABSENT');
  }
  ch.vars.set('dialed_user', user);
  ch.vars.set('dialed_domain', domain);
  originateStart(sw, ch);
  cannotCreate(sw, ch, 'error', 'USER_NOT_REGISTERED');
  cannotCreate(sw, ch, 'user', 'USER_NOT_REGISTERED');
  return bridgeFailed(sw, ch, 'USER_NOT_REGISTERED');
}

/**
 * `loopback/app=<missing app>[:<arg>]`: mod_loopback's legs; the b-leg pre-answers (early media
 * makes the originate succeed), then fails on the unknown application and hangs up
 * DESTINATION_OUT_OF_ORDER, taking the a-leg with it; the bridge then fails and the caller's
 * dialplan goes on (capture 20).
 */
async function bridgeLoopbackApp(sw: SimSwitch, ch: SimChannel, target: string): Promise<'done' | 'hangup'> {
  const ringFlag: LogSite = { file: 'switch_channel.c', func: 'switch_channel_set_flag_value', line: 1973 };
  const from = ch.callState;
  callstateChange(sw, ch, from, 'RING_WAIT', ringFlag);
  sw.setCallState(ch, 'RING_WAIT');
  originateStart(sw, ch);
  // mod_loopback pre-answers the caller (a no-op once answered, but the time is taken).
  if (!ch.times.progressMediaUs) ch.times.progressMediaUs = nowUs();
  // The originate hands the new legs export_vars and the variables it names (`{…}`).
  const exported = exportedVariables(ch);
  const vars = exported.length > 0 ? [['export_vars', ch.vars.get('export_vars') ?? ''], ...exported] : [];
  // Quoted: the dial string is one argument, spaces and all (`&park` is not run for a bridge).
  const outcome = await sw.calls.originate(`'{${vars.map(([k, v]) => `${k}=${v}`).join(',')}}${target}' &park`, { from: ch, noLimits: true });
  callstateChange(sw, ch, 'RING_WAIT', from, { file: 'switch_channel.c', func: 'switch_channel_clear_flag', line: 2197 });
  sw.setCallState(ch, from);
  const ok = /^\+OK (\S+)/.exec(outcome.reply);
  const peer = ok ? sw.channels.get(ok[1]!) : undefined;
  if (!peer) return bridgeFailed(sw, ch, outcome.reply.replace(/^-ERR /, '').trim() || 'DESTINATION_OUT_OF_ORDER');
  ch.vars.set('current_application', 'bridge');
  ch.vars.set('originated_legs', `${peer.uuid};${peer.profile?.calleeIdName ?? ''};${peer.profile?.calleeIdNumber ?? ''}`);
  ch.vars.set('originate_disposition', 'SUCCESS');
  ch.vars.set('DIALSTATUS', 'SUCCESS');
  ch.vars.set('originate_causes', `${peer.uuid};NONE`);
  queueAudioSync(peer, LOG_SITES.originateSync);
  // switch_ivr_multi_threaded_bridge: the legs know each other, then the far one is gone.
  ch.vars.set('signal_bond', peer.uuid);
  ch.times.bridgedUs = nowUs();
  if (ch.profile && peer.profile) {
    ch.profile = { ...ch.profile, calleeIdName: peer.profile.calleeIdName, calleeIdNumber: peer.profile.calleeIdNumber };
    ch.otherType = 'originatee';
    ch.otherLeg = { ...peer.profile, profileIndex: undefined, transferSource: '' };
  }
  // The far leg ends (its application is missing); the bridge returns once it is gone.
  while (!peer.destroyed && !ch.isDown) await sw.step();
  put(sw, 4, { file: 'switch_ivr_bridge.c', func: 'switch_ivr_multi_threaded_bridge', line: 1869 }, ch, `Bridge Failed ${ch.name}->${peer.name}`);
  queueAudioSync(ch, LOG_SITES.bridgeSync);
  ch.vars.set('last_bridge_hangup_cause', peer.hangupCause ?? 'NORMAL_CLEARING');
  ch.vars.set('last_bridge_role', 'originator');
  return ch.isDown ? 'hangup' : 'done';
}
