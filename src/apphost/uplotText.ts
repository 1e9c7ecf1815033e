/**
 * uPlot's script and stylesheet as text, for report.html to inline. Run from source (tsx: the
 * tests) they are read from node_modules; the bundles get this module replaced by the two files'
 * text (scripts/build.mjs, esbuild's text loader), because the packaged vsix and npm package ship
 * no node_modules.
 */
import { readFileSync } from 'node:fs';

export const UPLOT_SCRIPT: string = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
export const UPLOT_STYLE: string = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
