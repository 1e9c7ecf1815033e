/**
 * What the console reads and prints: its slash commands, FreeSWITCH log levels, `console_complete`
 * replies, events as text, and escaping of everything FreeSWITCH sends before it reaches the
 * terminal. Pure: no `vscode`, no I/O.
 */
import type { EslEvent } from '../../core';
import { textWidth } from './lineEditor';

/** FreeSWITCH's log levels by number (`switch_log_level_t`), as `log <n>` takes them. */
export const FS_LOG_LEVELS = ['console', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;
export type FsLogLevelName = (typeof FS_LOG_LEVELS)[number];

const LEVEL_ALIASES: Readonly<Record<string, number>> = {
  error: 3,
  critical: 2,
  warn: 4,
  emerg: 0,
};

/** A level as 0–7, a FreeSWITCH name (`debug`, `err` …) or a common alias (`error`, `warn`). */
export function parseLogLevel(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (/^[0-7]$/.test(t)) return Number(t);
  const index = (FS_LOG_LEVELS as readonly string[]).indexOf(t);
  if (index >= 0) return index;
  return LEVEL_ALIASES[t];
}

/** `debug (7)`. */
export function describeLogLevel(level: number): string {
  return `${FS_LOG_LEVELS[level] ?? '?'} (${level})`;
}

export const RESET = '\x1b[0m';
export const RED = '\x1b[31m';
export const GREEN = '\x1b[32m';
export const YELLOW = '\x1b[33m';
export const CYAN = '\x1b[36m';
export const DIM = '\x1b[2m';
export const BOLD = '\x1b[1m';

/** fs_cli's colours by log level: console default, alert/crit/err red, warning magenta, notice cyan, info green, debug yellow. */
const LOG_COLORS = [RESET, RED, RED, RED, '\x1b[35m', CYAN, GREEN, YELLOW] as const;

export function logColor(level: number): string {
  return LOG_COLORS[level] ?? RESET;
}

/**
 * Makes text from FreeSWITCH safe to write to a terminal: a caller ID name or a log line must not
 * move the cursor, recolour, retitle or otherwise drive the terminal. C0 controls (ESC, BEL, lone
 * CR …), DEL and C1 controls (U+0080–U+009F: xterm.js reads U+009B as CSI) are shown as visible
 * escapes such as `^[`; tabs stay; CR LF and LF become the terminal's CR LF.
 */
export function terminalSafe(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]|\n/g, (ch) => (ch === '\n' ? '\r\n' : visibleControl(ch)));
}

/** A control character as text: `^[` for ESC, `^?` for DEL, `<U+009B>` for a C1 control. */
function visibleControl(ch: string): string {
  const code = ch.charCodeAt(0);
  if (code < 0x20) return `^${String.fromCharCode(code + 0x40)}`;
  if (code === 0x7f) return '^?';
  return `<U+${code.toString(16).toUpperCase().padStart(4, '0')}>`;
}

/** Text from FreeSWITCH as terminal lines, each ending with CR LF; `color` wraps the whole block. */
export function terminalLines(text: string, color?: string): string {
  const body = terminalSafe(text.replace(/\r?\n$/, ''));
  return color ? `${color}${body}${RESET}\r\n` : `${body}\r\n`;
}

/** A console input line, parsed. */
export type ConsoleCommand =
  | { kind: 'empty' }
  | { kind: 'api'; command: string }
  | { kind: 'help' }
  | { kind: 'exit' }
  | { kind: 'log'; level: number }
  | { kind: 'logStatus' }
  | { kind: 'nolog' }
  | { kind: 'event'; names: string[] }
  | { kind: 'nixevent'; names: string[] }
  | { kind: 'noevents' }
  | { kind: 'uuid'; uuid: string | undefined }
  | { kind: 'error'; message: string };

/** `/event` accepts fs_cli's form too (`/event plain ALL`): the format word is ignored. */
const EVENT_FORMATS = new Set(['plain', 'json', 'xml']);
const EVENT_NAME = /^[A-Z][A-Z0-9_]*$/;
const SUBCLASS_NAME = /^[A-Za-z0-9_.\-]+::[A-Za-z0-9_.:\-]+$/;

/**
 * Event names for `/event` and `/nixevent`: upper-cased names (`CHANNEL_CREATE`, `ALL`) and CUSTOM
 * subclasses (`sofia::register`). `CUSTOM` itself is implied by its subclasses.
 */
