import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_RECONNECT_POLICY, reconnectDelay, type ReconnectPolicy } from '../../src/core/esl/reconnect';
import { seededRandom } from '../support/prng';

// reconnectDelay(attempt, policy, random): capped exponential backoff with ±jitter.

/** random() === 0.5 puts the jitter at exactly zero, which exposes the un-jittered delay. */
const noJitter = (): number => 0.5;
/** The largest value Math.random can return. */
const ALMOST_ONE = 1 - Number.EPSILON / 2;


describe('reconnectDelay', () => {
  it('defaults: 500 ms first, ×2 per attempt, 10 s cap, ±20 % jitter', () => {
    assert.deepStrictEqual(DEFAULT_RECONNECT_POLICY, { initialDelayMs: 500, maxDelayMs: 10_000, factor: 2, jitter: 0.2 });
  });

  it('starts at 500 ms and doubles until the 10 s cap, then stays there', () => {
    const delays = Array.from({ length: 12 }, (_, i) => reconnectDelay(i + 1, DEFAULT_RECONNECT_POLICY, noJitter));
    assert.equal(delays[0], 500);
    let capped = false;
    for (let i = 1; i < delays.length; i++) {
      if (delays[i - 1]! * 2 <= 10_000) assert.equal(delays[i], delays[i - 1]! * 2, `attempt ${i + 1}`);
      else {
        assert.equal(delays[i], 10_000, `attempt ${i + 1}`);
        capped = true;
      }
    }
    assert.ok(capped, 'the cap was reached');
    assert.equal(reconnectDelay(5, DEFAULT_RECONNECT_POLICY, noJitter), 8000);
    assert.equal(reconnectDelay(6, DEFAULT_RECONNECT_POLICY, noJitter), 10_000);
  });

  it('stays finite and capped for very large attempt numbers', () => {
    for (const attempt of [50, 1024, 1e6, Number.MAX_SAFE_INTEGER]) {
      assert.equal(reconnectDelay(attempt, DEFAULT_RECONNECT_POLICY, noJitter), 10_000, `attempt ${attempt}`);
      const jittered = reconnectDelay(attempt, DEFAULT_RECONNECT_POLICY, () => 0);
      assert.ok(Number.isFinite(jittered) && jittered <= 10_000);
    }
  });

  it('an attempt number below 1 waits the initial delay', () => {
    assert.equal(reconnectDelay(0, DEFAULT_RECONNECT_POLICY, noJitter), 500);
    assert.equal(reconnectDelay(-3, DEFAULT_RECONNECT_POLICY, noJitter), 500);
  });

  it('jitter stays within ±20 % of the un-jittered delay and never exceeds the cap', () => {
    const randoms = [0, 1e-9, 0.1, 0.25, 0.4999, 0.5, 0.5001, 0.75, 0.9, 0.999, ALMOST_ONE];
    for (let attempt = 1; attempt <= 20; attempt++) {
      const base = reconnectDelay(attempt, DEFAULT_RECONNECT_POLICY, noJitter);
      const low = base * 0.8;
      const high = Math.min(10_000, base * 1.2);
      const seen = new Set<number>();
      for (const r of randoms) {
        const d = reconnectDelay(attempt, DEFAULT_RECONNECT_POLICY, () => r);
        assert.ok(Number.isInteger(d), 'whole milliseconds');
        // ±0.5 for the rounding to whole milliseconds.
        assert.ok(d >= low - 0.5 && d <= high + 0.5, `attempt ${attempt}, random ${r}: ${d} not in [${low}, ${high}]`);
        assert.ok(d <= 10_000);
        seen.add(d);
      }
      // The full range is used, not a sliver of it; at the cap too, so clients do not reconnect in step.
      assert.ok(reconnectDelay(attempt, DEFAULT_RECONNECT_POLICY, () => 0) <= low + 0.5);
      assert.ok(seen.size >= 5, `attempt ${attempt}: only ${seen.size} distinct delays`);
    }
  });

  it('with the real Math.random: always within bounds, and actually spread', () => {
    const base = reconnectDelay(3, DEFAULT_RECONNECT_POLICY, noJitter);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const d = reconnectDelay(3);
      assert.ok(d >= base * 0.8 - 0.5 && d <= base * 1.2 + 0.5, String(d));
      seen.add(d);
    }
    assert.ok(seen.size > 100, `only ${seen.size} distinct delays`);
    for (let i = 0; i < 2000; i++) assert.ok(reconnectDelay(40) <= 10_000);
  });

  it('is deterministic for an injected random source', () => {
    const run = (seed: number): number[] => {
      const random = seededRandom(seed);
      return Array.from({ length: 30 }, (_, i) => reconnectDelay(i + 1, DEFAULT_RECONNECT_POLICY, random));
    };
    assert.deepStrictEqual(run(7), run(7));
    assert.notDeepStrictEqual(run(7), run(8));
  });

  it('calls the random source once per delay', () => {
    let calls = 0;
    reconnectDelay(4, DEFAULT_RECONNECT_POLICY, () => {
      calls++;
      return 0.3;
    });
    assert.equal(calls, 1);
  });

  it('honours a custom policy', () => {
    const policy: ReconnectPolicy = { initialDelayMs: 100, maxDelayMs: 1000, factor: 3, jitter: 0 };
    assert.deepStrictEqual(
      [1, 2, 3, 4, 5].map((a) => reconnectDelay(a, policy, () => 0)),
      [100, 300, 900, 1000, 1000],
    );
    const wide: ReconnectPolicy = { ...policy, jitter: 0.5 };
    assert.equal(reconnectDelay(1, wide, () => 0), 50);
    assert.equal(reconnectDelay(1, wide, () => ALMOST_ONE), 150);
  });
});
