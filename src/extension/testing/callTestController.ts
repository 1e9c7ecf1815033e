/**
 * Call tests in VS Code's Test Explorer: files matching `freeswitch.tests.include` are discovered
 * without running them (discovery.ts), shown per file (and describe), and run or debugged against a
 * connected server (a Run and a Debug profile per server) or with none (replays need none; a test
 * that calls fails saying so). A run happens in a test host process (src/apphost/testHost.ts),
 * never in the extension host; results stream in with their duration; a failure shows expected vs
 * happened, the call's last events, and a link to its timeline. Cancel asks the host to hang up the
 * running test's calls and end; a host that does not is killed and its calls hung up from here.
 */
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as vscode from 'vscode';
import { EslEvent } from '../../core';
import { hangupTestCalls } from '../../core/testing/context';
import { TestHostRun } from '../../apphost/testing/testHostClient';
import { testId, type FileReport, type TestFailure, type TestFinished } from '../../shared/protocol/testHost';
import { globToRegExp } from '../../shared/glob';
import { SECTION } from '../config';
import type { ServerConnection } from '../servers/serverConnection';
import type { ServerManager } from '../servers/serverManager';
import { Disposable } from '../util/disposable';
import type { WebviewHub } from '../webviews/panels';
import { typesConfigFile } from '../apps/typesConfig';
import { giveTypes } from '../apps/typesConfigPrompt';
import { computedNamesNote, discoverFile, type DiscoveredFile } from './discovery';

export const DEFAULT_TESTS_INCLUDE = 'fsapps/**/*.calltest.ts';
/** Opens the timeline of a failed test's call (the link in its message). Not for the palette. */
export const OPEN_FAILURE_TIMELINE = 'freeswitch.tests.openCallTimeline';
const SEPARATOR = ' › ';
/** Failures kept for their timeline links. */
const KEPT_FAILURES = 200;

/** `freeswitch.tests.include`: where call tests are (workspace-relative glob). */
export function testsInclude(): string {
  const value = vscode.workspace.getConfiguration(SECTION).get<string>('tests.include', DEFAULT_TESTS_INCLUDE);
  return typeof value === 'string' && value.trim() ? value.trim() : DEFAULT_TESTS_INCLUDE;
}

function testsTimeoutMs(): number {
  const value = vscode.workspace.getConfiguration(SECTION).get<number>('tests.timeoutMs', 10_000);
  return Number.isInteger(value) && value > 0 ? value : 10_000;
}

/** A short text of an event for the failure message. */
function eventLine(headers: ReadonlyArray<[string, string]>): string {
  const h = new Map(headers);
  const name = h.get('Event-Name') === 'CUSTOM' ? (h.get('Event-Subclass') ?? 'CUSTOM') : (h.get('Event-Name') ?? '?');
  const extra = h.get('Application') ?? h.get('DTMF-Digit') ?? h.get('Hangup-Cause') ?? h.get('Answer-State') ?? '';
  return `${name}${extra ? ` ${extra}` : ''} · ${(h.get('Unique-ID') ?? '').slice(0, 8)}`;
}

