/**
 * Parsing of `originate` arguments and hangup causes, as mod_commands and switch_channel.c read them.
 */

/** Hangup causes and their codes (`switch_types.h` switch_call_cause_t; Q.850 up to 127). */
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
  CRASH: 700, SYSTEM_SHUTDOWN: 701, LOSE_RACE: 702, MANAGER_REQUEST: 703, BLIND_TRANSFER: 800,
  ATTENDED_TRANSFER: 801, ALLOTTED_TIMEOUT: 802, USER_CHALLENGE: 803, MEDIA_TIMEOUT: 804, PICKED_OFF: 805,
  USER_NOT_REGISTERED: 806, PROGRESS_TIMEOUT: 807, INVALID_GATEWAY: 808, GATEWAY_DOWN: 809, INVALID_URL: 810,
  INVALID_PROFILE: 811, NO_PICKUP: 812, SRTP_READ_ERROR: 813, BOWOUT: 814, BUSY_EVERYWHERE: 815, DECLINE: 816,
  DOES_NOT_EXIST_ANYWHERE: 817, NOT_ACCEPTABLE: 818, UNWANTED: 819, NO_IDENTITY: 820, BAD_IDENTITY_INFO: 821,
  UNSUPPORTED_CERTIFICATE: 822, INVALID_IDENTITY: 823, STALE_DATE: 824, REJECT_ALL: 825,
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
  /** Every origination variable in order: the `<…>` and `{…}` blocks, then the leg's `[…]` blocks (which win). */
  variables: [string, string][];
  /** Only the `<…>` and `{…}` ones: they feed the caller profile FreeSWITCH creates the leg with. */
  globalVariables: [string, string][];
  /** The endpoint after the variables, e.g. `loopback/9196`. */
  endpoint: string;
  target: OriginateTarget;
  callerIdName: string | undefined;
  callerIdNumber: string | undefined;
}

/*
 * How FreeSWITCH takes a dial string apart, rule for rule, so that what this server reads from a
 * dial string is what the switch would (capture 21). Written from switch_utils.c,
 * switch_event.c, switch_ivr_originate.c and mod_commands.c; names in comments are theirs.
 */

/** `unescape_char`: the letters after a backslash that stand for another character. */
const UNESCAPED: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', s: ' ' };

/**
 * `cleanup_separated_string`: one piece after a split loses its leading spaces, its trailing
 * spaces outside quotes, its pairs of single quotes and its backslash escapes (`\'`, `\"`, `\\`,
 * the split's own delimiter, `\n \r \t \s`; a backslash before anything else stays). A quote
 * opens only when another quote follows somewhere after it, escaped or not; a lone one is kept.
 */
export function cleanupPiece(text: string, delim: string | undefined): string {
  let i = 0;
  while (text[i] === ' ') i++;
  let out = '';
  let keep = -1;
  let quoted = false;
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length) {
      const next = text[i + 1]!;
      const unescaped = next === "'" || next === '"' || next === '\\' || next === delim ? next : UNESCAPED[next];
      if (unescaped !== undefined) {
        out += unescaped;
        keep = out.length;
        i++;
        continue;
      }
    }
    if (ch === "'" && (quoted || text.includes("'", i + 1))) {
      quoted = !quoted;
      if (quoted) keep = out.length;
    } else {
      out += ch;
      if (ch !== ' ' || quoted) keep = out.length;
    }
  }
  return keep < 0 ? out : out.slice(0, keep);
}

/**
 * `switch_separate_string`: splits on `delim` outside single quotes, skipping the character after
 * a backslash, then cleans every piece (cleanupPiece). A text starting `^^<c>` is split on `c`
 * instead. On a space, runs of spaces count as one and every quote toggles; on another delimiter a
 * quote toggles only when another follows, and nothing at the very end makes an empty last piece.
 * At `max` pieces the last one runs to the end, delimiters and all.
 */
