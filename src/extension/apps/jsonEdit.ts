// Pure: sets one property in the text of a plain-JSON file and leaves every other byte as it was
// (order, spacing, line endings), so writing into a file the user owns shows as a one-line diff.

/** A JSON value and where it is in the text; an object's members too. */
type JsonNode = { kind: 'object'; start: number; end: number; members: JsonMember[] } | { kind: 'other'; start: number; end: number };
interface JsonMember {
  key: string;
  keyStart: number;
  value: JsonNode;
}

/** The node tree of strict JSON text, else undefined (comments, trailing commas, junk). */
function scan(text: string): JsonNode | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const fail = (): never => {
    throw new SyntaxError(`unexpected ${text[i] ?? 'end'} at ${i}`);
  };
  const string = (): string => {
    const start = i;
    if (text[i] !== '"') fail();
    for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    if (i >= text.length) fail();
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (): JsonNode => {
    ws();
    const start = i;
    const c = text[i];
    if (c === '{') {
      const members: JsonMember[] = [];
      i++;
      ws();
      if (text[i] === '}') return { kind: 'object', start, end: ++i, members };
      for (;;) {
        ws();
        const keyStart = i;
        const key = string();
        ws();
        if (text[i++] !== ':') fail();
        members.push({ key, keyStart, value: value() });
        ws();
        const next = text[i++];
        if (next === '}') return { kind: 'object', start, end: i, members };
        if (next !== ',') fail();
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return { kind: 'other', start, end: ++i };
      for (;;) {
        value();
        ws();
        const next = text[i++];
        if (next === ']') return { kind: 'other', start, end: i };
        if (next !== ',') fail();
      }
    }
    if (c === '"') {
      string();
      return { kind: 'other', start, end: i };
    }
    while (i < text.length && /[-+.\w]/.test(text[i]!)) i++;
    if (i === start) fail();
    return { kind: 'other', start, end: i };
  };
  try {
    JSON.parse(text);
    const root = value();
    ws();
    return i === text.length ? root : undefined;
  } catch {
    return undefined;
  }
}

/** The member JSON.parse keeps (the last of a repeated key). */
function member(node: JsonNode, key: string): JsonMember | undefined {
  return node.kind === 'object' ? node.members.filter((m) => m.key === key).pop() : undefined;
}

/** The whitespace a line starts with, and whether only whitespace comes before `pos` on it. */
function lineLead(text: string, pos: number): { lead: string; alone: boolean } {
  const start = text.lastIndexOf('\n', pos - 1) + 1;
  const before = text.slice(start, pos);
  const lead = /^[ \t]*/.exec(before)![0];
  return { lead, alone: lead.length === before.length };
}

/** Sets `key` of the object at `path` (objects created on the way) to `value`; the rest of the text is kept. */
function setIn(text: string, path: readonly string[], value: unknown): string | undefined {
  const root = scan(text);
  if (!root || root.kind !== 'object') return undefined;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const unit = /^([ \t]+)\S/m.exec(text)?.[1] ?? '  ';
  const oneLine = !text.trimEnd().includes('\n');
  // Deepest existing object on the path; what is missing below it goes in as one nested value.
  let node: JsonNode = root;
  let depth = 0;
  for (; depth < path.length - 1; depth++) {
    const m = member(node, path[depth]!);
    if (!m) break;
    if (m.value.kind !== 'object') return undefined;
    node = m.value;
  }
  let key = path[depth]!;
  let inserted: unknown = value;
  for (let k = path.length - 1; k > depth; k--) inserted = { [path[k]!]: inserted };
  const format = (v: unknown, indent: string | undefined) => (indent === undefined ? JSON.stringify(v) : JSON.stringify(v, null, unit).split('\n').join(eol + indent));
  const existing = depth === path.length - 1 ? member(node, key) : undefined;
  if (existing) {
    const { lead, alone } = lineLead(text, existing.keyStart);
    return text.slice(0, existing.value.start) + format(value, alone && !oneLine ? lead : undefined) + text.slice(existing.value.end);
  }
  key = JSON.stringify(key);
  if (node.kind !== 'object') return undefined;
  const last = node.members[node.members.length - 1];
  if (last) {
    const { lead, alone } = lineLead(text, last.keyStart);
    const indent = alone && !oneLine ? lead : undefined;
    const entry = `${indent === undefined ? ' ' : eol + indent}${key}: ${format(inserted, indent)}`;
    return `${text.slice(0, last.value.end)},${entry}${text.slice(last.value.end)}`;
  }
  if (oneLine) return `${text.slice(0, node.start)}{ ${key}: ${format(inserted, undefined)} }${text.slice(node.end)}`;
  const { lead } = lineLead(text, node.start);
  const inner = lead + unit;
  return `${text.slice(0, node.start)}{${eol}${inner}${key}: ${format(inserted, inner)}${eol}${lead}}${text.slice(node.end)}`;
}

/**
 * The text with each `entries` key set under `compilerOptions.paths` (objects created as needed),
 * every other byte kept; the same text when they are already set. Undefined when the text is not a
 * plain-JSON object (comments, trailing commas) or `compilerOptions`/`paths` is not an object.
 */
export function setTsconfigPaths(text: string, entries: Readonly<Record<string, readonly string[]>>): string | undefined {
  let out = text;
  for (const [key, value] of Object.entries(entries)) {
    const parsed = scan(out) && (JSON.parse(out) as { compilerOptions?: { paths?: Record<string, unknown> } });
    if (!parsed) return undefined;
    if (JSON.stringify(parsed.compilerOptions?.paths?.[key]) === JSON.stringify(value)) continue;
    const next = setIn(out, ['compilerOptions', 'paths', key], value);
    if (next === undefined) return undefined;
    out = next;
  }
  return out;
}