export class CallTestController extends Disposable {
  readonly controller: vscode.TestController;
  private readonly diagnostics: vscode.DiagnosticCollection;
  private readonly profiles = new Map<ServerConnection, vscode.TestRunProfile[]>();
  /** Run and Debug with no server: replays need none, and a test that calls says it needs one. */
  private readonly offlineProfiles: vscode.TestRunProfile[];
  /** tsconfig.json files whose types mapping was seen to this session (one notification each at most). */
  private readonly typedConfigs = new Set<string>();
  private readonly failures = new Map<string, { label: string; events: EslEvent[] }>();
  private failureSeq = 0;
  private watcher: vscode.FileSystemWatcher | undefined;
  private readonly pendingDiscovery = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly manager: ServerManager,
    private readonly webviews: WebviewHub,
    private readonly extensionPath: string,
    private readonly log: vscode.LogOutputChannel,
    /** Where "Don't Ask Again" about the types mapping is kept. */
    private readonly workspaceState: vscode.Memento,
  ) {
    super();
    this.controller = this._register(vscode.tests.createTestController('freeswitch.callTests', 'FreeSWITCH Call Tests'));
    this.diagnostics = this._register(vscode.languages.createDiagnosticCollection('freeswitch-calltests'));
    this.controller.resolveHandler = async (item) => {
      if (!item) await this.discoverAll();
    };
    this.controller.refreshHandler = () => this.discoverAll();
    this.offlineProfiles = [
      this._register(this.controller.createRunProfile('Run (no server)', vscode.TestRunProfileKind.Run, (request, token) => this.run(undefined, request, token, false), true)),
      this._register(this.controller.createRunProfile('Debug (no server)', vscode.TestRunProfileKind.Debug, (request, token) => this.run(undefined, request, token, true), true)),
    ];
    this._register(manager.onDidChangeServers(() => this.updateProfiles()));
    this._register(vscode.commands.registerCommand(OPEN_FAILURE_TIMELINE, (key: unknown) => this.openFailureTimeline(key)));
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SECTION}.tests.include`)) void this.discoverAll();
      }),
    );
    // Tests appear as they are typed, not only on save.
    this._register(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (this.matches(e.document.uri)) this.scheduleDiscovery(e.document.uri);
      }),
    );
    this._register({ dispose: () => this.pendingDiscovery.forEach((t) => clearTimeout(t)) });
    this._register({ dispose: () => this.watcher?.dispose() });
    this.updateProfiles();
    // Items for the gutter and the explorer without waiting for the explorer to be opened.
    void this.discoverAll().catch((err: unknown) => this.log.warn(`call tests: ${String(err)}`));
  }

  private matches(uri: vscode.Uri): boolean {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (!folder || uri.scheme !== 'file') return false;
    return globToRegExp(testsInclude()).test(relative(folder.uri.fsPath, uri.fsPath).split('\\').join('/'));
  }

  /** Finds every call test file and its tests; watches for changes from then on. */
  async discoverAll(): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) return;
    const pattern = new vscode.RelativePattern(folder, testsInclude());
    this.watcher?.dispose();
    this.watcher = vscode.workspace.createFileSystemWatcher(pattern);
    this.watcher.onDidCreate((uri) => this.scheduleDiscovery(uri));
    this.watcher.onDidChange((uri) => this.scheduleDiscovery(uri));
    this.watcher.onDidDelete((uri) => {
      this.controller.items.delete(uri.fsPath);
      this.diagnostics.delete(uri);
    });
    const started = performance.now();
    const uris = await vscode.workspace.findFiles(pattern, '**/node_modules/**');
    const seen = new Set(uris.map((u) => u.fsPath));
    this.controller.items.forEach((item) => {
      if (!seen.has(item.id)) this.controller.items.delete(item.id);
    });
    await Promise.all(uris.map((uri) => this.discover(uri)));
    this.log.info(`call tests: discovered ${uris.length} file(s) in ${(performance.now() - started).toFixed(0)} ms`);
  }

  private scheduleDiscovery(uri: vscode.Uri): void {
    clearTimeout(this.pendingDiscovery.get(uri.fsPath));
    this.pendingDiscovery.set(
      uri.fsPath,
      setTimeout(() => {
        this.pendingDiscovery.delete(uri.fsPath);
        void this.discover(uri).catch((err: unknown) => this.log.warn(`call tests: ${String(err)}`));
      }, 150),
    );
  }

  /** Re-reads one file (the editor's text when it is open) and rebuilds its items. */
  private async discover(uri: vscode.Uri): Promise<void> {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    let text: string;
    try {
      text = open ? open.getText() : Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
    } catch {
      this.controller.items.delete(uri.fsPath);
      return;
    }
    this.applyDiscovery(uri, await discoverFile(uri.fsPath, text));
    this.giveTypes(uri);
  }

  /**
   * A call test imports `freeswitch-dev/test`: map it (and `freeswitch-dev`) in the tsconfig.json
   * that governs the file, as New App from Template does for apps, so a workspace with tests and no
   * app gets no red squiggle. A new one (none governs the file) or the extension's own is written;
   * the project's own is changed only if the user agrees (typesConfigPrompt.ts). Once per file a session.
   */
  private giveTypes(uri: vscode.Uri): void {
    const root = vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath;
    if (!root) return;
    const file = typesConfigFile(uri.fsPath, root);
    if (this.typedConfigs.has(file)) return;
    this.typedConfigs.add(file);
    try {
      giveTypes({ extensionPath: this.extensionPath, workspaceState: this.workspaceState, log: this.log }, file, 'call tests');
    } catch (err) {
      this.log.warn(`call tests: could not give ${file} the types mapping: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private fileItem(uri: vscode.Uri): vscode.TestItem {
    let item = this.controller.items.get(uri.fsPath);
    if (!item) {
      const folder = vscode.workspace.getWorkspaceFolder(uri);
      const label = folder ? relative(folder.uri.fsPath, uri.fsPath) : uri.fsPath;
      item = this.controller.createTestItem(uri.fsPath, label, uri);
      this.controller.items.add(item);
    }
    return item;
  }

  private applyDiscovery(uri: vscode.Uri, found: DiscoveredFile): void {
    const file = this.fileItem(uri);
    file.error = found.error ? new vscode.MarkdownString().appendText(found.error.message) : undefined;
    // Without this a file of computed names shows as an empty file.
    file.description = computedNamesNote(found.tests.length, found.dynamic);
    this.diagnostics.set(
      uri,
      (found.error?.problems ?? []).map((p) => {
        const d = new vscode.Diagnostic(new vscode.Range(p.line - 1, p.column, p.line - 1, p.column + 1), p.message, vscode.DiagnosticSeverity.Error);
        d.source = 'FreeSWITCH Call Tests';
        return d;
      }),
    );
    const keep = new Set<string>();
    for (const t of found.tests) {
      const item = this.testItem(file, uri, t.fullName);
      item.range = new vscode.Range(t.line, t.column, t.line, t.column);
      item.tags = t.skipped ? [new vscode.TestTag('skipped')] : [];
      for (let p: vscode.TestItem | undefined = item; p && p !== file; p = p.parent) keep.add(p.id);
    }
    prune(file, keep);
  }

  /** The item of a test (creating its describe items on the way), by full name. */
  private testItem(file: vscode.TestItem, uri: vscode.Uri, fullName: string): vscode.TestItem {
    const parts = fullName.split(SEPARATOR);
    let parent = file;
    for (let i = 0; i < parts.length; i++) {
      const id = testId(uri.fsPath, parts.slice(0, i + 1).join(SEPARATOR));
      let item = parent.children.get(id);
      if (!item) {
        item = this.controller.createTestItem(id, parts[i]!, uri);
        parent.children.add(item);
      }
      parent = item;
    }
    return parent;
  }

  /**
   * A Run and a Debug profile per connected server (the first connected server's are the
   * defaults), and the no-server pair, the defaults while no server is connected.
   */
  private updateProfiles(): void {
    for (const [server, profiles] of this.profiles) {
      if (!this.manager.servers.includes(server) || !server.isConnected) {
        profiles.forEach((p) => p.dispose());
        this.profiles.delete(server);
      }
    }
    for (const server of this.manager.servers) {
      if (!server.isConnected || this.profiles.has(server)) continue;
      const first = this.profiles.size === 0;
      const run = this.controller.createRunProfile(`Run on ${server.config.name}`, vscode.TestRunProfileKind.Run, (request, token) => this.run(server, request, token, false), first);
      const debug = this.controller.createRunProfile(`Debug on ${server.config.name}`, vscode.TestRunProfileKind.Debug, (request, token) => this.run(server, request, token, true), first);
      this.profiles.set(server, [run, debug]);
    }
    for (const p of this.offlineProfiles) p.isDefault = this.profiles.size === 0;
  }

  /** Runs (or debugs) the requested tests on `server` (none: tests that need one fail, saying so) in a test host process. */
  async run(server: ServerConnection | undefined, request: vscode.TestRunRequest, token: vscode.CancellationToken, debug: boolean): Promise<void> {
    const where = server ? `on ${server.config.name}` : 'without a server';
    const run = this.controller.createTestRun(request, `Call tests ${where}`);
    const leaves = new Map<string, vscode.TestItem>();
    const files = new Set<string>();
    /** Files run whole: tests they name at run time (not in the scan) join the run. */
    const wholeFiles = new Set<string>();
    const excluded = new Set((request.exclude ?? []).map((i) => i.id));
    const collect = (item: vscode.TestItem): void => {
      if (excluded.has(item.id)) return;
      if (!item.parent && item.uri) wholeFiles.add(item.uri.fsPath);
      if (item.children.size === 0 && item.parent) leaves.set(item.id, item);
      item.children.forEach(collect);
      if (item.uri) files.add(item.uri.fsPath);
    };
    if (request.include) request.include.forEach(collect);
    else this.controller.items.forEach(collect);
    const whole = !request.include || request.include.every((i) => !i.parent);
    for (const leaf of leaves.values()) run.enqueued(leaf);
    const finished = new Set<string>();
    try {
      let connection: { host: string; port: number; user?: string; password: string } | undefined;
      if (server) {
        const password = await this.manager.passwordFor(server);
        if (password === undefined) throw new Error(`No password is known for ${server.config.name}: connect it first.`);
        const { host, port, user } = server.config;
        connection = { host, port, password, ...(user ? { user } : {}) };
      }
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
      const only = whole ? undefined : [...leaves.keys()];
      let debugSession: vscode.DebugSession | undefined;
      const host_ = new TestHostRun({
        run: { ...(connection ? { connection } : {}), files: [...files], ...(only ? { only } : {}), timeoutMs: testsTimeoutMs(), debug },
        hostScript: join(this.extensionPath, 'dist', 'testhost.js'),
        inspect: debug,
        ...(folder ? { cwd: folder } : {}),
        onStderr: (line) => run.appendOutput(`${line}\r\n`),
        onDebuggerWaiting: async (inspectorUrl) => {
          debugSession = await this.attachDebugger(inspectorUrl);
        },
        onMessage: (m) => {
          switch (m.kind) {
            case 'file':
              this.onFileReport(m, run, leaves, finished, wholeFiles);
              break;
            case 'testStarted': {
              const item = leaves.get(m.id) ?? this.findItem(m.id);
              if (item) run.started(item);
              break;
            }
            case 'testFinished':
              this.onFinished(m, run, leaves, finished);
              break;
            case 'output': {
              const item = m.id !== undefined ? (leaves.get(m.id) ?? this.findItem(m.id)) : undefined;
              run.appendOutput(m.text.replace(/\r?\n/g, '\r\n'), undefined, item);
              break;
            }
            case 'fatal':
              run.appendOutput(`\r\n${m.message}\r\n`);
              break;
          }
        },
      });
      // The host hangs up the running test's calls and ends; one stuck in a loop cannot, and is killed.
      let stopping: Promise<void> | undefined;
      const cancel = token.onCancellationRequested(() => {
        stopping ??= this.stopHost(host_, server, run);
      });
      try {
        const summary = await host_.done;
        run.appendOutput(`\r\n${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped in ${(summary.wallMs / 1000).toFixed(2)} s${server ? `; ${summary.leftoverSessions} session(s) left on ${server.config.name}` : ''}\r\n`);
      } catch (err) {
        // A host killed on cancel did not break down: its unfinished tests are skipped (below).
        const message = err instanceof Error ? err.message : String(err);
        if (!token.isCancellationRequested) for (const [id, item] of leaves) if (!finished.has(id)) run.errored(item, new vscode.TestMessage(message));
      } finally {
        cancel.dispose();
        // The run ends once its calls are hung up, not before.
        await stopping;
        if (debugSession) void vscode.debug.stopDebugging(debugSession);
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      for (const item of leaves.values()) run.errored(item, new vscode.TestMessage(message));
    } finally {
      for (const [id, item] of leaves) if (!finished.has(id)) run.skipped(item);
      run.end();
    }
  }

  /**
   * Cancel: the host cuts the running test short and hangs up its calls; if it does not end in
   * time it is killed, and the calls of its unfinished tests are hung up here by their tag.
   */
  private async stopHost(host: TestHostRun, server: ServerConnection | undefined, run: vscode.TestRun): Promise<void> {
    const { killed, tags } = await host.stop();
    if (!killed) return;
    const client = server?.client;
    if (tags.length === 0) return;
    if (!client || !server?.isConnected) {
      run.appendOutput(`\r\nThe test host did not stop and was killed; the calls of ${tags.length} test(s) may still be up (${server ? `${server.config.name} is not connected` : 'no server'}).\r\n`);
      return;
    }
    const failed = await hangupTestCalls(client, tags);
    run.appendOutput(`\r\nThe test host did not stop and was killed; hung up the calls of ${tags.length - failed.length} of ${tags.length} test(s) on ${server.config.name}.\r\n`);
    if (failed.length > 0) this.log.warn(`call tests: hupall failed for ${failed.join(', ')} on ${server.config.name}`);
  }

  private async attachDebugger(inspectorUrl: string): Promise<vscode.DebugSession | undefined> {
    const port = /:(\d+)\//.exec(inspectorUrl)?.[1];
    if (!port) throw new Error('the test host did not report an inspector port');
    const bundles = join(tmpdir(), 'fsdev-testhost-*', '**');
    let session: vscode.DebugSession | undefined;
    const sub = vscode.debug.onDidStartDebugSession((s) => {
      if (s.name === 'FreeSWITCH Call Tests') session = s;
    });
    try {
      const ok = await vscode.debug.startDebugging(
        vscode.workspace.workspaceFolders?.[0],
        {
          type: 'node',
          request: 'attach',
          name: 'FreeSWITCH Call Tests',
          address: '127.0.0.1',
          port: Number(port),
          sourceMaps: true,
          outFiles: [join(bundles, '*.js')],
          resolveSourceMapLocations: [bundles],
          // App fixtures (useApp('./app.ts'), loadApp) are bundled after the debugger attached:
          // js-debug pauses each as it starts, reads its map and sets the breakpoints, or a
          // callback that runs at once (the test's first call) passes them. The host loads such
          // bundles as scripts, where V8 makes that pause (src/apphost/testing/debugLoad.ts).
          pauseForSourceMap: true,
          skipFiles: ['<node_internals>/**'],
        },
      );
      if (!ok) throw new Error(`could not attach the debugger to the test host (port ${port})`);
    } finally {
      sub.dispose();
    }
    return session;
  }

  private findItem(id: string): vscode.TestItem | undefined {
    const file = this.controller.items.get(id.slice(0, id.indexOf('::')));
    if (!file) return undefined;
    const walk = (item: vscode.TestItem): vscode.TestItem | undefined => {
      if (item.id === id) return item;
      let found: vscode.TestItem | undefined;
      item.children.forEach((c) => (found ??= walk(c)));
      return found;
    };
    return walk(file);
  }

  /** What the run found in a file: its compile or load error, and tests named at run time. */
  private onFileReport(m: FileReport, run: vscode.TestRun, leaves: Map<string, vscode.TestItem>, finished: Set<string>, wholeFiles: ReadonlySet<string>): void {
    const uri = vscode.Uri.file(m.file);
    const file = this.fileItem(uri);
    if (m.error) {
      file.error = new vscode.MarkdownString().appendText(m.error.message);
      this.diagnostics.set(
        uri,
        m.error.problems.map((p) => new vscode.Diagnostic(new vscode.Range(p.line - 1, p.column, p.line - 1, p.column + 1), p.message, vscode.DiagnosticSeverity.Error)),
      );
      // The file's first problem, at its place: the test cannot run until it is fixed.
      const first = m.error.problems[0];
      const message = new vscode.TestMessage(first ? `${m.error.message.split(':')[0]}: ${first.message} (line ${first.line})` : m.error.message);
      if (first) message.location = new vscode.Location(vscode.Uri.file(first.file), new vscode.Position(first.line - 1, first.column));
      for (const [id, item] of leaves) {
        if (item.uri?.fsPath !== m.file || finished.has(id)) continue;
        finished.add(id);
        run.errored(item, message);
      }
      return;
    }
    for (const t of m.tests) {
      const item = this.findItem(t.id) ?? this.testItem(file, uri, t.fullName);
      if (t.location && !item.range) item.range = new vscode.Range(t.location.line - 1, 0, t.location.line - 1, 0);
      // Tests named at run time (not in the scan) join the run if their file ran whole (a file of
      // computed names only has no leaf to go by).
      if (!leaves.has(t.id) && wholeFiles.has(m.file)) {
        leaves.set(t.id, item);
        run.enqueued(item);
      }
    }
  }

  private onFinished(m: TestFinished, run: vscode.TestRun, leaves: Map<string, vscode.TestItem>, finished: Set<string>): void {
    const item = leaves.get(m.id) ?? this.findItem(m.id);
    if (!item) return;
    finished.add(m.id);
    if (m.status === 'passed') run.passed(item, m.durationMs);
    else if (m.status === 'skipped') run.skipped(item);
    else run.failed(item, this.messages(m.failure ?? { message: 'failed' }, item), m.durationMs);
  }

  /**
   * One message, in markdown so its timeline link works: what was expected and what happened, the
   * call's last events when it failed, and the link. At the failing line of the test.
   */
  private messages(f: TestFailure, item: vscode.TestItem): vscode.TestMessage[] {
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = { enabledCommands: [OPEN_FAILURE_TIMELINE] };
    md.appendText(f.message);
    if (f.expected !== undefined || f.actual !== undefined) {
      md.appendMarkdown('\n\n');
      md.appendCodeblock(`expected: ${f.expected ?? '?'}\nhappened: ${f.actual ?? '?'}`, 'text');
    }
    if (f.call) {
      const key = String(++this.failureSeq);
      this.failures.set(key, {
        label: f.call.label,
        events: f.call.events.map((e) => new EslEvent(Object.setPrototypeOf(Object.fromEntries(e.headers), null) as Record<string, string>, e.body)),
      });
      while (this.failures.size > KEPT_FAILURES) this.failures.delete(this.failures.keys().next().value!);
      md.appendMarkdown(`\n\n**Call ${escapeMd(f.call.label)}** · [Open the call's timeline](command:${OPEN_FAILURE_TIMELINE}?${encodeURIComponent(JSON.stringify([key]))}) · last events when it failed:\n\n`);
      md.appendCodeblock(
        f.call.events
          .slice(0, f.call.atFailure)
          .slice(-12)
          .map((e) => eventLine(e.headers))
          .join('\n'),
        'text',
      );
    }
    const message = new vscode.TestMessage(md);
    if (f.location) message.location = new vscode.Location(vscode.Uri.file(f.location.file), new vscode.Position(f.location.line - 1, Math.max(0, f.location.column - 1)));
    else if (item.uri && item.range) message.location = new vscode.Location(item.uri, item.range);
    return [message];
  }

  private openFailureTimeline(key: unknown): void {
    const failure = typeof key === 'string' ? this.failures.get(key) : undefined;
    if (!failure) {
      void vscode.window.showWarningMessage('That test failure is no longer kept: run the test again.');
      return;
    }
    try {
      this.webviews.openOfflineTimeline(`${failure.label} (test failure)`, failure.events);
    } catch (err) {
      void vscode.window.showErrorMessage(err instanceof Error ? err.message : String(err));
    }
  }
}

function escapeMd(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

/** Removes the children (at any depth) whose ids are not in `keep`. */
function prune(item: vscode.TestItem, keep: ReadonlySet<string>): void {
  const gone: string[] = [];
  item.children.forEach((child) => {
    if (!keep.has(child.id)) gone.push(child.id);
    else prune(child, keep);
  });
  for (const id of gone) item.children.delete(id);
}
