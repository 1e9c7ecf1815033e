import * as vscode from 'vscode';
import type { EventListener, LogLine } from '../../core';
import type { LogTap } from '../console/logTap';
import type { ServerConnection } from '../servers/serverConnection';
import type { ServerManager } from '../servers/serverManager';
import { Disposable } from '../util/disposable';
import type { ConfWorkspace } from './confWorkspace';
import { markdown } from './languageFeatures';
import { toPosix } from './roots';
import { mapTrace, traceSteps, type MappedStep, type MappedTrace, type MarkKind, type TraceExtension, type TraceLogLine, type TraceStep } from './trace';
import { RecordedTraceLines, recordTraceLines, recordedTraceOf } from './traceRecord';
import { attr, childrenNamed, lineStarts, parseXml, positionOf, type XmlElement } from './xml';

/** A trace on screen: what the call was, and the lines of its routed legs. */
export interface TraceRecord {
  readonly server: ServerConnection;
  /** The call's (originated) uuid. */
  readonly uuid: string;
  readonly legs: ReadonlyArray<{ readonly uuid: string; readonly lines: readonly TraceLogLine[] }>;
  readonly errors: readonly string[];
  live: boolean;
  readonly at: Date;
  readonly note?: string;
}

/** An open Show Effective Dialplan document. */
export interface EffectiveDoc {
  readonly server: ServerConnection;
  readonly context: string;
}

/**
 * Dialplan lines of recent calls per server, so "Trace This Call" works on a call from the
 * Calls tree: filled by every Trace a Call, and by a log tap on each connected server when
 * `freeswitch.dialplan.recordTraces` is on.
 */
export class TraceStore extends Disposable {
  private readonly byServer = new Map<ServerConnection, RecordedTraceLines>();
  private readonly taps = new Map<ServerConnection, { tap: LogTap; client: unknown }>();
  private readonly watched = new WeakSet<ServerConnection>();

  constructor(private readonly manager: ServerManager) {
    super();
    this._register(manager.onDidChangeServers(() => this.sync()));
    this._register(vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('freeswitch.dialplan.recordTraces') && this.sync()));
    this._register({
      dispose: () => {
        for (const t of this.taps.values()) t.tap.dispose();
        this.taps.clear();
      },
    });
    this.sync();
  }

  get recording(): boolean {
    return vscode.workspace.getConfiguration('freeswitch').get<boolean>('dialplan.recordTraces', false);
  }

  /** Keeps one tap per connected server while recording is on; moves it to a new connection. */
  private sync(): void {
    for (const server of this.manager.servers) {
      if (!this.watched.has(server)) {
        this.watched.add(server);
        this._register(server.onDidChangeState(() => this.sync()));
      }
      const current = this.taps.get(server);
      const client = this.recording && server.isConnected ? server.client : undefined;
      if (current && current.client === client) continue;
      current?.tap.dispose();
      this.taps.delete(server);
      if (!client) continue;
      this.taps.set(server, { tap: recordTraceLines(client.connection, this.recordOf(server)).tap, client });
    }
  }

  private recordOf(server: ServerConnection): RecordedTraceLines {
    let record = this.byServer.get(server);
    if (!record) {
      record = new RecordedTraceLines();
      this.byServer.set(server, record);
    }
    return record;
  }

  /** Keeps the trace lines among `lines`. */
  add(server: ServerConnection, lines: readonly LogLine[] | readonly TraceLogLine[]): void {
    this.recordOf(server).add(lines);
  }

  /** The routed legs of the call `uuid` belongs to on `server`, from the lines recorded for them. */
  traceOf(server: ServerConnection, listener: EventListener, uuid: string): Array<{ uuid: string; lines: readonly TraceLogLine[] }> {
    const record = this.byServer.get(server);
    return record ? recordedTraceOf(listener, record, uuid) : [];
  }
}

type Node =
  | { kind: 'summary' }
  | { kind: 'note'; text: string; icon: string }
  | { kind: 'extension'; step: MappedStep; nodes: Node[]; status: MarkKind | 'missing' }
  | { kind: 'step'; step: MappedStep }
  | { kind: 'ran'; nodes: Node[] };

