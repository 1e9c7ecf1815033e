import * as vscode from 'vscode';
import { AccessDeniedError, AuthError, Client, EventListener, type EslLogger } from '../../core';
import type { ServerConfig } from '../config';
import { Disposable } from '../util/disposable';

/** What the UI shows for a server. */
export type ServerState =
  | { kind: 'disconnected' }
  | { kind: 'connecting' }
  | { kind: 'connected' }
  | { kind: 'reconnecting'; attempt: number; error: string | undefined }
  | { kind: 'authFailed'; error: string }
  /** The event socket's ACL refused this machine: the password may well be right. */
  | { kind: 'accessDenied'; error: string }
  | { kind: 'unreachable'; error: string };

/**
 * One configured FreeSWITCH server: an EventListener that tracks its calls and a Client that sends
 * commands, each on its own ESL connection, as switchio pairs them.
 */
export class ServerConnection extends Disposable {
  private _state: ServerState = { kind: 'disconnected' };
  private _listener: EventListener | undefined;
  private _client: Client | undefined;
  private session: vscode.Disposable[] = [];
  private connecting: Promise<void> | undefined;

  private readonly _onDidChangeState = this._register(new vscode.EventEmitter<ServerState>());
  readonly onDidChangeState = this._onDidChangeState.event;
  private readonly _onDidChangeCalls = this._register(new vscode.EventEmitter<void>());
  /** Calls, sessions or apps changed. Fires per event: consumers coalesce. */
  readonly onDidChangeCalls = this._onDidChangeCalls.event;

  constructor(
    private _config: ServerConfig,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
  }

  get config(): ServerConfig {
    return this._config;
  }

  /**
   * The settings entry changed in what needs no new connection (its group): the connection stays
   * up. ServerManager decides which changes those are.
   */
  updateConfig(config: ServerConfig): void {
    this._config = config;
  }

  /** `name (host:port)`, for messages. */
  get label(): string {
    return `${this.config.name} (${this.config.host}:${this.config.port})`;
  }

  get state(): ServerState {
    return this._state;
  }

  get listener(): EventListener | undefined {
    return this._listener;
  }

  get client(): Client | undefined {
    return this._client;
  }

  get isConnected(): boolean {
    return this._state.kind === 'connected';
  }

  /** Live calls, when connected. */
  get callCount(): number {
    return this._listener?.calls.size ?? 0;
  }

  private setState(state: ServerState): void {
    this._state = state;
    this._onDidChangeState.fire(state);
  }

  /**
   * Connects both ESL connections. Rejects with the core's typed error (AuthError, a refused
   * connection …) after showing it in the state; the password is never part of any message. A
   * second call while one is in flight joins it rather than open a second pair of connections.
   */
  connect(password: string): Promise<void> {
    this.connecting ??= this.open(password).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async open(password: string): Promise<void> {
    await this.disconnect();
    const logger: EslLogger = (level, message) => {
      if (level === 'debug') this.log.debug(message);
      else if (level === 'info') this.log.info(message);
      else if (level === 'warn') this.log.warn(message);
      else this.log.error(message);
    };
    const options = { host: this.config.host, port: this.config.port, password, logger, ...(this.config.user ? { user: this.config.user } : {}) };
    const listener = new EventListener(options);
    const client = new Client({ ...options, listener });
    this._listener = listener;
    this._client = client;
    const changed = (): void => this._onDidChangeCalls.fire();
    const status = (): void => this.onStatus(listener, client);
    this.session = [
      { dispose: () => client.dispose() },
      { dispose: () => listener.dispose() },
      toVscode(listener.onDidChangeStatus(status)),
      toVscode(client.onDidChangeStatus(status)),
      toVscode(listener.onDidCreateCall(changed)),
      toVscode(listener.onDidEndCall(changed)),
      toVscode(listener.onDidMergeCalls(changed)),
      toVscode(listener.onDidChangeSession(changed)),
      toVscode(listener.onDidCreateSession(changed)),
      toVscode(listener.onDidResync(changed)),
      toVscode(listener.onDidChangeApps(changed)),
      toVscode(listener.onDidAppError((e) => {
        this.log.error(`app ${e.appId}: ${e.eventName} callback failed on ${e.sessionUuid}: ${e.error.stack ?? e.error.message}`);
        changed();
      })),
    ];
    this.setState({ kind: 'connecting' });
    try {
      await listener.connect();
      await client.connect();
      this.setState({ kind: 'connected' });
      changed();
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.disposeSession();
      this.setState(failureState(error));
      throw error;
    }
  }

  /**
   * The UI state of the pair: connected only when both connections are ready (commands use the
   * client, the tree the listener); otherwise the worse of the two.
   */
  private onStatus(listener: EventListener, client: Client): void {
    if (this._state.kind === 'connecting' || this._listener !== listener) return;
    const statuses = [listener.connection, client.connection];
    const closed = statuses.find((c) => c.status === 'closed');
    const reconnecting = statuses.find((c) => c.status === 'reconnecting' || c.status === 'connecting' || c.status === 'authenticating');
    if (closed) {
      const error = closed.lastError;
      if (error) this.setState(failureState(error));
    } else if (reconnecting) {
      this.setState({ kind: 'reconnecting', attempt: Math.max(1, reconnecting.reconnectAttempt), error: reconnecting.lastError?.message });
    } else if (statuses.every((c) => c.status === 'ready')) {
      this.setState({ kind: 'connected' });
    }
  }

  /** Closes both connections (sending `exit`). */
  async disconnect(): Promise<void> {
    const listener = this._listener;
    const client = this._client;
    if (!listener && !client) return;
    await Promise.allSettled([client?.disconnect(), listener?.disconnect()]);
    this.disposeSession();
    this.setState({ kind: 'disconnected' });
    this._onDidChangeCalls.fire();
  }

  private disposeSession(): void {
    for (const d of this.session) d.dispose();
    this.session = [];
    this._listener = undefined;
    this._client = undefined;
  }

  override dispose(): void {
    void this._client?.disconnect();
    void this._listener?.disconnect();
    this.disposeSession();
    super.dispose();
  }
}

function failureState(error: Error): ServerState {
  if (error instanceof AuthError) return { kind: 'authFailed', error: error.message };
  if (error instanceof AccessDeniedError) return { kind: 'accessDenied', error: error.message };
  return { kind: 'unreachable', error: error.message };
}

function toVscode(d: { dispose(): void }): vscode.Disposable {
  return { dispose: () => d.dispose() };
}
