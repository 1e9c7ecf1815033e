/**
 * A call's path through the XML dialplan, from FreeSWITCH's own log lines (mod_dialplan_xml's
 * trace at DEBUG, `EXECUTE` at INFO; captures 08 and 20 show their exact shape), mapped onto the
 * extensions of the XML the editor shows. Pure (no vscode).
 *
 * Line shapes (mod_dialplan_xml.c 1.10.12; "Dialplan: " may follow a timestamped prefix when the
 * switch runs with dialplan timestamps, and a `|--- ` prefix marks nested conditions):
 *   Processing <name> <<number>>-><dest> in context <ctx>
 *   Dialplan: <chan> parsing [<ctx>-><ext>] continue=<true|false>
 *   Dialplan: <chan> Regex (PASS|FAIL) [<ext>] <field>(<value>) =~ /<expr>/ break=<b> | match=<any|all>
 *   Dialplan: <chan> Date/Time Match (PASS) [<ext>] [break=<b>]   /   Date/TimeMatch (FAIL) [<ext>] …
 *   Dialplan: <chan> Absolute Condition [<ext>] [match=…]
 *   Dialplan: <chan> Action <app>(<data>) [INLINE]      /   ANTI-Action <app>(<data>) [INLINE]
 *   Dialplan: Processing recursive conditions level:<n> [<ext>_recur_<n>] require-nested=<TRUE|FALSE>
 *   EXECUTE [depth=<n>] <chan> <app>(<expanded data>)
 */
import { attr, type XmlElement } from './xml';

/** The part of a core LogLine the trace reads. */
export interface TraceLogLine {
  readonly uuid: string | undefined;
  readonly level: number;
  readonly text: string;
}

export type TraceStep =
  | { readonly kind: 'processing'; readonly callerName: string; readonly callerNumber: string; readonly destination: string; readonly context: string }
  | { readonly kind: 'parsing'; readonly channel: string; readonly context: string; readonly extension: string; readonly continue: string }
  | {
      readonly kind: 'regex';
      readonly pass: boolean;
      readonly channel: string;
      readonly extension: string;
      readonly field: string;
      readonly value: string;
      readonly expression: string;
      readonly breakOn?: string;
      readonly match?: string;
      readonly depth: number;
    }
  | { readonly kind: 'time'; readonly pass: boolean; readonly channel: string; readonly extension: string; readonly breakOn?: string; readonly depth: number }
  | { readonly kind: 'absolute'; readonly channel: string; readonly extension: string; readonly match?: string; readonly depth: number }
  | { readonly kind: 'action'; readonly anti: boolean; readonly channel: string; readonly app: string; readonly data: string; readonly inline: boolean; readonly depth: number }
  | { readonly kind: 'nested'; readonly level: number; readonly extension: string; readonly requireNested: boolean }
  | { readonly kind: 'execute'; readonly depth: number; readonly channel: string; readonly app: string; readonly data: string }
  | { readonly kind: 'error'; readonly text: string };

const DIALPLAN_KEYWORDS: ReadonlyArray<readonly [string, TraceStep['kind'] | 'pass' | 'fail' | 'tpass' | 'tfail' | 'anti']> = [
  [' parsing [', 'parsing'],
  [' Regex (PASS) [', 'pass'],
  [' Regex (FAIL) [', 'fail'],
  [' Date/Time Match (PASS) [', 'tpass'],
  [' Date/TimeMatch (FAIL) [', 'tfail'],
  [' Absolute Condition [', 'absolute'],
  [' ANTI-Action ', 'anti'],
  [' Action ', 'action'],
];

/** `[ext] rest` → ext and rest. */
function bracketed(s: string): { name: string; rest: string } {
  const close = s.indexOf('] ') >= 0 ? s.indexOf('] ') : s.lastIndexOf(']');
  return close < 0 ? { name: s, rest: '' } : { name: s.slice(0, close), rest: s.slice(close + 1).trim() };
}

