/**
 * The Load Tests view: the workspace's `*.fsload.json` profiles and the runs kept in
 * `.fsdev/runs/<time>/`, with their row commands. What a row says comes from loadRuns.ts
 * (vscode-free); opening and comparing are the Load Test panel's own commands.
 */
import * as vscode from 'vscode';
import { DisposableStore } from '../../core';
import type { Services } from '../services';
import { textTooltip } from '../tree/nodes';
import { neutralise } from '../tree/format';
import { Disposable } from '../util/disposable';
import { isReadable, listLoadRuns, runDescription, runStartText, runTooltipLines, runVerdict, type LoadRunEntry } from './loadRuns';
import { compareRunFolders, runsRoot } from './loadTestPanel';

/** "Profiles" or "Runs": one object each, so a refresh and an action reach the same row. */
class SectionNode {
  constructor(readonly section: 'profiles' | 'runs') {}
}

/** A `*.fsload.json`; `uri` is what "Open in Load Test Panel" reads from a row. */
class ProfileNode {
  constructor(readonly uri: vscode.Uri) {}
}

/** A run folder; `uri` is the folder. */
class RunNode {
  constructor(
    readonly entry: LoadRunEntry,
    readonly uri: vscode.Uri,
  ) {}
}

type LoadTestsRow = SectionNode | ProfileNode | RunNode;

const SECTIONS = { profiles: new SectionNode('profiles'), runs: new SectionNode('runs') };
/** Watcher events come in bursts (a run's folder, a checkout of many profiles): one re-read each. */
const COALESCE_MS = 300;

