// The host side of the event stream without a webview: the bounded buffer and its drop counting,
// matching (names, uuids that follow a call, text), pause, batching and inbound validation.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EslEvent } from '../../src/core/esl/event';
import { EventMatcher, EventStreamModel, RingBuffer, StreamSubscriptions, eventJson, toRow } from '../../src/extension/webviews/eventStreamModel';
import type { AppendNotification, EventStreamNotification, GapRowsResponse, SnapshotNotification } from '../../src/shared/protocol/eventStream';

let clock = 1_700_000_000_000_000;
function ev(name: string, headers: Record<string, string> = {}, body = ''): EslEvent {
  clock += 1000;
  return new EslEvent({ 'Event-Name': name, 'Event-Date-Timestamp': String(clock), ...headers }, body);
}

function harness(bufferSize = 5): { model: EventStreamModel; posts: EventStreamNotification[]; copied: string[]; exported: string[][]; timelines: string[] } {
  const posts: EventStreamNotification[] = [];
  const copied: string[] = [];
  const exported: string[][] = [];
  const timelines: string[] = [];
  const model = new EventStreamModel({
    bufferSize,
    server: 'Test FS',
    post: (m) => posts.push(m),
    flushMs: 1_000_000,
    statsMs: 1_000_000,
    actions: { copy: (j) => copied.push(j), exportJsonl: (l) => exported.push(l), openTimeline: (u) => timelines.push(u) },
  });
  return { model, posts, copied, exported, timelines };
}

const lastSnapshot = (posts: EventStreamNotification[]): SnapshotNotification => posts.filter((p): p is SnapshotNotification => p.type === 'snapshot').at(-1)!;
const appends = (posts: EventStreamNotification[]): AppendNotification[] => posts.filter((p): p is AppendNotification => p.type === 'append');

describe('RingBuffer', () => {
  test('keeps the newest items and returns what it drops', () => {
    const b = new RingBuffer<number>(3);
    assert.equal(b.push(1), undefined);
    b.push(2);
    b.push(3);
    assert.equal(b.push(4), 1);
    assert.equal(b.push(5), 2);
    assert.deepEqual([...b], [3, 4, 5]);
    assert.equal(b.at(0), 3);
    assert.equal(b.at(2), 5);
    assert.equal(b.at(3), undefined);
    assert.equal(b.at(-1), undefined);
    b.clear();
    assert.equal(b.length, 0);
    assert.deepEqual([...b], []);
  });
});

