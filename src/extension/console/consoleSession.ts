import type { Disposable, EslEvent, Event, LogLine } from '../../core';
import {
  BOLD,
  CYAN,
  DIM,
  GREEN,
  HELP_TEXT,
  RED,
  RESET,
  YELLOW,
  charsInLastBytes,
  describeLogLevel,
  eventMatches,
  formatColumns,
  formatEvent,
  logColor,
  parseCompletion,
  parseConsoleCommand,
  terminalLines,
  terminalSafe,
  utf8Length,
  type ConsoleCommand,
} from './consoleText';
import { KeyDecoder, LineEditor, LineRenderer, type Key } from './lineEditor';
import { LogTap, type LogSource } from './logTap';

/** The part of a core `Connection` the console uses; a core `Client`'s connection is one. */
export interface ConsoleConnection extends LogSource {
  /** Event names subscribed to on this connection, by anyone. */
  readonly subscriptions: ReadonlySet<string>;
  readonly eventFormat: string;
  subscribe(names: Iterable<string>): Promise<void>;
  unsubscribe(names: Iterable<string>): Promise<void>;
  send(command: { line: string }): Promise<unknown>;
  readonly onDidReceiveEvent: Event<EslEvent>;
}

/** The part of a core `Client` the console uses. */
export interface ConsoleClient {
  readonly connection: ConsoleConnection;
  api(command: string, options?: { timeoutMs?: number }): Promise<string>;
}

export interface ConsoleSessionOptions {
  /** e.g. `freeswitch@lab> `; made terminal-safe here. */
  prompt: string;
  /** Printed when the terminal opens. */
  banner?: string;
  /** Earlier commands, oldest first. */
  history?: readonly string[];
  maxHistory?: number;
  /** The log level to stream at from the start (0–7), or none. */
  logLevel?: number;
  /** How long an API command may take before the console gives up on it. Default 2 minutes. */
  apiTimeoutMs?: number;
  /** Writes to the terminal. */
  write(data: string): void;
  /** Closes the terminal (`/exit`). */
  close(): void;
  /** A command was added to the history. */
  onDidChangeHistory?(lines: readonly string[]): void;
}

/** Output waiting for the next flush beyond this is dropped (and counted): a log storm must not pile up. */
const MAX_PENDING_OUTPUT = 1 << 20;
/** Output is batched this long, so a burst of log lines redraws the prompt once. */
const FLUSH_DELAY_MS = 16;
/** How long an incomplete escape sequence waits for its end before it counts as the Escape key. */
const ESCAPE_TIMEOUT_MS = 50;
const MAX_TYPE_AHEAD = 4096;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * An fs_cli-like console on one server: a prompt with line editing, history and server-side Tab
 * completion; `/log`, `/event` and the other slash commands; anything else runs as `api`. Log lines,
 * events and notices print above the prompt without disturbing the line being typed.
 *
 * It works on the server's command connection (`bind`), which it shares with the rest of the
 * extension: it only removes the subscriptions it added, and shares the log level through LogTap.
 * No `vscode` here: the Pseudoterminal glue feeds it input and writes what it emits.
 */
