/**
 * What the editor knows about FreeSWITCH's configuration without a server: which elements go
 * where and their attributes, the caller-profile fields a condition can test, common channel
 * variables, the globals FreeSWITCH sets itself, and the applications of capture 19 plus a few
 * well-known ones from modules that machine did not load. Pure data (no vscode).
 */
import { CAPTURED_APPLICATIONS } from './data/capturedApplications';

/** One row of `show application as json`. */
export interface ApplicationInfo {
  readonly name: string;
  readonly description: string;
  readonly syntax: string;
  /** The module that provides it (`ikey`), e.g. `mod_dptools`. */
  readonly module: string;
}

/**
 * Applications of modules the capture's machine did not load, from FreeSWITCH 1.10.12's
 * SWITCH_ADD_APP calls (short description and syntax as `show application` prints them).
 */
const MORE_APPLICATIONS: readonly ApplicationInfo[] = [
  { name: 'voicemail', description: 'Voicemail', syntax: '[check] [auth] <profile_name> <domain_name> [<id>] [uuid]', module: 'mod_voicemail' },
  { name: 'conference', description: 'conference', syntax: '<confname>[@<profile>][+<pin>][+flags{mute|deaf|moderator…}]', module: 'mod_conference' },
  { name: 'lua', description: 'Launch LUA ivr', syntax: '<script>', module: 'mod_lua' },
  { name: 'javascript', description: 'Launch JS ivr', syntax: '<script> [additional_vars [...]]', module: 'mod_v8' },
  {
    name: 'fifo',
    description: 'Park with FIFO',
    syntax: '<fifo name>[!<importance_number>] [in [<announce file>|undef] [<music file>|undef] [early|noans] | out [wait|nowait] [<announce file>|undef] [<music file>|undef]]',
    module: 'mod_fifo',
  },
  { name: 'valet_park', description: 'valet_park', syntax: '<lotname> <extension>|[ask [<min>] [<max>] [<to>] [<prompt>]|auto [in|out] [min] [max]]', module: 'mod_valet_parking' },
  { name: 'callcenter', description: 'CallCenter', syntax: 'queue_name', module: 'mod_callcenter' },
  { name: 'rxfax', description: 'FAX Receive Application', syntax: '<filename>', module: 'mod_spandsp' },
  { name: 'txfax', description: 'FAX Transmit Application', syntax: '<filename>', module: 'mod_spandsp' },
  { name: 'directory', description: 'directory', syntax: '<profile_name> <domain_name> [<context_name>] | [<dialplan_name> <context_name>]', module: 'mod_directory' },
  { name: 'lcr', description: 'Perform an LCR lookup', syntax: '<number>', module: 'mod_lcr' },
  { name: 'curl', description: 'Perform a http request', syntax: '<url> [headers|json|content-type <mime-type>|connect-timeout <seconds>|timeout <seconds>] [get|head|post|delete|put [data]]', module: 'mod_curl' },
  { name: 'httapi', description: 'HT-TAPI Hypertext Telephony API', syntax: '{<param1>=<val1>}', module: 'mod_httapi' },
  { name: 'avmd', description: 'Beep detection', syntax: '<uuid> < start | stop | set [inbound|outbound|default] | load [inbound|outbound] | reload | show >', module: 'mod_avmd' },
];

let standard: Map<string, ApplicationInfo> | undefined;

/** The shipped applications by name: capture 19's 146, then the few above. */
export function standardApplications(): ReadonlyMap<string, ApplicationInfo> {
  if (!standard) {
    standard = new Map(CAPTURED_APPLICATIONS.map(([name, description, syntax, module]) => [name, { name, description, syntax, module }]));
    for (const app of MORE_APPLICATIONS) if (!standard.has(app.name)) standard.set(app.name, app);
  }
  return standard;
}

