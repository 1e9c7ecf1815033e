/**
 * The `api`/`bgapi` commands of the test server (mod_commands and friends). Bodies follow capture
 * 03, 04, 09, 10 and 11 where they show them; the rest follows FreeSWITCH's documented output and
 * says where it is invented.
 */
import type { SimChannel } from './channel';
import { localStamp } from './clock';
import type { SimSwitch } from './switchCore';
import { parseCause } from './originateArgs';
import { globalGetvar, globalSetvar, reloadXml, showInterfaces, sofia, xmlLocate } from './configApis';
import { serializeJson, serializePlain, serializeXml } from './wire';

/** What `api version` answers (a recording's header says the same). */
export const FREESWITCH_VERSION = 'FreeSWITCH Version 1.10.12-release~64bit ( 64bit)';

/** What an API command produced. `found: false` becomes `-ERR <cmd> Command not found!\n`. */
export interface ApiResult {
  found: boolean;
  body: string;
  /** Work to start once the reply is out (the originated leg's application). */
  after?: () => void;
}

const NO_SUCH_CHANNEL = '-ERR No such channel!\n';
/** What uuid_send_dtmf and uuid_record say for an unknown uuid (mod_commands.c). */
const CANNOT_LOCATE = '-ERR Cannot locate session!\n';
const RECORD_USAGE = '-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>] [<recording_vars>]\n';

type Handler = (sw: SimSwitch, arg: string) => string | Promise<string> | Promise<ApiResult>;

const ok = (body: string): ApiResult => ({ found: true, body });

/** Runs one API command; names are case-insensitive like FreeSWITCH's API hash. */
export async function executeApi(sw: SimSwitch, command: string, arg: string): Promise<ApiResult> {
  const handler = HANDLERS[command.toLowerCase()];
  if (!handler) return { found: false, body: '' };
  const result = await handler(sw, arg);
  return typeof result === 'string' ? ok(result) : result;
}

/**
 * The api/response body of a result, as mod_event_socket's api_exec writes it: `-ERR <cmd> Command
 * not found!\n` for an unknown command, and `-ERR no reply\n` for a command that wrote nothing
 * (capture 19: `global_getvar` of an unset variable). A bgapi's BACKGROUND_JOB keeps the empty body.
 */
export function apiReplyBody(command: string, result: ApiResult): string {
  if (!result.found) return `-ERR ${command} Command not found!\n`;
  return result.body === '' ? '-ERR no reply\n' : result.body;
}

/** The API names this server knows, for console_complete. */
export function apiNames(): string[] {
  return Object.keys(HANDLERS).sort();
}

function words(arg: string): string[] {
  return arg.split(' ').filter((w) => w !== '');
}

function channel(sw: SimSwitch, uuid: string | undefined): SimChannel | undefined {
  if (!uuid) return undefined;
  const ch = sw.channels.get(uuid);
  return ch && !ch.destroyed ? ch : undefined;
}

function duration(us: number): string {
  const ms = Math.floor(us / 1000);
  const s = Math.floor(ms / 1000);
  return (
    `${Math.floor(s / 31536000)} years, ${Math.floor(s / 86400) % 365} days, ${Math.floor(s / 3600) % 24} hours, ` +
    `${Math.floor(s / 60) % 60} minutes, ${s % 60} seconds, ${ms % 1000} milliseconds, ${us % 1000} microseconds`
  );
}

/** A `show` table: CSV with a header line, then `\n<n> total.\n`; JSON as `{"row_count":n,"rows":[…]}`. */
function table(rows: Record<string, string>[], columns: readonly string[], asJson: boolean): string {
  if (asJson) {
    // FreeSWITCH prints the empty case with a space and a newline, the full one compact (capture 03).
    if (rows.length === 0) return '{"row_count": 0}\n';
    return JSON.stringify({ row_count: rows.length, rows });
  }
  if (rows.length === 0) return '\n0 total.\n';
  const lines = [columns.join(','), ...rows.map((r) => columns.map((c) => r[c] ?? '').join(','))];
  return `${lines.join('\n')}\n\n${rows.length} total.\n`;
}

