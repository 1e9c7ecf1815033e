// Pure (no vscode): the "New App from Template" source and the tsconfig that gives workspace apps
// the package's types (the declarations the extension ships in dist/types) without copying code.
import { setTsconfigPaths } from './jsonEdit';

/** A valid app name: what the file and the app id are called. */
export function validateAppName(name: string): string | undefined {
  if (!name.trim()) return 'A name is required';
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(name.trim())) return 'Letters, digits, - and _; starting with a letter';
  return undefined;
}

/** A working example: answers, plays a tone, hangs up. */
export function appTemplate(name: string): string {
  return `import { defineApp } from 'freeswitch-dev';

/**
 * ${name}: answers, plays a tone and hangs up. Save this file and the next call runs the new code;
 * calls in progress finish on the version they started with. Set a breakpoint and run
 * "FreeSWITCH: Debug Apps" to stop in it on the next call.
 */
export default defineApp({
  name: '${name}',
  on: {
    CHANNEL_PARK: async (session) => {
      console.log(\`${name}: answering \${session.uuid}\`);
      await session.answer();
      await session.playback('tone_stream://%(250,0,800)');
      await session.hangup('NORMAL_CLEARING');
    },
    CHANNEL_HANGUP_COMPLETE: (session) => {
      console.log(\`${name}: \${session.uuid} hung up (\${session.hangupCause ?? 'unknown cause'})\`);
    },
  },
});
`;
}

/** The compiler options a fresh `tsconfig.json` for an apps folder gets. */
const BASE_OPTIONS = {
  target: 'ES2022',
  module: 'ESNext',
  moduleResolution: 'Bundler',
  strict: true,
  noEmit: true,
  skipLibCheck: true,
};

/** `paths` entries mapping `freeswitch-dev` and `freeswitch-dev/test` to the shipped declarations. */
export function typesPathEntries(declarations: string): Record<string, [string]> {
  // Call tests import `freeswitch-dev/test`, declared next to the core's index.d.ts.
  return { 'freeswitch-dev': [declarations], 'freeswitch-dev/test': [declarations.replace(/index\.d\.ts$/, 'testing/index.d.ts')] };
}

/** The `tsconfig.json` this extension creates for an apps or tests folder (as an object). */
export function appsTsconfig(declarations: string): { compilerOptions: Record<string, unknown>; include: string[] } {
  return { compilerOptions: { ...BASE_OPTIONS, paths: typesPathEntries(declarations) }, include: ['./**/*.ts'] };
}

/**
 * The apps folder's `tsconfig.json` text with `paths["freeswitch-dev"]` (and `freeswitch-dev/test`)
 * pointing at the shipped declarations: a new file, or the existing text with only those entries
 * set (every other byte kept; the same text when they are set already). Undefined when the existing
 * file is not plain JSON (comments): it is left alone.
 */
export function mergeAppsTsconfig(existing: string | undefined, declarations: string): string | undefined {
  if (existing === undefined || !existing.trim()) return `${JSON.stringify(appsTsconfig(declarations), null, 2)}\n`;
  return setTsconfigPaths(existing, typesPathEntries(declarations));
}
