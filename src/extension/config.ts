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

/** Writes the server list to the user's settings. */
export async function writeServers(servers: ServerConfig[]): Promise<void> {
  await vscode.workspace.getConfiguration(SECTION).update('servers', servers, vscode.ConfigurationTarget.Global);
}
