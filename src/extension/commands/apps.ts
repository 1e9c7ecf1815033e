import * as vscode from 'vscode';
import type { Services } from '../services';
import type { TreeNode } from '../tree/nodes';
import { Cancelled, pickServer, requireConnected } from './pickers';

export async function unloadApp(services: Services, node?: TreeNode): Promise<void> {
  if (node?.kind === 'app') {
    requireConnected(node.server);
    await node.server.client!.unloadApp(node.app.id);
    return;
  }
  const server = await pickServer(services, node, { connected: true });
  const apps = [...requireConnected(server).loadedApps.values()];
  if (apps.length === 0) {
    void vscode.window.showInformationMessage(`No apps are loaded on ${server.config.name}.`);
    throw new Cancelled();
  }
  const picked = await vscode.window.showQuickPick(
    apps.map((app) => ({ label: app.name, description: app.id, app })),
    { title: 'Unload App', placeHolder: 'App to unload' },
  );
  if (!picked) throw new Cancelled();
  await server.client!.unloadApp(picked.app.id);
}
