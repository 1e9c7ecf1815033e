import * as vscode from 'vscode';
import type { AppManager } from '../apps/appManager';
import { hostAppDescription } from '../apps/appsPure';
import type { ServerManager } from '../servers/serverManager';
import { Disposable } from '../util/disposable';
import { callDescription, callLabel, callState, callTooltipLines, formatAge, neutralise, sessionDescription, sessionLabel } from './format';
import { groupContextValue, groupCounts, groupDescription, memberLabel, membersOf } from './groups';
import { serverIcon, serverStateText, sessionTooltip, textTooltip, TreeNodes, type ServersTreeRow } from './nodes';
import { RefreshPlanner, type RefreshPlan, type RowLook } from './refreshPlanner';

/**
 * Least time between two refreshes handed to VS Code. VS Code debounces onDidChangeTreeData by
 * 200 ms and restarts that wait on every event (Event.debounce in ExtHostTreeView), so events less
 * than 200 ms apart are never applied while they keep coming; 250 ms apart, each is applied at once.
 */
const MIN_REFRESH_INTERVAL_MS = 250;
/** How long the next refresh waits for VS Code to fetch the rows the last one refreshed. */
const MAX_FETCH_WAIT_MS = 500;
/** How often call ages (and stale hover tooltips) are checked while the view is visible. */
const CLOCK_CHECK_MS = 1_000;

/**
 * [Group →] Servers → Calls → Call → Sessions, and Servers → Apps. One node object per row (TreeNodes) with
 * a stable `id`; a RefreshPlanner decides from what VS Code was given which rows to refresh, and
 * refreshes go out at most every 250 ms, none while the view is hidden.
 */
export class ServersTreeProvider extends Disposable implements vscode.TreeDataProvider<ServersTreeRow> {
  private readonly _onDidChangeTreeData = this._register(new vscode.EventEmitter<ServersTreeRow | ServersTreeRow[] | undefined | void>());
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private view: vscode.TreeView<ServersTreeRow> | undefined;
  private readonly nodes = new TreeNodes();
  private readonly planner: RefreshPlanner<ServersTreeRow>;
  private timer: NodeJS.Timeout | undefined;
  private clock: NodeJS.Timeout | undefined;
  private lastRefresh = 0;
  /** The timer is holding a change back until VS Code fetched the last refresh's rows. */
  private waiting = false;
  /** Refreshes handed to VS Code, for tests and diagnostics. */
  refreshCount = 0;

  constructor(
    private readonly manager: ServerManager,
    private readonly apps?: AppManager,
  ) {
    super();
    this.planner = new RefreshPlanner<ServersTreeRow>({
      children: (parent) => this.nodes.children(parent, this.manager.servers, this.apps),
      look: (node, now) => this.render(node, now).look,
    });
    this._register(manager.onDidChangeServers(() => this.schedule()));
    if (apps) this._register(apps.onDidChange(() => this.schedule()));
    this._register(manager.onDidChangeCalls(() => this.schedule()));
    this._register({ dispose: () => this.stopTimers() });
  }

  /** Binds the TreeView: expand state for the planner, and no refreshes while it is hidden. */
  attach(view: vscode.TreeView<ServersTreeRow>): void {
    this.view = view;
    this._register(view.onDidExpandElement((e) => this.planner.noteExpanded(e.element, true)));
    this._register(
      view.onDidCollapseElement((e) => {
        this.planner.noteExpanded(e.element, false);
        // A collapsed call shows its age again.
        this.schedule();
      }),
    );
    this._register(
      view.onDidChangeVisibility((e) => {
        if (e.visible) this.schedule();
        else this.stopTimers();
      }),
    );
  }

  private get visible(): boolean {
    return this.view?.visible ?? true;
  }