/** Parses `show application as json` (capture 19); rows without a name are skipped. Never throws. */
export function parseApplicationList(json: string): ApplicationInfo[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object') return undefined;
  const rows = (parsed as { rows?: unknown }).rows;
  if (rows === undefined && (parsed as { row_count?: unknown }).row_count === 0) return [];
  if (!Array.isArray(rows)) return undefined;
  const out: ApplicationInfo[] = [];
  for (const row of rows) {
    if (!row || typeof row !== 'object') continue;
    const r = row as Record<string, unknown>;
    if (typeof r.name !== 'string' || !r.name) continue;
    const str = (v: unknown): string => (typeof v === 'string' ? v : '');
    out.push({ name: r.name, description: str(r.description), syntax: str(r.syntax), module: str(r.ikey) });
  }
  return out;
}

/** Caller-profile fields `switch_caller_get_field_by_name` knows (src/switch_caller.c). */
export const CALLER_FIELDS: Readonly<Record<string, string>> = {
  destination_number: 'The number dialled (what most extensions test).',
  caller_id_number: 'The caller ID number.',
  caller_id_name: 'The caller ID name.',
  ani: 'Automatic Number Identification: the calling number as the network presents it.',
  aniii: 'ANI II digits (the kind of line the call comes from).',
  rdnis: 'Redirected Dialled Number: the number a forwarded call was first meant for.',
  network_addr: 'The IP address the call came from.',
  username: 'The user name the caller authenticated as (directory user id).',
  dialplan: 'The dialplan module routing the call (XML).',
  context: 'The dialplan context being searched.',
  source: 'The module that created the channel (mod_sofia, mod_loopback …).',
  chan_name: 'The channel name (e.g. sofia/internal/1000@example.com).',
  uuid: "The channel's uuid.",
  callee_id_name: 'The callee ID name.',
  callee_id_number: 'The callee ID number.',
  orig_caller_id_name: 'The caller ID name as first received, before any change.',
  orig_caller_id_number: 'The caller ID number as first received, before any change.',
  transfer_source: 'What last transferred the call.',
  profile_index: 'The index of the caller profile (it grows with each transfer).',
  caller_ton: 'Type of number of the caller ID.',
  caller_numplan: 'Numbering plan of the caller ID.',
  destination_number_ton: 'Type of number of the destination.',
  destination_number_numplan: 'Numbering plan of the destination.',
  ani_ton: 'Type of number of the ANI.',
  ani_numplan: 'Numbering plan of the ANI.',
  rdnis_ton: 'Type of number of the RDNIS.',
};