describe('EventStreamModel', () => {
  test('counts received, buffered and dropped events; the snapshot has only the buffer', () => {
    const { model, posts } = harness(5);
    model.handle({ type: 'ready' });
    for (let i = 0; i < 12; i++) model.ingest(ev('HEARTBEAT'));
    assert.deepEqual(model.stats, { received: 12, buffered: 5, dropped: 7, arrivedWhilePaused: 0, matching: 5, notShown: 0, oldestSeq: 8 });
    model.postSnapshot();
    const snap = lastSnapshot(posts);
    assert.deepEqual(
      snap.rows.map((r) => r.seq),
      [8, 9, 10, 11, 12],
    );
    assert.equal(snap.state.stats.dropped, 7);
    assert.equal(snap.state.bufferSize, 5);
  });

  test('batches: no post per event; one append carries them all, and never more rows than the buffer', () => {
    const { model, posts } = harness(5);
    model.handle({ type: 'ready' });
    const before = posts.length;
    for (let i = 0; i < 20; i++) model.ingest(ev('CHANNEL_STATE', { 'Unique-ID': 'u1', 'Channel-State': 'CS_EXECUTE' }));
    assert.equal(posts.length, before, 'ingest never posts synchronously');
    model.flush();
    const [append] = appends(posts);
    assert.ok(append);
    assert.equal(append.rows.length, 5);
    assert.deepEqual(
      append.rows.map((r) => r.seq),
      [16, 17, 18, 19, 20],
    );
    assert.equal(append.stats.dropped, 15);
    model.dispose();
  });

  test('the matching count follows drops of matching and non-matching events', () => {
    const { model } = harness(4);
    model.handle({ type: 'ready' });
    model.handle({ type: 'setFilter', filter: { names: ['CHANNEL_CREATE'], uuids: [], text: '' } });
    model.ingest(ev('CHANNEL_CREATE'));
    model.ingest(ev('HEARTBEAT'));
    model.ingest(ev('CHANNEL_CREATE'));
    model.ingest(ev('HEARTBEAT'));
    assert.equal(model.stats.matching, 2);
    model.ingest(ev('HEARTBEAT')); // drops a CREATE
    assert.equal(model.stats.matching, 1);
    model.ingest(ev('HEARTBEAT')); // drops a HEARTBEAT
    assert.equal(model.stats.matching, 1);
    assert.equal(model.stats.dropped, 2);
    model.dispose();
  });

  test('pause counts what arrives; resume sends a complete snapshot', () => {
    const { model, posts } = harness(100);
    model.handle({ type: 'ready' });
    model.handle({ type: 'setPaused', paused: true });
    assert.equal(model.isPaused, true);
    for (let i = 0; i < 7; i++) model.ingest(ev('HEARTBEAT'));
    model.flush();
    assert.ok(appends(posts).every((a) => a.rows.length === 0), 'no rows while paused');
    assert.equal(model.stats.arrivedWhilePaused, 7);
    model.handle({ type: 'setPaused', paused: false });
    const snap = lastSnapshot(posts);
    assert.equal(snap.rows.length, 7);
    assert.equal(snap.state.stats.arrivedWhilePaused, 0);
    model.dispose();
  });

  test('hidden: nothing is posted; visible again: one snapshot, no pile of deltas', () => {
    const { model, posts } = harness(100);
    model.handle({ type: 'ready' });
    model.setVisible(false);
    const before = posts.length;
    for (let i = 0; i < 10; i++) model.ingest(ev('HEARTBEAT'));
    model.flush();
    assert.equal(posts.length, before);
    model.setVisible(true);
    assert.equal(posts.length, before + 1);
    assert.equal(lastSnapshot(posts).rows.length, 10);
    model.dispose();
  });

  test('detail, copy, export and openTimeline go through validated commands', () => {
    const { model, posts, copied, exported, timelines } = harness(3);
    model.handle({ type: 'ready' });
    model.ingest(ev('CHANNEL_CREATE', { 'Unique-ID': 'u1' }, 'the body'));
    model.ingest(ev('HEARTBEAT'));
    model.handle({ type: 'getDetail', requestId: 9, seq: 1 });
    const detail = posts.at(-1);
    assert.equal(detail?.type, 'detail');
    assert.ok(detail?.type === 'detail' && detail.requestId === 9 && detail.detail?.body === 'the body');
    model.handle({ type: 'getDetail', requestId: 10, seq: 99 });
    assert.deepEqual(posts.at(-1), { type: 'detail', requestId: 10 });
    model.handle({ type: 'copyEvent', seq: 1 });
    assert.equal(JSON.parse(copied[0]!)['Unique-ID'], 'u1');
    assert.equal(JSON.parse(copied[0]!)['_body'], 'the body');
    model.handle({ type: 'copyEvent', seq: 42 });
    assert.equal(copied.length, 1, 'an unknown seq copies nothing');
    model.handle({ type: 'export' });
    assert.equal(exported[0]!.length, 2);
    model.handle({ type: 'openTimeline', uuid: 'u1' });
    assert.deepEqual(timelines, ['u1']);
    // Invalid commands are ignored and return undefined.
    const count = posts.length;
    assert.equal(model.handle({ type: 'getDetail', requestId: 'x', seq: 1 }), undefined);
    assert.equal(model.handle({ type: 'clear', then: 'rm -rf' })?.type, 'clear');
    assert.equal(model.stats.buffered, 0, 'clear (its extra field ignored) emptied the buffer');
    assert.equal(model.handle({ type: 'setPaused', paused: 'yes' }), undefined);
    assert.equal(model.isPaused, false);
    assert.ok(posts.length >= count);
    model.dispose();
  });

  test('nothing is posted before ready, or after dispose', () => {
    const { model, posts } = harness(10);
    model.ingest(ev('HEARTBEAT'));
    model.flush();
    assert.equal(posts.length, 0);
    model.handle({ type: 'ready' });
    assert.equal(posts.length, 1);
    model.dispose();
    model.ingest(ev('HEARTBEAT'));
    model.handle({ type: 'ready' });
    model.flush();
    assert.equal(posts.length, 1);
  });
});