  /** Something changed: plan and fire a refresh as soon as the pacing allows. */
  schedule(): void {
    if (!this.visible || this.timer) return;
    const now = Date.now();
    const wait = Math.max(0, this.lastRefresh + MIN_REFRESH_INTERVAL_MS - now);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  private flush(): void {
    if (!this.visible) return;
    const now = Date.now();
    // The last refresh is still being applied (VS Code has not fetched its rows yet): the next
    // one goes out when it has (getChildren calls schedule()) or after MAX_FETCH_WAIT_MS.
    if (this.planner.awaitingFetch(now, MAX_FETCH_WAIT_MS)) {
      this.waiting = true;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.waiting = false;
        this.flush();
      }, MAX_FETCH_WAIT_MS);
      return;
    }
    const plan = this.planner.plan(now);
    this.fire(plan, now);
    this.updateClock();
  }

  private fire(plan: RefreshPlan<ServersTreeRow>, now: number): void {
    if (plan.kind === 'none') return;
    this.lastRefresh = now;
    this.refreshCount++;
    this.planner.fired(plan, now);
    this._onDidChangeTreeData.fire(plan.kind === 'root' ? undefined : [...plan.rows]);
  }

  /** While a row shows an age, check once a second whether one changed (it changes once a minute). */
  private updateClock(): void {
    const needed = this.visible && this.planner.ticking;
    if (needed && !this.clock) this.clock = setInterval(() => this.schedule(), CLOCK_CHECK_MS);
    else if (!needed && this.clock) {
      clearInterval(this.clock);
      this.clock = undefined;
    }
  }

  private stopTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.waiting = false;
    if (this.clock) clearInterval(this.clock);
    this.clock = undefined;
  }

  getChildren(node?: ServersTreeRow): ServersTreeRow[] {
    const children = this.nodes.children(node, this.manager.servers, this.apps);
    const awaited = node !== undefined && this.planner.awaits(node);
    this.planner.noteChildren(node, children);
    // VS Code has fetched what the last refresh asked for: a change held back can go out now.
    if (awaited && this.waiting && !this.planner.awaitingFetch(Date.now(), MAX_FETCH_WAIT_MS)) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.waiting = false;
      this.schedule();
    }
    return children;
  }

  getParent(node: ServersTreeRow): ServersTreeRow | undefined {
    return this.nodes.parent(node);
  }

  getTreeItem(node: ServersTreeRow): vscode.TreeItem {
    const { item, look } = this.render(node, Date.now());
    this.planner.noteItem(node, look, item.collapsibleState === vscode.TreeItemCollapsibleState.Expanded);
    if (look.clock !== '' && !this.clock && this.visible) this.updateClock();
    return item;
  }

  /**
   * Tooltips of call and session rows are computed when hovered: a call's shows its exact
   * duration at that moment, and a thousand rows cost nothing until one is hovered.
   */
  resolveTreeItem(item: vscode.TreeItem, node: ServersTreeRow): vscode.TreeItem {
    const now = Date.now();
    if (node.kind === 'call') {
      item.tooltip = textTooltip(callTooltipLines(node.call, now));
      // Its duration goes stale: the row is refreshed once later, so the next hover computes it again.
      this.planner.noteResolved(node, now);
    } else if (node.kind === 'session') item.tooltip = sessionTooltip(node.session);
    return item;
  }

  /** The TreeItem of a row and what the planner compares: its content, and its clock part. */
  private render(node: ServersTreeRow, now: number): { item: vscode.TreeItem; look: RowLook } {
    if (node.kind === 'group') return this.renderGroup(node.name);
    const serverId = `${node.server.config.name}@${node.server.config.host}:${node.server.config.port}`;
    let clock = '';
    let tooltipKey = '';
    let item: vscode.TreeItem;
    switch (node.kind) {
      case 'server': {
        const s = node.server;
        // Always expandable: VS Code keeps an item's first collapsible state for its id, so one that
        // started as a leaf (disconnected) would stay collapsed once it has children.
        item = new vscode.TreeItem(neutralise(s.config.name), vscode.TreeItemCollapsibleState.Expanded);
        item.id = `server:${serverId}`;
        item.description = serverStateText(s);
        item.iconPath = serverIcon(s);
        item.tooltip = neutralise(`${s.config.name}: ${s.config.host}:${s.config.port}${s.config.user ? ` as ${s.config.user}` : ''}\n${serverStateText(s)}`);
        item.contextValue = `server ${s.state.kind}`;
        break;
      }
      case 'calls': {
        item = new vscode.TreeItem('Calls', vscode.TreeItemCollapsibleState.Expanded);
        item.id = `calls:${serverId}`;
        item.description = String(node.server.callCount);
        item.iconPath = new vscode.ThemeIcon('call-outgoing');
        item.contextValue = 'calls';
        break;
      }
      case 'apps': {
        const count = (node.server.listener?.loadedApps.size ?? 0) + (this.apps?.host(node.server)?.apps.length ?? 0);
        item = new vscode.TreeItem('Apps', vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `apps:${serverId}`;
        item.description = String(count);
        item.iconPath = new vscode.ThemeIcon('extensions');
        item.contextValue = 'apps';
        break;
      }
      case 'call': {
        const call = node.call;
        item = new vscode.TreeItem(callLabel(call), vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `call:${serverId}:${call.uuid}`;
        clock = formatAge(now - call.createdAt);
        item.description = callDescription(call, now);
        item.iconPath = new vscode.ThemeIcon(call.first.direction === 'inbound' ? 'call-incoming' : 'call-outgoing');
        item.contextValue = 'call';
        // The tooltip is resolved on hover; these are what it shows besides the duration.
        tooltipKey = [callState(call), call.appId ?? '', ...call.sessions.map((s) => `${s.uuid}=${s.channelName}:${s.answeredAt ?? ''}`)].join('\n');
        break;
      }
      case 'session': {
        const s = node.session;
        item = new vscode.TreeItem(sessionLabel(s), vscode.TreeItemCollapsibleState.None);
        item.id = `session:${serverId}:${s.uuid}`;
        item.description = sessionDescription(s);
        item.iconPath = new vscode.ThemeIcon(s.direction === 'inbound' ? 'arrow-left' : 'arrow-right');
        item.contextValue = s.answered ? 'session answered' : 'session';
        tooltipKey = [s.state, s.callerIdName, s.callerIdNumber, s.destination, s.get('Caller-Context') ?? '', s.get('Application') ?? s.get('variable_current_application') ?? ''].join('\n');
        break;
      }
      case 'app': {
        const app = node.app;
        item = new vscode.TreeItem(neutralise(app.name), vscode.TreeItemCollapsibleState.None);
        item.id = `app:${serverId}:${app.id}`;
        const runs = [...app.runs.values()].reduce((a, b) => a + b, 0);
        item.description = neutralise(`${app.id} · ${app.calls.size} calls · ${runs} callbacks${app.errors ? ` · ${app.errors} errors` : ''}`);
        item.iconPath = new vscode.ThemeIcon(app.lastError ? 'warning' : 'symbol-event', app.lastError ? new vscode.ThemeColor('list.warningForeground') : undefined);
        const lines = [`${app.name} (${app.id})`, `Loaded ${new Date(app.loadedAt).toLocaleTimeString()}`, `Callbacks: ${app.callbacks.join(', ')}`];
        if (app.lastError) lines.push(`Last error (${app.lastError.eventName}): ${app.lastError.error.message}`);
        item.tooltip = textTooltip(lines);
        item.contextValue = 'app';
        break;
      }
      case 'hostApp': {
        const app = node.app;
        item = new vscode.TreeItem(neutralise(app.name), vscode.TreeItemCollapsibleState.None);
        item.id = `hostApp:${serverId}:${app.id}`;
        item.description = neutralise(hostAppDescription(app));
        item.iconPath = new vscode.ThemeIcon(app.lastError ? 'warning' : 'symbol-event', app.lastError ? new vscode.ThemeColor('list.warningForeground') : undefined);
        const lines = [`${app.name} (${app.id}) in the app host`, app.entry, `Version ${app.version}, loaded ${new Date(app.loadedAt).toLocaleString()}`, `Callbacks: ${app.callbacks.join(', ')}`];
        if (app.lastError) lines.push(`Last error (${app.lastError.eventName}): ${app.lastError.message}`);
        item.tooltip = textTooltip(lines);
        item.contextValue = app.lastError ? 'hostApp error' : 'hostApp';
        item.command = { command: 'freeswitch.app.openSource', title: 'Open Source', arguments: [node] };
        break;
      }
      case 'error': {
        item = new vscode.TreeItem(neutralise(node.message), vscode.TreeItemCollapsibleState.None);
        item.id = `error:${serverId}`;
        item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
        item.tooltip = `${neutralise(node.message)}\n\nClick to edit the server.`;
        item.contextValue = 'error';
        item.command = { command: 'freeswitch.server.edit', title: 'Edit Server…', arguments: [this.nodes.server(node.server)] };
        break;
      }
    }
    return { item, look: rowLook(item, clock, tooltipKey) };
  }

  /**
   * A group row counts its members' connections and calls, so a call on any member changes its
   * look and the planner refreshes it (and with it, its members' subtrees: VS Code refreshes a
   * row's whole subtree, so no member row needs a refresh of its own).
   */
  private renderGroup(name: string): { item: vscode.TreeItem; look: RowLook } {
    const members = membersOf(this.manager.servers, name);
    const counts = groupCounts(members);
    // Expanded by default, like a server row, and always expandable (its members come and go).
    const item = new vscode.TreeItem(neutralise(name), vscode.TreeItemCollapsibleState.Expanded);
    item.id = `group:${name}`;
    item.description = groupDescription(counts);
    item.iconPath = new vscode.ThemeIcon('server-environment');
    item.tooltip = textTooltip([`Server group ${name}: ${groupDescription(counts)}`, ...members.map((m) => `${memberLabel(m)}: ${serverStateText(m)}`)]);
    item.contextValue = groupContextValue(counts);
    return { item, look: rowLook(item, '', '') };
  }
}

/** What the planner compares of a row: everything drawn (and in its tooltip), and its clock part. */
function rowLook(item: vscode.TreeItem, clock: string, tooltipKey: string): RowLook {
  const description = typeof item.description === 'string' ? item.description : '';
  const content = [
    typeof item.label === 'string' ? item.label : (item.label?.label ?? ''),
    clock === '' ? description : description.slice(0, description.length - clock.length),
    // ThemeIcon and ThemeColor are plain data (id, color id).
    JSON.stringify(item.iconPath ?? null),
    item.contextValue ?? '',
    item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : (item.tooltip ?? ''),
    tooltipKey,
  ].join('\u0000');
  return { content, clock };
}
