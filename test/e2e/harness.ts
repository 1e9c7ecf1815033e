// The e2e harness: a real VS Code (code-server) driven by Playwright in Debian's Chromium.
//
// What works on these machines and why is in /work/shared/E2E-NOTES.md; install code-server
// first with scripts/e2e/install-code-server.sh. Nothing here sleeps for a fixed time except the
// notification slide-in before a screenshot: every other wait is on a selector, a health check
// or a process event.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { format } from 'node:util';
import { chromium, type BrowserContext, type ConsoleMessage, type FrameLocator, type Locator, type Page } from 'playwright-core';

/** Root of the repository. */
export const REPO_ROOT = resolve(__dirname, '..', '..');
/** Screenshots and code-server logs land here (gitignored). */
export const RESULTS_DIR = join(REPO_ROOT, 'test-results', 'e2e');

const CODE_SERVER_BIN = process.env.E2E_CODE_SERVER ?? join(__dirname, 'code-server', 'node_modules', '.bin', 'code-server');
const CHROMIUM_BIN = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';

const HEALTH_TIMEOUT_MS = 30_000;
const WORKBENCH_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
/** The toast slides in; a screenshot taken at once catches it half-drawn. */
const NOTIFICATION_ANIMATION_MS = 500;

/** Settings that keep the workbench quiet and deterministic; `userSettings` is merged over them. */
export const QUIET_USER_SETTINGS: Readonly<Record<string, unknown>> = {
  'telemetry.telemetryLevel': 'off',
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'security.workspace.trust.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'chat.commandCenter.enabled': false,
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'git.openRepositoryInParentFolders': 'never',
};

export interface CodeServerOptions {
  /** Folder opened by default (and the cwd of code-server). */
  workspaceDir: string;
  /** A packaged build to `--install-extension` before the server starts. */
  extensionVsix?: string;
  /** Merged over {@link QUIET_USER_SETTINGS} into the profile's User/settings.json. */
  userSettings?: Record<string, unknown>;
  /** Extra environment for code-server and therefore for the extension host. */
  env?: Record<string, string>;
}

export interface CodeServerHandle {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** code-server's stdout and stderr, kept after stop(). */
  readonly logFile: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  readonly workspaceDir: string;
  /** How long `--install-extension` took (when a vsix was given) and spawn → /healthz 200. */
  readonly timings: { readonly installExtensionMs?: number; readonly healthyMs: number };
  /** Kills the whole process group (extension host, pty host, watchers), waits, removes the temp dirs. Idempotent. */
  stop(): Promise<void>;
}

// Process groups still running and temp dirs to remove, so an aborted run leaves nothing
// behind: code-server is in its own session, so a Ctrl-C in the terminal never reaches it.
const liveGroups = new Set<number>();
const liveDirs = new Set<string>();
let exitHooksInstalled = false;

function killGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

function cleanUpNow(): void {
  for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
  liveGroups.clear();
  for (const dir of liveDirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
    } catch {
      // a dying browser may still be writing its profile; the OS temp dir is cleaned eventually
    }
  }
  liveDirs.clear();
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.once('exit', cleanUpNow);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      cleanUpNow();
      // Re-raise with the default disposition so the exit status says how we died.
      process.kill(process.pid, signal);
    });
  }
}

/** A fresh directory under the OS temp dir, removed by {@link removeTempDir} or at process exit. */
export function makeTempDir(prefix: string): string {
  installExitHooks();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  liveDirs.add(dir);
  return dir;
}

/** Removes a directory made by {@link makeTempDir} now. */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  liveDirs.delete(dir);
}

