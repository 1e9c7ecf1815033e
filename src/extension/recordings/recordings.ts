/**
 * Recordings in VS Code: Record (a server's event connection to a `.fsrec.jsonl`, with the commands
 * the server's apps send from the app host and their replies, bounded by the
 * `freeswitch.recording.*` limits, shown in the status bar while it runs), and Open Recording (the
 * file in the event stream view, offline, with a time slider; timelines open from it too).
 */
import { basename, isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import { EslRecorder, loadRecording, type Disposable as CoreDisposable, type EslEvent, type Recording } from '../../core';
import type { AppManager, ServerAppHost } from '../apps/appManager';
import type { EventStreamNotification, RecordingPosition } from '../../shared/protocol/eventStream';
import { webviewHtml } from '../../shared/webviewHtml';
import { randomBytes } from 'node:crypto';
import { SECTION, readSettings } from '../config';
import { pickServer } from '../commands/pickers';
import type { ServerConnection } from '../servers/serverConnection';
import type { Services } from '../services';
import type { TreeNode } from '../tree/nodes';
import { Disposable } from '../util/disposable';
import { EventStreamModel } from '../webviews/eventStreamModel';
import type { WebviewHub } from '../webviews/panels';

function limits(): { maxBytes: number; maxMs: number } {
  const c = vscode.workspace.getConfiguration(SECTION);
  const mb = c.get<number>('recording.maxMegabytes', 100);
  const minutes = c.get<number>('recording.maxMinutes', 60);
  return { maxBytes: Math.max(1, Number.isFinite(mb) ? mb : 100) * 1024 * 1024, maxMs: Math.max(0.1, Number.isFinite(minutes) ? minutes : 60) * 60_000 };
}

function size(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(0)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Running recordings (one per server) and the status bar item that shows them. */
export class Recordings extends Disposable {
  private readonly running = new Map<ServerConnection, EslRecorder>();
  private readonly item: vscode.StatusBarItem;
  private readonly ticker: NodeJS.Timeout;

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly apps: AppManager,
  ) {
    super();
    this.item = this._register(vscode.window.createStatusBarItem('freeswitch.recording', vscode.StatusBarAlignment.Left, 90));
    this.item.name = 'FreeSWITCH Recording';
    this.item.command = 'freeswitch.events.stopRecording';
    this.ticker = setInterval(() => this.render(), 1000);
    this._register({ dispose: () => clearInterval(this.ticker) });
    this._register({ dispose: () => this.running.forEach((r) => void r.stop('stopped')) });
  }

  /** Opens a finished recording (set once the services exist). */
  opener: ((uri: vscode.Uri) => void) | undefined;

  isRecording(server: ServerConnection): boolean {
    return this.running.has(server);
  }

  get servers(): ServerConnection[] {
    return [...this.running.keys()];
  }

  /**
   * Starts recording the server's event connection to `path`, with the commands its apps send. The
   * apps run in the server's app host, on connections of their own: the host sends their commands
   * and replies here (not its events: this connection has those), now and for a host started later.
   */
  async start(server: ServerConnection, path: string): Promise<EslRecorder> {
    const listener = server.listener;
    if (!listener || !server.isConnected) throw new Error(`${server.config.name} is not connected.`);
    if (this.running.has(server)) throw new Error(`${server.config.name} is already being recorded.`);
    const recorder = await EslRecorder.start(listener.connection, { path, ...limits() });
    this.running.set(server, recorder);
    const tapped = new Map<ServerAppHost, Promise<CoreDisposable | undefined>>();
    const tapApps = (): void => {
      const host = this.apps.host(server);
      if (!host || tapped.has(host) || !recorder.isRecording) return;
      const subscription = host.supervisor.recordCommands((frame) => recorder.addCommandFrame(frame, 'apps'), () => recorder.forgetCommands('apps')).catch((err: unknown) => {
        this.log.warn(`recording of ${server.config.name}: the app host's commands are not recorded: ${err instanceof Error ? err.message : String(err)}`);
        return undefined;
      });
      tapped.set(host, subscription);
    };
    const hostsChanged = this.apps.onDidChange((changed) => {
      if (changed === undefined || changed === server) tapApps();
    });
    tapApps();
    recorder.onDidStop((s) => {
      hostsChanged.dispose();
      for (const subscription of tapped.values()) void subscription.then((d) => d?.dispose());
      this.running.delete(server);
      this.render();
      this.log.info(`recording of ${server.config.name} stopped (${s.stopReason}): ${s.events} events, ${size(s.bytes)} in ${path}`);
      const open = 'Open Recording';
      void vscode.window.showInformationMessage(`Recording of ${server.config.name} stopped (${s.stopReason}): ${s.events} events, ${size(s.bytes)}.`, open).then((picked) => {
        if (picked === open) this.opener?.(vscode.Uri.file(path));
      });
    });
    this.log.info(`recording ${server.config.name} to ${path}`);
    this.render();
    return recorder;
  }

  async stop(server: ServerConnection): Promise<void> {
    const recorder = this.running.get(server);
    if (!recorder) return;
    // Every command the app host recorded before is in the file.
    await this.apps.host(server)?.supervisor.flushRecorded();
    await recorder.stop('stopped');
  }

  private render(): void {
    void vscode.commands.executeCommand('setContext', 'freeswitch.recording', this.running.size > 0);
    if (this.running.size === 0) {
      this.item.hide();
      return;
    }
    const parts = [...this.running].map(([server, r]) => {
      const s = r.status;
      return `${server.config.name} · ${s.events.toLocaleString('en-US')} events · ${size(s.bytes)} · ${Math.floor(s.elapsedMs / 1000)} s`;
    });
    this.item.text = `$(record) Recording ${parts.join('; ')}`;
    this.item.tooltip = `Recording to ${[...this.running.values()].map((r) => r.status.path).join(', ')}. Click to stop.`;
    this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    this.item.show();
  }
}

/** A recording opened in the event stream view, offline, scrubbed with a time slider. */
export class RecordingPanel extends Disposable {
  readonly panel: vscode.WebviewPanel;
  readonly model: EventStreamModel;
  private atMs: number;
  private readonly label: string;

  constructor(
    private readonly hub: WebviewHub,
    readonly file: vscode.Uri,
    readonly recording: Recording,
  ) {
    super();
    this.label = basename(file.fsPath);
    this.atMs = recording.durationMs;
    const extensionUri = hub.services.context.extensionUri;
    this.panel = this._register(
      vscode.window.createWebviewPanel('freeswitch.recording', `Recording: ${this.label}`, vscode.ViewColumn.Active, {
        enableScripts: true,
        localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')],
      }),
    );
    this.model = new EventStreamModel({
      bufferSize: readSettings().eventStreamBufferSize,
      server: this.label,
      post: (m: EventStreamNotification) => void this.panel.webview.postMessage(m),
      recording: () => this.position(),
      actions: {
        copy: (json) => {
          void vscode.env.clipboard.writeText(json);
          vscode.window.setStatusBarMessage('FreeSWITCH: event copied as JSON', 3000);
        },
        exportJsonl: (lines) => void this.export(lines),
        openTimeline: (uuid) => this.openTimeline(uuid),
        scrub: (atMs) => this.seek(atMs),
      },
    });
    this.model.setConnected(false);
    this._register({ dispose: () => this.model.dispose() });
    this._register(this.panel.webview.onDidReceiveMessage((m: unknown) => this.model.handle(m)));
    this._register(this.panel.onDidChangeViewState((e) => this.model.setVisible(e.webviewPanel.visible)));
    this._register(this.panel.onDidDispose(() => this.dispose()));
    const uri = (f: string): string => this.panel.webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', f)).toString();
    this.panel.webview.html = webviewHtml({
      cspSource: this.panel.webview.cspSource,
      nonce: randomBytes(16).toString('base64'),
      title: `Recording: ${this.label}`,
      scriptUri: uri('eventStream.js'),
      styleUris: [uri('codicon.css'), uri('eventStream.css')],
    });
    this.seek(this.atMs);
  }

  private position(): RecordingPosition {
    const r = this.recording;
    const p: RecordingPosition = { label: this.label, durationMs: Math.ceil(r.durationMs), atMs: Math.round(this.atMs), startedAt: r.header.startedAt, events: r.events.length };
    if (r.endReason !== undefined) p.endReason = r.endReason;
    if (r.problem) p.problem = r.problem.message;
    return p;
  }

  /** Index of the first event after `atMs`. */
  private indexAt(atMs: number): number {
    const events = this.recording.events;
    let lo = 0;
    let hi = events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (events[mid]!.t <= atMs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Shows the events received up to `atMs` (the newest `bufferSize` of them). */
  seek(atMs: number): void {
    this.atMs = Math.max(0, Math.min(atMs, this.recording.durationMs));
    const end = this.indexAt(this.atMs);
    const start = Math.max(0, end - this.model.buffer.capacity);
    const events = this.recording.events;
    this.model.replaceEvents(
      (function* () {
        for (let i = start; i < end; i++) yield events[i]!.event;
      })(),
    );
  }

  private eventsUpToNow(): EslEvent[] {
    return this.recording.events.slice(0, this.indexAt(this.atMs)).map((e) => e.event);
  }

  private openTimeline(uuid: string): void {
    try {
      this.hub.openOfflineTimeline(`${this.label} (recording)`, this.eventsUpToNow(), uuid);
    } catch (err) {
      void vscode.window.showErrorMessage(err instanceof Error ? err.message : String(err));
    }
  }

  private async export(lines: string[]): Promise<void> {
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(this.file.fsPath.replace(/\.fsrec\.jsonl$/, '.events.jsonl')),
      filters: { 'JSON Lines': ['jsonl'] },
      title: 'Export visible events',
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, Buffer.from(lines.length ? `${lines.join('\n')}\n` : '', 'utf8'));
    void this.panel.webview.postMessage({ type: 'exported', path: target.fsPath, count: lines.length } satisfies EventStreamNotification);
  }
}

// ---- command handlers (registered in commands/index.ts) ----

/** The server of the event stream panel in front, if one is. */
function activeStreamServer(services: Services): ServerConnection | undefined {
  return services.manager.servers.find((s) => services.webviews.streamFor(s)?.panel.active);
}

/** FreeSWITCH: Record Events (the event stream's title bar, the palette). */
export async function recordEvents(services: Services, node?: TreeNode): Promise<void> {
  const server = node ? await pickServer(services, node, { connected: true }) : (activeStreamServer(services) ?? (await pickServer(services, undefined, { connected: true })));
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const name = `${server.config.name.replace(/[^\w.-]+/g, '_')}-${stamp}.fsrec.jsonl`;
  // With a recordings folder set, Record starts at once; otherwise it asks where.
  const configured = vscode.workspace.getConfiguration(SECTION).get<string>('recording.folder', '').trim();
  if (configured) {
    const dir = isAbsolute(configured) || !folder ? vscode.Uri.file(configured) : vscode.Uri.joinPath(folder, configured);
    await vscode.workspace.fs.createDirectory(dir);
    await services.recordings.start(server, vscode.Uri.joinPath(dir, name).fsPath);
    return;
  }
  const target = await vscode.window.showSaveDialog({
    defaultUri: folder ? vscode.Uri.joinPath(folder, name) : vscode.Uri.file(join(process.cwd(), name)),
    filters: { 'FreeSWITCH recording': ['jsonl'] },
    title: `Record what ${server.config.name}'s event connection receives and its apps send`,
    saveLabel: 'Record',
  });
  if (!target) return;
  const path = target.fsPath.endsWith('.fsrec.jsonl') ? target.fsPath : `${target.fsPath.replace(/\.jsonl$/, '')}.fsrec.jsonl`;
  await services.recordings.start(server, path);
}

/** FreeSWITCH: Stop Recording (status bar, title bar, palette). */
export async function stopRecording(services: Services): Promise<void> {
  const servers = services.recordings.servers;
  if (servers.length === 0) return;
  const server =
    servers.length === 1
      ? servers[0]!
      : (await vscode.window.showQuickPick(servers.map((s) => ({ label: s.config.name, server: s })), { placeHolder: 'Stop which recording?' }))?.server;
  if (server) await services.recordings.stop(server);
}

/** FreeSWITCH: Open Recording… (palette; the title bar of an open `.fsrec.jsonl`). No server needed. */
export async function openRecording(services: Services): Promise<void> {
  const active = vscode.window.activeTextEditor?.document.uri;
  let uri = active && /\.fsrec\.jsonl$/.test(active.fsPath) ? active : undefined;
  if (!uri) {
    const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'FreeSWITCH recording': ['jsonl'] }, title: 'Open a FreeSWITCH recording (.fsrec.jsonl)' });
    uri = picked?.[0];
  }
  if (uri) await openRecordingFile(services, uri);
}

/** Opens `uri` in the event stream view; says how long it took and where a damaged file stopped. */
export async function openRecordingFile(services: Services, uri: vscode.Uri): Promise<RecordingPanel> {
  const started = performance.now();
  const recording = await loadRecording(uri.fsPath);
  const panel = new RecordingPanel(services.webviews, uri, recording);
  const ms = performance.now() - started;
  services.log.info(`opened recording ${uri.fsPath}: ${recording.events.length} events, ${recording.commands.length} commands in ${ms.toFixed(0)} ms`);
  if (recording.problem) void vscode.window.showWarningMessage(`${basename(uri.fsPath)}: ${recording.problem.message}. The valid part is open.`);
  return panel;
}