const ICON: Record<string, [string, string | undefined]> = {
  matched: ['pass-filled', 'testing.iconPassed'],
  tested: ['error', 'testing.iconFailed'],
  missing: ['question', 'disabledForeground'],
  pass: ['check', 'testing.iconPassed'],
  fail: ['close', 'testing.iconFailed'],
  action: ['debug-stackframe-dot', undefined],
  ran: ['play', 'testing.iconPassed'],
  error: ['error', 'errorForeground'],
  info: ['info', undefined],
};

/**
 * The trace on screen: the Dialplan Trace view (steps in order, each opening its line), the
 * marks in editors (gutter icons on extensions and conditions tested, actions numbered in the
 * order they were queued and whether they ran, extensions never reached dimmed) and their
 * hovers. Remapped whenever the configuration changes, so the marks follow edits.
 */
export class TraceController extends Disposable implements vscode.TreeDataProvider<Node> {
  private record: TraceRecord | undefined;
  private workspaceTrace: MappedTrace | undefined;
  private effectiveTrace: MappedTrace | undefined;
  private steps: TraceStep[] = [];
  private readonly _onDidChangeTreeData = this._register(new vscode.EventEmitter<Node | undefined>());
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private readonly types: Record<'pass' | 'fail' | 'ran' | 'queued' | 'dim' | 'skipped', vscode.TextEditorDecorationType>;
  readonly view: vscode.TreeView<Node>;

  constructor(
    extensionUri: vscode.Uri,
    private readonly workspace: ConfWorkspace,
    private readonly effectiveDocs: () => ReadonlyMap<string, EffectiveDoc>,
  ) {
    super();
    const icon = (name: string): { light: { gutterIconPath: vscode.Uri }; dark: { gutterIconPath: vscode.Uri } } => ({
      light: { gutterIconPath: vscode.Uri.joinPath(extensionUri, 'media', 'dialplan', `${name}-light.svg`) },
      dark: { gutterIconPath: vscode.Uri.joinPath(extensionUri, 'media', 'dialplan', `${name}-dark.svg`) },
    });
    const after = { color: new vscode.ThemeColor('editorCodeLens.foreground'), margin: '0 0 0 1.5em', fontStyle: 'italic' };
    this.types = {
      pass: this._register(vscode.window.createTextEditorDecorationType({ ...icon('pass'), gutterIconSize: '80%', overviewRulerColor: new vscode.ThemeColor('testing.iconPassed'), overviewRulerLane: vscode.OverviewRulerLane.Left })),
      fail: this._register(vscode.window.createTextEditorDecorationType({ ...icon('fail'), gutterIconSize: '80%', overviewRulerColor: new vscode.ThemeColor('testing.iconFailed'), overviewRulerLane: vscode.OverviewRulerLane.Left })),
      ran: this._register(
        vscode.window.createTextEditorDecorationType({
          ...icon('ran'),
          gutterIconSize: '80%',
          backgroundColor: new vscode.ThemeColor('editor.rangeHighlightBackground'),
          isWholeLine: true,
          after,
        }),
      ),
      queued: this._register(vscode.window.createTextEditorDecorationType({ ...icon('queued'), gutterIconSize: '80%', after })),
      dim: this._register(vscode.window.createTextEditorDecorationType({ opacity: '0.45' })),
      skipped: this._register(vscode.window.createTextEditorDecorationType({ opacity: '0.45', after })),
    };
    this.view = this._register(vscode.window.createTreeView('freeswitch.dialplanTrace', { treeDataProvider: this, showCollapseAll: true }));
    this._register(vscode.window.onDidChangeVisibleTextEditors(() => this.decorate()));
    this._register(workspace.onDidChange(() => this.remap()));
    this._register(vscode.workspace.onDidOpenTextDocument((d) => d.uri.scheme !== 'file' && this.remap()));
    this.setContext();
  }

  get current(): TraceRecord | undefined {
    return this.record;
  }

  show(record: TraceRecord): void {
    this.record = record;
    this.steps = record.legs.flatMap((l) => traceSteps(l.lines));
    this.signature = '';
    this.remap();
    this.setContext();
  }

  clear(): void {
    this.record = undefined;
    this.steps = [];
    this.workspaceTrace = undefined;
    this.effectiveTrace = undefined;
    this.roots = undefined;
    this._onDidChangeTreeData.fire(undefined);
    this.decorate();
    this.setContext();
  }