/** A port that was free on 127.0.0.1 a moment ago (the kernel's choice). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('no port from listen(0)'));
        return;
      }
      server.close(() => resolvePort(address.port));
    });
  });
}

function httpStatus(url: string, timeoutMs: number): Promise<number> {
  return new Promise((resolveStatus, reject) => {
    const req = request(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      resolveStatus(res.statusCode ?? 0);
    });
    req.once('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.once('error', reject);
    req.end();
  });
}

function exitPromise(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolveExit) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolveExit({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    child.once('exit', (code, signal) => resolveExit({ code, signal }));
  });
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Resolves when `/healthz` answers 200; rejects if the process exits first or after the timeout. */
async function waitHealthy(url: string, exited: Promise<unknown>, logFile: string): Promise<void> {
  let dead = false;
  void exited.then(() => {
    dead = true;
  });
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  // Retrying a refused connection is waiting on the server's listen(); each attempt blocks until
  // the kernel answers, and the 50 ms pause only bounds the rate while the port is still closed.
  for (;;) {
    if (dead) throw new Error(`code-server exited before it was healthy:\n${tail(logFile)}`);
    try {
      if ((await httpStatus(`${url}/healthz`, 2_000)) === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`code-server not healthy after ${HEALTH_TIMEOUT_MS} ms:\n${tail(logFile)}`);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 50))]);
  }
}

function runToExit(file: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): Promise<number | null> {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(file, args, { env, stdio: ['ignore', fd, fd] });
    return new Promise((resolveCode, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => resolveCode(code));
    });
  } finally {
    closeSync(fd);
  }
}

/**
 * Starts code-server on a free loopback port with a fresh profile, extensions dir and config
 * (no auth, no TLS), installing `extensionVsix` first. Resolves once `/healthz` answers.
 */
export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServerHandle> {
  if (!existsSync(CODE_SERVER_BIN)) {
    throw new Error(`code-server is not installed (${CODE_SERVER_BIN}): run scripts/e2e/install-code-server.sh`);
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const tmp = makeTempDir('fsdev-e2e-cs-');
  const userDataDir = join(tmp, 'user-data');
  const extensionsDir = join(tmp, 'extensions');
  const configFile = join(tmp, 'config.yaml');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir);
  writeFileSync(configFile, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  writeFileSync(
    join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({ ...QUIET_USER_SETTINGS, ...opts.userSettings }, null, 2),
  );
  mkdirSync(join(RESULTS_DIR, 'logs'), { recursive: true });
  const logFile = join(RESULTS_DIR, 'logs', `code-server-${new Date().toISOString().replace(/[:.]/g, '-')}-${port}.log`);

  // XDG dirs point into the temp dir: code-server otherwise writes ~/.config/code-server,
  // ~/.local/share/code-server and ~/.cache/Microsoft (device id) even when given --config and
  // --user-data-dir. An empty gallery turns the marketplace off (it is Open VSX, unreachable
  // here, and only adds errors).
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    XDG_CONFIG_HOME: join(tmp, 'xdg-config'),
    XDG_DATA_HOME: join(tmp, 'xdg-data'),
    XDG_CACHE_HOME: join(tmp, 'xdg-cache'),
    EXTENSIONS_GALLERY: '{}',
    ...opts.env,
  };
  const common = ['--config', configFile, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];

  let installExtensionMs: number | undefined;
  if (opts.extensionVsix !== undefined) {
    const installStarted = performance.now();
    const code = await runToExit(CODE_SERVER_BIN, [...common, '--install-extension', resolve(opts.extensionVsix)], env, logFile);
    if (code !== 0) {
      removeTempDir(tmp);
      throw new Error(`--install-extension ${opts.extensionVsix} exited with ${code}:\n${tail(logFile)}`);
    }
    installExtensionMs = Math.round(performance.now() - installStarted);
  }

  const spawned = performance.now();
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    // detached: setsid(), so the server and everything it spawns share one process group.
    child = spawn(
      CODE_SERVER_BIN,
      [
        ...common,
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-workspace-trust',
        '--disable-getting-started-override',
        '--ignore-last-opened',
        resolve(opts.workspaceDir),
      ],
      { cwd: opts.workspaceDir, env, detached: true, stdio: ['ignore', fd, fd] },
    );
  } finally {
    closeSync(fd);
  }
  const pgid = child.pid;
  if (pgid === undefined) {
    removeTempDir(tmp);
    throw new Error(`could not spawn ${CODE_SERVER_BIN}`);
  }
  liveGroups.add(pgid);
  const exited = exitPromise(child);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      killGroup(pgid, 'SIGTERM');
      const deadline = Date.now() + STOP_GRACE_MS;
      let graceTimer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (graceTimer = setTimeout(r, STOP_GRACE_MS)))]);
      clearTimeout(graceTimer);
      // The server's exit does not mean its children are gone: wait for the group to empty.
      while (killGroup(pgid, 0)) {
        if (Date.now() > deadline) {
          killGroup(pgid, 'SIGKILL');
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      liveGroups.delete(pgid);
      removeTempDir(tmp);
    })();
    return stopping;
  };

  try {
    await waitHealthy(url, exited, logFile);
  } catch (err) {
    await stop();
    throw err;
  }
  const timings = { installExtensionMs, healthyMs: Math.round(performance.now() - spawned) };
  return { url, port, logFile, userDataDir, extensionsDir, workspaceDir: resolve(opts.workspaceDir), timings, stop };
}

