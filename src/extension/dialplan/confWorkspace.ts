import * as vscode from 'vscode';
import { Disposable } from '../util/disposable';
import { ConfModel, ParseCache } from './confModel';
import { detectRoots, toPosix } from './roots';
import type { ConfSnapshot } from './preprocess';

/** One configuration tree of the workspace: its files in memory and its model. */
export class ConfRoot {
  /** Text of the loaded files (.xml), by POSIX path. */
  readonly files = new Map<string, string>();
  /** Every file under the root (for include globs). */
  readonly paths = new Set<string>();
  readonly cache = new ParseCache();
  private _model: ConfModel | undefined;

  constructor(
    readonly path: string,
    private readonly overlay: (path: string) => string | undefined,
  ) {}

  get model(): ConfModel {
    this._model ??= new ConfModel(this.path, this.snapshot(), this.cache);
    return this._model;
  }

  invalidate(): void {
    this._model = undefined;
  }

  /** The files as FreeSWITCH would read them, with unsaved editor text in place of the disk's. */
  snapshot(): ConfSnapshot {
    const paths = [...this.paths];
    return {
      read: (p) => this.overlay(p) ?? this.files.get(p),
      paths: () => paths,
    };
  }

  contains(path: string): boolean {
    return path === this.path || path.startsWith(`${this.path}/`);
  }
}

const MAX_FILES = 5000;
const MAX_FILE_BYTES = 4 * 1024 * 1024;

/**
 * The FreeSWITCH configuration trees of the workspace: the `freeswitch.dialplan.configurationRoots`
 * setting, or folders that look like a conf tree (freeswitch.xml, vars.xml, dialplan/,
 * autoload_configs/). Files are read once and kept in step with the disk and with open editors;
 * each change rebuilds that tree's model (coalesced) and fires onDidChange.
 */
export class ConfWorkspace extends Disposable {
  private roots: ConfRoot[] = [];
  private readonly _onDidChange = this._register(new vscode.EventEmitter<void>());
  /** A root's files or the set of roots changed. */
  readonly onDidChange = this._onDidChange.event;
  private timer: NodeJS.Timeout | undefined;
  private loading: Promise<void> | undefined;
  private readonly dirty = new Set<ConfRoot>();
  private redetect = false;

