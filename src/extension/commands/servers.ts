import * as vscode from 'vscode';
import { AuthError } from '../../core';
import { editServersSetting, readSettings, type ServerConfig } from '../config';
import { withoutServer, withServerAdded, withServerEdited, type AskedServerFields, type ServerRef } from '../servers/serverConfig';
import type { Services } from '../services';
import { groupNames } from '../tree/groups';
import { serverStateText, type TreeNode } from '../tree/nodes';
import { askGroup } from './groupSettings';
import { Cancelled, pickServer } from './pickers';

/** Asks for a server's fields, prefilled from `current`; refuses invalid values inline. */
async function askServer(title: string, current: AskedServerFields | undefined, taken: string[]): Promise<AskedServerFields> {
  const step = async (prompt: string, value: string, validate: (v: string) => string | undefined, placeHolder?: string): Promise<string> => {
    const answer = await vscode.window.showInputBox({ title, prompt, value, validateInput: validate, ignoreFocusOut: true, ...(placeHolder ? { placeHolder } : {}) });
    if (answer === undefined) throw new Cancelled();
    return answer.trim();
  };
  const host = await step('Host of the FreeSWITCH event socket', current?.host ?? '127.0.0.1', (v) => (/^[^\s/]+$/.test(v.trim()) ? undefined : 'A host name or IP address, without spaces'));
  const portText = await step('Event socket port', String(current?.port ?? 8021), (v) => {
    const n = Number(v);
    return Number.isInteger(n) && n > 0 && n < 65536 ? undefined : 'A port number from 1 to 65535';
  });
  const name = await step('A name for this server', current?.name ?? host, (v) => {
    const trimmed = v.trim();
    if (!trimmed) return 'A name is required';
    return taken.includes(trimmed) ? `A server named ${trimmed} already exists` : undefined;
  });
  const user = await step('ESL user (leave empty for plain password authentication)', current?.user ?? '', (v) => (/^[^\s:]*$/.test(v.trim()) ? undefined : 'No spaces or colons'), 'optional');
  return user ? { name, host, port: Number(portText), user } : { name, host, port: Number(portText) };
}

/** Refuses to write when `ref`'s entry was removed or changed while the command's prompts were open. */
function entryGone(ref: ServerRef, action: string): never {
  throw new Error(`${ref.name} (${ref.host}:${ref.port}) is no longer in the freeswitch.servers setting: it was removed or changed meanwhile. Nothing was ${action}.`);
}

export async function addServer(services: Services): Promise<void> {
  const title = 'Add FreeSWITCH Server';
  const fields = await askServer(title, undefined, readSettings().servers.map((s) => s.name));
  // Only once groups exist: a first server has no group to join, and one step fewer.
  const groups = groupNames(services.manager.servers);
  const group = groups.length > 0 ? (await askGroup(title, 'Group (optional; Escape for none)', groups))?.group : undefined;
  const server: ServerConfig = group === undefined ? fields : { ...fields, group };
  await editServersSetting((setting) => withServerAdded(setting, server));
  const added = services.manager.get(server.name);
  if (added) await connectServer(services, { kind: 'server', server: added });
}

export async function editServer(services: Services, node?: TreeNode): Promise<void> {
  const target = await pickServer(services, node);
  const servers = readSettings().servers;
  const current = servers.find((s) => s.name === target.config.name);
  if (!current) throw new Error(`${target.config.name} is no longer in the freeswitch.servers setting.`);
  const edited = await askServer(`Edit ${current.name}`, current, servers.filter((s) => s !== current).map((s) => s.name));
  await target.disconnect();
  await editServersSetting((setting) => withServerEdited(setting, current, edited) ?? entryGone(current, 'changed'));
}

export async function removeServer(services: Services, node?: TreeNode): Promise<void> {
  const target = await pickServer(services, node);
  const remove = 'Remove';
  const answer = await vscode.window.showWarningMessage(`Remove ${target.config.name} (${target.config.host}:${target.config.port})?`, { modal: true }, remove);
  if (answer !== remove) return;
  await target.disconnect();
  // The password goes only once the entry has: an entry changed meanwhile keeps its password.
  await editServersSetting((setting) => withoutServer(setting, target.config) ?? entryGone(target.config, 'removed'));
  await services.manager.forgetPassword(target);
}

export async function connectServer(services: Services, node?: TreeNode): Promise<void> {
  const target = await pickServer(services, node);
  try {
    const connected = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `Connecting to ${target.config.name}…` },
      () => services.manager.connect(target),
    );
    if (connected) services.setActiveServer(target);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const edit = 'Edit Server…';
    const choice = await vscode.window.showErrorMessage(
      err instanceof AuthError ? `${target.config.name}: ${message}. The password was forgotten; connect again to enter it.` : `${target.config.name}: ${message}`,
      edit,
    );
    if (choice === edit) await vscode.commands.executeCommand('freeswitch.server.edit', { kind: 'server', server: target });
  }
}

export async function disconnectServer(services: Services, node?: TreeNode): Promise<void> {
  const target = await pickServer(services, node);
  await target.disconnect();
}

export async function forgetPassword(services: Services, node?: TreeNode): Promise<void> {
  const target = await pickServer(services, node);
  await services.manager.forgetPassword(target);
  void vscode.window.showInformationMessage(`The password of ${target.config.name} was forgotten; the next connect asks for it.`);
}

/** The status bar's command: choose which server palette commands act on. */
export async function selectServer(services: Services): Promise<void> {
  const servers = services.manager.servers;
  if (servers.length === 0) {
    await vscode.commands.executeCommand('freeswitch.server.add');
    return;
  }
  const picked = await vscode.window.showQuickPick(
    servers.map((server) => ({ label: server.config.name, description: `${server.config.host}:${server.config.port}`, detail: serverStateText(server), server })),
    { title: 'Active FreeSWITCH server', placeHolder: 'Commands act on this server; it connects if it is not connected' },
  );
  if (!picked) return;
  services.setActiveServer(picked.server);
  if (picked.server.state.kind !== 'connected') await connectServer(services, { kind: 'server', server: picked.server });
}
