// The group commands' path without VS Code, against two test ESL servers: evalOnGroup (a
// ServerPool over the servers' own Client + EventListener pairs), its answers as the per-server
// table, hupall ending a member's call, and the pairs left connected after the pool.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Client, type EventListener } from '../../src/core';
import { evalOnGroup, groupResultsText, type ConnectedGroupMember } from '../../src/extension/tree/groups';
import { TestEslServer } from '../server/eslServer';
import { until } from '../support/wait';
import { connectTo } from '../support/connect';

const PASSWORD = 'ClueCon';

describe('a group command over two servers', () => {
  const servers: TestEslServer[] = [];
  const pairs: { name: string; client: Client; listener: EventListener }[] = [];

  before(async () => {
    for (const name of ['fs1', 'fs2']) {
      const server = new TestEslServer({ password: PASSWORD });
      await server.start();
      servers.push(server);
      const { listener, client } = await connectTo(server, PASSWORD);
      pairs.push({ name, client, listener });
    }
  });

  after(async () => {
    for (const p of pairs) await Promise.allSettled([p.client.disconnect(), p.listener.disconnect()]);
    for (const s of servers) await s.stop();
  });

  /** The members as a ServerConnection shows them. */
  const members = (): ConnectedGroupMember[] =>
    pairs.map((p, i) => ({ config: { name: p.name, host: '127.0.0.1', port: servers[i]!.port, group: 'pool' }, isConnected: true, callCount: p.listener.calls.size, client: p.client, listener: p.listener }));

  async function runOnGroup(command: string): Promise<string> {
    return groupResultsText(command, 'pool', await evalOnGroup(members(), command, { timeoutMs: 10_000 }));
  }

  test("hupall on the group ends a member's call; each server's answer is in the table", async () => {
    servers[1]!.originateDirect('9664');
    await until(() => pairs[1]!.listener.calls.size === 1, "fs2's call tracked");
    const text = await runOnGroup('hupall NORMAL_CLEARING');
    const rows = text.split('\n').slice(4, 6);
    assert.equal(rows.length, 2);
    for (const [i, row] of rows.entries()) assert.match(row, new RegExp(`^fs${i + 1} \\(127\\.0\\.0\\.1:${servers[i]!.port}\\)\\s+ok\\s+\\+OK hangup all channels with cause NORMAL_CLEARING$`));
    await until(() => pairs[1]!.listener.calls.size === 0, "fs2's call ended by hupall");
    await servers[1]!.whenIdle();
  });

  test("FreeSWITCH's -ERR is each server's error row, and the pool leaves the connections up", async () => {
    const text = await runOnGroup('no_such_command');
    assert.match(text, /^api no_such_command on group pool: 2 servers, 0 ok, 2 errors$/m);
    assert.match(text, /^fs1 \(127\.0\.0\.1:\d+\)\s+error\s+-ERR no_such_command Command not found!$/m);
    assert.match(text, /^fs2 \(127\.0\.0\.1:\d+\)\s+error\s+-ERR no_such_command Command not found!$/m);
    for (const p of pairs) {
      assert.equal(p.client.status, 'ready', `${p.name}'s client`);
      assert.equal(p.listener.status, 'ready', `${p.name}'s listener`);
    }
    assert.match(await pairs[0]!.client.cmd('status'), /^UP /);
  });
});
