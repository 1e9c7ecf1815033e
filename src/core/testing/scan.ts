/**
 * Finds the call tests a file declares without running it: `callTest('name', …)` (and `.skip`,
 * `.only`, `.todo`) and `describe('suite', …)` around them, with their lines. A small scanner, not
 * the TypeScript compiler: it skips comments, strings, template literals and regular expressions
 * and only reads call sites whose name is a literal. That is all discovery needs, it costs about a
 * millisecond per file (200 files well under a second, with no 9 MB compiler to load into the
 * extension host), and it never throws. A name built at run time (a template with `${}`, a
 * variable) is counted in `dynamic`; such tests appear once the file runs.
 */

/** One test found in the source. */
export interface ScannedTest {
  name: string;
  /** Suite names and the name, joined by ' › ' (what the runner calls the test). */
  fullName: string;
  /** 0-based line and column of `callTest`. */
  line: number;
  column: number;
  skipped: boolean;
}

export interface ScanResult {
  tests: ScannedTest[];
  /** `callTest(` or `describe(` calls whose name is not a literal. */
  dynamic: number;
}

const SEPARATOR = ' › ';
const REGEX_AFTER_WORD = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await']);
const REGEX_AFTER_CHAR = new Set(['', '(', ',', '=', ':', '[', '!', '&', '|', '?', '{', '}', ';', '+', '-', '*', '%', '<', '>', '~', '^']);

interface Frame {
  close: string;
  suite?: string;
  /** A `${` inside a template literal: its `}` returns to the template. */
  template?: boolean;
}

function isIdStart(c: string): boolean {
  return /[A-Za-z_$]/.test(c);
}

function isIdPart(c: string): boolean {
  return /[A-Za-z0-9_$]/.test(c);
}

