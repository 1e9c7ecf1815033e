import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EslEvent, EventListener, FrameParser, decodeEventFrame } from '../../src/core';
import { loadCapture } from '../support/captures';

/** The events of a capture, decoded by our own parser. */
function captureEvents(prefix: string): EslEvent[] {
  const frames = new FrameParser().push(loadCapture(prefix).server);
  const events: EslEvent[] = [];
  for (const frame of frames) {
    const decoded = decodeEventFrame(frame);
    if (decoded.ok) events.push(decoded.event);
  }
  return events;
}

function replay(prefix: string, filter: (e: EslEvent) => boolean = () => true): EventListener {
  const listener = new EventListener({ host: '127.0.0.1', port: 1 });
  for (const e of captureEvents(prefix)) if (filter(e)) listener.ingest(e);
  return listener;
}

describe('EventListener folds real FreeSWITCH events', () => {
  for (const [prefix, format] of [['04', 'plain'], ['05', 'json']] as const) {
    test(`capture ${prefix} (${format}): two loopback calls, each with both legs, both ended`, () => {
      const created: string[][] = [];
      const listener = new EventListener({ host: '127.0.0.1', port: 1 });
      listener.onDidEndCall((call) => created.push(call.sessions.map((s) => s.channelName)));
      for (const e of captureEvents(prefix)) listener.ingest(e);
      assert.deepEqual(created, [
        ['loopback/9196-a', 'loopback/9196-b'],
        ['loopback/9196-a', 'loopback/9196-b'],
      ]);
      assert.equal(listener.calls.size, 0);
      assert.equal(listener.sessions.size, 0);
      assert.equal(listener.stats.sessionsCreated, 4);
      assert.equal(listener.stats.callsCreated, 2);
      assert.equal(listener.stats.hangupCauses.get('NORMAL_CLEARING'), 4);
      assert.equal(listener.stats.failedSessions, 0);
      const [first] = listener.history;
      assert.ok(first!.first.answeredAt! >= first!.first.createdAt);
      assert.ok(first!.endedAt! >= first!.first.answeredAt!);
      listener.dispose();
    });
  }

  test('capture 05 midway: while the call is up it is one call of two answered, parked sessions', () => {
    const all = captureEvents('05');
    const cut = all.findIndex((e) => e.name === 'CHANNEL_PARK');
    const listener = new EventListener({ host: '127.0.0.1', port: 1 });
    for (const e of all.slice(0, cut + 1)) listener.ingest(e);
    assert.equal(listener.calls.size, 1);
    const call = [...listener.calls.values()][0]!;
    assert.equal(call.uuid, '49016250-b6a1-42fb-be99-28dc6e1c2978');
    assert.equal(call.sessions.length, 2);
    assert.ok(call.sessions.every((s) => s.answered));
    assert.equal(call.first.direction, 'outbound');
    assert.equal(call.first.destination, '9196');
    listener.dispose();
  });

  test('capture 09: failed originates count as failed sessions with their cause', () => {
    const listener = replay('09');
    assert.equal(listener.stats.failedSessions, 4);
    assert.equal(listener.stats.hangupCauses.get('NO_ROUTE_DESTINATION'), 4);
    assert.equal(listener.calls.size, 0);
    listener.dispose();
  });

  test('capture 11: origination variables are readable on both loopback legs', () => {
    const listener = new EventListener({ host: '127.0.0.1', port: 1 });
    const seen: Array<[string, string | undefined, string]> = [];
    listener.onDidCreateSession((s) => seen.push([s.channelName, s.var('my_var'), s.callerIdName]));
    for (const e of captureEvents('11')) listener.ingest(e);
    assert.deepEqual(seen, [
      ['loopback/9196-a', 'hello world', 'Test Caller'],
      ['loopback/9196-b', 'hello world', 'Test Caller'],
    ]);
    assert.equal(listener.history.length, 1);
    assert.equal(listener.history[0]!.sessions.length, 2);
    listener.dispose();
  });

  test('a session keeps every header as decoded; the caller\'s own header objects are never written to', () => {
    for (const prefix of ['04', '05', '11']) {
      const listener = new EventListener({ host: '127.0.0.1', port: 1 });
      // Decoded a second time: objects the listener never saw.
      const pristine = captureEvents(prefix);
      let current = -1;
      let created = 0;
      listener.onDidCreateSession((session) => {
        created++;
        assert.deepEqual({ ...session.headers }, { ...pristine[current]!.headers });
      });
      captureEvents(prefix).forEach((e, i) => {
        current = i;
        listener.ingest(e);
      });
      assert.ok(created >= 2);
      listener.dispose();
    }
    const listener = new EventListener({ host: '127.0.0.1', port: 1 });
    const frozen = Object.freeze({ 'Event-Name': 'CHANNEL_CREATE', 'Unique-ID': 'u1', 'Channel-Name': 'loopback/1-a', 'Channel-Call-UUID': 'u1', 'Core-UUID': 'c' });
    listener.ingest(new EslEvent(frozen));
    listener.ingest(new EslEvent({ ...frozen, 'Unique-ID': 'u2', 'Channel-Call-UUID': 'u2' }));
    assert.equal(listener.sessions.get('u1')!.get('Channel-Call-UUID'), 'u1');
    assert.equal(listener.sessions.size, 2);
    listener.dispose();
  });

  test('capture 10: legs bridged with uuid_bridge end up in one call', () => {
    const listener = new EventListener({ host: '127.0.0.1', port: 1 });
    const all = captureEvents('10');
    const bridge = all.findIndex((e) => e.name === 'CHANNEL_BRIDGE');
    for (const e of all.slice(0, bridge + 1)) listener.ingest(e);
    // Capture 10 subscribes without CHANNEL_CREATE: sessions appear from their first channel event.
    const a = listener.sessions.get('0ab114dd-359c-49a5-943e-13b35afc4833')!;
    const b = listener.sessions.get('a8eab5db-c877-42bd-9fd3-7957b53a091c')!;
    assert.ok(a && b);
    assert.equal(a.call, b.call);
    assert.equal(a.bridgedTo, b.uuid);
    assert.equal(a.call!.peer(a), b);
    listener.dispose();
  });
});
