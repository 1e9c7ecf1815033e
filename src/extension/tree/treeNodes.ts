// The Servers tree's rows as stable node objects, and which rows are under which. No vscode: unit
// tests run it (the look of each row is serversTree.ts's).
import type { Call, LoadedApp, Session } from '../../core';
import type { AppStatus } from '../../shared/protocol/appHost';
import type { AppManager } from '../apps/appManager';
import type { ServerConnection } from '../servers/serverConnection';
import { membersOf, topLevelEntries } from './groups';

/**
 * Tree nodes are thin handles on live data; the provider turns them into TreeItems. There is one
 * node object per row for as long as the row exists (see TreeNodes): VS Code finds a row to refresh
 * by the identity of the object fired, and hands commands the object it was given.
 */
export type TreeNode = ServerNode | CallsNode | AppsNode | CallNode | SessionNode | AppNode | HostAppNode | ErrorNode;
/** Every row of the Servers tree: a group row, or a row of one server (what commands are given). */
export type ServersTreeRow = GroupNode | TreeNode;

/** A server group (`group` in freeswitch.servers): its row holds its members' server rows. */
export interface GroupNode {
  readonly kind: 'group';
  readonly name: string;
}

export interface ServerNode {
  readonly kind: 'server';
  readonly server: ServerConnection;
}
export interface CallsNode {
  readonly kind: 'calls';
  readonly server: ServerConnection;
}
export interface AppsNode {
  readonly kind: 'apps';
  readonly server: ServerConnection;
}
export interface CallNode {
  readonly kind: 'call';
  readonly server: ServerConnection;
  readonly call: Call;
}
export interface SessionNode {
  readonly kind: 'session';
  readonly server: ServerConnection;
  readonly session: Session;
}
export interface AppNode {
  readonly kind: 'app';
  readonly server: ServerConnection;
  readonly app: LoadedApp;
}
/** An app running in the server's app host (src/apphost), as the host last reported it. */
export interface HostAppNode {
  readonly kind: 'hostApp';
  readonly server: ServerConnection;
  readonly app: AppStatus;
}
/** A connection failure, shown as a child of its server with a way to fix it. */
export interface ErrorNode {
  readonly kind: 'error';
  readonly server: ServerConnection;
  readonly message: string;
}

interface ServerRows {
  server: ServerNode;
  calls: CallsNode;
  apps: AppsNode;
  error: { kind: 'error'; server: ServerConnection; message: string };
  hostApps: Map<string, { kind: 'hostApp'; server: ServerConnection; app: AppStatus }>;
}

/**
 * The one node object per row: per server its row, Calls, Apps and error rows; per call, session
 * and app a row, kept as long as the live object is (weakly, so ended calls are collected).
 */
export class TreeNodes {
  private readonly servers = new WeakMap<ServerConnection, ServerRows>();
  /** By name: a group's row lives as long as some server names it. */
  private readonly groups = new Map<string, GroupNode>();
  private readonly calls = new WeakMap<Call, CallNode>();
  private readonly sessions = new WeakMap<Session, SessionNode>();
  private readonly apps = new WeakMap<LoadedApp, AppNode>();

  private rows(server: ServerConnection): ServerRows {
    let rows = this.servers.get(server);
    if (!rows) {
      rows = {
        server: { kind: 'server', server },
        calls: { kind: 'calls', server },
        apps: { kind: 'apps', server },
        error: { kind: 'error', server, message: '' },
        hostApps: new Map(),
      };
      this.servers.set(server, rows);
    }
    return rows;
  }

  group(name: string): GroupNode {
    let node = this.groups.get(name);
    if (!node) this.groups.set(name, (node = { kind: 'group', name }));
    return node;
  }

  server(server: ServerConnection): ServerNode {
    return this.rows(server).server;
  }

  callsOf(server: ServerConnection): CallsNode {
    return this.rows(server).calls;
  }

  appsOf(server: ServerConnection): AppsNode {
    return this.rows(server).apps;
  }

  /** The server's error row, showing `message`. */
  error(server: ServerConnection, message: string): ErrorNode {
    const node = this.rows(server).error;
    node.message = message;
    return node;
  }

  call(server: ServerConnection, call: Call): CallNode {
    let node = this.calls.get(call);
    if (!node) this.calls.set(call, (node = { kind: 'call', server, call }));
    return node;
  }

  session(server: ServerConnection, session: Session): SessionNode {
    let node = this.sessions.get(session);
    if (!node) this.sessions.set(session, (node = { kind: 'session', server, session }));
    return node;
  }

  app(server: ServerConnection, app: LoadedApp): AppNode {
    let node = this.apps.get(app);
    if (!node) this.apps.set(app, (node = { kind: 'app', server, app }));
    return node;
  }

  /** The row of a host app (by id), holding the status the host reported last. */
  hostApp(server: ServerConnection, app: AppStatus): HostAppNode {
    const byId = this.rows(server).hostApps;
    let node = byId.get(app.id);
    if (!node) byId.set(app.id, (node = { kind: 'hostApp', server, app }));
    node.app = app;
    return node;
  }

  /** Host app rows of the server no longer reported are forgotten. */
  keepHostApps(server: ServerConnection, ids: ReadonlySet<string>): void {
    const byId = this.rows(server).hostApps;
    for (const id of byId.keys()) if (!ids.has(id)) byId.delete(id);
  }

  /** The rows under a node now, as stable objects. */
  children(node: ServersTreeRow | undefined, servers: readonly ServerConnection[], apps: AppManager | undefined): ServersTreeRow[] {
    if (!node) {
      const top = topLevelEntries(servers);
      for (const name of this.groups.keys()) if (!top.some((e) => 'group' in e && e.group === name)) this.groups.delete(name);
      return top.map((e) => ('group' in e ? this.group(e.group) : this.server(e.server)));
    }
    if (node.kind === 'group') return membersOf(servers, node.name).map((server) => this.server(server));
    const server = node.server;
    switch (node.kind) {
      case 'server': {
        const state = server.state;
        if (state.kind === 'authFailed' || state.kind === 'accessDenied' || state.kind === 'unreachable') return [this.error(server, state.error)];
        if (state.kind === 'reconnecting' && state.error) return [this.error(server, state.error)];
        if (!server.listener || state.kind === 'disconnected' || state.kind === 'connecting') return [];
        return [this.callsOf(server), this.appsOf(server)];
      }
      case 'calls':
        return [...(server.listener?.calls.values() ?? [])].map((call) => this.call(server, call));
      case 'call':
        return node.call.sessions.map((session) => this.session(server, session));
      case 'apps': {
        // Apps in the server's app host first, then any loaded in-process on its own listener.
        const hosted = apps?.host(server)?.apps ?? [];
        this.keepHostApps(server, new Set(hosted.map((a) => a.id)));
        return [...hosted.map((app) => this.hostApp(server, app)), ...[...(server.listener?.loadedApps.values() ?? [])].map((app) => this.app(server, app))];
      }
      default:
        return [];
    }
  }

  /** The parent row, as the same object getChildren returned it under. */
  parent(node: ServersTreeRow): ServersTreeRow | undefined {
    switch (node.kind) {
      case 'group':
        return undefined;
      case 'server':
        return node.server.config.group === undefined ? undefined : this.group(node.server.config.group);
      case 'calls':
      case 'apps':
      case 'error':
        return this.server(node.server);
      case 'call':
        return this.callsOf(node.server);
      case 'session': {
        const call = node.session.call;
        return call ? this.call(node.server, call) : this.callsOf(node.server);
      }
      case 'app':
      case 'hostApp':
        return this.appsOf(node.server);
    }
  }
}
