/**
 * The XML dialplan (mod_dialplan_xml's dialplan_hunt and parse_exten, FreeSWITCH 1.10.12): the
 * `default` context is the one the recording machine served (data/dialplan-default.xml, capture
 * 19), evaluated extension by extension with the trace lines capture 20 shows (`Dialplan: … parsing
 * [default->…]`, `Regex (PASS|FAIL) …`, `Date/TimeMatch (FAIL) …`, `Action …`, `ANTI-Action …`),
 * clean log lines (Text-Channel 1, no prefix) at DEBUG with the routed leg's uuid as User-Data.
 *
 * Not simulated: nested conditions, `regex="all|any|xor"`, `inline` actions, `loop`, the
 * `date-time` attribute, `tz-offset`/`dst` and time zones (invented simplification: such a
 * condition is skipped as if it were absent, logged as a failed match).
 */
import type { SimChannel } from './channel';
import { expandVariables, profileField } from './expand';
import { childrenNamed, findChild, parseXml, type XmlElement } from './switchXml';
import type { SimSwitch } from './switchCore';
import { defaultContextXml } from './xmlRegistry';

export interface DialplanAction {
  readonly app: string;
  readonly data: string;
}

/**
 * Invented additions to the captured XML, evaluated after it (and not served by `xml_locate`):
 * destination `park` in `default` answers and parks (an idle answered leg for tests), and the
 * context `park`, as switchio's docs configure FreeSWITCH for ESL apps, parks every destination
 * without answering, so the inbound leg waits for an app (a Router) to take it.
 */
const INVENTED_DEFAULT_EXTENSIONS = `<context name="default">
  <extension name="answer_and_park">
    <condition field="destination_number" expression="^park$">
      <action application="answer"></action>
      <action application="park"></action>
    </condition>
  </extension>
</context>`;

const PARK_CONTEXT_XML = `<context name="park">
  <extension name="park">
    <condition field="destination_number" expression="^.*$">
      <action application="park"></action>
    </condition>
  </extension>
</context>`;

/**
 * Invented: the context load tests dial (`loopback/<n>/load`): every destination is answered and
 * parked by one extension, so a call costs the simulator no walk through the default context.
 */
const LOAD_CONTEXT_XML = `<context name="load">
  <extension name="answer_and_park">
    <condition field="destination_number" expression="^.*$">
      <action application="answer"></action>
      <action application="park"></action>
    </condition>
  </extension>
</context>`;

let contexts: Map<string, readonly XmlElement[]> | undefined;

/** The extensions of each context, in order. */
function contextExtensions(name: string): readonly XmlElement[] | undefined {
  if (!contexts) {
    const captured = childrenNamed(parseXml(defaultContextXml()), 'extension');
    contexts = new Map([
      ['default', [...captured, ...childrenNamed(parseXml(INVENTED_DEFAULT_EXTENSIONS), 'extension')]],
      ['park', childrenNamed(parseXml(PARK_CONTEXT_XML), 'extension')],
      ['load', childrenNamed(parseXml(LOAD_CONTEXT_XML), 'extension')],
    ]);
  }
  return contexts.get(name);
}

/** The moment capture 20 was recorded, a Sunday morning: tod_example and holiday_example do not match. */
const CAPTURE_20_TIME = new Date(2026, 10, 29, 8, 37, 7);

const DIALPLAN_FILE = 'mod_dialplan_xml.c';

/** A clean trace line (SWITCH_CHANNEL_SESSION_LOG_CLEAN) at DEBUG. */
function trace(sw: SimSwitch, ch: SimChannel, func: string, line: number, message: string): void {
  sw.log(7, DIALPLAN_FILE, func, line, ch, `Dialplan: ${ch.name} ${message}`, 1);
}

/** `switch_number_cmp`: a comma-separated list of numbers and ranges (`18-8` wraps). */
function numberMatches(exp: string, value: number): boolean {
  return exp.split(',').some((part) => {
    const m = /^\s*(-?\d+)\s*(?:-\s*(-?\d+))?/.exec(part);
    if (!m) return false;
    const a = Number(m[1]);
    if (m[2] === undefined) return a === value;
    const b = Number(m[2]);
    return a <= b ? value >= a && value <= b : value >= a || value <= b;
  });
}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** `switch_dow_cmp`: days 1 (Sunday) to 7 or their names, lists and ranges. */
function dayMatches(exp: string, value: number): boolean {
  const day = (token: string): number => (/^[1-7]$/.test(token) ? Number(token) : DAYS.indexOf(token.slice(0, 3).toLowerCase()) + 1);
  return exp.split(',').some((part) => {
    const [from, to] = part.split('-').map((t) => day(t.trim()));
    if (!from) return false;
    if (!to) return from === value;
    return from <= to ? value >= from && value <= to : value >= from || value <= to;
  });
}