export function parseEventNames(args: readonly string[]): { names: string[] } | { error: string } {
  const words = args.length > 0 && EVENT_FORMATS.has(args[0]!.toLowerCase()) ? args.slice(1) : args;
  const names: string[] = [];
  let custom = false;
  for (const word of words) {
    if (word.includes('::')) {
      if (!SUBCLASS_NAME.test(word)) return { error: `${JSON.stringify(word)} is not an event subclass name (e.g. sofia::register).` };
      if (!names.includes(word)) names.push(word);
      continue;
    }
    const name = word.toUpperCase();
    if (!EVENT_NAME.test(name)) return { error: `${JSON.stringify(word)} is not an event name (e.g. CHANNEL_CREATE, ALL).` };
    if (name === 'CUSTOM') {
      custom = true;
      continue;
    }
    if (!names.includes(name)) names.push(name);
  }
  if (names.length === 0) {
    return { error: custom ? 'CUSTOM needs subclass names, e.g. /event CUSTOM sofia::register' : 'Name the events, e.g. /event CHANNEL_CREATE CHANNEL_HANGUP_COMPLETE, or /event ALL.' };
  }
  return { names };
}

/** Parses a line typed at the prompt: `/…` console commands (fs_cli's), anything else an API command. */
export function parseConsoleCommand(line: string): ConsoleCommand {
  const trimmed = line.trim();
  if (!trimmed) return { kind: 'empty' };
  if (trimmed === '...') return { kind: 'exit' };
  if (!trimmed.startsWith('/')) return { kind: 'api', command: trimmed };
  const [word = '', ...args] = trimmed.slice(1).split(/\s+/);
  switch (word.toLowerCase()) {
    case 'help':
    case '?':
      return { kind: 'help' };
    case 'exit':
    case 'quit':
    case 'bye':
      return { kind: 'exit' };
    case 'log': {
      if (args.length === 0) return { kind: 'logStatus' };
      const level = parseLogLevel(args[0]!);
      if (level === undefined || args.length > 1) return { kind: 'error', message: `Usage: /log <level>, a level from 0 to 7 or one of ${FS_LOG_LEVELS.join(', ')}.` };
      return { kind: 'log', level };
    }
    case 'nolog':
      return { kind: 'nolog' };
    case 'event':
    case 'events': {
      const parsed = parseEventNames(args);
      return 'error' in parsed ? { kind: 'error', message: parsed.error } : { kind: 'event', names: parsed.names };
    }
    case 'nixevent': {
      const parsed = parseEventNames(args);
      return 'error' in parsed ? { kind: 'error', message: parsed.error } : { kind: 'nixevent', names: parsed.names };
    }
    case 'noevents':
    case 'noevent':
      return { kind: 'noevents' };
    case 'uuid': {
      const uuid = args[0];
      if (uuid !== undefined && !/^[A-Za-z0-9-]{1,64}$/.test(uuid)) return { kind: 'error', message: `${JSON.stringify(uuid)} is not a channel uuid.` };
      return { kind: 'uuid', uuid };
    }
    default:
      return { kind: 'error', message: `Unknown command [/${word}]. Type /help for the console commands.` };
  }
}

export const HELP_TEXT = [
  'Console commands:',
  '  /log <level>        stream the log at a level: 0-7 or console, alert, crit, err, warning, notice, info, debug',
  '  /nolog              stop the log',
  '  /uuid [<uuid>]      show only the log lines of one channel; without a uuid, all of them',
  '  /event <names…>     print events: /event ALL, /event CHANNEL_CREATE CHANNEL_HANGUP, /event CUSTOM sofia::register',
  '  /nixevent <names…>  stop printing some events',
  '  /noevents           stop printing events',
  '  /exit, /quit, /bye  close the console',
  '  /help               this help',
  'Anything else runs as an API command: status, show channels, sofia status, reloadxml …',
  'Keys: Tab completes (console_complete), Up/Down history, Ctrl-A/Ctrl-E start/end of line,',
  '      Ctrl-U clears the line, Ctrl-K cuts to the end, Ctrl-W deletes a word, Ctrl-L clears the screen,',
  '      Ctrl-C cancels the line or a running command.',
].join('\n');

/** A `console_complete` reply: the candidates, and the text to put in place of the word being completed. */
export interface Completion {
  matches: string[];
  /** Delete `deleteBytes` UTF-8 bytes before the cursor, then insert `text`. */
  write?: { deleteBytes: number; text: string };
}

/**
 * Parses `console_complete`'s reply (switch_console_complete in switch_console.c, stream mode):
 * `\n\n`, each candidate as `[%20s]\t` (a line break after every fourth), `\n\n`, then
 * `write=<len>:<text>` when there is something to write: the single match plus a space, or the
 * candidates' common prefix. `<len>` is the byte length of the word being completed, the last
 * word before the cursor. fs_cli applies it the same way (esl_console_complete).
 */
export function parseCompletion(body: string): Completion {
  const at = body.indexOf('\n\nwrite=');
  const list = at >= 0 ? body.slice(0, at) : body;
  const matches: string[] = [];
  for (const m of list.matchAll(/\[ *([^\]\t\n]*)\]\t/g)) {
    if (m[1]) matches.push(m[1]);
  }
  if (at < 0) return { matches };
  const rest = body.slice(at + '\n\nwrite='.length);
  const colon = rest.indexOf(':');
  const deleteBytes = parseInt(rest.slice(0, colon), 10);
  if (colon < 0 || !Number.isFinite(deleteBytes) || deleteBytes < 0) return { matches };
  return { matches, write: { deleteBytes, text: rest.slice(colon + 1).replace(/[\r\n]+$/, '') } };
}