const CHANNEL_COLUMNS = [
  'uuid', 'direction', 'created', 'created_epoch', 'name', 'state', 'cid_name', 'cid_num', 'ip_addr', 'dest',
  'application', 'application_data', 'dialplan', 'context', 'read_codec', 'read_rate', 'read_bit_rate', 'write_codec',
  'write_rate', 'write_bit_rate', 'secure', 'hostname', 'presence_id', 'presence_data', 'accountcode', 'callstate',
  'callee_name', 'callee_num', 'callee_direction', 'call_uuid', 'sent_callee_name', 'sent_callee_num',
  'initial_cid_name', 'initial_cid_num', 'initial_ip_addr', 'initial_dest', 'initial_dialplan', 'initial_context',
] as const;

const CALL_COLUMNS = [
  'uuid', 'direction', 'created', 'created_epoch', 'name', 'state', 'cid_name', 'cid_num', 'ip_addr', 'dest',
  'presence_id', 'presence_data', 'accountcode', 'callstate', 'callee_name', 'callee_num', 'callee_direction',
  'call_uuid', 'hostname', 'sent_callee_name', 'sent_callee_num', 'b_uuid', 'b_direction', 'b_created',
  'b_created_epoch', 'b_name', 'b_state', 'b_cid_name', 'b_cid_num', 'b_ip_addr', 'b_dest', 'b_presence_id',
  'b_presence_data', 'b_accountcode', 'b_callstate', 'b_callee_name', 'b_callee_num', 'b_callee_direction',
  'b_sent_callee_name', 'b_sent_callee_num', 'call_created_epoch',
] as const;

/** A row of the core `channels` table, as `show channels` prints it (capture 03). */
function channelRow(sw: SimSwitch, ch: SimChannel): Record<string, string> {
  const p = ch.profile;
  const app = ch.app;
  const row: Record<string, string> = {
    uuid: ch.uuid,
    direction: ch.direction,
    created: localStamp(ch.times.createdUs),
    created_epoch: String(Math.floor(ch.times.createdUs / 1_000_000)),
    name: ch.name,
    state: ch.runningState,
    cid_name: p?.callerIdName ?? '',
    cid_num: p?.callerIdNumber ?? '',
    ip_addr: '',
    dest: p?.destinationNumber ?? '',
    application: app?.name ?? '',
    application_data: app?.data ?? '',
    dialplan: p?.dialplan ?? '',
    context: p?.context ?? '',
    read_codec: ch.readCodec?.name ?? '',
    read_rate: String(ch.readCodec?.rate ?? ''),
    read_bit_rate: String(ch.readCodec?.bitRate ?? ''),
    write_codec: ch.writeCodec?.name ?? '',
    write_rate: String(ch.writeCodec?.rate ?? ''),
    write_bit_rate: String(ch.writeCodec?.bitRate ?? ''),
    secure: '',
    hostname: sw.identity.hostname,
    presence_id: '',
    presence_data: '',
    accountcode: '',
    callstate: ch.callState,
    callee_name: p?.calleeIdName ?? '',
    callee_num: p?.calleeIdNumber ?? '',
    callee_direction: ch.calleeDirection,
    call_uuid: ch.callUuidColumn,
    sent_callee_name: '',
    sent_callee_num: '',
    initial_cid_name: p?.origCallerIdName ?? '',
    initial_cid_num: p?.origCallerIdNumber ?? '',
    initial_ip_addr: '',
    initial_dest: p?.destinationNumber ?? '',
    initial_dialplan: p?.dialplan ?? '',
    initial_context: p?.context ?? '',
  };
  return row;
}

/**
 * A row of the `basic_calls` view: every channel that is not the callee of a bridge, with its
 * bridged peer in the b_* columns. Loopback legs are not bridged, so each is its own row (capture 03).
 */
