// Runs the node:test suites with TypeScript through tsx. Node 20's runner does not discover .ts
// files by itself, so the files are listed here.
//
//   node scripts/test.mjs [roots…]           the suites under each root (default: all but e2e)
//   node scripts/test.mjs --shifted-clock …   the same under another date, time zone and locale
//
// Before any suite it runs the setup step every suite shares (Debian packages such as chromium),
// so a machine that has nothing gets what the suites need. Every test and hook has its own time
// limit (test/support/timeLimits.ts), so a test that never ends fails naming itself instead of
// hanging the run, and every file has a larger one. The default run ends with the clock guard: the unit
// and integration suites again, with the clock moved by whole days into another year, in a time
// zone 14 hours from UTC and a German locale (libfaketime), so no test can depend on today.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const DEFAULT_ROOTS = ['test/unit', 'test/integration', 'test/apphost', 'test/webview'];
const CLOCK_GUARD_ROOTS = ['test/unit', 'test/integration'];
/**
 * Per test and hook declared without a `timeout` (a describe's own `timeout` covers what it
 * declares: the webview and e2e suites set theirs). Waits inside tests fail sooner, naming what they
 * waited for (test/support/wait.ts); this names the test when a wait has no limit of its own.
 */
const TEST_TIMEOUT_MS = 30_000;
/**
 * Per file: node 20 applies `--test-timeout` to each file's process as a whole (not to its tests),
 * so this only catches what the per-test limits cannot, such as a file that never gets to its tests.
 */
const FILE_TIMEOUT_MS = 600_000;
/** The e2e steps drive a whole VS Code, and one installs code-server. */
const E2E_TEST_TIMEOUT_MS = 300_000;
const E2E_FILE_TIMEOUT_MS = 1_200_000;

const args = process.argv.slice(2);
const shifted = args.includes('--shifted-clock');
const given = args.filter((a) => a !== '--shifted-clock');
const roots = given.length > 0 ? given : DEFAULT_ROOTS;

function collect(dir) {
  if (!existsSync(dir)) return [];
  if (statSync(dir).isFile()) return [dir];
  return readdirSync(dir)
    .sort()
    .filter((name) => name !== 'node_modules' && name !== 'code-server')
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return collect(path);
      return name.endsWith('.test.ts') ? [path] : [];
    });
}

/** The clock guard: 400 days on (another year, month and weekday), UTC+14, de-DE, via Debian's faketime. */
const SHIFTED_CLOCK = {
  label: '+400 days, TZ=Pacific/Kiritimati, LC_ALL=de_DE.UTF-8',
  prefix: ['faketime', '-f', '+400d'],
  env: {
    ...process.env,
    // Timers run on the monotonic clock; leave it real so timeouts keep their length.
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
    TZ: 'Pacific/Kiritimati',
    LC_ALL: 'de_DE.UTF-8',
    LANG: 'de_DE.UTF-8',
  },
};

function run(files, clock) {
  if (files.length === 0) {
    console.error(`no test files under ${roots.join(', ')}`);
    return 1;
  }
  const e2e = files.some((f) => f.startsWith('test/e2e'));
  const command = [
    process.execPath,
    '--import',
    'tsx',
    // Loaded into each file's process before the file: it gives each test its own limit.
    '--import',
    './test/support/timeLimits.ts',
    '--test',
    `--test-timeout=${e2e ? E2E_FILE_TIMEOUT_MS : FILE_TIMEOUT_MS}`,
    '--test-reporter=spec',
    ...files,
  ];
  if (clock) console.log(`\nUnder a shifted clock (${clock.label}):`);
  const [exe, ...argv] = clock ? [...clock.prefix, ...command] : command;
  const env = { ...(clock?.env ?? process.env), FSDEV_TEST_TIMEOUT_MS: String(e2e ? E2E_TEST_TIMEOUT_MS : TEST_TIMEOUT_MS) };
  const result = spawnSync(exe, argv, { stdio: 'inherit', env });
  return result.status ?? 1;
}

const setup = spawnSync('bash', [join('scripts', 'setup', 'install-prerequisites.sh')], { stdio: 'inherit' });
if (setup.status !== 0) process.exit(setup.status ?? 1);

if (shifted) process.exit(run(roots.flatMap(collect), SHIFTED_CLOCK));
let status = run(roots.flatMap(collect));
// The clock guard, after the default run: the unit and integration suites once more.
if (status === 0 && given.length === 0) status = run(CLOCK_GUARD_ROOTS.flatMap(collect), SHIFTED_CLOCK);
process.exit(status);
