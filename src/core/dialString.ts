import { UnsafeInputError } from './esl/errors';

/** Where an originated call goes. */
export type Endpoint =
  /** `sofia/<profile>/<dest>`, optionally through an outbound proxy (`;fs_path=sip:…`). */
  | { kind: 'sofia'; profile: string; proxy?: string }
  /** `sofia/gateway/<gateway>/<dest>`. */
  | { kind: 'gateway'; gateway: string }
  /** `loopback/<dest>[/<context>]`: a call into FreeSWITCH's own dialplan. */
  | { kind: 'loopback'; context?: string }
  /** `user/<dest>[@domain]`: a registered directory user. */
  | { kind: 'user'; domain?: string };

/** The shorthand `'loopback'`, `'user'`, `'sofia'` (profile `internal`) is accepted wherever an Endpoint is. */
export type EndpointSpec = Endpoint | 'loopback' | 'user' | 'sofia';

export interface OriginateOptions {
  /** Default `loopback`. */
  endpoint?: EndpointSpec;
  /** A dialplan application for the originated leg, e.g. `park`, `echo`, `playback`. Default `park`. */
  app?: string;
  /** Its argument, e.g. a file for `playback`. */
  appArg?: string;
  /** Send the answered leg into the dialplan at this extension instead of running `app`. */
  extension?: string;
  /** Dialplan for `extension`. Default `XML`. */
  dialplan?: string;
  /** Context for `extension`. Default `default`. */
  context?: string;
  callerIdName?: string;
  callerIdNumber?: string;
  /** Seconds to wait for an answer (`originate_timeout`). */
  timeoutSec?: number;
  /** Channel variables set on the originated leg (`{name=value,…}`). */
  variables?: Readonly<Record<string, string | number | boolean>>;
  /** Route the call's events to the app loaded with this id. */
  appId?: string;
  /** The originated session's uuid; generated when absent. */
  uuid?: string;
}

