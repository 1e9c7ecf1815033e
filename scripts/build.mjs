// Bundles with esbuild. Types are checked separately (`npm run typecheck`): esbuild does not.
import { build } from 'esbuild';

const production = process.argv.includes('--production');

await build({
  entryPoints: { core: 'src/core/index.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  minify: production,
  logLevel: 'warning',
});