/** Common channel variables and what they do. */
export const CHANNEL_VARIABLES: Readonly<Record<string, string>> = {
  uuid: "The channel's uuid.",
  call_uuid: "The uuid of the call this channel is part of (the a-leg's uuid).",
  direction: "The channel's direction: `inbound` (towards FreeSWITCH) or `outbound`.",
  caller_id_name: 'The caller ID name.',
  caller_id_number: 'The caller ID number.',
  destination_number: 'The number dialled.',
  effective_caller_id_name: 'Caller ID name sent on outgoing legs of this channel (bridge, originate).',
  effective_caller_id_number: 'Caller ID number sent on outgoing legs of this channel.',
  origination_caller_id_name: 'Caller ID name of an originated channel (set in the dial string).',
  origination_caller_id_number: 'Caller ID number of an originated channel (set in the dial string).',
  origination_uuid: 'The uuid an originated channel gets (set in the dial string).',
  outbound_caller_id_name: 'Caller ID name for outbound calls (vars.xml sets a default).',
  outbound_caller_id_number: 'Caller ID number for outbound calls.',
  domain_name: 'The domain of the user the call belongs to (directory).',
  user_name: 'The directory user of the call.',
  accountcode: 'Account code, for billing and CDRs.',
  user_context: 'The dialplan context of the directory user.',
  hangup_after_bridge: 'true: hang up the caller when the bridged leg hangs up, instead of going on with the dialplan.',
  park_after_bridge: 'true: park the caller when the bridge ends.',
  continue_on_fail: 'true (or a list of hangup causes): go on with the dialplan when a bridge fails.',
  call_timeout: 'Seconds a bridge or originate waits for an answer.',
  ringback: 'What the caller hears while the far end rings (tone, file or $${us-ring}).',
  transfer_ringback: 'What the caller hears while ringing after a transfer, once answered.',
  instant_ringback: 'true: play the ringback at once, before the far end sends early media.',
  ignore_early_media: 'true: do not pass the far end\'s early media; play ringback instead.',
  hold_music: 'What a held or parked caller hears.',
  bypass_media: 'true: media flows directly between the endpoints, not through FreeSWITCH.',
  proxy_media: 'true: FreeSWITCH relays RTP without touching it.',
  absolute_codec_string: 'The codecs offered, overriding everything else.',
  codec_string: 'The codecs offered on outbound legs.',
  playback_terminators: 'DTMF digits that stop a playback (default `*`; `none` for none).',
  playback_ms: 'Milliseconds played by the last playback.',
  read_terminator_used: 'The DTMF digit that ended the last read or play_and_get_digits.',
  sip_h_: 'Prefix: `sip_h_X-Name` adds the SIP header X-Name to outgoing INVITEs.',
  sip_from_user: 'The user part of the SIP From header.',
  sip_to_user: 'The user part of the SIP To header.',
  sip_req_user: 'The user part of the SIP request URI.',
  sip_call_id: 'The SIP Call-ID.',
  sip_looped_call: 'true when a SIP call came back to this FreeSWITCH.',
  sip_auth_username: 'The user name a SIP caller authenticated with.',
  sip_has_crypto: 'The SRTP crypto suite offered in the SDP, if any.',
  rtp_has_crypto: 'The SRTP crypto suite in use, if any.',
  rtp_secure_media: 'Whether SRTP is required, optional or forbidden.',
  unroll_loops: 'true: a call FreeSWITCH sends to itself is routed directly (the unloop extension).',
  call_debug: 'Set it to true to have the vanilla dialplan print info on each call.',
  dialed_extension: 'Set by the vanilla Local_Extension to the extension dialled.',
  called_party_callgroup: "The callgroup of the user being called (vanilla dialplan).",
  default_password: 'The password of the vanilla directory users (set it in vars.xml).',
  hangup_cause: 'Why the channel hung up (NORMAL_CLEARING, USER_BUSY …).',
  hangup_cause_q850: 'The Q.850 number of the hangup cause.',
  originate_disposition: 'The outcome of the last bridge or originate.',
  bridge_hangup_cause: 'Why the last bridged leg hung up.',
  last_bridge_hangup_cause: 'Why the last bridged leg hung up.',
  endpoint_disposition: 'What happened to the endpoint (ANSWER, EARLY MEDIA, DELAYED NEGOTIATION …).',
  current_application: 'The application running now.',
  current_application_data: 'The argument of the application running now.',
  current_application_response: 'What the last application answered.',
  answer_epoch: 'When the call was answered (seconds since 1970).',
  billsec: 'Seconds from answer to hangup.',
  duration: 'Seconds from creation to hangup.',
  record_waste_resources: 'true: send RTP even when recording silence.',
  RECORD_STEREO: 'true: record each leg on its own channel.',
  media_bug_answer_req: 'true: start a recording only once the call is answered.',
  execute_on_answer: 'An application to run when the channel is answered.',
  api_on_answer: 'An API command to run when the channel is answered.',
  execute_on_ring: 'An application to run when the channel rings.',
  export_vars: 'Comma-separated variables copied to the legs this channel creates.',
  tod_tz_offset: 'Time zone offset (hours) used by time-of-day conditions.',
  timezone: 'Time zone used by time-of-day conditions and strftime.',
  DP_MATCH: 'What the last condition with captures matched ($0 and the groups).',
  fsdev_app_id: 'FreeSWITCH Dev: the app that handles this call.',
  fsdev_call_id: 'FreeSWITCH Dev: groups the legs of one originated call.',
};

