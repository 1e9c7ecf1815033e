/**
 * The webview panels (event stream per server, timeline per call) and the commands that open them.
 * The vscode-free logic is in eventStreamModel.ts and timelineModel.ts; this is the glue.
 */
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import * as vscode from 'vscode';
import { EventListener, type Call, type EslEvent } from '../../core';
import type { EventStreamNotification } from '../../shared/protocol/eventStream';
import { parseTimelineCommand, type TimelineNotification } from '../../shared/protocol/timeline';
import { webviewHtml } from '../../shared/webviewHtml';
import { readSettings } from '../config';
import { pickCall, pickServer } from '../commands/pickers';
import type { ServerConnection } from '../servers/serverConnection';
import type { BaseServices, Services } from '../services';
import { callLabel, type TreeNode } from '../tree/nodes';
import { Disposable } from '../util/disposable';
import { EventStreamModel, StreamSubscriptions } from './eventStreamModel';
import { TimelineModel } from './timelineModel';

function html(webview: vscode.Webview, extensionUri: vscode.Uri, bundle: string, title: string): string {
  const uri = (f: string): string => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', f)).toString();
  return webviewHtml({
    cspSource: webview.cspSource,
    nonce: randomBytes(16).toString('base64'),
    title,
    scriptUri: uri(`${bundle}.js`),
    styleUris: [uri('codicon.css'), uri(`${bundle}.css`)],
  });
}

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')] };
}

/** The event stream of one server in a webview panel. */
export class EventStreamPanel extends Disposable {
  readonly panel: vscode.WebviewPanel;
  readonly model: EventStreamModel;
  private attached: EventListener | undefined;
  private listenerSubs: vscode.Disposable[] = [];
  private subscriptions: StreamSubscriptions | undefined;
  /** When this stream started recording (µs), for timelines opened later. */
  readonly startedUs = Date.now() * 1000;

  constructor(
    private readonly hub: WebviewHub,
    readonly server: ServerConnection,
  ) {
    super();
    const extensionUri = hub.services.context.extensionUri;
    this.panel = this._register(
      vscode.window.createWebviewPanel('freeswitch.eventStream', `Events: ${server.config.name}`, vscode.ViewColumn.Active, webviewOptions(extensionUri)),
    );
    this.model = new EventStreamModel({
      bufferSize: readSettings().eventStreamBufferSize,
      server: server.label,
      post: (m: EventStreamNotification) => void this.panel.webview.postMessage(m),
      onNamesChanged: (names) => void this.subscriptions?.apply(names).catch((err: unknown) => hub.services.log.warn(`event stream subscribe: ${String(err)}`)),
      actions: {
        copy: (json) => {
          void vscode.env.clipboard.writeText(json);
          vscode.window.setStatusBarMessage('FreeSWITCH: event copied as JSON', 3000);
        },
        exportJsonl: (lines) => void this.export(lines),
        openTimeline: (uuid) => void hub.openTimelineForUuid(server, uuid).catch((err: unknown) => void vscode.window.showErrorMessage(String(err instanceof Error ? err.message : err))),
      },
    });
    this._register({ dispose: () => this.model.dispose() });
    this._register(this.panel.webview.onDidReceiveMessage((m: unknown) => this.model.handle(m)));
    this._register(this.panel.onDidChangeViewState((e) => this.model.setVisible(e.webviewPanel.visible)));
    this._register(this.panel.onDidDispose(() => this.dispose()));
    this._register(server.onDidChangeState(() => this.attach()));
    this.panel.webview.html = html(this.panel.webview, extensionUri, 'eventStream', `Events: ${server.config.name}`);
    this.attach();
  }

  /** Follows the server's current listener (a reconnect from the tree makes a new one). */
  private attach(): void {
    this.model.setConnected(this.server.isConnected);
    const listener = this.server.listener;
    if (listener === this.attached) return;
    for (const d of this.listenerSubs) d.dispose();
    this.listenerSubs = [];
    void this.subscriptions?.release().catch(() => undefined);
    this.attached = listener;
    this.subscriptions = undefined;
    if (!listener) return;
    this.listenerSubs.push(toVscode(listener.onDidReceiveEvent((e) => this.model.ingest(e))));
    this.subscriptions = new StreamSubscriptions(listener.connection);
    void this.subscriptions.apply(this.model.currentFilter.names).catch((err: unknown) => this.hub.services.log.warn(`event stream subscribe: ${String(err)}`));
  }

