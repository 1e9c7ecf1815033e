/**
 * Parsing of `originate` arguments and hangup causes, as mod_commands and switch_channel.c read them.
 */

/** Hangup causes and their Q.850 codes (`switch_channel.c` CAUSE_CHART). */
export const HANGUP_CAUSES: Readonly<Record<string, number>> = {
  UNSPECIFIED: 0, UNALLOCATED_NUMBER: 1, NO_ROUTE_TRANSIT_NET: 2, NO_ROUTE_DESTINATION: 3, CHANNEL_UNACCEPTABLE: 6,
  CALL_AWARDED_DELIVERED: 7, NORMAL_CLEARING: 16, USER_BUSY: 17, NO_USER_RESPONSE: 18, NO_ANSWER: 19,
  SUBSCRIBER_ABSENT: 20, CALL_REJECTED: 21, NUMBER_CHANGED: 22, REDIRECTION_TO_NEW_DESTINATION: 23,
  EXCHANGE_ROUTING_ERROR: 25, DESTINATION_OUT_OF_ORDER: 27, INVALID_NUMBER_FORMAT: 28, FACILITY_REJECTED: 29,
  RESPONSE_TO_STATUS_ENQUIRY: 30, NORMAL_UNSPECIFIED: 31, NORMAL_CIRCUIT_CONGESTION: 34, NETWORK_OUT_OF_ORDER: 38,
  NORMAL_TEMPORARY_FAILURE: 41, SWITCH_CONGESTION: 42, ACCESS_INFO_DISCARDED: 43, REQUESTED_CHAN_UNAVAIL: 44,
  PRE_EMPTED: 45, FACILITY_NOT_SUBSCRIBED: 50, OUTGOING_CALL_BARRED: 52, INCOMING_CALL_BARRED: 54,
  BEARERCAPABILITY_NOTAUTH: 57, BEARERCAPABILITY_NOTAVAIL: 58, SERVICE_UNAVAILABLE: 63, BEARERCAPABILITY_NOTIMPL: 65,
  CHAN_NOT_IMPLEMENTED: 66, FACILITY_NOT_IMPLEMENTED: 69, SERVICE_NOT_IMPLEMENTED: 79, INVALID_CALL_REFERENCE: 81,
  INCOMPATIBLE_DESTINATION: 88, INVALID_MSG_UNSPECIFIED: 95, MANDATORY_IE_MISSING: 96, MESSAGE_TYPE_NONEXIST: 97,
  WRONG_MESSAGE: 98, IE_NONEXIST: 99, INVALID_IE_CONTENTS: 100, WRONG_CALL_STATE: 101, RECOVERY_ON_TIMER_EXPIRE: 102,
  MANDATORY_IE_LENGTH_ERROR: 103, PROTOCOL_ERROR: 111, INTERWORKING: 127, SUCCESS: 142, ORIGINATOR_CANCEL: 487,
  CRASH: 700, SYSTEM_SHUTDOWN: 701, LOSE_RACE: 702, MANAGER_REQUEST: 900, BLIND_TRANSFER: 800,
  ATTENDED_TRANSFER: 801, ALLOTTED_TIMEOUT: 602, USER_CHALLENGE: 603, MEDIA_TIMEOUT: 604, PICKED_OFF: 605,
  USER_NOT_REGISTERED: 606, PROGRESS_TIMEOUT: 607, GATEWAY_DOWN: 609,
};

/**
 * `switch_channel_str2cause`: a name (any case) or a number; anything else is NORMAL_CLEARING, which
 * is also what uuid_kill uses without a cause.
 */
export function parseCause(text: string | undefined, fallback = 'NORMAL_CLEARING'): string {
  if (!text) return fallback;
  if (/^\d+$/.test(text)) {
    const code = Number(text);
    return Object.keys(HANGUP_CAUSES).find((name) => HANGUP_CAUSES[name] === code) ?? fallback;
  }
  const upper = text.toUpperCase();
  return upper in HANGUP_CAUSES ? upper : 'NORMAL_CLEARING';
}

