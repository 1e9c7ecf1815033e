import * as vscode from 'vscode';
import { Disposable } from './util/disposable';

export const SCHEME = 'freeswitch';
/** Results kept for reopening; older ones are dropped. */
const MAX_DOCUMENTS = 50;

/**
 * Read-only editors for command output (API results, channel dumps): a virtual document scheme,
 * so nothing is written to disk and the editor cannot modify it.
 */
export class ReadonlyDocuments extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly contents = new Map<string, string>();
  private readonly _onDidChange = this._register(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this._onDidChange.event;
  private counter = 0;

  constructor() {
    super();
    this._register(vscode.workspace.registerTextDocumentContentProvider(SCHEME, this));
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '';
  }

  /** Opens `content` in a read-only editor titled by `name` (its extension picks the language). */
  async show(folder: string, name: string, content: string, language?: string): Promise<vscode.TextEditor> {
    const safe = (s: string) => s.replace(/[^\w.\- @:]+/g, '_');
    const uri = vscode.Uri.from({ scheme: SCHEME, path: `/${safe(folder)}/${safe(name)}`, query: String(++this.counter) });
    this.contents.set(uri.toString(), content);
    if (this.contents.size > MAX_DOCUMENTS) this.contents.delete(this.contents.keys().next().value!);
    let doc = await vscode.workspace.openTextDocument(uri);
    if (language) doc = await vscode.languages.setTextDocumentLanguage(doc, language);
    return vscode.window.showTextDocument(doc, { preview: false });
  }
}