/** `app(data)` → app and data. */
function appCall(s: string): { app: string; data: string } {
  const open = s.indexOf('(');
  if (open < 0) return { app: s, data: '' };
  const close = s.lastIndexOf(')');
  return { app: s.slice(0, open), data: s.slice(open + 1, close > open ? close : undefined) };
}

/** `field(value) =~ /expr/` → its parts; a `${…}` field keeps its braces. */
function regexParts(s: string): { field: string; value: string; expression: string } {
  let i = 0;
  if (s.startsWith('${')) {
    let depth = 0;
    for (; i < s.length; i++) {
      if (s[i] === '{') depth++;
      else if (s[i] === '}' && --depth === 0) {
        i++;
        break;
      }
    }
  } else {
    i = s.indexOf('(');
    if (i < 0) i = s.length;
  }
  const field = s.slice(0, i);
  const sep = s.indexOf(') =~ /', i);
  if (sep < 0) return { field, value: '', expression: '' };
  const value = s.slice(i + 1, sep);
  let expression = s.slice(sep + 6);
  if (expression.endsWith('/')) expression = expression.slice(0, -1);
  return { field, value, expression };
}

/** One log line as a trace step, or undefined when it is not part of the trace. */
export function parseTraceLine(text: string): TraceStep | undefined {
  const line = text.replace(/\r?\n$/, '');
  const processing = /Processing (.*) <(.*)>->(.*) in context (\S*)$/.exec(line);
  if (processing && !line.includes('Dialplan: ')) {
    return { kind: 'processing', callerName: processing[1]!, callerNumber: processing[2]!, destination: processing[3]!, context: processing[4]! };
  }
  const exec = /EXECUTE \[depth=(\d+)\] (\S+) ([^(\s]*)\((.*)\)$/s.exec(line);
  if (exec) return { kind: 'execute', depth: Number(exec[1]), channel: exec[2]!, app: exec[3]!, data: exec[4]! };
  const invalid = /(Invalid Application \S+|No Function for \S+|This application cannot be executed inline)/.exec(line);
  if (invalid) return { kind: 'error', text: invalid[1]! };
  const at = line.indexOf('Dialplan: ');
  if (at < 0) return undefined;
  const prefix = line.slice(0, at);
  const depth = /\|([-\s]*)$/.test(prefix) ? Math.round((prefix.length - prefix.lastIndexOf('|')) / 4) : 0;
  const body = line.slice(at + 'Dialplan: '.length);
  const nested = /^Processing recursive conditions level:(\d+) \[(.*)\] require-nested=(\w+)/.exec(body);
  if (nested) return { kind: 'nested', level: Number(nested[1]), extension: nested[2]!, requireNested: nested[3] === 'TRUE' };
  let best: { index: number; keyword: string; kind: (typeof DIALPLAN_KEYWORDS)[number][1] } | undefined;
  for (const [keyword, kind] of DIALPLAN_KEYWORDS) {
    const index = body.indexOf(keyword);
    if (index >= 0 && (!best || index < best.index)) best = { index, keyword, kind };
  }
  if (!best) return undefined;
  const channel = body.slice(0, best.index);
  const rest = body.slice(best.index + best.keyword.length);
  switch (best.kind) {
    case 'parsing': {
      const m = /^(.*?)->(.*)\] continue=(\S*)$/.exec(rest);
      return m ? { kind: 'parsing', channel, context: m[1]!, extension: m[2]!, continue: m[3]! } : undefined;
    }
    case 'pass':
    case 'fail': {
      const { name, rest: after } = bracketed(rest);
      const tail = / (break|match)=(\S*)$/.exec(after);
      const core = tail ? after.slice(0, tail.index) : after;
      const parts = regexParts(core);
      return {
        kind: 'regex',
        pass: best.kind === 'pass',
        channel,
        extension: name,
        ...parts,
        ...(tail?.[1] === 'break' ? { breakOn: tail[2]! } : {}),
        ...(tail?.[1] === 'match' ? { match: tail[2]! } : {}),
        depth,
      };
    }
    case 'tpass':
    case 'tfail': {
      const { name, rest: after } = bracketed(rest);
      const brk = /break=(\S*)/.exec(after)?.[1];
      return { kind: 'time', pass: best.kind === 'tpass', channel, extension: name, ...(brk ? { breakOn: brk } : {}), depth };
    }
    case 'absolute': {
      const { name, rest: after } = bracketed(rest);
      const match = /match=(\S*)/.exec(after)?.[1];
      return { kind: 'absolute', channel, extension: name, ...(match ? { match } : {}), depth };
    }
    case 'action':
    case 'anti': {
      let call = rest;
      const inline = / INLINE$/.test(call);
      call = call.replace(/ INLINE$/, '').replace(/ $/, '');
      return { kind: 'action', anti: best.kind === 'anti', channel, ...appCall(call), inline, depth };
    }
    default:
      return undefined;
  }
}