export class ConsoleSession implements Disposable {
  private readonly decoder = new KeyDecoder();
  private readonly editor: LineEditor;
  private readonly renderer = new LineRenderer();
  private readonly prompt: string;
  private client: ConsoleClient | undefined;
  private tap: LogTap | undefined;
  private listeners: Disposable[] = [];
  private logLevel: number | undefined;
  private uuidFilter: string | undefined;
  /** Events the user asked to see. */
  private readonly watching = new Set<string>();
  /** Of those, the ones this console subscribed the connection to (and so removes again). */
  private owned = new Set<string>();
  private opened = false;
  private disposed = false;
  /** The running command or completion (0: none); a reply for an older token is ignored. */
  private busy = 0;
  private lastToken = 0;
  private queued: Key[] = [];
  private pending = '';
  private dropped = 0;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private escapeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: ConsoleSessionOptions) {
    this.prompt = terminalSafe(options.prompt);
    this.editor = new LineEditor(options.history ?? [], options.maxHistory ?? 100);
    this.logLevel = options.logLevel;
  }

  /** The terminal opened: banner, then the prompt. Output that came before is shown now. */
  open(columns: number | undefined): void {
    if (this.opened || this.disposed) return;
    this.opened = true;
    this.renderer.resize(columns ?? 80);
    if (this.options.banner) this.pending = terminalLines(this.options.banner, DIM) + this.pending;
    this.flush();
    this.showPrompt();
  }

  resize(columns: number): void {
    const wasShown = this.renderer.shown;
    this.renderer.resize(columns);
    if (wasShown) this.write(this.renderer.redraw(this.prompt, this.editor.characters, this.editor.cursor));
  }

  /** Terminal input. */
  input(data: string): void {
    if (this.disposed) return;
    if (this.escapeTimer) clearTimeout(this.escapeTimer);
    this.escapeTimer = undefined;
    this.handleKeys(this.decoder.feed(data));
    if (this.decoder.hasPending) {
      this.escapeTimer = setTimeout(() => {
        this.escapeTimer = undefined;
        this.handleKeys(this.decoder.flush());
      }, ESCAPE_TIMEOUT_MS);
    }
  }

  /**
   * Works on this client from now on (undefined: none, the server is disconnected). The log level
   * and events asked for are applied to the new client's connection.
   */
  bind(client: ConsoleClient | undefined): void {
    if (this.disposed || client === this.client) return;
    this.release();
    this.client = client;
    if (!client) return;
    const connection = client.connection;
    this.tap = new LogTap(connection, (line) => this.onLog(line));
    this.listeners.push(connection.onDidReceiveEvent((event) => this.onEvent(event)));
    if (this.logLevel !== undefined) {
      this.tap.setLevel(this.logLevel).catch((err: unknown) => this.printSoon(terminalLines(`Could not start the log: ${errorText(err)}`, RED)));
    }
    if (this.watching.size > 0) {
      this.subscribe(connection, [...this.watching]).catch((err: unknown) => this.printSoon(terminalLines(`Could not subscribe to events: ${errorText(err)}`, RED)));
    }
  }

  /** A line about the connection (lost, back …), printed above the prompt. */
  notice(text: string, tone: 'info' | 'warning' | 'error' = 'info'): void {
    const color = tone === 'error' ? RED : tone === 'warning' ? YELLOW : GREEN;
    this.printSoon(terminalLines(`[${text}]`, color));
  }

  dispose(): void {
    if (this.disposed) return;
    this.release();
    this.disposed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.escapeTimer) clearTimeout(this.escapeTimer);
    this.flushTimer = this.escapeTimer = undefined;
    this.queued = [];
    this.pending = '';
  }

  /** Stops the log and removes this console's subscriptions from the current connection. */
  private release(): void {
    this.tap?.dispose();
    this.tap = undefined;
    for (const listener of this.listeners) listener.dispose();
    this.listeners = [];
    const client = this.client;
    this.client = undefined;
    if (client && this.owned.size > 0) this.unsubscribe(client.connection, [...this.owned]).catch(() => undefined);
    this.owned = new Set();
  }

  // Input

  private handleKeys(keys: readonly Key[]): void {
    for (const key of keys) {
      if (this.disposed) return;
      if (this.busy) {
        if (key.kind === 'interrupt') this.cancel();
        else if (this.queued.length < MAX_TYPE_AHEAD) this.queued.push(key);
        continue;
      }
      this.handleKey(key);
    }
  }

  private handleKey(key: Key): void {
    const result = this.editor.handle(key);
    switch (result.kind) {
      case 'none':
        return;
      case 'bell':
      case 'eof':
        this.write('\x07');
        return;
      case 'redraw':
        this.showPrompt();
        return;
      case 'interrupt': {
        const shown = [...result.line, '^', 'C'];
        this.write(this.renderer.redraw(this.prompt, shown, shown.length) + this.renderer.commit(this.prompt, shown));
        this.showPrompt();
        return;
      }
      case 'clearScreen':
        this.renderer.forget();
        this.write('\x1b[H\x1b[2J');
        this.showPrompt();
        return;
      case 'complete':
        this.complete();
        return;
      case 'submit':
        this.write(this.renderer.commit(this.prompt, [...result.line]));
        if (result.line.trim()) this.options.onDidChangeHistory?.(this.editor.history.all);
        this.execute(parseConsoleCommand(result.line));
        return;
    }
  }

  /** Ctrl-C while a command runs: stop waiting for it (FreeSWITCH finishes it; the reply is dropped). */
  private cancel(): void {
    this.busy = 0;
    this.queued = [];
    if (this.renderer.shown) {
      this.showPrompt();
    } else {
      this.print(terminalLines('^C (no longer waiting for the reply)', DIM));
      this.showPrompt();
    }
  }

  // Commands

  private execute(command: ConsoleCommand): void {
    switch (command.kind) {
      case 'empty':
        this.showPrompt();
        return;
      case 'help':
        this.print(terminalLines(HELP_TEXT));
        this.showPrompt();
        return;
      case 'exit':
        this.options.close();
        return;
      case 'error':
        this.print(terminalLines(command.message, RED));
        this.showPrompt();
        return;
      case 'logStatus':
        this.print(terminalLines(this.statusText()));
        this.showPrompt();
        return;
      case 'log':
      case 'nolog': {
        const level = command.kind === 'log' ? command.level : undefined;
        this.logLevel = level;
        const done = level === undefined ? '+OK no longer logging' : `+OK log level ${describeLogLevel(level)}`;
        const tap = this.tap;
        if (!tap) {
          this.print(terminalLines(level === undefined ? done : `${done}, from when the server is connected`));
          this.showPrompt();
          return;
        }
        this.runBusy(async () => {
          await tap.setLevel(level);
          return terminalLines(done);
        });
        return;
      }
      case 'uuid':
        this.uuidFilter = command.uuid;
        this.print(terminalLines(command.uuid ? `Log lines of channel ${command.uuid} only` : 'Log lines of all channels'));
        this.showPrompt();
        return;
      case 'event':
        this.runBusy(async () => {
          for (const name of command.names) this.watching.add(name);
          const client = this.client;
          if (!client) return terminalLines(`Events ${command.names.join(' ')} will be subscribed to when the server is connected`);
          await this.subscribe(client.connection, command.names);
          return terminalLines(`+OK listening for ${command.names.join(' ')}`);
        });
        return;
      case 'nixevent':
      case 'noevents':
        this.runBusy(async () => {
          const names = command.kind === 'noevents' ? [...this.watching] : command.names.filter((n) => this.watching.has(n));
          if (names.length === 0) return terminalLines(command.kind === 'noevents' ? 'Not listening for events' : 'Not listening for those events');
          for (const name of names) this.watching.delete(name);
          const mine = names.filter((n) => this.owned.has(n));
          for (const name of mine) this.owned.delete(name);
          if (this.client && mine.length > 0) await this.unsubscribe(this.client.connection, mine);
          return terminalLines(command.kind === 'noevents' ? '+OK no longer listening for events' : `+OK stopped ${names.join(' ')}`);
        });
        return;
      case 'api': {
        const client = this.client;
        if (!client) {
          this.print(terminalLines('Not connected: the command was not sent.', RED));
          this.showPrompt();
          return;
        }
        this.runBusy(async () => {
          const body = await client.api(command.command, { timeoutMs: this.options.apiTimeoutMs ?? 120_000 });
          if (body === '') return '';
          return terminalLines(body, /^-(ERR|USAGE)/.test(body) ? RED : undefined);
        });
        return;
      }
    }
  }

  private statusText(): string {
    const lines = [this.logLevel === undefined ? 'Log: off (/log <level> starts it)' : `Log level: ${describeLogLevel(this.logLevel)}`];
    if (this.uuidFilter) lines.push(`Log lines of channel ${this.uuidFilter} only`);
    if (this.watching.size > 0) lines.push(`Events: ${[...this.watching].join(' ')}`);
    if (!this.client) lines.push('Not connected');
    return lines.join('\n');
  }

  /**
   * Runs `work` with the prompt held back (type-ahead queues; Ctrl-C stops waiting), prints what
   * it returns, then shows the prompt and replays the type-ahead. During a completion the prompt
   * stays on screen, during a command it is hidden.
   */
  private runBusy(work: () => Promise<string | undefined>): void {
    const token = ++this.lastToken;
    this.busy = token;
    const current = (): boolean => this.busy === token && !this.disposed;
    void (async () => {
      let text: string | undefined;
      try {
        text = await work();
      } catch (err) {
        text = terminalLines(errorText(err), RED);
      }
      if (!current()) return;
      this.busy = 0;
      if (text) this.print(text);
      this.showPrompt();
      const queued = this.queued;
      this.queued = [];
      this.handleKeys(queued);
    })();
  }

  /** Tab: asks FreeSWITCH (`console_complete`) and applies its answer as fs_cli does. */
  private complete(): void {
    const client = this.client;
    if (!client) {
      this.write('\x07');
      return;
    }
    // FreeSWITCH completes after at most one space; fs_cli deletes the extra ones the same way.
    const extra = /( +)$/.exec(this.editor.textBeforeCursor)?.[1]?.length ?? 0;
    if (extra > 1) {
      this.editor.replaceBeforeCursor(extra - 1, '');
      this.showPrompt();
    }
    const sent = this.editor.textBeforeCursor.replace(/^ +/, '');
    const before = { text: this.editor.text, cursor: this.editor.cursor };
    this.runBusy(async () => {
      // Always `c=<bytes>;`: without it FreeSWITCH would read a `c=` inside the line as the cursor.
      const body = await client.api(`console_complete c=${utf8Length(sent)};${sent}`, { timeoutMs: 10_000 });
      if (/^-(ERR|USAGE)/.test(body)) return terminalLines(body, RED);
      if (this.editor.text !== before.text || this.editor.cursor !== before.cursor) return undefined;
      const completion = parseCompletion(body);
      if (completion.write) {
        const { deleteBytes, text } = completion.write;
        this.editor.replaceBeforeCursor(charsInLastBytes(this.editor.textBeforeCursor, deleteBytes), text);
      }
      if (completion.matches.length > 1) return terminalLines(formatColumns(completion.matches, this.renderer.columns).join('\n'));
      if (completion.matches.length === 0 && !completion.write) this.write('\x07');
      return undefined;
    });
  }

  // Events

  /** Subscribes, remembering which names this console added (the others were someone else's). */
  private async subscribe(connection: ConsoleConnection, names: readonly string[]): Promise<void> {
    const fresh = names.filter((n) => !connection.subscriptions.has(n) && !this.owned.has(n));
    if (fresh.length === 0) return;
    for (const name of fresh) this.owned.add(name);
    try {
      await connection.subscribe(fresh);
    } catch (err) {
      // Refused (no name FreeSWITCH knows): take them back, or every reconnect would send them again.
      for (const name of fresh) {
        this.owned.delete(name);
        this.watching.delete(name);
      }
      await connection.unsubscribe(fresh).catch(() => undefined);
      throw err;
    }
  }

  /** Unsubscribes names this console added (the connection handles `ALL` and CUSTOM subclasses). */
  private async unsubscribe(connection: ConsoleConnection, names: readonly string[]): Promise<void> {
    await connection.unsubscribe(names);
  }

  private onEvent(event: EslEvent): void {
    if (!eventMatches(this.watching, event)) return;
    const { title, details } = formatEvent(event);
    this.printSoon(`${BOLD}${CYAN}${terminalSafe(title)}${RESET}\r\n${details ? terminalLines(details) : ''}`);
  }

  private onLog(line: LogLine): void {
    if (this.uuidFilter && line.uuid !== this.uuidFilter) return;
    this.printSoon(terminalLines(line.text, logColor(line.level)));
  }

  // Output

  private write(data: string): void {
    if (this.opened && !this.disposed && data) this.options.write(data);
  }

  private showPrompt(): void {
    if (!this.opened || this.disposed || (this.busy && !this.renderer.shown)) return;
    this.write(this.renderer.redraw(this.prompt, this.editor.characters, this.editor.cursor));
  }

  /** Prints terminal-ready text above the prompt now. */
  private print(text: string): void {
    this.pending += text;
    this.flush();
  }

  /** Prints terminal-ready text above the prompt with the next batch. */
  private printSoon(text: string): void {
    if (this.disposed) return;
    if (this.pending.length + text.length > MAX_PENDING_OUTPUT) this.dropped++;
    else this.pending += text;
    if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined;
        this.flush();
      }, FLUSH_DELAY_MS);
    }
  }

  private flush(): void {
    if (!this.opened || this.disposed) return;
    let text = this.pending;
    this.pending = '';
    if (this.dropped > 0) {
      text += terminalLines(`[${this.dropped} lines dropped: output came faster than the terminal took it]`, YELLOW);
      this.dropped = 0;
    }
    if (!text) return;
    if (!this.renderer.shown) {
      this.write(text);
      return;
    }
    this.write(this.renderer.hide() + text + this.renderer.show(this.prompt, this.editor.characters, this.editor.cursor));
  }
}