/** Globals FreeSWITCH sets itself at startup (switch_core.c), usable as `$${name}`. */
export const CORE_GLOBALS: Readonly<Record<string, string>> = {
  hostname: 'The machine\'s host name.',
  switch_serial: "This FreeSWITCH's serial number.",
  local_ip_v4: "The machine's IPv4 address (vars.xml may pin it).",
  local_mask_v4: 'Its IPv4 net mask.',
  local_ip_v6: "The machine's IPv6 address.",
  base_dir: 'The installation prefix.',
  conf_dir: 'The configuration folder (where freeswitch.xml is).',
  log_dir: 'The log folder (log/freeswitch.xml.fsxml is written there).',
  run_dir: 'The folder of the pid file.',
  db_dir: 'The folder of the core databases.',
  mod_dir: 'The folder of the modules.',
  htdocs_dir: 'The folder mod_xml_rpc serves.',
  script_dir: 'The folder of scripts (lua, javascript).',
  temp_dir: 'The temporary folder.',
  grammar_dir: 'The folder of ASR grammars.',
  fonts_dir: 'The folder of fonts.',
  images_dir: 'The folder of images.',
  certs_dir: 'The folder of TLS certificates.',
  storage_dir: 'The folder of voicemail and other storage.',
  cache_dir: 'The folder of http_cache.',
  recordings_dir: 'The folder of recordings.',
  sounds_dir: 'The folder of sound prompts.',
  data_dir: 'The data folder.',
  localstate_dir: 'The local state folder.',
  core_uuid: "This FreeSWITCH process's uuid.",
  zrtp_enabled: 'Whether ZRTP is compiled in.',
  nat_public_addr: 'The public address NAT detection found.',
  nat_private_addr: 'The private address NAT detection found.',
  nat_type: 'The kind of NAT detected (none, pmp, upnp).',
};

export const BREAK_VALUES: Readonly<Record<string, string>> = {
  'on-false': 'Stop testing this extension\'s conditions when this one fails (the default).',
  'on-true': 'Stop when this condition matches.',
  always: 'Stop after this condition, whatever the result.',
  never: 'Never stop here: go on with the next condition either way.',
};

export const BOOLEAN_VALUES: Readonly<Record<string, string>> = { true: 'true', false: 'false' };

/** Time attributes of a condition (switch_xml_std_datetime_check). */
export const TIME_ATTRIBUTES: Readonly<Record<string, string>> = {
  year: 'Year, e.g. `2026` or `2025-2027`.',
  yday: 'Day of the year, 1–366.',
  mon: 'Month, 1–12.',
  mday: 'Day of the month, 1–31.',
  week: 'Week of the year, 1–53.',
  mweek: 'Week of the month, 1–6.',
  wday: 'Day of the week, 1–7 (Sunday = 1) or `sun`–`sat`, lists and ranges: `mon-fri`.',
  hour: 'Hour, 0–23.',
  minute: 'Minute, 0–59.',
  'minute-of-day': 'Minute of the day, 1–1440.',
  'time-of-day': 'Time ranges: `08:00-17:00`, `08:00:00-12:00:00,13:00-17:00`.',
  'date-time': 'Date and time range: `2026-12-24 18:00~2026-12-26 08:00`.',
  'tz-offset': 'Hours from UTC for this condition\'s time tests.',
  dst: 'Daylight saving time: `true` or `false`.',
};

export interface AttributeSpec {
  readonly doc: string;
  /** Values to offer (name → meaning). */
  readonly values?: Readonly<Record<string, string>>;
}

export interface ElementSpec {
  readonly doc: string;
  readonly attrs: Readonly<Record<string, AttributeSpec>>;
  /** Elements that may appear inside. */
  readonly children: readonly string[];
}

const PRE_PROCESS: ElementSpec = {
  doc: 'A pre-processor instruction: FreeSWITCH runs it line by line before parsing, even inside an XML comment. `cmd` must come before `data`.',
  attrs: {
    cmd: {
      doc: 'What to do.',
      values: {
        include: 'Insert the files matching `data` (a glob, relative to this file\'s folder) here.',
        set: 'Set the global `name=value` for `$${name}` below and at run time.',
        'exec-set': 'Set a global to the output of a shell command.',
        'env-set': 'Set a global from an environment variable: `name=$VAR`.',
        'stun-set': 'Set a global to the public address a STUN server sees: `name=stun:host`.',
        exec: 'Insert the output of a shell command here.',
      },
    },
    data: { doc: 'The argument of `cmd`.' },
  },
  children: [],
};