/** The trace steps among a leg's log lines, in order. */
export function traceSteps(lines: readonly TraceLogLine[]): TraceStep[] {
  const out: TraceStep[] = [];
  for (const l of lines) {
    const step = parseTraceLine(l.text);
    if (step) out.push(step);
  }
  return out;
}

// ---------------------------------------------------------------- mapping onto XML

/** An extension of the XML shown, in hunt order: `key` names its document (a path or URI). */
export interface TraceExtension {
  readonly key: string;
  readonly element: XmlElement;
  readonly name: string;
}

export type MarkKind = 'pass' | 'fail' | 'matched' | 'tested' | 'unreached' | 'skipped' | 'action' | 'ran' | 'notRun';

/** What the editor shows on one element. */
export interface TraceMark {
  readonly key: string;
  readonly element: XmlElement;
  readonly kind: MarkKind;
  /** Order of a queued action (1-based). */
  readonly order?: number;
  /** Plain text lines for the hover (shown as text). */
  readonly detail: readonly string[];
}

/** A step with the element it landed on (when the XML shown has it). */
export interface MappedStep {
  readonly step: TraceStep;
  readonly target?: { readonly key: string; readonly element: XmlElement };
  /** Tree label. */
  readonly label: string;
  readonly kind: MarkKind | 'info' | 'error';
}

export interface MappedTrace {
  readonly steps: readonly MappedStep[];
  readonly marks: readonly TraceMark[];
  /** Extension names the trace tested that the XML shown does not have. */
  readonly missing: readonly string[];
  /** The extension that matched last, if any. */
  readonly matched?: string;
  readonly context?: string;
}

function conditionsInOrder(ext: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  const visit = (el: XmlElement): void => {
    for (const c of el.children) {
      if (c.name !== 'condition') continue;
      out.push(c);
      for (const r of c.children) if (r.name === 'regex') out.push(r);
      visit(c);
    }
  };
  visit(ext);
  return out;
}

const TIME_ATTRS = ['year', 'yday', 'mon', 'mday', 'week', 'mweek', 'wday', 'hour', 'minute', 'minute-of-day', 'time-of-day', 'date-time'];
const hasTime = (el: XmlElement): boolean => el.attrs.some((a) => TIME_ATTRS.includes(a.name));

function stepLabel(step: TraceStep): string {
  switch (step.kind) {
    case 'processing':
      return `Processing ${step.callerName} <${step.callerNumber}> → ${step.destination} in context ${step.context}`;
    case 'parsing':
      return `${step.extension}${step.continue !== 'false' ? ` (continue=${step.continue})` : ''}`;
    case 'regex':
      return `${step.pass ? 'PASS' : 'FAIL'} ${step.field}(${step.value}) =~ /${step.expression}/`;
    case 'time':
      return `${step.pass ? 'PASS' : 'FAIL'} date/time`;
    case 'absolute':
      return 'absolute condition';
    case 'action':
      return `${step.anti ? 'anti-action' : 'action'} ${step.app}(${step.data})${step.inline ? ' inline' : ''}`;
    case 'nested':
      return `nested conditions, level ${step.level}`;
    case 'execute':
      return `EXECUTE ${step.app}(${step.data})${step.depth > 0 ? ` [depth ${step.depth}]` : ''}`;
    case 'error':
      return step.text;
  }
}

