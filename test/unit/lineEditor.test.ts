import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConsoleSession } from '../../src/extension/console/consoleSession';
import { History, KeyDecoder, LineEditor, LineRenderer, textWidth, type Key } from '../../src/extension/console/lineEditor';
import { fakeConsoleClient, type FakeConsoleClient } from '../support/fakeConsoleClient';

// The console's line editor: keys from any chunking of terminal input, the edit buffer and
// history, and redraws checked on a small terminal model (autowrap with pending wrap, CR, LF,
// cursor up/down/right, erase below), so wrapped lines and output printed above the prompt are
// checked as a user would see them.

/** Just enough of a VT100 for what the renderer writes. Colours (SGR) are ignored. */
class Screen {
  rows: string[][] = [[]];
  row = 0;
  col = 0;
  private pendingWrap = false;

  constructor(readonly cols: number) {}

  write(data: string): void {
    let i = 0;
    while (i < data.length) {
      const ch = data[i]!;
      if (ch === '\x1b') {
        const m = /^\x1b\[([0-9;?]*)([A-Za-z~])/.exec(data.slice(i));
        if (!m) throw new Error(`unsupported escape ${JSON.stringify(data.slice(i, i + 8))}`);
        const n = m[1] === '' ? 1 : Number(m[1]!.split(';')[0]);
        switch (m[2]) {
          case 'A':
            this.row = Math.max(0, this.row - n);
            break;
          case 'B':
            this.row += n;
            break;
          case 'C':
            this.col = Math.min(this.cols - 1, this.col + n);
            break;
          case 'J':
            if (m[1] === '2') this.rows = [];
            else {
              this.line().length = Math.min(this.line().length, this.col);
              this.rows.length = this.row + 1;
            }
            break;
          case 'H':
            this.row = 0;
            this.col = 0;
            break;
          case 'm':
            break;
          default:
            throw new Error(`unsupported CSI ${m[0]}`);
        }
        if (m[2] !== 'm') this.pendingWrap = false;
        i += m[0].length;
        continue;
      }
      if (ch === '\r') {
        this.col = 0;
        this.pendingWrap = false;
      } else if (ch === '\n') {
        this.row++;
        this.pendingWrap = false;
      } else if (ch !== '\x07') {
        if (this.pendingWrap) {
          this.row++;
          this.col = 0;
          this.pendingWrap = false;
        }
        const line = this.line();
        while (line.length < this.col) line.push(' ');
        line[this.col] = ch;
        if (this.col === this.cols - 1) this.pendingWrap = true;
        else this.col++;
      }
      i++;
    }
  }

  private line(): string[] {
    while (this.rows.length <= this.row) this.rows.push([]);
    return this.rows[this.row]!;
  }

  /** The screen's text rows, trailing blanks trimmed. */
  get text(): string[] {
    const rows = this.rows.map((r) => r.join('').trimEnd());
    while (rows.length > 0 && rows[rows.length - 1] === '') rows.pop();
    return rows;
  }
}

const keysOf = (decoder: KeyDecoder, ...chunks: string[]): Key[] => chunks.flatMap((c) => decoder.feed(c));
const kinds = (keys: Key[]): string[] => keys.map((k) => (k.kind === 'text' ? `text:${k.text}` : k.kind));

describe('KeyDecoder', () => {
  it('decodes printable text, controls and the usual escape sequences', () => {
    const keys = new KeyDecoder().feed('ab\x7f\x1b[D\x1b[C\x1b[A\x1b[B\x1b[H\x1b[F\x1b[3~\x01\x05\x15\x0b\x17\x03\x0c\t\r');
    assert.deepStrictEqual(kinds(keys), [
      'text:ab',
      'backspace',
      'left',
      'right',
      'up',
      'down',
      'home',
      'end',
      'delete',
      'home',
      'end',
      'killLine',
      'killToEnd',
      'deleteWordBack',
      'interrupt',
      'clearScreen',
      'tab',
      'enter',
    ]);
  });

  it('knows the other spellings of Home, End and the arrows (SS3, ~ forms, Ctrl/Alt arrows, Alt-b/f)', () => {
    const keys = new KeyDecoder().feed('\x1bOH\x1bOF\x1bOA\x1b[1~\x1b[4~\x1b[7~\x1b[8~\x1b[1;5D\x1b[1;5C\x1bb\x1bf\x1b\x7f');
    assert.deepStrictEqual(kinds(keys), ['home', 'end', 'up', 'home', 'end', 'home', 'end', 'wordLeft', 'wordRight', 'wordLeft', 'wordRight', 'deleteWordBack']);
  });

  it('gives the same keys however the input is split, escape sequences included', () => {
    const input = 'sh\x1b[Dx\x1b[1;5C\x1bOH\x1b[3~é😀\r\nnext\r';
    const whole = kinds(new KeyDecoder().feed(input));
    const units = [...input];
    for (let cut = 1; cut < units.length; cut++) {
      const decoder = new KeyDecoder();
      const keys = keysOf(decoder, units.slice(0, cut).join(''), units.slice(cut).join(''));
      // Text may come as two pieces where the cut falls in a run of text: compare joined.
      assert.deepStrictEqual(kinds(mergeText(keys)), whole, `cut at ${cut}`);
    }
    // Byte-by-byte (UTF-16 unit by unit, splitting the surrogate pair too).
    const decoder = new KeyDecoder();
    const keys = [...input.split('')].flatMap((c) => decoder.feed(c));
    assert.deepStrictEqual(kinds(mergeText(keys)), whole);
  });

  it('treats CR, LF and CR LF as one Enter each, also with the LF in the next chunk', () => {
    const decoder = new KeyDecoder();
    assert.deepStrictEqual(kinds(keysOf(decoder, 'a\r', '\nb\nc\r\r')), ['text:a', 'enter', 'text:b', 'enter', 'text:c', 'enter', 'enter']);
  });

  it('runs pasted lines one by one: the text of a multi-line paste becomes text and Enter keys', () => {
    const keys = new KeyDecoder().feed('status\rshow channels\r');
    assert.deepStrictEqual(kinds(keys), ['text:status', 'enter', 'text:show channels', 'enter']);
  });

  it('takes bracketed paste literally: tabs are spaces, escapes inside are not keys, and the end marker may be split', () => {
    const decoder = new KeyDecoder();
    const keys = keysOf(decoder, '\x1b[200~a\tb\x1b[Dc\r\nd', '\x1b[20', '1~\x1b[D');
    assert.deepStrictEqual(kinds(mergeText(keys)), ['text:a b[Dc', 'enter', 'text:d', 'left']);
  });

  it('drops unknown sequences, C1 controls and stray controls instead of typing them', () => {
    const keys = new KeyDecoder().feed('a\x1b[99Xb\x1b[?1;2cc\u009b\x00\x1ed\x1b[I');
    assert.deepStrictEqual(kinds(mergeText(keys)), ['text:abcd']);
  });

  it('holds a lone ESC until flushed (the Escape key), then does nothing with it', () => {
    const decoder = new KeyDecoder();
    assert.deepStrictEqual(decoder.feed('x\x1b'), [{ kind: 'text', text: 'x' }]);
    assert.equal(decoder.hasPending, true);
    assert.deepStrictEqual(decoder.flush(), []);
    assert.equal(decoder.hasPending, false);
    assert.deepStrictEqual(kinds(decoder.feed('[D')), ['text:[D']);
  });
});

function mergeText(keys: Key[]): Key[] {
  const out: Key[] = [];
  for (const key of keys) {
    const last = out[out.length - 1];
    if (key.kind === 'text' && last?.kind === 'text') out[out.length - 1] = { kind: 'text', text: last.text + key.text };
    else out.push(key);
  }
  return out;
}

function type(editor: LineEditor, input: string): ReturnType<LineEditor['handle']>[] {
  return new KeyDecoder().feed(input).map((k) => editor.handle(k));
}

describe('LineEditor', () => {
  it('inserts, moves and deletes by character', () => {
    const e = new LineEditor();
    type(e, 'sttus\x1b[D\x1b[D\x1b[Da');
    assert.equal(e.text, 'status');
    assert.equal(e.cursor, 3);
    type(e, '\x7f\x1b[3~');
    assert.equal(e.text, 'stus');
    type(e, '\x01\x1b[3~\x05!');
    assert.equal(e.text, 'tus!');
    assert.equal(e.cursor, 4);
  });

  it('rings the bell at the edges instead of doing nothing silently', () => {
    const e = new LineEditor();
    assert.deepStrictEqual(type(e, '\x7f\x1b[D\x1b[C\x1b[3~').map((r) => r.kind), ['bell', 'bell', 'bell', 'bell']);
  });

  it('keeps surrogate pairs whole', () => {
    const e = new LineEditor();
    type(e, 'a😀b\x1b[D\x7f');
    assert.equal(e.text, 'ab');
    assert.equal(e.cursor, 1);
  });

  it('Ctrl-U kills the line, Ctrl-K to the end, Ctrl-W and Alt-Backspace the word before the cursor', () => {
    const e = new LineEditor();
    type(e, 'sofia status profile internal');
    type(e, '\x17');
    assert.equal(e.text, 'sofia status profile ');
    type(e, '\x1b\x7f');
    assert.equal(e.text, 'sofia status ');
    type(e, '\x01\x1b[1;5C\x0b');
    assert.equal(e.text, 'sofia');
    type(e, '\x15');
    assert.equal(e.text, '');
    assert.equal(e.cursor, 0);
  });

  it('Ctrl-C clears the line and reports what was there', () => {
    const e = new LineEditor();
    assert.deepStrictEqual(type(e, 'show\x03').at(-1), { kind: 'interrupt', line: 'show' });
    assert.equal(e.text, '');
  });

  it('Enter submits and records the line; Up/Down walk the history and come back to the draft', () => {
    const e = new LineEditor();
    assert.deepStrictEqual(type(e, 'status\r').at(-1), { kind: 'submit', line: 'status' });
    type(e, 'version\r');
    type(e, 'sho');
    type(e, '\x1b[A');
    assert.equal(e.text, 'version');
    type(e, '\x1b[A');
    assert.equal(e.text, 'status');
    assert.equal(type(e, '\x1b[A')[0]!.kind, 'bell');
    type(e, '\x1b[B\x1b[B');
    assert.equal(e.text, 'sho');
    assert.equal(type(e, '\x1b[B')[0]!.kind, 'bell');
  });

  it('re-running a command moves it to the end; blank lines are not kept; the history is bounded', () => {
    const h = new History(['a', 'b', ' '], 3);
    assert.deepStrictEqual(h.all, ['a', 'b']);
    h.add('a');
    assert.deepStrictEqual(h.all, ['b', 'a']);
    assert.equal(h.add('   '), false);
    h.add('c');
    h.add('d');
    assert.deepStrictEqual(h.all, ['a', 'c', 'd']);
  });

  it('replaceBeforeCursor applies a completion in the middle of a line', () => {
    const e = new LineEditor();
    e.setText('sofia st internal', 8);
    e.replaceBeforeCursor(2, 'status ');
    assert.equal(e.text, 'sofia status  internal');
    assert.equal(e.cursor, 13);
  });
});

describe('LineRenderer', () => {
  const prompt = 'freeswitch@lab> ';

  it('draws, redraws and hides a line that wraps over several rows, the cursor where it belongs', () => {
    for (const cols of [7, 10, 16, 20, 23, 80]) {
      for (const length of [0, 1, 4, 5, 6, 14, 24, 40]) {
        const text = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ'.slice(0, length);
        const chars = [...text];
        for (let cursor = 0; cursor <= chars.length; cursor++) {
          const screen = new Screen(cols);
          const r = new LineRenderer(cols);
          screen.write('before\r\n');
          screen.write(r.show(prompt, chars.slice(0, Math.max(0, length - 3)), 0));
          screen.write(r.redraw(prompt, chars, cursor));
          const label = `cols ${cols}, length ${length}, cursor ${cursor}`;
          assert.deepStrictEqual(screen.text, ['before', ...wrap(prompt + text, cols)], label);
          const offset = textWidth(prompt) + cursor;
          assert.deepStrictEqual([screen.row, screen.col], [1 + Math.floor(offset / cols), offset % cols], label);
          screen.write(r.hide());
          assert.deepStrictEqual(screen.text, ['before'], label);
          assert.deepStrictEqual([screen.row, screen.col], [1, 0], label);
        }
      }
    }
  });

  it('commit leaves the line on screen and moves to a fresh row, also after exactly filling a row', () => {
    for (const text of ['ab', 'abcd', 'abcdefghijkl']) {
      const cols = 10;
      const screen = new Screen(cols);
      const r = new LineRenderer(cols);
      screen.write(r.show('> ', [...text], 1));
      screen.write(r.commit('> ', [...text]));
      screen.write('out\r\n');
      assert.deepStrictEqual(screen.text, [...wrap(`> ${text}`, cols), 'out'], text);
      assert.equal(r.shown, false);
    }
  });
});

function wrap(text: string, cols: number): string[] {
  const rows: string[] = [];
  for (let i = 0; i < text.length; i += cols) rows.push(text.slice(i, i + cols).trimEnd());
  return rows.length > 0 ? rows : [''];
}

/** Unknown commands answer as FreeSWITCH does. */
function fakeClient(answers: Record<string, string>): FakeConsoleClient {
  return fakeConsoleClient(answers, (command) => `-ERR ${command} Command not found!\n`);
}

const settle = (ms = 30): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('ConsoleSession on screen', () => {
  it('prints log lines above the prompt without disturbing the line being typed, also a wrapped one', async () => {
    const screen = new Screen(20);
    const { client, log } = fakeClient({});
    const session = new ConsoleSession({ prompt: 'fs> ', logLevel: 7, write: (d) => screen.write(d), close: () => undefined });
    session.bind(client);
    session.open(20);
    session.input('show channels as json\x1b[D\x1b[D');
    log.fire({ level: 6, uuid: undefined, file: 'f.c', func: 'f', line: 1, text: '2026-01-01 00:00:00.000000 [INFO] f.c:1 hello\n' });
    log.fire({ level: 3, uuid: undefined, file: 'f.c', func: 'f', line: 2, text: 'second\n' });
    await settle();
    assert.deepStrictEqual(screen.text, ['2026-01-01 00:00:00.', '000000 [INFO] f.c:1', 'hello', 'second', 'fs> show channels as', ' json']);
    // The cursor is still two characters from the end of the line, and typing goes there.
    session.input('!');
    assert.deepStrictEqual(screen.text.slice(-2), ['fs> show channels as', ' js!on']);
    session.dispose();
  });

  it('Enter leaves the command on screen, prints the reply, and shows a fresh prompt', async () => {
    const screen = new Screen(40);
    const { client } = fakeClient({ version: 'FreeSWITCH Version 1.10.12\n', bogus: '' });
    const session = new ConsoleSession({ prompt: 'fs> ', write: (d) => screen.write(d), close: () => undefined });
    session.bind(client);
    session.open(40);
    session.input('version\r');
    await settle();
    assert.deepStrictEqual(screen.text, ['fs> version', 'FreeSWITCH Version 1.10.12', 'fs>']);
    session.dispose();
  });

  it('Ctrl-C shows ^C after the line and gives a fresh prompt', () => {
    const screen = new Screen(40);
    const session = new ConsoleSession({ prompt: 'fs> ', write: (d) => screen.write(d), close: () => undefined });
    session.open(40);
    session.input('sofia st\x03');
    assert.deepStrictEqual(screen.text, ['fs> sofia st^C', 'fs>']);
    session.dispose();
  });

  it('Tab with several candidates prints them, then the prompt with the common prefix applied', async () => {
    const screen = new Screen(60);
    const body = '\n\n[                show]\t[              shutdown]\t\n\nwrite=1:sh';
    const { client, calls } = fakeClient({ 'console_complete c=1;s': body });
    const session = new ConsoleSession({ prompt: 'fs> ', write: (d) => screen.write(d), close: () => undefined });
    session.bind(client);
    session.open(60);
    session.input('s\t');
    await settle();
    assert.deepStrictEqual(calls, ['api console_complete c=1;s']);
    assert.deepStrictEqual(screen.text, ['show      shutdown', 'fs> sh']);
    session.dispose();
  });
});
