/**
 * The app host: runs user apps on the core's own Client and EventListener over its own ESL
 * connection, and answers the supervisor's requests (src/shared/protocol/appHost.ts). Lives in a
 * child process (main.ts wires it to `process`), so an app that throws, loops forever or sits at a
 * breakpoint stalls this process only.
 */
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import * as core from '../core';
import { Client, EventListener, tapCommands, validateApp, type App, type AppError, type Disposable, type LoadedApp } from '../core';
import {
  APP_HOST_PROTOCOL_VERSION,
  type AppErrorInfo,
  type AppHostConnectionOptions,
  type AppHostRequest,
  type AppHostStatus,
  type AppStatus,
  type HostToSupervisor,
  type LoadResult,
  type LogNotification,
  type SourceLocation,
} from '../shared/protocol/appHost';
import { AppBundler, CORE_GLOBAL } from './bundler';

/**
 * The one place an app version goes live: the core's atomic hot swap, so calls in progress finish
 * on the version they started with and a failed swap leaves the old version running.
 */
function swapApp(client: Client, id: string, app: App, replacing: boolean): Promise<LoadedApp> {
  return replacing ? client.reloadApp(app, { id }) : client.loadApp(app, { id });
}

interface AppRecord {
  id: string;
  entry: string;
  version: number;
  bundler: AppBundler;
  loaded: LoadedApp | undefined;
  inputs: string[];
  lastError: AppErrorInfo | undefined;
}

/** Picks the app out of a bundled module's exports: `default`, else the one export with `on`; a class is instantiated. */
export function findApp(exports: unknown): App {
  const asApp = (value: unknown): App | undefined => {
    if (typeof value === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(value))) {
      const instance: unknown = new (value as new () => unknown)();
      return asApp(instance);
    }
    if (value !== null && typeof value === 'object' && 'on' in value) return value as App;
    return undefined;
  };
  if (exports === null || typeof exports !== 'object') throw new Error('the app module exports nothing');
  const record = exports as Record<string, unknown>;
  const fromDefault = asApp(record['default']);
  if (fromDefault) return fromDefault;
  const found = Object.entries(record).flatMap(([name, value]) => {
    if (name === 'default') return [];
    const app = asApp(value);
    return app ? [{ name, app }] : [];
  });
  if (found.length === 1) return found[0]!.app;
  if (found.length === 0) throw new Error('the app module exports no app: export an object (or class) with `on` callbacks, e.g. `export const app = defineApp({ on: { CHANNEL_PARK: … } })`');
  throw new Error(`the app module exports ${found.length} apps (${found.map((f) => f.name).join(', ')}): export one, or mark one as the default export`);
}

const FRAME = /(?:\(|at )((?:[A-Za-z]:)?[^():\s][^():]*):(\d+):(\d+)\)?\s*$/;

