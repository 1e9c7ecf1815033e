// Pure (no vscode): the "New App from Template" source and the tsconfig that gives workspace apps
// the package's types (the declarations the extension ships in dist/types) without copying code.

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

/**
 * The apps folder's `tsconfig.json` text with `paths["freeswitch-dev"]` (and `freeswitch-dev/test`) pointing at the shipped
 * declarations: a new file, or the existing one with that entry set (other settings kept).
 * Undefined when the existing file is not plain JSON (comments): it is left alone.
 */
export function mergeAppsTsconfig(existing: string | undefined, declarations: string): string | undefined {
  let config: Record<string, unknown> = { compilerOptions: { ...BASE_OPTIONS }, include: ['./**/*.ts'] };
  if (existing !== undefined && existing.trim()) {
    try {
      const parsed: unknown = JSON.parse(existing);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
      config = parsed as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }
  const options = (config.compilerOptions && typeof config.compilerOptions === 'object' ? config.compilerOptions : {}) as Record<string, unknown>;
  const paths = (options.paths && typeof options.paths === 'object' ? options.paths : {}) as Record<string, unknown>;
  // Call tests import `freeswitch-dev/test`, declared next to the core's index.d.ts.
  const testing = declarations.replace(/index\.d\.ts$/, 'testing/index.d.ts');
  config.compilerOptions = { ...options, paths: { ...paths, 'freeswitch-dev': [declarations], 'freeswitch-dev/test': [testing] } };
  return `${JSON.stringify(config, null, 2)}\n`;
}
