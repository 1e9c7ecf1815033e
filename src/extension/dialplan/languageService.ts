/**
 * The language features of FreeSWITCH configuration XML, as pure functions of text, offset and
 * the tree's model: completion, hover, definition, references, diagnostics, outline and the
 * extension lenses. Offsets in, offsets out; documentation as plain parts (text and code) that the
 * VS Code glue escapes, so text from a server or a file never becomes markup. No vscode.
 */
import { scopeFromPath, type ConfFile, type ConfModel, type ScopeEntry } from './confModel';
import {
  BREAK_VALUES,
  CALLER_FIELDS,
  CHANNEL_VARIABLES,
  CORE_GLOBALS,
  SET_LIKE_APPLICATIONS,
  elementSpec,
  standardApplications,
  type ApplicationInfo,
  type ElementSpec,
} from './knowledge';
import { checkPcre } from './pcre';
import { hasGlobMagic } from './preprocess';
import { attr, attrNode, childrenNamed, elementAt, inComment, innerText, parseXml, scanAttributes, type Severity, type XmlAttr, type XmlDocument, type XmlElement } from './xml';

/** Documentation as parts: text is shown as text, code as a code block. */
export type DocPart = { readonly text: string } | { readonly code: string } | { readonly heading: string };

/** The applications the features use: a connected server's list, or the shipped one. */
export interface AppCatalog {
  readonly apps: ReadonlyMap<string, ApplicationInfo>;
  /** The server the list came from; undefined for the shipped list. */
  readonly server?: string;
}

export function shippedCatalog(): AppCatalog {
  return { apps: standardApplications() };
}

/** Where a document sits: its path, and the tree model when it is part of one. */
export interface DocContext {
  readonly path: string;
  readonly model?: ConfModel;
  /** The document is a server's assembled XML (Show Effective Dialplan): no include resolution. */
  readonly effective?: boolean;
  readonly catalog: AppCatalog;
}

export type CompletionKind = 'element' | 'attribute' | 'value' | 'application' | 'variable' | 'global' | 'field' | 'snippet' | 'file';

export interface CompletionEntry {
  readonly label: string;
  readonly kind: CompletionKind;
  readonly detail?: string;
  readonly documentation?: readonly DocPart[];
  /** Text to insert; a snippet (VS Code syntax) when `snippet`. */
  readonly insert: string;
  readonly snippet?: boolean;
  readonly sortText?: string;
  /** Range replaced: [start, end). */
  readonly start: number;
  readonly end: number;
}

export interface HoverResult {
  readonly start: number;
  readonly end: number;
  readonly parts: readonly DocPart[];
  /** A global whose value the glue may add from the server (`global_getvar`). */
  readonly globalName?: string;
}

export interface Location {
  readonly path: string;
  readonly start: number;
  readonly end: number;
}

export interface Problem {
  readonly start: number;
  readonly end: number;
  readonly message: string;
  readonly severity: Severity;
  readonly code?: string;
}

// ---------------------------------------------------------------- where the cursor is

function fileScope(ctx: DocContext): ScopeEntry[] {
  if (ctx.effective) return [{ element: 'document' }, { element: 'section', name: 'dialplan' }];
  const fromModel = ctx.model?.scopeOf(ctx.path);
  if (fromModel && (fromModel.length > 0 || ctx.model?.entry)) return [...fromModel];
  return ctx.model ? scopeFromPath(ctx.model.root, ctx.path) : [];
}

/** The element names of the chain, innermost last, without the transparent `include` wrapper. */
function chainNames(scope: readonly ScopeEntry[], open: readonly XmlElement[]): string[] {
  return [...scope.map((s) => s.element), ...open.map((e) => e.name)].filter((n) => n !== 'include' && n.toLowerCase() !== 'x-pre-process');
}

function sectionOf(scope: readonly ScopeEntry[], open: readonly XmlElement[]): string | undefined {
  const inFile = open.find((e) => e.name === 'section');
  return inFile ? attr(inFile, 'name') : scope.find((s) => s.element === 'section')?.name;
}

/** Elements allowed inside `parent` (top of a file: what the scope allows, or everything). */
function allowedChildren(parent: string | undefined, section: string | undefined): string[] {
  if (parent === undefined) return ['document', 'section', 'context', 'extension', 'configuration', 'domain', 'user', 'X-PRE-PROCESS', 'include'];
  if (parent === 'section') {
    switch (section) {
      case 'dialplan':
      case 'chatplan':
        return ['context', 'X-PRE-PROCESS'];
      case 'directory':
        return ['domain', 'X-PRE-PROCESS'];
      case 'configuration':
        return ['configuration', 'X-PRE-PROCESS'];
      case 'languages':
        return ['language', 'X-PRE-PROCESS'];
      default:
        return [...(elementSpec('section')?.children ?? [])];
    }
  }
  if (parent === 'domain' && section === 'dialplan') return [];
  return [...(elementSpec(parent)?.children ?? [])];
}

// ---------------------------------------------------------------- completion

function appDoc(app: ApplicationInfo, catalog: AppCatalog): DocPart[] {
  const parts: DocPart[] = [{ heading: app.name }];
  if (app.description) parts.push({ text: app.description });
  parts.push({ code: `${app.name} ${app.syntax}`.trim() });
  parts.push({ text: `${app.module || 'module unknown'}${catalog.server ? ` · on ${catalog.server}` : ' · shipped list (no server connected)'}` });
  return parts;
}