  private async export(lines: string[]): Promise<void> {
    const name = `events-${this.server.config.name.replace(/[^\w.-]+/g, '_')}-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`;
    const base = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(homedir());
    const target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.joinPath(base, name), filters: { 'JSON Lines': ['jsonl'] }, title: 'Export visible events' });
    if (!target) {
      void this.panel.webview.postMessage({ type: 'exported', count: 0 } satisfies EventStreamNotification);
      return;
    }
    try {
      await vscode.workspace.fs.writeFile(target, Buffer.from(lines.length ? `${lines.join('\n')}\n` : '', 'utf8'));
      void this.panel.webview.postMessage({ type: 'exported', path: target.fsPath, count: lines.length } satisfies EventStreamNotification);
      void vscode.window.showInformationMessage(`Exported ${lines.length} events to ${target.fsPath}`);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      void this.panel.webview.postMessage({ type: 'exported', count: 0, error } satisfies EventStreamNotification);
      void vscode.window.showErrorMessage(`Export failed: ${error}`);
    }
  }

  /** Recorded events, oldest first (for a timeline opened now). */
  *recorded(): IterableIterator<EslEvent> {
    for (const s of this.model.buffer) yield s.event;
  }

  override dispose(): void {
    for (const d of this.listenerSubs) d.dispose();
    this.listenerSubs = [];
    void this.subscriptions?.release().catch(() => undefined);
    this.hub.streamClosed(this);
    super.dispose();
  }
}

/** The timeline of one call in a webview panel; re-posts a snapshot at most 5 times a second. */
export class TimelinePanel extends Disposable {
  readonly panel: vscode.WebviewPanel;
  readonly model: TimelineModel;
  private ready = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private listenerSub: vscode.Disposable | undefined;

  constructor(
    private readonly hub: WebviewHub,
    /** The live server, or undefined for a timeline of events kept elsewhere (a test failure, a recording). */
    readonly server: ServerConnection | undefined,
    readonly call: Call,
    offline?: { source: string; events: readonly EslEvent[] },
  ) {
    super();
    const extensionUri = hub.services.context.extensionUri;
    const title = `Timeline: ${callLabel(call)}`;
    this.panel = this._register(vscode.window.createWebviewPanel('freeswitch.callTimeline', title, vscode.ViewColumn.Active, webviewOptions(extensionUri)));
    this.model = new TimelineModel(call, offline?.source ?? server?.label ?? '');
    const stream = server && hub.streamFor(server);
    if (offline) this.model.replay(offline.events, offline.events[0]?.timestampUs ?? 0);
    else this.model.replay(stream ? stream.recorded() : [], stream ? stream.startedUs : Date.now() * 1000);
    this._register(this.panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)));
    this._register(this.panel.onDidChangeViewState((e) => e.webviewPanel.visible && this.post()));
    this._register(this.panel.onDidDispose(() => this.dispose()));
    const listener = server?.listener;
    if (listener && !offline) this.listenerSub = toVscode(listener.onDidReceiveEvent((e) => this.ingest(e)));
    if (server && !offline) this._register(server.onDidChangeCalls(() => this.schedule()));
    this.panel.webview.html = html(this.panel.webview, extensionUri, 'timeline', title);
  }

  private ingest(event: EslEvent): void {
    if (this.model.ingest(event)) this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.post();
    }, 200);
  }

  private post(): void {
    if (!this.ready || !this.panel.visible || this.isDisposed) return;
    void this.panel.webview.postMessage({ type: 'snapshot', state: this.model.state() } satisfies TimelineNotification);
  }

  private onMessage(raw: unknown): void {
    const m = parseTimelineCommand(raw);
    if (!m) return;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.post();
        break;
      case 'copyEvent': {
        const e = this.model.event(m.seq);
        if (e) {
          const obj: Record<string, string> = {};
          for (const [k, v] of e.headers) obj[k] = v;
          if (e.body) obj['_body'] = e.body;
          void vscode.env.clipboard.writeText(JSON.stringify(obj, null, 2));
          vscode.window.setStatusBarMessage('FreeSWITCH: event copied as JSON', 3000);
        }
        break;
      }
      case 'showInStream':
        if (this.server) void this.hub.openStream(this.server, { uuids: [m.uuid, ...this.call.sessions.map((s) => s.uuid)], label: callLabel(this.call) });
        break;
    }
  }

  override dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.listenerSub?.dispose();
    this.hub.timelineClosed(this);
    super.dispose();
  }
}

