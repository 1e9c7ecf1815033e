/**
 * `switch_channel_expand_variables`: `${name}` and `${api(args)}` in dialplan fields and
 * application data, as a channel sees them: its own variables, then its caller profile's fields,
 * then the global variables; an unknown name is empty. The few APIs the vanilla dialplan calls
 * inside `${…}` are here (strftime, user_data, module_exists, hash); any other is empty, as the
 * switch makes a failed API call.
 */
import type { SimChannel } from './channel';
import { localStamp, nowUs, pad } from './clock';
import type { SimSwitch } from './switchCore';
import { userData } from './xmlRegistry';

/** The modules of the recording machine (README), for `${module_exists(…)}`. */
export const LOADED_MODULES: ReadonlySet<string> = new Set([
  'mod_console', 'mod_logfile', 'mod_event_socket', 'mod_sofia', 'mod_loopback', 'mod_commands', 'mod_dptools', 'mod_db',
  'mod_expr', 'mod_hash', 'mod_dialplan_xml', 'mod_native_file', 'mod_sndfile', 'mod_local_stream', 'mod_tone_stream',
  'mod_say_en',
]);

/** `switch_caller_get_field_by_name`: a caller profile field by its dialplan name, or undefined. */
export function profileField(ch: SimChannel, name: string): string | undefined {
  const p = ch.profile;
  if (!p) return undefined;
  switch (name) {
    case 'dialplan':
      return p.dialplan;
    case 'caller_id_name':
      return p.callerIdName;
    case 'caller_id_number':
      return p.callerIdNumber;
    case 'orig_caller_id_name':
      return p.origCallerIdName;
    case 'orig_caller_id_number':
      return p.origCallerIdNumber;
    case 'callee_id_name':
      return p.calleeIdName;
    case 'callee_id_number':
      return p.calleeIdNumber;
    case 'ani':
      return p.ani;
    case 'destination_number':
      return p.destinationNumber;
    case 'uuid':
      return p.uuid;
    case 'source':
      return p.source;
    case 'transfer_source':
      return p.transferSource;
    case 'context':
      return p.context;
    case 'chan_name':
      return p.channelName;
    case 'profile_index':
      return p.profileIndex === undefined ? undefined : String(p.profileIndex);
    default:
      return undefined;
  }
}

/** `switch_channel_get_variable`: the channel's variable, its profile field, or the global one. */
export function channelVariable(sw: SimSwitch, ch: SimChannel | undefined, name: string): string | undefined {
  if (ch) {
    const own = ch.vars.get(name);
    if (own !== undefined) return own;
    const field = profileField(ch, name);
    if (field !== undefined) return field;
  }
  return sw.globals.get(name);
}

/** strftime with the conversions the vanilla config uses; local time. */
export function strftime(format: string, date: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const offset = -date.getTimezoneOffset();
  const z = `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}${pad(Math.abs(offset) % 60)}`;
  const conv: Record<string, () => string> = {
    Y: () => String(date.getFullYear()),
    m: () => pad(date.getMonth() + 1),
    d: () => pad(date.getDate()),
    H: () => pad(date.getHours()),
    M: () => pad(date.getMinutes()),
    S: () => pad(date.getSeconds()),
    T: () => `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`,
    a: () => days[date.getDay()]!,
    b: () => months[date.getMonth()]!,
    z: () => z,
    '%': () => '%',
  };
  return format.replace(/%(.)/g, (whole, c: string) => conv[c]?.() ?? whole);
}

type ExpandApi = (sw: SimSwitch, arg: string) => string;

const APIS: Readonly<Record<string, ExpandApi>> = {
  // mod_dptools' strftime API: local time now, `%Y-%m-%d %T` without a format.
  strftime: (_sw, arg) => (arg ? strftime(arg, new Date(Math.floor(nowUs() / 1000))) : localStamp(nowUs())),
  user_data: (_sw, arg) => {
    const [who = '', kind = '', name = ''] = arg.split(' ');
    const at = who.indexOf('@');
    return at < 0 ? '' : userData(who.slice(0, at), who.slice(at + 1), kind, name);
  },
  module_exists: (_sw, arg) => String(LOADED_MODULES.has(arg.trim())),
  // mod_hash: `select/<realm>/<key>`.
  hash: (sw, arg) => {
    const [verb, realm, ...key] = arg.split('/');
    return verb === 'select' && realm ? sw.globals.hash.get(`${realm}/${key.join('/')}`) ?? '' : '';
  },
};

/** The end of the `${…}` that opens at `start` (index of `$`), counting nested braces; -1 if unclosed. */
function closingBrace(text: string, start: number): number {
  let depth = 0;
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

/** Expands `${…}` in `text` for `ch` (or for no channel: globals only). `$${…}` is left as it is. */
export function expandVariables(sw: SimSwitch, ch: SimChannel | undefined, text: string): string {
  if (!text.includes('${')) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const at = text.indexOf('${', i);
    if (at < 0 || (at > 0 && text[at - 1] === '$')) {
      if (at < 0) {
        out += text.slice(i);
        break;
      }
      out += text.slice(i, at + 2);
      i = at + 2;
      continue;
    }
    const end = closingBrace(text, at);
    if (end < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, at);
    const inner = text.slice(at + 2, end);
    const paren = inner.indexOf('(');
    if (paren > 0 && inner.endsWith(')')) {
      const name = inner.slice(0, paren);
      const arg = expandVariables(sw, ch, inner.slice(paren + 1, -1));
      out += APIS[name]?.(sw, arg) ?? '';
    } else {
      out += channelVariable(sw, ch, expandVariables(sw, ch, inner)) ?? '';
    }
    i = end + 1;
  }
  return out;
}
