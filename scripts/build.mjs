// Bundles with esbuild. Types are checked separately (`npm run typecheck`): esbuild does not.
import { build } from 'esbuild';
import { builtinModules } from 'node:module';
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

const production = process.argv.includes('--production');

// report.html inlines uPlot (src/apphost/loadReport.ts). The packaged vsix and npm package ship no
// node_modules, so every Node bundle gets uplotText.ts as the files' text (esbuild's text loader)
// instead of the source's read from node_modules at run time.
const uplotText = {
  name: 'uplot-text',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]apphost[\\/]uplotText\.ts$/ }, () => ({
      contents: "export { default as UPLOT_SCRIPT } from 'uplot/dist/uPlot.iife.min.js';\nexport { default as UPLOT_STYLE } from 'uplot/dist/uPlot.min.css';\n",
      loader: 'js',
      resolveDir: process.cwd(),
    }));
    b.onLoad({ filter: /[\\/]node_modules[\\/]uplot[\\/]dist[\\/]uPlot\.(iife\.min\.js|min\.css)$/ }, (args) => ({ contents: readFileSync(args.path, 'utf8'), loader: 'text' }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  minify: production,
  logLevel: 'warning',
  plugins: [uplotText],
};

// Webview bundles run in a browser: a `vscode` or Node import there is a layering bug, so it fails
// the build instead of being shimmed or left for the page to fail on.
const forbidden = new Set(['vscode', ...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
const browserOnly = {
  name: 'browser-only',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (!forbidden.has(args.path) && !args.path.startsWith('node:')) return undefined;
      return { errors: [{ text: `webview code may not import ${JSON.stringify(args.path)} (imported by ${args.importer})` }] };
    });
  },
};
const webview = {
  bundle: true,
  platform: 'browser',
  target: 'chrome120',
  format: 'iife',
  sourcemap: true,
  minify: production,
  logLevel: 'warning',
  outdir: 'dist/webview',
  plugins: [browserOnly],
};
// The codicon font and its stylesheet are served to the webviews from dist/webview.
mkdirSync('dist/webview', { recursive: true });
for (const f of ['codicon.css', 'codicon.ttf']) copyFileSync(`node_modules/@vscode/codicons/dist/${f}`, `dist/webview/${f}`);

await Promise.all([
  build({ ...webview, entryPoints: { eventStream: 'src/webview/eventStream/main.ts', timeline: 'src/webview/timeline/main.ts', loadTest: 'src/webview/loadTest/main.ts' } }),
  // The extension: vscode is provided by the host.
  build({ ...common, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist', external: ['vscode', 'esbuild'] }),
  // The core as a plain Node library.
  build({ ...common, entryPoints: { core: 'src/core/index.ts' }, outdir: 'dist' }),
  // The app host process and the `fsdev` CLI. esbuild stays external: the host bundles user apps
  // with it at run time, and it ships a native binary that cannot be bundled.
  build({ ...common, entryPoints: { apphost: 'src/apphost/main.ts', fsdev: 'src/apphost/cli.ts', testhost: 'src/apphost/testHost.ts', loadhost: 'src/apphost/loadHost.ts' }, outdir: 'dist', external: ['esbuild'] }),
  // `freeswitch-dev/test` for installed use (`fsdev test` resolves it to its own copy instead).
  build({ ...common, entryPoints: { test: 'src/core/testing/index.ts' }, outdir: 'dist' }),
]);

// Declarations of the core for apps in a workspace ("New App from Template" maps `freeswitch-dev` to
// dist/types/index.d.ts in the apps folder's tsconfig), so IntelliSense works without copying code.
rmSync('dist/types', { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'src/core', '--noEmit', 'false', '--declaration', '--emitDeclarationOnly', '--outDir', 'dist/types'], { stdio: 'inherit' });

// The packaged host needs esbuild at run time (it bundles user apps); the vsix ships no
// node_modules, so the package build puts esbuild and this platform's binary next to
// dist/apphost.js, where its `require('esbuild')` finds them.
if (production) {
  rmSync('dist/node_modules', { recursive: true, force: true });
  const platform = `@esbuild/${process.platform}-${process.arch}`;
  cpSync('node_modules/esbuild/package.json', 'dist/node_modules/esbuild/package.json');
  cpSync('node_modules/esbuild/lib', 'dist/node_modules/esbuild/lib', { recursive: true });
  cpSync(`node_modules/${platform}`, `dist/node_modules/${platform}`, { recursive: true });
}
