import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client, EslEvent, EventListener, defineApp } from '../../src/core';

// A load pool's listener reads each event once and keeps no Session or Call models.

describe('EventListener with trackCalls: false', () => {
  it('passes events on and settles jobs, but folds no sessions, and refuses apps', async () => {
    const listener = new EventListener({ host: '127.0.0.1', port: 1, trackCalls: false });
    const seen: string[] = [];
    listener.onDidReceiveEvent((e) => seen.push(e.name));
    listener.ingest(new EslEvent({ 'Event-Name': 'CHANNEL_CREATE', 'Unique-ID': 'u1', 'Channel-Name': 'loopback/9664-a' }));
    listener.ingest(new EslEvent({ 'Event-Name': 'CHANNEL_ANSWER', 'Unique-ID': 'u1', 'Channel-Name': 'loopback/9664-a' }));
    assert.deepEqual(seen, ['CHANNEL_CREATE', 'CHANNEL_ANSWER']);
    assert.equal(listener.sessions.size, 0);
    assert.equal(listener.calls.size, 0);
    assert.equal(listener.stats.events, 2);
    const client = new Client({ host: '127.0.0.1', port: 1, listener });
    await assert.rejects(client.loadApp(defineApp({ name: 'x', on: {} })), /does not track calls \(trackCalls: false\), so it cannot run apps/);
    client.dispose();
    listener.dispose();
  });
});
