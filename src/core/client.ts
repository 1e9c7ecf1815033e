import { randomUUID } from 'node:crypto';
import type { App, LoadedApp } from './apps';
import { buildOriginate, APP_ID_VAR, type OriginateOptions } from './dialString';
import { Connection, type ConnectionOptions, type ConnectionStatus, type StatusChange } from './esl/connection';
import { ApiError, EslError } from './esl/errors';
import type { EventListener } from './listener';
import { Job } from './models/job';
import { DisposableStore, type Disposable, type Event } from './util/lifecycle';

/**
 * Sends commands to FreeSWITCH over its own ESL connection, as switchio's Client does: `api`,
 * `cmd`, `bgapi`, `originate`, `hupall`, and loading apps onto a listener.
 */
export class Client implements Disposable {
  readonly connection: Connection;
  /** The listener that tracks sessions and calls; `originate` and apps need one. */
  listener: EventListener | undefined;
  private readonly jobs = new Map<string, Job>();
  private readonly store = new DisposableStore();

  constructor(options: ConnectionOptions & { listener?: EventListener }) {
    this.connection = this.store.add(new Connection(options));
    this.listener = options.listener;
    // Jobs settle from BACKGROUND_JOB on our own connection, so bgapi works without a listener.
    void this.connection.subscribe(['BACKGROUND_JOB']);
    this.store.add(
      this.connection.onDidReceiveEvent((event) => {
        if (event.name !== 'BACKGROUND_JOB') return;
        const job = this.jobs.get(event.jobUuid ?? '');
        if (!job) return;
        this.jobs.delete(job.uuid);
        job.complete(event.body);
      }),
    );
    this.store.add(
      this.connection.onDidChangeStatus((change) => {
        // A BACKGROUND_JOB fired while we were away is gone for good: fail those jobs clearly.
        if (change.to !== 'closed' && change.to !== 'reconnecting') return;
        for (const job of this.jobs.values()) {
          if (this.listener?.status === 'ready' && this.listener.jobs.has(job.uuid)) continue;
          job.fail(new EslError(`lost the connection to ${this.connection.address} before job ${job.uuid} (${job.command}) reported its result`));
        }
        this.jobs.clear();
      }),
    );
  }

  get status(): ConnectionStatus {
    return this.connection.status;
  }

  get onDidChangeStatus(): Event<StatusChange> {
    return this.connection.onDidChangeStatus;
  }

  connect(): Promise<void> {
    return this.connection.connect();
  }

  disconnect(): Promise<void> {
    return this.connection.close();
  }

  /** `api <command>`: the raw response body, `-ERR …` included. */
  api(command: string, options: { timeoutMs?: number } = {}): Promise<string> {
    return this.connection.api(command, options);
  }

  /**
   * `api <command>` for its result: the body without its trailing newline; a `-ERR …` (or
   * `-USAGE: …`) response rejects with `ApiError` carrying FreeSWITCH's text.
   */
  async cmd(command: string, options: { timeoutMs?: number } = {}): Promise<string> {
    const body = await this.connection.api(command, options);
    if (body.startsWith('-ERR') || body.startsWith('-USAGE')) throw new ApiError(command, body);
    return body.replace(/\n$/, '');
  }

  /** `bgapi <command>`: a Job settled by its BACKGROUND_JOB. */
  bgapi(command: string): Job {
    return this.launch(new Job(randomUUID(), command));
  }

  private launch(job: Job): Job {
    this.jobs.set(job.uuid, job);
    this.listener?.registerJob(job);
    this.connection.bgapi(job.command, job.uuid).catch((err: unknown) => {
      this.jobs.delete(job.uuid);
      this.listener?.jobs.delete(job.uuid);
      job.fail(err instanceof Error ? err : new Error(String(err)));
    });
    return job;
  }

  /**
   * Originates a call: `originate {origination_uuid=…,…}<endpoint>/<dest> &app(arg)` as a bgapi job
   * whose result is the originated session's uuid (known up front as `job.sessUuid`). Needs a
   * listener, which tracks the call: without one this throws at once.
   */
  originate(destination: string, options: OriginateOptions = {}): Job {
    if (!this.listener) {
      throw new EslError('originate needs an EventListener to track the call: set client.listener first (const listener = new EventListener(…); await listener.connect(); client.listener = listener)');
    }
    if (options.appId !== undefined && !this.listener.loadedApps.has(options.appId)) {
      throw new EslError(`no app is loaded with id ${options.appId}: load it with client.loadApp(app, { id: '${options.appId}' }) first`);
    }
    const built = buildOriginate(destination, options, randomUUID);
    return this.launch(new Job(randomUUID(), built.command, built.uuid, options.appId));
  }

  /**
   * Hangs up every call (`hupall`), or only those of one app. Resolves to FreeSWITCH's reply,
   * e.g. `+OK hangup all channels with cause NORMAL_CLEARING`.
   */
  async hupall(cause = 'NORMAL_CLEARING', appId?: string): Promise<string> {
    if (!/^[A-Z_0-9]+$/.test(cause)) throw new EslError(`hangup cause ${JSON.stringify(cause)} is not a FreeSWITCH cause name (e.g. NORMAL_CLEARING)`);
    if (appId !== undefined && !/^[A-Za-z0-9_.\-+@:*#]+$/.test(appId)) throw new EslError(`app id ${JSON.stringify(appId)} is not valid`);
    return this.cmd(appId === undefined ? `hupall ${cause}` : `hupall ${cause} ${APP_ID_VAR} ${appId}`);
  }

  /**
   * Loads an app onto the listener: calls originated with `appId: id` (and inbound calls routed to
   * `id`) reach its callbacks. Atomic: a failed validation or setup leaves nothing loaded. The id
   * defaults to the app's name.
   */
  loadApp(app: App, options: { id?: string } = {}): Promise<LoadedApp> {
    if (!this.listener) return Promise.reject(new EslError('loading an app needs an EventListener: set client.listener first'));
    return this.listener.loadApp(app, options.id ?? app.name ?? randomUUID(), { client: this });
  }

  /**
   * Hot-swaps the app loaded as `id` (default: the app's name) for `app`. Atomic: if the new
   * version fails validation or setup, this rejects with why and the old version keeps running.
   * Calls in progress keep the version they started with; new calls get the new one; the old
   * version's teardown runs once its last call ended.
   */
  reloadApp(app: App, options: { id?: string } = {}): Promise<LoadedApp> {
    if (!this.listener) return Promise.reject(new EslError('reloading an app needs an EventListener: set client.listener first'));
    const id = options.id ?? app.name;
    if (id === undefined) return Promise.reject(new EslError('reloadApp needs the id the app was loaded with (options.id) or an app name'));
    return this.listener.reloadApp(id, app, { client: this });
  }

  /** Unloads an app; its teardown runs. */
  unloadApp(id: string): Promise<void> {
    if (!this.listener) return Promise.reject(new EslError('no EventListener attached'));
    return this.listener.unloadApp(id, { client: this });
  }

  dispose(): void {
    for (const job of this.jobs.values()) job.fail(new EslError('client disposed'));
    this.jobs.clear();
    this.store.dispose();
  }
}
