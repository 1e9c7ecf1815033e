import * as vscode from 'vscode';
import { normaliseServers, type ServerConfig } from './servers/serverConfig';

export type { ServerConfig };

export const SECTION = 'freeswitch';

/** Settings, read in one place and handed to the rest as plain values. */
export interface Settings {
  servers: ServerConfig[];
  autoConnect: boolean;
  logLevel: LogLevelName;
  /** Events kept by an event stream before the oldest are dropped (and counted). */
  eventStreamBufferSize: number;
}

const DEFAULT_EVENT_STREAM_BUFFER = 10_000;

export const LOG_LEVELS = ['console', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

export function readSettings(): Settings {
  const config = vscode.workspace.getConfiguration(SECTION);
  return {
    servers: normaliseServers(config.get<unknown>('servers')),
    autoConnect: config.get<boolean>('autoConnect', false),
    logLevel: toLogLevel(config.get<string>('logLevel')),
    eventStreamBufferSize: clampBufferSize(config.get<number>('eventStream.bufferSize', DEFAULT_EVENT_STREAM_BUFFER)),
  };
}

function clampBufferSize(n: number): number {
  return Number.isFinite(n) ? Math.min(200_000, Math.max(100, Math.floor(n))) : DEFAULT_EVENT_STREAM_BUFFER;
}

function toLogLevel(value: string | undefined): LogLevelName {
  return (LOG_LEVELS as readonly string[]).includes(value ?? '') ? (value as LogLevelName) : 'info';
}

/**
 * Where the server list lives, and its value there: the workspace's settings when they set one (it
 * hides the user's list), else the user's. Writing elsewhere would change nothing the user sees.
 */
function serversSetting(config: vscode.WorkspaceConfiguration): { target: vscode.ConfigurationTarget; value: unknown } {
  const inspected = config.inspect<unknown>('servers');
  if (inspected?.workspaceValue !== undefined) return { target: vscode.ConfigurationTarget.Workspace, value: inspected.workspaceValue };
  return { target: vscode.ConfigurationTarget.Global, value: inspected?.globalValue };
}

/**
 * Edits the server list as written where it lives (serversSetting), read just before the write so
 * changes made meanwhile are kept. Every command that writes the list goes through here with a
 * `with…` function of serverConfig, which leaves the other entries and fields exactly as written
 * (a team's shared settings.json must not be rewritten in the extension's normalised form). An
 * `edit` that throws writes nothing.
 */
export async function editServersSetting(edit: (setting: unknown) => unknown[]): Promise<void> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const { target, value } = serversSetting(config);
  await config.update('servers', edit(value), target);
}