  setLive(live: boolean): void {
    if (!this.record) return;
    this.record.live = live;
    this.setContext();
    this.roots = undefined;
    this._onDidChangeTreeData.fire(undefined);
  }

  private setContext(): void {
    void vscode.commands.executeCommand('setContext', 'freeswitch.dialplan.hasTrace', this.record !== undefined);
    void vscode.commands.executeCommand('setContext', 'freeswitch.dialplan.traceLive', this.record?.live === true);
  }

  /** The extensions of a context in the workspace's trees (the first tree that has it). */
  private workspaceExtensions(context: string): TraceExtension[] {
    const roots = [...this.workspace.all].sort((a, b) => Number(!!b.model.entry) - Number(!!a.model.entry));
    for (const root of roots) {
      const info = root.model.contexts.get(context);
      if (info && info.extensions.length > 0) return info.extensions.map((e) => ({ key: e.file, element: e.element, name: e.name }));
    }
    return [];
  }

  /** The extensions of an open Show Effective Dialplan document of that server and context. */
  private effectiveExtensions(context: string): TraceExtension[] {
    for (const [uri, info] of this.effectiveDocs()) {
      if (info.context !== context || info.server !== this.record?.server) continue;
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
      if (!doc) continue;
      const parsed = parseXml(doc.getText());
      const ctx = parsed.elements.find((e) => e.name === 'context');
      if (ctx) return childrenNamed(ctx, 'extension').map((e) => ({ key: uri, element: e, name: attr(e, 'name') ?? '' }));
    }
    return [];
  }

  /** What the view shows of a mapping: a refresh that would show the same is skipped. */
  private signature = '';

  remap(): void {
    if (!this.record) return;
    const live = this.record.live;
    this.workspaceTrace = mapTrace(this.steps, (c) => this.workspaceExtensions(c), { live });
    this.effectiveTrace = mapTrace(this.steps, (c) => this.effectiveExtensions(c), { live });
    const mapped = this.primary();
    const signature = JSON.stringify([live, mapped?.steps.map((s) => [s.label, s.target?.key, s.target?.element.start]), mapped?.marks.map((m) => [m.kind, m.key, m.element.start])]);
    if (signature !== this.signature) {
      this.signature = signature;
      this.roots = undefined;
      this._onDidChangeTreeData.fire(undefined);
    }
    this.decorate();
  }

  /** The mapping the view uses: the workspace's, unless it lacks the context and a server document has it. */
  private primary(): MappedTrace | undefined {
    const w = this.workspaceTrace;
    const e = this.effectiveTrace;
    if (w && w.steps.some((s) => s.target)) return w;
    if (e && e.steps.some((s) => s.target)) return e;
    return w;
  }

  /** The editor key of a document: the POSIX path of a file, or the URI of a server document. */
  private static keyOf(doc: vscode.TextDocument): string {
    return doc.uri.scheme === 'file' ? toPosix(doc.uri.fsPath) : doc.uri.toString();
  }

  private decorate(): void {
    const marks = [...(this.workspaceTrace?.marks ?? []), ...(this.effectiveTrace?.marks ?? [])];
    for (const editor of vscode.window.visibleTextEditors) {
      const key = TraceController.keyOf(editor.document);
      const mine = this.record ? marks.filter((m) => m.key === key) : [];
      const buckets: Record<keyof TraceController['types'], vscode.DecorationOptions[]> = { pass: [], fail: [], ran: [], queued: [], dim: [], skipped: [] };
      const doc = editor.document;
      const line = (el: XmlElement): vscode.Range => {
        const p = doc.positionAt(el.start);
        return new vscode.Range(p, doc.lineAt(p.line).range.end);
      };
      for (const m of mine) {
        const hoverMessage = markdown(m.detail.map((text) => ({ text })));
        switch (m.kind) {
          case 'matched':
          case 'pass':
            buckets.pass.push({ range: line(m.element), hoverMessage });
            break;
          case 'tested':
          case 'fail':
            buckets.fail.push({ range: line(m.element), hoverMessage });
            break;
          case 'ran':
            buckets.ran.push({ range: line(m.element), hoverMessage, renderOptions: { after: { contentText: `#${m.order} ran` } } });
            break;
          case 'action':
          case 'notRun':
            buckets.queued.push({ range: line(m.element), hoverMessage, renderOptions: { after: { contentText: `#${m.order} ${m.kind === 'notRun' ? 'not run' : 'queued'}` } } });
            break;
          case 'unreached':
            buckets.dim.push({ range: new vscode.Range(doc.positionAt(m.element.start), doc.positionAt(m.element.end ?? m.element.openEnd)), hoverMessage });
            break;
          case 'skipped':
            buckets.skipped.push({
              range: new vscode.Range(doc.positionAt(m.element.start), doc.positionAt(m.element.end ?? m.element.openEnd)),
              hoverMessage,
              renderOptions: { after: { contentText: 'not tested by the server' } },
            });
            break;
        }
      }
      for (const [name, type] of Object.entries(this.types) as Array<[keyof TraceController['types'], vscode.TextEditorDecorationType]>) editor.setDecorations(type, buckets[name]);
    }
  }

