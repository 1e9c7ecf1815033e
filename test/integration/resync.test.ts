/**
 * Resync against a `show channels` that lags the events, as FreeSWITCH's does (capture 22): right
 * after new calls it lists none of their rows, and right after hangups it still lists every row.
 * The test server's channel table is in manual mode, so each test replays exactly that lag across a
 * reconnect; nothing may be lost and nothing revived.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { Client, EventListener, type Session } from '../../src/core';
import { TestEslServer } from '../server/eslServer';
import { nextEvent, nextStatus, until } from '../support/wait';

const PASSWORD = 'ClueCon';

interface ShowChannels {
  row_count: number;
  rows?: { uuid: string }[];
}

describe('resync when show channels lags the events (capture 22)', () => {
  let server: TestEslServer;
  let listener: EventListener;
  let client: Client;
  let ended: Session[];

  async function connect(resyncSettleMs = 0): Promise<void> {
    const options = { host: '127.0.0.1', port: server.port, password: PASSWORD, reconnect: { initialDelayMs: 10, maxDelayMs: 50 } };
    listener = new EventListener({ ...options, resyncSettleMs });
    await listener.connect();
    client = new Client({ ...options, listener });
    await client.connect();
    ended = [];
    listener.onDidEndSession((s) => ended.push(s));
  }

  async function listed(): Promise<string[]> {
    const parsed = JSON.parse(await server.api('show channels as json')) as ShowChannels;
    return (parsed.rows ?? []).map((r) => r.uuid);
  }

  /** Two loopback calls the listener saw being created (four sessions). */
  async function twoCalls(): Promise<string[]> {
    const jobs = [client.originate('9664'), client.originate('9664')];
    const uuids = await Promise.all(jobs.map((j) => j.get(5_000)));
    await server.whenIdle();
    await until(() => uuids.every((u) => listener.calls.get(u)?.sessions.length === 2), 'both calls tracked with both legs');
    return uuids;
  }

  /** A resync that follows a reconnect, awaited by its onDidResync. */
  async function reconnectAndResync(whileAway?: () => void): Promise<void> {
    const resynced = nextEvent(listener.onDidResync, 'the resync after the reconnect');
    const reconnecting = nextStatus(listener.connection, 'reconnecting');
    if (whileAway) {
      await server.stop({ keepChannels: true });
      await reconnecting;
      whileAway();
      await server.whenIdle();
      await server.start();
    } else {
      server.dropConnections();
      await reconnecting;
    }
    await resynced;
    // The client's own connection went down with the listener's and comes back on its own.
    await until(() => client.status === 'ready', 'the client reconnected');
  }

  beforeEach(async () => {
    server = new TestEslServer({ password: PASSWORD, channelTableLag: 'manual' });
    await server.start();
  });

  afterEach(async () => {
    await client.disconnect();
    await listener.disconnect();
    await server.stop();
  });

  test('calls created just before a reconnect are kept although show channels does not list them yet', async () => {
    await connect();
    const calls = await twoCalls();
    const sessions = [...listener.sessions.keys()];
    assert.equal(sessions.length, 4);
    assert.deepEqual(await listed(), [], 'the lag as captured: 0 rows right after the creates');

    await reconnectAndResync();

    assert.deepEqual(ended, [], 'no session ended by the resync');
    assert.deepEqual([...listener.sessions.keys()].sort(), [...sessions].sort(), 'every session still tracked');
    assert.ok(calls.every((u) => listener.calls.get(u)?.sessions.length === 2), 'both calls still whole');
    const asked = server.commands.filter((c) => c.line.startsWith('api uuid_exists ')).map((c) => c.line.slice('api uuid_exists '.length));
    assert.deepEqual([...new Set(asked)].sort(), [...sessions].sort(), 'uuid_exists decided for each unlisted session');

    // Later events still reach them: hanging up ends them with FreeSWITCH's own cause.
    server.syncChannelTable();
    await listener.sessions.get(calls[0]!)!.hangup('NORMAL_CLEARING');
    await until(() => !listener.calls.has(calls[0]!), 'the first call ended by its own events');
    const first = listener.history.find((c) => c.uuid === calls[0]);
    assert.ok(first);
    assert.deepEqual(first.sessions.map((s) => s.hangupCause), ['NORMAL_CLEARING', 'NORMAL_CLEARING']);
    assert.ok(listener.calls.has(calls[1]!), 'the other call is untouched');
  });

  test('calls hung up while away are ended although show channels still lists them, and never revived', async () => {
    await connect();
    const calls = await twoCalls();
    server.syncChannelTable();
    assert.equal((await listed()).length, 4);

    // The hangups happen while the listener is away: it never sees their events. The table still
    // lists every row, as FreeSWITCH's did right after hupall.
    await reconnectAndResync(() => server.hangupAll('NORMAL_CLEARING'));
    assert.equal((await listed()).length, 4, 'the rows are still listed');

    assert.equal(listener.sessions.size, 0, 'every session ended: uuid_exists said false');
    assert.equal(listener.calls.size, 0);
    assert.equal(ended.length, 4);
    assert.ok(ended.every((s) => s.hangupCause === 'UNKNOWN'), 'the cause is unknown: its events were missed');
    assert.ok(calls.every((u) => listener.history.some((c) => c.uuid === u)), 'both calls are in the history');

    // A later, truthful list changes nothing.
    server.syncChannelTable();
    await listener.resync();
    assert.equal(listener.sessions.size, 0, 'nothing revived');
  });

  test('a live channel the listener does not know (create missed, not listed yet) is re-created by its next event', async () => {
    await connect();
    let away = '';
    await reconnectAndResync(() => {
      away = server.originateDirect('9664');
    });
    assert.equal(listener.sessions.has(away), false, 'not listed yet, and its CHANNEL_CREATE was missed');

    await client.api(`uuid_broadcast ${away} tone_stream://%(100,0,440) aleg`);
    await until(() => listener.sessions.has(away), 'the session re-created by its CHANNEL_EXECUTE');
    await listener.sessions.get(away)!.hangup('NORMAL_CLEARING');
    await until(() => ended.some((s) => s.uuid === away), 'and it ends by its own events');
    assert.equal(ended.find((s) => s.uuid === away)!.hangupCause, 'NORMAL_CLEARING');
  });

  test('a call made while away that the first list did not have yet is found by the second pass', async () => {
    await connect(50);
    let away = '';
    await reconnectAndResync(() => {
      away = server.originateDirect('9664');
    });
    assert.equal(listener.calls.has(away), false, 'not listed yet, and its events were missed');
    const found = nextEvent(listener.onDidResync, 'a resync that finds the call made while away', () => listener.calls.has(away));
    server.syncChannelTable();
    await found;
    assert.equal(listener.calls.get(away)!.sessions.length, 2, 'both legs, grouped');
  });
});
