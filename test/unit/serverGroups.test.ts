// Server groups without VS Code: the `group` setting, the tree's group rows (stable nodes, parents,
// aggregate counts, which rows a member's change refreshes), and the texts of the group commands.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ApiError } from '../../src/core';
import type { ServerConnection, ServerState } from '../../src/extension/servers/serverConnection';
import { normaliseServers } from '../../src/extension/servers/serverConfig';
import { CONNECTABLE_STATES, groupContextValue, groupCounts, groupDescription, groupNames, groupResultsText, hangupAllConfirmation, membersOf, topLevelEntries } from '../../src/extension/tree/groups';
import { RefreshPlanner, type RefreshPlan, type RowLook } from '../../src/extension/tree/refreshPlanner';
import { TreeNodes, type ServersTreeRow } from '../../src/extension/tree/treeNodes';

/** What the tree and the group commands read of a ServerConnection, as plain data. */
interface FakeServer {
  config: { name: string; host: string; port: number; group?: string };
  isConnected: boolean;
  callCount: number;
  state: { kind: 'connected' | 'disconnected' };
  listener: undefined;
}

function fake(name: string, group: string | undefined, calls = 0, connected = true): FakeServer {
  return {
    config: { name, host: `10.0.0.${name.length}`, port: 8021, ...(group === undefined ? {} : { group }) },
    isConnected: connected,
    callCount: connected ? calls : 0,
    state: { kind: connected ? 'connected' : 'disconnected' },
    listener: undefined,
  };
}

const asServers = (servers: FakeServer[]): ServerConnection[] => servers as unknown as ServerConnection[];

describe('the group setting', () => {
  test('a group is kept trimmed; a group that is not usable text leaves the server ungrouped', () => {
    const servers = normaliseServers([
      { name: 'a', host: 'h1', group: '  pool-a ' },
      { name: 'b', host: 'h2', group: '' },
      { name: 'c', host: 'h3', group: '   ' },
      { name: 'd', host: 'h4', group: 7 },
      { name: 'e', host: 'h5', group: 'line\nbreak' },
      { name: 'f', host: 'h6', group: 'x'.repeat(65) },
      { name: 'g', host: 'h7', group: 'x'.repeat(64) },
      { name: 'h', host: 'h8' },
    ]);
    assert.deepEqual(
      servers.map((s) => [s.name, s.group]),
      [
        ['a', 'pool-a'],
        ['b', undefined],
        ['c', undefined],
        ['d', undefined],
        ['e', undefined],
        ['f', undefined],
        ['g', 'x'.repeat(64)],
        ['h', undefined],
      ],
    );
    assert.ok(!('group' in servers[1]!), 'no group key at all, so settings written back stay as they were');
  });
});

