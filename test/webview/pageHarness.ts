// Loads a webview bundle (dist/webview) in Debian's Chromium with the same HTML and CSP the
// extension builds, and stands in for VS Code: `acquireVsCodeApi().postMessage` reaches a Node
// function, and the host posts with window.postMessage, as VS Code does.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { webviewHtml } from '../../src/shared/webviewHtml';
import { REPO_ROOT, launchBrowser, type BrowserHandle } from '../e2e/harness';

export const ORIGIN = 'https://webview.test';
export const SHOTS_DIR = join(REPO_ROOT, 'test-results', 'webview');
const DIST = join(REPO_ROOT, 'dist', 'webview');

/** A subset of VS Code's theme variables, enough to see the views as users do. */
export const THEMES = {
  dark: {
    'vscode-foreground': '#cccccc',
    'vscode-editor-background': '#1f1f1f',
    'vscode-descriptionForeground': '#9d9d9d',
    'vscode-input-background': '#313131',
    'vscode-input-foreground': '#cccccc',
    'vscode-input-border': '#3c3c3c',
    'vscode-input-placeholderForeground': '#989898',
    'vscode-panel-border': '#2b2b2b',
    'vscode-list-hoverBackground': '#2a2d2e',
    'vscode-list-activeSelectionBackground': '#04395e',
    'vscode-list-activeSelectionForeground': '#ffffff',
    'vscode-list-inactiveSelectionBackground': '#37373d',
    'vscode-focusBorder': '#0078d4',
    'vscode-button-background': '#0078d4',
    'vscode-button-foreground': '#ffffff',
    'vscode-badge-background': '#616161',
    'vscode-badge-foreground': '#f8f8f8',
    'vscode-errorForeground': '#f85149',
    'vscode-editorWarning-foreground': '#cca700',
    'vscode-textLink-foreground': '#4daafc',
    'vscode-toolbar-hoverBackground': '#5a5d5e50',
    'vscode-dropdown-background': '#313131',
    'vscode-settings-textInputBackground': '#313131',
    'vscode-settings-textInputForeground': '#cccccc',
    'vscode-settings-textInputBorder': '#3c3c3c',
    'vscode-settings-checkboxBackground': '#313131',
    'vscode-settings-checkboxBorder': '#3c3c3c',
    'vscode-button-secondaryBackground': '#313131',
    'vscode-button-secondaryForeground': '#cccccc',
    'vscode-charts-blue': '#3794ff',
    'vscode-charts-green': '#89d185',
    'vscode-charts-red': '#f14c4c',
    'vscode-charts-yellow': '#cca700',
    'vscode-charts-orange': '#d18616',
    'vscode-charts-purple': '#b180d7',
    'vscode-font-family': 'system-ui, sans-serif',
    'vscode-font-size': '13px',
    'vscode-editor-font-family': 'monospace',
    'vscode-editor-font-size': '12px',
  },
  light: {
    'vscode-foreground': '#3b3b3b',
    'vscode-editor-background': '#ffffff',
    'vscode-descriptionForeground': '#717171',
    'vscode-input-background': '#ffffff',
    'vscode-input-foreground': '#3b3b3b',
    'vscode-input-border': '#cecece',
    'vscode-input-placeholderForeground': '#767676',
    'vscode-panel-border': '#e5e5e5',
    'vscode-list-hoverBackground': '#f2f2f2',
    'vscode-list-activeSelectionBackground': '#e8e8e8',
    'vscode-list-activeSelectionForeground': '#000000',
    'vscode-list-inactiveSelectionBackground': '#e4e6f1',
    'vscode-focusBorder': '#005fb8',
    'vscode-button-background': '#005fb8',
    'vscode-button-foreground': '#ffffff',
    'vscode-badge-background': '#cccccc',
    'vscode-badge-foreground': '#3b3b3b',
    'vscode-errorForeground': '#f85149',
    'vscode-editorWarning-foreground': '#bf8803',
    'vscode-textLink-foreground': '#005fb8',
    'vscode-toolbar-hoverBackground': '#b8b8b850',
    'vscode-dropdown-background': '#ffffff',
    'vscode-settings-textInputBackground': '#ffffff',
    'vscode-settings-textInputForeground': '#3b3b3b',
    'vscode-settings-textInputBorder': '#cecece',
    'vscode-settings-checkboxBackground': '#f8f8f8',
    'vscode-settings-checkboxBorder': '#cecece',
    'vscode-button-secondaryBackground': '#e5e5e5',
    'vscode-button-secondaryForeground': '#3b3b3b',
    'vscode-charts-blue': '#1a85ff',
    'vscode-charts-green': '#388a34',
    'vscode-charts-red': '#e51400',
    'vscode-charts-yellow': '#bf8803',
    'vscode-charts-orange': '#d18616',
    'vscode-charts-purple': '#652d90',
    'vscode-font-family': 'system-ui, sans-serif',
    'vscode-font-size': '13px',
    'vscode-editor-font-family': 'monospace',
    'vscode-editor-font-size': '12px',
  },
  /** VS Code's Dark High Contrast: no selection fills, orange and blue outlines instead. */
  highContrast: {
    'vscode-foreground': '#ffffff',
    'vscode-editor-background': '#000000',
    'vscode-descriptionForeground': '#ffffff',
    'vscode-input-background': '#000000',
    'vscode-input-foreground': '#ffffff',
    'vscode-input-border': '#6fc3df',
    'vscode-input-placeholderForeground': '#ffffffb3',
    'vscode-panel-border': '#6fc3df',
    'vscode-contrastBorder': '#6fc3df',
    'vscode-contrastActiveBorder': '#f38518',
    'vscode-focusBorder': '#f38518',
    'vscode-button-background': '#000000',
    'vscode-button-foreground': '#ffffff',
    'vscode-button-border': '#6fc3df',
    'vscode-badge-background': '#000000',
    'vscode-badge-foreground': '#ffffff',
    'vscode-errorForeground': '#f48771',
    'vscode-editorWarning-foreground': '#ffd370',
    'vscode-textLink-foreground': '#21a6ff',
    'vscode-dropdown-background': '#000000',
    'vscode-settings-textInputBackground': '#000000',
    'vscode-settings-textInputForeground': '#ffffff',
    'vscode-settings-textInputBorder': '#6fc3df',
    'vscode-settings-checkboxBackground': '#000000',
    'vscode-settings-checkboxBorder': '#6fc3df',
    'vscode-button-secondaryBackground': '#000000',
    'vscode-button-secondaryForeground': '#ffffff',
    'vscode-charts-blue': '#3794ff',
    'vscode-charts-green': '#89d185',
    'vscode-charts-red': '#f14c4c',
    'vscode-charts-yellow': '#ffd370',
    'vscode-charts-orange': '#f38518',
    'vscode-charts-purple': '#b180d7',
    'vscode-font-family': 'system-ui, sans-serif',
    'vscode-font-size': '13px',
    'vscode-editor-font-family': 'monospace',
    'vscode-editor-font-size': '12px',
  },
} as const;
export type ThemeName = keyof typeof THEMES;

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf', '.map': 'application/json' };

