import * as vscode from 'vscode';
import { Disposable } from '../util/disposable';
import type { ConfFile } from './confModel';
import { parseConfFile } from './confModel';
import type { ConfWorkspace } from './confWorkspace';
import {
  complete,
  definition,
  diagnose,
  documentSymbols,
  extensionLenses,
  hover,
  references,
  type CompletionKind,
  type DocContext,
  type DocPart,
  type Location,
  type SymbolNode,
} from './languageService';
import { toPosix } from './roots';
import type { ServerCatalogs } from './serverCatalog';
import { lineStarts, positionOf } from './xml';

export const SELECTOR: vscode.DocumentSelector = [
  { scheme: 'file', language: 'xml' },
  { scheme: 'freeswitch', language: 'xml' },
];

/** Escaped Markdown from documentation parts: text from servers and files stays text. */
export function markdown(parts: readonly DocPart[]): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.isTrusted = false;
  md.supportHtml = false;
  parts.forEach((p, i) => {
    if (i > 0 && !('code' in p)) md.appendMarkdown('\n\n');
    if ('heading' in p) {
      md.appendMarkdown('**');
      md.appendText(p.heading);
      md.appendMarkdown('**');
    } else if ('code' in p) md.appendCodeblock(p.code, 'text');
    else md.appendText(p.text);
  });
  return md;
}

const COMPLETION_KINDS: Record<CompletionKind, vscode.CompletionItemKind> = {
  element: vscode.CompletionItemKind.Property,
  attribute: vscode.CompletionItemKind.Field,
  value: vscode.CompletionItemKind.EnumMember,
  application: vscode.CompletionItemKind.Function,
  variable: vscode.CompletionItemKind.Variable,
  global: vscode.CompletionItemKind.Constant,
  field: vscode.CompletionItemKind.Field,
  snippet: vscode.CompletionItemKind.Snippet,
  file: vscode.CompletionItemKind.File,
};

const SYMBOL_KINDS: Record<SymbolNode['kind'], vscode.SymbolKind> = {
  section: vscode.SymbolKind.Module,
  context: vscode.SymbolKind.Namespace,
  extension: vscode.SymbolKind.Function,
  configuration: vscode.SymbolKind.Package,
  profile: vscode.SymbolKind.Object,
  domain: vscode.SymbolKind.Namespace,
  user: vscode.SymbolKind.Constant,
  gateway: vscode.SymbolKind.Interface,
};

/** What the providers know about a document: where it is, and its parse. */
export interface ConfDocument {
  readonly ctx: DocContext;
  readonly file: ConfFile;
}

/**
 * Registers completion, hover, definition, references, outline and the "Call this extension"
 * lens for configuration files and effective-dialplan documents, and keeps Problems up to date
 * for every file of every configuration tree.
 */
