import * as vscode from 'vscode';
import type { ReadonlyDocuments } from '../readonlyDocuments';
import type { ServerConnection } from '../servers/serverConnection';
import type { ServerManager } from '../servers/serverManager';
import { evalOnGroup } from '../tree/groups';
import { Disposable } from '../util/disposable';
import { ConfWorkspace } from './confWorkspace';
import { DialplanLanguageFeatures } from './languageFeatures';
import { tracePrefill } from './languageService';
import { parseReloadAnswer, preprocess, type ConfSnapshot, type PreprocessResult } from './preprocess';
import { groupReloadReport, groupReloadText, mapReloadLine, reloadProblemMessage, type GroupReloadReport, type MappedReloadLine } from './reloadReport';
import { ServerCatalogs } from './serverCatalog';
import { TraceController, TraceStore, type EffectiveDoc } from './traceController';
import { TraceRun, type TraceCallRequest } from './traceRun';

/** What a reloadxml did, for the caller (and tests). */
export type ReloadOutcome =
  | { ok: true; server: string }
  | { ok: false; server: string; message: string; mapped?: { uri: vscode.Uri; line: number }; unmapped?: string };

/** A reloadxml refusal at its source line, in Problems. */
function reloadDiagnostic(line: number, message: string): vscode.Diagnostic {
  const d = new vscode.Diagnostic(new vscode.Range(line, 0, line, Number.MAX_SAFE_INTEGER), message, vscode.DiagnosticSeverity.Error);
  d.source = 'FreeSWITCH reloadxml';
  return d;
}

/**
 * Everything of "Dialplan and configuration": the configuration trees of the workspace, the
 * language features, Reload XML (with FreeSWITCH's assembled-line errors mapped back to the file),
 * Show Effective Dialplan and Trace a Call. Built once in activate().
 */
export class DialplanFeatures extends Disposable {
  readonly workspace: ConfWorkspace;
  readonly catalogs: ServerCatalogs;
  readonly language: DialplanLanguageFeatures;
  readonly traces: TraceController;
  readonly store: TraceStore;
  /** Open effective-dialplan documents by URI. */
  readonly effective = new Map<string, EffectiveDoc>();
  private readonly reloadDiagnostics = this._register(vscode.languages.createDiagnosticCollection('freeswitch-reloadxml'));
  private running: TraceRun | undefined;

  constructor(
    extensionUri: vscode.Uri,
    manager: ServerManager,
    activeServer: () => ServerConnection | undefined,
    private readonly documents: ReadonlyDocuments,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.workspace = this._register(new ConfWorkspace(log));
    this.catalogs = this._register(new ServerCatalogs(manager, activeServer, log));
    this.language = this._register(new DialplanLanguageFeatures(this.workspace, this.catalogs, (uri) => this.effective.has(uri.toString())));
    this.store = this._register(new TraceStore(manager));
    this.traces = this._register(new TraceController(extensionUri, this.workspace, () => this.effective));
    this._register(vscode.workspace.onDidCloseTextDocument((d) => this.effective.delete(d.uri.toString())));
    this._register(vscode.workspace.onDidSaveTextDocument((d) => this.onSave(d)));
    this._register(vscode.window.onDidChangeActiveTextEditor((e) => this.updateEditorContext(e)));
    this._register(this.workspace.onDidChange(() => this.updateEditorContext(vscode.window.activeTextEditor)));
    this._register({ dispose: () => this.running?.cancel() });
    this.updateEditorContext(vscode.window.activeTextEditor);
  }

  /** Whether a document is FreeSWITCH configuration (a file of a tree, or a server's dialplan). */
  isConfDocument(doc: vscode.TextDocument): boolean {
    return this.effective.has(doc.uri.toString()) || (doc.languageId === 'xml' && this.workspace.rootFor(doc.uri) !== undefined);
  }

  private updateEditorContext(editor: vscode.TextEditor | undefined): void {
    void vscode.commands.executeCommand('setContext', 'freeswitch.dialplan.confEditor', editor ? this.isConfDocument(editor.document) : false);
    // The Dialplan Trace view shows in workspaces with a configuration tree (or once a trace exists).
    void vscode.commands.executeCommand('setContext', 'freeswitch.dialplan.hasConfiguration', this.workspace.all.length > 0);
  }

  private onSave(doc: vscode.TextDocument): void {
    if (doc.uri.scheme !== 'file' || !this.workspace.rootFor(doc.uri)) return;
    if (!vscode.workspace.getConfiguration('freeswitch').get<boolean>('dialplan.reloadOnSave', false)) return;
    const server = this.catalogs.server();
    if (!server) return;
    void this.reloadXml(server, doc.uri, { quietSuccess: true }).catch((err: unknown) => this.log.error(`reloadxml on save: ${err instanceof Error ? err.message : String(err)}`));
  }

  // ---------------------------------------------------------------- Reload XML