interface Snippet {
  readonly label: string;
  readonly detail: string;
  readonly body: string;
  /** Offered inside these elements. */
  readonly parents: readonly string[];
}

/** Snippets; `$1`… are tab stops, `\\$1` is FreeSWITCH's capture written literally. */
export const SNIPPETS: readonly Snippet[] = [
  {
    label: 'extension matching a number',
    detail: 'An extension matching a destination number',
    parents: ['context'],
    body: '<extension name="${1:name}">\n\t<condition field="destination_number" expression="^${2:1234}\\$">\n\t\t<action application="${3:answer}"/>\n\t\t$0\n\t</condition>\n</extension>',
  },
  {
    label: 'condition with action and anti-action',
    detail: 'A condition: actions when it matches, anti-actions when it does not',
    parents: ['extension', 'condition'],
    body: '<condition field="${1:destination_number}" expression="^${2:1234}\\$">\n\t<action application="${3:log}" data="${4:INFO matched}"/>\n\t<anti-action application="${5:log}" data="${6:INFO did not match}"/>\n</condition>',
  },
  {
    label: 'regex with captures',
    detail: 'Capture digits and use them as $1 in the action',
    parents: ['extension', 'condition'],
    body: '<condition field="destination_number" expression="^${1:9}(\\\\d+)\\$">\n\t<action application="${2:bridge}" data="${3:sofia/gateway/carrier}/\\$1"/>\n</condition>',
  },
  {
    label: 'bridge to a user',
    detail: 'Ring a directory user (Local_Extension style)',
    parents: ['context'],
    body: '<extension name="${1:local_user}">\n\t<condition field="destination_number" expression="^(${2:10[01][0-9]})\\$">\n\t\t<action application="set" data="call_timeout=${3:30}"/>\n\t\t<action application="set" data="hangup_after_bridge=true"/>\n\t\t<action application="bridge" data="user/\\$1@\\$\\${domain}"/>\n\t</condition>\n</extension>',
  },
  {
    label: 'bridge to a gateway',
    detail: 'Send a call out through a SIP gateway',
    parents: ['context'],
    body: '<extension name="${1:outbound}">\n\t<condition field="destination_number" expression="^${2:9}(\\\\d{10,})\\$">\n\t\t<action application="set" data="effective_caller_id_number=\\$\\${outbound_caller_id}"/>\n\t\t<action application="bridge" data="sofia/gateway/${3:carrier}/\\$1"/>\n\t</condition>\n</extension>',
  },
  {
    label: 'park for apps',
    detail: 'Park every call so a FreeSWITCH Dev app (a Router) takes it',
    parents: ['context'],
    body: '<extension name="${1:park_for_apps}">\n\t<condition field="destination_number" expression="^${2:.*}\\$">\n\t\t<action application="park"/>\n\t</condition>\n</extension>',
  },
];

/** The lexical situation at the cursor. */
type Situation =
  | { kind: 'comment' }
  | { kind: 'text' }
  | { kind: 'tagName'; tagStart: number; closing: boolean; partialStart: number }
  | { kind: 'attrName'; tagStart: number; element: string; present: string[]; partialStart: number }
  | { kind: 'attrValue'; tagStart: number; element: string; attr: XmlAttr; attrs: XmlAttr[] };