export class DialplanLanguageFeatures extends Disposable {
  private readonly diagnostics = this._register(vscode.languages.createDiagnosticCollection('freeswitch-dialplan'));
  private readonly parsed = new WeakMap<vscode.TextDocument, { version: number; file: ConfFile }>();
  private readonly _onDidChangeCodeLenses = this._register(new vscode.EventEmitter<void>());
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly workspace: ConfWorkspace,
    private readonly catalogs: ServerCatalogs,
    private readonly isEffective: (uri: vscode.Uri) => boolean,
  ) {
    super();
    this._register(
      vscode.languages.registerCompletionItemProvider(
        SELECTOR,
        { provideCompletionItems: (document, position) => this.completions(document, position) },
        '<',
        ' ',
        '"',
        '{',
        '/',
      ),
    );
    this._register(
      vscode.languages.registerHoverProvider(SELECTOR, {
        provideHover: (document, position) => this.hover(document, position),
      }),
    );
    this._register(vscode.languages.registerDefinitionProvider(SELECTOR, { provideDefinition: (d, p) => this.definition(d, p) }));
    this._register(vscode.languages.registerReferenceProvider(SELECTOR, { provideReferences: (d, p) => this.references(d, p) }));
    this._register(vscode.languages.registerDocumentSymbolProvider(SELECTOR, { provideDocumentSymbols: (d) => this.symbols(d) }, { label: 'FreeSWITCH' }));
    this._register(
      vscode.languages.registerCodeLensProvider(SELECTOR, {
        onDidChangeCodeLenses: this._onDidChangeCodeLenses.event,
        provideCodeLenses: (d) => this.lenses(d),
      }),
    );
    this._register(workspace.onDidChange(() => this.scheduleDiagnostics()));
    this._register(catalogs.onDidChange(() => this.scheduleDiagnostics()));
    this._register(vscode.workspace.onDidOpenTextDocument((d) => this.isEffective(d.uri) && this.scheduleDiagnostics()));
    this._register(vscode.workspace.onDidCloseTextDocument((d) => this.isEffective(d.uri) && this.diagnostics.delete(d.uri)));
    this._register({ dispose: () => clearTimeout(this.timer) });
    this.scheduleDiagnostics();
  }

  /** The document as a configuration document, or undefined when it is ordinary XML. */
  confDocument(document: vscode.TextDocument): ConfDocument | undefined {
    const catalog = this.catalogs.catalog();
    if (this.isEffective(document.uri)) {
      return { ctx: { path: document.uri.toString(), effective: true, catalog }, file: this.parse(document) };
    }
    const root = this.workspace.rootFor(document.uri);
    if (!root) return undefined;
    const path = toPosix(document.uri.fsPath);
    return { ctx: { path, model: root.model, catalog }, file: root.cache.get(path, document.getText()) };
  }

  private parse(document: vscode.TextDocument): ConfFile {
    const cached = this.parsed.get(document);
    if (cached && cached.version === document.version) return cached.file;
    const file = parseConfFile(document.uri.toString(), document.getText());
    this.parsed.set(document, { version: document.version, file });
    return file;
  }

  private completions(document: vscode.TextDocument, position: vscode.Position): vscode.CompletionItem[] | undefined {
    const conf = this.confDocument(document);
    if (!conf) return undefined;
    try {
      const entries = complete(conf.ctx, document.getText(), document.offsetAt(position));
      return entries.map((e) => {
        const item = new vscode.CompletionItem(e.label, COMPLETION_KINDS[e.kind]);
        item.insertText = e.snippet ? new vscode.SnippetString(e.insert) : e.insert;
        item.range = new vscode.Range(document.positionAt(e.start), document.positionAt(e.end));
        if (e.detail) item.detail = e.detail;
        if (e.documentation) item.documentation = markdown(e.documentation);
        if (e.sortText) item.sortText = e.sortText;
        return item;
      });
    } catch (err) {
      // Never throw into the extension host from a keystroke.
      console.error('freeswitch-dev: dialplan completion failed:', err);
      return undefined;
    }
  }

  private async hover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const conf = this.confDocument(document);
    if (!conf) return undefined;
    const result = guard(() => hover(conf.ctx, conf.file, document.offsetAt(position)));
    if (!result) return undefined;
    const parts = [...result.parts];
    const server = this.catalogs.server();
    if (result.globalName && server?.client) {
      try {
        const value = await server.client.api(`global_getvar ${result.globalName}`);
        parts.push({ text: value && !value.startsWith('-ERR') ? `On ${server.config.name} now:` : `Not set on ${server.config.name}.` });
        if (value && !value.startsWith('-ERR')) parts.push({ code: value });
      } catch {
        // The hover shows what the files say.
      }
    }
    return new vscode.Hover(markdown(parts), new vscode.Range(document.positionAt(result.start), document.positionAt(result.end)));
  }

  private definition(document: vscode.TextDocument, position: vscode.Position): vscode.Location[] | undefined {
    const conf = this.confDocument(document);
    if (!conf) return undefined;
    return guard(() => definition(conf.ctx, conf.file, document.offsetAt(position)).map((l) => this.location(l)));
  }

  private references(document: vscode.TextDocument, position: vscode.Position): vscode.Location[] | undefined {
    const conf = this.confDocument(document);
    if (!conf) return undefined;
    return guard(() => references(conf.ctx, conf.file, document.offsetAt(position)).map((l) => this.location(l)));
  }

  private location(l: Location): vscode.Location {
    const uri = vscode.Uri.file(l.path);
    const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && toPosix(d.uri.fsPath) === l.path);
    if (open) return new vscode.Location(uri, new vscode.Range(open.positionAt(l.start), open.positionAt(l.end)));
    const text = this.workspace.all.find((r) => r.contains(l.path))?.files.get(l.path) ?? '';
    const starts = lineStarts(text);
    const a = positionOf(starts, l.start);
    const b = positionOf(starts, l.end);
    return new vscode.Location(uri, new vscode.Range(a.line, a.character, b.line, b.character));
  }

  private symbols(document: vscode.TextDocument): vscode.DocumentSymbol[] | undefined {
    const conf = this.confDocument(document);
    if (!conf) return undefined;
    const convert = (n: SymbolNode): vscode.DocumentSymbol => {
      const range = new vscode.Range(document.positionAt(n.start), document.positionAt(n.end));
      const selection = new vscode.Range(document.positionAt(n.selectionStart), document.positionAt(n.selectionEnd));
      const s = new vscode.DocumentSymbol(n.name, n.detail, SYMBOL_KINDS[n.kind], range, range.contains(selection) ? selection : range);
      s.children = n.children.map(convert);
      return s;
    };
    return guard(() => documentSymbols(conf.file.doc).map(convert));
  }

  private lenses(document: vscode.TextDocument): vscode.CodeLens[] | undefined {
    const conf = this.confDocument(document);
    if (!conf) return undefined;
    return guard(() =>
      extensionLenses(conf.file.doc).map((l) => {
        const pos = document.positionAt(l.offset);
        return new vscode.CodeLens(new vscode.Range(pos, pos), {
          title: '$(call-outgoing) Call this extension',
          tooltip: `Trace a call${l.destination ? ` to ${l.destination}` : ''} through the dialplan${l.name ? ` (${l.name})` : ''}`,
          command: 'freeswitch.dialplan.traceCall',
          arguments: [document.uri.toString(), l.offset],
        });
      }),
    );
  }

  refreshLenses(): void {
    this._onDidChangeCodeLenses.fire();
  }

  private scheduleDiagnostics(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.updateDiagnostics(), 50);
  }

  /** Problems for every file of every tree, and for open effective-dialplan documents. */
  updateDiagnostics(): void {
    const catalog = this.catalogs.catalog();
    const seen = new Set<string>();
    for (const root of this.workspace.all) {
      const model = root.model;
      for (const file of model.files.values()) {
        const uri = vscode.Uri.file(file.path);
        seen.add(uri.toString());
        const starts = lineStarts(file.text);
        const problems = guard(() => diagnose({ path: file.path, model, catalog }, file)) ?? [];
        this.diagnostics.set(uri, problems.map((p) => toDiagnostic(p, starts)));
      }
    }
    for (const doc of vscode.workspace.textDocuments) {
      if (!this.isEffective(doc.uri)) continue;
      seen.add(doc.uri.toString());
      const file = this.parse(doc);
      const starts = lineStarts(file.text);
      this.diagnostics.set(doc.uri, (guard(() => diagnose({ path: doc.uri.toString(), effective: true, catalog }, file)) ?? []).map((p) => toDiagnostic(p, starts)));
    }
    this.diagnostics.forEach((uri) => {
      if (!seen.has(uri.toString())) this.diagnostics.delete(uri);
    });
    this._onDidChangeCodeLenses.fire();
  }
}

function toDiagnostic(p: { start: number; end: number; message: string; severity: string; code?: string }, starts: readonly number[]): vscode.Diagnostic {
  const a = positionOf(starts, p.start);
  const b = positionOf(starts, Math.max(p.end, p.start));
  const severity = p.severity === 'error' ? vscode.DiagnosticSeverity.Error : p.severity === 'warning' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Information;
  const d = new vscode.Diagnostic(new vscode.Range(a.line, a.character, b.line, b.character), p.message, severity);
  d.source = 'FreeSWITCH';
  if (p.code) d.code = p.code;
  return d;
}

/** Runs a feature; a bug in it logs and yields nothing instead of throwing into the host. */
function guard<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    console.error('freeswitch-dev: dialplan feature failed:', err);
    return undefined;
  }
}