  /**
   * `reloadxml` on `server`. Its answer starts with `+OK` even when it fails (capture 19); a
   * failure's "near line N" counts lines of the assembled log/freeswitch.xml.fsxml, so the
   * workspace's tree is pre-processed the same way to find the file and line.
   */
  async reloadXml(server: ServerConnection, from: vscode.Uri | undefined, opts: { quietSuccess?: boolean } = {}): Promise<ReloadOutcome> {
    const client = server.client;
    if (!client) throw new Error(`${server.config.name} is not connected.`);
    const answer = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `reloadxml on ${server.config.name}` }, () => client.api('reloadxml'));
    const parsed = parseReloadAnswer(answer);
    const name = server.config.name;
    this.log.info(`reloadxml on ${name}: ${answer.trim()}`);
    if (parsed.ok) {
      this.reloadDiagnostics.clear();
      void this.catalogs.refresh(server);
      if (opts.quietSuccess) vscode.window.setStatusBarMessage(`$(check) ${name}: reloadxml +OK [Success]`, 4000);
      else void vscode.window.showInformationMessage(`${name}: reloadxml answered +OK [Success]: the new XML is in force.`);
      return { ok: true, server: name };
    }
    await this.workspace.ready();
    const where = this.reloadLineMapper(from)(parsed.line, parsed.detail);
    this.reloadDiagnostics.clear();
    const base = `FreeSWITCH refused the XML on ${name}: ${parsed.detail}. The previous XML stays in force.`;
    if ('file' in where) {
      const uri = vscode.Uri.file(where.file);
      this.reloadDiagnostics.set(uri, [reloadDiagnostic(where.line, reloadProblemMessage([name], parsed.detail, parsed.line === undefined ? [] : [parsed.line], where.confident))]);
      const rel = vscode.workspace.asRelativePath(uri);
      const open = 'Show Line';
      void vscode.window.showErrorMessage(`${base} It points at ${rel}:${where.line + 1}.`, open).then((choice) => {
        if (choice === open) void vscode.window.showTextDocument(uri, { selection: new vscode.Range(where.line, 0, where.line, 0) });
      });
      return { ok: false, server: name, message: parsed.message, mapped: { uri, line: where.line } };
    }
    void vscode.window.showErrorMessage(`${base} ${parsed.line !== undefined ? `Its line ${parsed.line} counts lines of the assembled log/freeswitch.xml.fsxml, not of your file, and ` : ''}${where.unmapped}`);
    return { ok: false, server: name, message: parsed.message, unmapped: where.unmapped };
  }

  /**
   * `reloadxml` on every connected member of a group at once (the core's evalAll): each server's
   * answer in a read-only document, and one Problem per distinct refusal, mapped as for one server
   * and naming every server that reported it.
   */
  async reloadXmlOnGroup(group: { readonly name: string; readonly members: readonly ServerConnection[] }, from: vscode.Uri | undefined): Promise<GroupReloadReport> {
    const results = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `reloadxml on group ${group.name}` }, () =>
      evalOnGroup(group.members, 'reloadxml', { timeoutMs: 60_000 }),
    );
    await this.workspace.ready();
    const report = groupReloadReport(
      group.name,
      results.map((r) => ({ server: r.member.config.name, answer: r.answer })),
      this.reloadLineMapper(from),
    );
    for (const s of report.servers) this.log.info(`reloadxml on ${s.server} (group ${group.name}): ${s.outcome}: ${s.text}`);
    for (const member of group.members) {
      if (report.servers.some((s) => s.server === member.config.name && s.outcome === 'ok')) void this.catalogs.refresh(member);
    }
    this.reloadDiagnostics.clear();
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const p of report.problems) byFile.set(p.file, [...(byFile.get(p.file) ?? []), reloadDiagnostic(p.line, p.message)]);
    for (const [file, diagnostics] of byFile) this.reloadDiagnostics.set(vscode.Uri.file(file), diagnostics);
    await this.documents.show(group.name, `reloadxml on ${group.name}.txt`, groupReloadText(group.name, report), 'plaintext');
    const notInForce = report.servers.some((s) => s.outcome === 'refused' || s.outcome === 'failed');
    const more = [...(report.problems.length ? ['The errors are in Problems.'] : []), ...report.unmapped.map((u) => u.message)];
    if (notInForce) void vscode.window.showErrorMessage([report.summary, ...more].join(' '));
    else void vscode.window.showInformationMessage(report.summary);
    return report;
  }

  /** Maps reloadxml's assembled lines through the tree of `from` (or the only one), pre-processed once for all the answers. */
  private reloadLineMapper(from: vscode.Uri | undefined): (line: number | undefined, detail: string) => MappedReloadLine {
    let assembled: { snapshot: ConfSnapshot; result: PreprocessResult } | undefined;
    return (line, detail) => {
      if (line === undefined) return { unmapped: 'the answer names no line.' };
      const root = this.workspace.entryRootFor(from);
      if (!root?.model.entry) return { unmapped: 'it cannot be mapped to a file: no configuration tree with a freeswitch.xml is open in the workspace.' };
      if (!assembled) {
        const snapshot = root.snapshot();
        assembled = { snapshot, result: preprocess(snapshot, root.model.entry) };
      }
      return mapReloadLine(assembled.result, assembled.snapshot, line, detail);
    };
  }

  // ---------------------------------------------------------------- Show Effective Dialplan

  /** `xml_locate dialplan context name <ctx>` in a read-only XML editor with the same features. */
  async showEffective(server: ServerConnection, context: string): Promise<vscode.TextEditor> {
    const client = server.client;
    if (!client) throw new Error(`${server.config.name} is not connected.`);
    const xml = await client.api(`xml_locate dialplan context name ${context}`);
    if (/^can't find anything/.test(xml) || xml.startsWith('-ERR')) {
      throw new Error(`${server.config.name} has no dialplan context "${context}" (xml_locate: ${xml.trim()}).`);
    }
    const editor = await this.documents.show(server.config.name, `dialplan-${context}.xml`, xml, 'xml');
    this.effective.set(editor.document.uri.toString(), { server, context });
    this.language.updateDiagnostics();
    this.traces.remap();
    this.updateEditorContext(editor);
    return editor;
  }

  /** Contexts the workspace's trees define, for pickers. */
  knownContexts(): string[] {
    const names = new Set<string>();
    for (const root of this.workspace.all) for (const c of root.model.contexts.keys()) if (c) names.add(c);
    return [...names];
  }

  // ---------------------------------------------------------------- Trace a Call

  /** Prefill for the trace inputs from an extension (CodeLens) or the cursor. */
  prefillFrom(uri: vscode.Uri | undefined, offset: number | undefined): { destination?: string; context?: string; callerIdNumber?: string } {
    const doc = uri && vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (!doc) return {};
    const conf = this.language.confDocument(doc);
    if (!conf) return {};
    const fromEffective = this.effective.get(doc.uri.toString())?.context;
    const prefill = tracePrefill(conf.ctx, conf.file.doc, offset ?? 0);
    return fromEffective ? { ...prefill, context: fromEffective } : prefill;
  }

  /** Places the call, collects its trace, shows it; then hangs up or leaves the call up, as set. */
  async traceCall(server: ServerConnection, req: TraceCallRequest, reveal: vscode.Uri | undefined): Promise<void> {
    const client = server.client;
    const listener = server.listener;
    if (!client || !listener) throw new Error(`${server.config.name} is not connected.`);
    if (this.running) throw new Error('A trace is already running.');
    const run = new TraceRun(client, listener);
    this.running = run;
    let result;
    try {
      result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Tracing ${req.destination} in ${req.context} on ${server.config.name}`, cancellable: true },
        async (_progress, token) => {
          token.onCancellationRequested(() => run.cancel());
          return run.run(req);
        },
      );
    } finally {
      this.running = undefined;
    }
    this.store.add(server, run.allLines);
    const note =
      result.noLines ??
      (result.originate.ok === false && result.legs.length > 0 ? `The originate failed: ${result.originate.cause}${result.originate.cause === 'NO_ROUTE_DESTINATION' ? ' (no extension matched)' : ''}.` : undefined);
    this.traces.show({ server, uuid: result.uuid, legs: result.legs, errors: result.errors, live: result.live, at: new Date(), ...(note ? { note } : {}) });
    // The view may only now appear (its `when` names this key): set it before focusing it.
    await vscode.commands.executeCommand('setContext', 'freeswitch.dialplan.hasTrace', true);
    await this.revealMatched(reveal);
    await vscode.commands.executeCommand('freeswitch.dialplanTrace.focus');
    await this.traces.revealMatched();
    if (result.noLines) void vscode.window.showWarningMessage(result.noLines);
    if (result.live) await this.afterTrace(server, result.uuid);
  }

  private async revealMatched(reveal: vscode.Uri | undefined): Promise<void> {
    const where = this.traces.matchedLocation();
    if (where) {
      const editor = await vscode.window.showTextDocument(where.uri, { preview: false, preserveFocus: false });
      editor.revealRange(new vscode.Range(where.line, 0, where.line, 0), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    } else if (reveal) {
      await vscode.window.showTextDocument(reveal, { preview: false });
    }
  }

  /** The test call is still up: hang it up, leave it, or ask (freeswitch.dialplan.traceHangup). */
  private async afterTrace(server: ServerConnection, uuid: string): Promise<void> {
    const policy = vscode.workspace.getConfiguration('freeswitch').get<string>('dialplan.traceHangup', 'ask');
    if (policy === 'never') return;
    if (policy !== 'always') {
      const hangUp = 'Hang Up';
      const choice = await vscode.window.showInformationMessage(`The traced call is still up on ${server.config.name}.`, hangUp, 'Leave It Up');
      if (choice !== hangUp) return;
    }
    await this.hangupTraced(server, uuid);
  }

  async hangupTraced(server: ServerConnection, uuid: string): Promise<void> {
    const answer = await server.client?.api(`uuid_kill ${uuid}`);
    this.log.info(`trace: uuid_kill ${uuid} on ${server.config.name}: ${answer?.trim()}`);
    this.traces.setLive(false);
  }
}

