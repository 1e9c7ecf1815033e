import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Pacer, dueAt, slotsAt, type Slot } from '../../src/core';
import { ManualClock } from '../support/manualClock';

// The scheduler is the product: call n at start + n/rate, on the injected clock, exactly.

function run(options: ConstructorParameters<typeof Pacer>[1]): { clock: ManualClock; pacer: Pacer; slots: Slot[]; late: number[] } {
  const clock = new ManualClock();
  const slots: Slot[] = [];
  const late: number[] = [];
  const pacer = new Pacer(clock, options, (slot, isLate) => {
    slots.push(slot);
    if (isLate) late.push(slot.index);
  });
  return { clock, pacer, slots, late };
}

const close = (a: number, b: number, eps = 1e-6): boolean => Math.abs(a - b) <= eps;

describe('Pacer: exact send times', () => {
  it('sends call n at n/rate after the start, not in once-a-second bursts', () => {
    const { clock, pacer, slots } = run({ rate: 250 });
    pacer.start();
    clock.advance(2000);
    // Slots 0..500 (slot 500 is due at exactly 2000 ms).
    assert.equal(slots.length, 501);
    for (const s of slots) {
      assert.ok(close(s.dueMs, s.index * 4), `slot ${s.index} due at ${s.dueMs}`);
      assert.ok(close(s.nowMs, s.dueMs), `slot ${s.index} sent at ${s.nowMs}, due ${s.dueMs}`);
    }
  });

  it('does not drift over a long run at a rate whose gap is not a whole number of ms', () => {
    const { clock, pacer, slots } = run({ rate: 3 });
    pacer.start();
    clock.advance(3_600_000);
    assert.equal(slots.length, 3 * 3600 + 1);
    assert.ok(close(slots.at(-1)!.dueMs, 3_600_000, 1e-6));
  });

  it('a late timer costs latency, never rate: what came due goes out at once, then the schedule holds', () => {
    const { clock, pacer, slots, late } = run({ rate: 100, maxLagMs: 100 });
    pacer.start();
    clock.advance(100);
    clock.stall(50); // the event loop was busy for 50 ms
    const caughtUp = slots.filter((s) => s.dueMs > 100 && s.dueMs <= 150);
    assert.equal(caughtUp.length, 5);
    assert.ok(caughtUp.every((s) => s.nowMs === 150));
    assert.deepEqual(late, []);
    clock.advance(850);
    assert.equal(slots.length, 101);
  });

  it('hands slots more than maxLagMs behind out as late (they are then not offered, not burst)', () => {
    const { clock, pacer, slots, late } = run({ rate: 100, maxLagMs: 100 });
    pacer.start();
    clock.stall(500);
    // Slot 0 went at the start; 1..50 came due in the stall, those due before 400 ms over 100 ms late.
    assert.equal(slots.length, 51);
    assert.deepEqual(late, slots.filter((s) => s.index > 0 && s.dueMs < 400).map((s) => s.index));
    assert.equal(late.length, 39);
  });
});

describe('Pacer: rate changes, ramp, pause', () => {
  it('a rate change counts from the last call: the next gap is the new rate’s', () => {
    const { clock, pacer, slots } = run({ rate: 10 });
    pacer.start();
    clock.advance(1000); // slots at 0, 100, …, 1000
    assert.equal(slots.length, 11);
    clock.advance(30);
    pacer.setRate(100);
    clock.advance(1000);
    const after = slots.slice(11);
    // The next call is one new gap (10 ms) after the last (1000 ms), but not in the past: at 1030.
    assert.ok(close(after[0]!.dueMs, 1030));
    for (let i = 1; i < after.length; i++) assert.ok(close(after[i]!.dueMs - after[i - 1]!.dueMs, 10), `gap ${i}`);
    assert.equal(after.length, 101);
  });

  it('a lowered rate waits one new gap after the last call', () => {
    const { clock, pacer, slots } = run({ rate: 100 });
    pacer.start();
    clock.advance(105); // last slot at 100
    pacer.setRate(2);
    clock.advance(2000);
    const after = slots.filter((s) => s.dueMs > 100);
    assert.ok(close(after[0]!.dueMs, 600));
    assert.ok(close(after[1]!.dueMs, 1100));
  });

  it('ramps linearly from 0 to the rate: the calls offered by time t are rate·t²/(2·ramp)', () => {
    const { clock, pacer, slots } = run({ rate: 100, rampMs: 2000 });
    pacer.start();
    clock.advance(4000);
    const seg = { startMs: 0, startIndex: 0, fromRate: 0, rate: 100, rampMs: 2000 };
    for (const t of [500, 1000, 1500, 2000, 3000, 4000]) {
      const expected = Math.floor(slotsAt(seg, t) + 1e-9) + 1;
      assert.equal(slots.filter((s) => s.dueMs <= t + 1e-9).length, expected, `by ${t} ms`);
    }
    // 100 calls in the ramp (area of the triangle), then 100 a second.
    assert.equal(slots.filter((s) => s.dueMs <= 2000 + 1e-9).length, 101);
    assert.equal(slots.filter((s) => s.dueMs > 2000 && s.dueMs <= 3000 + 1e-9).length, 100);
    for (const s of slots) assert.ok(close(s.dueMs, dueAt(seg, s.index), 1e-6));
  });

  it('pause stops the schedule; slots in a pause are never due; resume goes on one gap later', () => {
    const { clock, pacer, slots } = run({ rate: 10 });
    pacer.start();
    clock.advance(250); // 0, 100, 200
    pacer.pause();
    clock.advance(10_000);
    assert.equal(slots.length, 3);
    pacer.resume();
    clock.advance(1000);
    assert.ok(close(slots[3]!.dueMs, 10_250));
    // 10 250, 10 350, …, 11 250.
    assert.equal(slots.length, 3 + 11);
    assert.equal(clock.pending, 1);
    pacer.stop();
    assert.equal(clock.pending, 0);
  });

  it('rejects a rate of 0, a negative or a non-number rate', () => {
    const clock = new ManualClock();
    for (const rate of [0, -5, NaN, Infinity]) {
      assert.throws(() => new Pacer(clock, { rate }, () => undefined), /rate must be a number of calls per second above 0/);
    }
  });
});
