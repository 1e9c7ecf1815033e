// The host validates every message from the event stream and timeline webviews: what does not match
// the typed protocol is ignored, and what matches comes out without extra fields.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FILTER_LIMITS, eventKey, parseEventStreamCommand } from '../../src/shared/protocol/eventStream';
import { parseTimelineCommand } from '../../src/shared/protocol/timeline';

const filter = { names: ['CHANNEL_CREATE'], uuids: ['abc'], text: 'park' };

describe('parseEventStreamCommand', () => {
  test('accepts every command of the protocol, copying only its fields', () => {
    assert.deepEqual(parseEventStreamCommand({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(parseEventStreamCommand({ type: 'clear' }), { type: 'clear' });
    assert.deepEqual(parseEventStreamCommand({ type: 'export' }), { type: 'export' });
    assert.deepEqual(parseEventStreamCommand({ type: 'setFilter', filter }), { type: 'setFilter', filter });
    assert.deepEqual(parseEventStreamCommand({ type: 'setPaused', paused: true }), { type: 'setPaused', paused: true });
    assert.deepEqual(parseEventStreamCommand({ type: 'getDetail', requestId: 3, seq: 7 }), { type: 'getDetail', requestId: 3, seq: 7 });
    assert.deepEqual(parseEventStreamCommand({ type: 'copyEvent', seq: 0 }), { type: 'copyEvent', seq: 0 });
    assert.deepEqual(parseEventStreamCommand({ type: 'openTimeline', uuid: 'u-1' }), { type: 'openTimeline', uuid: 'u-1' });
    assert.deepEqual(parseEventStreamCommand({ type: 'rendered', batch: 12 }), { type: 'rendered', batch: 12 });
    assert.deepEqual(parseEventStreamCommand({ type: 'fillGap', requestId: 1, fromSeq: 3, toSeq: 9, all: true }), { type: 'fillGap', requestId: 1, fromSeq: 3, toSeq: 9 });
  });

  test('drops extra fields (nothing unvalidated reaches the host)', () => {
    assert.deepEqual(parseEventStreamCommand({ type: 'ready', evil: '<script>' }), { type: 'ready' });
    assert.deepEqual(parseEventStreamCommand({ type: 'copyEvent', seq: 1, path: '/etc/passwd' }), { type: 'copyEvent', seq: 1 });
    const parsed = parseEventStreamCommand({ type: 'setFilter', filter: { ...filter, regex: '.*' }, extra: 1 });
    assert.deepEqual(parsed, { type: 'setFilter', filter });
    // The filter is a copy: later changes to the raw message do not leak in.
    const raw = { type: 'setFilter', filter: { names: ['A'], uuids: [], text: '' } };
    const copy = parseEventStreamCommand(raw) as { filter: { names: string[] } };
    raw.filter.names.push('B');
    assert.deepEqual(copy.filter.names, ['A']);
  });

  test('ignores malformed messages', () => {
    const bad: unknown[] = [
      undefined,
      null,
      42,
      'ready',
      [],
      ['ready'],
      {},
      { type: 7 },
      { type: 'READY' },
      { type: 'nope' },
      { type: 'x'.repeat(33) },
      { type: '__proto__' },
      { type: 'constructor' },
      { type: 'toString' },
    ];
    for (const m of bad) assert.equal(parseEventStreamCommand(m), undefined, JSON.stringify(m));
  });

  test('ignores wrong types and out-of-range values', () => {
    const bad: unknown[] = [
      { type: 'setPaused' },
      { type: 'setPaused', paused: 'true' },
      { type: 'setPaused', paused: 1 },
      { type: 'getDetail', requestId: 1 },
      { type: 'getDetail', requestId: '1', seq: 1 },
      { type: 'getDetail', requestId: 1, seq: -1 },
      { type: 'getDetail', requestId: 1, seq: 1.5 },
      { type: 'getDetail', requestId: 1, seq: Number.NaN },
      { type: 'getDetail', requestId: 1, seq: Number.POSITIVE_INFINITY },
      { type: 'getDetail', requestId: 1, seq: 2 ** 60 },
      { type: 'copyEvent', seq: '3' },
      { type: 'copyEvent', seq: null },
      { type: 'openTimeline' },
      { type: 'openTimeline', uuid: '' },
      { type: 'openTimeline', uuid: 5 },
      { type: 'openTimeline', uuid: 'u'.repeat(FILTER_LIMITS.uuid + 1) },
      { type: 'rendered' },
      { type: 'rendered', batch: -1 },
      { type: 'rendered', batch: '3' },
      { type: 'fillGap', requestId: 1, fromSeq: 9, toSeq: 3 },
      { type: 'fillGap', requestId: 1, fromSeq: 3 },
      { type: 'fillGap', fromSeq: 3, toSeq: 4 },
      { type: 'setFilter' },
      { type: 'setFilter', filter: null },
      { type: 'setFilter', filter: [] },
      { type: 'setFilter', filter: { names: [], uuids: [] } },
      { type: 'setFilter', filter: { names: 'CHANNEL_CREATE', uuids: [], text: '' } },
      { type: 'setFilter', filter: { names: [1], uuids: [], text: '' } },
      { type: 'setFilter', filter: { names: [], uuids: [null], text: '' } },
      { type: 'setFilter', filter: { names: [], uuids: [], text: 3 } },
      { type: 'setFilter', filter: { names: [], uuids: [], text: 'x'.repeat(FILTER_LIMITS.text + 1) } },
      { type: 'setFilter', filter: { names: Array.from({ length: FILTER_LIMITS.names + 1 }, () => 'A'), uuids: [], text: '' } },
      { type: 'setFilter', filter: { names: [], uuids: Array.from({ length: FILTER_LIMITS.uuids + 1 }, () => 'a'), text: '' } },
      { type: 'setFilter', filter: { names: [], uuids: ['u'.repeat(FILTER_LIMITS.uuid + 1)], text: '' } },
    ];
    for (const m of bad) assert.equal(parseEventStreamCommand(m), undefined, JSON.stringify(m));
  });

  test('accepts the limits themselves', () => {
    const names = Array.from({ length: FILTER_LIMITS.names }, (_, i) => `N${i}`);
    const uuids = Array.from({ length: FILTER_LIMITS.uuids }, () => 'u'.repeat(FILTER_LIMITS.uuid));
    const m = parseEventStreamCommand({ type: 'setFilter', filter: { names, uuids, text: 'x'.repeat(FILTER_LIMITS.text) } });
    assert.equal(m?.type, 'setFilter');
  });

  test('eventKey: a CUSTOM event by its subclass', () => {
    assert.equal(eventKey('CUSTOM', 'sofia::register'), 'sofia::register');
    assert.equal(eventKey('CUSTOM', undefined), 'CUSTOM');
    assert.equal(eventKey('CHANNEL_CREATE', 'x'), 'CHANNEL_CREATE');
  });
});

describe('parseTimelineCommand', () => {
  test('accepts the protocol, without extra fields', () => {
    assert.deepEqual(parseTimelineCommand({ type: 'ready', x: 1 }), { type: 'ready' });
    assert.deepEqual(parseTimelineCommand({ type: 'showInStream', uuid: 'abc', extra: true }), { type: 'showInStream', uuid: 'abc' });
    assert.deepEqual(parseTimelineCommand({ type: 'copyEvent', seq: 4 }), { type: 'copyEvent', seq: 4 });
  });

  test('ignores malformed messages and wrong types', () => {
    const bad: unknown[] = [
      null,
      undefined,
      'ready',
      [],
      {},
      { type: 'snapshot' },
      { type: 'openTimeline', uuid: 'a' },
      { type: 'showInStream' },
      { type: 'showInStream', uuid: '' },
      { type: 'showInStream', uuid: 1 },
      { type: 'showInStream', uuid: 'u'.repeat(201) },
      { type: 'copyEvent' },
      { type: 'copyEvent', seq: -1 },
      { type: 'copyEvent', seq: 0.5 },
      { type: 'copyEvent', seq: '1' },
      { type: '__proto__' },
    ];
    for (const m of bad) assert.equal(parseTimelineCommand(m), undefined, JSON.stringify(m));
  });
});
