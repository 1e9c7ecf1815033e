import * as vscode from 'vscode';
import type { Call } from '../../core';
import type { AppManager } from '../apps/appManager';
import { hostAppDescription } from '../apps/appsPure';
import type { ServerManager } from '../servers/serverManager';
import { Disposable } from '../util/disposable';
import {
  callLabel,
  callState,
  formatDuration,
  serverIcon,
  serverStateText,
  sessionTooltip,
  type CallNode,
  type TreeNode,
} from './nodes';

/** At most this many refreshes a second, however fast events arrive. */
const MAX_REFRESH_PER_SECOND = 10;

/**
 * Servers → Calls → Call → Sessions, and Servers → Apps. Refresh is driven by the servers' events,
 * coalesced to at most 10 a second, and does no work while the view is hidden.
 */
export class ServersTreeProvider extends Disposable implements vscode.TreeDataProvider<TreeNode> {
  private readonly _onDidChangeTreeData = this._register(new vscode.EventEmitter<TreeNode | TreeNode[] | undefined | void>());
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private view: vscode.TreeView<TreeNode> | undefined;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private lastRefresh = 0;
  /** While calls are up and the view is visible, durations tick once a second. */
  private ticker: NodeJS.Timeout | undefined;
  /** Refreshes done, for tests and diagnostics. */
  refreshCount = 0;
  /**
   * The call rows last handed to VS Code, one object per call: a partial refresh names elements
   * by identity, so a row must be the same object from one getChildren to the next.
   */
  private callNodes = new Map<Call, CallNode>();
  private readonly expandedCalls = new WeakSet<Call>();

  constructor(
    private readonly manager: ServerManager,
    private readonly apps?: AppManager,
  ) {
    super();
    this._register(manager.onDidChangeServers(() => this.schedule()));
    if (apps) this._register(apps.onDidChange(() => this.schedule()));
    this._register(manager.onDidChangeCalls(() => this.schedule()));
    this._register({ dispose: () => this.stopTimers() });
  }

  /** Binds the TreeView so refresh can pause while it is hidden. */
  attach(view: vscode.TreeView<TreeNode>): void {
    this.view = view;
    this._register(view.onDidExpandElement((e) => e.element.kind === 'call' && this.expandedCalls.add(e.element.call)));
    this._register(view.onDidCollapseElement((e) => e.element.kind === 'call' && this.expandedCalls.delete(e.element.call)));
    this._register(
      view.onDidChangeVisibility((e) => {
        if (e.visible) {
          if (this.dirty) this.schedule();
          this.updateTicker();
        } else this.stopTimers();
      }),
    );
  }

  private get visible(): boolean {
    return this.view?.visible ?? true;
  }