function callRows(sw: SimSwitch): Record<string, string>[] {
  const rows: Record<string, string>[] = [];
  for (const ch of sw.channelTable.rows()) {
    if (ch.bridgeSide === 'B') continue;
    const a = channelRow(sw, ch);
    const peer = ch.bridgeSide === 'A' ? ch.bridgedTo : undefined;
    const b = peer ? channelRow(sw, peer) : undefined;
    const row: Record<string, string> = {};
    for (const col of CALL_COLUMNS) {
      if (col === 'call_created_epoch') row[col] = peer ? String(Math.floor(ch.times.bridgedUs / 1_000_000)) : '';
      else if (col.startsWith('b_')) row[col] = b?.[col.slice(2)] ?? '';
      else row[col] = a[col] ?? '';
    }
    rows.push(row);
  }
  return rows;
}

function show(sw: SimSwitch, arg: string): string {
  const [what, ...rest] = words(arg.toLowerCase());
  const asJson = rest.join(' ').includes('as json');
  // show reads the core database, which lags the events (channelTable.ts).
  const listed = sw.channelTable.rows();
  if (what === 'channels') {
    if (rest[0] === 'count') return `\n${listed.length} total.\n`;
    return table(listed.map((c) => channelRow(sw, c)), CHANNEL_COLUMNS, asJson);
  }
  if (what === 'calls') {
    const rows = callRows(sw);
    if (rest[0] === 'count') return `\n${rows.length} total.\n`;
    return table(rows, CALL_COLUMNS, asJson);
  }
  if (what === 'application' || what === 'api') return showInterfaces(what, asJson);
  return '-USAGE: codec|endpoint|application|api|dialplan|file|timer|calls [count]|channels [count|like <match string>]|calls|detailed_calls|bridged_calls|detailed_bridged_calls|aliases|complete|chat|management|modules|nat_map|say|interfaces|interface_types|tasks|limits|status\n';
}

/** console_complete: the matches printed `[%20s]\t`, four a line, then `write=<len>:<completion>` (switch_console.c). */
function consoleComplete(line: string): string {
  const typed = line.replace(/^\s+/, '');
  if (typed.includes(' ')) return '\n\n';
  const hits = apiNames().filter((n) => n.startsWith(typed));
  let out = '';
  hits.forEach((hit, i) => {
    out += `[${hit.padStart(20)}]\t`;
    if ((i + 1) % 4 === 0) out += '\n';
  });
  out += '\n\n';
  if (hits.length === 1) out += `write=${typed.length}:${hits[0]} `;
  else if (hits.length > 1) {
    let prefix = hits[0]!;
    for (const h of hits) while (!h.startsWith(prefix)) prefix = prefix.slice(0, -1);
    if (prefix.length > typed.length) out += `write=${typed.length}:${prefix}`;
  }
  return out;
}

const CTL_SYNTAX =
  '[api_expansion [on|off]|recover|send_sighup|hupall|pause [inbound|outbound]|resume [inbound|outbound]|shutdown [cancel|elegant|asap|now|restart]|sps|sps_peak_reset|sync_clock|sync_clock_when_idle|reclaim_mem|max_sessions|min_dtmf_duration [num]|max_dtmf_duration [num]|default_dtmf_duration [num]|min_idle_cpu|loglevel [level]|debug_level [level]|mdns_resolve [enable|disable]]';

/**
 * mod_commands' ctl_function, the session-limit part: `fsctl sps N` → `+OK sessions per second: N\n`
 * (from the next tick), `fsctl max_sessions N` → `+OK max sessions: N\n` (capture 17); without N
 * they report the current value. Other subcommands answer as FreeSWITCH does without doing more.
 */
function fsctl(sw: SimSwitch, arg: string): string {
  const argv = words(arg);
  const [what = ''] = argv;
  if (!what) return `-USAGE: ${CTL_SYNTAX}\n`;
  const n = Number.parseInt(argv[1] ?? '0', 10) || 0;
  switch (what.toLowerCase()) {
    case 'sps':
      return `+OK sessions per second: ${sw.limits.setSessionsPerSecond(n)}\n`;
    case 'max_sessions':
      return `+OK max sessions: ${sw.limits.setMaxSessions(n)}\n`;
    case 'last_sps':
      return `+OK last sessions per second: ${sw.limits.lastRate}\n`;
    case 'sps_peak_reset':
      sw.limits.resetPeakRate();
      return '+OK max sessions per second counter reset\n';
    case 'hupall':
      sw.calls.hupall('MANAGER_REQUEST');
      return '+OK\n';
    case 'flush_db_handles':
    case 'reclaim_mem':
    case 'calibrate_clock':
    case 'save_history':
      return '+OK\n';
    default:
      return `-ERR Invalid command\nUSAGE: fsctl ${CTL_SYNTAX}\n`;
  }
}

