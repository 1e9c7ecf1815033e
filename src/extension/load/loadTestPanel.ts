/**
 * The Load Test panel (a webview), its generator process, the run folders under `.fsdev/runs/`,
 * the status bar item of a run in progress, and the `*.fsload.json` CodeLens. The vscode-free
 * logic is in loadTestModel.ts; the generator is src/apphost/loadHost.ts in its own process.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_LOAD_SETTINGS, isLoadHostReply, type LoadHostRequest, type LoadServerOption, type LoadSettings, type LoadTestNotification, type LoadTestState } from '../../shared/protocol/loadTest';
import { webviewHtml } from '../../shared/webviewHtml';
import type { ServerConnection } from '../servers/serverConnection';
import type { Services } from '../services';
import { Disposable } from '../util/disposable';
import { neutralise } from '../tree/format';
import { profileSettings } from './loadProfile';
import { isReadable, listLoadRuns, runDescription } from './loadRuns';
import { LoadTestModel, comparisonStates, runFolderName, savedRunState } from './loadTestModel';

function panelHtml(webview: vscode.Webview, extensionUri: vscode.Uri, title: string): string {
  const uri = (f: string): string => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', f)).toString();
  return webviewHtml({ cspSource: webview.cspSource, nonce: randomBytes(16).toString('base64'), title, scriptUri: uri('loadTest.js'), styleUris: [uri('codicon.css'), uri('loadTest.css')] });
}

function serverOptions(services: Services): LoadServerOption[] {
  return services.manager.servers.map((s) => ({ name: s.config.name, label: `${s.config.name} (${s.config.host}:${s.config.port})`, connected: s.isConnected }));
}

/** `.fsdev/runs` of the first workspace folder, or undefined without a folder. */
export function runsRoot(): vscode.Uri | undefined {
  const folder = vscode.workspace.workspaceFolders?.[0];
  return folder && vscode.Uri.joinPath(folder.uri, '.fsdev', 'runs');
}

/** One Load Test panel: a live run's form and dashboard, or a saved run. */
class LoadTestPanel extends Disposable {
  readonly panel: vscode.WebviewPanel;
  readonly model: LoadTestModel;
  private child: ChildProcess | undefined;

  constructor(
    private readonly owner: LoadTests,
    saved?: LoadTestState,
    column: vscode.ViewColumn = vscode.ViewColumn.Active,
  ) {
    super();
    const services = owner.services;
    const extensionUri = services.context.extensionUri;
    const title = saved ? `Load Test Run ${saved.runDir?.split(/[\\/]/).pop() ?? ''}` : 'Load Test';
    this.panel = this._register(
      vscode.window.createWebviewPanel('freeswitch.loadTest', title, column, {
        enableScripts: true,
        retainContextWhenHidden: false,
        localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')],
      }),
    );
    const connected = services.manager.servers.filter((s) => s.isConnected).map((s) => s.config.name);
    const settings: LoadSettings = { ...DEFAULT_LOAD_SETTINGS, servers: connected.slice(0, 1) };
    this.model = new LoadTestModel(
      {
        post: (n: LoadTestNotification) => void this.panel.webview.postMessage(n),
        start: (s) => this.start(s),
        send: (r) => this.send(r),
        openTimeline: (server, uuid) => void this.openTimeline(server, uuid),
        openRunFolder: () => {
          if (this.model.state.runDir) void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(this.model.state.runDir));
        },
        changed: () => owner.updateStatus(),
      },
      saved ? [] : serverOptions(services),
      saved?.settings ?? settings,
    );
    if (saved) Object.assign(this.model.state, saved);
    this._register(this.panel.webview.onDidReceiveMessage((m: unknown) => this.model.handle(m)));
    this._register(this.panel.onDidChangeViewState((e) => this.model.setVisible(e.webviewPanel.visible)));
    this._register(this.panel.onDidDispose(() => this.dispose()));
    if (!saved) this._register(services.manager.onDidChangeServers(() => this.model.setServers(serverOptions(services))));
    this.panel.webview.html = panelHtml(this.panel.webview, extensionUri, title);
  }

  get running(): boolean {
    return this.model.running;
  }

  /** Puts settings in the form (a profile's, a group's servers); `what` names them in the refusal. */
  applySettings(settings: LoadSettings, what = 'loading a profile'): void {
    if (this.running) throw new Error(`A load test is running: stop it before ${what}.`);
    this.model.setSettings(settings);
  }

  private async start(settings: LoadSettings): Promise<void> {
    const services = this.owner.services;
    const servers: { name: string; host: string; port: number; user?: string; password: string }[] = [];
    for (const name of settings.servers) {
      const server = services.manager.get(name);
      if (!server?.isConnected) throw new Error(`${name} is not connected.`);
      const password = await services.manager.passwordFor(server);
      if (password === undefined) throw new Error(`No password is known for ${name}: connect it from the Servers view first.`);
      servers.push({ name, host: server.config.host, port: server.config.port, ...(server.config.user ? { user: server.config.user } : {}), password });
    }
    const root = runsRoot();
    const dir = root ? join(root.fsPath, runFolderName(new Date())) : join(services.context.globalStorageUri.fsPath, 'runs', runFolderName(new Date()));
    mkdirSync(dir, { recursive: true });
    this.model.setRunDir(dir);
    const child = fork(join(services.context.extensionPath, 'dist', 'loadhost.js'), [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json' });
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => services.log.info(`load: ${d.toString('utf8').trimEnd()}`));
    child.stderr?.on('data', (d: Buffer) => services.log.warn(`load: ${d.toString('utf8').trimEnd()}`));
    child.on('message', (m: unknown) => {
      if (!isLoadHostReply(m)) return;
      if (m.type === 'log' || m.type === 'warn' || m.type === 'error') services.log.info(`load: ${m.message}`);
      if (m.type === 'done') {
        services.log.info(`load: run over; summary ${m.summaryFile}`);
        services.loadTestsView.changed();
      }
      this.model.onReply(m);
    });
    child.on('exit', (code) => {
      if (this.child === child) this.child = undefined;
      this.model.onExit(code);
      this.owner.updateStatus();
    });
    child.send({ type: 'start', servers, settings, outDir: dir } satisfies LoadHostRequest);
    services.log.info(`load: started generator ${child.pid ?? ''} for ${settings.servers.join(', ')} at ${settings.rate}/s; records in ${dir}`);
  }

  private send(r: LoadHostRequest): void {
    if (this.child?.connected) this.child.send(r);
  }

  private async openTimeline(serverName: string, uuid: string): Promise<void> {
    const server: ServerConnection | undefined = this.owner.services.manager.get(serverName);
    try {
      if (!server) throw new Error(`No server named ${serverName} is configured.`);
      await this.owner.services.webviews.openTimelineForUuid(server, uuid);
    } catch (err) {
      void vscode.window.showErrorMessage(err instanceof Error ? err.message : String(err));
    }
  }

  override dispose(): void {
    // Closing the panel ends the run: the generator hangs up this run's calls when its channel goes.
    if (this.child?.connected) this.child.disconnect();
    this.owner.closed(this);
    super.dispose();
  }
}