export interface BrowserHandle {
  readonly context: BrowserContext;
  /** A new tab in the context. */
  newPage(): Promise<Page>;
  /** Closes the browser and removes its profile and XDG directories. Idempotent. */
  close(): Promise<void>;
}

export interface BrowserOptions {
  /** Default true; set E2E_HEADED=1 to watch (needs a display). */
  headless?: boolean;
  viewport?: { width: number; height: number };
  /** Extra Chromium switches, after the defaults. */
  args?: string[];
}

/** Debian's Chromium through playwright-core, with a fresh profile. */
export async function launchBrowser(opts: BrowserOptions = {}): Promise<BrowserHandle> {
  if (!existsSync(CHROMIUM_BIN)) {
    throw new Error(
      `${CHROMIUM_BIN} does not exist. The suites drive Debian's Chromium; run the suites through npm test or ` +
        'node scripts/test.mjs (they install it first), or run bash scripts/setup/install-prerequisites.sh.',
    );
  }
  const root = makeTempDir('fsdev-e2e-chromium-');
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(join(root, 'profile'), {
      executablePath: CHROMIUM_BIN,
      // Crashpad and dconf write to ~/.config/chromium and ~/.cache despite the profile dir.
      env: { ...process.env, XDG_CONFIG_HOME: join(root, 'xdg-config'), XDG_CACHE_HOME: join(root, 'xdg-cache') },
      headless: opts.headless ?? process.env.E2E_HEADED !== '1',
      viewport: opts.viewport ?? { width: 1280, height: 800 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
        ...(opts.args ?? []),
      ],
    });
  } catch (err) {
    removeTempDir(root);
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    context,
    newPage: () => context.newPage(),
    close: () => {
      closing ??= context.close().finally(() => removeTempDir(root));
      return closing;
    },
  };
}

/** The workbench URL for `folder` (an absolute path on the code-server machine). */
export function workbenchUrl(handle: CodeServerHandle, folder: string, payload?: ReadonlyArray<readonly [string, string]>): string {
  const params = new URLSearchParams({ folder: resolve(folder) });
  if (payload !== undefined) params.set('payload', JSON.stringify(payload));
  return `${handle.url}/?${params.toString()}`;
}

/**
 * Resolves when the workbench recorded the performance mark `name` (VS Code marks its startup
 * phases, e.g. `code/didStartWorkbench`, `code/didLoadExtensions`). Event-driven: a
 * PerformanceObserver in the page, buffered so a mark already set counts.
 */
export async function waitForMark(page: Page, name: string, timeoutMs = WORKBENCH_TIMEOUT_MS): Promise<void> {
  const seen = await page.evaluate(
    ({ mark, timeout }) =>
      new Promise<boolean>((resolveSeen) => {
        const timer = setTimeout(() => {
          observer.disconnect();
          resolveSeen(false);
        }, timeout);
        const observer = new PerformanceObserver((list) => {
          if (list.getEntriesByName(mark).length === 0) return;
          clearTimeout(timer);
          observer.disconnect();
          resolveSeen(true);
        });
        observer.observe({ type: 'mark', buffered: true });
      }),
    { mark: name, timeout: timeoutMs },
  );
  if (!seen) throw new Error(`the workbench did not reach ${name} in ${timeoutMs} ms`);
}

/**
 * Resolves when the workbench is usable: its parts are drawn and the extensions (and their
 * contributed commands, views and menus) are registered, so the palette finds them. Waiting
 * for the explorer alone is too early: extensions load a second or more later.
 */
