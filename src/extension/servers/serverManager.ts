import * as vscode from 'vscode';
import { AuthError } from '../../core';
import { readSettings, SECTION, type ServerConfig } from '../config';
import { Disposable } from '../util/disposable';
import { ServerConnection, type ServerState } from './serverConnection';

/** The SecretStorage key of a server's password: by address and user, so renaming keeps it. */
function secretKey(config: ServerConfig): string {
  return `freeswitch.password/${config.user ?? ''}@${config.host}:${config.port}`;
}

/** Whether two entries connect the same way; the group is not part of a connection. */
function sameServer(a: ServerConfig, b: ServerConfig): boolean {
  return a.name === b.name && a.host === b.host && a.port === b.port && a.user === b.user && a.passwordEnv === b.passwordEnv;
}

/**
 * Owns one ServerConnection per entry of `freeswitch.servers`, keeps them in step with the
 * settings, and gets passwords from SecretStorage (asking once, on first connect).
 */
export class ServerManager extends Disposable {
  private _servers: ServerConnection[] = [];
  private readonly _onDidChangeServers = this._register(new vscode.EventEmitter<void>());
  /** Servers were added, removed or changed state. */
  readonly onDidChangeServers = this._onDidChangeServers.event;
  private readonly _onDidChangeCalls = this._register(new vscode.EventEmitter<ServerConnection>());
  readonly onDidChangeCalls = this._onDidChangeCalls.event;
  private readonly perServer = new Map<ServerConnection, vscode.Disposable[]>();
  /** The password each server was last connected with, for its app host (see passwordFor). */
  private readonly passwords = new WeakMap<ServerConnection, string>();

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.reload();
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SECTION}.servers`)) this.reload();
      }),
    );
  }

  get servers(): readonly ServerConnection[] {
    return this._servers;
  }

  get(name: string): ServerConnection | undefined {
    return this._servers.find((s) => s.config.name === name);
  }

  /** Rebuilds the list from settings, keeping connections whose entry did not change. */
  private reload(): void {
    const configs = readSettings().servers;
    const kept: ServerConnection[] = [];
    for (const config of configs) {
      const existing = this._servers.find((s) => sameServer(s.config, config));
      existing?.updateConfig(config);
      kept.push(existing ?? this.track(new ServerConnection(config, this.log)));
    }
    for (const old of this._servers) {
      if (!kept.includes(old)) this.untrack(old);
    }
    this._servers = kept;
    this._onDidChangeServers.fire();
  }

  private track(server: ServerConnection): ServerConnection {
    this.perServer.set(server, [
      server.onDidChangeState((state) => this.onState(server, state)),
      server.onDidChangeCalls(() => this._onDidChangeCalls.fire(server)),
    ]);
    return server;
  }

  private untrack(server: ServerConnection): void {
    for (const d of this.perServer.get(server) ?? []) d.dispose();
    this.perServer.delete(server);
    server.dispose();
  }

  private onState(server: ServerConnection, state: ServerState): void {
    // A rejected password is forgotten so the next connect asks again.
    if (state.kind === 'authFailed') {
      this.passwords.delete(server);
      void this.secrets.delete(secretKey(server.config));
    }
    this._onDidChangeServers.fire();
  }

  /**
   * Connects a server with its stored password, asking for it (and storing it) when there is none.
   * Returns false when the user cancelled the prompt. Connection errors are shown in the tree; the
   * caller decides whether to also show a message.
   */
  async connect(server: ServerConnection): Promise<boolean> {
    const key = secretKey(server.config);
    let password = this.passwordFromEnvironment(server) ?? (await this.secrets.get(key));
    let asked = false;
    if (password === undefined) {
      password = await vscode.window.showInputBox({
        title: `Connect to ${server.config.name}`,
        prompt: `ESL password for ${server.config.host}:${server.config.port}${server.config.user ? ` (user ${server.config.user})` : ''}`,
        placeHolder: 'event_socket.conf.xml "password" (FreeSWITCH ships ClueCon)',
        password: true,
        ignoreFocusOut: true,
      });
      if (password === undefined) return false;
      asked = true;
    }
    this.passwords.set(server, password);
    try {
      await server.connect(password);
    } catch (err) {
      if (err instanceof AuthError) await this.secrets.delete(key);
      throw err;
    }
    if (asked) await this.secrets.store(key, password);
    return true;
  }

  private passwordFromEnvironment(server: ServerConnection): string | undefined {
    const name = server.config.passwordEnv;
    return name ? process.env[name] : undefined;
  }

  /**
   * The password a connected server was connected with (from its `passwordEnv` or SecretStorage),
   * for the app host's own ESL connection. Never logged.
   */
  async passwordFor(server: ServerConnection): Promise<string | undefined> {
    return this.passwords.get(server) ?? this.passwordFromEnvironment(server) ?? (await this.secrets.get(secretKey(server.config)));
  }

  async forgetPassword(server: ServerConnection): Promise<void> {
    this.passwords.delete(server);
    await this.secrets.delete(secretKey(server.config));
  }

  /** Connects every server (auto-connect on startup), without prompting for passwords not stored. */
  async connectAllWithStoredPasswords(): Promise<void> {
    await Promise.allSettled(
      this._servers.map(async (server) => {
        const password = this.passwordFromEnvironment(server) ?? (await this.secrets.get(secretKey(server.config)));
        if (password === undefined) return;
        this.passwords.set(server, password);
        await server.connect(password);
      }),
    );
  }

  override dispose(): void {
    for (const server of this._servers) this.untrack(server);
    this._servers = [];
    super.dispose();
  }
}