/**
 * Maps a leg's steps onto the extensions of the context(s) it was routed in. `extensionsOf`
 * returns a context's extensions in hunt order (empty when the XML shown lacks the context).
 */
export function mapTrace(steps: readonly TraceStep[], extensionsOf: (context: string) => readonly TraceExtension[], opts: { readonly live?: boolean } = {}): MappedTrace {
  const mapped: MappedStep[] = [];
  const marks: TraceMark[] = [];
  const missing: string[] = [];
  let context: string | undefined;
  let extensions: readonly TraceExtension[] = [];
  let pointer = 0;
  let current: TraceExtension | undefined;
  let conditions: XmlElement[] = [];
  let condPointer = 0;
  let lastCondition: XmlElement | undefined;
  let actionPointer = new Map<XmlElement, number>();
  let extQueued = false;
  let extLastResult: boolean | undefined;
  let matched: string | undefined;
  const queue: Array<{ app: string; order: number; detail: string[]; target?: { key: string; element: XmlElement } }> = [];
  const reachedIndex = new Map<string, number>();

  const closeExtension = (): void => {
    if (!current) return;
    const ok = extQueued || extLastResult === true;
    if (ok) matched = current.name;
    marks.push({
      key: current.key,
      element: current.element,
      kind: ok ? 'matched' : 'tested',
      detail: [ok ? `Matched${extQueued ? ': its actions were queued' : ''}.` : 'Tested: no condition led to an action.'],
    });
    current = undefined;
  };

  const finishHunt = (): void => {
    closeExtension();
    if (!context) return;
    const last = reachedIndex.get(context) ?? -1;
    extensions.forEach((ext, i) => {
      if (i > last) marks.push({ key: ext.key, element: ext.element, kind: 'unreached', detail: ['Never reached: the search stopped at an earlier extension.'] });
    });
  };

  for (const step of steps) {
    const label = stepLabel(step);
    switch (step.kind) {
      case 'processing': {
        finishHunt();
        context = step.context;
        extensions = extensionsOf(step.context);
        pointer = 0;
        mapped.push({ step, label, kind: 'info' });
        continue;
      }
      case 'parsing': {
        closeExtension();
        if (context !== step.context) {
          finishHunt();
          context = step.context;
          extensions = extensionsOf(step.context);
          pointer = 0;
        }
        let found = -1;
        for (let i = pointer; i < extensions.length; i++) {
          if (extensions[i]!.name === step.extension) {
            found = i;
            break;
          }
        }
        // Extensions between the last one tested and this one were not tested by the server.
        for (let i = pointer; found >= 0 && i < found; i++) {
          marks.push({
            key: extensions[i]!.key,
            element: extensions[i]!.element,
            kind: 'skipped',
            detail: ["The server did not test this extension: its dialplan differs from this XML (run Reload XML?)."],
          });
        }
        conditions = [];
        condPointer = 0;
        lastCondition = undefined;
        actionPointer = new Map();
        extQueued = false;
        extLastResult = undefined;
        if (found < 0) {
          if (!missing.includes(step.extension)) missing.push(step.extension);
          mapped.push({ step, label, kind: 'info' });
          continue;
        }
        current = extensions[found];
        pointer = found + 1;
        reachedIndex.set(step.context, found);
        conditions = conditionsInOrder(current!.element);
        mapped.push({ step, label, kind: 'tested', target: { key: current!.key, element: current!.element } });
        continue;
      }
      case 'regex':
      case 'time':
      case 'absolute': {
        const pass = step.kind === 'absolute' ? true : step.pass;
        let target: XmlElement | undefined;
        for (let i = condPointer; i < conditions.length; i++) {
          const c = conditions[i]!;
          const field = attr(c, 'field');
          const fits =
            step.kind === 'regex'
              ? field === step.field && (step.match === undefined) === (c.name === 'condition')
              : step.kind === 'time'
                ? hasTime(c)
                : field === undefined && !hasTime(c) && c.name === 'condition';
          if (fits) {
            target = c;
            // A condition with time attributes and a field logs two lines: stay on it for the second.
            condPointer = step.kind === 'time' && field !== undefined ? i : i + 1;
            break;
          }
        }
        if (target) {
          const detail =
            step.kind === 'regex'
              ? [`${pass ? 'PASS' : 'FAIL'}: ${step.field}(${step.value}) =~ /${step.expression}/`, step.breakOn ? `break=${step.breakOn}` : `match=${step.match ?? ''}`]
              : step.kind === 'time'
                ? [`${pass ? 'PASS' : 'FAIL'}: the date/time attributes ${pass ? 'match' : 'do not match'} now`]
                : ['PASS: absolute condition (no field)'];
          const cond = target.name === 'regex' ? target.parent ?? target : target;
          marks.push({ key: current!.key, element: target, kind: pass ? 'pass' : 'fail', detail });
          lastCondition = cond;
        }
        extLastResult = pass;
        mapped.push({ step, label, kind: pass ? 'pass' : 'fail', ...(target && current ? { target: { key: current.key, element: target } } : {}) });
        continue;
      }
      case 'action': {
        extQueued = true;
        let target: XmlElement | undefined;
        if (lastCondition && current) {
          const list = lastCondition.children.filter((c) => c.name === (step.anti ? 'anti-action' : 'action'));
          let i = actionPointer.get(lastCondition) ?? 0;
          // `loop` repeats an action; a name that does not fit is searched for further on.
          while (i < list.length && attr(list[i]!, 'application') !== step.app) i++;
          if (i < list.length) {
            target = list[i]!;
            const loop = Number(attr(target, 'loop') ?? '1');
            const repeats = queue.filter((q) => q.target?.element === target).length + 1;
            actionPointer.set(lastCondition, repeats < loop ? i : i + 1);
          }
        }
        const order = queue.length + 1;
        const detail = [`Queued #${order}${step.anti ? ' (anti-action: the condition failed)' : ''}: ${step.app}(${step.data})${step.inline ? ' — ran inline, during the search' : ''}`];
        queue.push({ app: step.app, order, detail, ...(target && current ? { target: { key: current.key, element: target } } : {}) });
        mapped.push({ step, label: `#${order} ${label}`, kind: 'action', ...(target && current ? { target: { key: current.key, element: target } } : {}) });
        continue;
      }
      case 'execute': {
        mapped.push({ step, label, kind: 'ran' });
        continue;
      }
      case 'nested':
        mapped.push({ step, label, kind: 'info' });
        continue;
      case 'error':
        mapped.push({ step, label, kind: 'error' });
        continue;
    }
  }
  finishHunt();

  // Queued actions that then ran, matched in order by application name (EXECUTE shows the data expanded).
  const executes = mapped.filter((m) => m.step.kind === 'execute' && m.step.depth === 0);
  const ran = new Set<number>();
  let q = 0;
  for (const e of executes) {
    if (e.step.kind !== 'execute') continue;
    let i = q;
    while (i < queue.length && queue[i]!.app !== e.step.app) i++;
    if (i >= queue.length) continue;
    ran.add(i);
    q = i + 1;
    const target = queue[i]!.target;
    if (target) mapped[mapped.indexOf(e)] = { ...e, target };
  }
  queue.forEach((item, i) => {
    if (!item.target) return;
    const kind: MarkKind = executes.length === 0 ? 'action' : ran.has(i) ? 'ran' : 'notRun';
    const note =
      kind === 'action'
        ? 'No EXECUTE line seen yet.'
        : kind === 'ran'
          ? 'Ran (EXECUTE).'
          : opts.live
            ? 'Not run yet when the trace stopped: the call is still up.'
            : 'Did not run: the call ended or moved on before it.';
    marks.push({ ...item.target, kind, order: item.order, detail: [...item.detail, note] });
  });
  return { steps: mapped, marks, missing, ...(matched ? { matched } : {}), ...(context ? { context } : {}) };
}