export class LoadTestsView extends Disposable implements vscode.TreeDataProvider<LoadTestsRow> {
  private readonly changeEmitter = this._register(new vscode.EventEmitter<LoadTestsRow | undefined>());
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly view: vscode.TreeView<LoadTestsRow>;
  /** Replaced whole when the workspace folders change. */
  private watchers = new DisposableStore();
  private readonly cache = new Map<string, { size: number; entry: LoadRunEntry }>();
  private profiles: ProfileNode[] = [];
  private runs: RunNode[] = [];
  /** The last re-read; none until the view first asks for rows (a hidden view costs nothing). */
  private loaded: Promise<void> | undefined;
  /** Counts re-reads, so one that finishes after a later one started does not overwrite it. */
  private generation = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly log: vscode.LogOutputChannel) {
    super();
    this.view = this._register(vscode.window.createTreeView('freeswitch.loadTests', { treeDataProvider: this }));
    this._register(
      // Shown again: re-read, since what changed while it was hidden was not.
      this.view.onDidChangeVisibility((e) => {
        if (e.visible && this.loaded) this.changed();
      }),
    );
    this._register(
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        this.watch();
        this.changed();
      }),
    );
    this._register({
      dispose: () => {
        clearTimeout(this.timer);
        this.watchers.dispose();
      },
    });
    this.watch();
  }

  /** Readable runs, newest first (Compare with… offers them). */
  get readableRuns(): RunNode[] {
    return this.runs.filter((r) => isReadable(r.entry));
  }

  /** Re-reads profiles and runs now (the title's Refresh, after a delete). */
  refresh(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    return (this.loaded = this.reload());
  }

  private watch(): void {
    this.watchers.dispose();
    this.watchers = new DisposableStore();
    const changed = (): void => this.changed();
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const profiles = this.watchers.add(vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, '**/*.fsload.json'), false, true, false));
      // A run appears when its summary.json is written at the end, not when its folder is made.
      const summaries = this.watchers.add(vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, '.fsdev/runs/*/summary.json')));
      // A folder deleted whole (rm -r, Delete Run…) may report only the folder.
      const folders = this.watchers.add(vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, '.fsdev/runs/*'), true, true, false));
      for (const w of [profiles, summaries]) this.watchers.add(w.onDidCreate(changed));
      for (const w of [profiles, summaries, folders]) this.watchers.add(w.onDidDelete(changed));
      this.watchers.add(summaries.onDidChange(changed));
    }
  }

  /**
   * Something under .fsdev/runs or a profile changed: a re-read, coalesced. A hidden view ignores
   * it (it re-reads when shown). Also called by the Load Test panel once its run wrote its
   * summary.json, because watcher events are not guaranteed: in one e2e run in code-server the
   * view stayed without the suite's three runs, each written in a folder made seconds before.
   */
  changed(): void {
    if (!this.view.visible) return;
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.loaded = this.reload();
    }, COALESCE_MS);
  }

  private async reload(): Promise<void> {
    const generation = ++this.generation;
    try {
      const root = runsRoot();
      const [profiles, runs] = await Promise.all([
        vscode.workspace.findFiles('**/*.fsload.json', '**/node_modules/**'),
        root ? listLoadRuns(root.fsPath, this.cache) : Promise.resolve([]),
      ]);
      if (generation !== this.generation) return;
      const relative = (uri: vscode.Uri): string => vscode.workspace.asRelativePath(uri);
      this.profiles = profiles.sort((a, b) => relative(a).localeCompare(relative(b))).map((uri) => new ProfileNode(uri));
      this.runs = runs.map((entry) => new RunNode(entry, vscode.Uri.file(entry.dir)));
    } catch (err) {
      this.log.warn(`Load Tests view: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!this.isDisposed) this.changeEmitter.fire(undefined);
  }

  async getChildren(row?: LoadTestsRow): Promise<LoadTestsRow[]> {
    if (!row) {
      await (this.loaded ??= this.reload());
      // Nothing at all: VS Code shows the view's welcome content instead.
      return [...(this.profiles.length ? [SECTIONS.profiles] : []), ...(this.runs.length ? [SECTIONS.runs] : [])];
    }
    if (row === SECTIONS.profiles) return this.profiles;
    if (row === SECTIONS.runs) return this.runs;
    return [];
  }

  getTreeItem(row: LoadTestsRow): vscode.TreeItem {
    if (row instanceof SectionNode) {
      const profiles = row.section === 'profiles';
      const item = new vscode.TreeItem(profiles ? 'Profiles' : 'Runs', vscode.TreeItemCollapsibleState.Expanded);
      item.id = `section:${row.section}`;
      item.description = String(profiles ? this.profiles.length : this.runs.length);
      item.iconPath = new vscode.ThemeIcon(profiles ? 'file-code' : 'history');
      item.contextValue = profiles ? 'loadProfiles' : 'loadRuns';
      return item;
    }
    if (row instanceof ProfileNode) {
      const item = new vscode.TreeItem(neutralise(row.uri.path.split('/').pop() ?? row.uri.path));
      item.id = `profile:${row.uri.toString()}`;
      const relative = vscode.workspace.asRelativePath(row.uri, false);
      item.description = neutralise(relative.includes('/') ? relative.slice(0, relative.lastIndexOf('/')) : '');
      item.tooltip = textTooltip([relative, 'Click to open the file; ▷ opens it in the Load Test panel']);
      item.iconPath = new vscode.ThemeIcon('file-code');
      item.contextValue = 'loadProfile';
      item.command = { command: 'freeswitch.load.openProfileFile', title: 'Open File', arguments: [row] };
      return item;
    }
    const { entry } = row;
    const locale = vscode.env.language;
    const item = new vscode.TreeItem(neutralise(runStartText(entry, locale)));
    item.id = `run:${entry.name}`;
    item.tooltip = textTooltip(runTooltipLines(entry, locale));
    if (!isReadable(entry)) {
      item.description = neutralise(`${entry.name} · unreadable summary.json`);
      item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
      item.contextValue = 'loadRun unreadable';
      return item;
    }
    item.description = runDescription(entry.run);
    const verdict = runVerdict(entry.run);
    item.iconPath =
      verdict === 'passed'
        ? new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'))
        : verdict === 'failed'
          ? new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'))
          : new vscode.ThemeIcon('pulse');
    item.contextValue = 'loadRun readable';
    item.command = { command: 'freeswitch.load.openRun', title: 'Open Load Test Run', arguments: [row.uri] };
    return item;
  }
}

// ---- command handlers (registered in commands/index.ts) ----

function runArg(args: readonly unknown[] | undefined): RunNode {
  const row = args?.[0];
  if (row instanceof RunNode) return row;
  throw new Error('Pick a run in the Load Tests view.');
}

/** Refresh (the Load Tests view's title). */
export async function refreshLoadTests(services: Services): Promise<void> {
  await services.loadTestsView.refresh();
}

/** Compare with… (a run's context menu): the other readable runs in a QuickPick, then both side by side. */
export async function compareLoadTestRunWith(services: Services, _node?: unknown, args?: readonly unknown[]): Promise<void> {
  const run = runArg(args);
  const locale = vscode.env.language;
  const others = services.loadTestsView.readableRuns.filter((r) => r.entry.name !== run.entry.name);
  if (others.length === 0) throw new Error('There is no other readable run in .fsdev/runs to compare with.');
  const pick = await vscode.window.showQuickPick(
    others.map((r) => ({ label: neutralise(runStartText(r.entry, locale)), description: isReadable(r.entry) ? runDescription(r.entry.run) : '', detail: neutralise(r.entry.name), run: r })),
    { title: `Compare ${neutralise(runStartText(run.entry, locale))} with…`, matchOnDetail: true },
  );
  if (pick) await compareRunFolders(services, [run.uri, pick.run.uri]);
}

/** Reveal in Explorer View: the run's summary.json. */
export async function revealLoadTestRun(_services: Services, _node?: unknown, args?: readonly unknown[]): Promise<void> {
  await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.joinPath(runArg(args).uri, 'summary.json'));
}

/** Delete Run… after a modal confirmation naming it; to the trash where the file system has one. */
export async function deleteLoadTestRun(services: Services, _node?: unknown, args?: readonly unknown[]): Promise<void> {
  const run = runArg(args);
  const name = `${neutralise(runStartText(run.entry, vscode.env.language))} (${neutralise(run.entry.name)})`;
  const detail = `${neutralise(run.entry.dir)} and everything in it will be deleted.`;
  const ok = await vscode.window.showWarningMessage(`Delete the load test run of ${name}?`, { modal: true, detail }, 'Delete');
  if (ok !== 'Delete') return;
  try {
    await vscode.workspace.fs.delete(run.uri, { recursive: true, useTrash: true });
  } catch (err) {
    // Gone already (deleted in the Explorer meanwhile): nothing to ask.
    if (err instanceof vscode.FileSystemError && err.code === 'FileNotFound') return services.loadTestsView.refresh();
    // A remote file system (code-server, SSH) may have no trash: ask again before deleting for good.
    const why = err instanceof Error ? err.message : String(err);
    const again = await vscode.window.showWarningMessage(`The run could not be moved to the trash. Delete ${name} permanently?`, { modal: true, detail: neutralise(why) }, 'Delete Permanently');
    if (again !== 'Delete Permanently') return;
    await vscode.workspace.fs.delete(run.uri, { recursive: true, useTrash: false });
  }
  services.log.info(`load: deleted run ${run.entry.dir}`);
  await services.loadTestsView.refresh();
}

/** Open File (a profile's row, and clicking it). */
export async function openLoadProfileFile(_services: Services, _node?: unknown, args?: readonly unknown[]): Promise<void> {
  const row = args?.[0];
  if (!(row instanceof ProfileNode)) throw new Error('Pick a profile in the Load Tests view.');
  await vscode.window.showTextDocument(row.uri);
}