const HANDLERS: Record<string, Handler> = {
  status: (sw) => {
    const live = sw.channels.size;
    const limits = sw.limits;
    return (
      `UP ${duration(sw.uptimeUs)}\n` +
      'FreeSWITCH (Version 1.10.12-release  64bit) is ready\n' +
      `${sw.sessionsSinceStartup} session(s) since startup\n` +
      `${live} session(s) - peak ${sw.peak}, last 5min ${sw.limits.sessionsPeakLastFiveMin} \n` +
      // The last tick's rate, negative right after sps was lowered (capture 17: `-975 … out of max 5`).
      `${limits.lastRate} session(s) per Sec out of max ${limits.sessionsPerSecond}, peak ${limits.peakRate}, last 5min ${limits.peakRateFiveMin} \n` +
      `${limits.maxSessions} session(s) max\n` +
      'min idle cpu 0.00/97.50\n' +
      'Current Stack Size/Max 240K/8192K\n'
    );
  },

  version: (_sw, arg) => (arg.trim() === 'short' ? '1.10.12\n' : `${FREESWITCH_VERSION}\n`),

  hostname: (sw) => sw.identity.hostname,

  global_getvar: (sw, arg) => globalGetvar(sw, arg),

  global_setvar: (sw, arg) => globalSetvar(sw, arg),

  echo: (_sw, arg) => arg,

  show: (sw, arg) => show(sw, arg),

  originate: async (sw, arg) => {
    const outcome = await sw.calls.originate(arg);
    return { found: true, body: outcome.reply, after: outcome.continueCall };
  },

  uuid_kill: (sw, arg) => {
    const [uuid, cause] = words(arg);
    const ch = channel(sw, uuid);
    if (!ch) return NO_SUCH_CHANNEL;
    sw.calls.hangup(ch, parseCause(cause));
    return '+OK\n';
  },

  uuid_answer: (sw, arg) => {
    const ch = channel(sw, words(arg)[0]);
    if (!ch) return NO_SUCH_CHANNEL;
    sw.apps.answer(ch);
    return '+OK\n';
  },

  uuid_park: (sw, arg) => {
    const ch = channel(sw, words(arg)[0]);
    if (!ch) return NO_SUCH_CHANNEL;
    sw.apps.park(ch);
    return '+OK\n';
  },

  uuid_break: (sw, arg) => {
    const ch = channel(sw, words(arg)[0]);
    if (!ch) return NO_SUCH_CHANNEL;
    sw.apps.breakMedia(ch);
    return '+OK\n';
  },

  uuid_exists: (sw, arg) => String(channel(sw, words(arg)[0]) !== undefined),

  // The value without a newline, `_undef_` when unset (capture 11).
  uuid_getvar: (sw, arg) => {
    const [uuid, name] = words(arg);
    if (!uuid || !name) return '-USAGE: <uuid> <var>\n';
    const ch = channel(sw, uuid);
    if (!ch) return NO_SUCH_CHANNEL;
    return ch.vars.get(name) ?? '_undef_';
  },

  uuid_setvar: (sw, arg) => {
    const [uuid, name, ...value] = words(arg);
    if (!uuid || !name) return '-USAGE: <uuid> <var> [value]\n';
    const ch = channel(sw, uuid);
    if (!ch) return NO_SUCH_CHANNEL;
    ch.vars.set(name, value.length > 0 ? value.join(' ') : undefined);
    return '+OK\n';
  },

  uuid_dump: (sw, arg) => {
    const [uuid, format] = words(arg);
    const ch = channel(sw, uuid);
    if (!ch) return NO_SUCH_CHANNEL;
    const event = sw.channelData(ch);
    if (format === 'json') return serializeJson(event).toString('utf8');
    if (format === 'xml') return serializeXml(event).toString('utf8');
    return serializePlain(event).toString('utf8');
  },

  // `+OK Message sent\n` (capture 10); a path of `app::arg` runs that app instead of playback.
  uuid_broadcast: (sw, arg) => {
    const [uuid, path, legs = 'aleg'] = words(arg);
    if (!uuid || !path) return '-USAGE: <uuid> <path> [aleg|bleg|both]\n';
    const ch = channel(sw, uuid);
    if (!ch) return NO_SUCH_CHANNEL;
    const sep = path.indexOf('::');
    const [app, data] = sep > 0 ? [path.slice(0, sep), path.slice(sep + 2)] : ['playback', path];
    const targets = legs === 'bleg' ? [ch.bridgedTo] : legs === 'both' ? [ch, ch.bridgedTo] : [ch];
    for (const t of targets) if (t && !t.isDown) sw.apps.executeMessage(t, app, data, 1);
    return '+OK Message sent\n';
  },

  // `+OK <b>\n` or `-ERR Invalid uuid\n` (capture 10); the bridge itself follows the reply.
  uuid_bridge: (sw, arg) => {
    const [ua, ub] = words(arg);
    if (!ua || !ub) return '-USAGE: <uuid> <other_uuid>\n';
    const a = channel(sw, ua);
    const b = channel(sw, ub);
    if (!a || !b || a === b || a.isDown || b.isDown) return '-ERR Invalid uuid\n';
    void sw.calls.bridge(a, b);
    return `+OK ${b.uuid}\n`;
  },

  // `+OK <uuid> sent DTMF <dtmf_data>.\n`, the argument echoed (capture 14); `<digits>[@<ms>]`.
  uuid_send_dtmf: (sw, arg) => {
    const [uuid, dtmf] = words(arg);
    if (!uuid || !dtmf) return '-USAGE: <uuid> <dtmf_data>\n';
    const ch = channel(sw, uuid);
    if (!ch) return CANNOT_LOCATE;
    return sw.apps.sendDtmf(ch, dtmf) ? `+OK ${uuid} sent DTMF ${dtmf}.\n` : '-ERR Operation failed\n';
  },

  // mod_commands' session_record_function: `+OK Success\n`, the usage without a path, and
  // `-ERR Cannot stop record session!\n` for a file not being recorded (capture 15).
  uuid_record: (sw, arg) => {
    const [uuid, action, path, limit] = words(arg);
    if (!uuid || !action || !path) return RECORD_USAGE;
    const ch = channel(sw, uuid);
    if (!ch) return CANNOT_LOCATE;
    switch (action.toLowerCase()) {
      case 'start':
        return sw.apps.recordStart(ch, path, Number.parseInt(limit ?? '0', 10) || 0) ? '+OK Success\n' : '-ERR Cannot record session!\n';
      case 'stop':
        return sw.apps.recordStop(ch, path) ? '+OK Success\n' : '-ERR Cannot stop record session!\n';
      case 'pause':
      case 'resume':
      case 'mask':
      case 'unmask': {
        // No audio here, so these change nothing but need a recording of that file.
        const verb = action.toLowerCase();
        return ch.recordings.has(path) ? '+OK Success\n' : `-ERR Cannot ${verb} recording session!\n`;
      }
      default:
        return RECORD_USAGE;
    }
  },

  fsctl: (sw, arg) => fsctl(sw, arg),

  // `+OK hangup all channels with cause <CAUSE>\n`, MANAGER_REQUEST by default (capture 10).
  hupall: (sw, arg) => {
    const [causeText, name, value] = words(arg);
    const cause = parseCause(causeText, 'MANAGER_REQUEST');
    if (name && value !== undefined) {
      sw.calls.hupall(cause, { name, value });
      return `+OK hangup all channels matching [${name}]=[${value}] with cause: ${cause}\n`;
    }
    sw.calls.hupall(cause);
    return `+OK hangup all channels with cause ${cause}\n`;
  },

  console_complete: (_sw, arg) => consoleComplete(arg),

  sofia: (_sw, arg) => sofia(arg),

  reloadxml: (sw) => reloadXml(sw),

  xml_locate: (_sw, arg) => xmlLocate(arg),
};