/** `switch_tod_cmp`: `hh:mm[:ss]-hh:mm[:ss]` ranges, comma-separated. */
function timeOfDayMatches(exp: string, seconds: number): boolean {
  return exp.split(',').some((range) => {
    const [from, to] = range.split('-');
    if (!from || !to) return false;
    const secs = (t: string): number => {
      const [h = 0, m = 0, s = 0] = t.split(':').map(Number);
      return h * 3600 + m * 60 + s;
    };
    const a = secs(from);
    const b = secs(to);
    return a <= b ? seconds >= a && seconds <= b : seconds >= a || seconds <= b;
  });
}

/**
 * `switch_xml_std_datetime_check`: -1 when the condition has no time attribute, else 1 or 0 for
 * the local time `now`.
 */
export function timeMatch(cond: XmlElement, now: Date): -1 | 0 | 1 {
  const checks: [string, () => boolean][] = [];
  const attr = (name: string, check: (exp: string) => boolean): void => {
    const exp = cond.attrs.get(name);
    if (exp !== undefined) checks.push([name, () => check(exp)]);
  };
  const startOfYear = new Date(now.getFullYear(), 0, 1);
  const yday = Math.floor((new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime() - startOfYear.getTime()) / 86_400_000);
  attr('date-time', () => false);
  attr('year', (e) => numberMatches(e, now.getFullYear()));
  attr('yday', (e) => numberMatches(e, yday + 1));
  attr('mon', (e) => numberMatches(e, now.getMonth() + 1));
  attr('mday', (e) => numberMatches(e, now.getDate()));
  attr('week', (e) => numberMatches(e, Math.floor(yday / 7) + 1));
  attr('mweek', (e) => {
    const firstDow = (7 - ((now.getDate() - (now.getDay() + 1)) % 7)) % 7;
    return numberMatches(e, Math.ceil((now.getDate() + firstDow) / 7));
  });
  attr('wday', (e) => dayMatches(e, now.getDay() + 1));
  attr('hour', (e) => numberMatches(e, now.getHours()));
  attr('minute', (e) => numberMatches(e, now.getMinutes()));
  attr('minute-of-day', (e) => numberMatches(e, now.getHours() * 60 + now.getMinutes() + 1));
  attr('time-of-day', (e) => timeOfDayMatches(e, now.getHours() * 3600 + now.getMinutes() * 60 + now.getSeconds()));
  if (checks.length === 0) return -1;
  return checks.every(([, check]) => check()) ? 1 : 0;
}

const compiled = new Map<string, RegExp | undefined>();

/** PCRE as JavaScript runs it (the vanilla expressions need nothing JavaScript lacks); undefined if invalid. */
function regex(expression: string): RegExp | undefined {
  if (!compiled.has(expression)) {
    let re: RegExp | undefined;
    try {
      re = new RegExp(expression);
    } catch {
      re = undefined;
    }
    compiled.set(expression, re);
  }
  return compiled.get(expression);
}

/** `switch_perform_substitution`: `$1`…`$9` (and `${1}`) in action data from the match; other `$` stay. */
export function substitute(data: string, match: RegExpExecArray): string {
  return data.replace(/\$(?:\{(\d+)\}|(\d+))/g, (_whole, braced: string | undefined, plain: string | undefined) => match[Number(braced ?? plain)] ?? '');
}

type BreakRule = 'on-true' | 'on-false' | 'always' | 'never';

/**
 * `parse_exten`: the extension's conditions in order, appending to `actions`; true when it
 * matched (an anti-action counts).
 */
