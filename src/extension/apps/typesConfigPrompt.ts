// The VS Code side of typesConfig.ts: does what its plan says, asking before any write into a
// tsconfig.json the user owns. Used by the Test Explorer (on discovery) and New App from Template.
import * as vscode from 'vscode';
import { planTypesConfig, typesInstructions, writeTypesConfig } from './typesConfig';

/** workspaceState key: the user chose "Don't Ask Again" about the types mapping. */
export const TYPES_DONT_ASK_KEY = 'freeswitch.types.dontAsk';
const DONT_ASK = "Don't Ask Again";

export interface TypesConfigHost {
  readonly extensionPath: string;
  readonly workspaceState: vscode.Memento;
  readonly log: Pick<vscode.LogOutputChannel, 'info' | 'warn'>;
}

/**
 * Gives `file` (a tsconfig.json, present or not) the types mapping: creates or updates the
 * extension's own file, and asks before writing into the user's (never into one that extends another
 * or has comments: it says what to add). `explicit`: the user just asked for it (New App from
 * Template), so a remembered "Don't Ask Again" does not silence it. Never waits for the notification.
 */
export function giveTypes(host: TypesConfigHost, file: string, what: string, explicit = false): void {
  const plan = planTypesConfig(file, host.extensionPath);
  const shown = vscode.workspace.asRelativePath(file);
  const silenced = !explicit && host.workspaceState.get<boolean>(TYPES_DONT_ASK_KEY, false);
  const write = () => {
    if (writeTypesConfig(file, host.extensionPath)) host.log.info(`${what}: ${shown} maps freeswitch-dev and freeswitch-dev/test to this extension's types`);
  };
  switch (plan.kind) {
    case 'mapped':
      return;
    case 'create':
    case 'update':
      write();
      return;
    case 'ask': {
      host.log.info(`${what}: ${shown} does not map freeswitch-dev and freeswitch-dev/test to this extension's types${plan.stale ? ' (it maps an older install)' : ''}; it is the project's own, so it is changed only if you agree`);
      if (silenced) return;
      const add = `${plan.stale ? 'Update' : 'Add'} freeswitch-dev types in ${shown}`;
      void vscode.window
        .showInformationMessage(`${shown} governs your ${what === 'apps' ? 'apps' : 'call tests'} but does not map freeswitch-dev to the types this extension ships: imports of it show as errors.`, add, DONT_ASK)
        .then((picked) => {
          if (picked === add) {
            try {
              write();
            } catch (err) {
              host.log.warn(`${what}: could not write ${shown}: ${err instanceof Error ? err.message : String(err)}`);
            }
          } else if (picked === DONT_ASK) void host.workspaceState.update(TYPES_DONT_ASK_KEY, true);
        });
      return;
    }
    case 'instructions': {
      const text = typesInstructions(plan, shown);
      host.log.warn(`${what}: ${text}`);
      if (silenced) return;
      const copy = 'Copy Entries';
      const open = `Open ${shown}`;
      void vscode.window.showWarningMessage(text, copy, open, DONT_ASK).then((picked) => {
        if (picked === copy) void vscode.env.clipboard.writeText(plan.snippet);
        else if (picked === open) void vscode.window.showTextDocument(vscode.Uri.file(file));
        else if (picked === DONT_ASK) void host.workspaceState.update(TYPES_DONT_ASK_KEY, true);
      });
      return;
    }
  }
}
