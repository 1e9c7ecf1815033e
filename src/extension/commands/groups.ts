import * as vscode from 'vscode';
import { openLoadTestOn } from '../load/loadTestPanel';
import type { ServerConnection } from '../servers/serverConnection';
import type { Services } from '../services';
import { CONNECTABLE_STATES, evalOnGroup, groupResultsText, hangupAllConfirmation, type GroupResult } from '../tree/groups';
import type { TreeNode } from '../tree/nodes';
import { askApiCommand } from './api';
import { pickGroup, requireConnectedMembers } from './pickers';

// Group commands get the group row as their first argument (`args`): `node` is for rows of one server.

/** Connects the group's members that are not connected, one at a time (each may ask for its password). */
export async function connectGroup(services: Services, _node?: TreeNode, args?: readonly unknown[]): Promise<void> {
  const group = await pickGroup(services, args);
  const targets = group.members.filter((m) => CONNECTABLE_STATES.has(m.state.kind));
  if (targets.length === 0) {
    void vscode.window.showInformationMessage(`Every server of group ${group.name} is connected or connecting.`);
    return;
  }
  const failed: string[] = [];
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Connecting group ${group.name}…` }, async () => {
    for (const server of targets) {
      try {
        await services.manager.connect(server);
      } catch (err) {
        failed.push(`${server.config.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  });
  if (failed.length) void vscode.window.showErrorMessage(`Group ${group.name}: ${failed.length} of ${targets.length} did not connect. ${failed.join('; ')}`);
}

export async function disconnectGroup(services: Services, _node?: TreeNode, args?: readonly unknown[]): Promise<void> {
  const group = await pickGroup(services, args);
  await Promise.allSettled(group.members.filter((m) => m.state.kind !== 'disconnected').map((m) => m.disconnect()));
}

/** The command on every connected member at once (evalOnGroup), with progress in the status bar. */
async function runOnGroup(group: { name: string; members: readonly ServerConnection[] }, command: string): Promise<GroupResult[]> {
  requireConnectedMembers(group);
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `api ${command} on group ${group.name}` }, () => evalOnGroup(group.members, command, { timeoutMs: 60_000 }));
}

/** The table of answers in a read-only editor (the servers' text, never HTML), and a log line per server. */
async function showResults(services: Services, group: string, command: string, results: readonly GroupResult[]): Promise<void> {
  for (const { member, answer } of results) {
    if (answer) services.log.info(`${member.config.name} (group ${group}): api ${command}: ${answer.ok ? 'ok' : `error: ${answer.error.message}`}`);
  }
  const name = `api ${command.split(/\s+/).slice(0, 3).join(' ')} on ${group}.txt`;
  await services.documents.show(group, name, groupResultsText(command, group, results), 'plaintext');
}

/** Run API Command on Group…: the command on every connected member, a per-server result table. */
export async function runApiCommandOnGroup(services: Services, _node?: TreeNode, args?: readonly unknown[]): Promise<void> {
  const group = await pickGroup(services, args);
  requireConnectedMembers(group);
  const command = await askApiCommand(services, `Run API Command on Group ${group.name}`);
  await showResults(services, group.name, command, await runOnGroup(group, command));
}

/** Hang Up All Calls on Group…: a modal naming each server and its calls, then hupall on each. */
export async function hangupAllOnGroup(services: Services, _node?: TreeNode, args?: readonly unknown[]): Promise<void> {
  const group = await pickGroup(services, args);
  requireConnectedMembers(group);
  const confirm = hangupAllConfirmation(group.name, group.members);
  const answer = await vscode.window.showWarningMessage(confirm.message, { modal: true, detail: confirm.detail }, confirm.button);
  if (answer !== confirm.button) return;
  const command = 'hupall NORMAL_CLEARING';
  await showResults(services, group.name, command, await runOnGroup(group, command));
}

/** Open Load Test on Group: the Load Test panel with exactly the group's connected servers ticked. */
export async function openLoadTestOnGroup(services: Services, _node?: TreeNode, args?: readonly unknown[]): Promise<void> {
  const group = await pickGroup(services, args);
  openLoadTestOn(services, requireConnectedMembers(group).map((m) => m.config.name));
}
