import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DisposableStore, Emitter, toDisposable } from '../../src/core/util/lifecycle';

// Emitter: event delivery runs on the socket read path, so a bad listener must never stop the others.

/** Lets pending promise reactions (async listener rejections) run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Emitter', () => {
  it('delivers to every listener in subscription order', () => {
    const emitter = new Emitter<number>();
    const calls: string[] = [];
    emitter.event((n) => calls.push(`a${n}`));
    emitter.event((n) => calls.push(`b${n}`));
    emitter.fire(1);
    emitter.fire(2);
    assert.deepStrictEqual(calls, ['a1', 'b1', 'a2', 'b2']);
  });

  it('a throwing listener is reported and the listeners after it still get the event', () => {
    const errors: unknown[] = [];
    const emitter = new Emitter<string>((err) => errors.push(err));
    const got: string[] = [];
    const boom = new Error('boom');
    emitter.event((e) => got.push(`before:${e}`));
    emitter.event(() => {
      throw boom;
    });
    emitter.event((e) => got.push(`after:${e}`));
    assert.doesNotThrow(() => emitter.fire('x'));
    assert.deepStrictEqual(got, ['before:x', 'after:x']);
    assert.deepStrictEqual(errors, [boom]);
  });

  it('a rejecting async listener is reported and the others still get the event', async () => {
    const errors: unknown[] = [];
    const emitter = new Emitter<string>((err) => errors.push(err));
    const got: string[] = [];
    const reason = new Error('async boom');
    emitter.event(async () => {
      await Promise.resolve();
      throw reason;
    });
    emitter.event((e) => got.push(e));
    emitter.fire('y');
    assert.deepStrictEqual(got, ['y'], 'delivered synchronously, without waiting for the async listener');
    await settle();
    assert.deepStrictEqual(errors, [reason]);
  });

  it('a listener that throws a non-Error is reported as it was thrown', () => {
    const errors: unknown[] = [];
    const emitter = new Emitter<void>((err) => errors.push(err));
    emitter.event(() => {
      throw 'just a string';
    });
    emitter.fire();
    assert.deepStrictEqual(errors, ['just a string']);
  });

  it('without an error callback, a listener error goes to console.error and fire still returns', async (t) => {
    const logged = t.mock.method(console, 'error', (..._args: unknown[]) => undefined);
    const emitter = new Emitter<number>();
    const got: number[] = [];
    const boom = new Error('default');
    emitter.event(() => {
      throw boom;
    });
    emitter.event((n) => got.push(n));
    assert.doesNotThrow(() => emitter.fire(3));
    assert.deepStrictEqual(got, [3]);
    await settle();
    assert.equal(logged.mock.callCount(), 1);
    assert.ok(logged.mock.calls[0]!.arguments.includes(boom));
  });

  it('disposing a subscription stops its deliveries only', () => {
    const emitter = new Emitter<number>();
    const a: number[] = [];
    const b: number[] = [];
    const subA = emitter.event((n) => a.push(n));
    emitter.event((n) => b.push(n));
    emitter.fire(1);
    subA.dispose();
    subA.dispose();
    emitter.fire(2);
    assert.deepStrictEqual(a, [1]);
    assert.deepStrictEqual(b, [1, 2]);
  });

  it('hasListeners follows subscribe and dispose', () => {
    const emitter = new Emitter<number>();
    assert.equal(emitter.hasListeners, false);
    const sub = emitter.event(() => undefined);
    assert.equal(emitter.hasListeners, true);
    sub.dispose();
    assert.equal(emitter.hasListeners, false);
  });

  it('the same function subscribed twice gets two deliveries, and disposing one leaves the other', () => {
    const emitter = new Emitter<number>();
    const got: number[] = [];
    const listener = (n: number): void => {
      got.push(n);
    };
    const first = emitter.event(listener);
    emitter.event(listener);
    emitter.fire(1);
    first.dispose();
    emitter.fire(2);
    assert.deepStrictEqual(got, [1, 1, 2]);
  });

  it('subscribing during fire is safe: the new listener starts with the next event', () => {
    const emitter = new Emitter<number>();
    const got: string[] = [];
    let added = 0;
    emitter.event((n) => {
      got.push(`outer${n}`);
      if (added++ < 3) emitter.event((m) => got.push(`inner${m}`));
    });
    emitter.fire(1);
    assert.deepStrictEqual(got, ['outer1']);
    emitter.fire(2);
    assert.deepStrictEqual(got, ['outer1', 'outer2', 'inner2']);
  });

  it('a listener may dispose itself during fire; the others still get that event', () => {
    const emitter = new Emitter<number>();
    const got: string[] = [];
    const once = emitter.event((n) => {
      got.push(`once${n}`);
      once.dispose();
    });
    emitter.event((n) => got.push(`always${n}`));
    emitter.fire(1);
    emitter.fire(2);
    assert.deepStrictEqual(got, ['once1', 'always1', 'always2']);
  });

  it('binds thisArgs', () => {
    const emitter = new Emitter<number>();
    const target = {
      total: 0,
      add(this: { total: number }, n: number) {
        this.total += n;
      },
    };
    emitter.event(target.add, target);
    emitter.fire(2);
    emitter.fire(3);
    assert.equal(target.total, 5);
  });

  it('after dispose it delivers nothing and new subscriptions are inert', () => {
    const emitter = new Emitter<number>();
    const got: number[] = [];
    emitter.event((n) => got.push(n));
    emitter.dispose();
    const late = emitter.event((n) => got.push(n * 10));
    emitter.fire(1);
    assert.deepStrictEqual(got, []);
    assert.equal(emitter.hasListeners, false);
    assert.doesNotThrow(() => late.dispose());
  });
});

describe('DisposableStore and toDisposable', () => {
  it('toDisposable runs its function once', () => {
    let runs = 0;
    const d = toDisposable(() => runs++);
    d.dispose();
    d.dispose();
    assert.equal(runs, 1);
  });

  it('disposes everything it holds, once, and returns what was added', () => {
    const store = new DisposableStore();
    const order: string[] = [];
    const a = toDisposable(() => order.push('a'));
    assert.equal(store.add(a), a);
    store.add(toDisposable(() => order.push('b')));
    store.dispose();
    store.dispose();
    assert.deepStrictEqual(order, ['a', 'b']);
  });

  it('something added after dispose is disposed at once', () => {
    const store = new DisposableStore();
    store.dispose();
    let disposed = false;
    store.add(toDisposable(() => (disposed = true)));
    assert.equal(disposed, true);
  });

  it('unsubscribes emitter listeners it owns', () => {
    const emitter = new Emitter<number>();
    const store = new DisposableStore();
    const got: number[] = [];
    store.add(emitter.event((n) => got.push(n)));
    store.add(emitter.event((n) => got.push(-n)));
    emitter.fire(1);
    store.dispose();
    emitter.fire(2);
    assert.deepStrictEqual(got, [1, -1]);
    assert.equal(emitter.hasListeners, false);
  });
});