function parseExtension(sw: SimSwitch, ch: SimChannel, ext: XmlElement, actions: DialplanAction[], now: Date): boolean {
  const name = ext.attrs.get('name') ?? '_anon_';
  let proceed = false;
  for (const cond of childrenNamed(ext, 'condition')) {
    // An unknown break value counts (and shows) as the default, on-false.
    const breakAttr = cond.attrs.get('break');
    const shownBreak = breakAttr !== undefined && /^(on-true|on-false|always|never)$/i.test(breakAttr) ? breakAttr : 'on-false';
    const breakRule = shownBreak.toLowerCase() as BreakRule;
    let antiAction = true;
    const time = timeMatch(cond, now);
    if (time === 1) {
      trace(sw, ch, 'parse_exten', 207, `Date/Time Match (PASS) [${name}] break=${shownBreak}`);
      antiAction = false;
      proceed = true;
    } else if (time === 0) {
      trace(sw, ch, 'parse_exten', 219, `Date/TimeMatch (FAIL) [${name}] break=${shownBreak}`);
      proceed = false;
    }
    const field = cond.attrs.get('field');
    const expressionChild = findChild(cond, 'expression');
    const expression = expandVariables(sw, ch, expressionChild ? expressionChild.text : cond.attrs.get('expression') ?? '');
    let match: RegExpExecArray | null = null;
    let fieldData = '';
    if (field !== undefined) {
      fieldData = field.includes('$') ? expandVariables(sw, ch, field) : profileField(ch, field) ?? '';
      match = regex(expression)?.exec(fieldData) ?? null;
      proceed = match !== null;
      if (match) {
        trace(sw, ch, 'parse_exten', 415, `Regex (PASS) [${name}] ${field}(${fieldData}) =~ /${expression}/ break=${shownBreak}`);
        antiAction = false;
      } else {
        trace(sw, ch, 'parse_exten', 426, `Regex (FAIL) [${name}] ${field}(${fieldData}) =~ /${expression}/ break=${shownBreak}`);
      }
    } else if (time === -1) {
      trace(sw, ch, 'parse_exten', 437, `Absolute Condition [${name}]`);
      antiAction = false;
      proceed = true;
    }
    const captures = field !== undefined && expression.includes('(') && match !== null;
    if (antiAction) {
      for (const xa of childrenNamed(cond, 'anti-action')) {
        const app = xa.attrs.get('application') ?? '';
        const data = xa.text || (xa.attrs.get('data') ?? '');
        trace(sw, ch, 'parse_exten', 493, `ANTI-Action ${app}(${data}) `);
        actions.push({ app, data });
        proceed = true;
      }
    } else {
      if (captures) {
        // DP_MATCH holds the whole match and each group, an array once it has two values.
        const groups = [...match!].map((g) => g ?? '');
        ch.vars.set('DP_MATCH', groups.length > 1 ? `ARRAY::${groups.join('|:')}` : groups[0]);
      }
      for (const xa of childrenNamed(cond, 'action')) {
        const app = xa.attrs.get('application') ?? '';
        const raw = xa.text || (xa.attrs.get('data') ?? '');
        const data = captures ? substitute(raw, match!) : raw;
        trace(sw, ch, 'parse_exten', 560, `Action ${app}(${data}) `);
        actions.push({ app, data });
      }
    }
    if ((!antiAction && breakRule === 'on-true') || (antiAction && breakRule === 'on-false') || breakRule === 'always') break;
  }
  return proceed;
}

/**
 * `dialplan_hunt` for a leg in CS_ROUTING: logs `Processing <name> <number>->dest in context ctx`,
 * walks the context's extensions and returns the actions of the extension(s) that matched, or
 * undefined when none did (the leg then hangs up NO_ROUTE_DESTINATION, capture 09). Setting
 * DP_MATCH is the hunt's only effect on the channel.
 */
export function huntDialplan(sw: SimSwitch, ch: SimChannel, target?: { destination: string; context: string }): DialplanAction[] | undefined {
  const p = ch.profile;
  if (!p) return undefined;
  const destination = target?.destination ?? p.destinationNumber;
  const context = target?.context || p.context || 'default';
  sw.log(6, DIALPLAN_FILE, 'dialplan_hunt', 639, ch, `Processing ${p.callerIdName} <${p.callerIdNumber}>->${destination} in context ${context}`);
  const extensions = contextExtensions(context) ?? contextExtensions('global');
  if (!extensions) {
    sw.log(4, DIALPLAN_FILE, 'dialplan_hunt', 669, ch, `Context ${context} not found`);
    return undefined;
  }
  const now = dialplanNow(sw);
  const actions: DialplanAction[] = [];
  // The conditions read the caller profile; an (invented) transfer hunts another destination.
  if (target) ch.profile = { ...p, destinationNumber: destination, context };
  try {
    for (const ext of extensions) {
      const cont = ext.attrs.get('continue');
      trace(sw, ch, 'dialplan_hunt', 696, `parsing [${context}->${ext.attrs.get('name') ?? 'UNKNOWN'}] continue=${cont ?? 'false'}`);
      const proceed = parseExtension(sw, ch, ext, actions, now);
      if (proceed && !isTrue(cont)) break;
    }
  } finally {
    ch.profile = p;
  }
  return actions.length > 0 ? actions : undefined;
}

/** `switch_true`. */
export function isTrue(value: string | undefined): boolean {
  return value !== undefined && /^(yes|on|true|t|enabled|active|allow|1)$/i.test(value.trim());
}

/** The wall clock the time conditions read (TestEslServerOptions.dialplanTime). */
function dialplanNow(sw: SimSwitch): Date {
  const option = sw.options.dialplanTime;
  if (option === undefined) return CAPTURE_20_TIME;
  return typeof option === 'function' ? option() : option;
}

