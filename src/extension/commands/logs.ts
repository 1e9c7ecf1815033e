import * as vscode from 'vscode';
import type { Client, LogLine } from '../../core';
import { LOG_LEVELS, readSettings } from '../config';
import { logChannelText } from '../console/consoleText';
import { LogTap } from '../console/logTap';
import type { ServerConnection, ServerState } from '../servers/serverConnection';
import type { BaseServices, Services } from '../services';
import type { TreeNode } from '../tree/nodes';
import { Disposable } from '../util/disposable';
import { Cancelled, pickServer, requireConnected } from './pickers';

/**
 * Stream Logs: FreeSWITCH's log (ESL `log <level>` on the server's command connection) in a log
 * output channel per server, at a level picked each time; the picker can also stop it.
 */
export async function streamLogs(services: Services, node?: TreeNode): Promise<void> {
  const server = await pickServer(services, node, { connected: true });
  requireConnected(server);
  const streamers = services.logStreams;
  const current = streamers.get(server);
  const choice = await pickLevel(server, current?.level);
  const streamer = current ?? streamers.create(server);
  if (choice === 'stop') {
    await streamer.stop();
  } else {
    await streamer.start(choice);
    hintChannelLevel(streamer.channel, choice).catch(() => undefined);
  }
  streamer.channel.show(true);
}

type LevelItem = vscode.QuickPickItem & { level?: number; stop?: true };

/** The 8 FreeSWITCH levels (the current one marked and preselected, else the setting's), and Stop. */
async function pickLevel(server: ServerConnection, current: number | undefined): Promise<number | 'stop'> {
  const preferred = current ?? Math.max(0, LOG_LEVELS.indexOf(readSettings().logLevel));
  const items: LevelItem[] = LOG_LEVELS.map((name, level) => ({
    label: level === current ? `$(check) ${name}` : name,
    description: `${level}${level === current ? ' · streaming now' : ''}`,
    detail: level === 0 ? 'Console messages only' : `${name} and more severe`,
    level,
  }));
  if (current !== undefined) {
    items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, { label: '$(debug-stop) Stop streaming', stop: true });
  }
  const pick = vscode.window.createQuickPick<LevelItem>();
  pick.title = `Stream Logs: ${server.config.name}`;
  pick.placeholder = 'FreeSWITCH log level: lines at this level and more severe are shown';
  pick.items = items;
  pick.activeItems = items.filter((i) => i.level === preferred);
  const picked = await new Promise<LevelItem | undefined>((resolve) => {
    pick.onDidAccept(() => {
      resolve(pick.selectedItems[0] ?? pick.activeItems[0]);
      pick.hide();
    });
    pick.onDidHide(() => resolve(undefined));
    pick.show();
  });
  pick.dispose();
  if (!picked) throw new Cancelled();
  if (picked.stop) return 'stop';
  if (picked.level === undefined) throw new Cancelled();
  return picked.level;
}

/** The VS Code log level a FreeSWITCH level is written at: 0–3 error, 4 warning, 5–6 info, 7 debug. */
function channelLevelOf(fsLevel: number): vscode.LogLevel {
  if (fsLevel <= 3) return vscode.LogLevel.Error;
  if (fsLevel === 4) return vscode.LogLevel.Warning;
  if (fsLevel <= 6) return vscode.LogLevel.Info;
  return vscode.LogLevel.Debug;
}

/** Channels already told about their log level; once is enough. */
const hinted = new WeakSet<vscode.LogOutputChannel>();

/** A log channel hides lines below its own level (Info by default): say so once when that hides the picked level. */
async function hintChannelLevel(channel: vscode.LogOutputChannel, fsLevel: number): Promise<void> {
  const needed = channelLevelOf(fsLevel);
  if ((channel.logLevel !== vscode.LogLevel.Off && channel.logLevel <= needed) || hinted.has(channel)) return;
  hinted.add(channel);
  const action = 'Set Log Level…';
  const answer = await vscode.window.showInformationMessage(
    `The "${channel.name}" channel hides ${LOG_LEVELS[fsLevel]} lines at its current log level (${vscode.LogLevel[channel.logLevel]}). Set the channel's log level to ${vscode.LogLevel[needed]} to see them.`,
    action,
  );
  if (answer === action) await vscode.commands.executeCommand('workbench.action.setLogLevel');
}