describe('EventStreamModel flow control: the view is never more than a fraction of a second behind', () => {
  /** A model on a hand-driven clock; nothing is posted by timers (flushMs and statsMs are huge). */
  function driven(opts: { bufferSize?: number; maxLagMs?: number; keepRows?: number; maxBatchRows?: number; ackTimeoutMs?: number } = {}) {
    const clock = { t: 1000 };
    const posts: EventStreamNotification[] = [];
    const model = new EventStreamModel({
      bufferSize: opts.bufferSize ?? 100,
      server: 'Test FS',
      post: (m) => posts.push(m),
      flushMs: 1_000_000,
      statsMs: 1_000_000,
      maxLagMs: opts.maxLagMs ?? 200,
      keepRows: opts.keepRows ?? 3,
      maxBatchRows: opts.maxBatchRows ?? 10,
      ackTimeoutMs: opts.ackTimeoutMs ?? 1000,
      now: () => clock.t,
    });
    model.handle({ type: 'ready' });
    const snap = lastSnapshot(posts);
    model.handle({ type: 'rendered', batch: snap.batch });
    const batches = (): AppendNotification[] => appends(posts);
    return { model, posts, clock, batches, lastBatch: (): AppendNotification => batches().at(-1)! };
  }
  const ingest = (model: EventStreamModel, n: number, name = 'CHANNEL_STATE'): void => {
    for (let i = 0; i < n; i++) model.ingest(ev(name, { 'Unique-ID': 'u1' }));
  };

  test('at most two batches wait for the view; its answer posts what piled up, in one batch', () => {
    const { model, batches, lastBatch } = driven();
    ingest(model, 2);
    model.flush();
    ingest(model, 2);
    model.flush();
    assert.equal(batches().length, 2);
    ingest(model, 4);
    model.flush();
    assert.equal(batches().length, 2, 'two batches unanswered: the third waits');
    const [first, second] = batches();
    assert.ok(first!.batch < second!.batch);
    model.handle({ type: 'rendered', batch: first!.batch });
    assert.equal(batches().length, 3, 'the answer posts at once');
    assert.deepEqual(
      lastBatch().rows.map((r) => r.seq),
      [5, 6, 7, 8],
    );
    assert.equal(lastBatch().gap, undefined, 'nothing waited long: nothing is skipped');
    // An answer for an older batch, or a repeated one, changes nothing.
    model.handle({ type: 'rendered', batch: first!.batch });
    assert.equal(batches().length, 3);
    model.dispose();
  });

  test('rows that waited past maxLagMs: the view is behind, only the newest keepRows are posted, the rest is one gap; the buffer keeps all', () => {
    const { model, batches, lastBatch, clock, posts } = driven({ maxLagMs: 200, keepRows: 3 });
    ingest(model, 1);
    model.flush();
    ingest(model, 1);
    model.flush();
    const blocking = batches().at(-1)!.batch;
    // The view is stuck: 5 events now, 300 ms later 4 more.
    ingest(model, 5);
    clock.t += 300;
    ingest(model, 4);
    model.handle({ type: 'rendered', batch: blocking });
    const b = lastBatch();
    assert.deepEqual(b.gap, { fromSeq: 3, toSeq: 8, count: 6 });
    assert.deepEqual(
      b.rows.map((r) => r.seq),
      [9, 10, 11],
    );
    assert.equal(b.stats.notShown, 6);
    assert.equal(model.stats.notShown, 6);
    // Every event is still kept: details, export and the gap's rows.
    assert.equal(model.detail(3)?.seq, 3);
    assert.equal(model.exportLines().length, 11);
    model.handle({ type: 'fillGap', requestId: 4, fromSeq: 3, toSeq: 8 });
    const filled = posts.at(-1) as GapRowsResponse;
    assert.equal(filled.type, 'gapRows');
    assert.equal(filled.requestId, 4);
    assert.deepEqual(
      filled.rows.map((r) => r.seq),
      [3, 4, 5, 6, 7, 8],
    );
    // However long they waited, the newest keepRows (3) are posted: the view is current.
    model.handle({ type: 'rendered', batch: b.batch });
    ingest(model, 6);
    model.flush();
    ingest(model, 1);
    model.flush();
    ingest(model, 8);
    clock.t += 1000;
    model.handle({ type: 'rendered', batch: lastBatch().batch });
    assert.equal(lastBatch().gap?.count, 5);
    assert.deepEqual(
      lastBatch().rows.map((r) => r.seq),
      [24, 25, 26],
    );
    model.dispose();
  });

  test('a post carries at most maxBatchRows rows (the older ones go into the gap)', () => {
    const { model, lastBatch } = driven({ maxBatchRows: 10, keepRows: 3 });
    ingest(model, 1);
    model.flush();
    ingest(model, 1);
    model.flush();
    ingest(model, 25);
    model.handle({ type: 'rendered', batch: lastBatch().batch });
    assert.equal(lastBatch().rows.length, 10);
    assert.deepEqual(lastBatch().gap, { fromSeq: 3, toSeq: 17, count: 15 });
    model.dispose();
  });

  test('rows of events that left the buffer while waiting are dropped (counted as dropped), not a gap', () => {
    const { model, lastBatch } = driven({ bufferSize: 5, maxBatchRows: 50, keepRows: 50 });
    ingest(model, 1);
    model.flush();
    ingest(model, 1);
    model.flush();
    ingest(model, 12);
    model.handle({ type: 'rendered', batch: lastBatch().batch });
    assert.equal(lastBatch().gap, undefined);
    assert.deepEqual(
      lastBatch().rows.map((r) => r.seq),
      [10, 11, 12, 13, 14],
    );
    assert.equal(lastBatch().stats.oldestSeq, 10);
    assert.equal(lastBatch().stats.notShown, 0);
    model.dispose();
  });

  test('an answer that never comes holds posts back for ackTimeoutMs only', () => {
    const { model, batches, clock } = driven({ ackTimeoutMs: 1000 });
    ingest(model, 1);
    model.flush();
    ingest(model, 1);
    model.flush();
    ingest(model, 1);
    model.flush();
    assert.equal(batches().length, 2);
    clock.t += 1000;
    model.flush();
    assert.equal(batches().length, 3);
    model.dispose();
  });

  test('a snapshot restarts flow control; clear resets the counters', () => {
    const { model, batches, posts, clock } = driven();
    ingest(model, 1);
    model.flush();
    ingest(model, 1);
    model.flush();
    ingest(model, 3);
    clock.t += 500;
    model.handle({ type: 'setPaused', paused: true });
    model.handle({ type: 'setPaused', paused: false });
    const snap = lastSnapshot(posts);
    assert.equal(snap.rows.length, 5, 'the snapshot has every buffered row; nothing was skipped');
    model.handle({ type: 'rendered', batch: snap.batch });
    ingest(model, 1);
    model.flush();
    assert.equal(batches().at(-1)!.rows.length, 1);
    model.handle({ type: 'clear' });
    assert.equal(model.stats.notShown, 0);
    assert.equal(model.stats.oldestSeq, 0);
    model.dispose();
  });

  test('fillGap answers only the matching events still in the buffer', () => {
    const { model, posts } = driven({ bufferSize: 6 });
    model.handle({ type: 'setFilter', filter: { names: ['CHANNEL_CREATE'], uuids: [], text: '' } });
    model.handle({ type: 'rendered', batch: lastSnapshot(posts).batch });
    for (let i = 0; i < 8; i++) model.ingest(ev(i % 2 ? 'CHANNEL_CREATE' : 'HEARTBEAT'));
    model.handle({ type: 'fillGap', requestId: 1, fromSeq: 1, toSeq: 8 });
    const filled = posts.at(-1) as GapRowsResponse;
    assert.deepEqual(
      filled.rows.map((r) => r.seq),
      [4, 6, 8],
    );
    model.handle({ type: 'fillGap', requestId: 2, fromSeq: 100, toSeq: 200 });
    assert.deepEqual((posts.at(-1) as GapRowsResponse).rows, []);
    model.dispose();
  });
});

