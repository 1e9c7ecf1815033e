// The one place that gives workspace TypeScript the package's types: `freeswitch-dev` and
// `freeswitch-dev/test` mapped, in a tsconfig.json, to the declarations this extension ships. New
// App from Template uses it for its folder; the Test Explorer for the folders of call tests, which
// import `freeswitch-dev/test` even in a workspace with no app.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { mergeAppsTsconfig } from './template';

/** What `writeTypesConfig` did: the file it wrote (or left as it was), or why it could not. */
export type TypesConfigResult = { file: string; changed: boolean } | { file: string; warning: string };

/** The shipped declarations of `freeswitch-dev`. */
export function declarationsPath(extensionPath: string): string {
  return join(extensionPath, 'dist', 'types', 'index.d.ts');
}

/** Sets the mapping in `<folder>/tsconfig.json` (created if missing; other settings kept). */
export function writeTypesConfig(extensionPath: string, folder: string): TypesConfigResult {
  const declarations = declarationsPath(extensionPath);
  const file = join(folder, 'tsconfig.json');
  const existing = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  const merged = mergeAppsTsconfig(existing, declarations);
  if (merged === undefined) {
    return { file, warning: `${file} is not plain JSON: add "paths": { "freeswitch-dev": [${JSON.stringify(declarations)}] } to its compilerOptions for IntelliSense` };
  }
  if (merged === existing) return { file, changed: false };
  writeFileSync(file, merged);
  return { file, changed: true };
}

/**
 * The folder whose tsconfig.json governs `sourceFile` (the nearest one up to `root`, as TypeScript
 * finds it), else the file's own folder, where a new one then goes.
 */
export function typesConfigFolder(sourceFile: string, root: string): string {
  const own = dirname(sourceFile);
  for (let dir = own; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'tsconfig.json'))) return dir;
    if (dir === root || relative(root, dir).startsWith('..') || dirname(dir) === dir) return own;
  }
}