/** The channel variable that stamps every leg of a call we originate, so its legs group into one Call. */
export const CALL_ID_VAR = 'fsdev_call_id';
/** The channel variable naming the app whose callbacks receive a call's events. */
export const APP_ID_VAR = 'fsdev_app_id';

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_.\-:]*$/;
const TOKEN = /^[A-Za-z0-9_.\-+@:*#]+$/;
const APP_NAME = /^[A-Za-z0-9_]+$/;

/** Rejects what no quoting can make safe in a dial string or an ESL command. */
function assertPrintable(what: string, value: string): void {
  if (/[\r\n\0]/.test(value)) {
    throw new UnsafeInputError(`${what} contains a line break or NUL, which cannot be sent safely: ${JSON.stringify(value)}`);
  }
}

/*
 * How a channel variable value reaches the channel through `api originate <dial string> …`.
 * Capture 21 proves the forms: `O\'Brien` bare (b), a quoted value with `=`, `^`, spaces or UTF-8
 * (d, e), `'O\'Brien'` (a, f, g), a comma kept by `^^:` (i) or by quoting twice (h), and a comma in
 * one quoting cut (a, c). What the encoder adds beyond those rows follows from FreeSWITCH's own
 * functions (switch_utils.c unless named), each cited where it is used:
 *   1. mod_commands' originate splits the command with switch_separate_string(' ')
 *      (separate_string_blank_delim: every quote toggles, the character after `\` is skipped);
 *   2. switch_event_create_brackets (switch_event.c) ends the block at switch_find_end_paren, which
 *      counts only that block's own brackets, then splits the body with switch_separate_string(',')
 *      (separate_string_char_delim), which takes any character `c` after a leading `^^` instead;
 *   3. each `name=value` is split by switch_separate_string('=') into at most 2 pieces.
 * Every piece of every split goes through cleanup_separated_string: leading spaces and trailing
 * spaces outside quotes dropped, pairs of single quotes removed (a quote opens only when another
 * follows it, so a lone quote stays), and `\'`, `\"`, `\\`, the split's delimiter and unescape_char's
 * `\n \r \t \s` unescaped; an escaped character is never trimmed.
 * A value those rules cannot carry exactly is refused with UnsafeInputError naming the character.
 */

/** Values sent as they are: nothing in them means anything to any level. */
const PLAIN_VALUE = /^[^\s,'{}\[\]<>=^"\\]*$/;
/**
 * After a backslash, a character some level reads as an escape (cleanup_separated_string:
 * `\\`, quotes, the delimiter, unescape_char's letters) or a space (trimmed or split on).
 */
const ESCAPED_AFTER_BACKSLASH = new Set(['\\', "'", '"', 'n', 'r', 't', 's', ' ', ',', '=']);
/**
 * Block delimiters for `^^<c>` when a value holds a comma, in order of preference: capture 21 i
 * proves `:`; switch_separate_string takes any character after `^^`, and none of these is a
 * brace that switch_find_end_paren counts for a `{…}` block.
 */
const DELIMITERS = [':', ';', '|', '!', '~', '#', '%', '@', '+', '*', '?', '/', '&', '(', ')', '[', ']', '`'];

/**
 * What one cleanup_separated_string turns back into `text`: a backslash is doubled where it would
 * read it as an escape (before an escapable character or at the end), quotes become `\'` when
 * `quotes`, and leading and trailing spaces become `\s` when `edges` (unescape_char gives the
 * space back, and an escaped character is never trimmed).
 */
function escapeLevel(text: string, delim: string, quotes: boolean, edges: boolean): string {
  const lead = edges ? /^ */.exec(text)![0].length : 0;
  const trail = edges && lead < text.length ? / *$/.exec(text)![0].length : 0;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (edges && ch === ' ' && (i < lead || i >= text.length - trail)) out += '\\s';
    else if (ch === '\\') out += i + 1 === text.length || ESCAPED_AFTER_BACKSLASH.has(text[i + 1]!) || text[i + 1] === delim ? '\\\\' : '\\';
    else if (ch === "'" && quotes) out += "\\'";
    else out += ch;
  }
  return out;
}

function count(text: string, ch: string): number {
  return text.split(ch).length - 1;
}

/**
 * switch_find_end_paren counts `{` and `}` with no regard for quotes or backslashes: the brace in
 * a value that would close the block early or leave it open, if any.
 */
function unbalancedBrace(value: string): string | undefined {
  let depth = 0;
  for (const ch of value) {
    if (ch === '{') depth++;
    else if (ch === '}' && --depth < 0) return '}';
  }
  return depth > 0 ? '{' : undefined;
}

/** The `{…}` block, each value encoded for the three levels. */
function block(vars: ReadonlyArray<readonly [string, string]>): string {
  const used = vars.map(([name, value]) => name + value).join('');
  const delim = used.includes(',') ? DELIMITERS.find((d) => !used.includes(d)) : ',';
  if (delim === undefined) {
    const [name] = vars.find(([, value]) => value.includes(','))!;
    throw new UnsafeInputError(`channel variable ${name}: its values use every character that could separate them (${DELIMITERS.join(' ')}), so the block cannot be split`);
  }
  // Level 3: a quote toggles only with another after it (cleanup_separated_string's look-ahead),
  // so one quote alone stays bare; two or more are escaped, as capture 21 h does.
  const third = vars.map(([, value]) => escapeLevel(value, '=', count(value, "'") >= 2, true));
  // Level 2: the quote look-ahead runs over the whole body, so every quote is escaped once there are two.
  const escapeQuotes = third.reduce((n, v) => n + count(v, "'"), 0) >= 2;
  const parts = vars.map(([name, value], i) => {
    if (PLAIN_VALUE.test(value)) return `${name}=${value}`;
    // Level 1: quoted, so spaces do not split the command, with every quote inside escaped.
    return `${name}='${escapeLevel(escapeLevel(third[i]!, delim, escapeQuotes, false), '', true, false)}'`;
  });
  return `{${delim === ',' ? '' : `^^${delim}`}${parts.join(delim)}}`;
}

/**
 * The `{name=value,…}` block that makes each value arrive on the channel exactly as given through
 * `api originate` and `bgapi originate`. Plain values go as they are; others are quoted and
 * escaped, and a block whose values hold a comma is split on another character (`{^^:…}`). An
 * empty value leaves the variable unset, as FreeSWITCH ignores `name=`.
 * Refused (`UnsafeInputError`): CR, LF or NUL; `:_:` (FreeSWITCH then treats the whole dial string
 * as an enterprise originate); a `{` or `}` without its partner, which would move the end that
 * switch_find_end_paren finds for the block (a `<…>` block could hold it, but that a `<…>` block
 * before the `{…}` block reaches the channel is neither in capture 21 nor certain from the source).
 */
export function variableBlock(vars: ReadonlyArray<readonly [string, string]>): string {
  for (const [name, value] of vars) {
    assertPrintable('channel variable name', name);
    if (!VAR_NAME.test(name)) throw new UnsafeInputError(`channel variable name ${JSON.stringify(name)} may only contain letters, digits and _ . - :`);
    assertPrintable(`channel variable ${name}`, value);
    if (value.includes(':_:')) {
      throw new UnsafeInputError(`channel variable ${name} contains ":_:", which makes FreeSWITCH split the dial string as an enterprise originate: ${JSON.stringify(value)}`);
    }
    const brace = unbalancedBrace(value);
    if (brace !== undefined) {
      throw new UnsafeInputError(
        `channel variable ${name} has a "${brace}" without its partner: FreeSWITCH ends the {…} block by counting braces, so no form carries it: ${JSON.stringify(value)}`,
      );
    }
  }
  return block(vars);
}

/** The `&app(arg)` of an originate: quoted and escaped for mod_commands' split on spaces when needed. */
function appTarget(app: string, arg: string | undefined): string {
  if (arg === undefined || arg === '') return `&${app}`;
  assertPrintable('application argument', arg);
  // mod_commands ends `&app(arg)` at its first `)`: such an argument goes through the inline dialplan.
  if (arg.includes(')')) return inlineTarget(app, arg);
  if (/^[^\s'\\]*$/.test(arg)) return `&${app}(${arg})`;
  return `'&${app}(${escapeLevel(arg, '', true, false)})'`;
}

/**
 * `'app:arg' inline`: mod_dptools' inline dialplan runs `app` with `arg` (its items are split on
 * `,`, or on `c` after `m:c:`, each at its first `:`), for arguments `&app(arg)` cannot carry,
 * such as a tone `tone_stream://%(1000,0,440);loops=-1`. The leg is routed (a transfer into the
 * inline dialplan) instead of running the application at once.
 */
function inlineTarget(app: string, arg: string): string {
  const delim = arg.includes(',') ? DELIMITERS.find((d) => d !== ':' && !arg.includes(d)) : ',';
  if (delim === undefined) {
    throw new UnsafeInputError(`application argument uses \`)\` and every character that could separate the inline dialplan's items: ${JSON.stringify(arg)}`);
  }
  const item = `${app}:${escapeLevel(arg, delim, count(arg, "'") >= 2, true)}`;
  const extension = delim === ',' ? item : `m:${delim}:${item}`;
  return `'${escapeLevel(extension, '', true, false)}' inline`;
}

function checkToken(what: string, value: string, pattern: RegExp = TOKEN): string {
  assertPrintable(what, value);
  if (!pattern.test(value)) throw new UnsafeInputError(`${what} ${JSON.stringify(value)} may only contain ${describe(pattern)}`);
  return value;
}

function describe(pattern: RegExp): string {
  return pattern === APP_NAME ? 'letters, digits and _' : 'letters, digits and . - + @ : * # _';
}

function normaliseEndpoint(spec: EndpointSpec | undefined): Endpoint {
  if (spec === undefined || spec === 'loopback') return { kind: 'loopback' };
  if (spec === 'user') return { kind: 'user' };
  if (spec === 'sofia') return { kind: 'sofia', profile: 'internal' };
  return spec;
}

/** The endpoint part of a dial string, e.g. `sofia/internal/1000@example.com;fs_path=sip:proxy`. */
export function endpointUrl(destination: string, spec?: EndpointSpec): string {
  const endpoint = normaliseEndpoint(spec);
  switch (endpoint.kind) {
    case 'loopback': {
      const dest = checkToken('destination', destination);
      return endpoint.context ? `loopback/${dest}/${checkToken('context', endpoint.context)}` : `loopback/${dest}`;
    }
    case 'user': {
      const dest = checkToken('destination', destination);
      return endpoint.domain ? `user/${dest}@${checkToken('domain', endpoint.domain)}` : `user/${dest}`;
    }
    case 'gateway':
      return `sofia/gateway/${checkToken('gateway', endpoint.gateway)}/${checkToken('destination', destination)}`;
    case 'sofia': {
      const url = `sofia/${checkToken('profile', endpoint.profile)}/${checkToken('destination', destination)}`;
      if (!endpoint.proxy) return url;
      const proxy = endpoint.proxy.startsWith('sip:') ? endpoint.proxy.slice(4) : endpoint.proxy;
      return `${url};fs_path=sip:${checkToken('proxy', proxy)}`;
    }
  }
}

/** A dial string and the originate command built from it. */
export interface OriginateCommand {
  /** The originated session's uuid (`origination_uuid`), known before anything is sent. */
  uuid: string;
  /** `{vars}endpoint`, as FreeSWITCH's `originate` takes it. */
  dialString: string;
  /** What follows the dial string: `&app(arg)` or `extension dialplan context`. */
  destination: string;
  /** The full API command: `originate <dialString> <destination>`. */
  command: string;
}

/**
 * Builds `originate {origination_uuid=…,…}endpoint &app(arg)` (or `… extension XML context`).
 * Every part is validated and quoted; what cannot be made safe raises `UnsafeInputError` before
 * anything is sent.
 */
export function buildOriginate(destination: string, options: OriginateOptions, newUuid: () => string): OriginateCommand {
  const uuid = options.uuid ?? newUuid();
  checkToken('origination uuid', uuid, /^[A-Za-z0-9-]+$/);
  const vars: Array<[string, string]> = [
    ['origination_uuid', uuid],
    [CALL_ID_VAR, uuid],
  ];
  if (options.appId !== undefined) vars.push([APP_ID_VAR, checkToken('app id', options.appId)]);
  if (options.callerIdName !== undefined) vars.push(['origination_caller_id_name', options.callerIdName]);
  if (options.callerIdNumber !== undefined) vars.push(['origination_caller_id_number', checkToken('caller id number', options.callerIdNumber)]);
  if (options.timeoutSec !== undefined) {
    if (!(Number.isInteger(options.timeoutSec) && options.timeoutSec > 0)) throw new UnsafeInputError(`timeoutSec must be a positive whole number, not ${options.timeoutSec}`);
    vars.push(['originate_timeout', String(options.timeoutSec)]);
  }
  for (const [name, value] of Object.entries(options.variables ?? {})) vars.push([name, String(value)]);
  const dialString = `${variableBlock(vars)}${endpointUrl(destination, options.endpoint)}`;

  let target: string;
  if (options.extension !== undefined) {
    const ext = checkToken('extension', options.extension);
    const dialplan = checkToken('dialplan', options.dialplan ?? 'XML');
    const context = checkToken('context', options.context ?? 'default');
    target = `${ext} ${dialplan} ${context}`;
  } else {
    const app = checkToken('application', options.app ?? 'park', APP_NAME);
    target = appTarget(app, options.appArg);
  }
  return { uuid, dialString, destination: target, command: `originate ${dialString} ${target}` };
}