  /** Marks the tree stale; refreshes it within 1/10 s if visible, or when it is shown again. */
  schedule(): void {
    this.dirty = true;
    if (!this.visible || this.timer) return;
    const wait = Math.max(0, this.lastRefresh + 1000 / MAX_REFRESH_PER_SECOND - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.visible) return;
      this.dirty = false;
      this.lastRefresh = Date.now();
      this.refreshCount++;
      this._onDidChangeTreeData.fire();
      this.updateTicker();
    }, wait);
  }

  private updateTicker(): void {
    const anyCalls = this.manager.servers.some((s) => s.callCount > 0);
    if (anyCalls && this.visible && !this.ticker) {
      this.ticker = setInterval(() => this.tickDurations(), 1000);
    } else if ((!anyCalls || !this.visible) && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }

  /**
   * Durations change every second: refresh only the collapsed call rows. Refreshing a row makes
   * VS Code drop and re-fetch its children, and an inline action clicked on a child in that
   * moment reaches its command without its row; so an expanded call (whose sessions the user is
   * working on) keeps its duration until the next real change, and resumes ticking when collapsed.
   */
  private tickDurations(): void {
    if (this.timer) return;
    const collapsed = [...this.callNodes.values()].filter((node) => !this.expandedCalls.has(node.call));
    if (collapsed.length > 0) this._onDidChangeTreeData.fire(collapsed);
  }

  private stopTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  getChildren(node?: TreeNode): TreeNode[] {
    if (!node) return this.manager.servers.map((server) => ({ kind: 'server', server }));
    const server = node.server;
    switch (node.kind) {
      case 'server': {
        const state = server.state;
        if (state.kind === 'authFailed' || state.kind === 'accessDenied' || state.kind === 'unreachable') return [{ kind: 'error', server, message: state.error }];
        if (state.kind === 'reconnecting' && state.error) return [{ kind: 'error', server, message: state.error }];
        if (!server.listener || state.kind === 'disconnected' || state.kind === 'connecting') return [];
        return [
          { kind: 'calls', server },
          { kind: 'apps', server },
        ];
      }
      case 'calls': {
        const rows = [...(server.listener?.calls.values() ?? [])].map((call): CallNode => this.callNodes.get(call) ?? { kind: 'call', server, call });
        // Keep the rows of other servers; replace this server's.
        const next = new Map([...this.callNodes].filter(([, n]) => n.server !== server));
        for (const row of rows) next.set(row.call, row);
        this.callNodes = next;
        return rows;
      }
      case 'call':
        return node.call.sessions.map((session) => ({ kind: 'session', server, session }));
      case 'apps':
        // Apps in the server's app host first, then any loaded in-process on its own listener.
        return [
          ...(this.apps?.host(server)?.apps ?? []).map((app): TreeNode => ({ kind: 'hostApp', server, app })),
          ...[...(server.listener?.loadedApps.values() ?? [])].map((app): TreeNode => ({ kind: 'app', server, app })),
        ];
      default:
        return [];
    }
  }

  getParent(node: TreeNode): TreeNode | undefined {
    switch (node.kind) {
      case 'server':
        return undefined;
      case 'calls':
      case 'apps':
      case 'error':
        return { kind: 'server', server: node.server };
      case 'call':
        return { kind: 'calls', server: node.server };
      case 'session': {
        const call = node.session.call;
        return call ? (this.callNodes.get(call) ?? { kind: 'call', server: node.server, call }) : { kind: 'calls', server: node.server };
      }
      case 'app':
      case 'hostApp':
        return { kind: 'apps', server: node.server };
    }
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const serverId = `${node.server.config.name}@${node.server.config.host}:${node.server.config.port}`;
    switch (node.kind) {
      case 'server': {
        const s = node.server;
        // Always expandable: VS Code keeps an item's first collapsible state for its id, so one that
        // started as a leaf (disconnected) would stay collapsed once it has children.
        const item = new vscode.TreeItem(s.config.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `server:${serverId}`;
        item.description = serverStateText(s);
        item.iconPath = serverIcon(s);
        item.tooltip = `${s.config.name}: ${s.config.host}:${s.config.port}${s.config.user ? ` as ${s.config.user}` : ''}\n${serverStateText(s)}`;
        item.contextValue = `server ${s.state.kind}`;
        return item;
      }
      case 'calls': {
        const count = node.server.callCount;
        const item = new vscode.TreeItem('Calls', vscode.TreeItemCollapsibleState.Expanded);
        item.id = `calls:${serverId}`;
        item.description = String(count);
        item.iconPath = new vscode.ThemeIcon('call-outgoing');
        item.contextValue = 'calls';
        return item;
      }
      case 'apps': {
        const count = (node.server.listener?.loadedApps.size ?? 0) + (this.apps?.host(node.server)?.apps.length ?? 0);
        const item = new vscode.TreeItem('Apps', vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `apps:${serverId}`;
        item.description = String(count);
        item.iconPath = new vscode.ThemeIcon('extensions');
        item.contextValue = 'apps';
        return item;
      }
      case 'call': {
        const call = node.call;
        const item = new vscode.TreeItem(callLabel(call), vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `call:${serverId}:${call.uuid}`;
        item.description = `${callState(call)} · ${formatDuration(Date.now() - call.createdAt)}`;
        item.iconPath = new vscode.ThemeIcon(call.first.direction === 'inbound' ? 'call-incoming' : 'call-outgoing');
        item.tooltip = `${call.sessions.length} session(s)\nCall ${call.uuid}${call.appId ? `\nApp ${call.appId}` : ''}`;
        item.contextValue = 'call';
        return item;
      }
      case 'session': {
        const s = node.session;
        const item = new vscode.TreeItem(s.channelName || s.uuid, vscode.TreeItemCollapsibleState.None);
        item.id = `session:${serverId}:${s.uuid}`;
        item.description = `${s.direction} · ${s.callState}${s.hangupCause ? ` · ${s.hangupCause}` : ''}`;
        item.iconPath = new vscode.ThemeIcon(s.direction === 'inbound' ? 'arrow-left' : 'arrow-right');
        item.tooltip = sessionTooltip(s);
        item.contextValue = s.answered ? 'session answered' : 'session';
        return item;
      }
      case 'app': {
        const app = node.app;
        const item = new vscode.TreeItem(app.name, vscode.TreeItemCollapsibleState.None);
        item.id = `app:${serverId}:${app.id}`;
        const runs = [...app.runs.values()].reduce((a, b) => a + b, 0);
        item.description = `${app.id} · ${app.calls.size} calls · ${runs} callbacks${app.errors ? ` · ${app.errors} errors` : ''}`;
        item.iconPath = new vscode.ThemeIcon(app.lastError ? 'warning' : 'symbol-event', app.lastError ? new vscode.ThemeColor('list.warningForeground') : undefined);
        const tooltip = new vscode.MarkdownString();
        tooltip.appendText(`${app.name} (${app.id})\nLoaded ${new Date(app.loadedAt).toLocaleTimeString()}\nCallbacks: ${app.callbacks.join(', ')}`);
        if (app.lastError) tooltip.appendText(`\nLast error (${app.lastError.eventName}): ${app.lastError.error.message}`);
        item.tooltip = tooltip;
        item.contextValue = 'app';
        return item;
      }
      case 'hostApp': {
        const app = node.app;
        const item = new vscode.TreeItem(app.name, vscode.TreeItemCollapsibleState.None);
        item.id = `hostApp:${serverId}:${app.id}`;
        item.description = hostAppDescription(app);
        item.iconPath = new vscode.ThemeIcon(app.lastError ? 'warning' : 'symbol-event', app.lastError ? new vscode.ThemeColor('list.warningForeground') : undefined);
        const tooltip = new vscode.MarkdownString();
        tooltip.appendText(`${app.name} (${app.id}) in the app host\n${app.entry}\nVersion ${app.version}, loaded ${new Date(app.loadedAt).toLocaleString()}\nCallbacks: ${app.callbacks.join(', ')}`);
        if (app.lastError) tooltip.appendText(`\nLast error (${app.lastError.eventName}): ${app.lastError.message}`);
        item.tooltip = tooltip;
        item.contextValue = app.lastError ? 'hostApp error' : 'hostApp';
        item.command = { command: 'freeswitch.app.openSource', title: 'Open Source', arguments: [node] };
        return item;
      }
      case 'error': {
        const item = new vscode.TreeItem(node.message, vscode.TreeItemCollapsibleState.None);
        item.id = `error:${serverId}`;
        item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
        item.tooltip = `${node.message}\n\nClick to edit the server.`;
        item.contextValue = 'error';
        item.command = { command: 'freeswitch.server.edit', title: 'Edit Server…', arguments: [{ kind: 'server', server: node.server }] };
        return item;
      }
    }
  }
}
