import * as vscode from 'vscode';
import { ApiError } from '../../core';
import type { Services } from '../services';
import type { TreeNode } from '../tree/nodes';
import { Cancelled, pickServer, requireConnected } from './pickers';

const HISTORY_KEY = 'freeswitch.apiHistory';
const MAX_HISTORY = 30;

/** Asks for a command with the history offered first; the typed text is always the first item. */
async function askCommand(title: string, history: string[]): Promise<string> {
  const pick = vscode.window.createQuickPick();
  pick.title = title;
  pick.placeholder = 'e.g. status, show channels, sofia status, reloadxml';
  const historyItems = history.map((label) => ({ label, description: 'recent' }));
  pick.items = historyItems;
  return new Promise<string>((resolve, reject) => {
    pick.onDidChangeValue((value) => {
      const typed = value.trim();
      pick.items = typed && !history.includes(typed) ? [{ label: typed }, ...historyItems] : historyItems;
    });
    pick.onDidAccept(() => {
      const value = (pick.selectedItems[0]?.label ?? pick.value).trim();
      if (!value) return;
      resolve(value);
      pick.hide();
    });
    pick.onDidHide(() => {
      pick.dispose();
      reject(new Cancelled());
    });
    pick.show();
  });
}

/** Asks for an API command, offering and then updating the history Run API Command keeps. */
export async function askApiCommand(services: Services, title: string): Promise<string> {
  const history = services.context.globalState.get<string[]>(HISTORY_KEY, []);
  const command = await askCommand(title, history);
  await services.context.globalState.update(HISTORY_KEY, [command, ...history.filter((h) => h !== command)].slice(0, MAX_HISTORY));
  return command;
}

/** Run API Command: the result opens in a read-only editor; `-ERR` shows FreeSWITCH's text as an error. */
export async function runApiCommand(services: Services, node?: TreeNode): Promise<void> {
  const server = await pickServer(services, node, { connected: true });
  requireConnected(server);
  const command = await askApiCommand(services, 'Run API Command');
  try {
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `api ${command}` }, () => server.client!.cmd(command, { timeoutMs: 60_000 }));
    const json = /\bas json\b|\bjson$/.test(command) && /^[[{]/.test(result.trim());
    let text = result;
    if (json) {
      try {
        text = JSON.stringify(JSON.parse(result), null, 2);
      } catch {
        // Leave it as FreeSWITCH sent it.
      }
    }
    const name = `api ${command.split(/\s+/).slice(0, 3).join(' ')}${json ? '.json' : '.txt'}`;
    await services.documents.show(server.config.name, name, text, json ? 'json' : 'plaintext');
  } catch (err) {
    if (err instanceof ApiError) {
      void vscode.window.showErrorMessage(`${server.config.name}: api ${command}: ${err.response.trim()}`);
      return;
    }
    throw err;
  }
}
