/**
 * Loads a bundle so that an attached debugger can set its breakpoints before any of it runs.
 *
 * A bundle written after the debugger attached (an app fixture: `useApp('./app.ts')`, `loadApp`) is
 * unknown to js-debug until it loads, and js-debug reads its source map while it already runs: a
 * breakpoint in a callback that runs at once (the test's first call) can be passed before it is
 * set. js-debug's `pauseForSourceMap` closes that gap with V8's "before a script with a source map
 * runs" instrumentation pause, but that pause never fires for CommonJS modules, which Node compiles
 * as functions (nodejs/node#31138). So under the debugger a bundle is compiled here as a script
 * (vm.Script) in Node's CommonJS wrapper, on one line with the code so the map's lines hold: the
 * debugger pauses, reads the map, sets the breakpoints, and resumes.
 *
 * Cost: Node 20 does not map the stacks of vm scripts to their sources, so only bundles loaded
 * while debugging come this way (the test files themselves are still required: failures point at
 * their .ts lines).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

const SOURCE_MAP_COMMENT = /\/\/# sourceMappingURL=(\S+)\s*$/;

/** What `require(file)` returns, for a CommonJS bundle, compiled where a debugger sees it start. */
export function loadForDebugger(file: string): unknown {
  let code = readFileSync(file, 'utf8');
  // A `#!` line is valid only at a file's very start, not inside the wrapper: made a comment of the
  // same length, so the map's lines and columns hold.
  if (code.startsWith('#!')) code = `//${code.slice(2)}`;
  // The comment goes after the wrapper's end, where V8 reads it as the script's source map.
  const comment = SOURCE_MAP_COMMENT.exec(code);
  if (comment) code = code.slice(0, comment.index);
  const source = `(function (exports, require, module, __filename, __dirname) {${code}\n})${comment ? `\n//# sourceMappingURL=${comment[1]}` : ''}\n`;
  const wrapper = new Script(source, { filename: file }).runInThisContext() as (exports: unknown, require: NodeJS.Require, module: { exports: unknown }, filename: string, dirname: string) => void;
  const module = { exports: {} as unknown, id: file, filename: file, loaded: false };
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  module.loaded = true;
  return module.exports;
}
