import * as vscode from 'vscode';
import type { ServerManager } from './servers/serverManager';
import type { ServerConnection } from './servers/serverConnection';
import { serverStateText } from './tree/nodes';
import { Disposable } from './util/disposable';

const ACTIVE_KEY = 'freeswitch.activeServer';

/** The active server's state and call count; a click picks the server. */
export class ServerStatusBar extends Disposable {
  private readonly item = this._register(vscode.window.createStatusBarItem('freeswitch.status', vscode.StatusBarAlignment.Left, 50));
  private pending: NodeJS.Timeout | undefined;

  constructor(
    private readonly manager: ServerManager,
    private readonly state: vscode.Memento,
  ) {
    super();
    this.item.name = 'FreeSWITCH Server';
    this.item.command = 'freeswitch.server.select';
    this._register(manager.onDidChangeServers(() => this.schedule()));
    this._register(manager.onDidChangeCalls(() => this.schedule()));
    this._register({ dispose: () => this.pending && clearTimeout(this.pending) });
    this.update();
  }

  get active(): ServerConnection | undefined {
    const name = this.state.get<string>(ACTIVE_KEY);
    const servers = this.manager.servers;
    return servers.find((s) => s.config.name === name) ?? servers.find((s) => s.isConnected) ?? servers[0];
  }

  setActive(server: ServerConnection): void {
    void this.state.update(ACTIVE_KEY, server.config.name);
    this.update();
  }

  /** Call counts change per event: update at most 4 times a second. */
  private schedule(): void {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.update();
    }, 250);
  }

  private update(): void {
    const server = this.active;
    if (!server) {
      this.item.text = '$(vm-outline) FreeSWITCH';
      this.item.tooltip = 'No FreeSWITCH server configured. Click to add one.';
      this.item.backgroundColor = undefined;
      this.item.show();
      return;
    }
    const kind = server.state.kind;
    const icon = kind === 'connected' ? '$(vm-running)' : kind === 'connecting' || kind === 'reconnecting' ? '$(loading~spin)' : kind === 'authFailed' || kind === 'accessDenied' || kind === 'unreachable' ? '$(error)' : '$(vm-outline)';
    this.item.text = `${icon} ${server.config.name}: ${kind === 'connected' ? `${server.callCount} ${server.callCount === 1 ? 'call' : 'calls'}` : serverStateText(server)}`;
    this.item.tooltip = `${server.config.name} (${server.config.host}:${server.config.port}): ${serverStateText(server)}\nClick to pick the active server.`;
    this.item.backgroundColor = kind === 'authFailed' || kind === 'accessDenied' || kind === 'unreachable' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.item.show();
  }
}
