/**
 * A FreeSWITCH configuration tree as one model: every file parsed, the include graph walked in
 * the order FreeSWITCH assembles it (so a file under dialplan/default/ is known to be inside
 * `<context name="default">`), the contexts with their extensions in hunt order, and the globals
 * `set` by the pre-processor with where. Pure (no vscode): files come from a ConfSnapshot.
 */
import { dirname, globFiles, joinPath, scanFile, type ConfSnapshot, type FileDirective } from './preprocess';
import { attr, elementAt, parseXml, type XmlDocument, type XmlElement } from './xml';

/** One parsed file of the tree. */
export interface ConfFile {
  readonly path: string;
  readonly text: string;
  readonly doc: XmlDocument;
  readonly scan: ReturnType<typeof scanFile>;
}

/** An element of the assembled configuration around a file or position: name and `name` attribute. */
export interface ScopeEntry {
  readonly element: string;
  readonly name?: string;
}

export interface ExtensionRef {
  readonly file: string;
  readonly element: XmlElement;
  readonly name: string;
  readonly context: string;
}

export interface ContextInfo {
  readonly name: string;
  /** In hunt order: the order FreeSWITCH assembles them. */
  readonly extensions: ExtensionRef[];
  readonly sites: Array<{ file: string; element: XmlElement }>;
}

export interface GlobalSite {
  readonly value: string;
  readonly file: string;
  /** Offset of the directive in its file. */
  readonly offset: number;
  readonly line: number;
  readonly dataStart: number;
}

export interface IncludeSite {
  readonly file: string;
  readonly directive: FileDirective;
  readonly matches: readonly string[];
}

const MAX_DEPTH = 100;

/** Parses a file into a {@link ConfFile}. */
export function parseConfFile(path: string, text: string): ConfFile {
  return { path, text, doc: parseXml(text), scan: scanFile(text) };
}

/** Files parsed once per text: a rebuilt model reparses only what changed. */
export class ParseCache {
  private readonly files = new Map<string, ConfFile>();

  get(path: string, text: string): ConfFile {
    const cached = this.files.get(path);
    if (cached && cached.text === text) return cached;
    const parsed = parseConfFile(path, text);
    this.files.set(path, parsed);
    return parsed;
  }

  /** Drops files not in `keep`. */
  prune(keep: ReadonlySet<string>): void {
    for (const path of this.files.keys()) if (!keep.has(path)) this.files.delete(path);
  }
}

/** Names of elements that are not part of the assembled structure. */
function transparent(name: string): boolean {
  return name === 'include' || name.toLowerCase() === 'x-pre-process';
}

function ancestors(el: XmlElement | undefined): XmlElement[] {
  const out: XmlElement[] = [];
  for (let e = el; e; e = e.parent) out.unshift(e);
  return out;
}

function scopeOfElement(el: XmlElement): ScopeEntry {
  const name = attr(el, 'name');
  return name === undefined ? { element: el.name } : { element: el.name, name };
}

export class ConfModel {
  /** `<root>/freeswitch.xml` when the tree has one. */
  readonly entry: string | undefined;
  readonly files = new Map<string, ConfFile>();
  readonly contexts = new Map<string, ContextInfo>();
  readonly globals = new Map<string, GlobalSite[]>();
  readonly includes: IncludeSite[] = [];
  /** The assembled structure around each included file (first inclusion). */
  private readonly scopes = new Map<string, ScopeEntry[]>();
  /** The files that include each file. */
  readonly includedBy = new Map<string, IncludeSite[]>();

  constructor(
    readonly root: string,
    readonly snapshot: ConfSnapshot,
    cache: ParseCache = new ParseCache(),
  ) {
    const allPaths = [...snapshot.paths()];
    for (const path of allPaths) {
      if (!path.endsWith('.xml')) continue;
      const text = snapshot.read(path);
      if (text !== undefined) this.files.set(path, cache.get(path, text));
    }
    const entry = joinPath(root, 'freeswitch.xml');
    this.entry = this.files.has(entry) ? entry : undefined;
    // Every include, for the graph and for files that nothing above includes.
    for (const file of this.files.values()) {
      for (const d of file.scan.directives) {
        if (d.cmd.toLowerCase() !== 'include') continue;
        const matches = this.resolveInclude(file.path, d.data, allPaths);
        const site: IncludeSite = { file: file.path, directive: d, matches };
        this.includes.push(site);
        for (const m of matches) {
          const by = this.includedBy.get(m) ?? [];
          by.push(site);
          this.includedBy.set(m, by);
        }
      }
    }
    const entries = this.entry
      ? [this.entry]
      : [...this.files.keys()].filter((p) => !this.includedBy.has(p)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const e of entries) this.walk(e, [], new Set(), 0, allPaths);
  }

  /** The files an include's `data` matches, as FreeSWITCH resolves it from `file`'s folder. */
  resolveInclude(file: string, data: string, paths: Iterable<string> = this.snapshot.paths()): string[] {
    const pattern = data.startsWith('/') ? data : `${dirname(file)}/${data}`;
    return globFiles(pattern, paths);
  }

