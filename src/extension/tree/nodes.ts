import * as vscode from 'vscode';
import type { Call, LoadedApp, Session } from '../../core';
import type { AppStatus } from '../../shared/protocol/appHost';
export { callLabel, callState, formatDuration } from './format';
import type { ServerConnection } from '../servers/serverConnection';

/** Tree nodes are thin handles on live data; the provider turns them into TreeItems. */
export type TreeNode = ServerNode | CallsNode | AppsNode | CallNode | SessionNode | AppNode | HostAppNode | ErrorNode;

export interface ServerNode {
  kind: 'server';
  server: ServerConnection;
}
export interface CallsNode {
  kind: 'calls';
  server: ServerConnection;
}
export interface AppsNode {
  kind: 'apps';
  server: ServerConnection;
}
export interface CallNode {
  kind: 'call';
  server: ServerConnection;
  call: Call;
}
export interface SessionNode {
  kind: 'session';
  server: ServerConnection;
  session: Session;
}
export interface AppNode {
  kind: 'app';
  server: ServerConnection;
  app: LoadedApp;
}
/** An app running in the server's app host (src/apphost), as the host last reported it. */
export interface HostAppNode {
  kind: 'hostApp';
  server: ServerConnection;
  app: AppStatus;
}
/** A connection failure, shown as a child of its server with a way to fix it. */
export interface ErrorNode {
  kind: 'error';
  server: ServerConnection;
  message: string;
}

const SERVER_STATE_TEXT: Record<ServerConnection['state']['kind'], string> = {
  disconnected: 'disconnected',
  connecting: 'connecting…',
  connected: 'connected',
  reconnecting: 'reconnecting',
  authFailed: 'authentication failed',
  accessDenied: 'access denied',
  unreachable: 'unreachable',
};

/** The status words shown for a server in the tree and the status bar. */
export function serverStateText(server: ServerConnection): string {
  const state = server.state;
  if (state.kind === 'connected') return `connected · ${server.callCount} ${server.callCount === 1 ? 'call' : 'calls'}`;
  if (state.kind === 'reconnecting') return `reconnecting (attempt ${state.attempt})`;
  return SERVER_STATE_TEXT[state.kind];
}

export function serverIcon(server: ServerConnection): vscode.ThemeIcon {
  switch (server.state.kind) {
    case 'connected':
      return new vscode.ThemeIcon('vm-running', new vscode.ThemeColor('testing.iconPassed'));
    case 'connecting':
    case 'reconnecting':
      return new vscode.ThemeIcon('loading~spin');
    case 'authFailed':
    case 'accessDenied':
    case 'unreachable':
      return new vscode.ThemeIcon('vm-outline', new vscode.ThemeColor('errorForeground'));
    default:
      return new vscode.ThemeIcon('vm-outline');
  }
}

/** Key headers for a session tooltip; values are shown as text, never as markdown. */
export function sessionTooltip(session: Session): vscode.MarkdownString {
  const rows: Array<[string, string | undefined]> = [
    ['UUID', session.uuid],
    ['Channel', session.channelName],
    ['Direction', session.direction],
    ['State', `${session.state} / ${session.callState}`],
    ['Caller ID', `${session.callerIdName} <${session.callerIdNumber}>`],
    ['Destination', session.destination],
    ['Context', session.get('Caller-Context')],
    ['Application', session.get('Application') ?? session.get('variable_current_application')],
    ['Hangup cause', session.hangupCause],
  ];
  const md = new vscode.MarkdownString();
  for (const [name, value] of rows) {
    if (!value) continue;
    md.appendMarkdown(`**${name}:** `);
    md.appendText(value);
    md.appendMarkdown('  \n');
  }
  return md;
}