const CONDITION_ATTRS: Record<string, AttributeSpec> = {
  field: { doc: 'What to test: a caller-profile field (`destination_number` …) or `${variable}`.' },
  expression: { doc: 'A PCRE the field must match. `$1`… in the actions are its captures. `^…$` anchors the whole value.' },
  break: { doc: 'When to stop testing this extension\'s conditions.', values: BREAK_VALUES },
  regex: {
    doc: 'Test several `<regex field expression>` children: `any`, `all` or `xor` of them must match.',
    values: { any: 'At least one must match.', all: 'Every one must match.', xor: 'Exactly one must match.' },
  },
  'require-nested': { doc: 'Whether nested conditions must match for this one to count.', values: BOOLEAN_VALUES },
  ...Object.fromEntries(Object.entries(TIME_ATTRIBUTES).map(([k, doc]) => [k, { doc }])),
};

const ACTION_ATTRS: Record<string, AttributeSpec> = {
  application: { doc: 'The dialplan application to run (from a loaded module).' },
  data: { doc: 'The application\'s argument. `$1`… are the condition\'s captures, `${var}` channel variables.' },
  inline: { doc: 'true: run it now, while the dialplan is being searched (only for quick apps like set).', values: BOOLEAN_VALUES },
  loop: { doc: 'Run the application this many times.' },
};

const NAME = (doc: string): AttributeSpec => ({ doc });