  // ---------------------------------------------------------------- the view

  /** The view's rows, built once per mapping so rows keep their identity (reveal needs it). */
  private roots: Node[] | undefined;
  private readonly parents = new WeakMap<Node, Node>();
  /** Row ids, stable across refreshes of the same trace, so expansion and selection survive. */
  private readonly ids = new WeakMap<Node, string>();

  getChildren(node?: Node): Node[] {
    if (node?.kind === 'extension' || node?.kind === 'ran') return node.nodes;
    if (node) return [];
    this.roots ??= this.buildRoots();
    return this.roots;
  }

  getParent(node: Node): Node | undefined {
    return this.parents.get(node);
  }

  private buildRoots(): Node[] {
    const record = this.record;
    const mapped = this.primary();
    if (!record || !mapped) return [];
    const out: Node[] = [{ kind: 'summary' }];
    if (record.note) out.push({ kind: 'note', text: record.note, icon: 'warning' });
    let ext: Extract<Node, { kind: 'extension' }> | undefined;
    const ran: Extract<Node, { kind: 'ran' }> = { kind: 'ran', nodes: [] };
    const child = (parent: Extract<Node, { kind: 'extension' | 'ran' }>, step: MappedStep): void => {
      const n: Node = { kind: 'step', step };
      this.parents.set(n, parent);
      parent.nodes.push(n);
    };
    for (const s of mapped.steps) {
      if (s.step.kind === 'parsing') {
        const mark = s.target && mapped.marks.find((m) => m.element === s.target!.element && (m.kind === 'matched' || m.kind === 'tested'));
        ext = { kind: 'extension', step: s, nodes: [], status: mark ? mark.kind : s.target ? 'tested' : 'missing' };
        out.push(ext);
      } else if (s.step.kind === 'execute') child(ran, s);
      else if (s.step.kind === 'processing') {
        if (out.length > 1) out.push({ kind: 'step', step: s });
        ext = undefined;
      } else if (s.step.kind === 'error') out.push({ kind: 'step', step: s });
      else if (ext) child(ext, s);
      else out.push({ kind: 'step', step: s });
    }
    if (ran.nodes.length > 0) out.push(ran);
    for (const e of record.errors) if (!mapped.steps.some((s) => s.step.kind === 'error' && s.step.text === e)) out.push({ kind: 'note', text: e, icon: 'error' });
    if (mapped.missing.length > 0) {
      out.push({ kind: 'note', text: `Not in this XML: ${mapped.missing.join(', ')} (the server has them; run Show Effective Dialplan to see its copy)`, icon: 'info' });
    }
    const trace = `${record.uuid}@${record.at.getTime()}`;
    out.forEach((n, i) => {
      this.ids.set(n, `${trace}/${i}`);
      if (n.kind === 'extension' || n.kind === 'ran') n.nodes.forEach((c, j) => this.ids.set(c, `${trace}/${i}/${j}`));
    });
    return out;
  }

  /** Scrolls the view to the extension that matched (the last one, with continue). */
  async revealMatched(): Promise<void> {
    const rows = this.getChildren();
    const matched = [...rows].reverse().find((n) => n.kind === 'extension' && n.status === 'matched');
    if (!matched || matched.kind !== 'extension' || !this.view.visible) return;
    // Its last step first, so the steps under it are in view, then the extension itself.
    const last = matched.nodes[matched.nodes.length - 1];
    if (last) await this.view.reveal(last, { select: false, focus: false });
    await this.view.reveal(matched, { select: true, focus: false, expand: true });
  }

