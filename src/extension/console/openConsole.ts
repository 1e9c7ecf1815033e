import * as vscode from 'vscode';
import { LOG_LEVELS, readSettings } from '../config';
import { pickServer, requireConnected } from '../commands/pickers';
import type { ServerConnection, ServerState } from '../servers/serverConnection';
import type { BaseServices, Services } from '../services';
import type { TreeNode } from '../tree/nodes';
import { Disposable } from '../util/disposable';
import { ConsoleSession } from './consoleSession';

/** globalState: `{ server, lines }[]`, the last commands per server name (an array, not a record keyed by user text). */
const HISTORY_KEY = 'freeswitch.consoleHistory';
const MAX_HISTORY = 100;

interface StoredHistory {
  server: string;
  lines: string[];
}

/** Open Console: an fs_cli-like terminal on a connected server; shows the open one if there is one. */
export async function openConsole(services: Services, node?: TreeNode): Promise<void> {
  const server = await pickServer(services, node, { connected: true });
  services.consoles.show(server);
}

/** The open consoles, one per server, and the command history shared by a server's consoles. */
export class Consoles extends Disposable {
  private readonly consoles = new Map<ServerConnection, ConsoleTerminal>();
  /** Consoles whose server left the settings: still on screen until closed. */
  private readonly retired = new Set<ConsoleTerminal>();

  constructor(private readonly services: BaseServices) {
    super();
    this._register(services.manager.onDidChangeServers(() => this.retireRemoved()));
    this._register({
      dispose: () => {
        for (const terminal of [...this.consoles.values(), ...this.retired]) terminal.dispose();
        this.consoles.clear();
        this.retired.clear();
      },
    });
  }

  show(server: ServerConnection): void {
    const existing = this.consoles.get(server);
    if (existing) {
      existing.terminal.show();
      return;
    }
    requireConnected(server);
    const name = server.config.name;
    const terminal = new ConsoleTerminal(server, {
      history: this.loadHistory(name),
      logLevel: Math.max(0, LOG_LEVELS.indexOf(readSettings().logLevel)),
      saveHistory: (lines) => this.saveHistory(name, lines),
      onDidDispose: () => {
        if (this.consoles.get(server) === terminal) this.consoles.delete(server);
        this.retired.delete(terminal);
      },
    });
    this.consoles.set(server, terminal);
    terminal.terminal.show();
  }

  private retireRemoved(): void {
    const servers = new Set(this.services.manager.servers);
    for (const [server, terminal] of this.consoles) {
      if (servers.has(server)) continue;
      this.consoles.delete(server);
      this.retired.add(terminal);
      terminal.retire();
    }
  }

  private stored(): StoredHistory[] {
    const value = this.services.context.globalState.get<unknown>(HISTORY_KEY);
    if (!Array.isArray(value)) return [];
    return value.filter(
      (e): e is StoredHistory => typeof e === 'object' && e !== null && typeof (e as StoredHistory).server === 'string' && Array.isArray((e as StoredHistory).lines),
    );
  }

  private loadHistory(server: string): string[] {
    const lines = this.stored().find((e) => e.server === server)?.lines ?? [];
    return lines.filter((l): l is string => typeof l === 'string').slice(-MAX_HISTORY);
  }

  private saveHistory(server: string, lines: readonly string[]): void {
    const entries = this.stored().filter((e) => e.server !== server);
    entries.push({ server, lines: lines.slice(-MAX_HISTORY) });
    this.services.context.globalState.update(HISTORY_KEY, entries).then(undefined, (err: unknown) => {
      this.services.log.warn(`console history for ${server} not saved: ${err instanceof Error ? err.message : String(err)}`);
    });
  }
}

interface ConsoleTerminalOptions {
  history: readonly string[];
  logLevel: number;
  saveHistory(lines: readonly string[]): void;
  onDidDispose(): void;
}

/** A VS Code terminal (Pseudoterminal) around a ConsoleSession, kept bound to its server's client. */
class ConsoleTerminal extends Disposable {
  readonly terminal: vscode.Terminal;
  private readonly session: ConsoleSession;
  private readonly closeEmitter = new vscode.EventEmitter<void>();
  /** A lost connection was reported; the next `connected` says it is back. */
  private lost = false;
  private stateListener: vscode.Disposable | undefined;

  constructor(
    private readonly server: ServerConnection,
    options: ConsoleTerminalOptions,
  ) {
    super();
    this._register({ dispose: options.onDidDispose });
    const writeEmitter = this._register(new vscode.EventEmitter<string>());
    this._register(this.closeEmitter);
    const name = server.config.name;
    this.session = this._register(
      new ConsoleSession({
        prompt: `freeswitch@${name}> `,
        banner:
          `FreeSWITCH console on ${server.label}, logging at ${LOG_LEVELS[options.logLevel]} (/log <level>, /nolog).\n` +
          '/help lists the console commands; anything else runs as an API command.',
        history: options.history,
        maxHistory: MAX_HISTORY,
        logLevel: options.logLevel,
        write: (data) => writeEmitter.fire(data),
        close: () => this.close(),
        onDidChangeHistory: (lines) => options.saveHistory([...lines]),
      }),
    );
    const pty: vscode.Pseudoterminal = {
      onDidWrite: writeEmitter.event,
      onDidClose: this.closeEmitter.event,
      open: (dimensions) => this.session.open(dimensions?.columns),
      close: () => this.dispose(),
      handleInput: (data) => this.session.input(data),
      setDimensions: (dimensions) => this.session.resize(dimensions.columns),
    };
    this.terminal = this._register(
      vscode.window.createTerminal({ name: `FreeSWITCH: ${name}`, pty, iconPath: new vscode.ThemeIcon('terminal'), isTransient: true }),
    );
    this._register(
      vscode.window.onDidCloseTerminal((closed) => {
        if (closed === this.terminal) this.dispose();
      }),
    );
    this.session.bind(server.client);
    this.stateListener = this._register(server.onDidChangeState((state) => this.onState(state)));
  }

  /** The server left the settings: this console can no longer run anything. */
  retire(): void {
    this.stateListener?.dispose();
    this.stateListener = undefined;
    this.session.notice(`${this.server.config.name} was removed from the settings; close this console`, 'error');
    this.session.bind(undefined);
  }

  private onState(state: ServerState): void {
    switch (state.kind) {
      case 'connected':
        this.session.bind(this.server.client);
        if (this.lost) this.session.notice(`Connected to ${this.server.label}`, 'info');
        this.lost = false;
        return;
      case 'connecting':
        return;
      case 'reconnecting':
        // The client's connection reconnects by itself and keeps the log level and subscriptions.
        if (!this.lost) this.session.notice(`Connection lost${state.error ? ` (${state.error})` : ''}: reconnecting…`, 'warning');
        this.lost = true;
        return;
      case 'disconnected':
        this.session.bind(undefined);
        this.session.notice('Disconnected: commands run again once the server is connected (FreeSWITCH: Connect)', 'warning');
        this.lost = true;
        return;
      case 'authFailed':
      case 'unreachable':
        this.session.bind(undefined);
        this.session.notice(`Disconnected: ${state.error}`, 'error');
        this.lost = true;
        return;
    }
  }

  /** `/exit`: the terminal goes away. */
  private close(): void {
    this.closeEmitter.fire();
    this.dispose();
  }
}