describe('EventMatcher', () => {
  const call = (uuid: string, extra: Record<string, string> = {}): Record<string, string> => ({ 'Unique-ID': uuid, ...extra });

  test('an empty filter matches everything', () => {
    const m = new EventMatcher({ names: [], uuids: [], text: '' });
    assert.ok(m.isEmpty);
    assert.ok(m.matches(ev('HEARTBEAT')));
  });

  test('names: by event name, and a CUSTOM event by its subclass', () => {
    const m = new EventMatcher({ names: ['CHANNEL_CREATE', 'sofia::register'], uuids: [], text: '' });
    assert.ok(m.matches(ev('CHANNEL_CREATE')));
    assert.ok(!m.matches(ev('CHANNEL_ANSWER')));
    assert.ok(m.matches(ev('CUSTOM', { 'Event-Subclass': 'sofia::register' })));
    assert.ok(!m.matches(ev('CUSTOM', { 'Event-Subclass': 'sofia::expire' })));
  });

  test('uuids: full uuids and prefixes, case-insensitive; the call grows with linked legs', () => {
    const a = 'AAAAAAAA-1111-2222-3333-444444444444';
    const b = 'bbbbbbbb-1111-2222-3333-444444444444';
    const c = 'cccccccc-1111-2222-3333-444444444444';
    const m = new EventMatcher({ names: [], uuids: [a.toLowerCase()], text: '' });
    assert.ok(m.matches(ev('CHANNEL_CREATE', call(a))));
    assert.ok(!m.matches(ev('CHANNEL_CREATE', call(b))), 'b is not linked yet');
    assert.ok(m.matches(ev('CHANNEL_BRIDGE', call(a, { 'Other-Leg-Unique-ID': b }))));
    assert.ok(m.matches(ev('CHANNEL_ANSWER', call(b))), 'b followed after the bridge');
    assert.ok(!m.matches(ev('CHANNEL_ANSWER', call(c))));
    assert.ok(!m.matches(ev('HEARTBEAT')));
    // A background job about the call matches but does not pull in its own Job-UUID.
    assert.ok(m.matches(ev('CHANNEL_EXECUTE', call(a, { 'Job-UUID': c }))));
    assert.ok(!m.matches(ev('CHANNEL_ANSWER', call(c))));
    const p = new EventMatcher({ names: [], uuids: ['bbbb'], text: '' });
    assert.ok(p.matches(ev('CHANNEL_CREATE', call(b))));
    assert.ok(p.matches(ev('CHANNEL_CREATE', call('x', { 'variable_fsdev_call_id': 'BBBB-zzz' }))));
    assert.ok(!p.matches(ev('CHANNEL_CREATE', call(c))));
  });

  test('text: header names, values and the body, case-insensitive', () => {
    const m = new EventMatcher({ names: [], uuids: [], text: '  Echo ' });
    assert.ok(m.matches(ev('CHANNEL_EXECUTE', { Application: 'echo' })));
    assert.ok(m.matches(ev('CUSTOM', { 'X-Echo-Header': '1' })));
    assert.ok(m.matches(ev('BACKGROUND_JOB', {}, '+OK ECHO done')));
    assert.ok(!m.matches(ev('CHANNEL_EXECUTE', { Application: 'park' })));
  });

  test('all filters combine', () => {
    const m = new EventMatcher({ names: ['CHANNEL_EXECUTE'], uuids: ['u1'], text: 'park' });
    assert.ok(m.matches(ev('CHANNEL_EXECUTE', { 'Unique-ID': 'u1', Application: 'park' })));
    assert.ok(!m.matches(ev('CHANNEL_EXECUTE', { 'Unique-ID': 'u1', Application: 'echo' })));
    assert.ok(!m.matches(ev('CHANNEL_EXECUTE', { 'Unique-ID': 'u2', Application: 'park' })));
    assert.ok(!m.matches(ev('CHANNEL_PARK', { 'Unique-ID': 'u1', Application: 'park' })));
  });
});