let built = false;
/** Builds dist/webview once per process when it is missing. */
export function ensureBuilt(): void {
  if (built || existsSync(join(DIST, 'eventStream.js'))) {
    built = true;
    return;
  }
  throw new Error('dist/webview is missing: run `npm run build` first');
}

export interface WebviewPage {
  page: Page;
  /** Messages the webview posted, in order. */
  received: unknown[];
  /** Posts a host message to the webview, as VS Code does. */
  post(message: unknown): Promise<void>;
  /** CSP violations reported in the page. */
  violations(): Promise<string[]>;
  screenshot(name: string): Promise<string>;
}

/**
 * Opens `bundle` in a new page with `theme`'s variables; `onMessage` receives each message the
 * webview posts (the host side); `initScript` runs in the page before the bundle.
 */
export async function openWebview(browser: BrowserHandle, bundle: 'eventStream' | 'timeline' | 'loadTest', opts: { theme?: ThemeName; onMessage?: (m: unknown) => void; initScript?: string } = {}): Promise<WebviewPage> {
  ensureBuilt();
  const page = await browser.newPage();
  const received: unknown[] = [];
  const theme = THEMES[opts.theme ?? 'dark'];
  const themeCss = `:root{${Object.entries(theme).map(([k, v]) => `--${k}:${v};`).join('')}}`;
  const nonce = randomBytes(16).toString('base64');
  const html = webviewHtml({
    cspSource: ORIGIN,
    nonce,
    title: bundle,
    scriptUri: `${ORIGIN}/dist/${bundle}.js`,
    styleUris: [`${ORIGIN}/theme.css`, `${ORIGIN}/dist/codicon.css`, `${ORIGIN}/dist/${bundle}.css`],
  });
  await page.route(`${ORIGIN}/**`, async (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/index.html') return route.fulfill({ status: 200, contentType: 'text/html', body: html });
    if (path === '/theme.css') return route.fulfill({ status: 200, contentType: 'text/css', body: themeCss });
    if (path.startsWith('/dist/')) {
      const file = join(DIST, path.slice('/dist/'.length));
      if (!file.startsWith(DIST) || !existsSync(file)) return route.fulfill({ status: 404, body: '' });
      return route.fulfill({ status: 200, contentType: TYPES[extname(file)] ?? 'application/octet-stream', body: readFileSync(file) });
    }
    // Anything else (an injected <img src=x>, a link) must never load: record it.
    received.push({ unexpectedRequest: route.request().url() });
    return route.fulfill({ status: 404, body: '' });
  });
  await page.exposeFunction('__toHost', (m: unknown) => {
    received.push(m);
    opts.onMessage?.(m);
  });
  await page.addInitScript(`
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
    window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__toHost(m), getState: () => undefined, setState: () => undefined });
  `);
  // Before the bundle runs, for probes that must see what it sets up (a benchmark's).
  if (opts.initScript) await page.addInitScript(opts.initScript);
  page.on('dialog', (d) => {
    received.push({ dialog: d.message() });
    void d.dismiss();
  });
  page.on('pageerror', (err) => received.push({ pageerror: err.message }));
  await page.goto(`${ORIGIN}/index.html`);
  let chain = Promise.resolve();
  return {
    page,
    received,
    post: (message: unknown) => {
      // Keep host messages in order, as VS Code's postMessage does.
      chain = chain.then(() => page.evaluate((m) => (globalThis as unknown as { postMessage(m: unknown, t: string): void }).postMessage(m, '*'), message));
      return chain;
    },
    violations: () => page.evaluate(() => (globalThis as unknown as { __violations: string[] }).__violations),
    screenshot: async (name: string) => {
      mkdirSync(SHOTS_DIR, { recursive: true });
      const path = join(SHOTS_DIR, `${name}.png`);
      await page.screenshot({ path });
      return path;
    },
  };
}

/** Waits until `predicate` holds for the messages received (turn by turn, bounded). */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export { launchBrowser };