function situationAt(text: string, offset: number): Situation {
  const prefix = text.slice(0, offset);
  if (prefix.lastIndexOf('<!--') > prefix.lastIndexOf('-->')) return { kind: 'comment' };
  const lt = prefix.lastIndexOf('<');
  if (lt < 0 || prefix.lastIndexOf('>') > lt) return { kind: 'text' };
  const tag = prefix.slice(lt);
  const name = /^<(\/?)([\w:.-]*)$/.exec(tag);
  if (name) return { kind: 'tagName', tagStart: lt, closing: name[1] === '/', partialStart: lt + 1 + name[1]!.length };
  const element = /^<([\w:.-]+)/.exec(tag)?.[1];
  if (!element) return { kind: 'text' };
  const attrs = scanAttributes(text, lt, offset);
  const last = attrs[attrs.length - 1];
  if (last && !last.closed && last.valueStart <= offset && /=\s*["']/.test(text.slice(last.nameStart, last.valueStart))) {
    return { kind: 'attrValue', tagStart: lt, element, attr: last, attrs };
  }
  const partial = /[\w:.-]*$/.exec(prefix)![0];
  return { kind: 'attrName', tagStart: lt, element, present: attrs.map((a) => a.name), partialStart: offset - partial.length };
}

/** Completion at `offset`. Works on broken XML: the structure comes from the text before the cursor. */
export function complete(ctx: DocContext, text: string, offset: number): CompletionEntry[] {
  const where = situationAt(text, offset);
  if (where.kind === 'comment') return [];
  const before = parseXml(text.slice(0, where.kind === 'text' ? offset : where.tagStart));
  const open = before.elements.filter((e) => e.end === undefined);
  const scope = fileScope(ctx);
  const names = chainNames(scope, open);
  const parent = names[names.length - 1];
  const section = sectionOf(scope, open);
  const out: CompletionEntry[] = [];

  if (where.kind === 'tagName' || where.kind === 'text') {
    const start = where.kind === 'tagName' ? where.partialStart : offset;
    if (where.kind === 'tagName' && where.closing) {
      const inner = open[open.length - 1];
      if (inner) out.push({ label: inner.name, kind: 'element', insert: `${inner.name}>`, start, end: offset, detail: `close <${inner.name}>` });
      return out;
    }
    const replaceStart = where.kind === 'tagName' ? where.tagStart : offset;
    for (const child of allowedChildren(parent, section)) {
      const spec = elementSpec(child);
      const insert = child === 'X-PRE-PROCESS' ? 'X-PRE-PROCESS cmd="${1|include,set|}" data="$2"/>' : child;
      out.push({
        label: child,
        kind: 'element',
        detail: spec?.doc,
        insert: where.kind === 'tagName' ? insert : `<${insert}`,
        snippet: child === 'X-PRE-PROCESS',
        start: where.kind === 'tagName' ? start : offset,
        end: offset,
        sortText: `1${child}`,
      });
    }
    for (const s of SNIPPETS) {
      if (!s.parents.includes(parent ?? '')) continue;
      out.push({ label: s.label, kind: 'snippet', detail: s.detail, insert: s.body, snippet: true, start: replaceStart, end: offset, sortText: `2${s.label}` });
    }
    return out;
  }

  const spec = elementSpec(where.element);
  if (where.kind === 'attrName') {
    for (const [name, a] of Object.entries(spec?.attrs ?? {})) {
      if (where.present.includes(name)) continue;
      out.push({ label: name, kind: 'attribute', detail: a.doc, insert: `${name}="$1"`, snippet: true, start: where.partialStart, end: offset, sortText: `1${name}` });
    }
    return out;
  }

  // An attribute value: what it holds so far, and what the element's other attributes say.
  const value = text.slice(where.attr.valueStart, offset);
  const valueStart = where.attr.valueStart;
  const variable = /\$(\$?)\{([\w.-]*)$/.exec(value);
  if (variable) {
    const start = valueStart + value.length - variable[2]!.length;
    const end = closeBraceEnd(text, offset);
    if (variable[1]) return globalCompletions(ctx, start, end);
    return variableCompletions(start, end);
  }
  const attrName = where.attr.name;
  const element = where.element;
  if ((element === 'action' || element === 'anti-action') && attrName === 'application') {
    for (const app of ctx.catalog.apps.values()) {
      out.push({
        label: app.name,
        kind: 'application',
        detail: app.description || app.module,
        documentation: appDoc(app, ctx.catalog),
        insert: app.name,
        start: valueStart,
        end: valueEnd(text, offset),
      });
    }
    return out;
  }
  if ((element === 'action' || element === 'anti-action') && attrName === 'data') {
    const app = where.attrs.find((a) => a.name === 'application')?.value ?? '';
    if (SET_LIKE_APPLICATIONS.has(app) && !value.includes('=')) {
      return Object.keys(CHANNEL_VARIABLES).map((name) => ({
        label: name,
        kind: 'variable' as const,
        detail: CHANNEL_VARIABLES[name],
        insert: name.endsWith('_') ? name : `${name}=`,
        start: valueStart,
        end: offset,
      }));
    }
    return [];
  }
  if ((element === 'condition' || element === 'regex') && attrName === 'field') {
    for (const [name, doc] of Object.entries(CALLER_FIELDS)) {
      out.push({ label: name, kind: 'field', detail: doc, insert: name, start: valueStart, end: valueEnd(text, offset), sortText: `1${name}` });
    }
    for (const name of Object.keys(CHANNEL_VARIABLES)) {
      out.push({ label: `\${${name}}`, kind: 'variable', detail: CHANNEL_VARIABLES[name], insert: `\${${name}}`, start: valueStart, end: valueEnd(text, offset), sortText: `2${name}` });
    }
    return out;
  }
  if (element.toLowerCase() === 'x-pre-process' && attrName === 'data') {
    const cmd = where.attrs.find((a) => a.name === 'cmd')?.value.toLowerCase();
    if (cmd === 'include' && ctx.model) return includePathCompletions(ctx, value, valueStart, offset);
    return [];
  }
  const values = spec?.attrs[attrName]?.values;
  if (values) {
    for (const [v, doc] of Object.entries(values)) {
      out.push({ label: v, kind: 'value', detail: doc || undefined, insert: v, start: valueStart, end: valueEnd(text, offset) });
    }
  }
  return out;
}

/** End of the value being completed: up to the closing quote when the value is already closed on the line. */
function valueEnd(text: string, offset: number): number {
  const rest = text.slice(offset, offset + 200);
  const m = /^[^"'<>\s]*/.exec(rest)![0];
  return offset + m.length;
}

function closeBraceEnd(text: string, offset: number): number {
  const m = /^[\w.-]*\}?/.exec(text.slice(offset, offset + 200))![0];
  return offset + m.length;
}

function variableCompletions(start: number, end: number): CompletionEntry[] {
  return Object.keys(CHANNEL_VARIABLES).map((name) => ({
    label: name,
    kind: 'variable' as const,
    detail: CHANNEL_VARIABLES[name],
    insert: `${name}}`,
    start,
    end,
  }));
}

function globalCompletions(ctx: DocContext, start: number, end: number): CompletionEntry[] {
  const out: CompletionEntry[] = [];
  for (const [name, sites] of ctx.model?.globals ?? []) {
    const last = sites[sites.length - 1]!;
    out.push({
      label: name,
      kind: 'global',
      detail: `= ${last.value}`,
      documentation: [{ text: `Set in ${relative(ctx, last.file)} line ${last.line + 1}` }, { code: last.value }],
      insert: `${name}}`,
      start,
      end,
      sortText: `1${name}`,
    });
  }
  for (const [name, doc] of Object.entries(CORE_GLOBALS)) {
    if (ctx.model?.globals.has(name)) continue;
    out.push({ label: name, kind: 'global', detail: doc, insert: `${name}}`, start, end, sortText: `2${name}` });
  }
  return out;
}

function includePathCompletions(ctx: DocContext, value: string, valueStart: number, offset: number): CompletionEntry[] {
  const model = ctx.model!;
  const dir = ctx.path.slice(0, ctx.path.lastIndexOf('/'));
  const typedDir = value.includes('/') ? value.slice(0, value.lastIndexOf('/') + 1) : '';
  const base = `${dir}/${typedDir}`;
  const seen = new Set<string>();
  const out: CompletionEntry[] = [];
  for (const p of model.snapshot.paths()) {
    if (!p.startsWith(base)) continue;
    const rest = p.slice(base.length);
    const slash = rest.indexOf('/');
    const item = slash >= 0 ? `${rest.slice(0, slash)}/` : rest;
    if (seen.has(item)) continue;
    seen.add(item);
    out.push({ label: item, kind: 'file', insert: slash >= 0 ? item : item, start: valueStart + typedDir.length, end: offset });
    if (slash >= 0 && !seen.has(`${item}*.xml`)) {
      seen.add(`${item}*.xml`);
      out.push({ label: `${item}*.xml`, kind: 'file', detail: 'every XML file in it, in name order', insert: `${item}*.xml`, start: valueStart + typedDir.length, end: offset });
    }
  }
  return out;
}

function relative(ctx: DocContext, path: string): string {
  const root = ctx.model?.root;
  return root && path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path;
}

// ---------------------------------------------------------------- hover

/** The `${name}` or `$${name}` around `offset` in `s` (offsets relative to s). */
function variableAt(s: string, offset: number): { name: string; global: boolean; start: number; end: number } | undefined {
  const re = /\$(\$?)\{([^{}]+)\}/g;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    if (offset >= m.index && offset <= m.index + m[0].length) return { name: m[2]!, global: m[1] === '$', start: m.index, end: m.index + m[0].length };
  }
  return undefined;
}

export function hover(ctx: DocContext, file: { text: string; doc: XmlDocument }, offset: number): HoverResult | undefined {
  const el = elementAt(file.doc, offset);
  if (!el) return undefined;
  if (offset <= el.start + el.name.length + 1) {
    const spec = elementSpec(el.name);
    return spec ? { start: el.start + 1, end: el.start + 1 + el.name.length, parts: [{ heading: `<${el.name}>` }, { text: spec.doc }] } : undefined;
  }
  const a = el.attrs.find((x) => offset >= x.nameStart && offset <= x.valueEnd + 1);
  if (!a) return undefined;
  if (offset < a.valueStart) {
    const doc = elementSpec(el.name)?.attrs[a.name]?.doc;
    return doc ? { start: a.nameStart, end: a.nameStart + a.name.length, parts: [{ heading: a.name }, { text: doc }] } : undefined;
  }
  const v = variableAt(a.value, offset - a.valueStart);
  if (v) {
    const start = a.valueStart + v.start;
    const end = a.valueStart + v.end;
    if (v.global) return { start, end, parts: globalDoc(ctx, v.name), globalName: v.name };
    const meaning = CHANNEL_VARIABLES[v.name] ?? CALLER_FIELDS[v.name];
    return { start, end, parts: [{ heading: `\${${v.name}}` }, { text: meaning ?? 'A channel variable (not one this extension knows).' }] };
  }
  const range = { start: a.valueStart, end: a.valueEnd };
  if ((el.name === 'action' || el.name === 'anti-action') && a.name === 'application') {
    const app = ctx.catalog.apps.get(a.value) ?? standardApplications().get(a.value);
    if (!app) return { ...range, parts: [{ heading: a.value }, { text: ctx.catalog.server ? `${ctx.catalog.server} has no application of this name.` : 'Not a standard application.' }] };
    const parts = appDoc(app, ctx.catalog);
    if (ctx.catalog.server && !ctx.catalog.apps.has(a.value)) parts.push({ text: `Not loaded on ${ctx.catalog.server}.` });
    return { ...range, parts };
  }
  if ((el.name === 'action' || el.name === 'anti-action') && a.name === 'data') {
    const app = ctx.catalog.apps.get(attr(el, 'application') ?? '') ?? standardApplications().get(attr(el, 'application') ?? '');
    return app ? { ...range, parts: [{ code: `${app.name} ${app.syntax}`.trim() }] } : undefined;
  }
  if ((el.name === 'condition' || el.name === 'regex') && a.name === 'field') {
    const meaning = CALLER_FIELDS[a.value];
    return meaning ? { ...range, parts: [{ heading: a.value }, { text: `Caller-profile field. ${meaning}` }] } : undefined;
  }
  if (a.name === 'break') {
    const meaning = BREAK_VALUES[a.value];
    return meaning ? { ...range, parts: [{ heading: `break="${a.value}"` }, { text: meaning }] } : undefined;
  }
  return undefined;
}

function globalDoc(ctx: DocContext, name: string): DocPart[] {
  const parts: DocPart[] = [{ heading: `$\${${name}}` }];
  const sites = ctx.model?.globals.get(name);
  if (sites && sites.length > 0) {
    const last = sites[sites.length - 1]!;
    parts.push({ text: `Pre-processor global, set in ${relative(ctx, last.file)} line ${last.line + 1} to:` }, { code: last.value });
    if (sites.length > 1) parts.push({ text: `Set ${sites.length} times; the last set before a use is the one in force.` });
  } else if (CORE_GLOBALS[name]) {
    parts.push({ text: `Set by FreeSWITCH at startup: ${CORE_GLOBALS[name]}` });
  } else {
    parts.push({ text: 'Not set by any X-PRE-PROCESS set in this configuration: FreeSWITCH expands it to nothing.' });
  }
  return parts;
}

// ---------------------------------------------------------------- definition and references

/** What `transfer` / `execute_extension` data names: destination, dialplan, context. */
export function transferTarget(app: string, data: string, currentContext: string | undefined): { destination: string; context: string | undefined } | undefined {
  if (app !== 'transfer' && app !== 'execute_extension') return undefined;
  const words = data.trim().split(/\s+/).filter(Boolean);
  if (words[0] === '-bleg' || words[0] === '-both') words.shift();
  const [destination, dialplan, context] = words;
  if (!destination || destination.includes('$')) return undefined;
  if (dialplan && dialplan !== 'XML') return undefined;
  return { destination, context: context ?? currentContext };
}

/** A sample destination that matches a condition's expression, for prefilling (`^9664$` → 9664). */
export function sampleDestination(expression: string): string | undefined {
  let e = expression.trim();
  if (!e) return undefined;
  if (e.includes('|')) e = e.split('|')[0]!;
  e = e.replace(/^\^/, '').replace(/\$$/, '');
  let out = '';
  for (let i = 0; i < e.length; i++) {
    const c = e[i]!;
    if (c === '\\') {
      const n = e[++i];
      out += n === 'd' ? '1' : n === 'w' ? 'a' : n === 's' ? ' ' : n ?? '';
    } else if (c === '[') {
      const close = e.indexOf(']', i);
      const body = e.slice(i + 1, close);
      out += body.startsWith('^') ? 'x' : body.replace(/\\d/, '1')[0] ?? '';
      i = close;
    } else if (c === '(' || c === ')') {
      if (e.startsWith('(?', i)) return undefined;
    } else if (c === '{') {
      const m = /^\{(\d+)(?:,(\d*))?\}/.exec(e.slice(i));
      if (!m) return undefined;
      const n = Number(m[1]);
      const last = out.slice(-1);
      out += last.repeat(Math.max(0, n - 1));
      i += m[0].length - 1;
    } else if (c === '*') out = out.slice(0, -1);
    else if (c === '?') out = out.slice(0, -1);
    else if (c === '+') continue;
    else if (c === '.') out += '1';
    else if (c === '^' || c === '$') return undefined;
    else out += c;
  }
  try {
    if (!new RegExp(expression).test(out)) return undefined;
  } catch {
    // Not a JavaScript regex: trust the sample as built.
  }
  return out || undefined;
}

/** The extension of `context` a call to `destination` reaches, judged by its destination_number conditions. */
export function findExtensionFor(model: ConfModel, context: string, destination: string): { file: string; element: XmlElement } | undefined {
  const info = model.contexts.get(context);
  if (!info) return undefined;
  for (const ext of info.extensions) {
    const cond = childrenNamed(ext.element, 'condition').find((c) => attr(c, 'field') === 'destination_number');
    const expression = cond && attr(cond, 'expression');
    if (expression === undefined) continue;
    try {
      if (new RegExp(expression).test(destination)) return ext;
    } catch {
      // PCRE-only syntax: not judged here.
    }
  }
  return info.extensions.find((x) => x.name === destination);
}

function contextOfElement(ctx: DocContext, el: XmlElement): string | undefined {
  for (let e: XmlElement | undefined = el; e; e = e.parent) if (e.name === 'context') return attr(e, 'name');
  return [...fileScope(ctx)].reverse().find((s) => s.element === 'context')?.name;
}

export function definition(ctx: DocContext, file: { text: string; doc: XmlDocument }, offset: number): Location[] {
  const model = ctx.model;
  if (!model || ctx.effective) return [];
  // An include directive (a tag, or one inside a comment).
  const parsed = model.files.get(ctx.path);
  const directives = parsed && parsed.text === file.text ? parsed.scan.directives : [];
  for (const d of directives) {
    if (d.cmd.toLowerCase() !== 'include') continue;
    if (offset >= d.dataStart && offset <= d.dataStart + d.data.length) return model.resolveInclude(ctx.path, d.data).map((p) => ({ path: p, start: 0, end: 0 }));
  }
  const el = elementAt(file.doc, offset);
  const a = el?.attrs.find((x) => offset >= x.valueStart && offset <= x.valueEnd);
  if (!el || !a) return [];
  const v = variableAt(a.value, offset - a.valueStart);
  if (v?.global) return (model.globals.get(v.name) ?? []).map((s) => ({ path: s.file, start: s.dataStart, end: s.dataStart + v.name.length }));
  if ((el.name === 'action' || el.name === 'anti-action') && a.name === 'data') {
    const target = transferTarget(attr(el, 'application') ?? '', a.value, contextOfElement(ctx, el));
    if (target?.context) {
      const ext = findExtensionFor(model, target.context, target.destination);
      if (ext) return [{ path: ext.file, start: ext.element.start, end: ext.element.openEnd }];
    }
  }
  return [];
}

/**
 * The transfer / execute_extension actions across the tree that reach `extension` (of the file
 * `ctx.path`), judged as Go to Definition judges them, so the two always agree.
 */
function extensionReferences(ctx: DocContext, model: ConfModel, extension: XmlElement): Location[] {
  const out: Location[] = [];
  for (const f of model.files.values()) {
    for (const el of f.doc.elements) {
      if (el.name !== 'action' && el.name !== 'anti-action') continue;
      const data = attrNode(el, 'data');
      const target = data && transferTarget(attr(el, 'application') ?? '', data.value, contextOfElement({ ...ctx, path: f.path }, el));
      if (!data || !target?.context) continue;
      const found = findExtensionFor(model, target.context, target.destination);
      // By position: the document under the cursor may be a fresh parse of the model's text.
      if (found?.file === ctx.path && found.element.start === extension.start) out.push({ path: f.path, start: data.valueStart, end: data.valueEnd });
    }
  }
  return out;
}

/**
 * References: on a global, its `set` and every use across the tree; on an `<extension>` tag, its
 * name and every transfer / execute_extension that reaches it.
 */
export function references(ctx: DocContext, file: { text: string; doc: XmlDocument }, offset: number): Location[] {
  const model = ctx.model;
  if (!model) return [];
  const el = elementAt(file.doc, offset);
  let name: string | undefined;
  const a = el?.attrs.find((x) => offset >= x.valueStart && offset <= x.valueEnd);
  if (a) {
    const v = variableAt(a.value, offset - a.valueStart);
    if (v?.global) name = v.name;
    else if (el && el.name.toLowerCase() === 'x-pre-process' && attr(el, 'cmd')?.toLowerCase() === 'set') name = a.value.split('=')[0]?.trim();
  }
  if (!name) {
    // The server's assembled XML (Show Effective Dialplan) is not part of the tree the actions are in.
    if (el?.name !== 'extension' || offset < el.start || offset >= el.openEnd || ctx.effective) return [];
    const declared = attrNode(el, 'name');
    return [...(declared ? [{ path: ctx.path, start: declared.valueStart, end: declared.valueEnd }] : []), ...extensionReferences(ctx, model, el)];
  }
  const out: Location[] = (model.globals.get(name) ?? []).map((s) => ({ path: s.file, start: s.dataStart, end: s.dataStart + name!.length }));
  const needle = `$\${${name}}`;
  for (const f of model.files.values()) {
    for (let i = f.text.indexOf(needle); i >= 0; i = f.text.indexOf(needle, i + 1)) out.push({ path: f.path, start: i, end: i + needle.length });
  }
  return out;
}

// ---------------------------------------------------------------- diagnostics

/** Problems of one file: XML, pre-processor, expressions, regex conditions, applications. */
export function diagnose(ctx: DocContext, file: ConfFile): Problem[] {
  const out: Problem[] = [...file.doc.problems.map((p) => ({ ...p, code: 'xml' }))];
  const { doc, scan } = file;
  for (const d of scan.dropped) {
    out.push({
      start: d.start,
      end: d.end,
      severity: 'warning',
      code: 'preprocess-dropped-line',
      message: `FreeSWITCH's pre-processor drops this whole line because it ${d.reason}: everything else on it is lost. Put ${d.reason.replace('contains ', '')} on a line of its own.`,
    });
  }
  for (const d of scan.ignored) {
    // "X-PRE-PROCESS" in prose, or <XX-PRE-PROCESS (vanilla's way to turn one off), is meant to
    // be ignored; `< X-PRE-PROCESS` is a slip.
    if (d.reason === 'not preceded by <' && !/<\s+$/.test(file.text.slice(Math.max(0, d.start - 20), d.start))) continue;
    out.push({ start: d.start, end: d.end, severity: 'warning', code: 'preprocess-ignored', message: `FreeSWITCH ignores this pre-processor line: ${d.reason}.` });
  }
  for (const d of scan.directives) {
    const cmd = d.cmd.toLowerCase();
    if (d.form === 'tag' && inComment(doc, d.start)) {
      out.push({
        start: d.start,
        end: d.start + 14,
        severity: 'warning',
        code: 'preprocess-in-comment',
        message: `This X-PRE-PROCESS ${d.cmd} still runs: the pre-processor reads lines, not XML, so an XML comment does not disable it. Break the tag (e.g. X-PRE-PROCESS-DISABLED) to turn it off.`,
      });
    }
    if (!['include', 'set', 'exec', 'exec-set', 'stun-set', 'env-set'].includes(cmd) && !(d.form === 'comment' && cmd === 'comment')) {
      out.push({ start: d.dataStart, end: d.dataStart + d.data.length, severity: 'warning', code: 'preprocess-cmd', message: `Unknown pre-processor command "${d.cmd}": FreeSWITCH does nothing with it.` });
    }
    if (cmd === 'include' && ctx.model && !ctx.effective) {
      if (d.data.startsWith('/')) continue;
      const matches = ctx.model.resolveInclude(ctx.path, d.data);
      if (matches.length === 0) {
        out.push({
          start: d.dataStart,
          end: d.dataStart + d.data.length,
          severity: 'warning',
          code: 'include-no-match',
          message: `No file matches "${d.data}" (relative to ${relative(ctx, ctx.path.slice(0, ctx.path.lastIndexOf('/'))) || 'the configuration folder'}): FreeSWITCH includes nothing here${hasGlobMagic(d.data) ? '' : ' (only logs "No files to include")'}.`,
        });
      }
    }
  }
  for (const el of doc.elements) {
    if (el.name === 'condition' || el.name === 'regex') diagnoseTest(doc, el, out);
    if (el.name === 'condition') diagnoseRegexCondition(el, out);
    // Phrase macros have <action function=…> too: only a condition's actions run applications.
    if ((el.name === 'action' || el.name === 'anti-action') && el.parent?.name === 'condition') diagnoseAction(ctx, el, out);
    if (el.name === 'extension' || el.name === 'condition') {
      for (const name of ['continue', 'inline', 'require-nested']) {
        const a = attrNode(el, name);
        if (a && !/^(true|false|yes|no|on|off|t|f|enabled|disabled|active|allow|1|0)$/i.test(a.value)) {
          out.push({ start: a.valueStart, end: a.valueEnd, severity: 'warning', code: 'boolean', message: `${name}="${a.value}" is not a boolean: FreeSWITCH reads it as false.` });
        }
      }
    }
  }
  for (const g of globalUses(file.text)) {
    if (!ctx.model || ctx.effective || (!ctx.model.entry && ctx.model.globals.size === 0)) break;
    if (inComment(doc, g.start)) continue;
    if (ctx.model.globals.has(g.name) || CORE_GLOBALS[g.name]) continue;
    out.push({ start: g.start, end: g.end, severity: 'info', code: 'global-unset', message: `$\${${g.name}} is not set by any X-PRE-PROCESS set in this configuration: FreeSWITCH expands it to nothing.` });
  }
  return out;
}

function globalUses(text: string): Array<{ name: string; start: number; end: number }> {
  const out: Array<{ name: string; start: number; end: number }> = [];
  const re = /\$\$\{([^{}]+)\}/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ name: m[1]!, start: m.index, end: m.index + m[0].length });
  return out;
}