/** Owns the Load Test panels and the status bar item of the run in progress. */
export class LoadTests extends Disposable {
  private live: LoadTestPanel | undefined;
  private readonly saved = new Set<LoadTestPanel>();
  private readonly status: vscode.StatusBarItem;

  constructor(readonly services: Services) {
    super();
    this.status = this._register(vscode.window.createStatusBarItem('freeswitch.loadTest', vscode.StatusBarAlignment.Left, 10));
    this.status.name = 'FreeSWITCH Load Test';
    this.status.command = 'freeswitch.load.open';
  }

  open(): LoadTestPanel {
    if (this.live) this.live.panel.reveal();
    else this.live = new LoadTestPanel(this);
    return this.live;
  }

  openSaved(state: LoadTestState, column?: vscode.ViewColumn): LoadTestPanel {
    const p = new LoadTestPanel(this, state, column);
    this.saved.add(p);
    return p;
  }

  closed(p: LoadTestPanel): void {
    if (this.live === p) this.live = undefined;
    this.saved.delete(p);
    this.updateStatus();
  }

  updateStatus(): void {
    const model = this.live?.model;
    if (!model?.running) {
      this.status.hide();
      return;
    }
    const t = model.state.totals;
    const phase = model.state.phase;
    const rate = t ? `${t.currentRate.toFixed(t.currentRate < 10 ? 1 : 0)}/s` : '';
    const elapsed = t ? `${Math.floor(t.elapsedS)} s` : '';
    this.status.text = `$(pulse) Load ${phase === 'originating' ? rate : phase}${t ? ` · ${t.inProgress} up · ${elapsed}` : ''}`;
    this.status.tooltip = t ? `Load test ${phase}: ${t.offered} offered, ${t.answered} answered, ${t.failed} failed, ${t.notOffered} not offered` : `Load test ${phase}`;
    this.status.show();
  }

  override dispose(): void {
    this.live?.dispose();
    for (const p of [...this.saved]) p.dispose();
    super.dispose();
  }
}

const owners = new WeakMap<Services, LoadTests>();

/** The LoadTests of this activation (made on first use, disposed with the extension). */
function loadTests(services: Services): LoadTests {
  let owner = owners.get(services);
  if (!owner) {
    owner = new LoadTests(services);
    owners.set(services, owner);
    services.context.subscriptions.push(owner);
  }
  return owner;
}

// ---- command handlers (registered in commands/index.ts) ----

/** FreeSWITCH: Open Load Test. */
export async function openLoadTest(services: Services): Promise<void> {
  loadTests(services).open();
}

/** Opens the Load Test panel with exactly `servers` (names of connected servers) ticked: Open Load Test on Group. */
export function openLoadTestOn(services: Services, servers: readonly string[]): void {
  const panel = loadTests(services).open();
  panel.applySettings({ ...panel.model.state.settings, servers: [...servers] }, 'picking the servers of a group');
}

