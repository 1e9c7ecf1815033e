import * as vscode from 'vscode';
import type { Call, Session } from '../../core';
import type { ServerConnection } from '../servers/serverConnection';
import type { Services } from '../services';
import { callLabel, callState, serverStateText, type TreeNode } from '../tree/nodes';

/** Thrown (and swallowed by the command wrapper) when the user dismissed a picker. */
export class Cancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

/** A server from a tree node, else the only or active connected one, else a QuickPick. */
export async function pickServer(services: Services, node: TreeNode | undefined, options: { connected?: boolean } = {}): Promise<ServerConnection> {
  if (node) return node.server;
  const all = services.manager.servers;
  const candidates = options.connected ? all.filter((s) => s.isConnected) : [...all];
  if (candidates.length === 0) {
    if (all.length === 0) {
      const add = 'Add Server';
      if ((await vscode.window.showErrorMessage('No FreeSWITCH server is configured.', add)) === add) await vscode.commands.executeCommand('freeswitch.server.add');
    } else {
      void vscode.window.showErrorMessage('No FreeSWITCH server is connected. Connect one first (FreeSWITCH: Connect).');
    }
    throw new Cancelled();
  }
  if (candidates.length === 1) return candidates[0]!;
  const active = services.activeServer();
  const items = candidates
    .map((server) => ({ label: server.config.name, description: `${server.config.host}:${server.config.port}`, detail: serverStateText(server), server }))
    .sort((a, b) => (a.server === active ? -1 : b.server === active ? 1 : 0));
  const picked = await vscode.window.showQuickPick(items, { title: 'FreeSWITCH server', placeHolder: 'Pick a server' });
  if (!picked) throw new Cancelled();
  return picked.server;
}

/** The listener of a connected server, or an error that says so. */
export function requireConnected(server: ServerConnection): NonNullable<ServerConnection['listener']> {
  if (!server.isConnected || !server.listener || !server.client) {
    throw new Error(`${server.config.name} is not connected.`);
  }
  return server.listener;
}

/** A call from a call or session node, else a QuickPick of the server's calls. */
export async function pickCall(services: Services, node: TreeNode | undefined): Promise<{ server: ServerConnection; call: Call }> {
  if (node?.kind === 'call') return { server: node.server, call: node.call };
  if (node?.kind === 'session' && node.session.call) return { server: node.server, call: node.session.call };
  const server = await pickServer(services, node, { connected: true });
  const calls = [...requireConnected(server).calls.values()];
  if (calls.length === 0) {
    void vscode.window.showInformationMessage(`There are no calls on ${server.config.name}.`);
    throw new Cancelled();
  }
  const picked = await vscode.window.showQuickPick(
    calls.map((call) => ({ label: callLabel(call), description: callState(call), detail: call.sessions.map((s) => s.channelName).join(', '), call })),
    { title: 'Call', placeHolder: 'Pick a call', matchOnDetail: true },
  );
  if (!picked) throw new Cancelled();
  return { server, call: picked.call };
}

/** A session from a session node, else a QuickPick of the server's live sessions. */
export async function pickSession(services: Services, node: TreeNode | undefined): Promise<{ server: ServerConnection; session: Session }> {
  if (node?.kind === 'session') return { server: node.server, session: node.session };
  if (node?.kind === 'call' && node.call.sessions.length === 1) return { server: node.server, session: node.call.first };
  const server = await pickServer(services, node, { connected: true });
  const listener = requireConnected(server);
  const sessions = node?.kind === 'call' ? [...node.call.sessions] : [...listener.sessions.values()];
  if (sessions.length === 0) {
    void vscode.window.showInformationMessage(`There are no channels on ${server.config.name}.`);
    throw new Cancelled();
  }
  const picked = await vscode.window.showQuickPick(
    sessions.map((session) => ({
      label: session.channelName || session.uuid,
      description: `${session.direction} · ${session.callState}`,
      detail: session.uuid,
      session,
    })),
    { title: 'Channel', placeHolder: 'Pick a channel', matchOnDetail: true },
  );
  if (!picked) throw new Cancelled();
  return { server, session: picked.session };
}
