/**
 * Discovery of call tests without running them (no vscode, so tests and the benchmark run it):
 * the scanner (src/core/testing/scan.ts) finds the declared tests, and esbuild's transform (the
 * same parser that bundles the file when it runs, so the same verdict) says whether the file
 * compiles. A file that does not compile is an error with its problems, never an empty list.
 */
import { scanCallTests, type ScannedTest } from '../../core/testing/scan';
import type { TestFileProblem } from '../../shared/protocol/testHost';

export interface DiscoveredFile {
  file: string;
  tests: ScannedTest[];
  /** Tests whose names are computed: they show up once the file runs. */
  dynamic: number;
  error?: { message: string; problems: TestFileProblem[] };
}

type Transform = (text: string, options: { loader: 'ts'; sourcefile: string; logLevel: 'silent' }) => Promise<unknown>;

let transform: Promise<Transform> | undefined;

/** esbuild, loaded once (it ships in dist/node_modules next to the extension for the app host). */
function esbuildTransform(): Promise<Transform> {
  transform ??= import('esbuild').then((m) => m.transform as unknown as Transform);
  return transform;
}

interface EsbuildMessage {
  text: string;
  location: { file: string; line: number; column: number } | null;
}

export async function discoverFile(file: string, text: string): Promise<DiscoveredFile> {
  const { tests, dynamic } = scanCallTests(text);
  const result: DiscoveredFile = { file, tests, dynamic };
  try {
    const t = await esbuildTransform();
    await t(text, { loader: 'ts', sourcefile: file, logLevel: 'silent' });
  } catch (err) {
    const errors = (err as { errors?: EsbuildMessage[] }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      const problems = errors.map((e) => ({ file, line: e.location?.line ?? 1, column: e.location?.column ?? 0, message: e.text }));
      result.error = { message: `does not compile: ${problems[0]!.message} (line ${problems[0]!.line})`, problems };
    } else {
      // esbuild itself could not run: say so on the file rather than hiding its tests.
      result.error = { message: `could not check the file: ${err instanceof Error ? err.message : String(err)}`, problems: [] };
    }
  }
  return result;
}

/**
 * What a file's item says (its description) when tests have names computed at run time: the scan
 * cannot list them, and without a word the file looks empty, or complete.
 */
export function computedNamesNote(listed: number, computed: number): string | undefined {
  if (computed === 0) return undefined;
  return listed === 0 ? 'tests with computed names: run the file to see them' : `and ${computed} with computed names: run the file to see them`;
}

/** Discovers many files concurrently (esbuild's service handles them in parallel). */
export function discoverFiles(files: ReadonlyArray<{ file: string; text: string }>): Promise<DiscoveredFile[]> {
  return Promise.all(files.map((f) => discoverFile(f.file, f.text)));
}
