/**
 * Bundles a user's app (`.ts`, with its relative imports) with esbuild into a CommonJS file plus a
 * `.map` next to it, so Node's source-map support (`process.setSourceMapsEnabled`) maps stacks and
 * a debugger maps breakpoints back to the `.ts`. Imports of the package's own API resolve to the
 * core the host already runs (see CORE_GLOBAL), so the core is never bundled twice and `instanceof
 * Session` holds.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { BuildContext, BuildFailure, Message, Metafile, Plugin } from 'esbuild';
import type { AppDiagnostic } from '../shared/protocol/appHost';

/** Where the host publishes its core for bundled apps: `globalThis[Symbol.for(…)]`. */
export const CORE_GLOBAL = 'freeswitch-dev.core';

/** Where a test host publishes `freeswitch-dev/test` (the call test API) for bundled test files. */
export const TEST_GLOBAL = 'freeswitch-dev.test';

/** Import specifiers that mean "the package's API": `freeswitch-dev`, `freeswitch-dev/…`, `fsdev`. */
export const CORE_SPECIFIER = /^(freeswitch-dev|fsdev)(\/.*)?$/;
/** `freeswitch-dev/test`: the call test API, published by the test host (TEST_GLOBAL). */
const TEST_SPECIFIER = /^(freeswitch-dev|fsdev)\/test$/;

export type BundleOutcome =
  | { ok: true; file: string; inputs: string[]; warnings: AppDiagnostic[]; ms: number }
  | { ok: false; diagnostics: AppDiagnostic[]; message: string; ms: number };

const corePlugin: Plugin = {
  name: 'fsdev-core',
  setup(build) {
    build.onResolve({ filter: CORE_SPECIFIER }, (args) => ({ path: args.path, namespace: 'fsdev-core' }));
    build.onLoad({ filter: /.*/, namespace: 'fsdev-core' }, (args) => {
      const global = TEST_SPECIFIER.test(args.path) ? TEST_GLOBAL : CORE_GLOBAL;
      return {
        contents: `module.exports = globalThis[Symbol.for(${JSON.stringify(global)})] ?? (() => { throw new Error(${JSON.stringify(`${args.path} is only available where fsdev runs this file`)}); })();`,
        loader: 'js',
      };
    });
  },
};

/** esbuild's messages as diagnostics; a message without a place is put at line 1 of `entry`. */
export function toDiagnostics(messages: readonly Message[], severity: 'error' | 'warning', entry: string, cwd: string): AppDiagnostic[] {
  return messages.map((m) => {
    const d: AppDiagnostic = {
      file: m.location ? resolve(cwd, m.location.file) : entry,
      line: m.location?.line ?? 1,
      column: m.location?.column ?? 0,
      length: m.location?.length ?? 0,
      severity,
      message: m.text + m.notes.map((n) => `\n${n.text}`).join(''),
    };
    if (m.location?.lineText !== undefined) d.lineText = m.location.lineText;
    return d;
  });
}

function isBuildFailure(err: unknown): err is BuildFailure {
  return err instanceof Error && Array.isArray((err as Partial<BuildFailure>).errors);
}

/**
 * One app's incremental bundler: the first `bundle()` creates an esbuild context, later ones
 * rebuild it (much faster). Each successful bundle is written under a new name (`<id>.<n>.js`), so
 * Node's module cache never hands back an old version and the old version's code stays intact for
 * the calls still running on it.
 */
export class AppBundler {
  private context: BuildContext<{ write: false; metafile: true }> | undefined;
  private contextEntry: string | undefined;
  private builds = 0;

  constructor(
    private readonly appId: string,
    private readonly outDir: string,
  ) {}

  async bundle(entry: string): Promise<BundleOutcome> {
    const started = performance.now();
    const esbuild = await import('esbuild');
    const absolute = resolve(entry);
    const cwd = dirname(absolute);
    if (this.context && this.contextEntry !== absolute) {
      await this.context.dispose();
      this.context = undefined;
    }
    try {
      if (!this.context) {
        this.context = await esbuild.context({
          entryPoints: [absolute],
          absWorkingDir: cwd,
          bundle: true,
          platform: 'node',
          target: 'node20',
          format: 'cjs',
          // Written to disk by us (below), under a versioned name.
          write: false,
          outfile: join(this.outDir, `${safeName(this.appId)}.js`),
          sourcemap: 'linked',
          sourcesContent: true,
          metafile: true,
          logLevel: 'silent',
          // A bare import other than the core stays a require() resolved from the app's folder.
          packages: 'external',
          plugins: [corePlugin],
        });
        this.contextEntry = absolute;
      }
      const result = await this.context.rebuild();
      const n = ++this.builds;
      mkdirSync(this.outDir, { recursive: true });
      const file = join(this.outDir, `${safeName(this.appId)}.${n}.js`);
      for (const out of result.outputFiles) {
        if (out.path.endsWith('.js.map')) {
          // Same folder as the outfile esbuild computed it for, so its relative `sources` stay right.
          writeFileSync(`${file}.map`, out.text);
        } else if (out.path.endsWith('.js')) {
          const text = out.text.replace(/\/\/# sourceMappingURL=.*\s*$/, `//# sourceMappingURL=${basename(file)}.map\n`);
          writeFileSync(file, text);
        }
      }
      return {
        ok: true,
        file,
        inputs: inputsOf(result.metafile, cwd),
        warnings: toDiagnostics(result.warnings, 'warning', absolute, cwd),
        ms: performance.now() - started,
      };
    } catch (err) {
      if (isBuildFailure(err)) {
        const diagnostics = toDiagnostics(err.errors, 'error', absolute, cwd);
        const first = diagnostics[0];
        const message = first ? `${first.file}:${first.line}:${first.column + 1}: ${first.message}` : err.message;
        return { ok: false, diagnostics, message, ms: performance.now() - started };
      }
      const message = err instanceof Error ? err.message : String(err);
      return {
        ok: false,
        diagnostics: [{ file: absolute, line: 1, column: 0, length: 0, severity: 'error', message }],
        message,
        ms: performance.now() - started,
      };
    }
  }

  async dispose(): Promise<void> {
    await this.context?.dispose();
    this.context = undefined;
  }
}

function inputsOf(metafile: Metafile, cwd: string): string[] {
  return Object.keys(metafile.inputs)
    .filter((p) => !p.startsWith('fsdev-core:'))
    .map((p) => resolve(cwd, p));
}

function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9_.-]/g, '_');
}