describe('rows and JSON', () => {
  test('toRow clips long values; eventJson keeps a __proto__ header as data', () => {
    const row = toRow(1, ev('CHANNEL_CREATE', { 'Unique-ID': 'u'.repeat(500), 'Caller-Caller-ID-Number': 'x'.repeat(500) }));
    assert.ok(row.caller.length <= 100 && row.caller.endsWith('…'));
    assert.ok(row.uuid!.length <= 100);
    const json = eventJson(new EslEvent({ 'Event-Name': 'CUSTOM', __proto__: 'polluted' } as Record<string, string>, ''));
    const parsed = JSON.parse(json) as Record<string, unknown>;
    assert.equal(parsed['Event-Name'], 'CUSTOM');
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });
});

describe('StreamSubscriptions', () => {
  test('subscribes to ALL without a names filter, narrows to the names, and releases only its own', async () => {
    const subs = new Set<string>(['CHANNEL_CREATE']);
    const calls: string[] = [];
    const target = {
      subscriptions: subs,
      subscribe: async (names: Iterable<string>) => {
        for (const n of names) subs.add(n);
        calls.push(`+${[...names].join(',')}`);
      },
      unsubscribe: async (names: Iterable<string>) => {
        for (const n of names) subs.delete(n);
        calls.push(`-${[...names].join(',')}`);
      },
    };
    const s = new StreamSubscriptions(target);
    await s.apply([]);
    assert.ok(subs.has('ALL'));
    await s.apply(['CHANNEL_CREATE', 'sofia::register']);
    assert.ok(subs.has('CUSTOM') && subs.has('sofia::register') && !subs.has('ALL'));
    await s.release();
    assert.ok(subs.has('CHANNEL_CREATE'), 'a subscription the stream did not add stays');
    assert.ok(!subs.has('CUSTOM'));
    assert.deepEqual(calls, ['+ALL', '+sofia::register,CUSTOM', '-ALL', '-sofia::register,CUSTOM']);
  });
});
