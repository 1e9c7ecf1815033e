/**
 * A small reader for the XML FreeSWITCH hands out (`xml_locate`, capture 19): elements,
 * attributes and text, as switch_xml keeps them. It reads the switch's own re-serialised XML (no
 * declaration, no comments, `<x></x>` instead of `<x/>`) and plain hand-written XML alike; it is
 * not a general XML parser (no DTD, no CDATA, no namespaces).
 */

/** One element: its name, attributes in order, children, text and where it sits in the source. */
export interface XmlElement {
  readonly name: string;
  readonly attrs: ReadonlyMap<string, string>;
  readonly children: readonly XmlElement[];
  /** The text directly inside, entities decoded (switch_xml's `txt`), trimmed. */
  readonly text: string;
  /** Offsets of the element in the source, `<` of the open tag to after `>` of the close tag. */
  readonly start: number;
  readonly end: number;
}

const ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** `&lt;` `&gt;` `&amp;` `&quot;` `&apos;` and numeric references; anything else stays as it is. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number.parseInt(name.slice(1), 10));
    return ENTITIES[name] ?? whole;
  });
}

interface Building {
  name: string;
  attrs: Map<string, string>;
  children: XmlElement[];
  text: string;
  start: number;
}

/** Parses one root element (with whatever surrounds it). Throws on markup it cannot read. */
export function parseXml(source: string): XmlElement {
  const stack: Building[] = [];
  let root: XmlElement | undefined;
  let i = 0;
  const tag = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/y;
  const attr = /([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
  while (i < source.length) {
    const lt = source.indexOf('<', i);
    if (lt < 0) break;
    if (stack.length > 0) stack[stack.length - 1]!.text += source.slice(i, lt);
    if (source.startsWith('<!--', lt)) {
      const close = source.indexOf('-->', lt);
      if (close < 0) throw new Error(`unclosed comment at ${lt}`);
      i = close + 3;
      continue;
    }
    if (source.startsWith('<?', lt)) {
      const close = source.indexOf('?>', lt);
      if (close < 0) throw new Error(`unclosed declaration at ${lt}`);
      i = close + 2;
      continue;
    }
    tag.lastIndex = lt;
    const m = tag.exec(source);
    if (!m) throw new Error(`bad markup at ${lt}: ${source.slice(lt, lt + 40)}`);
    const [, closing, name, attrText, selfClosing] = m;
    i = tag.lastIndex;
    if (closing) {
      const open = stack.pop();
      if (!open || open.name !== name) throw new Error(`unexpected closing tag </${name}> at ${lt}`);
      const element: XmlElement = {
        name: open.name,
        attrs: open.attrs,
        children: open.children,
        text: decodeEntities(open.text).trim(),
        start: open.start,
        end: i,
      };
      if (stack.length > 0) stack[stack.length - 1]!.children.push(element);
      else root = element;
      continue;
    }
    const attrs = new Map<string, string>();
    for (const a of attrText!.matchAll(attr)) attrs.set(a[1]!, decodeEntities(a[2] ?? a[3] ?? ''));
    const building: Building = { name: name!, attrs, children: [], text: '', start: lt };
    if (selfClosing) {
      const element: XmlElement = { ...building, text: '', end: i };
      if (stack.length > 0) stack[stack.length - 1]!.children.push(element);
      else root = element;
    } else {
      stack.push(building);
    }
    if (root && stack.length === 0) break;
  }
  if (!root || stack.length > 0) throw new Error('no complete root element');
  return root;
}

/** `switch_xml_find_child`: the first child named `name`, with `attr` = `value` when given. */
export function findChild(parent: XmlElement, name: string, attr?: string, value?: string): XmlElement | undefined {
  return parent.children.find((c) => c.name === name && (attr === undefined || c.attrs.get(attr) === value));
}

/** Every child named `name`, in order (`switch_xml_child` and its `next` chain). */
export function childrenNamed(parent: XmlElement, name: string): XmlElement[] {
  return parent.children.filter((c) => c.name === name);
}