/** One streamer per server for the extension's lifetime. */
export class LogStreamers extends Disposable {
  private readonly streamers = new Map<ServerConnection, LogStreamer>();

  constructor(private readonly services: BaseServices) {
    super();
    // A server removed from the settings takes its channel with it.
    this._register(
      services.manager.onDidChangeServers(() => {
        const servers = new Set(this.services.manager.servers);
        for (const [server, streamer] of this.streamers) {
          if (servers.has(server)) continue;
          this.streamers.delete(server);
          streamer.dispose();
        }
      }),
    );
    this._register({
      dispose: () => {
        for (const streamer of this.streamers.values()) streamer.dispose();
        this.streamers.clear();
      },
    });
  }

  get(server: ServerConnection): LogStreamer | undefined {
    return this.streamers.get(server);
  }

  create(server: ServerConnection): LogStreamer {
    const streamer = new LogStreamer(server);
    this.streamers.set(server, streamer);
    return streamer;
  }
}

/**
 * A server's log channel and its tap on the server's command connection. The connection keeps the
 * log level across its own reconnects; when the server connects anew (a new client), the tap
 * moves to the new connection.
 */
class LogStreamer extends Disposable {
  readonly channel: vscode.LogOutputChannel;
  private tap: LogTap | undefined;
  private client: Client | undefined;
  private _level: number | undefined;
  private lost = false;

  constructor(private readonly server: ServerConnection) {
    super();
    this.channel = this._register(vscode.window.createOutputChannel(`FreeSWITCH Log: ${server.config.name}`, { log: true }));
    this._register(server.onDidChangeState((state) => this.onState(state)));
    this._register({ dispose: () => this.tap?.dispose() });
  }

  /** The level streamed at, or undefined when stopped. */
  get level(): number | undefined {
    return this._level;
  }

  async start(level: number): Promise<void> {
    const changed = level !== this._level;
    this._level = level;
    this.rebind();
    if (!this.tap) throw new Error(`${this.server.config.name} is not connected.`);
    await this.tap.setLevel(level);
    if (changed) this.channel.info(`Streaming ${this.server.label} at ${LOG_LEVELS[level]} (${level})`);
  }

  async stop(): Promise<void> {
    if (this._level === undefined) return;
    this._level = undefined;
    const tap = this.tap;
    this.tap = undefined;
    this.client = undefined;
    this.channel.info('Stopped streaming');
    await tap?.close();
  }

  /** Keeps the tap on the server's current client while streaming. */
  private rebind(): void {
    const client = this._level === undefined ? undefined : this.server.client;
    if (client === this.client) return;
    this.tap?.dispose();
    this.tap = undefined;
    this.client = client;
    if (client) this.tap = new LogTap(client.connection, (line) => this.append(line));
  }

  private onState(state: ServerState): void {
    if (this._level === undefined) return;
    const level = this._level;
    this.rebind();
    switch (state.kind) {
      case 'connected':
        if (this.tap && this.tap.level !== level) {
          this.tap.setLevel(level).catch((err: unknown) => this.channel.error(`Could not start the log: ${err instanceof Error ? err.message : String(err)}`));
        }
        if (this.lost) this.channel.info(`Connected to ${this.server.label} again`);
        this.lost = false;
        return;
      case 'reconnecting':
        if (!this.lost) this.channel.warn(`Connection lost${state.error ? ` (${state.error})` : ''}: reconnecting…`);
        this.lost = true;
        return;
      case 'disconnected':
      case 'authFailed':
      case 'unreachable':
        if (!this.lost) this.channel.warn(`Disconnected${'error' in state ? ` (${state.error})` : ''}: the log resumes when the server is connected again`);
        this.lost = true;
        return;
      case 'connecting':
        return;
    }
  }

  private append(line: LogLine): void {
    // The channel's own level (error … debug) drives its filter; FreeSWITCH's name stays in the text.
    const text = logChannelText(line.level, line.text);
    if (line.level <= 3) this.channel.error(text);
    else if (line.level === 4) this.channel.warn(text);
    else if (line.level <= 6) this.channel.info(text);
    else this.channel.debug(text);
  }
}
