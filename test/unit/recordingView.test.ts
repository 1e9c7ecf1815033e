// An opened recording in the event stream model: the slider's position in the state, scrub
// requests, and replacing the buffer with the events up to a time in one snapshot.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EslEvent } from '../../src/core/esl/event';
import { EventStreamModel } from '../../src/extension/webviews/eventStreamModel';
import { parseEventStreamCommand, type EventStreamNotification, type RecordingPosition, type SnapshotNotification } from '../../src/shared/protocol/eventStream';

function ev(i: number): EslEvent {
  return new EslEvent({ 'Event-Name': i % 2 ? 'CHANNEL_ANSWER' : 'CHANNEL_CREATE', 'Unique-ID': `u${i}`, 'Event-Date-Timestamp': String(1_700_000_000_000_000 + i * 1000) });
}

describe('a recording in the event stream view', () => {
  test('the state carries the position; scrub reaches the host; the buffer is replaced in one snapshot', () => {
    const posts: EventStreamNotification[] = [];
    const scrubs: number[] = [];
    let position: RecordingPosition = { label: 'calls.fsrec.jsonl', durationMs: 5000, atMs: 5000, startedAt: '2026-01-01T00:00:00.000Z', events: 10 };
    const model = new EventStreamModel({ bufferSize: 4, server: 'calls.fsrec.jsonl', post: (m) => posts.push(m), recording: () => position, actions: { scrub: (at) => scrubs.push(at) } });
    model.handle({ type: 'ready' });
    const first = posts.at(-1) as SnapshotNotification;
    assert.deepEqual(first.state.recording, position);

    model.handle({ type: 'scrub', atMs: 1234 });
    assert.deepEqual(scrubs, [1234]);
    assert.equal(parseEventStreamCommand({ type: 'scrub', atMs: -1 }), undefined);
    assert.equal(parseEventStreamCommand({ type: 'scrub', atMs: '5' }), undefined);

    position = { ...position, atMs: 1234 };
    const before = posts.length;
    model.replaceEvents(Array.from({ length: 6 }, (_, i) => ev(i)));
    assert.equal(posts.length, before + 1, 'one post: the snapshot');
    const snap = posts.at(-1) as SnapshotNotification;
    assert.equal(snap.type, 'snapshot');
    assert.deepEqual(
      snap.rows.map((r) => r.uuid),
      ['u2', 'u3', 'u4', 'u5'],
    );
    assert.equal(snap.state.recording?.atMs, 1234);
    assert.equal(snap.state.stats.arrivedWhilePaused, 0);
    assert.equal(snap.state.paused, false);
    model.dispose();
  });
});