function diagnoseTest(doc: XmlDocument, el: XmlElement, out: Problem[]): void {
  const exprAttr = attrNode(el, 'expression');
  const exprChild = childrenNamed(el, 'expression')[0];
  const checks: Array<{ value: string; start: number }> = [];
  if (exprChild) checks.push({ value: innerText(doc, exprChild), start: exprChild.openEnd });
  else if (exprAttr) checks.push({ value: exprAttr.value, start: exprAttr.valueStart });
  for (const c of checks) {
    // An attribute value is entity-encoded; judge the decoded text, point at the attribute.
    const value = c.value.replace(/&(lt|gt|amp|quot|apos);/g, (_w, e: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" })[e] ?? _w);
    const problem = checkPcre(value);
    if (!problem) continue;
    const at = value === c.value ? c.start + problem.offset : c.start;
    out.push({
      start: at,
      end: Math.max(at + 1, value === c.value ? at + 1 : c.start + c.value.length),
      severity: 'error',
      code: 'pcre',
      message: `Not a valid PCRE: ${problem.message} FreeSWITCH logs a COMPILE ERROR and the condition never matches.`,
    });
  }
  const brk = attrNode(el, 'break');
  if (el.name === 'condition' && brk && !BREAK_VALUES[brk.value.toLowerCase()]) {
    out.push({ start: brk.valueStart, end: brk.valueEnd, severity: 'warning', code: 'break', message: `break="${brk.value}" is not on-true, on-false, always or never: FreeSWITCH uses on-false.` });
  }
}

function diagnoseRegexCondition(el: XmlElement, out: Problem[]): void {
  const rule = attrNode(el, 'regex');
  const regexChildren = childrenNamed(el, 'regex');
  if (!rule) {
    for (const r of regexChildren) {
      out.push({ start: r.start, end: r.openEnd, severity: 'warning', code: 'regex-ignored', message: '<regex> is read only when its condition has regex="any", "all" or "xor": FreeSWITCH ignores it here.' });
    }
    return;
  }
  const value = rule.value.toLowerCase();
  if (!['any', 'all', 'xor'].includes(value)) {
    out.push({ start: rule.valueStart, end: rule.valueEnd, severity: 'warning', code: 'regex-rule', message: `regex="${rule.value}" is not any, all or xor: FreeSWITCH reads it as any.` });
  }
  for (const name of ['field', 'expression']) {
    const a = attrNode(el, name);
    if (a) out.push({ start: a.nameStart, end: a.valueEnd, severity: 'warning', code: 'regex-attr-ignored', message: `With regex="${rule.value}" FreeSWITCH tests the <regex> children and ignores the condition's own ${name}.` });
  }
  if (regexChildren.length === 0) {
    out.push({ start: el.start, end: el.openEnd, severity: 'error', code: 'regex-empty', message: `regex="${rule.value}" needs <regex field="…" expression="…"/> children; this condition has none, so it ${value === 'all' ? 'always matches' : 'never matches'}.` });
  }
  for (const r of regexChildren) {
    const hasTime = r.attrs.some((a) => a.name in (elementSpec('regex')?.attrs ?? {}) && a.name !== 'field' && a.name !== 'expression');
    if (!attrNode(r, 'field') && !hasTime) {
      out.push({ start: r.start, end: r.openEnd, severity: 'error', code: 'regex-field', message: '<regex> without field (or a time attribute) tests nothing: FreeSWITCH counts it as an absolute match.' });
    }
    if (attrNode(r, 'field') && !attrNode(r, 'expression') && childrenNamed(r, 'expression').length === 0) {
      out.push({ start: r.start, end: r.openEnd, severity: 'error', code: 'regex-expression', message: '<regex> has a field but no expression: the empty expression matches everything.' });
    }
  }
  for (const child of el.children) {
    if (!['regex', 'action', 'anti-action', 'condition', 'expression'].includes(child.name)) {
      out.push({ start: child.start, end: child.openEnd, severity: 'warning', code: 'regex-child', message: `<${child.name}> does not belong in a condition: FreeSWITCH ignores it.` });
    }
  }
}

function diagnoseAction(ctx: DocContext, el: XmlElement, out: Problem[]): void {
  const a = attrNode(el, 'application');
  if (!a) {
    out.push({ start: el.start, end: el.openEnd, severity: 'warning', code: 'no-application', message: `<${el.name}> without application: FreeSWITCH fails it ("Invalid Application").` });
    return;
  }
  const name = a.value;
  if (!ctx.catalog.server || !name || name.includes('$') || ctx.catalog.apps.has(name)) return;
  const known = standardApplications().get(name);
  const module = known?.module;
  out.push({
    start: a.valueStart,
    end: a.valueEnd,
    severity: 'warning',
    code: 'unknown-application',
    message: module
      ? `${ctx.catalog.server} has no application "${name}": it comes from ${module}, which is not loaded there (load ${module}, e.g. in modules.conf.xml).`
      : `${ctx.catalog.server} has no application "${name}" (not in show application): the call fails with "Invalid Application ${name}".`,
  });
}

// ---------------------------------------------------------------- outline and lenses

export interface SymbolNode {
  readonly name: string;
  readonly detail: string;
  readonly kind: 'section' | 'context' | 'extension' | 'configuration' | 'profile' | 'domain' | 'user' | 'gateway';
  readonly start: number;
  readonly end: number;
  readonly selectionStart: number;
  readonly selectionEnd: number;
  readonly children: SymbolNode[];
}

const SYMBOL_ELEMENTS: Readonly<Record<string, SymbolNode['kind']>> = {
  section: 'section',
  context: 'context',
  extension: 'extension',
  configuration: 'configuration',
  profile: 'profile',
  domain: 'domain',
  user: 'user',
  gateway: 'gateway',
};

/** Contexts and extensions (and sections, profiles, domains, users, gateways) by name. */
export function documentSymbols(doc: XmlDocument): SymbolNode[] {
  const build = (els: readonly XmlElement[]): SymbolNode[] => {
    const out: SymbolNode[] = [];
    for (const el of els) {
      const kind = SYMBOL_ELEMENTS[el.name];
      if (!kind) {
        out.push(...build(el.children));
        continue;
      }
      const nameAttr = attrNode(el, el.name === 'user' ? 'id' : 'name');
      const name = nameAttr?.value || `(${el.name} without a name)`;
      const detail = el.name === 'extension' ? extensionDetail(el) : el.name;
      out.push({
        name,
        detail,
        kind,
        start: el.start,
        end: el.end ?? doc.text.length,
        selectionStart: nameAttr ? nameAttr.valueStart : el.start,
        selectionEnd: nameAttr ? nameAttr.valueEnd : el.openEnd,
        children: build(el.children),
      });
    }
    return out;
  };
  return build(doc.roots);
}

function extensionDetail(el: XmlElement): string {
  const cond = childrenNamed(el, 'condition').find((c) => attr(c, 'field') === 'destination_number');
  const expression = cond && attr(cond, 'expression');
  return expression ? `destination_number =~ /${expression}/` : 'extension';
}

/** Where the "Call this extension" lens goes: each extension with a name. */
export function extensionLenses(doc: XmlDocument): Array<{ offset: number; name: string; destination: string | undefined }> {
  return doc.elements
    .filter((e) => e.name === 'extension')
    .map((e) => {
      const cond = childrenNamed(e, 'condition').find((c) => attr(c, 'field') === 'destination_number');
      const expression = cond && attr(cond, 'expression');
      return { offset: e.start, name: attr(e, 'name') ?? '', destination: expression === undefined ? undefined : sampleDestination(expression) };
    });
}

/** Prefill for Trace a Call from an extension: destination, context and caller ID from its conditions. */
export function tracePrefill(ctx: DocContext, doc: XmlDocument, offset: number): { destination?: string; context?: string; callerIdNumber?: string } {
  let el = elementAt(doc, offset);
  while (el && el.name !== 'extension') el = el.parent;
  if (!el) {
    const first = doc.elements[0];
    return { context: first ? contextOfElement(ctx, first) : [...fileScope(ctx)].reverse().find((s) => s.element === 'context')?.name };
  }
  const out: { destination?: string; context?: string; callerIdNumber?: string } = { context: contextOfElement(ctx, el) };
  for (const cond of childrenNamed(el, 'condition')) {
    const expression = attr(cond, 'expression');
    if (expression === undefined) continue;
    const field = attr(cond, 'field');
    if (field === 'destination_number' && out.destination === undefined) out.destination = sampleDestination(expression);
    if (field === 'caller_id_number' && out.callerIdNumber === undefined) out.callerIdNumber = sampleDestination(expression);
  }
  return out;
}

/** Exposed for the glue: an element's spec. */
export function specOf(name: string): ElementSpec | undefined {
  return elementSpec(name);
}
