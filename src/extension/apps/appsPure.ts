// Pure (no vscode): what the app integration computes from host answers and app sources, so unit
// tests run it without VS Code. The vscode glue (appManager.ts, codeLens.ts) turns these into
// Diagnostics and CodeLenses.
import { basename, extname } from 'node:path';
import type { AppDiagnostic, AppErrorInfo, AppStatus, LoadResult } from '../../shared/protocol/appHost';

/** A problem at a 0-based range of a file: a `vscode.Diagnostic` without vscode. */
export interface ProblemSpec {
  file: string;
  /** 0-based. */
  line: number;
  /** 0-based. */
  character: number;
  /** 0-based, exclusive; equal to `character` marks the rest of the word in the editor. */
  endCharacter: number;
  severity: 'error' | 'warning';
  message: string;
}

/** The app id of a file: its name without the extension (`fsapps/tones.ts` → `tones`). */
export function appIdForFile(file: string): string {
  const id = basename(file, extname(file)).replace(/[^A-Za-z0-9_.\-+@:]/g, '_');
  return id.length > 0 ? id : 'app';
}

function fromDiagnostic(d: AppDiagnostic): ProblemSpec {
  const line = Math.max(0, d.line - 1);
  const character = Math.max(0, d.column);
  return { file: d.file, line, character, endCharacter: character + Math.max(0, d.length), severity: d.severity, message: d.message };
}

/**
 * The problems a load answer puts in Problems: esbuild's diagnostics at their place, or (a load
 * failure without a place) the message at the first line of the entry. A success clears them:
 * it returns the warnings only.
 */
export function problemsFromLoad(entry: string, result: LoadResult): ProblemSpec[] {
  if (result.loaded) return [];
  if (result.diagnostics.length > 0) return result.diagnostics.map(fromDiagnostic);
  const kept = result.previousVersionRunning ? ' (the previous version keeps running)' : '';
  return [{ file: entry, line: 0, character: 0, endCharacter: 0, severity: 'error', message: `${result.message}${kept}` }];
}

/** A callback failure as a warning at the `.ts` line its mapped stack points at, when known. */
export function problemFromAppError(error: AppErrorInfo, entry: string | undefined): ProblemSpec | undefined {
  const file = error.location?.file ?? entry;
  if (file === undefined) return undefined;
  const line = error.location ? Math.max(0, error.location.line - 1) : 0;
  // Stack columns are 1-based.
  const character = error.location ? Math.max(0, error.location.column - 1) : 0;
  return { file, line, character, endCharacter: character, severity: 'warning', message: `${error.eventName} callback failed: ${error.message}` };
}

/** A callback key of an app's `on: { … }` object, at its 0-based place in the source. */
export interface CallbackSite {
  name: string;
  line: number;
  character: number;
}

const EVENT_KEY = /^(?:async\s+)?(?:['"]?)([A-Z][A-Z0-9_]*)(?:['"]?)\s*(?::|\()/;

/**
 * Finds the callbacks of the `on: { … }` objects in an app's source: `CHANNEL_PARK: …`,
 * `'CHANNEL_ANSWER': …`, `async DTMF(…) {…}`. A small scanner, not a parser: it skips strings,
 * template literals and comments, tracks brace depth, and reports keys directly inside an object
 * that follows `on:`. Never throws.
 */
export function findCallbacks(source: string): CallbackSite[] {
  const sites: CallbackSite[] = [];
  // Brace stack: true for an `on: {` object.
  const stack: boolean[] = [];
  let line = 0;
  let lineStart = 0;
  let expectKey = false;
  let i = 0;
  const n = source.length;
  while (i < n) {
    const c = source[i]!;
    if (c === '\n') {
      line++;
      i++;
      lineStart = i;
      continue;
    }
    if (c === '/' && source[i + 1] === '/') {
      while (i < n && source[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && source[i + 1] === '*') {
      i += 2;
      while (i < n && !(source[i] === '*' && source[i + 1] === '/')) {
        if (source[i] === '\n') {
          line++;
          lineStart = i + 1;
        }
        i++;
      }
      i += 2;
      continue;
    }
    const inOn = stack.length > 0 && stack[stack.length - 1] === true;
    if (inOn && expectKey && !/\s/.test(c)) {
      expectKey = false;
      const m = EVENT_KEY.exec(source.slice(i, i + 200));
      if (m) sites.push({ name: m[1]!, line, character: i - lineStart + (m[0].length - m[0].trimStart().length) });
    }
    if (c === '"' || c === "'" || c === '`') {
      // Skip the string (template literals: their `${}` parts are skipped too, which is fine here).
      const quote = c;
      i++;
      while (i < n && source[i] !== quote) {
        if (source[i] === '\\') i++;
        else if (source[i] === '\n') {
          line++;
          lineStart = i + 1;
        }
        i++;
      }
      i++;
      continue;
    }
    if (c === '{') {
      const before = source.slice(Math.max(0, i - 40), i);
      stack.push(/(?:^|[^\w$.])on\s*:\s*$/.test(before));
      expectKey = true;
    } else if (c === '}') {
      stack.pop();
      expectKey = false;
    } else if (c === ',' && inOn) {
      expectKey = true;
    } else if ((c === '(' || c === '[') && inOn) {
      // Nested parentheses inside a value: skip to the matching close so commas there do not count.
      const close = c === '(' ? ')' : ']';
      let depth = 0;
      for (; i < n; i++) {
        const d = source[i]!;
        if (d === '\n') {
          line++;
          lineStart = i + 1;
        } else if (d === c) depth++;
        else if (d === close && --depth === 0) break;
      }
    }
    i++;
  }
  return sites;
}

/** The CodeLens title for a callback: how often it ran and the app's last error in it. */
export function callbackLensTitle(app: AppStatus | undefined, name: string): string {
  if (!app) return 'not loaded';
  const runs = app.callbacksRun[name] ?? 0;
  let title = `ran ${runs} ${runs === 1 ? 'time' : 'times'}`;
  const last = app.lastError;
  if (last && last.eventName === name) title += ` · last error: ${last.message.split('\n')[0]!.slice(0, 120)}`;
  return title;
}

/** The tree's description of a host app: version and time of last load, calls, callbacks, errors. */
export function hostAppDescription(app: AppStatus, now: Date = new Date()): string {
  const runs = Object.values(app.callbacksRun).reduce((a, b) => a + b, 0);
  const loaded = new Date(app.loadedAt);
  const time = loaded.toDateString() === now.toDateString() ? loaded.toLocaleTimeString() : loaded.toLocaleString();
  return `v${app.version} · ${time} · ${app.callsHandled} ${app.callsHandled === 1 ? 'call' : 'calls'} · ${runs} callbacks${app.errors ? ` · ${app.errors} errors` : ''}`;
}
