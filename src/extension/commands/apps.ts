import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { APP_ID_VAR, buildOriginate, UnsafeInputError } from '../../core';
import type { AppStatus, LoadResult } from '../../shared/protocol/appHost';
import { AppManager, appsInclude } from '../apps/appManager';
import { appIdForFile } from '../apps/appsPure';
import { appTemplate, validateAppName } from '../apps/template';
import { giveTypes } from '../apps/typesConfigPrompt';
import type { ServerConnection } from '../servers/serverConnection';
import type { Services } from '../services';
import type { TreeNode } from '../tree/nodes';
import { Cancelled, pickServer, requireConnected } from './pickers';

/** A host app from a tree node, else a QuickPick over the connected servers' host apps. */
async function pickHostApp(services: Services, node: TreeNode | undefined, title: string): Promise<{ server: ServerConnection; app: AppStatus }> {
  if (node?.kind === 'hostApp') return { server: node.server, app: node.app };
  const servers = node ? [node.server] : services.manager.servers.filter((s) => s.isConnected);
  const items = servers.flatMap((server) =>
    (services.apps.host(server)?.apps ?? []).map((app) => ({ label: app.name, description: `${app.id} · ${server.config.name}`, detail: app.entry, server, app })),
  );
  if (items.length === 0) {
    void vscode.window.showInformationMessage('No apps are loaded in an app host. Use "FreeSWITCH: Load App…" or "New App from Template".');
    throw new Cancelled();
  }
  if (items.length === 1) return items[0]!;
  const picked = await vscode.window.showQuickPick(items, { title, placeHolder: 'App', matchOnDetail: true });
  if (!picked) throw new Cancelled();
  return picked;
}

function reportLoad(services: Services, server: ServerConnection, appId: string, result: LoadResult): void {
  if (result.loaded) {
    void vscode.window.setStatusBarMessage(`$(check) ${appId} v${result.app.version} loaded on ${server.config.name}`, 4000);
    return;
  }
  const kept = result.previousVersionRunning ? ' The previous version keeps running.' : '';
  const problems = 'Show Problems';
  void vscode.window.showErrorMessage(`${appId} did not load on ${server.config.name}: ${result.message.split('\n')[0]}.${kept}`, problems).then((picked) => {
    if (picked === problems) void vscode.commands.executeCommand('workbench.actions.view.problems');
  });
  services.apps.output.error(`${appId}: ${result.message}`);
}

/** "Load App…": any .ts file, on a connected server, under its file's name. */
export async function loadApp(services: Services, node?: TreeNode): Promise<void> {
  const server = await pickServer(services, node, { connected: true });
  requireConnected(server);
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const active = vscode.window.activeTextEditor?.document.uri;
  const picked = await vscode.window.showOpenDialog({
    title: `Load App on ${server.config.name}`,
    openLabel: 'Load App',
    canSelectMany: false,
    filters: { TypeScript: ['ts', 'mts', 'cts'] },
    ...(active?.scheme === 'file' && active.fsPath.endsWith('.ts') ? { defaultUri: active } : folder ? { defaultUri: folder } : {}),
  });
  const file = picked?.[0]?.fsPath;
  if (!file) throw new Cancelled();
  const appId = appIdForFile(file);
  reportLoad(services, server, appId, await services.apps.loadOn(server, file, appId));
}

export async function reloadApp(services: Services, node?: TreeNode): Promise<void> {
  const { server, app } = await pickHostApp(services, node, 'Reload App');
  reportLoad(services, server, app.id, await services.apps.reload(server, app.id));
}

export async function unloadApp(services: Services, node?: TreeNode): Promise<void> {
  if (node?.kind === 'hostApp') {
    await services.apps.unload(node.server, node.app.id);
    return;
  }
  if (node?.kind === 'app') {
    requireConnected(node.server);
    await node.server.client!.unloadApp(node.app.id);
    return;
  }
  const server = await pickServer(services, node, { connected: true });
  const inProcess = [...requireConnected(server).loadedApps.values()].map((app) => ({ label: app.name, description: `${app.id} · in the extension`, unload: () => server.client!.unloadApp(app.id) }));
  const hosted = (services.apps.host(server)?.apps ?? []).map((app) => ({ label: app.name, description: `${app.id} · app host`, detail: app.entry, unload: () => services.apps.unload(server, app.id) }));
  const items = [...hosted, ...inProcess];
  if (items.length === 0) {
    void vscode.window.showInformationMessage(`No apps are loaded on ${server.config.name}.`);
    throw new Cancelled();
  }
  const picked = await vscode.window.showQuickPick(items, { title: 'Unload App', placeHolder: 'App to unload' });
  if (!picked) throw new Cancelled();
  await picked.unload();
}