export async function waitForWorkbench(page: Page, timeoutMs = WORKBENCH_TIMEOUT_MS): Promise<void> {
  await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: timeoutMs });
  await waitForMark(page, 'code/didLoadExtensions', timeoutMs);
}

/** Opens `folder` in `page` and waits until the workbench is ready. */
export async function openWorkbench(handle: CodeServerHandle, page: Page, folder: string): Promise<void> {
  await page.goto(workbenchUrl(handle, folder));
  await waitForWorkbench(page);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Presses `key` until `target` shows. A key pressed while the focus is moving (a webview just
 * closed, a quick input closing) can reach nothing, as a user would find; they press it again.
 */
export async function pressUntilVisible(page: Page, key: string, target: Locator, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.keyboard.press(key);
    try {
      await target.waitFor({ state: 'visible', timeout: Math.min(3_000, Math.max(1, deadline - Date.now())) });
      return;
    } catch (e) {
      if (Date.now() >= deadline) throw new Error(`${what} never showed after ${key} (${timeoutMs} ms)`, { cause: e });
    }
  }
}

/**
 * Runs a command by its palette title ("Category: Title") through F1. Picks the row whose label
 * is exactly `title`, so "Smoke: Hello" never runs "Smoke: Hello World".
 */
export async function runCommand(page: Page, title: string, timeoutMs = 15_000): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('input');
  await page.locator('.monaco-workbench').focus();
  await pressUntilVisible(page, 'F1', input, 'the command palette', timeoutMs);
  await input.fill(`>${title}`);
  const row = widget
    .locator('.quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(title)}$`) }) })
    .first();
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  await row.click();
  // Done when the palette closes, or when the command opened its own quick pick in the same widget
  // (Compare Load Test Runs…): then the widget may never be seen hidden, but the `>` query is gone.
  await page.waitForFunction(
    `(() => { const w = document.querySelector('.quick-input-widget'); return !w || !w.checkVisibility() || !w.querySelector('input')?.value.startsWith('>'); })()`,
    undefined,
    { timeout: timeoutMs },
  );
}

/**
 * An activity bar entry by its title ("Explorer", or a view container of an extension). The
 * badge shares the aria-label, hence the `a.action-label`; built-in entries append their
 * keybinding ("Explorer (Ctrl+Shift+E)").
 */
export function activityBarItem(page: Page, title: string): Locator {
  return page.locator(`.part.activitybar ${activityBarLabel(title)}`);
}

function activityBarLabel(title: string): string {
  return `a.action-label:is([aria-label=${JSON.stringify(title)}], [aria-label^=${JSON.stringify(`${title} (`)}])`;
}

/**
 * Shows a view container from the activity bar. Clicking the entry that is already showing would
 * hide the side bar, so it is clicked only when not already checked.
 */
export async function openViewContainer(page: Page, title: string, timeoutMs = 15_000): Promise<void> {
  const checked = page.locator('.part.activitybar li.action-item.checked', { has: page.locator(activityBarLabel(title)) });
  if ((await checked.count()) === 0) await activityBarItem(page, title).click({ timeout: timeoutMs });
  await checked.waitFor({ state: 'visible', timeout: timeoutMs });
  await page.locator('.part.sidebar').waitFor({ state: 'visible', timeout: timeoutMs });
}

/** A row of a tree or list in the side bar, panel or secondary side bar. */
export function treeRow(page: Page, text: string | RegExp): Locator {
  return page.locator(':is(.part.sidebar, .part.panel, .part.auxiliarybar) .monaco-list-row', { hasText: text });
}

/** Runs the context-menu entry `item` (its text, or a pattern of it) of a tree row. */
export async function contextMenu(page: Page, row: Locator, item: string | RegExp, timeoutMs = 15_000): Promise<void> {
  await row.click({ button: 'right' });
  const entry = page.locator('.monaco-menu .action-menu-item', { hasText: item }).first();
  await entry.waitFor({ state: 'visible', timeout: timeoutMs });
  // A click on the entry does not reach it in code-server's menu; the keyboard does.
  await entry.hover();
  await entry.focus();
  await page.keyboard.press('Enter');
  await entry.waitFor({ state: 'hidden', timeout: timeoutMs });
}

/** A notification toast. */
export function notification(page: Page, text: string | RegExp): Locator {
  return page.locator('.notifications-toasts .notification-toast', { hasText: text });
}

/** Waits for a toast and lets its slide-in finish, so a screenshot shows it whole. */
export async function waitForNotification(page: Page, text: string | RegExp, timeoutMs = 15_000): Promise<Locator> {
  const toast = notification(page, text);
  await toast.waitFor({ state: 'visible', timeout: timeoutMs });
  await page.waitForTimeout(NOTIFICATION_ANIMATION_MS);
  return toast;
}

/** Saves a PNG of the page to test-results/e2e/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path });
  return path;
}

/** The content frame of the visible, ready webview (the workbench nests it in two iframes). */
export function webviewFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready >> visible=true').frameLocator('#active-frame');
}

