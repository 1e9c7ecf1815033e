import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfModel } from '../../src/extension/dialplan/confModel';
import { mapSnapshot } from '../../src/extension/dialplan/preprocess';

/** The configuration tree written for the tests, shaped like FreeSWITCH's vanilla one. */
export const FIXTURE_CONF = resolve(__dirname, '..', 'fixtures', 'fs-conf');

/** Every file of a folder by absolute path. */
export function readTree(root: string = FIXTURE_CONF): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(path, readFileSync(path, 'utf8'));
    }
  };
  walk(root);
  return files;
}

/** The fixture tree with some files replaced or added (paths relative to the root). */
export function fixtureModel(changes: Record<string, string | undefined> = {}): { model: ConfModel; files: Map<string, string>; path: (rel: string) => string } {
  const files = readTree();
  for (const [rel, text] of Object.entries(changes)) {
    if (text === undefined) files.delete(`${FIXTURE_CONF}/${rel}`);
    else files.set(`${FIXTURE_CONF}/${rel}`, text);
  }
  return { model: new ConfModel(FIXTURE_CONF, mapSnapshot(files)), files, path: (rel) => `${FIXTURE_CONF}/${rel}` };
}
