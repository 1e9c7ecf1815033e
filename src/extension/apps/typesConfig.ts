// The one place that gives workspace TypeScript the package's types: `freeswitch-dev` and
// `freeswitch-dev/test` mapped, in a tsconfig.json, to the declarations this extension ships. New
// App from Template uses it for its folder; the Test Explorer for the folders of call tests, which
// import `freeswitch-dev/test` even in a workspace with no app.
//
// A tsconfig.json the user owns is never written without asking (planTypesConfig says `ask`), and
// never one that `extends` another (a local `paths` would replace the inherited one) or has
// comments: those get the entries to add. The extension's own file (created by it, unchanged since
// but for the entries) is ours to update: the declarations' path holds the extension's version.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { appsTsconfig, mergeAppsTsconfig, typesPathEntries } from './template';

/** The shipped declarations of `freeswitch-dev`. */
export function declarationsPath(extensionPath: string): string {
  return join(extensionPath, 'dist', 'types', 'index.d.ts');
}

/** The `paths` entries for this install. */
export function typesEntries(extensionPath: string): Record<string, [string]> {
  return typesPathEntries(declarationsPath(extensionPath));
}

/**
 * What to do about the types mapping of one tsconfig.json:
 * - `create`: there is none; a new one is ours to write.
 * - `update`: it is the extension's own file with an older install's path (or none); rewrite it.
 * - `mapped`: it maps both entries to this install already (itself or by what it extends); nothing.
 * - `ask`: the user's file lacks the mapping (`stale`: maps an older install); write only on consent.
 * - `instructions`: it extends another config or is not plain JSON: never written; `snippet` is what
 *   to add to its `compilerOptions.paths`.
 */
export type TypesConfigPlan =
  | { kind: 'create' | 'update' | 'mapped'; file: string }
  | { kind: 'ask'; file: string; stale: boolean }
  | { kind: 'instructions'; file: string; reason: 'extends' | 'not plain JSON'; snippet: string };

type Config = { extends?: unknown; compilerOptions?: { paths?: unknown } };

function readConfig(file: string): Config | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Config) : undefined;
  } catch {
    return undefined;
  }
}

function ownPaths(config: Config): Record<string, unknown> | undefined {
  const paths = config.compilerOptions?.paths;
  return paths !== null && typeof paths === 'object' ? (paths as Record<string, unknown>) : undefined;
}

/**
 * The `paths` TypeScript uses for `config`: its own, else (a config's `paths` replaces what it
 * extends) the nearest in its chain of relative `extends` that can be read. Undefined when unknown.
 */
function effectivePaths(file: string, config: Config, depth = 0): Record<string, unknown> | undefined {
  const own = ownPaths(config);
  if (own || depth > 8) return own;
  const bases = (Array.isArray(config.extends) ? config.extends : [config.extends]).filter((e): e is string => typeof e === 'string');
  // With several bases the last one that sets `paths` wins.
  for (const base of bases.reverse()) {
    if (!base.startsWith('.') && !isAbsolute(base)) continue; // a package's config: not followed
    const baseFile = resolve(dirname(file), base.endsWith('.json') ? base : `${base}.json`);
    const baseConfig = existsSync(baseFile) ? readConfig(baseFile) : undefined;
    const paths = baseConfig && effectivePaths(baseFile, baseConfig, depth + 1);
    if (paths) return paths;
  }
  return undefined;
}

/** The entries to paste into `compilerOptions.paths`, one per line. */
export function typesSnippet(extensionPath: string): string {
  return Object.entries(typesEntries(extensionPath))
    .map(([key, value]) => `${JSON.stringify(key)}: ${JSON.stringify(value)}`)
    .join(',\n');
}

/** Whether `config` is the file the extension creates, but for the path of the declarations. */
function isOurs(config: Config): boolean {
  const paths = ownPaths(config) ?? {};
  if (!Object.keys(paths).every((key) => key in typesEntries(''))) return false;
  const fresh = appsTsconfig('');
  const strip = (c: Config) => ({ ...c, compilerOptions: { ...c.compilerOptions, paths: undefined } });
  return isDeepStrictEqual(strip(config), strip(fresh));
}

/** What to do about the types mapping of `file` (a tsconfig.json, present or not). Reads, never writes. */
export function planTypesConfig(file: string, extensionPath: string): TypesConfigPlan {
  if (!existsSync(file)) return { kind: 'create', file };
  const entries = typesEntries(extensionPath);
  const maps = (paths: Record<string, unknown> | undefined) => !!paths && Object.entries(entries).every(([key, value]) => isDeepStrictEqual(paths[key], value));
  const snippet = typesSnippet(extensionPath);
  const config = readConfig(file);
  if (!config) {
    // Comments (or not an object): never rewritten. Entries pasted as told count as mapped.
    const text = readFileSync(file, 'utf8');
    if (Object.values(entries).every(([path]) => text.includes(JSON.stringify(path)))) return { kind: 'mapped', file };
    return { kind: 'instructions', file, reason: 'not plain JSON', snippet };
  }
  if (maps(effectivePaths(file, config))) return { kind: 'mapped', file };
  if (config.extends !== undefined) return { kind: 'instructions', file, reason: 'extends', snippet };
  if (isOurs(config)) return { kind: 'update', file };
  const paths = ownPaths(config);
  return { kind: 'ask', file, stale: !!paths && Object.keys(entries).some((key) => key in paths) };
}

/** What `instructions` means, for the log and the notification. */
export function typesInstructions(plan: Extract<TypesConfigPlan, { kind: 'instructions' }>, shown: string): string {
  const entries = plan.snippet.replace(/\n/g, ' ');
  if (plan.reason === 'extends') {
    return `${shown} extends another config, so it is not changed: a "paths" of its own would replace the inherited path mappings. Add ${entries} to "compilerOptions.paths" where your paths are defined (or copy the inherited entries next to them).`;
  }
  return `${shown} is not plain JSON (comments), so it is not changed: add ${entries} to its "compilerOptions.paths".`;
}

/**
 * Writes the mapping into `file`: a new file, else only the two `paths` entries set and every other
 * byte kept. False when nothing changed. Call it for `create`/`update`, or `ask` once the user agreed;
 * it throws for a config that extends another or is not plain JSON (`instructions`).
 */
export function writeTypesConfig(file: string, extensionPath: string): boolean {
  const existing = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  // Guarded here too: a local `paths` would replace every inherited path mapping.
  if (existing !== undefined && readConfig(file)?.extends !== undefined) throw new Error(`${file} extends another config: not written`);
  const merged = mergeAppsTsconfig(existing, declarationsPath(extensionPath));
  if (merged === undefined) throw new Error(`${file} is not plain JSON`);
  if (merged === existing) return false;
  writeFileSync(file, merged);
  return true;
}

/**
 * The tsconfig.json that governs `sourceFile` (the nearest one up to `root`, as TypeScript finds
 * it), else `tsconfig.json` in the file's own folder, where a new one then goes.
 */
export function typesConfigFile(sourceFile: string, root: string): string {
  const own = dirname(sourceFile);
  for (let dir = own; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'tsconfig.json'))) return join(dir, 'tsconfig.json');
    if (dir === root || relative(root, dir).startsWith('..') || dirname(dir) === dir) return join(own, 'tsconfig.json');
  }
}
