import type * as vscode from 'vscode';
import type { AppManager } from './apps/appManager';
import type { Recordings } from './recordings/recordings';
import type { LogStreamers } from './commands/logs';
import type { LoadTestsView } from './load/loadRunsTree';
import type { Consoles } from './console/openConsole';
import type { DialplanFeatures } from './dialplan/dialplanFeatures';
import type { ReadonlyDocuments } from './readonlyDocuments';
import type { WebviewHub } from './webviews/panels';
import type { ServerManager } from './servers/serverManager';
import type { ServerConnection } from './servers/serverConnection';

/** What command handlers and views share; built once in activate(). */
export interface Services extends BaseServices {
  /** The fs_cli consoles, one per server. */
  readonly consoles: Consoles;
  /** Stream Logs output channels, one per server. */
  readonly logStreams: LogStreamers;
  /** Event stream and call timeline panels. */
  readonly webviews: WebviewHub;
  /** App hosts (one per server), workspace apps, their Problems and log. */
  readonly apps: AppManager;
  /** Running recordings of servers' event connections (Record, Stop Recording). */
  readonly recordings: Recordings;
  /** Configuration XML: language features, Reload XML, effective dialplan, dialplan traces. */
  readonly dialplan: DialplanFeatures;
  /** The Load Tests view: profiles and the runs kept in .fsdev/runs. */
  readonly loadTestsView: LoadTestsView;
}

/** The services the long-lived owners (consoles, log streams) are built from. */
export interface BaseServices {
  readonly context: vscode.ExtensionContext;
  readonly manager: ServerManager;
  /** The extension's own log (View → Output → FreeSWITCH). */
  readonly log: vscode.LogOutputChannel;
  /** Read-only editors for API results and channel dumps. */
  readonly documents: ReadonlyDocuments;
  /** The server palette commands act on when there is a choice; the status bar shows it. */
  activeServer(): ServerConnection | undefined;
  setActiveServer(server: ServerConnection): void;
}
