import * as vscode from 'vscode';
import { AppManager } from './apps/appManager';
import { AppCodeLensProvider } from './apps/codeLens';
import { readSettings } from './config';
import { registerCommands } from './commands';
import { ReadonlyDocuments } from './readonlyDocuments';
import { ServerManager } from './servers/serverManager';
import { LogStreamers } from './commands/logs';
import { Consoles } from './console/openConsole';
import { DialplanFeatures } from './dialplan/dialplanFeatures';
import type { BaseServices, Services } from './services';
import { ServerStatusBar } from './statusBar';
import { ServersTreeProvider } from './tree/serversTree';
import { WebviewHub } from './webviews/panels';
import { CallTestController } from './testing/callTestController';
import { registerLoadProfileLens } from './load/loadTestPanel';
import { LoadTestsView } from './load/loadRunsTree';
import { openRecordingFile, Recordings } from './recordings/recordings';

/** What activate() returns: the extension's API for tests and diagnostics. */
export interface ExtensionApi {
  services: Services;
  tree: ServersTreeProvider;
  /** How long activate() took, in milliseconds. */
  activationMs: number;
}

export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('FreeSWITCH', { log: true });
  context.subscriptions.push(log);
  const manager = new ServerManager(context.secrets, log);
  context.subscriptions.push(manager);
  const documents = new ReadonlyDocuments();
  context.subscriptions.push(documents);
  const statusBar = new ServerStatusBar(manager, context.workspaceState);
  context.subscriptions.push(statusBar);

  const base: BaseServices = {
    context,
    manager,
    log,
    documents,
    activeServer: () => statusBar.active,
    setActiveServer: (server) => statusBar.setActive(server),
  };
  const consoles = new Consoles(base);
  const logStreams = new LogStreamers(base);
  const webviews = new WebviewHub(base);
  const apps = new AppManager(manager, context.extensionPath);
  context.subscriptions.push(consoles, logStreams, webviews, apps);
  // Call tests in the Test Explorer; they run in a test host process, never here.
  context.subscriptions.push(new CallTestController(manager, webviews, context.extensionPath, log, context.workspaceState));
  const dialplan = new DialplanFeatures(context.extensionUri, manager, base.activeServer, documents, log);
  context.subscriptions.push(dialplan);
  const recordings = new Recordings(log, apps);
  context.subscriptions.push(recordings);
  const loadTestsView = new LoadTestsView(log);
  context.subscriptions.push(loadTestsView);
  const services: Services = { ...base, consoles, logStreams, webviews, apps, dialplan, recordings, loadTestsView };
  recordings.opener = (uri) => void openRecordingFile(services, uri).catch((err: unknown) => void vscode.window.showErrorMessage(String(err instanceof Error ? err.message : err)));
  const codeLenses = new AppCodeLensProvider(apps);
  context.subscriptions.push(codeLenses, vscode.languages.registerCodeLensProvider({ scheme: 'file', language: 'typescript' }, codeLenses));
  context.subscriptions.push(registerLoadProfileLens());

  const tree = new ServersTreeProvider(manager, apps);
  const view = vscode.window.createTreeView('freeswitch.servers', { treeDataProvider: tree, showCollapseAll: true });
  tree.attach(view);
  context.subscriptions.push(tree, view, ...registerCommands(services));

  // Context keys for `when` clauses in package.json.
  const updateContext = (): void => {
    void vscode.commands.executeCommand('setContext', 'freeswitch.hasServers', manager.servers.length > 0);
    void vscode.commands.executeCommand('setContext', 'freeswitch.anyConnected', manager.servers.some((s) => s.isConnected));
    void vscode.commands.executeCommand('setContext', 'freeswitch.hasGroups', manager.servers.some((s) => s.config.group !== undefined));
  };
  context.subscriptions.push(manager.onDidChangeServers(updateContext));
  updateContext();

  if (readSettings().autoConnect) void manager.connectAllWithStoredPasswords();
  const activationMs = performance.now() - started;
  log.info(`activated in ${activationMs.toFixed(1)} ms`);
  return { services, tree, activationMs };
}

export function deactivate(): void {
  // Everything is owned by context.subscriptions.
}