describe('groups in the Servers tree', () => {
  test('top-level rows keep the setting order; a group takes its first member’s place', () => {
    const servers = [fake('solo', undefined), fake('fs1', 'pool'), fake('other', undefined), fake('fs2', 'pool'), fake('x1', 'lab')];
    assert.deepEqual(
      topLevelEntries(servers).map((e) => ('group' in e ? `group ${e.group}` : e.server.config.name)),
      ['solo', 'group pool', 'other', 'group lab'],
    );
    assert.deepEqual(groupNames(servers), ['pool', 'lab']);
    assert.deepEqual(
      membersOf(servers, 'pool').map((s) => s.config.name),
      ['fs1', 'fs2'],
    );
  });

  test('without groups the top level is the server rows, as before', () => {
    const servers = asServers([fake('a', undefined), fake('b', undefined)]);
    const nodes = new TreeNodes();
    const top = nodes.children(undefined, servers, undefined);
    assert.deepEqual(top, [nodes.server(servers[0]!), nodes.server(servers[1]!)]);
    assert.equal(nodes.parent(nodes.server(servers[0]!)), undefined);
  });

  test('group rows are stable objects with their members under them, and are the members’ parent', () => {
    const servers = asServers([fake('fs1', 'pool'), fake('solo', undefined), fake('fs2', 'pool')]);
    const nodes = new TreeNodes();
    const top = nodes.children(undefined, servers, undefined);
    assert.deepEqual(
      top.map((n) => n.kind),
      ['group', 'server'],
    );
    const group = top[0]!;
    assert.equal(nodes.children(undefined, servers, undefined)[0], group, 'the same object on every call');
    assert.deepEqual(nodes.children(group, servers, undefined), [nodes.server(servers[0]!), nodes.server(servers[2]!)]);
    assert.equal(nodes.parent(nodes.server(servers[2]!)), group);
    assert.equal(nodes.parent(nodes.server(servers[1]!)), undefined);
    assert.equal(nodes.parent(group), undefined);
  });

  test('aggregate counts: servers connected of all, and the connected servers’ calls', () => {
    const members = [fake('fs1', 'pool', 3), fake('fs2', 'pool', 1), fake('fs3', 'pool', 0, false)];
    const counts = groupCounts(members);
    assert.deepEqual(counts, { connected: 2, total: 3, calls: 4 });
    assert.equal(groupDescription(counts), '2/3 connected · 4 calls');
    assert.equal(groupDescription(groupCounts([fake('fs1', 'pool', 1)])), '1/1 connected · 1 call');
    assert.equal(groupContextValue(counts), 'serverGroup hasConnected hasDisconnected');
    assert.equal(groupContextValue(groupCounts([fake('fs1', 'pool', 1)])), 'serverGroup hasConnected');
    assert.equal(groupContextValue(groupCounts([fake('fs1', 'pool', 0, false)])), 'serverGroup hasDisconnected');
  });

  test("a member's calls change: its group row is refreshed (its subtree with it), not the member row as well", () => {
    const raw = [fake('fs1', 'pool', 1), fake('fs2', 'pool', 0), fake('solo', undefined, 0)];
    const servers = asServers(raw);
    const nodes = new TreeNodes();
    // The looks serversTree.ts draws, reduced to what changes with calls.
    const look = (node: ServersTreeRow): RowLook => ({
      content: node.kind === 'group' ? groupDescription(groupCounts(membersOf(raw, node.name))) : node.kind === 'server' ? `${node.server.callCount} calls` : node.kind,
      clock: '',
    });
    const planner = new RefreshPlanner<ServersTreeRow>({ children: (parent) => nodes.children(parent, servers, undefined), look });
    // VS Code fetches the expanded rows: the top level, the groups, their members.
    const fetch = (parent: ServersTreeRow | undefined): void => {
      const children = nodes.children(parent, servers, undefined);
      planner.noteChildren(parent, children);
      for (const child of children) {
        planner.noteItem(child, look(child), true);
        if (child.kind === 'group') fetch(child);
      }
    };
    const rows = (plan: RefreshPlan<ServersTreeRow>): readonly ServersTreeRow[] | string => (plan.kind === 'rows' ? plan.rows : plan.kind);
    /** Plans, fires, and lets VS Code fetch again. */
    const refresh = (): readonly ServersTreeRow[] | string => {
      const plan = planner.plan(0);
      planner.fired(plan, 0);
      fetch(undefined);
      return rows(plan);
    };
    fetch(undefined);
    assert.equal(rows(planner.plan(0)), 'none');

    raw[1]!.callCount = 2;
    assert.deepEqual(refresh(), [nodes.group('pool')]);

    raw[2]!.callCount = 5;
    assert.deepEqual(refresh(), [nodes.server(servers[2]!)], 'an ungrouped server is refreshed on its own, as before');

    // A server put into a new group changes the top level: the whole tree.
    raw[2]!.config.group = 'lab';
    assert.equal(refresh(), 'root');

    // A server moved between two groups: both groups, which VS Code fetches again, and no member row.
    raw[1]!.config.group = 'lab';
    assert.deepEqual(refresh(), [nodes.group('pool'), nodes.group('lab')]);
    assert.equal(nodes.parent(nodes.server(servers[1]!)), nodes.group('lab'));
    assert.equal(rows(planner.plan(0)), 'none');
  });
});

