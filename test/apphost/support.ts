/**
 * Builds the app host and the CLI the way scripts/build.mjs does, so the tests run the shipped
 * artefacts (plain Node, no tsx loader in the host). The output goes under node_modules/.cache so
 * the host's `require('esbuild')` resolves from the repository's node_modules.
 */
import { build, type BuildOptions } from 'esbuild';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** As in scripts/build.mjs: `esbuild` stays external (the host bundles apps with it; it ships a native binary). */
const APPHOST_BUILD = {
  entryPoints: { apphost: 'src/apphost/main.ts', fsdev: 'src/apphost/cli.ts', testhost: 'src/apphost/testHost.ts' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  external: ['esbuild'],
} satisfies BuildOptions;

let built: Promise<{ hostScript: string; cliScript: string }> | undefined;

/** `apphost.js` and `fsdev.js` in a fresh folder, built once per test process. */
export function buildHost(): Promise<{ hostScript: string; cliScript: string }> {
  built ??= (async () => {
    const cache = join(ROOT, 'node_modules', '.cache');
    mkdirSync(cache, { recursive: true });
    const outdir = mkdtempSync(join(cache, 'fsdev-apphost-'));
    process.once('exit', () => rmSync(outdir, { recursive: true, force: true }));
    await build({ ...APPHOST_BUILD, absWorkingDir: ROOT, outdir, logLevel: 'warning' });
    return { hostScript: join(outdir, 'apphost.js'), cliScript: join(outdir, 'fsdev.js') };
  })();
  return built;
}

/** A folder for app sources, and a writer that returns the file's path. */
export function appDir(): { dir: string; write(name: string, text: string): string } {
  const dir = mkdtempSync(join(tmpdir(), 'fsdev-apps-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    write(name, text) {
      const file = join(dir, name);
      writeFileSync(file, text);
      return file;
    },
  };
}
