/**
 * The console's line editor: terminal input decoding, the edit buffer with history, and redraw
 * sequences. Pure (no `vscode`, no I/O, no timers), so every key and every split escape sequence
 * can be tested.
 */

/** One decoded unit of terminal input. */
export type Key =
  | { kind: 'text'; text: string }
  | { kind: 'enter' }
  | { kind: 'tab' }
  | { kind: 'backspace' }
  | { kind: 'delete' }
  | { kind: 'left' }
  | { kind: 'right' }
  | { kind: 'wordLeft' }
  | { kind: 'wordRight' }
  | { kind: 'home' }
  | { kind: 'end' }
  | { kind: 'up' }
  | { kind: 'down' }
  /** Ctrl-U: the whole line. */
  | { kind: 'killLine' }
  /** Ctrl-K: from the cursor to the end. */
  | { kind: 'killToEnd' }
  /** Ctrl-W, Alt-Backspace. */
  | { kind: 'deleteWordBack' }
  /** Ctrl-C. */
  | { kind: 'interrupt' }
  /** Ctrl-D. */
  | { kind: 'eof' }
  /** Ctrl-L. */
  | { kind: 'clearScreen' };

const ESC = '\x1b';
const PASTE_END = '\x1b[201~';

/** Single control characters (C0) and what they mean at the prompt; the rest are ignored. */
const CONTROL_KEYS: Readonly<Record<string, Key>> = {
  '\x01': { kind: 'home' }, // Ctrl-A
  '\x02': { kind: 'left' }, // Ctrl-B
  '\x03': { kind: 'interrupt' }, // Ctrl-C
  '\x04': { kind: 'eof' }, // Ctrl-D
  '\x05': { kind: 'end' }, // Ctrl-E
  '\x06': { kind: 'right' }, // Ctrl-F
  '\x08': { kind: 'backspace' }, // Ctrl-H
  '\t': { kind: 'tab' },
  '\x0b': { kind: 'killToEnd' }, // Ctrl-K
  '\x0c': { kind: 'clearScreen' }, // Ctrl-L
  '\x0e': { kind: 'down' }, // Ctrl-N
  '\x10': { kind: 'up' }, // Ctrl-P
  '\x15': { kind: 'killLine' }, // Ctrl-U
  '\x17': { kind: 'deleteWordBack' }, // Ctrl-W
  '\x7f': { kind: 'backspace' },
};

/** CSI sequences by their parameters and final byte (`ESC [ <params> <final>`). */
function csiKey(params: string, final: string): Key | undefined {
  // Modified arrows: `1;5C` is Ctrl-Right, `1;3C` Alt-Right.
  const modifier = /^1;(\d+)$/.exec(params)?.[1];
  const word = modifier === '3' || modifier === '5';
  switch (final) {
    case 'A':
      return { kind: 'up' };
    case 'B':
      return { kind: 'down' };
    case 'C':
      return { kind: word ? 'wordRight' : 'right' };
    case 'D':
      return { kind: word ? 'wordLeft' : 'left' };
    case 'H':
      return { kind: 'home' };
    case 'F':
      return { kind: 'end' };
    case '~':
      switch (params.split(';')[0]) {
        case '1':
        case '7':
          return { kind: 'home' };
        case '4':
        case '8':
          return { kind: 'end' };
        case '3':
          return { kind: 'delete' };
      }
      return undefined;
    default:
      return undefined;
  }
}

/** `ESC O <x>` (application cursor keys). */
function ss3Key(final: string): Key | undefined {
  return { A: { kind: 'up' }, B: { kind: 'down' }, C: { kind: 'right' }, D: { kind: 'left' }, H: { kind: 'home' }, F: { kind: 'end' } }[final] as Key | undefined;
}

