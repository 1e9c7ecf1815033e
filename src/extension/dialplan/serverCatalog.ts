import * as vscode from 'vscode';
import type { ServerConnection } from '../servers/serverConnection';
import type { ServerManager } from '../servers/serverManager';
import { Disposable } from '../util/disposable';
import { parseApplicationList, type ApplicationInfo } from './knowledge';
import { shippedCatalog, type AppCatalog } from './languageService';

/**
 * The applications each connected server has (`show application as json`, fetched once per
 * connection, again on reconnect or after a reload). The dialplan features use the active
 * server's list, or the shipped one when no server is connected or the list is not in yet.
 */
export class ServerCatalogs extends Disposable {
  private readonly lists = new Map<ServerConnection, ReadonlyMap<string, ApplicationInfo>>();
  private readonly fetching = new Map<ServerConnection, Promise<void>>();
  private readonly watched = new Set<ServerConnection>();
  private readonly _onDidChange = this._register(new vscode.EventEmitter<void>());
  readonly onDidChange = this._onDidChange.event;

  constructor(
    private readonly manager: ServerManager,
    private readonly activeServer: () => ServerConnection | undefined,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this._register(manager.onDidChangeServers(() => this.watch()));
    this.watch();
  }

  private watch(): void {
    for (const server of this.manager.servers) {
      if (this.watched.has(server)) continue;
      this.watched.add(server);
      this._register(
        server.onDidChangeState((state) => {
          if (state.kind === 'connected') void this.refresh(server);
          else if (this.lists.delete(server)) this._onDidChange.fire();
        }),
      );
      if (server.isConnected) void this.refresh(server);
    }
  }

  /** The server the dialplan features talk to: the active one if connected, else the first connected. */
  server(): ServerConnection | undefined {
    const active = this.activeServer();
    if (active?.isConnected) return active;
    return this.manager.servers.find((s) => s.isConnected);
  }

  catalog(): AppCatalog {
    const server = this.server();
    const apps = server && this.lists.get(server);
    return server && apps ? { apps, server: server.config.name } : shippedCatalog();
  }

  /** Fetches the server's list again (after a module load or a reloadxml). */
  refresh(server: ServerConnection): Promise<void> {
    const running = this.fetching.get(server);
    if (running) return running;
    const job = (async () => {
      const client = server.client;
      if (!client) return;
      try {
        const list = parseApplicationList(await client.api('show application as json'));
        if (!list) throw new Error('the answer is not the JSON of show application');
        this.lists.set(server, new Map(list.map((a) => [a.name, a])));
        this._onDidChange.fire();
      } catch (err) {
        this.log.warn(`dialplan: show application on ${server.config.name} failed: ${err instanceof Error ? err.message : String(err)}; using the shipped list`);
      }
    })().finally(() => this.fetching.delete(server));
    this.fetching.set(server, job);
    return job;
  }
}
