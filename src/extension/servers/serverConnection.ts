import * as vscode from 'vscode';
import { AccessDeniedError, AuthError, Client, EventListener, type EslLogger, type StatusChange } from '../../core';
import type { ServerConfig } from '../config';
import { Disposable } from '../util/disposable';

/** What the UI shows for a server. */
export type ServerState =
  | { kind: 'disconnected' }
  | { kind: 'connecting' }
  | { kind: 'connected' }
  | { kind: 'reconnecting'; attempt: number; error: string | undefined }
  | { kind: 'authFailed'; error: string }
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

  private readonly _onDidChangeState = this._register(new vscode.EventEmitter<ServerState>());
  readonly onDidChangeState = this._onDidChangeState.event;
  private readonly _onDidChangeCalls = this._register(new vscode.EventEmitter<void>());
  /** Calls, sessions or apps changed. Fires per event: consumers coalesce. */
  readonly onDidChangeCalls = this._onDidChangeCalls.event;

  constructor(
    readonly config: ServerConfig,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
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
   * connection …) after showing it in the state; the password is never part of any message.
   */
  async connect(password: string): Promise<void> {
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
    this.session = [
      { dispose: () => client.dispose() },
      { dispose: () => listener.dispose() },
      toVscode(listener.onDidChangeStatus((c) => this.onStatus(c))),
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
      this.setState(error instanceof AuthError || error instanceof AccessDeniedError ? { kind: 'authFailed', error: error.message } : { kind: 'unreachable', error: error.message });
      throw error;
    }
  }

  private onStatus(change: StatusChange): void {
    if (this._state.kind === 'connecting') return;
    switch (change.to) {
      case 'reconnecting':
        this.setState({ kind: 'reconnecting', attempt: change.attempt ?? 1, error: change.error?.message });
        break;
      case 'ready':
        this.setState({ kind: 'connected' });
        break;
      case 'closed':
        if (change.error instanceof AuthError || change.error instanceof AccessDeniedError) this.setState({ kind: 'authFailed', error: change.error.message });
        else if (change.error) this.setState({ kind: 'unreachable', error: change.error.message });
        break;
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

function toVscode(d: { dispose(): void }): vscode.Disposable {
  return { dispose: () => d.dispose() };
}
