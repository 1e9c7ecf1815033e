// Putting servers in groups from the UI: Set Group…, Rename Group…, Ungroup, and Add Server's group
// step. Each writes `group` in `freeswitch.servers` and nothing else (serverConfig's `with…`), so
// connections are kept (ServerManager.reload: the group is not part of a connection).
import * as vscode from 'vscode';
import { editServersSetting } from '../config';
import { groupNameProblem, withGroupRenamed, withoutGroup, withServerGroup } from '../servers/serverConfig';
import type { Services } from '../services';
import { groupNames } from '../tree/groups';
import type { TreeNode } from '../tree/nodes';
import { Cancelled, pickGroup, pickServer } from './pickers';

/**
 * A QuickPick of the existing groups, "New Group…" and "No Group", with the server's `current`
 * group (else No Group) first, so Enter keeps it. Resolves to the chosen group (undefined: none),
 * or undefined when dismissed.
 */
export async function askGroup(title: string, placeHolder: string, groups: readonly string[], current?: { group: string | undefined }): Promise<{ group: string | undefined } | undefined> {
  type Item = vscode.QuickPickItem & { choice: { group: string | undefined } | 'new' };
  const none: Item = { label: 'No Group', description: 'shown at the top level', iconPath: new vscode.ThemeIcon('close'), choice: { group: undefined } };
  const items: Item[] = [
    // The icon of a group's row in the Servers tree.
    ...groups.map((group): Item => ({ label: group, iconPath: new vscode.ThemeIcon('server-environment'), choice: { group } })),
    { label: 'New Group…', iconPath: new vscode.ThemeIcon('add'), choice: 'new' },
    none,
  ];
  const first = items.find((i) => i.choice !== 'new' && i.choice.group === current?.group) ?? none;
  const ordered = [current ? { ...first, description: 'current' } : first, ...items.filter((i) => i !== first)];
  const picked = await vscode.window.showQuickPick(ordered, { title, placeHolder });
  if (!picked) return undefined;
  if (picked.choice !== 'new') return picked.choice;
  const name = await vscode.window.showInputBox({ title, prompt: 'Name of the new group', validateInput: groupNameProblem, ignoreFocusOut: true });
  return name === undefined ? undefined : { group: name.trim() };
}

/** Set Group…: a server row's (or a picked server's) group, from askGroup. */
export async function setServerGroup(services: Services, node?: TreeNode): Promise<void> {
  const target = await pickServer(services, node);
  const { name, group: current } = target.config;
  const answer = await askGroup(`Group of ${name}`, 'Pick a group', groupNames(services.manager.servers), { group: current });
  if (!answer) throw new Cancelled();
  if (answer.group === current) return;
  await editServersSetting((setting) => withServerGroup(setting, name, answer.group));
}

/** Rename Group…: every member's entry gets the new name; merging into another group is refused. */
export async function renameGroup(services: Services, _node?: TreeNode, args?: readonly unknown[]): Promise<void> {
  const { name } = await pickGroup(services, args);
  const others = groupNames(services.manager.servers).filter((g) => g !== name);
  const answer = await vscode.window.showInputBox({
    title: `Rename Group ${name}`,
    prompt: 'New name of the group',
    value: name,
    ignoreFocusOut: true,
    validateInput: (v) => groupNameProblem(v) ?? (others.includes(v.trim()) ? `A group named ${v.trim()} already exists (Set Group… moves a server into it)` : undefined),
  });
  if (answer === undefined) throw new Cancelled();
  if (answer.trim() === name) return;
  await editServersSetting((setting) => withGroupRenamed(setting, name, answer));
}

/** Ungroup: the members go back to the top level. */
export async function ungroup(services: Services, _node?: TreeNode, args?: readonly unknown[]): Promise<void> {
  const { name } = await pickGroup(services, args);
  await editServersSetting((setting) => withoutGroup(setting, name));
}
