// Bundles with esbuild. Types are checked separately (`npm run typecheck`): esbuild does not.
import { build } from 'esbuild';

const production = process.argv.includes('--production');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  minify: production,
  logLevel: 'warning',
};

await Promise.all([
  // The extension: vscode is provided by the host.
  build({ ...common, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist', external: ['vscode'] }),
  // The core as a plain Node library.
  build({ ...common, entryPoints: { core: 'src/core/index.ts' }, outdir: 'dist' }),
]);