  getTreeItem(node: Node): vscode.TreeItem {
    const item = this.treeItem(node);
    item.id = this.ids.get(node);
    return item;
  }

  private treeItem(node: Node): vscode.TreeItem {
    const record = this.record!;
    const mapped = this.primary();
    switch (node.kind) {
      case 'summary': {
        const first = this.steps.find((s): s is Extract<TraceStep, { kind: 'processing' }> => s.kind === 'processing');
        const item = new vscode.TreeItem(first ? `${first.callerNumber || first.callerName || 'caller'} → ${first.destination} in ${first.context}` : 'Dialplan trace');
        item.description = `${mapped?.matched ? `matched ${mapped.matched}` : 'no extension matched'} · ${record.server.config.name}${record.live ? ' · call up' : ''}`;
        item.tooltip = markdown([{ text: `Call ${record.uuid} on ${record.server.label}, traced ${record.at.toLocaleTimeString()}.` }]);
        item.iconPath = new vscode.ThemeIcon(record.live ? 'debug-alt' : 'history');
        item.contextValue = record.live ? 'dialplanTrace live' : 'dialplanTrace';
        return item;
      }
      case 'note': {
        const item = new vscode.TreeItem(node.text);
        item.tooltip = node.text;
        item.iconPath = new vscode.ThemeIcon(node.icon);
        return item;
      }
      case 'extension': {
        const step = node.step.step as Extract<TraceStep, { kind: 'parsing' }>;
        const item = new vscode.TreeItem(step.extension, node.nodes.length > 0 ? (node.status === 'matched' ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed) : vscode.TreeItemCollapsibleState.None);
        item.description = node.status === 'missing' ? 'not in this XML' : node.status === 'matched' ? 'matched' : 'no match';
        if (step.continue !== 'false') item.description += ` · continue=${step.continue}`;
        this.decorateItem(item, node.status, node.step);
        return item;
      }
      case 'ran': {
        const item = new vscode.TreeItem(`Ran (${node.nodes.length})`, vscode.TreeItemCollapsibleState.Collapsed);
        item.iconPath = new vscode.ThemeIcon('run-all');
        item.tooltip = 'The applications the call ran, in order (EXECUTE lines, data expanded).';
        return item;
      }
      case 'step': {
        const item = new vscode.TreeItem(node.step.label);
        const m = node.step.target && mapped?.marks.find((x) => x.element === node.step.target!.element && (x.kind === 'ran' || x.kind === 'notRun' || x.kind === 'action'));
        if (node.step.kind === 'action' && m) item.description = m.kind === 'ran' ? 'ran' : m.kind === 'notRun' ? 'not run' : 'queued';
        this.decorateItem(item, node.step.kind === 'action' && m?.kind === 'ran' ? 'ran' : node.step.kind, node.step);
        return item;
      }
    }
  }

  private decorateItem(item: vscode.TreeItem, kind: string, step: MappedStep): void {
    const [icon, color] = ICON[kind] ?? ICON.info!;
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    item.tooltip = markdown([{ text: step.label }]);
    const target = step.target;
    if (!target) return;
    const uri = target.key.startsWith('/') ? vscode.Uri.file(target.key) : vscode.Uri.parse(target.key);
    const text = this.textOf(target.key);
    if (text === undefined) return;
    const starts = lineStarts(text);
    const a = positionOf(starts, target.element.start);
    const b = positionOf(starts, target.element.openEnd);
    item.command = { command: 'vscode.open', title: 'Open', arguments: [uri, { selection: new vscode.Range(a.line, a.character, b.line, b.character) }] };
  }

  private textOf(key: string): string | undefined {
    const open = vscode.workspace.textDocuments.find((d) => TraceController.keyOf(d) === key);
    if (open) return open.getText();
    return this.workspace.all.find((r) => r.contains(key))?.files.get(key);
  }

  /** Where the matched extension is, to open it after a trace. */
  matchedLocation(): { uri: vscode.Uri; line: number } | undefined {
    const mapped = this.primary();
    const mark = mapped?.marks.find((m) => m.kind === 'matched');
    if (!mark) return undefined;
    const text = this.textOf(mark.key);
    if (text === undefined) return undefined;
    return { uri: mark.key.startsWith('/') ? vscode.Uri.file(mark.key) : vscode.Uri.parse(mark.key), line: positionOf(lineStarts(text), mark.element.start).line };
  }
}