export function separateString(text: string, delim: string, max: number): string[] {
  if (text.startsWith('^^') && text.length >= 4) {
    delim = text[2]!;
    text = text.slice(3);
  }
  const cuts: Array<[number, number]> = [];
  let quoted = false;
  let i = 0;
  if (delim === ' ') {
    while (i < text.length && cuts.length < max) {
      const start = i;
      while (text[i] === ' ') i++;
      let end = text.length;
      for (; i < text.length; i++) {
        const ch = text[i];
        if (ch === '\\') i++;
        else if (ch === "'") quoted = !quoted;
        else if (ch === ' ' && !quoted && cuts.length + 1 < max) {
          end = i;
          break;
        }
      }
      cuts.push([start, end]);
      if (end === text.length) break;
      while (text[i] === ' ') i++;
    }
  } else {
    let start = 0;
    while (i < text.length && cuts.length + 1 < max) {
      const ch = text[i];
      if (ch === '\\') i++;
      else if (ch === "'" && (quoted || text.includes("'", i + 1))) quoted = !quoted;
      else if (ch === delim && !quoted) {
        cuts.push([start, i]);
        start = i + 1;
      }
      i++;
    }
    if (start < text.length) cuts.push([start, text.length]);
  }
  return cuts.map(([from, to]) => cleanupPiece(text.slice(from, to), delim === ' ' ? undefined : delim));
}

/**
 * `switch_find_end_paren`: the index of the bracket that closes the one at `from` (leading spaces
 * skipped), counting nested pairs of the same kind only; quotes and backslashes mean nothing here.
 */
export function findEndParen(text: string, from: number, open: string, close: string): number {
  let i = from;
  while (text[i] === ' ') i++;
  if (text[i] !== open) return -1;
  let depth = 0;
  for (; i < text.length; i++) {
    if (text[i] === open) depth++;
    else if (text[i] === close && --depth === 0) return i;
  }
  return -1;
}

/**
 * `switch_event_create_brackets` for one block at the start of `text`: the body up to the
 * matching close is split on `delim` (or on `c` when it starts `^^c`), each piece on its first
 * `=`; a piece without a value is dropped. Returns the variables and the text after the block.
 */
export function parseBlock(text: string, open: string, close: string, delim: string): { variables: [string, string][]; rest: string } | undefined {
  const end = findEndParen(text, 0, open, close);
  if (end < 0) return undefined;
  let body = text.slice(1, end);
  if (body.startsWith('^^')) {
    delim = body[2] ?? '';
    body = body.slice(3);
  }
  const variables: [string, string][] = [];
  for (const piece of separateString(body, delim, 1024)) {
    const pair = separateString(piece, '=', 2);
    // An empty value clears a variable in FreeSWITCH; here it is simply not set.
    if (pair.length === 2 && pair[1] !== '') variables.push([pair[0]!, pair[1]!]);
  }
  return { variables, rest: text.slice(end + 1) };
}

/** switch_ivr_originate's markers for commas inside `[…]`: quoted (or `^^`) ones and plain ones. */
const QUOTED_ESC_COMMA = '\x01';
const UNQUOTED_ESC_COMMA = '\x02';

/**
 * The first leg of what remains after the `<…>`/`{…}` blocks: split on `|`, commas inside `[…]`
 * marked (plain ones become the block's delimiter, quoted ones stay commas), split on `,`, then the
 * leg's own `[…]` blocks.
 */
