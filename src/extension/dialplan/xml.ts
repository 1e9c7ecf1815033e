/**
 * FreeSWITCH configuration XML as the editor needs it: elements with offsets (tag, attribute names
 * and values), parents and children, text, comments, and what is malformed. Pure (no vscode).
 *
 * saxes (strict, with positions; the core already uses it for text/event-xml) reads the
 * structure and finds well-formedness errors. Two things it cannot do for an editor are done here:
 * - FreeSWITCH's own parser (ezxml) accepts a bare `&` and leaves it as it is; saxes reads the
 *   rest of the document as an entity name and loses every element after it. A bare `&` is
 *   replaced by `_` (same length, so offsets hold) before saxes sees the text.
 * - saxes reports where it is, not where the tag is: tag starts and attribute name/value offsets
 *   come from a small scan of each open tag's source slice.
 * Some of what saxes calls an error FreeSWITCH accepts (`--` inside a comment, `<` inside an
 * attribute value): those are not reported; a duplicate attribute is a warning (FreeSWITCH reads
 * the first). It never throws on input.
 */
import { SaxesParser, type SaxesTag } from 'saxes';

export interface XmlAttr {
  readonly name: string;
  /** The raw value between the quotes (entities not decoded; FreeSWITCH decodes `&amp;` etc.). */
  readonly value: string;
  readonly nameStart: number;
  /** Offset of the first character inside the quotes (or of the value when unquoted). */
  readonly valueStart: number;
  readonly valueEnd: number;
  /** False while being typed: `name="abc` with no closing quote. */
  readonly closed: boolean;
}

export interface XmlElement {
  readonly name: string;
  /** Offset of `<`. */
  readonly start: number;
  /** Offset just after the open tag's `>`. */
  openEnd: number;
  /** Offset just after `</name>` (or the `/>`), undefined when never closed. */
  end: number | undefined;
  /** Offset of `</name>`'s `<`, when closed by a close tag. */
  closeStart: number | undefined;
  selfClosing: boolean;
  readonly attrs: XmlAttr[];
  readonly children: XmlElement[];
  readonly parent: XmlElement | undefined;
}

export type Severity = 'error' | 'warning' | 'info';

export interface XmlProblem {
  readonly start: number;
  readonly end: number;
  readonly message: string;
  readonly severity: Severity;
}

export interface XmlDocument {
  readonly text: string;
  /** Top-level elements (a file included by FreeSWITCH may hold several). */
  readonly roots: XmlElement[];
  /** Every element in document order. */
  readonly elements: XmlElement[];
  readonly problems: XmlProblem[];
  /** `<!-- … -->` ranges [start, end). */
  readonly comments: Array<readonly [number, number]>;
}

const ENTITY = /^&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z_][\w.-]*);/;

/** The text with bare `&` (not an entity or character reference) replaced by `_`, same length. */
function neutraliseAmpersands(text: string): string {
  if (!text.includes('&')) return text;
  let out = '';
  let from = 0;
  for (let i = text.indexOf('&'); i >= 0; i = text.indexOf('&', i + 1)) {
    if (ENTITY.test(text.slice(i, i + 40))) continue;
    out += text.slice(from, i) + '_';
    from = i + 1;
  }
  return out + text.slice(from);
}