export interface ExtensionHostTestOptions {
  /** Folder with the extension's package.json; loaded as a development extension. */
  extensionDevelopmentPath: string;
  /** Module whose `run(): Promise<void>` the extension host calls; rejecting means failure. */
  extensionTestsPath: string;
  /** Folder opened in the workbench. */
  folder: string;
  /**
   * Reuse a browser (saves ~0.5 s). By default one is launched and closed for this run, which
   * also isolates the browser-side workbench state (IndexedDB) from earlier pages.
   */
  browser?: BrowserHandle;
  /** Default 120 s. */
  timeoutMs?: number;
  /** Called with each console line as it arrives (for live progress). */
  onOutput?: (line: string) => void;
}

export interface ExtensionHostTestResult {
  /** 0 when run() resolved, 1 when it rejected (as reported through codeAutomationExit). */
  exitCode: number;
  /** The page's console output, which carries the extension host's console. */
  output: string[];
}

/**
 * The text of a console message as lines, formatted like Node's console. The workbench forwards
 * the extension host's console as `console.log('%c INFO', 'color: …', ...originalArgs)`, so the
 * original format string (mocha's '%s%s' etc.) is an argument: drop the styled level prefix
 * and format the rest; keep the level when it is not INFO.
 */
async function consoleLines(msg: ConsoleMessage): Promise<string[]> {
  let args: unknown[];
  try {
    args = await Promise.all(msg.args().map((arg) => arg.jsonValue() as Promise<unknown>));
  } catch {
    return msg.text().split('\n');
  }
  let prefix = '';
  const level = typeof args[0] === 'string' ? /^%c\s*([A-Z]+)\s*$/.exec(args[0]) : null;
  if (level !== null && typeof args[1] === 'string' && args[1].startsWith('color:')) {
    args = args.slice(2);
    if (level[1] !== 'INFO') prefix = `[${level[1]}] `;
  }
  return (prefix + format(...args)).split('\n');
}

function remoteUri(handle: CodeServerHandle, path: string): string {
  return `vscode-remote://127.0.0.1:${handle.port}${resolve(path)}`;
}

/**
 * Runs a tests module inside code-server's Node extension host with a development extension,
 * the way @vscode/test-web does: the `payload` URL parameter carries extensionDevelopmentPath
 * and extensionTestsPath, and the workbench reports the outcome by calling
 * `window.codeAutomationExit(code)`. Uses a fresh page, since the extension host exits after.
 */
