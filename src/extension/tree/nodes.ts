import * as vscode from 'vscode';
import type { Session } from '../../core';
export { callLabel, callState, formatDuration } from './format';
import { neutralise, sessionTooltipRows } from './format';
import type { ServerConnection } from '../servers/serverConnection';
export * from './treeNodes';

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

/** Key headers for a session tooltip; values are shown as text, never as markdown, and neutralised. */
export function sessionTooltip(session: Session): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  for (const [name, value] of sessionTooltipRows(session)) {
    md.appendMarkdown(`**${name}:** `);
    md.appendText(value);
    md.appendMarkdown('  \n');
  }
  return md;
}

/** Lines of text as a tooltip: each line as text (never markdown), neutralised. */
export function textTooltip(lines: readonly string[]): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  lines.forEach((line, i) => {
    if (i > 0) md.appendMarkdown('  \n');
    md.appendText(neutralise(line));
  });
  return md;
}