/** Attributes of an open tag's source `<name …>` (or the unfinished start of one). */
export function scanAttributes(text: string, tagStart: number, tagEnd: number): XmlAttr[] {
  const attrs: XmlAttr[] = [];
  let i = tagStart + 1;
  while (i < tagEnd && !/[\s/>]/.test(text[i]!)) i++;
  while (i < tagEnd) {
    const c = text[i]!;
    if (/[\s/>]/.test(c)) {
      i++;
      continue;
    }
    const nameStart = i;
    while (i < tagEnd && !/[\s=/>"']/.test(text[i]!)) i++;
    const name = text.slice(nameStart, i);
    let j = i;
    while (j < tagEnd && /\s/.test(text[j]!)) j++;
    if (text[j] !== '=') {
      if (name) attrs.push({ name, value: '', nameStart, valueStart: i, valueEnd: i, closed: false });
      else i++;
      continue;
    }
    j++;
    while (j < tagEnd && /\s/.test(text[j]!)) j++;
    const quote = text[j];
    if (quote === '"' || quote === "'") {
      const close = text.indexOf(quote, j + 1);
      const closed = close >= 0 && close < tagEnd;
      const valueEnd = closed ? close : tagEnd;
      attrs.push({ name, value: text.slice(j + 1, valueEnd), nameStart, valueStart: j + 1, valueEnd, closed });
      i = closed ? close + 1 : tagEnd;
    } else {
      const valueStart = j;
      while (j < tagEnd && !/[\s>]/.test(text[j]!) && !(text[j] === '/' && text[j + 1] === '>')) j++;
      attrs.push({ name, value: text.slice(valueStart, j), nameStart, valueStart, valueEnd: j, closed: true });
      i = j;
    }
  }
  return attrs;
}

/** saxes messages for what FreeSWITCH's parser accepts: not problems for a FreeSWITCH file. */
const TOLERATED = [/malformed comment/, /disallowed character\.$/, /must not contain "<"/, /^unclosed tag/, /^unexpected end/];

/**
 * Parses `text` (a whole file or the text before the cursor). Every element seen is in the
 * tree; an element never closed has `end` undefined and an error at its open tag.
 */
export function parseXml(text: string): XmlDocument {
  const roots: XmlElement[] = [];
  const elements: XmlElement[] = [];
  const problems: XmlProblem[] = [];
  const comments: Array<readonly [number, number]> = [];
  const stack: XmlElement[] = [];
  // FreeSWITCH drops every line holding `<?` (an XML declaration, say); saxes in fragment mode
  // refuses a declaration, so processing instructions are blanked, same length.
  const source = neutraliseAmpersands(text).replace(/<\?[\s\S]*?\?>/g, (pi) => pi.replace(/[^\n]/g, ' '));
  const parser = new SaxesParser({ position: true, fragment: true });
  // The last '<' before the parser's position: where the tag being reported started.
  const tagStartBefore = (pos: number, name: string): number => {
    const at = text.lastIndexOf(`<${name}`, Math.max(0, pos - 1));
    return at >= 0 ? at : Math.max(0, pos - name.length - 2);
  };
  parser.on('opentag', (tag: SaxesTag) => {
    const openEnd = parser.position;
    const start = tagStartBefore(openEnd - (tag.isSelfClosing ? 2 : 1) - tag.name.length, tag.name);
    const parent = stack[stack.length - 1];
    const el: XmlElement = {
      name: tag.name,
      start,
      openEnd,
      end: undefined,
      closeStart: undefined,
      selfClosing: tag.isSelfClosing,
      attrs: scanAttributes(text, start, openEnd),
      children: [],
      parent,
    };
    (parent ? parent.children : roots).push(el);
    elements.push(el);
    stack.push(el);
    const seen = new Set<string>();
    for (const a of el.attrs) {
      if (seen.has(a.name)) {
        problems.push({
          start: a.nameStart,
          end: a.nameStart + a.name.length,
          message: `Duplicate attribute ${a.name}: FreeSWITCH reads the first one.`,
          severity: 'warning',
        });
      }
      seen.add(a.name);
    }
  });
  parser.on('closetag', (tag: SaxesTag) => {
    const el = stack.pop();
    if (!el) return;
    el.end = parser.position;
    if (tag.isSelfClosing) {
      el.selfClosing = true;
      return;
    }
    // saxes closes an element implicitly when a close tag of an outer one comes first.
    const close = text.lastIndexOf('</', parser.position - 1);
    const closing = close >= el.openEnd ? /^<\/([^\s>]*)/.exec(text.slice(close, close + 200))?.[1] : undefined;
    if (closing === el.name) {
      el.closeStart = close;
    } else {
      problems.push({
        start: el.start,
        end: el.start + el.name.length + 1,
        message: `<${el.name}> is never closed${closing ? ` (</${closing}> comes first)` : ''}: FreeSWITCH refuses the whole configuration at reloadxml ("unexpected closing tag").`,
        severity: 'error',
      });
    }
  });
  parser.on('comment', (c: string) => {
    const end = parser.position;
    comments.push([Math.max(0, end - c.length - 7), end]);
  });
  parser.on('error', (err: Error) => {
    const message = err.message.replace(/^\d+:\d+: /, '');
    if (TOLERATED.some((re) => re.test(message)) || /duplicate attribute|^unexpected close tag/.test(message)) return;
    const at = Math.min(parser.position, text.length);
    const lineStart = text.lastIndexOf('\n', Math.max(0, at - 1)) + 1;
    problems.push({ start: Math.max(lineStart, at - 1), end: Math.max(at, lineStart + 1), message: describeSaxesError(message), severity: 'error' });
  });
  try {
    parser.write(source).close();
  } catch {
    // saxes throws only from handlers, which do not throw; a broken document is still a document.
  }
  for (const el of stack) {
    problems.push({
      start: el.start,
      end: el.start + el.name.length + 1,
      message: `<${el.name}> is never closed: FreeSWITCH refuses the whole configuration ("unclosed tag" or "unexpected closing tag" at reloadxml).`,
      severity: 'error',
    });
  }
  return { text, roots, elements, problems, comments };
}

function describeSaxesError(message: string): string {
  if (/^unexpected close tag/.test(message) || /^unmatched closing tag/.test(message)) {
    return `Unexpected closing tag (${message.replace(/\.$/, '')}): FreeSWITCH refuses the whole configuration at reloadxml.`;
  }
  return `Malformed XML: ${message.replace(/\.$/, '')}.`;
}

/** The value of the first attribute named `name` (as FreeSWITCH reads it). */
export function attr(el: XmlElement, name: string): string | undefined {
  return el.attrs.find((a) => a.name === name)?.value;
}

export function attrNode(el: XmlElement, name: string): XmlAttr | undefined {
  return el.attrs.find((a) => a.name === name);
}

/** Direct children named `name` (case-sensitive, as switch_xml_child). */
export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

/** The deepest element whose source range holds `offset`. */
export function elementAt(doc: XmlDocument, offset: number): XmlElement | undefined {
  let found: XmlElement | undefined;
  let level: readonly XmlElement[] = doc.roots;
  for (;;) {
    const next = level.find((el) => el.start <= offset && offset < (el.end ?? doc.text.length + 1));
    if (!next) return found;
    found = next;
    level = next.children;
  }
}

/** Whether `offset` is inside an XML comment. */
export function inComment(doc: XmlDocument, offset: number): boolean {
  return doc.comments.some(([s, e]) => offset >= s && offset < e);
}

/** The raw text between an element's open and close tags (its `<expression>` body, say). */
export function innerText(doc: XmlDocument, el: XmlElement): string {
  if (el.selfClosing || el.closeStart === undefined) return '';
  const raw = doc.text.slice(el.openEnd, el.closeStart);
  const cdata = /^\s*<!\[CDATA\[([\s\S]*?)\]\]>\s*$/.exec(raw);
  return cdata ? cdata[1]! : decodeEntities(raw.trim());
}

/** `&lt;` `&gt;` `&amp;` `&quot;` `&apos;` and numeric references, as ezxml decodes them. */
export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot|apos);/g, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }[ref] ?? whole;
  });
}

/** Line starts of `text` (a `\r\n`, `\n` or `\r` ends a line, as in VS Code). */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    }
  }
  return starts;
}

/** 0-based line and character of `offset`, given {@link lineStarts}. */
export function positionOf(starts: readonly number[], offset: number): { line: number; character: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo, character: offset - starts[lo]! };
}