describe('group command texts', () => {
  const members = [fake('fs1', 'pool', 2), fake('fs2', 'pool', 1), fake('fs3', 'pool', 0, false)];

  test("Hang Up All Calls on Group's confirmation names each server and its calls", () => {
    const confirm = hangupAllConfirmation('pool', members);
    assert.equal(confirm.message, 'Hang up all calls on 2 servers of group pool?');
    assert.equal(
      confirm.detail,
      [
        'fs1 (10.0.0.3:8021): 2 calls',
        'fs2 (10.0.0.3:8021): 1 call',
        '',
        'Not connected, left alone: fs3 (10.0.0.3:8021)',
        '',
        'Each server is sent hupall NORMAL_CLEARING: it hangs up every channel on it, tracked or not.',
      ].join('\n'),
    );
    assert.equal(confirm.button, 'Hang Up 3 Calls on 2 Servers');
  });

  test('with no tracked call, hupall is still offered, as Hang Up All on one server does', () => {
    const confirm = hangupAllConfirmation('pool', [fake('fs1', 'pool', 0)]);
    assert.equal(confirm.message, 'There are no tracked calls on the 1 server of group pool. Send hupall anyway?');
    assert.equal(confirm.button, 'Send hupall');
    assert.match(confirm.detail, /^fs1 \(10\.0\.0\.3:8021\): 0 calls$/m);
  });

  test('the per-server result table: server, ok/error, the first line; then each whole answer, indented', () => {
    const text = groupResultsText('status', 'pool', [
      { member: members[0]!, answer: { server: 'fs1', ok: true, result: 'UP 0 years, 0 days\n12 session(s) since startup' } },
      { member: members[1]!, answer: { server: 'fs2', ok: false, error: new ApiError('status', '-ERR status Command not found!\n') } },
      { member: members[2]!, answer: undefined },
    ]);
    assert.equal(
      text,
      [
        'api status on group pool: 3 servers, 1 ok, 1 error, 1 not connected',
        '',
        'server               result   answer',
        '-------------------  -------  ------',
        'fs1 (10.0.0.3:8021)  ok       UP 0 years, 0 days',
        'fs2 (10.0.0.3:8021)  error    -ERR status Command not found!',
        'fs3 (10.0.0.3:8021)  skipped  not connected',
        '',
        'fs1 (10.0.0.3:8021): ok',
        '    UP 0 years, 0 days',
        '    12 session(s) since startup',
        '',
        'fs2 (10.0.0.3:8021): error',
        '    -ERR status Command not found!',
        '',
        'fs3 (10.0.0.3:8021): skipped',
        '    not connected',
        '',
      ].join('\n'),
    );
  });

  test("a server's answer stays text: it cannot forge another server's heading or hide behind bidi controls", () => {
    const forged = 'fine\nfs2 (10.0.0.3:8021): ok\n<script>alert(1)</script>';
    const text = groupResultsText('x', 'pool', [{ member: members[0]!, answer: { server: 'fs1', ok: true, result: `\u202E${forged}` } }]);
    const lines = text.split('\n');
    assert.ok(!lines.includes('fs2 (10.0.0.3:8021): ok'), 'every answer line is indented');
    assert.ok(lines.includes('    <script>alert(1)</script>'), 'shown as the text it is');
    assert.match(lines[4]!, / ok {6}\[U\+202E\]fine$/, 'the table cell marks the override');
  });
});

test("Connect Group connects the members the server row's inline Connect is offered for", () => {
  interface MenuItem {
    command: string;
    when?: string;
    group?: string;
  }
  const manifest = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { contributes: { menus: Record<string, MenuItem[]> } };
  const connect = manifest.contributes.menus['view/item/context']!.find((m) => m.command === 'freeswitch.server.connect' && m.group === 'inline');
  const pattern = /viewItem =~ \/(.+)\/$/.exec(connect?.when ?? '')?.[1];
  assert.ok(pattern, "the server row's Connect has a viewItem regex");
  const rowOffersConnect = new RegExp(pattern);
  // Every state a server can be in: the compiler refuses this object when a state is added.
  const kinds: Record<ServerState['kind'], true> = { disconnected: true, connecting: true, connected: true, reconnecting: true, authFailed: true, accessDenied: true, unreachable: true };
  for (const kind of Object.keys(kinds) as Array<ServerState['kind']>) {
    assert.equal(CONNECTABLE_STATES.has(kind), rowOffersConnect.test(`server ${kind}`), kind);
  }
});