  constructor(private readonly log: vscode.LogOutputChannel) {
    super();
    const watcher = this._register(vscode.workspace.createFileSystemWatcher('**/*'));
    this._register(watcher.onDidCreate((uri) => this.onDisk(uri, 'create')));
    this._register(watcher.onDidChange((uri) => this.onDisk(uri, 'change')));
    this._register(watcher.onDidDelete((uri) => this.onDisk(uri, 'delete')));
    this._register(vscode.workspace.onDidChangeTextDocument((e) => this.touch(e.document.uri)));
    this._register(vscode.workspace.onDidCloseTextDocument((d) => this.touch(d.uri)));
    this._register(vscode.workspace.onDidOpenTextDocument((d) => this.touch(d.uri)));
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('freeswitch.dialplan.configurationRoots')) void this.reload();
      }),
    );
    this._register(vscode.workspace.onDidChangeWorkspaceFolders(() => void this.reload()));
    this._register({ dispose: () => clearTimeout(this.timer) });
    void this.reload();
  }

  /** Resolves once the first load is done (tests and commands wait on it). */
  ready(): Promise<void> {
    return this.loading ?? Promise.resolve();
  }

  get all(): readonly ConfRoot[] {
    return this.roots;
  }

  rootFor(uri: vscode.Uri): ConfRoot | undefined {
    if (uri.scheme !== 'file') return undefined;
    const path = toPosix(uri.fsPath);
    return this.roots.find((r) => r.contains(path));
  }

  /** The root holding freeswitch.xml that `uri` belongs to, else the only one with it. */
  entryRootFor(uri: vscode.Uri | undefined): ConfRoot | undefined {
    const own = uri && this.rootFor(uri);
    if (own?.model.entry) return own;
    const withEntry = this.roots.filter((r) => r.model.entry);
    return withEntry.length === 1 ? withEntry[0] : (own ?? withEntry[0]);
  }

  private overlay = (path: string): string | undefined => {
    for (const doc of vscode.workspace.textDocuments) {
      if (doc.uri.scheme === 'file' && toPosix(doc.uri.fsPath) === path) return doc.getText();
    }
    return undefined;
  };

  reload(): Promise<void> {
    this.loading = this.load().catch((err: unknown) => this.log.error(`dialplan: loading the configuration failed: ${err instanceof Error ? err.message : String(err)}`));
    return this.loading;
  }

  private async load(): Promise<void> {
    const configured = vscode.workspace.getConfiguration('freeswitch').get<string[]>('dialplan.configurationRoots', []);
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => toPosix(f.uri.fsPath));
    let rootPaths: string[];
    if (configured.length > 0) {
      rootPaths = configured.map((p) => (p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) ? toPosix(p) : `${folders[0] ?? ''}/${p}`.replace(/\/+$/, '')));
    } else {
      const markers = await vscode.workspace.findFiles('**/{freeswitch.xml,vars.xml,dialplan/*.xml,autoload_configs/*.xml}', '**/node_modules/**', 500);
      rootPaths = detectRoots(markers.map((u) => toPosix(u.fsPath)));
    }
    const roots = rootPaths.map((p) => new ConfRoot(p, this.overlay));
    for (const root of roots) await this.loadRoot(root);
    this.roots = roots;
    this.log.info(`dialplan: configuration roots: ${roots.map((r) => `${r.path} (${r.files.size} XML files)`).join(', ') || 'none'}`);
    this._onDidChange.fire();
  }

  private async loadRoot(root: ConfRoot): Promise<void> {
    const uris = await vscode.workspace.findFiles(new vscode.RelativePattern(vscode.Uri.file(root.path), '**/*'), '**/node_modules/**', MAX_FILES);
    await Promise.all(
      uris.map(async (uri) => {
        const path = toPosix(uri.fsPath);
        root.paths.add(path);
        if (path.endsWith('.xml')) {
          const text = await readText(uri);
          if (text !== undefined) root.files.set(path, text);
        }
      }),
    );
  }

  private async onDisk(uri: vscode.Uri, kind: 'create' | 'change' | 'delete'): Promise<void> {
    if (uri.scheme !== 'file') return;
    const path = toPosix(uri.fsPath);
    const root = this.roots.find((r) => r.contains(path));
    if (!root) {
      // A new conf tree may have appeared: an XML file, or a folder (a copied tree can arrive as
      // one event for its top folder). A deleted folder may have held a root.
      const name = path.slice(path.lastIndexOf('/') + 1);
      if (kind === 'create' && (name.endsWith('.xml') || !name.includes('.'))) this.schedule(undefined);
      if (kind === 'delete' && this.roots.some((r) => r.path.startsWith(`${path}/`))) this.schedule(undefined);
      return;
    }
    if (kind === 'delete') {
      // A folder's deletion arrives as one event for the folder.
      for (const p of [...root.paths]) if (p === path || p.startsWith(`${path}/`)) root.paths.delete(p);
      for (const p of [...root.files.keys()]) if (p === path || p.startsWith(`${path}/`)) root.files.delete(p);
    } else {
      root.paths.add(path);
      if (path.endsWith('.xml')) {
        const text = await readText(uri);
        if (text !== undefined) root.files.set(path, text);
      }
    }
    this.schedule(root);
  }

  private touch(uri: vscode.Uri): void {
    const root = this.rootFor(uri);
    if (root) this.schedule(root);
  }

  /** Coalesces changes: one model rebuild per root per 120 ms; undefined re-detects the roots. */
  private schedule(root: ConfRoot | undefined): void {
    if (root) this.dirty.add(root);
    else this.redetect = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      for (const r of this.dirty) r.invalidate();
      this.dirty.clear();
      const redetect = this.redetect;
      this.redetect = false;
      if (redetect && vscode.workspace.getConfiguration('freeswitch').get<string[]>('dialplan.configurationRoots', []).length === 0) void this.reload();
      else this._onDidChange.fire();
    }, 120);
  }
}

async function readText(uri: vscode.Uri): Promise<string | undefined> {
  try {
    const stat = await vscode.workspace.fs.stat(uri);
    if (stat.size > MAX_FILE_BYTES) return undefined;
    return new TextDecoder('utf-8').decode(await vscode.workspace.fs.readFile(uri));
  } catch {
    return undefined;
  }
}
