/**
 * Builds the app host and the CLI the way scripts/build.mjs does, so the tests run the shipped
 * artefacts (plain Node, no tsx loader in the host). The output goes under node_modules/.cache so
 * the host's `require('esbuild')` resolves from the repository's node_modules.
 */
import { build, type BuildOptions } from 'esbuild';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

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

/** A running `fsdev` and what it printed so far. */
export interface CliRun {
  readonly process: ChildProcess;
  /** Its standard output, line by line. */
  readonly lines: string[];
  /** Everything it printed, for an assertion's message. */
  output(): string;
  /** Its exit code. */
  readonly exited: Promise<number | null>;
}

/** `node fsdev.js <args>` as a user runs it, the password in FREESWITCH_PASSWORD. */
export function spawnCli(cliScript: string, args: readonly string[], password: string): CliRun {
  const child = spawn(process.execPath, [cliScript, ...args], { env: { ...process.env, FREESWITCH_PASSWORD: password }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { process: child, lines, output: () => `${lines.join('\n')}\n${stderr}`, exited };
}