export async function runExtensionHostTests(handle: CodeServerHandle, opts: ExtensionHostTestOptions): Promise<ExtensionHostTestResult> {
  const browser = opts.browser ?? (await launchBrowser());
  const page = await browser.newPage();
  const output: string[] = [];
  const timeoutMs = opts.timeoutMs ?? 120_000;
  try {
    let reportExit: (code: number) => void = () => undefined;
    const exitCode = new Promise<number>((resolveExit) => {
      reportExit = resolveExit;
    });
    // Called by the workbench once the tests module settled (second argument: log files).
    await page.exposeFunction('codeAutomationExit', (code: unknown) => {
      reportExit(typeof code === 'number' ? code : 1);
    });
    // Console arguments are read asynchronously; a promise chain keeps the lines in order.
    let pending: Promise<void> = Promise.resolve();
    const emit = (lines: string[]): void => {
      for (const line of lines) {
        output.push(line);
        opts.onOutput?.(line);
      }
    };
    page.on('console', (msg: ConsoleMessage) => {
      pending = pending.then(async () => emit(await consoleLines(msg)));
    });
    page.on('pageerror', (err: Error) => {
      pending = pending.then(() => emit([`[pageerror] ${err.message}`]));
    });
    const payload: Array<[string, string]> = [
      ['extensionDevelopmentPath', remoteUri(handle, opts.extensionDevelopmentPath)],
      ['extensionTestsPath', remoteUri(handle, opts.extensionTestsPath)],
    ];
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`extension host tests did not finish in ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([page.goto(workbenchUrl(handle, opts.folder, payload)), timeout]);
      const code = await Promise.race([exitCode, timeout]);
      await pending;
      return { exitCode: code, output };
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await page.close();
    if (opts.browser === undefined) await browser.close();
  }
}

/** The packaged extension the e2e suites install. */
export const VSIX = join(REPO_ROOT, 'dist', 'freeswitch-dev.vsix');

/** The newest modification time under a path (files only). */
function newest(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((n) => newest(join(path, n))));
}

/** Packages the vsix unless the one in dist is newer than every source (each e2e suite may run alone). */
export function ensurePackaged(): void {
  let fresh = false;
  try {
    const built = statSync(VSIX).mtimeMs;
    fresh = ['src', 'package.json', 'scripts/build.mjs', '.vscodeignore'].every((p) => newest(join(REPO_ROOT, p)) < built);
  } catch {
    fresh = false;
  }
  if (fresh) return;
  const built = spawnSync('npm', ['run', 'package'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`npm run package failed:\n${built.stdout}\n${built.stderr}`);
}

/**
 * `step(name, body)` for a suite's UI steps: a test that, when it fails, saves a screenshot of that
 * moment (`FAILED-<prefix><name>`) next to the others.
 */
export function uiSteps(prefix: string, page: () => Page | undefined): (name: string, body: () => Promise<void>) => void {
  return (name, body) =>
    test(name, async () => {
      try {
        await body();
      } catch (err) {
        const current = page();
        const shot = current ? await screenshot(current, `FAILED-${prefix}${name.replace(/\W+/g, '-').slice(0, 60)}`).catch(() => undefined) : undefined;
        if (shot) console.log(`# failure screenshot: ${shot}`);
        throw err;
      }
    });
}

/** What every e2e suite starts from: the packaged extension in code-server on a fresh workspace, Chromium on its workbench. */
export interface ExtensionWorkbench {
  /** The suite's temp folder, removed by close(); the workspace is a folder in it. */
  readonly tmp: string;
  readonly workspace: string;
  readonly code: CodeServerHandle;
  readonly browser: BrowserHandle;
  readonly page: Page;
  /** Closes the browser and code-server and removes `tmp`. */
  close(): Promise<void>;
}

export interface ExtensionWorkbenchOptions {
  /** Names the temp folder (`fsdev-e2e-<name>-…`). */
  name: string;
  /** Writes the workspace's files before code-server opens it. */
  prepare?: (workspace: string) => void;
  userSettings?: Record<string, unknown>;
  env?: Record<string, string>;
  viewport?: { width: number; height: number };
}

/** Opens {@link VSIX} (package it first: {@link ensurePackaged}) in a fresh code-server and Chromium. */
export async function openExtensionWorkbench(opts: ExtensionWorkbenchOptions): Promise<ExtensionWorkbench> {
  const tmp = makeTempDir(`fsdev-e2e-${opts.name}-`);
  let code: CodeServerHandle | undefined;
  let browser: BrowserHandle | undefined;
  const close = async (): Promise<void> => {
    await browser?.close();
    await code?.stop();
    removeTempDir(tmp);
  };
  try {
    const workspace = join(tmp, 'workspace');
    mkdirSync(workspace, { recursive: true });
    opts.prepare?.(workspace);
    code = await startCodeServer({ workspaceDir: workspace, extensionVsix: VSIX, userSettings: opts.userSettings, env: opts.env });
    browser = await launchBrowser({ viewport: opts.viewport ?? { width: 1400, height: 900 } });
    const page = await browser.newPage();
    await openWorkbench(code, page, workspace);
    return { tmp, workspace, code, browser, page, close };
  } catch (err) {
    await close();
    throw err;
  }
}