export async function openAppSource(services: Services, node?: TreeNode): Promise<void> {
  const { app } = await pickHostApp(services, node, 'Open App Source');
  await vscode.window.showTextDocument(vscode.Uri.file(app.entry));
}

/** Originates a loopback call parked into the app: its events reach the app's callbacks in the host. */
export async function originateIntoApp(services: Services, node?: TreeNode): Promise<void> {
  const { server, app } = await pickHostApp(services, node, 'Originate Call into App');
  requireConnected(server);
  const variables = { [APP_ID_VAR]: app.id };
  const destination = await vscode.window.showInputBox({
    title: `Originate Call into ${app.name} on ${server.config.name}`,
    prompt: `Loopback destination; the parked leg goes to ${app.id}`,
    value: '9196',
    ignoreFocusOut: true,
    validateInput: (v) => {
      if (!v.trim()) return 'A destination is required';
      try {
        buildOriginate(v.trim(), { endpoint: 'loopback', app: 'park', variables }, () => '00000000-0000-0000-0000-000000000000');
        return undefined;
      } catch (err) {
        return err instanceof UnsafeInputError ? err.message : String(err);
      }
    },
  });
  if (destination === undefined) throw new Cancelled();
  // `originate({ appId })` checks the extension's own listener, where this app is not loaded: the
  // variable alone routes the call's events to the host's app.
  const job = server.client!.originate(destination.trim(), { endpoint: 'loopback', app: 'park', variables });
  services.apps.output.info(`[${server.config.name}] originated ${job.sessUuid ?? ''} into ${app.id}`);
  await job;
}

/** "New App from Template": `fsapps/<name>.ts`, the types wired up, opened and loaded. */
export async function newAppFromTemplate(services: Services): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!folder) {
    void vscode.window.showErrorMessage('Open a folder first: apps live in the workspace.');
    throw new Cancelled();
  }
  const name = await vscode.window.showInputBox({
    title: 'New App from Template',
    prompt: 'App name (the file fsapps/<name>.ts and the app id)',
    placeHolder: 'e.g. greeter',
    ignoreFocusOut: true,
    validateInput: (v) => validateAppName(v) ?? (existsSync(join(folder, 'fsapps', `${v.trim()}.ts`)) ? `fsapps/${v.trim()}.ts exists already` : undefined),
  });
  if (name === undefined) throw new Cancelled();
  const file = join(folder, 'fsapps', `${name.trim()}.ts`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, appTemplate(name.trim()));
  // fsapps/tsconfig.json: created if missing; the user's own is changed only if they agree.
  giveTypes({ extensionPath: services.context.extensionPath, workspaceState: services.context.workspaceState, log: services.apps.output }, join(dirname(file), 'tsconfig.json'), 'apps', true);
  await vscode.window.showTextDocument(vscode.Uri.file(file));
  if (!appsInclude().startsWith('fsapps/')) services.apps.output.warn(`fsapps/${name.trim()}.ts is not matched by freeswitch.apps.include (${appsInclude()}); it is loaded now but not when a server connects`);
  const servers = services.manager.servers.filter((s) => s.isConnected);
  for (const server of servers) reportLoad(services, server, appIdForFile(file), await services.apps.loadOn(server, file));
  if (servers.length === 0) void vscode.window.showInformationMessage(`Created fsapps/${name.trim()}.ts. It loads when a server connects.`);
}

/** "Debug Apps": restarts a server's host with the inspector and attaches VS Code's Node debugger. */
export async function debugApps(services: Services, node?: TreeNode): Promise<void> {
  const server = await pickServer(services, node, { connected: true });
  requireConnected(server);
  const port = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Restarting the app host of ${server.config.name} with the inspector…` },
    () => services.apps.restartForDebugging(server),
  );
  const started = await vscode.debug.startDebugging(vscode.workspace.workspaceFolders?.[0], {
    type: 'node',
    request: 'attach',
    name: 'FreeSWITCH Apps',
    address: '127.0.0.1',
    port,
    sourceMaps: true,
    outFiles: [AppManager.bundleGlob],
    // Only the app bundles: the host's own bundle carries source-map text that is not a map.
    resolveSourceMapLocations: [AppManager.bundleGlob.replace(/\*\.js$/, '*')],
    skipFiles: ['<node_internals>/**'],
  });
  if (!started) throw new Error(`Could not attach the debugger to the app host (inspector port ${port}).`);
  services.apps.output.info(`[${server.config.name}] debugger attached on port ${port}`);
}

export async function showAppsLog(services: Services): Promise<void> {
  services.apps.output.show(true);
}