/** The schema of FreeSWITCH configuration elements. Keys are element names. */
export const ELEMENTS: Readonly<Record<string, ElementSpec>> = {
  document: { doc: 'The whole configuration (freeswitch.xml).', attrs: { type: { doc: 'Always `freeswitch/xml`.', values: { 'freeswitch/xml': '' } } }, children: ['section', 'X-PRE-PROCESS'] },
  section: {
    doc: 'A part of the configuration: the dialplan, the directory, module configurations…',
    attrs: {
      name: {
        doc: 'Which section.',
        values: {
          configuration: 'Module configurations (autoload_configs).',
          dialplan: 'The XML dialplan: contexts of extensions.',
          directory: 'Domains, users and gateways.',
          chatplan: 'Routing of chat messages.',
          languages: 'Phrase macros per language.',
          phrases: 'Phrase macros.',
        },
      },
      description: NAME('A description.'),
    },
    children: ['context', 'domain', 'configuration', 'language', 'macros', 'X-PRE-PROCESS'],
  },
  context: { doc: 'A named set of extensions; a call is routed in its context, extension by extension.', attrs: { name: NAME('The context name (`default`, `public` …).') }, children: ['extension', 'X-PRE-PROCESS'] },
  extension: {
    doc: 'Conditions to test and actions to run when they match.',
    attrs: {
      name: NAME('The extension name (shown in the dialplan trace).'),
      continue: { doc: 'true: keep searching the next extensions after this one matched.', values: BOOLEAN_VALUES },
    },
    children: ['condition'],
  },
  condition: { doc: 'A test of the call; its actions run when it matches, its anti-actions when it does not.', attrs: CONDITION_ATTRS, children: ['action', 'anti-action', 'regex', 'expression', 'condition'] },
  action: { doc: 'An application queued when the condition matches.', attrs: ACTION_ATTRS, children: [] },
  'anti-action': { doc: 'An application queued when the condition does not match.', attrs: ACTION_ATTRS, children: [] },
  regex: {
    doc: 'One test of a `regex="any|all|xor"` condition.',
    attrs: { field: CONDITION_ATTRS.field!, expression: CONDITION_ATTRS.expression!, ...Object.fromEntries(Object.entries(TIME_ATTRIBUTES).map(([k, doc]) => [k, { doc }])) },
    children: ['expression'],
  },
  expression: { doc: 'The condition\'s regular expression as text (handy with CDATA).', attrs: {}, children: [] },
  domain: { doc: 'A directory domain.', attrs: { name: NAME('The domain name, often `$${domain}`.') }, children: ['params', 'variables', 'groups', 'users', 'user', 'gateways', 'X-PRE-PROCESS'] },
  params: { doc: 'Parameters.', attrs: {}, children: ['param'] },
  param: { doc: 'A parameter.', attrs: { name: NAME('Parameter name.'), value: NAME('Parameter value.') }, children: [] },
  variables: { doc: 'Channel variables set on the calls of this user or domain.', attrs: {}, children: ['variable'] },
  variable: { doc: 'A channel variable.', attrs: { name: NAME('Variable name.'), value: NAME('Variable value.') }, children: [] },
  groups: { doc: 'Groups of users.', attrs: {}, children: ['group'] },
  group: { doc: 'A group of users (for group_call).', attrs: { name: NAME('Group name.') }, children: ['users', 'user'] },
  users: { doc: 'Users.', attrs: {}, children: ['user', 'X-PRE-PROCESS'] },
  user: {
    doc: 'A user that can register and be called.',
    attrs: { id: NAME('The user id (the extension number).'), cidr: NAME('Addresses that may call as this user without a password.'), 'number-alias': NAME('Another number for this user.'), type: { doc: 'pointer: a member of a group defined elsewhere.', values: { pointer: '' } } },
    children: ['params', 'variables', 'gateways'],
  },
  gateways: { doc: 'Gateways (SIP trunks).', attrs: {}, children: ['gateway', 'X-PRE-PROCESS'] },
  gateway: { doc: 'A SIP gateway.', attrs: { name: NAME('Gateway name (`sofia/gateway/<name>/…`).') }, children: ['param', 'variables'] },
  configuration: {
    doc: 'The configuration of one module.',
    attrs: { name: NAME('The file name the module asks for, e.g. `sofia.conf`.'), description: NAME('A description.') },
    children: ['settings', 'global_settings', 'modules', 'profiles', 'network-lists', 'param', 'X-PRE-PROCESS'],
  },
  settings: { doc: 'Settings.', attrs: {}, children: ['param', 'X-PRE-PROCESS'] },
  global_settings: { doc: 'Global settings.', attrs: {}, children: ['param'] },
  modules: { doc: 'Modules to load.', attrs: {}, children: ['load'] },
  load: { doc: 'A module to load at startup.', attrs: { module: NAME('The module, e.g. `mod_sofia`.') }, children: [] },
  profiles: { doc: 'Profiles.', attrs: {}, children: ['profile', 'X-PRE-PROCESS'] },
  profile: { doc: 'A profile (a SIP profile, a voicemail profile …).', attrs: { name: NAME('Profile name.') }, children: ['settings', 'gateways', 'domains', 'aliases', 'param'] },
  domains: { doc: 'Domains a SIP profile serves.', attrs: {}, children: ['domain'] },
  aliases: { doc: 'Other names of the profile.', attrs: {}, children: ['alias'] },
  alias: { doc: 'Another name of the profile.', attrs: { name: NAME('Alias.') }, children: [] },
  'network-lists': { doc: 'ACL lists.', attrs: {}, children: ['list'] },
  list: { doc: 'An ACL list.', attrs: { name: NAME('List name.'), default: { doc: 'allow or deny.', values: { allow: '', deny: '' } } }, children: ['node'] },
  node: { doc: 'An ACL entry.', attrs: { type: { doc: 'allow or deny.', values: { allow: '', deny: '' } }, cidr: NAME('Address range.'), domain: NAME('Every user of this domain.') }, children: [] },
  include: { doc: 'A wrapper for an included file: FreeSWITCH drops the lines holding `<include>` and `</include>`.', attrs: {}, children: [] },
  'X-PRE-PROCESS': PRE_PROCESS,
};

/** Element names FreeSWITCH reads as they are written (case matters, but X-PRE-PROCESS does not). */
export function elementSpec(name: string): ElementSpec | undefined {
  return ELEMENTS[name] ?? (name.toLowerCase() === 'x-pre-process' ? PRE_PROCESS : undefined);
}

/** Applications whose data is `name=value`: completion offers channel variables for the name. */
export const SET_LIKE_APPLICATIONS = new Set(['set', 'export', 'bridge_export', 'push', 'unshift', 'set_global', 'set_profile_var', 'set_zombie_exec', 'unset', 'multiset', 'multiunset']);