/** Bytes of `text` in UTF-8 (FreeSWITCH counts positions and lengths in bytes). */
export function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** How many characters (code points) at the end of `text` make up its last `bytes` UTF-8 bytes. */
export function charsInLastBytes(text: string, bytes: number): number {
  const chars = [...text];
  let n = 0;
  let total = 0;
  while (n < chars.length && total < bytes) {
    total += utf8Length(chars[chars.length - 1 - n]!);
    n++;
  }
  return n;
}

/** Items laid out in columns that fit `width` cells, as `ls` does: down first, then across. */
export function formatColumns(items: readonly string[], width: number): string[] {
  if (items.length === 0) return [];
  const cell = Math.max(...items.map(textWidth)) + 2;
  const perRow = Math.max(1, Math.floor(Math.max(width, cell) / cell));
  const rows = Math.ceil(items.length / perRow);
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    let line = '';
    for (let c = 0; c < perRow; c++) {
      const item = items[c * rows + r];
      if (item === undefined) continue;
      line += item + ' '.repeat(cell - textWidth(item));
    }
    lines.push(line.trimEnd());
  }
  return lines;
}

/** The headers worth a line when an event is printed, in this order, when present. */
const EVENT_KEY_HEADERS = [
  'Unique-ID',
  'Channel-Name',
  'Call-Direction',
  'Channel-State',
  'Channel-Call-State',
  'Answer-State',
  'Caller-Caller-ID-Name',
  'Caller-Caller-ID-Number',
  'Caller-Destination-Number',
  'Caller-Context',
  'Application',
  'Application-Data',
  'Application-Response',
  'Hangup-Cause',
  'Other-Leg-Unique-ID',
  'Job-UUID',
  'Job-Command',
  'Job-Command-Arg',
  'DTMF-Digit',
  'Event-Date-Local',
] as const;

/**
 * An event as console text: `RECV EVENT <name>` (with the subclass for CUSTOM), then its key
 * headers and body. Plain text: the caller makes it terminal-safe.
 */
export function formatEvent(event: Pick<EslEvent, 'name' | 'headers' | 'body'>): { title: string; details: string } {
  const subclass = event.headers['Event-Subclass'];
  const title = `RECV EVENT ${event.name || '(unnamed)'}${subclass ? ` ${subclass}` : ''}`;
  const lines: string[] = [];
  for (const name of EVENT_KEY_HEADERS) {
    const value = event.headers[name];
    if (value !== undefined && value !== '') lines.push(`  ${name}: ${value}`);
  }
  const body = event.body.replace(/\s+$/, '');
  if (body) {
    for (const line of body.split('\n').slice(0, 20)) lines.push(`  | ${line}`);
  }
  return { title, details: lines.join('\n') };
}

/** True when an event is one of `names` (an event name, `ALL`, or a CUSTOM subclass). */
export function eventMatches(names: ReadonlySet<string>, event: Pick<EslEvent, 'name' | 'headers'>): boolean {
  if (names.has('ALL') || names.has(event.name)) return true;
  const subclass = event.headers['Event-Subclass'];
  return event.name === 'CUSTOM' && subclass !== undefined && names.has(subclass);
}

/** `[<uuid> ]<date> <time> [<cpu idle>% ][LEVEL] `; group 1 is the level name. */
const LOG_PREFIX = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12} )?\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? (?:\d+(?:\.\d+)?% )?\[([A-Z]+)\] /;

/**
 * A FreeSWITCH log line without the prefix FreeSWITCH formats into it (`[<uuid> ]<date> <time>
 * [<cpu idle>% ][LEVEL] `), for a log view that shows its own time and level. `file:line` stays.
 */
export function stripLogPrefix(text: string): string {
  return text.replace(LOG_PREFIX, '');
}

/**
 * A log line for the Stream Logs channel: FreeSWITCH's own level name in brackets, as fs_cli and the
 * console show it (`[NOTICE] switch_channel.c:1142 New Channel …`), then the line without its date
 * prefix (the channel shows its own time). A VS Code log channel knows five levels and would show
 * NOTICE as info; the name in the text keeps it and can be searched with the channel's filter. A
 * line without a prefix (the dialplan's `EXECUTE …`) gets the name of its `Log-Level`.
 */
export function logChannelText(level: number, text: string): string {
  const written = LOG_PREFIX.exec(text)?.[1];
  const name = written ?? FS_LOG_LEVELS[level]?.toUpperCase() ?? `LEVEL ${level}`;
  return `[${name}] ${plainText(stripLogPrefix(text))}`;
}

/** Text from FreeSWITCH for a non-terminal view: no trailing line break, controls other than tab and LF shown visibly. */
export function plainText(text: string): string {
  return text
    .replace(/\r?\n$/, '')
    .replace(/\r\n/g, '\n')
    .replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, visibleControl);
}