/** The first stack frame in one of `files` (else in any `.ts` file outside node_modules). */
export function locate(stack: string, files: ReadonlySet<string>): SourceLocation | undefined {
  let fallback: SourceLocation | undefined;
  for (const line of stack.split('\n').slice(1)) {
    const m = FRAME.exec(line.trim());
    if (!m) continue;
    const file = m[1]!.replace(/^file:\/\//, '');
    const loc = { file, line: Number(m[2]), column: Number(m[3]) };
    if (files.has(file)) return loc;
    if (!fallback && /\.tsx?$/.test(file) && !file.includes('node_modules') && !file.includes('/src/core/')) fallback = loc;
  }
  return fallback;
}

function errorText(err: unknown): { message: string; stack: string } {
  if (err instanceof Error) return { message: err.message, stack: err.stack ?? `${err.name}: ${err.message}` };
  return { message: String(err), stack: String(err) };
}

export class AppHost {
  private client: Client | undefined;
  private listener: EventListener | undefined;
  private readonly apps = new Map<string, AppRecord>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly startedAt = Date.now();
  private lastStatusJson = '';
  private readonly statusTimer: NodeJS.Timeout;
  /** While a recording runs: the tap on this host's connections (see `record`). */
  private recording: Disposable | undefined;

  constructor(
    private readonly send: (message: HostToSupervisor) => void,
    private readonly outDir: string,
    inspectorUrl: string | undefined,
  ) {
    (globalThis as Record<symbol, unknown>)[Symbol.for(CORE_GLOBAL)] = core;
    this.send({ kind: 'hello', protocol: APP_HOST_PROTOCOL_VERSION, pid: process.pid, node: process.version, inspectorUrl });
    // Counters change on every callback; the status goes out at most once a second, only when changed.
    this.statusTimer = setInterval(() => this.pushStatus(), 1000);
    this.statusTimer.unref();
  }

  log(level: LogNotification['level'], message: string, appId?: string): void {
    const log: LogNotification = { kind: 'log', level, message, at: Date.now() };
    if (appId !== undefined) log.appId = appId;
    this.send(log);
  }

  ping(seq: number): void {
    this.send({ kind: 'pong', seq });
  }

  async handle(request: AppHostRequest): Promise<void> {
    try {
      let result: unknown;
      switch (request.method) {
        case 'connect':
          result = await this.connect(request.params);
          break;
        case 'status':
          result = this.status();
          break;
        case 'load':
          result = await this.serialized(() => this.load(request.params.appId, request.params.entry, false));
          break;
        case 'reload':
          result = await this.serialized(() => this.load(request.params.appId, request.params.entry, true));
          break;
        case 'unload':
          result = await this.serialized(() => this.unload(request.params.appId));
          break;
        case 'shutdown':
          await this.serialized(() => this.shutdown());
          result = null;
          break;
        case 'record':
          this.record(request.params.on);
          result = null;
          break;
      }
      this.send({ kind: 'response', id: request.id, ok: true, result });
      if (request.method !== 'status' && request.method !== 'shutdown') this.pushStatus();
    } catch (err) {
      const { message, stack } = errorText(err);
      this.send({ kind: 'response', id: request.id, ok: false, error: { message, stack } });
    }
  }

  /** Reports an error no callback caught (a timer in an app, say), instead of letting it kill the host. */
  reportUncaught(err: unknown, origin: string): void {
    const { stack } = errorText(err);
    const files = new Set([...this.apps.values()].flatMap((r) => r.inputs));
    const location = locate(stack, files);
    const owner = location ? [...this.apps.values()].find((r) => r.inputs.includes(location.file)) : undefined;
    this.log('error', `${origin} in the app host${owner ? ` (app ${owner.id})` : ''}: ${stack}`, owner?.id);
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async connect(options: AppHostConnectionOptions): Promise<AppHostStatus> {
    if (this.listener) throw new Error('the app host is already connected');
    const conn = { host: options.host, port: options.port, password: options.password, ...(options.user !== undefined ? { user: options.user } : {}) };
    const listener = new EventListener(conn);
    const client = new Client({ ...conn, listener });
    listener.onDidChangeStatus((change) => {
      this.log(change.to === 'ready' ? 'info' : 'warn', `ESL ${options.host}:${options.port}: ${change.from} -> ${change.to}${change.error ? ` (${change.error.message})` : ''}`);
      this.pushStatus();
    });
    listener.onDidAppError((e) => this.onAppError(e));
    try {
      await listener.connect();
      await client.connect();
    } catch (err) {
      listener.dispose();
      client.dispose();
      throw err;
    }
    this.listener = listener;
    this.client = client;
    return this.status();
  }

  /**
   * The apps' commands go out on this host's connections, not on the one being recorded: while a
   * recording runs, each command and reply is sent to the supervisor, which writes it into the same
   * file. Refs carry the pid, so a restarted host's refs never pair with an old host's commands.
   */
  private record(on: boolean): void {
    if (!on) {
      this.recording?.dispose();
      this.recording = undefined;
      return;
    }
    if (this.recording) return;
    if (!this.listener || !this.client) throw new Error('the app host is not connected: send `connect` first');
    this.recording = tapCommands([this.listener.connection, this.client.connection], (frame) => this.send({ kind: 'recorded', frame }), `${process.pid}.`);
  }

  private requireClient(): Client {
    if (!this.client) throw new Error('the app host is not connected: send `connect` first');
    return this.client;
  }

  private async load(appId: string, entryArg: string | undefined, reload: boolean): Promise<LoadResult> {
    const client = this.requireClient();
    let record = this.apps.get(appId);
    if (!reload && record) throw new Error(`an app is already loaded with id ${appId}: reload or unload it`);
    if (reload && !record && entryArg === undefined) throw new Error(`no app is loaded with id ${appId}`);
    const entry = resolve(entryArg ?? record!.entry);
    const fresh = !record;
    if (!record) {
      record = {
        id: appId,
        entry,
        version: 0,
        bundler: new AppBundler(appId, this.outDir),
        loaded: undefined,
        inputs: [entry],
        lastError: undefined,
      };
    }
    const running = record.loaded !== undefined;
    const forget = async (): Promise<void> => {
      if (fresh) await record.bundler.dispose();
    };

    const bundled = await record.bundler.bundle(entry);
    if (!bundled.ok) {
      await forget();
      this.log('error', `app ${appId}: compile failed: ${bundled.message}${running ? ' (the previous version keeps running)' : ''}`, appId);
      return { loaded: false, phase: 'compile', diagnostics: bundled.diagnostics, message: bundled.message, previousVersionRunning: running };
    }

    const started = performance.now();
    const loadFailed = async (err: unknown, stillRunning: boolean): Promise<LoadResult> => {
      await forget();
      const { message, stack } = errorText(err);
      const location = locate(stack, new Set(bundled.inputs));
      const diagnostics = location
        ? [{ file: location.file, line: location.line, column: Math.max(0, location.column - 1), length: 0, severity: 'error' as const, message }]
        : [];
      this.log('error', `app ${appId}: load failed: ${stack}${stillRunning ? ' (the previous version keeps running)' : ''}`, appId);
      return { loaded: false, phase: 'load', diagnostics, message, stack, previousVersionRunning: stillRunning };
    };

    let app: App;
    try {
      const req = createRequire(bundled.file);
      const exports: unknown = req(bundled.file);
      delete req.cache[bundled.file];
      app = findApp(exports);
      validateApp(app, appId);
    } catch (err) {
      return loadFailed(err, running);
    }

    let loaded: LoadedApp;
    try {
      loaded = await swapApp(client, appId, app, running);
    } catch (err) {
      // The swap is atomic: whatever ran before still runs.
      return loadFailed(err, running);
    }
    record.loaded = loaded;
    record.entry = entry;
    record.inputs = bundled.inputs;
    record.version++;
    this.apps.set(appId, record);
    const loadMs = performance.now() - started;
    this.log('info', `app ${appId} v${record.version} loaded from ${entry} (bundle ${bundled.ms.toFixed(0)} ms, load ${loadMs.toFixed(0)} ms)`, appId);
    return { loaded: true, app: this.appStatus(record), bundleMs: bundled.ms, loadMs };
  }

  private async unload(appId: string): Promise<AppHostStatus> {
    const record = this.apps.get(appId);
    if (!record) throw new Error(`no app is loaded with id ${appId}`);
    this.apps.delete(appId);
    await record.bundler.dispose();
    if (record.loaded) await this.requireClient().unloadApp(appId);
    this.log('info', `app ${appId} unloaded`, appId);
    return this.status();
  }

  private async shutdown(): Promise<void> {
    for (const id of [...this.apps.keys()]) {
      try {
        await this.unload(id);
      } catch (err) {
        this.log('warn', `app ${id}: teardown failed: ${errorText(err).stack}`, id);
      }
    }
    clearInterval(this.statusTimer);
    this.record(false);
    await this.client?.disconnect().catch(() => undefined);
    await this.listener?.disconnect().catch(() => undefined);
    this.client?.dispose();
    this.listener?.dispose();
    rmSync(this.outDir, { recursive: true, force: true });
  }

  private onAppError(e: AppError): void {
    const record = this.apps.get(e.appId);
    const { message, stack } = errorText(e.error);
    const info: AppErrorInfo = {
      appId: e.appId,
      version: record?.version ?? 0,
      eventName: e.eventName,
      sessionUuid: e.sessionUuid,
      message,
      stack,
      location: locate(stack, new Set(record?.inputs ?? [])),
      at: e.at,
    };
    if (record) record.lastError = info;
    this.send({ kind: 'appError', error: info });
    this.log('error', `app ${e.appId} v${info.version}: ${e.eventName} callback failed on session ${e.sessionUuid}: ${stack}`, e.appId);
    this.pushStatus();
  }

  private appStatus(record: AppRecord): AppStatus {
    const loaded = record.loaded;
    // The core's LoadedApp counts over every version of the id.
    const runs: Record<string, number> = Object.fromEntries(loaded?.runs ?? []);
    return {
      id: record.id,
      name: loaded?.name ?? record.id,
      entry: record.entry,
      version: record.version,
      loadedAt: loaded?.loadedAt ?? 0,
      callbacks: [...(loaded?.callbacks ?? [])],
      callbacksRun: runs,
      callsHandled: loaded?.callsHandled ?? 0,
      errors: loaded?.errors ?? 0,
      lastError: record.lastError,
      inputs: record.inputs,
    };
  }

  status(): AppHostStatus {
    return {
      pid: process.pid,
      connection: this.listener?.status ?? 'idle',
      apps: [...this.apps.values()].map((r) => this.appStatus(r)),
      startedAt: this.startedAt,
    };
  }

  private pushStatus(): void {
    const status = this.status();
    const json = JSON.stringify(status);
    if (json === this.lastStatusJson) return;
    this.lastStatusJson = json;
    this.send({ kind: 'status', status });
  }
}