  private walk(path: string, inherited: ScopeEntry[], onPath: Set<string>, depth: number, allPaths: string[]): void {
    const file = this.files.get(path);
    if (!file || onPath.has(path) || depth > MAX_DEPTH) return;
    if (!this.scopes.has(path)) this.scopes.set(path, inherited);
    onPath.add(path);
    const SETS = ['set', 'exec-set', 'stun-set', 'env-set'];
    const directives = file.scan.directives.filter((d) => d.cmd.toLowerCase() === 'include' || SETS.includes(d.cmd.toLowerCase()));
    let di = 0;
    const runDirectivesBefore = (offset: number): void => {
      for (; di < directives.length && directives[di]!.start < offset; di++) {
        const d = directives[di]!;
        const cmd = d.cmd.toLowerCase();
        if (SETS.includes(cmd)) {
          const eq = d.data.indexOf('=');
          if (eq < 0) continue;
          const name = d.data.slice(0, eq).replace(/ +$/, '');
          const raw = d.data.slice(eq + 1).replace(/^ +/, '');
          // exec-set, stun-set and env-set set a value known only at run time.
          const value = cmd === 'set' ? raw : `(${cmd}: ${raw})`;
          const sites = this.globals.get(name) ?? [];
          sites.push({ value, file: path, offset: d.start, line: d.line, dataStart: d.dataStart });
          this.globals.set(name, sites);
          continue;
        }
        const chain = [...inherited, ...ancestors(elementAt(file.doc, d.start)).filter((e) => !transparent(e.name)).map(scopeOfElement)];
        for (const m of this.resolveInclude(path, d.data, allPaths)) this.walk(m, chain, onPath, depth + 1, allPaths);
      }
    };
    for (const el of file.doc.elements) {
      runDirectivesBefore(el.start);
      if (transparent(el.name)) continue;
      const chain = [...inherited, ...ancestors(el.parent).filter((e) => !transparent(e.name)).map(scopeOfElement)];
      const section = chain.find((s) => s.element === 'section')?.name;
      if (el.name === 'context' && section !== 'chatplan') {
        const name = attr(el, 'name') ?? '';
        this.context(name).sites.push({ file: path, element: el });
      } else if (el.name === 'extension') {
        const ctx = [...chain].reverse().find((s) => s.element === 'context');
        if (ctx && section !== 'chatplan') {
          const context = ctx.name ?? '';
          this.context(context).extensions.push({ file: path, element: el, name: attr(el, 'name') ?? '', context });
        }
      }
    }
    runDirectivesBefore(Infinity);
    onPath.delete(path);
  }

  private context(name: string): ContextInfo {
    let info = this.contexts.get(name);
    if (!info) {
      info = { name, extensions: [], sites: [] };
      this.contexts.set(name, info);
    }
    return info;
  }

  /** Where a file sits in the assembled configuration, when something includes it. */
  scopeOf(path: string): readonly ScopeEntry[] | undefined {
    return this.scopes.get(path);
  }

  /** The extension (and its context) an element of a file belongs to. */
  extensionOf(path: string, el: XmlElement): ExtensionRef | undefined {
    let e: XmlElement | undefined = el;
    while (e && e.name !== 'extension') e = e.parent;
    if (!e) return undefined;
    for (const ctx of this.contexts.values()) {
      const found = ctx.extensions.find((x) => x.file === path && x.element === e);
      if (found) return found;
    }
    return undefined;
  }
}

/**
 * Where a file with no includer sits, from its path in a vanilla-shaped tree
 * (dialplan/default/*.xml: inside a context, directory/default/*.xml: among a domain's users…).
 */
export function scopeFromPath(root: string, path: string): ScopeEntry[] {
  const rel = path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path;
  const parts = rel.split('/');
  const doc: ScopeEntry = { element: 'document' };
  const section = (name: string): ScopeEntry => ({ element: 'section', name });
  if (parts.length === 1) return rel === 'freeswitch.xml' || rel === 'vars.xml' ? [] : [doc];
  const [top, second] = parts as [string, string];
  const nested = parts.length > 2;
  switch (top) {
    case 'dialplan':
      return nested ? [doc, section('dialplan'), { element: 'context', name: second }] : [doc, section('dialplan')];
    case 'chatplan':
      return nested ? [doc, section('chatplan'), { element: 'context', name: second }] : [doc, section('chatplan')];
    case 'directory':
      return nested
        ? [doc, section('directory'), { element: 'domain', name: second }, { element: 'groups' }, { element: 'group', name: second }, { element: 'users' }]
        : [doc, section('directory')];
    case 'autoload_configs':
      return [doc, section('configuration')];
    case 'sip_profiles':
      return nested
        ? [doc, section('configuration'), { element: 'configuration', name: 'sofia.conf' }, { element: 'profiles' }, { element: 'profile', name: second }, { element: 'gateways' }]
        : [doc, section('configuration'), { element: 'configuration', name: 'sofia.conf' }, { element: 'profiles' }];
    default:
      return [doc];
  }
}