/** `ESC <x>`: Alt plus a key. */
function altKey(ch: string): Key | undefined {
  if (ch === '\x7f' || ch === '\x08') return { kind: 'deleteWordBack' };
  if (ch === 'b' || ch === 'B') return { kind: 'wordLeft' };
  if (ch === 'f' || ch === 'F') return { kind: 'wordRight' };
  return undefined;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/**
 * Turns terminal input (what `Pseudoterminal.handleInput` receives) into keys. Input may arrive in
 * any chunking: an escape sequence or a CR LF pair split across chunks is held until it completes.
 * Pasted text arrives as one chunk (or bracketed, `ESC[200~ … ESC[201~`); its line breaks become
 * Enter, so a pasted block of commands runs line by line.
 */
export class KeyDecoder {
  private pending = '';
  private inPaste = false;
  /** The last key was a CR: a LF right after it belongs to the same Enter. */
  private afterCr = false;

  /** True while an incomplete escape sequence is held: call `flush()` if no more input comes soon. */
  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  feed(data: string): Key[] {
    const s = this.pending + data;
    this.pending = '';
    const keys: Key[] = [];
    let text = '';
    const pushText = (): void => {
      if (text) keys.push({ kind: 'text', text });
      text = '';
    };
    const push = (key: Key): void => {
      pushText();
      keys.push(key);
    };
    let i = 0;
    while (i < s.length) {
      if (this.inPaste) {
        const end = s.indexOf(PASTE_END, i);
        const stop = end === -1 ? s.length - partialSuffix(s, i, PASTE_END) : end;
        for (const ch of s.slice(i, stop)) {
          if (ch === '\r' || ch === '\n') {
            if (!(ch === '\n' && this.afterCr)) push({ kind: 'enter' });
            this.afterCr = ch === '\r';
            continue;
          }
          this.afterCr = false;
          // Pasted tabs are spacing, not completion requests; other controls are dropped.
          if (ch === '\t') text += ' ';
          else if (isPrintable(ch)) text += ch;
        }
        if (end === -1) {
          this.pending = s.slice(stop);
          break;
        }
        this.inPaste = false;
        i = end + PASTE_END.length;
        continue;
      }
      const ch = s[i]!;
      const code = ch.charCodeAt(0);
      if (ch === '\r' || ch === '\n') {
        // CR, LF and CR LF are each one Enter, also when the LF comes in the next chunk.
        if (!(ch === '\n' && this.afterCr)) push({ kind: 'enter' });
        this.afterCr = ch === '\r';
        i++;
        continue;
      }
      this.afterCr = false;
      if (ch === ESC) {
        const parsed = parseEscape(s, i);
        if (parsed === 'incomplete') {
          this.pending = s.slice(i);
          break;
        }
        if (parsed.paste) {
          pushText();
          this.inPaste = true;
        } else if (parsed.key) push(parsed.key);
        i = parsed.end;
        continue;
      }
      const control = CONTROL_KEYS[ch];
      if (control) {
        push(control);
        i++;
        continue;
      }
      if (code < 0x20 || (code >= 0x80 && code <= 0x9f)) {
        i++;
        continue;
      }
      if (isHighSurrogate(code) && i + 1 >= s.length) {
        this.pending = ch;
        break;
      }
      text += ch;
      i++;
    }
    pushText();
    return keys;
  }

  /** Gives up on held input: an unfinished paste is delivered as text, anything else dropped. */
  flush(): Key[] {
    const held = this.pending;
    this.pending = '';
    if (this.inPaste) {
      this.inPaste = false;
      const text = [...held].filter(isPrintable).join('');
      return text ? [{ kind: 'text', text }] : [];
    }
    // A lone ESC was the Escape key, which does nothing here; a lone high surrogate is no character.
    return [];
  }
}

/** How many characters at the end of `s` (from `from`) could start `marker`. */
function partialSuffix(s: string, from: number, marker: string): number {
  for (let n = Math.min(marker.length - 1, s.length - from); n > 0; n--) {
    if (marker.startsWith(s.slice(s.length - n))) return n;
  }
  return 0;
}

type Escape = { end: number; key?: Key; paste?: boolean };

/** Parses the escape sequence at `s[i]` (an ESC). */
function parseEscape(s: string, i: number): Escape | 'incomplete' {
  if (i + 1 >= s.length) return 'incomplete';
  const next = s[i + 1]!;
  if (next === '[') {
    let j = i + 2;
    while (j < s.length && /[\x30-\x3f]/.test(s[j]!)) j++;
    while (j < s.length && /[\x20-\x2f]/.test(s[j]!)) j++;
    if (j >= s.length) return 'incomplete';
    const final = s[j]!;
    if (!/[\x40-\x7e]/.test(final)) return { end: j }; // malformed: drop what we read
    const params = s.slice(i + 2, j);
    if (params === '200' && final === '~') return { end: j + 1, paste: true };
    const key = csiKey(params, final);
    return key ? { end: j + 1, key } : { end: j + 1 };
  }
  if (next === 'O') {
    if (i + 2 >= s.length) return 'incomplete';
    const key = ss3Key(s[i + 2]!);
    return key ? { end: i + 3, key } : { end: i + 3 };
  }
  if (next === ESC) return { end: i + 1 }; // Escape pressed, then another sequence
  const key = altKey(next);
  return key ? { end: i + 2, key } : { end: i + 2 };
}

function isPrintable(ch: string): boolean {
  const code = ch.codePointAt(0)!;
  return !(code < 0x20 || (code >= 0x7f && code <= 0x9f));
}

/** Terminal cells a code point takes: 0 for combining marks, 2 for wide (CJK, emoji) characters. */
export function charWidth(ch: string): number {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0;
  if (
    (cp >= 0x0300 && cp <= 0x036f) ||
    (cp >= 0x1ab0 && cp <= 0x1aff) ||
    (cp >= 0x1dc0 && cp <= 0x1dff) ||
    (cp >= 0x200b && cp <= 0x200f) ||
    (cp >= 0x20d0 && cp <= 0x20ff) ||
    (cp >= 0xfe00 && cp <= 0xfe0f) ||
    (cp >= 0xfe20 && cp <= 0xfe2f)
  ) {
    return 0;
  }
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

/** Terminal cells a string takes. */
export function textWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += charWidth(ch);
  return width;
}

/**
 * Command history, oldest first, without blank lines or duplicates (re-running a command moves
 * it to the end). Up/Down walk it; the line being typed before walking is kept as a draft.
 */
export class History {
  private entries: string[];
  /** `entries.length` is the draft. */
  private index: number;
  private draft = '';

  constructor(
    entries: readonly string[] = [],
    readonly max = 100,
  ) {
    this.entries = entries.filter((e) => typeof e === 'string' && e.trim() !== '').slice(-max);
    this.index = this.entries.length;
  }

  get all(): readonly string[] {
    return this.entries;
  }

  /** Records a run line. Returns false when it was not added (blank). */
  add(line: string): boolean {
    this.reset();
    if (!line.trim()) return false;
    this.entries = this.entries.filter((e) => e !== line);
    this.entries.push(line);
    if (this.entries.length > this.max) this.entries.splice(0, this.entries.length - this.max);
    this.index = this.entries.length;
    return true;
  }

  /** The older entry, or undefined at the oldest. `current` is kept as the draft when leaving it. */
  previous(current: string): string | undefined {
    if (this.index === 0) return undefined;
    if (this.index === this.entries.length) this.draft = current;
    this.index--;
    return this.entries[this.index];
  }

  /** The newer entry, the draft after the newest, or undefined when already at the draft. */
  next(): string | undefined {
    if (this.index >= this.entries.length) return undefined;
    this.index++;
    return this.index === this.entries.length ? this.draft : this.entries[this.index];
  }

  /** Back at the draft (after a run or a cleared line). */
  reset(): void {
    this.index = this.entries.length;
    this.draft = '';
  }
}

/** What a key did to the line. */
export type EditResult =
  | { kind: 'none' }
  /** Nothing to do (e.g. Left at the start): ring the bell. */
  | { kind: 'bell' }
  | { kind: 'redraw' }
  | { kind: 'submit'; line: string }
  | { kind: 'complete' }
  | { kind: 'interrupt'; line: string }
  | { kind: 'clearScreen' }
  | { kind: 'eof' };

const isSpace = (ch: string | undefined): boolean => ch === ' ';

/**
 * The line being typed: characters (code points, so the cursor never splits a surrogate pair),
 * the cursor, and history.
 */
export class LineEditor {
  private chars: string[] = [];
  private pos = 0;
  readonly history: History;

  constructor(history: readonly string[] = [], maxHistory = 100) {
    this.history = new History(history, maxHistory);
  }

  get text(): string {
    return this.chars.join('');
  }

  /** Cursor position in characters (code points). */
  get cursor(): number {
    return this.pos;
  }

  /** The characters, for rendering. */
  get characters(): readonly string[] {
    return this.chars;
  }

  get textBeforeCursor(): string {
    return this.chars.slice(0, this.pos).join('');
  }

  /** Replaces the line; the cursor goes to `cursor` (default: the end). */
  setText(text: string, cursor?: number): void {
    this.chars = [...text];
    this.pos = Math.max(0, Math.min(cursor ?? this.chars.length, this.chars.length));
  }

  /** Inserts at the cursor. Only printable characters: line breaks and controls are dropped. */
  insert(text: string): void {
    const add = [...text].filter(isPrintable);
    // Not splice(...add): a large paste would exceed the argument limit.
    this.chars = [...this.chars.slice(0, this.pos), ...add, ...this.chars.slice(this.pos)];
    this.pos += add.length;
  }

  /** Deletes `count` characters before the cursor and inserts `text` there (a completion). */
  replaceBeforeCursor(count: number, text: string): void {
    const n = Math.max(0, Math.min(count, this.pos));
    this.chars.splice(this.pos - n, n);
    this.pos -= n;
    this.insert(text);
  }

  handle(key: Key): EditResult {
    switch (key.kind) {
      case 'text':
        this.insert(key.text);
        return { kind: 'redraw' };
      case 'enter': {
        const line = this.text;
        this.history.add(line);
        this.chars = [];
        this.pos = 0;
        return { kind: 'submit', line };
      }
      case 'tab':
        return { kind: 'complete' };
      case 'backspace':
        if (this.pos === 0) return { kind: 'bell' };
        this.chars.splice(--this.pos, 1);
        return { kind: 'redraw' };
      case 'delete':
        if (this.pos >= this.chars.length) return { kind: 'bell' };
        this.chars.splice(this.pos, 1);
        return { kind: 'redraw' };
      case 'eof':
        if (this.chars.length === 0) return { kind: 'eof' };
        if (this.pos >= this.chars.length) return { kind: 'bell' };
        this.chars.splice(this.pos, 1);
        return { kind: 'redraw' };
      case 'left':
        if (this.pos === 0) return { kind: 'bell' };
        this.pos--;
        return { kind: 'redraw' };
      case 'right':
        if (this.pos >= this.chars.length) return { kind: 'bell' };
        this.pos++;
        return { kind: 'redraw' };
      case 'wordLeft':
        this.pos = this.wordStart();
        return { kind: 'redraw' };
      case 'wordRight': {
        let p = this.pos;
        while (p < this.chars.length && isSpace(this.chars[p])) p++;
        while (p < this.chars.length && !isSpace(this.chars[p])) p++;
        this.pos = p;
        return { kind: 'redraw' };
      }
      case 'home':
        this.pos = 0;
        return { kind: 'redraw' };
      case 'end':
        this.pos = this.chars.length;
        return { kind: 'redraw' };
      case 'up': {
        const entry = this.history.previous(this.text);
        if (entry === undefined) return { kind: 'bell' };
        this.setText(entry);
        return { kind: 'redraw' };
      }
      case 'down': {
        const entry = this.history.next();
        if (entry === undefined) return { kind: 'bell' };
        this.setText(entry);
        return { kind: 'redraw' };
      }
      case 'killLine':
        this.chars = [];
        this.pos = 0;
        this.history.reset();
        return { kind: 'redraw' };
      case 'killToEnd':
        this.chars.splice(this.pos);
        return { kind: 'redraw' };
      case 'deleteWordBack': {
        const start = this.wordStart();
        if (start === this.pos) return { kind: 'bell' };
        this.chars.splice(start, this.pos - start);
        this.pos = start;
        return { kind: 'redraw' };
      }
      case 'interrupt': {
        const line = this.text;
        this.chars = [];
        this.pos = 0;
        this.history.reset();
        return { kind: 'interrupt', line };
      }
      case 'clearScreen':
        return { kind: 'clearScreen' };
    }
  }

  /** Start of the word before the cursor (skipping spaces first), as readline's `backward-word`. */
  private wordStart(): number {
    let p = this.pos;
    while (p > 0 && isSpace(this.chars[p - 1])) p--;
    while (p > 0 && !isSpace(this.chars[p - 1])) p--;
    return p;
  }
}

/**
 * Draws the prompt and line and keeps track of where the cursor is, so the line can be erased and
 * redrawn when output is printed above it or it changes, also when it wraps over several rows.
 * Every method returns the bytes to write.
 */
export class LineRenderer {
  /** The cursor's offset in cells from the start of the prompt, while the line is on screen. */
  private at: number | undefined;

  constructor(private cols = 80) {}

  get shown(): boolean {
    return this.at !== undefined;
  }

  get columns(): number {
    return this.cols;
  }

  /** New terminal width. The terminal reflows wrapped rows, so offsets stay valid. */
  resize(cols: number): void {
    this.cols = Math.max(1, Math.floor(cols) || 1);
  }

  /** Draws prompt and line, starting at column 0 of the cursor's row. */
  show(prompt: string, chars: readonly string[], cursor: number): string {
    const promptWidth = textWidth(prompt);
    const text = chars.join('');
    const total = promptWidth + textWidth(text);
    const target = promptWidth + textWidth(chars.slice(0, cursor).join(''));
    let out = prompt + text;
    // After exactly filling a row the terminal holds the cursor in the last column (pending
    // wrap); a CR LF makes the position unambiguous.
    if (total > 0 && total % this.cols === 0) out += '\r\n';
    out += this.move(total, target);
    this.at = target;
    return out;
  }

  /** Erases prompt and line; the cursor ends at column 0 of the row where the prompt started. */
  hide(): string {
    if (this.at === undefined) return '';
    const up = Math.floor(this.at / this.cols);
    this.at = undefined;
    return `${up > 0 ? `\x1b[${up}A` : ''}\r\x1b[J`;
  }

  /** Erases and redraws (after an edit). */
  redraw(prompt: string, chars: readonly string[], cursor: number): string {
    return this.hide() + this.show(prompt, chars, cursor);
  }

  /** Leaves the line on screen as typed and moves to a fresh row below it (Enter). */
  commit(prompt: string, chars: readonly string[]): string {
    if (this.at === undefined) return '';
    const total = textWidth(prompt) + textWidth(chars.join(''));
    let out = this.move(this.at, total);
    if (!(total > 0 && total % this.cols === 0)) out += '\r\n';
    this.at = undefined;
    return out;
  }

  /** Forgets the line without touching the screen (it was cleared some other way). */
  forget(): void {
    this.at = undefined;
  }

  private move(from: number, to: number): string {
    const rows = Math.floor(to / this.cols) - Math.floor(from / this.cols);
    const col = to % this.cols;
    let out = '';
    if (rows < 0) out += `\x1b[${-rows}A`;
    else if (rows > 0) out += `\x1b[${rows}B`;
    if (rows !== 0 || from % this.cols !== col) out += `\r${col > 0 ? `\x1b[${col}C` : ''}`;
    return out;
  }
}
