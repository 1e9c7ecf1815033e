// Caller → destination is one rule (callerIdOf/callerText in src/shared/eventSummary.ts) for the
// tree, the event stream's rows and the timeline's lanes, checked on the real FreeSWITCH events of
// captures 11 (loopback) and 16 (sofia), where FreeSWITCH flips the outbound leg's caller ID at answer.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EventListener, FrameParser, decodeEventFrame, type Call, type EslEvent } from '../../src/core';
import { callLabel } from '../../src/extension/tree/format';
import { toRow } from '../../src/extension/webviews/eventStreamModel';
import { TimelineModel } from '../../src/extension/webviews/timelineModel';
import { callerIdOf, callerText, destinationOf } from '../../src/shared/eventSummary';
import { loadCapture } from '../support/captures';

function captureEvents(prefix: string): EslEvent[] {
  const events: EslEvent[] = [];
  for (const frame of new FrameParser().push(loadCapture(prefix).server)) {
    const decoded = decodeEventFrame(frame);
    if (decoded.ok) events.push(decoded.event);
  }
  return events;
}

const rowLabel = (e: EslEvent, seq: number): string => {
  const r = toRow(seq, e);
  return `${r.caller} → ${r.destination}`;
};

for (const [prefix, expected] of [
  ['11', 'Test Caller (1000) → 9196'],
  ['16', '0000000000 → 9196'],
] as const) {
  describe(`caller → destination on capture ${prefix}`, () => {
    const events = captureEvents(prefix).filter((e) => e.uuid && e.headers['Caller-Destination-Number']);

    test('the capture shows the flip: an outbound leg whose later events carry the callee as caller ID', () => {
      const flipped = events.filter((e) => e.headers['variable_channel_cid_flipped'] === 'yes');
      assert.ok(flipped.length > 0, 'a flipped event');
      for (const e of flipped) {
        const created = events.find((c) => c.name === 'CHANNEL_CREATE' && c.uuid === e.uuid)!;
        assert.equal(e.headers['Call-Direction'], 'outbound');
        assert.notEqual(e.headers['Caller-Caller-ID-Number'], created.headers['Caller-Caller-ID-Number'], 'Caller-Caller-ID-Number changed after CHANNEL_CREATE');
        assert.equal(e.headers['Caller-Caller-ID-Number'], e.headers['Caller-Destination-Number'], 'the callee is now the caller ID');
        assert.equal(e.headers['Caller-Orig-Caller-ID-Number'], created.headers['Caller-Caller-ID-Number'], 'the Orig fields keep who called');
      }
    });

    test(`every channel event's row says ${expected}, before and after the flip`, () => {
      assert.deepEqual([...new Set(events.map((e, i) => rowLabel(e, i + 1)))], [expected]);
      assert.deepEqual([...new Set(events.map((e) => `${callerText(e.headers)} → ${destinationOf(e.headers)}`))], [expected]);
      assert.deepEqual([...new Set(events.map((e) => callerIdOf(e.headers).number))], [expected.replace(/^.*?\(?(\d+)\)? → .*$/, '$1')]);
    });

    test('the tree, the stream rows and the timeline lanes agree on every call, while it runs and after', () => {
      const listener = new EventListener({ host: '127.0.0.1', port: 1 });
      const calls = new Set<Call>();
      listener.onDidCreateCall((c) => calls.add(c));
      let checked = 0;
      events.forEach((e, i) => {
        listener.ingest(e);
        const session = listener.sessions.get(e.uuid!);
        const call = session?.call;
        if (!call) return;
        calls.add(call);
        // The tree's label of the call this event belongs to, at this moment, and the event's row.
        assert.equal(callLabel(call), rowLabel(e, i + 1), `${e.name} of ${e.headers['Channel-Name']}`);
        checked++;
      });
      assert.ok(checked > 0);
      for (const call of calls) {
        assert.equal(callLabel(call), expected);
        const timeline = new TimelineModel(call, 'test');
        timeline.replay(events, 0);
        const state = timeline.state();
        assert.equal(state.title, expected);
        for (const lane of state.sessions) assert.equal(`${lane.caller} → ${lane.destination}`, expected, lane.channelName);
      }
      listener.dispose();
    });
  });
}

describe('callerIdOf without the Orig fields', () => {
  test('a flipped leg takes the callee fields, an unflipped one the caller fields', () => {
    const callee = { 'Caller-Callee-ID-Name': 'Alice', 'Caller-Callee-ID-Number': '5101' };
    const caller = { 'Caller-Caller-ID-Name': 'Desk', 'Caller-Caller-ID-Number': '9664' };
    assert.deepEqual(callerIdOf({ ...callee, ...caller, variable_channel_cid_flipped: 'yes' }), { name: 'Alice', number: '5101' });
    assert.deepEqual(callerIdOf({ ...callee, ...caller }), { name: 'Desk', number: '9664' });
    assert.equal(callerText({ 'Caller-Caller-ID-Name': '5101', 'Caller-Caller-ID-Number': '5101' }), '5101');
    assert.equal(callerText({ variable_effective_caller_id_number: '7000' }), '7000');
    assert.equal(callerText({}), '');
  });
});