/** `switch_channel_cause_q850`: causes beyond Q.850's range report 16. */
export function q850(cause: string): number {
  const code = HANGUP_CAUSES[cause] ?? 16;
  return code <= 127 ? code : 16;
}

/** Where an originated leg goes once it answers. */
export type OriginateTarget =
  | { kind: 'app'; app: string; arg: string }
  | { kind: 'extension'; extension: string; dialplan: string; context: string };

export interface OriginateArgs {
  /** `{name=value,…}` variables, values unquoted, in order. */
  variables: [string, string][];
  /** The endpoint after the variables, e.g. `loopback/9196`. */
  endpoint: string;
  target: OriginateTarget;
  callerIdName: string | undefined;
  callerIdNumber: string | undefined;
}

/** Splits on spaces outside `{…}`, `[…]`, `<…>`, `(…)` and single quotes. */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  let quoted = false;
  for (const ch of text) {
    if (ch === "'") quoted = !quoted;
    else if (!quoted && '{[<('.includes(ch)) depth++;
    else if (!quoted && '}]>)'.includes(ch)) depth = Math.max(0, depth - 1);
    if (ch === ' ' && depth === 0 && !quoted) {
      if (cur) out.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  if (cur) out.push(cur);
  return out;
}

/** Splits a `{a=1,b='x, y'}` block body on commas outside quotes and strips the quotes of values. */
function parseVariableBlock(body: string): [string, string][] {
  const vars: [string, string][] = [];
  let cur = '';
  let quoted = false;
  const flush = (): void => {
    const eq = cur.indexOf('=');
    if (eq > 0) {
      let value = cur.slice(eq + 1);
      if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) value = value.slice(1, -1);
      vars.push([cur.slice(0, eq), value]);
    }
    cur = '';
  };
  for (const ch of body) {
    if (ch === "'") quoted = !quoted;
    if (ch === ',' && !quoted) flush();
    else cur += ch;
  }
  flush();
  return vars;
}

/**
 * `originate <call_url> <exten>|&<app>[(<arg>)] [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout>]`.
 * Returns undefined for a usage error.
 */
export function parseOriginateArgs(arg: string): OriginateArgs | undefined {
  const argv = splitArgs(arg.trim());
  if (argv.length < 2) return undefined;
  let url = argv[0]!;
  const variables: [string, string][] = [];
  // Global `<…>` and per-call `{…}`/`[…]` blocks all become origination variables here.
  while (/^[{<[]/.test(url)) {
    const close = { '{': '}', '<': '>', '[': ']' }[url[0] as '{' | '<' | '[']!;
    const end = url.indexOf(close);
    if (end < 0) return undefined;
    variables.push(...parseVariableBlock(url.slice(1, end)));
    url = url.slice(end + 1);
  }
  // Only the first target of a `,` or `|` list is dialled.
  const endpoint = url.split(/[,|]/)[0] ?? url;
  const second = argv[1]!;
  let target: OriginateTarget;
  if (second.startsWith('&')) {
    const m = /^&([^(]+)(?:\((.*)\))?$/.exec(second);
    if (!m) return undefined;
    target = { kind: 'app', app: m[1]!, arg: m[2] ?? '' };
  } else {
    target = { kind: 'extension', extension: second, dialplan: argv[2] ?? 'XML', context: argv[3] ?? 'default' };
  }
  const unquote = (s: string | undefined): string | undefined =>
    s !== undefined && s.length >= 2 && s.startsWith("'") && s.endsWith("'") ? s.slice(1, -1) : s;
  // Both forms keep the dialplan and context slots before the caller id.
  return { variables, endpoint, target, callerIdName: unquote(argv[4]), callerIdNumber: unquote(argv[5]) };
}
