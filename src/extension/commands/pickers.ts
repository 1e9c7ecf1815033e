import * as vscode from 'vscode';
import type { Call, Session } from '../../core';
import type { ServerConnection } from '../servers/serverConnection';
import type { Services } from '../services';
import { groupCounts, groupDescription, groupNames, membersOf } from '../tree/groups';
import { callLabel, callState, serverStateText, type GroupNode, type TreeNode } from '../tree/nodes';

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

function isGroupNode(arg: unknown): arg is GroupNode {
  return typeof arg === 'object' && arg !== null && (arg as GroupNode).kind === 'group' && typeof (arg as GroupNode).name === 'string';
}

/**
 * A server group and its members: the group row the command came from (its first argument), else
 * the only group, else a QuickPick of groups.
 */
export async function pickGroup(services: Services, args: readonly unknown[] | undefined): Promise<{ name: string; members: ServerConnection[] }> {
  const servers = services.manager.servers;
  const given = args?.[0];
  if (isGroupNode(given)) return { name: given.name, members: membersOf(servers, given.name) };
  const names = groupNames(servers);
  if (names.length === 0) {
    void vscode.window.showErrorMessage('No server group yet: put servers in one with Set Group… (a server\'s context menu in the Servers view).', 'Set Group…').then((action) => {
      if (action) void vscode.commands.executeCommand('freeswitch.server.setGroup');
    });
    throw new Cancelled();
  }
  if (names.length === 1) return { name: names[0]!, members: membersOf(servers, names[0]!) };
  const picked = await vscode.window.showQuickPick(
    names.map((name) => {
      const members = membersOf(servers, name);
      return { label: name, description: groupDescription(groupCounts(members)), detail: members.map((m) => m.config.name).join(', '), name, members };
    }),
    { title: 'FreeSWITCH server group', placeHolder: 'Pick a group' },
  );
  if (!picked) throw new Cancelled();
  return { name: picked.name, members: picked.members };
}

/** The connected members of a group, or an error that says none is. */
export function requireConnectedMembers(group: { name: string; members: readonly ServerConnection[] }): ServerConnection[] {
  const connected = group.members.filter((m) => m.isConnected && m.client && m.listener);
  if (connected.length === 0) throw new Error(`No server of group ${group.name} is connected. Connect them first (FreeSWITCH: Connect Group).`);
  return connected;
}