function firstLeg(data: string): { variables: [string, string][]; endpoint: string } | undefined {
  const orList = separateString(data, '|', 128)[0] ?? '';
  let marked = '';
  let end = -1;
  let quoted = false;
  let alt = false;
  for (let i = 0; i < orList.length; i++) {
    let ch = orList[i]!;
    if (end < 0 && ch === '[') {
      end = findEndParen(orList, i, '[', ']');
      alt = orList.startsWith('^^', i + 1);
      quoted = false;
    }
    if (ch === "'") quoted = !quoted;
    if (end >= 0 && i < end && ch === ',' && orList[i - 1] !== '\\') ch = quoted || alt ? QUOTED_ESC_COMMA : UNQUOTED_ESC_COMMA;
    if (i === end) end = -1;
    marked += ch;
  }
  let leg = (separateString(marked, ',', 128)[0] ?? '').replace(/^ +/, '');
  const variables: [string, string][] = [];
  while (leg.startsWith('[')) {
    const close = findEndParen(leg, 0, '[', ']');
    if (close < 0) return undefined;
    leg = leg.slice(0, close).replaceAll(QUOTED_ESC_COMMA, ',') + leg.slice(close);
    const block = parseBlock(leg, '[', ']', UNQUOTED_ESC_COMMA);
    if (!block || block.rest === leg) return undefined;
    variables.push(...block.variables);
    leg = block.rest;
  }
  return { variables, endpoint: leg };
}

/**
 * `originate <call_url> <exten>|&<app>[(<arg>)] [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout>]`,
 * read as mod_commands and switch_ivr_originate read it. Returns undefined for a usage or parse error.
 */
export function parseOriginateArgs(arg: string): OriginateArgs | undefined {
  // switch_api_execute strips the argument; mod_commands splits it on spaces.
  const argv: (string | undefined)[] = separateString(arg.trim(), ' ', 10);
  if (argv.length < 2 || argv.length > 7) return undefined;
  for (let i = 0; i < argv.length; i++) if (argv[i]?.toLowerCase() === 'undef') argv[i] = undefined;
  const [url, second, dialplan, context, cidName, cidNumber] = argv;
  if (url === undefined || second === undefined) return undefined;

  const globalVariables: [string, string][] = [];
  let data = url;
  // Ultra-global `<…>`, then global `{…}` blocks; `:_:` (enterprise originate) is not simulated.
  for (const [open, close] of [['<', '>'], ['{', '}']] as const) {
    while (data.startsWith(open)) {
      const block = parseBlock(data, open, close, ',');
      if (!block) return undefined;
      globalVariables.push(...block.variables);
      data = block.rest;
    }
  }
  // Only the first target of a `|` or `,` list is dialled.
  const leg = firstLeg(data.replace(/^ +/, ''));
  if (!leg) return undefined;

  let target: OriginateTarget;
  if (second.startsWith('&') && second.length > 1) {
    // mod_commands ends the text at its first `)`, then splits it at its first `(`: so
    // `&playback(tone_stream://%(1,0,440);loops=2)` reaches playback as `tone_stream://%(1,0,440`.
    const text = second.slice(1).split(')')[0]!;
    const open = text.indexOf('(');
    target = open < 0 ? { kind: 'app', app: text, arg: '' } : { kind: 'app', app: text.slice(0, open), arg: text.slice(open + 1) };
  } else {
    target = { kind: 'extension', extension: second, dialplan: dialplan ?? 'XML', context: context ?? 'default' };
  }
  return {
    variables: [...globalVariables, ...leg.variables],
    globalVariables,
    endpoint: leg.endpoint,
    target,
    callerIdName: cidName,
    callerIdNumber: cidNumber,
  };
}

/**
 * The inline dialplan's extension (mod_dptools inline_dialplan_hunt): `app[:data]` items split on
 * `,`, or on `c` after a leading `m:c:`; each item's data starts after its first `:`.
 */
export function inlineActions(extension: string): { app: string; data: string }[] {
  let text = extension;
  let delim = ',';
  if (text[0] === 'm' && text[1] === ':' && text[3] === ':') {
    delim = text[2]!;
    text = text.slice(4);
  }
  return separateString(text, delim, 128).map((item) => {
    const colon = item.indexOf(':');
    const app = (colon < 0 ? item : item.slice(0, colon)).replace(/^ +/, '');
    return { app, data: colon < 0 ? '' : item.slice(colon + 1) };
  });
}
