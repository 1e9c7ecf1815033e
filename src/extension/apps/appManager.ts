import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { AppHostSupervisor, type AppHostCrash, type AppHostLog } from '../../apphost/supervisor';
import type { AppErrorInfo, AppHostStatus, AppStatus, LoadResult } from '../../shared/protocol/appHost';
import { SECTION } from '../config';
import type { ServerConnection } from '../servers/serverConnection';
import type { ServerManager } from '../servers/serverManager';
import { Disposable } from '../util/disposable';
import { appIdForFile, problemFromAppError, problemsFromLoad, type ProblemSpec } from './appsPure';

/** A save fires onDidSaveTextDocument and the file watcher: one reload for both. */
const RELOAD_COALESCE_MS = 30;

export const DEFAULT_APPS_INCLUDE = 'fsapps/**/*.ts';

/** `freeswitch.apps.include`: where workspace apps are found (workspace-relative glob). */
export function appsInclude(): string {
  const value = vscode.workspace.getConfiguration(SECTION).get<string>('apps.include', DEFAULT_APPS_INCLUDE);
  return typeof value === 'string' && value.trim() ? value.trim() : DEFAULT_APPS_INCLUDE;
}

/** One server's app host and what the UI shows of it. */
export class ServerAppHost extends Disposable {
  readonly supervisor: AppHostSupervisor;

  constructor(
    readonly server: ServerConnection,
    supervisor: AppHostSupervisor,
  ) {
    super();
    this.supervisor = supervisor;
    this._register({ dispose: () => supervisor.dispose() });
  }

  /** Ties a subscription to this host's lifetime. */
  own<T extends vscode.Disposable>(item: T): T {
    return this._register(item);
  }

  /** The apps the host reports, in load order. */
  get apps(): readonly AppStatus[] {
    return this.supervisor.lastStatus?.apps ?? [];
  }

  app(appId: string): AppStatus | undefined {
    return this.apps.find((a) => a.id === appId);
  }
}

/**
 * Owns one app host (an `AppHostSupervisor`) per connected server, started when an app is to be
 * loaded on it. Workspace apps (`freeswitch.apps.include`) are loaded when a server connects and
 * reloaded on save of any file they were bundled from; compile, load and callback errors go to
 * Problems and to the "FreeSWITCH Apps" log. Each server has its own set of apps.
 */
export class AppManager extends Disposable {
  readonly output: vscode.LogOutputChannel;
  private readonly diagnostics: vscode.DiagnosticCollection;
  private readonly hosts = new Map<ServerConnection, ServerAppHost>();
  private readonly starting = new Map<ServerConnection, Promise<ServerAppHost>>();
  /** Problems per source: `<server>\0<appId>\0load|runtime` → problems. Merged per file into the collection. */
  private readonly problems = new Map<string, ProblemSpec[]>();
  private readonly _onDidChange = this._register(new vscode.EventEmitter<ServerConnection | undefined>());
  /** A host's apps, counters or state changed (fires at most about once a second for counters). */
  readonly onDidChange = this._onDidChange.event;
  private readonly connected = new Set<ServerConnection>();