/** Scans one file's text. */
export function scanCallTests(text: string): ScanResult {
  const tests: ScannedTest[] = [];
  let dynamic = 0;
  const stack: Frame[] = [];
  const lineStarts = [0];
  for (let k = 0; k < text.length; k++) if (text.charCodeAt(k) === 10) lineStarts.push(k + 1);
  const position = (offset: number): { line: number; column: number } => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, column: offset - lineStarts[lo]! };
  };

  let i = 0;
  let lastChar = '';
  let lastWord = '';
  const n = text.length;

  /** Skips a quoted string starting at i (the quote); returns its decoded text. */
  const readQuoted = (): string => {
    const quote = text[i]!;
    let out = '';
    i++;
    while (i < n && text[i] !== quote) {
      if (text[i] === '\\') {
        const next = text[i + 1] ?? '';
        out += next === 'n' ? '\n' : next === 't' ? '\t' : next;
        i += 2;
        continue;
      }
      if (text[i] === '\n') break;
      out += text[i];
      i++;
    }
    i++;
    return out;
  };

  /** Skips template text from i (after ` or after a `${…}`'s }) to the closing ` or the next `${`. Returns the text and whether it ended. */
  const readTemplate = (): { text: string; ended: boolean } => {
    let out = '';
    while (i < n) {
      const c = text[i]!;
      if (c === '\\') {
        out += text[i + 1] ?? '';
        i += 2;
        continue;
      }
      if (c === '`') {
        i++;
        return { text: out, ended: true };
      }
      if (c === '$' && text[i + 1] === '{') {
        i += 2;
        stack.push({ close: '}', template: true });
        return { text: out, ended: false };
      }
      out += c;
      i++;
    }
    return { text: out, ended: true };
  };

  const skipSpace = (): void => {
    while (i < n) {
      if (/\s/.test(text[i]!)) i++;
      else if (text.startsWith('//', i)) {
        const end = text.indexOf('\n', i);
        i = end < 0 ? n : end;
      } else if (text.startsWith('/*', i)) {
        const end = text.indexOf('*/', i + 2);
        i = end < 0 ? n : end + 2;
      } else break;
    }
  };

  const suitePath = (): string[] => stack.filter((f) => f.suite !== undefined).map((f) => f.suite!);

  /** At `callTest`/`describe` (word read, i after it): a call with a literal name is recorded. */
  const onCandidate = (word: string, start: number): void => {
    let j = i;
    let modifier = '';
    const m = /^\s*\.\s*(skip|only|todo)\b/.exec(text.slice(j, j + 40));
    if (m) {
      modifier = m[1]!;
      j += m[0].length;
    }
    const open = /^\s*\(/.exec(text.slice(j, j + 40));
    if (!open) return;
    i = j + open[0].length;
    skipSpace();
    const q = text[i];
    let name: string | undefined;
    if (q === "'" || q === '"') name = readQuoted();
    else if (q === '`') {
      const save = i;
      i++;
      const t = readTemplate();
      if (t.ended) name = t.text;
      else {
        // `${…}` in the name: dynamic. Undo the template frame and rescan from the backtick.
        stack.pop();
        i = save;
      }
    }
    const frame: Frame = { close: ')' };
    if (name === undefined) dynamic++;
    else if (word === 'describe') frame.suite = name;
    else {
      const at = position(start);
      const path = suitePath();
      tests.push({ name, fullName: [...path, name].join(SEPARATOR), line: at.line, column: at.column, skipped: modifier === 'skip' || modifier === 'todo' });
    }
    stack.push(frame);
    lastChar = name === undefined ? '(' : 'x';
    lastWord = '';
  };

  while (i < n) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? n : end;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      continue;
    }
    if (c === "'" || c === '"') {
      readQuoted();
      lastChar = 'x';
      lastWord = '';
      continue;
    }
    if (c === '`') {
      i++;
      readTemplate();
      lastChar = 'x';
      lastWord = '';
      continue;
    }
    if (c === '/') {
      const regex = lastWord ? REGEX_AFTER_WORD.has(lastWord) : REGEX_AFTER_CHAR.has(lastChar);
      if (regex) {
        i++;
        let inClass = false;
        while (i < n && text[i] !== '\n') {
          const r = text[i]!;
          if (r === '/' && !inClass) break;
          if (r === '[') inClass = true;
          else if (r === ']') inClass = false;
          i += r === '\\' ? 2 : 1;
        }
        i++;
        while (i < n && isIdPart(text[i]!)) i++;
        lastChar = 'x';
        lastWord = '';
        continue;
      }
    }
    if (isIdStart(c)) {
      const start = i;
      while (i < n && isIdPart(text[i]!)) i++;
      const word = text.slice(start, i);
      // Not a property (`foo.callTest(`) and not a declaration (`function describe(`).
      const prev = text.slice(Math.max(0, start - 1), start);
      if ((word === 'callTest' || word === 'describe') && prev !== '.' && lastWord !== 'function') {
        onCandidate(word, start);
        continue;
      }
      lastWord = word;
      lastChar = 'x';
      continue;
    }
    if (c >= '0' && c <= '9') {
      while (i < n && /[0-9A-Za-z_.]/.test(text[i]!)) i++;
      lastChar = 'x';
      lastWord = '';
      continue;
    }
    if (c === '(' || c === '[' || c === '{') {
      stack.push({ close: c === '(' ? ')' : c === '[' ? ']' : '}' });
    } else if (c === ')' || c === ']' || c === '}') {
      // Tolerant: pop to the matching opener (a syntax error must not hide later tests).
      let k = stack.length - 1;
      while (k >= 0 && stack[k]!.close !== c) k--;
      if (k >= 0) {
        const frame = stack[k]!;
        stack.length = k;
        if (frame.template) {
          i++;
          readTemplate();
          lastChar = 'x';
          lastWord = '';
          continue;
        }
      }
    }
    lastChar = c === ')' || c === ']' ? 'x' : c;
    lastWord = '';
    i++;
  }
  return { tests, dynamic };
}
