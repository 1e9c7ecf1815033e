import * as vscode from 'vscode';
import { Disposable } from '../util/disposable';
import type { AppManager } from './appManager';
import { callbackLensTitle, findCallbacks } from './appsPure';

/**
 * A CodeLens above each callback of a loaded app (`CHANNEL_PARK: …` inside `on: { … }`): how often
 * it ran and the app's last error in it, per server running the app. Refreshed from host status.
 */
export class AppCodeLensProvider extends Disposable implements vscode.CodeLensProvider {
  private readonly _onDidChangeCodeLenses = this._register(new vscode.EventEmitter<void>());
  readonly onDidChangeCodeLenses = this._onDidChangeCodeLenses.event;

  constructor(private readonly apps: AppManager) {
    super();
    this._register(apps.onDidChange(() => this._onDidChangeCodeLenses.fire()));
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const running = this.apps.findApp(document.uri.fsPath);
    if (running.length === 0) return [];
    const lenses: vscode.CodeLens[] = [];
    for (const site of findCallbacks(document.getText())) {
      const range = new vscode.Range(site.line, site.character, site.line, site.character);
      for (const { server, app } of running) {
        const prefix = running.length > 1 ? `${server.config.name}: ` : '';
        const title = `${prefix}${site.name} ${callbackLensTitle(app, site.name)}`;
        const last = app.lastError?.eventName === site.name ? app.lastError : undefined;
        lenses.push(
          new vscode.CodeLens(range, {
            title,
            tooltip: last ? last.stack : `${app.name} v${app.version} on ${server.config.name}`,
            command: last ? 'freeswitch.app.showLog' : '',
          }),
        );
      }
    }
    return lenses;
  }
}