  constructor(
    private readonly manager: ServerManager,
    private readonly extensionPath: string,
  ) {
    super();
    this.output = this._register(vscode.window.createOutputChannel('FreeSWITCH Apps', { log: true }));
    this.diagnostics = this._register(vscode.languages.createDiagnosticCollection('freeswitch-apps'));
    this._register(manager.onDidChangeServers(() => this.onServersChanged()));
    this._register(vscode.workspace.onDidSaveTextDocument((doc) => this.onSaved(doc.uri)));
    // Changes made outside the editor (another tool, git) reload too; a save fires both, and the
    // reload is coalesced (scheduleReload).
    const sources = this._register(vscode.workspace.createFileSystemWatcher('**/*.{ts,mts,cts}', true, false, true));
    this._register(sources.onDidChange((uri) => this.onSaved(uri)));
    this._register({ dispose: () => this.disposeHosts() });
    this._register({ dispose: () => this.pendingReloads.forEach((t) => clearTimeout(t)) });
    this.watchInclude();
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SECTION}.apps.include`)) this.watchInclude();
      }),
    );
    this.onServersChanged();
  }

  private includeWatcher: vscode.Disposable | undefined;

  /** New app files under the include glob are loaded on every server with a host. */
  private watchInclude(): void {
    this.includeWatcher?.dispose();
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) return;
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, appsInclude()), false, true, false);
    watcher.onDidCreate((uri) => {
      if (!isAppSource(uri.fsPath)) return;
      for (const host of this.hosts.values()) {
        // Loaded already (e.g. by "New App from Template", which wrote it).
        if ([...host.supervisor.apps.values()].includes(uri.fsPath)) continue;
        void this.loadOn(host.server, uri.fsPath).catch((err: unknown) => this.logError(err));
      }
    });
    watcher.onDidDelete((uri) => {
      for (const host of this.hosts.values()) {
        for (const [appId, entry] of host.supervisor.apps) if (entry === uri.fsPath) void this.unload(host.server, appId).catch((err: unknown) => this.logError(err));
      }
    });
    this.includeWatcher = watcher;
    this._register(watcher);
  }

  /** The host of a server, if one was started. */
  host(server: ServerConnection): ServerAppHost | undefined {
    return this.hosts.get(server);
  }

  get allHosts(): readonly ServerAppHost[] {
    return [...this.hosts.values()];
  }

  /** The status of the app `appId` on any server (for CodeLenses: the file's app on the first host that has it). */
  findApp(entry: string): Array<{ server: ServerConnection; app: AppStatus }> {
    const out: Array<{ server: ServerConnection; app: AppStatus }> = [];
    for (const host of this.hosts.values()) for (const app of host.apps) if (app.entry === entry) out.push({ server: host.server, app });
    return out;
  }

  /** Workspace app files matched by `freeswitch.apps.include`. */
  async workspaceApps(): Promise<vscode.Uri[]> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) return [];
    const found = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, appsInclude()), '**/node_modules/**');
    return found.filter((uri) => isAppSource(uri.fsPath)).sort((a, b) => a.fsPath.localeCompare(b.fsPath));
  }

  private onServersChanged(): void {
    for (const server of [...this.hosts.keys(), ...this.starting.keys()]) {
      if (!this.manager.servers.includes(server) || server.state.kind === 'disconnected' || server.state.kind === 'authFailed') this.stopHost(server);
    }
    for (const server of this.manager.servers) {
      const isUp = server.isConnected;
      if (isUp && !this.connected.has(server)) {
        this.connected.add(server);
        void this.loadWorkspaceApps(server);
      } else if (!isUp && server.state.kind !== 'reconnecting') this.connected.delete(server);
    }
    for (const server of this.connected) if (!this.manager.servers.includes(server)) this.connected.delete(server);
  }

  /** Loads every workspace app on a server that just connected (starting its host only if there are any). */
  private async loadWorkspaceApps(server: ServerConnection): Promise<void> {
    try {
      const files = await this.workspaceApps();
      for (const uri of files) await this.loadOn(server, uri.fsPath);
    } catch (err) {
      this.logError(err);
    }
  }

  /** The server's host, started (and connected) if needed. */
  async ensureHost(server: ServerConnection): Promise<ServerAppHost> {
    const existing = this.hosts.get(server);
    if (existing) return existing;
    let pending = this.starting.get(server);
    if (!pending) {
      pending = this.startHost(server).finally(() => this.starting.delete(server));
      this.starting.set(server, pending);
    }
    return pending;
  }

  private async startHost(server: ServerConnection): Promise<ServerAppHost> {
    const password = await this.manager.passwordFor(server);
    if (password === undefined) throw new Error(`No password is stored for ${server.config.name}: connect it first.`);
    const { host, port, user } = server.config;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const supervisor = new AppHostSupervisor({
      connection: { host, port, password, ...(user ? { user } : {}) },
      hostScript: join(this.extensionPath, 'dist', 'apphost.js'),
      ...(folder ? { cwd: folder } : {}),
    });
    const entry = new ServerAppHost(server, supervisor);
    const name = server.config.name;
    entry.own(supervisor.onDidLog((log) => this.onLog(name, log)));
    entry.own(supervisor.onDidAppError((error) => this.onAppError(server, entry, error)));
    entry.own(supervisor.onDidLoad((e) => this.onLoaded(server, e.appId, e.entry, e.result)));
    entry.own(supervisor.onDidChangeStatus((status) => this.onStatus(server, status)));
    entry.own(supervisor.onDidCrash((crash) => this.onCrash(server, crash)));
    entry.own(
      supervisor.onDidChangeState(({ from, to }) => {
        this.output.info(`[${name}] app host ${from} -> ${to}`);
        this._onDidChange.fire(server);
      }),
    );
    entry.own(supervisor.onDidStart((e) => this.output.info(`[${name}] app host started (pid ${e.pid})${e.inspectorUrl ? `, inspector ${e.inspectorUrl}` : ''}`)));
    this.output.info(`[${name}] starting the app host for ${host}:${port}`);
    try {
      await supervisor.start();
    } catch (err) {
      entry.dispose();
      throw err;
    }
    if (this.isDisposed || !this.manager.servers.includes(server)) {
      entry.dispose();
      throw new Error(`${name} went away while its app host started`);
    }
    this.hosts.set(server, entry);
    this._onDidChange.fire(server);
    return entry;
  }

  private stopHost(server: ServerConnection): void {
    const host = this.hosts.get(server);
    this.hosts.delete(server);
    if (host) {
      void host.supervisor.stop().finally(() => host.dispose());
      for (const key of [...this.problems.keys()]) if (key.startsWith(`${this.serverKey(server)}\0`)) this.problems.delete(key);
      this.refreshDiagnostics();
      this._onDidChange.fire(server);
    }
  }

  private disposeHosts(): void {
    for (const host of this.hosts.values()) host.dispose();
    this.hosts.clear();
  }

  /** Loads (or reloads, if the id is loaded) an app file on a server under its file's id. */
  async loadOn(server: ServerConnection, file: string, appId = appIdForFile(file)): Promise<LoadResult> {
    const host = await this.ensureHost(server);
    this.output.info(`[${server.config.name}] loading ${appId} from ${file}`);
    return host.supervisor.load(appId, file);
  }

  async reload(server: ServerConnection, appId: string): Promise<LoadResult> {
    const host = this.hosts.get(server);
    if (!host) throw new Error(`No app host runs for ${server.config.name}.`);
    return host.supervisor.reload(appId);
  }

  async unload(server: ServerConnection, appId: string): Promise<void> {
    const host = this.hosts.get(server);
    if (!host) return;
    await host.supervisor.unload(appId);
    this.setProblems(server, appId, 'load', []);
    this.setProblems(server, appId, 'runtime', []);
    this.output.info(`[${server.config.name}] unloaded ${appId}`);
    this._onDidChange.fire(server);
  }

  /** Restarts a server's host with the inspector; resolves to the inspector port. */
  async restartForDebugging(server: ServerConnection): Promise<number> {
    const host = await this.ensureHost(server);
    await host.supervisor.restart({ inspect: true });
    const port = host.supervisor.inspectorPort;
    if (port === undefined) throw new Error('The app host did not report an inspector port.');
    return port;
  }

  /** Where hosts write bundles, for a debugger's `outFiles`. */
  static get bundleGlob(): string {
    return join(tmpdir(), 'fsdev-apphost-*', '**', '*.js');
  }

  private readonly pendingReloads = new Map<string, NodeJS.Timeout>();

  /** A saved (or changed) file: every app (on every server) bundled from it is reloaded. */
  private onSaved(uri: vscode.Uri): void {
    if (uri.scheme !== 'file') return;
    const file = uri.fsPath;
    for (const host of this.hosts.values()) {
      const ids = new Set<string>();
      for (const [appId, entry] of host.supervisor.apps) if (entry === file) ids.add(appId);
      for (const app of host.apps) if (app.inputs.includes(file) && host.supervisor.apps.has(app.id)) ids.add(app.id);
      for (const appId of ids) this.scheduleReload(host, appId, file);
    }
  }

  /** One reload per app for a burst of saves and watcher events (a save fires both). */
  private scheduleReload(host: ServerAppHost, appId: string, file: string): void {
    const key = `${this.serverKey(host.server)}\0${appId}`;
    if (this.pendingReloads.has(key)) return;
    this.pendingReloads.set(
      key,
      setTimeout(() => {
        this.pendingReloads.delete(key);
        if (this.hosts.get(host.server) !== host || !host.supervisor.apps.has(appId)) return;
        this.output.info(`[${host.server.config.name}] ${file} changed: reloading ${appId}`);
        void host.supervisor.reload(appId).catch((err: unknown) => this.logError(err));
      }, RELOAD_COALESCE_MS),
    );
  }

  private onLoaded(server: ServerConnection, appId: string, entry: string, result: LoadResult): void {
    const name = server.config.name;
    if (result.loaded) {
      this.output.info(`[${name}] ${appId} v${result.app.version} loaded (bundle ${result.bundleMs.toFixed(0)} ms, swap ${result.loadMs.toFixed(0)} ms)`);
      this.setProblems(server, appId, 'runtime', []);
    } else {
      this.output.error(`[${name}] ${appId}: ${result.phase} failed: ${result.message}${result.previousVersionRunning ? ' (the previous version keeps running)' : ''}`);
      if (result.stack) this.output.error(result.stack);
    }
    this.setProblems(server, appId, 'load', problemsFromLoad(entry, result));
    this._onDidChange.fire(server);
  }

  private onAppError(server: ServerConnection, host: ServerAppHost, error: AppErrorInfo): void {
    this.output.warn(`[${server.config.name}] ${error.appId} v${error.version}: ${error.eventName} callback failed${error.sessionUuid ? ` on ${error.sessionUuid}` : ''}:\n${error.stack}`);
    const problem = problemFromAppError(error, host.supervisor.apps.get(error.appId));
    if (problem) {
      // The last failure per callback of the app.
      const kept = (this.problems.get(this.problemKey(server, error.appId, 'runtime')) ?? []).filter((p) => !p.message.startsWith(`${error.eventName} `));
      this.setProblems(server, error.appId, 'runtime', [...kept, problem]);
    }
    this._onDidChange.fire(server);
  }

  private onStatus(server: ServerConnection, _status: AppHostStatus): void {
    this._onDidChange.fire(server);
  }

  private onCrash(server: ServerConnection, crash: AppHostCrash): void {
    const why = crash.reason === 'exited' ? `exited (${crash.signal ?? `code ${crash.code}`})` : 'stopped responding (an app blocking its event loop?)';
    const message = `The FreeSWITCH app host for ${server.config.name} ${why}; restarting it in ${(crash.delayMs / 1000).toFixed(1)} s.`;
    this.output.error(message);
    const show = 'Show Log';
    void vscode.window.showWarningMessage(message, show).then((picked) => {
      if (picked === show) this.output.show(true);
    });
  }

  private onLog(name: string, log: AppHostLog): void {
    const text = `[${name}]${log.appId ? ` [${log.appId}]` : ''}${log.source === 'host' ? '' : ` (${log.source})`} ${log.message}`;
    if (log.level === 'debug') this.output.debug(text);
    else if (log.level === 'info') this.output.info(text);
    else if (log.level === 'warn') this.output.warn(text);
    else this.output.error(text);
  }

  private logError(err: unknown): void {
    this.output.error(err instanceof Error ? err.message : String(err));
  }

  private serverKey(server: ServerConnection): string {
    return `${server.config.name}@${server.config.host}:${server.config.port}`;
  }

  private problemKey(server: ServerConnection, appId: string, kind: 'load' | 'runtime'): string {
    return `${this.serverKey(server)}\0${appId}\0${kind}`;
  }

  private setProblems(server: ServerConnection, appId: string, kind: 'load' | 'runtime', problems: ProblemSpec[]): void {
    const key = this.problemKey(server, appId, kind);
    if (problems.length === 0) {
      if (!this.problems.delete(key)) return;
    } else this.problems.set(key, problems);
    this.refreshDiagnostics();
  }

  /** Rebuilds the collection from every source; the same problem from two servers shows once. */
  private refreshDiagnostics(): void {
    const byFile = new Map<string, Map<string, vscode.Diagnostic>>();
    for (const problems of this.problems.values()) {
      for (const p of problems) {
        const perFile = byFile.get(p.file) ?? new Map<string, vscode.Diagnostic>();
        byFile.set(p.file, perFile);
        const id = `${p.line}:${p.character}:${p.severity}:${p.message}`;
        if (perFile.has(id)) continue;
        const range = new vscode.Range(p.line, p.character, p.line, Math.max(p.character, p.endCharacter === p.character ? p.character + 1 : p.endCharacter));
        const d = new vscode.Diagnostic(range, p.message, p.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
        d.source = 'FreeSWITCH Apps';
        perFile.set(id, d);
      }
    }
    this.diagnostics.clear();
    for (const [file, diags] of byFile) this.diagnostics.set(vscode.Uri.file(file), [...diags.values()]);
  }
}

/** A TypeScript source that can be an app (not a declaration file, not a call test). */
export function isAppSource(file: string): boolean {
  return /\.(ts|mts|cts)$/.test(file) && !/\.d\.[mc]?ts$/.test(file) && !/\.calltest\.[mc]?ts$/.test(file);
}