/** Owns the open panels: one stream per server, one timeline per call. */
export class WebviewHub extends Disposable {
  private readonly streams = new Map<ServerConnection, EventStreamPanel>();
  private readonly timelines = new Set<TimelinePanel>();

  constructor(readonly services: BaseServices) {
    super();
  }

  streamFor(server: ServerConnection): EventStreamPanel | undefined {
    return this.streams.get(server);
  }

  /** Opens (or reveals) the server's stream; with `uuids`, filtered to that call. */
  openStream(server: ServerConnection, call?: { uuids: string[]; label: string }): EventStreamPanel {
    let stream = this.streams.get(server);
    if (!stream) {
      stream = new EventStreamPanel(this, server);
      this.streams.set(server, stream);
    } else stream.panel.reveal();
    if (call) stream.model.setFilter({ ...stream.model.currentFilter, uuids: call.uuids }, call.label);
    return stream;
  }

  streamClosed(stream: EventStreamPanel): void {
    if (this.streams.get(stream.server) === stream) this.streams.delete(stream.server);
  }

  openTimeline(server: ServerConnection, call: Call): TimelinePanel {
    for (const t of this.timelines) {
      if (t.server === server && t.call === call) {
        t.panel.reveal();
        return t;
      }
    }
    const t = new TimelinePanel(this, server, call);
    this.timelines.add(t);
    return t;
  }

  async openTimelineForUuid(server: ServerConnection, uuid: string): Promise<void> {
    const call = findCall(server.listener, uuid);
    if (!call) throw new Error(`No call with session ${uuid} is known on ${server.config.name} (it may have ended long ago).`);
    this.openTimeline(server, call);
  }

  /**
   * A timeline drawn from events kept elsewhere (a failed call test's call, a recording), with no
   * server: the events are folded into sessions and calls by a listener that never connects.
   */
  openOfflineTimeline(source: string, events: readonly EslEvent[], uuid?: string): TimelinePanel {
    const listener = new EventListener({ host: 'offline', reconnect: false });
    try {
      for (const e of events) listener.ingest(e);
      const first = uuid ?? events.find((e) => e.uuid)?.uuid;
      const call = first ? findCall(listener, first) : undefined;
      if (!call) throw new Error(`No call${first ? ` with session ${first}` : ''} in those ${events.length} events.`);
      const t = new TimelinePanel(this, undefined, call, { source, events });
      this.timelines.add(t);
      return t;
    } finally {
      listener.dispose();
    }
  }

  timelineClosed(t: TimelinePanel): void {
    this.timelines.delete(t);
  }

  override dispose(): void {
    for (const s of [...this.streams.values()]) s.dispose();
    for (const t of [...this.timelines]) t.dispose();
    super.dispose();
  }
}

function findCall(listener: EventListener | undefined, uuid: string): Call | undefined {
  if (!listener) return undefined;
  const live = listener.sessions.get(uuid)?.call ?? listener.calls.get(uuid);
  if (live) return live;
  for (let i = listener.history.length - 1; i >= 0; i--) {
    const c = listener.history[i]!;
    if (c.uuid === uuid || c.sessions.some((s) => s.uuid === uuid)) return c;
  }
  return undefined;
}

function toVscode(d: { dispose(): void }): vscode.Disposable {
  return { dispose: () => d.dispose() };
}

// ---- command handlers (registered in commands/index.ts) ----

/** FreeSWITCH: Open Event Stream (palette, server context menu). */
export async function openEventStream(services: Services, node?: TreeNode): Promise<void> {
  const server = await pickServer(services, node, { connected: true });
  services.webviews.openStream(server);
}

/** Show Events for This Call (call and session context menus). */
export async function showEventsForCall(services: Services, node?: TreeNode): Promise<void> {
  const { server, call } = await pickCall(services, node);
  const uuids = [call.uuid, ...call.sessions.map((s) => s.uuid)];
  services.webviews.openStream(server, { uuids: [...new Set(uuids)], label: callLabel(call) });
}

/** Open Call Timeline (call and session context menus, and the stream). */
export async function openCallTimeline(services: Services, node?: TreeNode): Promise<void> {
  const { server, call } = await pickCall(services, node);
  services.webviews.openTimeline(server, call);
}