/** A command's file or folder: a URI (a lens, the explorer, a click) or a Load Tests row, which carries its own. */
function uriArgument(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (arg && typeof arg === 'object' && 'uri' in arg && arg.uri instanceof vscode.Uri) return arg.uri;
  return undefined;
}

/** A run folder's summary.json as a saved panel state; throws with the path and the problem. */
function readRun(dir: vscode.Uri): LoadTestState {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(join(dir.fsPath, 'summary.json'), 'utf8'));
  } catch (err) {
    throw new Error(`${dir.fsPath} holds no readable summary.json: ${err instanceof Error ? err.message : String(err)}`);
  }
  const state = savedRunState(data, dir.fsPath);
  if ('error' in state) throw new Error(`${dir.fsPath}: ${state.error}`);
  return state;
}

/** FreeSWITCH: Open Load Test Run… (a folder under .fsdev/runs with its summary.json). */
export async function openLoadTestRun(services: Services, _node?: unknown, args?: readonly unknown[]): Promise<void> {
  let dir = uriArgument(args?.[0]);
  if (!dir) {
    const root = runsRoot();
    const runs = root ? await listLoadRuns(root.fsPath) : [];
    if (root && runs.length) {
      const items = runs.map((r) => ({ label: neutralise(r.name), description: isReadable(r) ? runDescription(r.run) : 'unreadable summary.json', dir: vscode.Uri.file(r.dir) }));
      const pick = await vscode.window.showQuickPick([...items, { label: 'Browse…', description: '', dir: undefined }], { title: 'Open Load Test Run' });
      if (!pick) return;
      dir = pick.dir;
    }
    if (!dir) {
      const chosen = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: 'Open Load Test Run (a folder with summary.json)', ...(root ? { defaultUri: root } : {}) });
      dir = chosen?.[0];
      if (!dir) return;
    }
  }
  loadTests(services).openSaved(readRun(dir));
}

/** FreeSWITCH: Compare Load Test Runs… (two runs of .fsdev/runs, side by side, each with both runs overlaid). */
export async function compareLoadTestRuns(services: Services): Promise<void> {
  const root = runsRoot();
  const runs = (root ? await listLoadRuns(root.fsPath) : []).filter(isReadable);
  if (runs.length < 2) throw new Error('Comparing needs two runs in .fsdev/runs of the workspace; run the Load Test panel twice, or write a run there with `fsdev load --out .fsdev/runs/NAME`.');
  const picks = await vscode.window.showQuickPick(
    runs.map((r) => ({ label: neutralise(r.name), description: runDescription(r.run), dir: vscode.Uri.file(r.dir) })),
    { title: 'Compare Load Test Runs: pick two', canPickMany: true },
  );
  if (!picks) return;
  if (picks.length !== 2) throw new Error(`Pick exactly two runs to compare (${picks.length} picked).`);
  await compareRunFolders(services, [picks[0]!.dir, picks[1]!.dir]);
}

/** Opens two run folders side by side, each with both runs overlaid (Compare Load Test Runs…, a run's Compare with…). */
export async function compareRunFolders(services: Services, dirs: readonly [vscode.Uri, vscode.Uri]): Promise<void> {
  // Older run first: on the left, and first in the overlaid legends. By the files' start times, not
  // the folder names: `fsdev load --out` folders are named by whoever ran it.
  const [older, newer] = dirs.map(readRun).sort((x, y) => (x.startedAt ?? '').localeCompare(y.startedAt ?? ''));
  const [a, b] = comparisonStates(older!, newer!);
  // The second opens once the first view runs: two webviews created in the same turn can leave the
  // first one blank (seen in code-server).
  const first = loadTests(services).openSaved(a, vscode.ViewColumn.One);
  await Promise.race([first.model.whenReady, new Promise((r) => setTimeout(r, 5000))]);
  loadTests(services).openSaved(b, vscode.ViewColumn.Beside);
}

/** Load Profile in Load Test Panel (CodeLens on *.fsload.json, palette, explorer, a Load Tests row). */
export async function openLoadProfile(services: Services, _node?: unknown, args?: readonly unknown[]): Promise<void> {
  const uri = uriArgument(args?.[0]) ?? vscode.window.activeTextEditor?.document.uri;
  if (!uri || !uri.path.endsWith('.fsload.json')) throw new Error('Open a *.fsload.json profile first.');
  const doc = await vscode.workspace.openTextDocument(uri);
  const configured = services.manager.servers.map((s) => ({ name: s.config.name, host: s.config.host, port: s.config.port }));
  const settings = profileSettings(uri.fsPath, doc.getText(), configured);
  loadTests(services).open().applySettings(settings);
}

/** The "Open in Load Test Panel" lens at the top of every `*.fsload.json`. */
export function registerLoadProfileLens(): vscode.Disposable {
  return vscode.languages.registerCodeLensProvider(
    { pattern: '**/*.fsload.json' },
    {
      provideCodeLenses: (doc) => [new vscode.CodeLens(new vscode.Range(0, 0, 0, 0), { title: '$(pulse) Open in Load Test Panel', command: 'freeswitch.load.openProfile', arguments: [doc.uri] })],
    },
  );
}
