import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LOAD_RUN_VAR, Originator, UnsafeInputError, type CallRecord, type OriginatorOptions, type OriginatorState } from '../../src/core';
import { fakePool, type FakeMember } from '../support/fakeLoadPool';
import { ManualClock } from '../support/manualClock';

// The Originator against fake servers on a manual clock: every send time, limit and record is exact.

function setup(options: Partial<OriginatorOptions> = {}, servers = ['fs1']): {
  clock: ManualClock;
  members: FakeMember[];
  o: Originator;
  ended: CallRecord[];
  states: OriginatorState[];
  maxUp: () => number;
} {
  const clock = new ManualClock();
  const { pool, members } = fakePool(clock, servers);
  const o = new Originator(pool, { rate: 100, limit: 1000, durationMs: 50, targets: { destination: '9664' }, clock, ...options });
  const ended: CallRecord[] = [];
  const states: OriginatorState[] = [];
  let max = 0;
  o.onDidEndCall((r) => ended.push(r));
  o.onDidChangeState(({ to }) => states.push(to));
  // In progress = sent and not ended (the call being sent included), checked at every send.
  for (const m of members) {
    const originate = m.member.client.originate.bind(m.member.client);
    (m.member.client as { originate: typeof originate }).originate = (d, opts) => {
      max = Math.max(max, o.inProgress);
      return originate(d, opts);
    };
  }
  return { clock, members, o, ended, states, maxUp: () => max };
}

describe('Originator: offering', () => {
  it('sends call n at n/rate, tags it with the run, holds it for the duration, then hangs it up', async () => {
    const { clock, members, o, ended, states } = setup({ maxOffered: 50, runId: 'run-1' });
    o.start();
    await clock.run(1000);
    await o.whenStopped();
    const sent = members[0]!.originates;
    assert.equal(sent.length, 50);
    sent.forEach((s, n) => assert.ok(Math.abs(s.at - n * 10) < 1e-9, `call ${n} at ${s.at}`));
    assert.ok(sent.every((s) => s.options.variables?.[LOAD_RUN_VAR] === 'run-1'));
    assert.match(String(sent[0]!.options.variables?.['execute_on_answer']), /^sched_hangup \+61 ALLOTTED_TIMEOUT$/);
    assert.equal(ended.length, 50);
    const r = ended[0]!;
    assert.equal(r.outcome, 'answered');
    assert.equal(r.hangupBy, 'duration');
    assert.equal(r.hangupCause, 'NORMAL_CLEARING');
    assert.equal(r.setupMs, 10);
    assert.equal(r.originateLatencyMs, 10);
    assert.equal(r.pddMs, 10, 'no ringing: post-dial delay runs to the answer');
    assert.equal(r.answerLatencyMs, 9, 'from the leg’s creation (1 ms) to the answer (10 ms)');
    assert.equal(r.durationMs, 52, '50 ms hold, then the hangup takes 2 ms');
    assert.equal(r.legACreatedMs, 1);
    assert.equal(r.legBCreatedMs, 1);
    assert.equal(members[0]!.apis.filter((a) => a.startsWith('uuid_kill ')).length, 50);
    assert.deepEqual(states, ['originating', 'stopping', 'stopped']);
    const s = o.summary();
    assert.equal(s.offered, 50);
    assert.equal(s.offeredCps, 100);
    assert.equal(s.achievedCps, 100);
    assert.equal(s.asr, 1);
    // HdrHistogram reports a value to within 0.1 %.
    assert.ok(Math.abs(s.latency.setup.p50 - 10) <= 0.01);
    assert.ok(Math.abs(s.latency.setup.p99 - 10) <= 0.01);
    assert.equal(s.acdS, 0.052);
    assert.deepEqual(s.warnings, []);
    o.dispose();
  });

  it('never exceeds the limit: slots due at the limit are counted as not offered (limit)', async () => {
    const { clock, o, maxUp } = setup({ rate: 100, limit: 5, durationMs: 200, maxOffered: 40 });
    const notOffered: number[] = [];
    o.onDidNotOffer((e) => notOffered.push(e.index));
    o.start();
    await clock.run(20_000);
    await o.whenStopped();
    const s = o.summary();
    assert.ok(maxUp() <= 5, `at most 5 in progress, saw ${maxUp()}`);
    assert.equal(s.peakConcurrent, 5);
    assert.equal(s.offered, 40);
    assert.ok(s.notOfferedByReason.limit > 0);
    assert.equal(s.notOffered, s.notOfferedByReason.limit);
    assert.equal(s.due, s.offered + s.notOffered);
    assert.equal(notOffered.length, s.notOffered);
    assert.match(s.warnings[0]!, /calls due were NOT OFFERED \(\d+ limit\)/);
    o.dispose();
  });

  it('changes rate, limit and duration live', async () => {
    const { clock, members, o, ended } = setup({ rate: 10, limit: 100, durationMs: 100 });
    o.start();
    await clock.run(1000); // 0, 100, …, 1000: 11 calls
    o.setRate(50);
    o.setDuration(300);
    await clock.run(1000);
    const sent = members[0]!.originates;
    assert.equal(sent.length, 11 + 50);
    assert.ok(Math.abs(sent[12]!.at - sent[11]!.at - 20) < 1e-9, 'gap of the new rate');
    o.setLimit(3);
    await clock.run(1000);
    assert.ok(o.inProgress <= 3, 'the lowered limit holds once the calls above it ended');
    const stopped = o.stop();
    await clock.run(2000);
    await stopped;
    const held = ended.filter((r) => r.index > 11 && r.durationMs !== undefined);
    assert.ok(held.every((r) => r.durationMs === 302), 'calls answered after the change held 300 ms');
    assert.equal(ended.find((r) => r.index === 0)!.durationMs, 102);
    o.dispose();
  });

  it('pause offers nothing and counts nothing as not offered; resume goes on', async () => {
    const { clock, members, o, states } = setup({ rate: 100 });
    o.start();
    await clock.run(95); // 0..90: 10 calls
    o.pause();
    await clock.run(5000);
    assert.equal(members[0]!.originates.length, 10);
    assert.equal(o.summary().notOffered, 0);
    o.resume();
    await clock.run(100);
    assert.equal(members[0]!.originates.length, 21);
    void o.stop();
    await clock.run(1000);
    await o.whenStopped();
    assert.deepEqual(states, ['originating', 'paused', 'originating', 'stopping', 'stopped']);
    o.dispose();
  });

  it('stop offers no more; calls up end by their duration', async () => {
    const { clock, members, o, ended } = setup({ rate: 100, durationMs: 500 });
    o.start();
    await clock.run(100);
    const stopped = o.stop();
    assert.equal(o.state, 'stopping');
    await clock.run(400);
    assert.equal(members[0]!.originates.length, 11);
    assert.equal(ended.length, 0);
    await clock.run(300);
    await stopped;
    assert.equal(ended.length, 11);
    assert.ok(ended.every((r) => r.hangupBy === 'duration'));
    o.dispose();
  });

  it('hupall ends this run’s calls only, and a call still ringing as soon as it answers', async () => {
    const { clock, members, o, ended } = setup({ rate: 100, durationMs: 60_000, runId: 'mine' });
    const fake = members[0]!;
    fake.plan = () => ({ answerMs: 5 });
    fake.up.set('someone-else', { vars: { [LOAD_RUN_VAR]: 'theirs' } });
    o.start();
    // Calls 0..10; call 10 went out at 100 ms and has no channel yet, so the switch's hupall misses it.
    await clock.run(100);
    void o.stop();
    const replies = await o.hupall();
    assert.deepEqual(replies, [{ server: 'fs1', reply: '+OK hangup all channels with cause NORMAL_CLEARING' }]);
    assert.ok(fake.apis.includes(`hupall NORMAL_CLEARING ${LOAD_RUN_VAR} mine`));
    await clock.run(10);
    // The ten with a channel went with the switch's hupall; call 10 was killed on its answer (105 ms).
    assert.equal(ended.length, 11);
    assert.ok(fake.up.has('someone-else'));
    assert.ok(ended.every((r) => r.hangupBy === 'hupall'));
    const late = ended.find((r) => r.index === 10)!;
    assert.equal(late.outcome, 'answered');
    assert.ok(fake.apis.includes(`uuid_kill ${late.uuid} NORMAL_CLEARING`));
    await o.whenStopped();
    assert.equal(o.state, 'stopped');
    o.dispose();
  });
});

describe('Originator: failures and servers', () => {
  it('reports refusals by the server’s limits by cause, with a warning that names them', async () => {
    const { clock, members, o } = setup({ maxOffered: 10 });
    members[0]!.plan = (n) => (n % 2 === 0 ? { failCause: 'DESTINATION_OUT_OF_ORDER', noChannel: true } : n % 3 === 0 ? { failCause: 'USER_BUSY' } : { answerMs: 5 });
    o.start();
    await clock.run(2000);
    await o.whenStopped();
    const s = o.summary();
    assert.equal(s.failed, 5 + 2);
    assert.deepEqual(s.failuresByCause, { DESTINATION_OUT_OF_ORDER: 5, USER_BUSY: 2 });
    assert.equal(s.refusedByLimits, 5);
    assert.equal(s.asr, 0.3);
    assert.match(s.warnings.join('\n'), /5 call\(s\) failed DESTINATION_OUT_OF_ORDER without a channel: the server's sessions-per-second or max-sessions refused them, not the network/);
    o.dispose();
  });

  it('a server that drops: its calls fail CONNECTION_LOST, the others go on, and it is used again once back', async () => {
    const { clock, members, o, ended } = setup({ rate: 100, durationMs: 1000 }, ['fs1', 'fs2']);
    const warnings: string[] = [];
    o.onDidWarn((w) => warnings.push(w));
    o.start();
    await clock.run(195); // 20 calls, 10 on each
    members[1]!.setStatus('reconnecting');
    const lost = ended.filter((r) => r.server === 'fs2');
    assert.equal(lost.length, 10);
    assert.ok(lost.every((r) => r.hangupCause === 'CONNECTION_LOST' && r.hangupBy === 'connection'));
    // Answered before the drop: lost, their end unknown; call 19 (sent at 190 ms) was still ringing: failed.
    assert.equal(lost.filter((r) => r.outcome === 'lost').length, 9);
    assert.equal(lost.filter((r) => r.outcome === 'failed').length, 1);
    assert.match(warnings[0]!, /fs2: connection lost; 10 call\(s\) in progress counted as CONNECTION_LOST, the other servers go on/);
    await clock.run(500);
    assert.equal(members[0]!.originates.length, 10 + 50, 'fs1 takes every call meanwhile');
    assert.equal(o.summary().notOffered, 0);
    members[1]!.setStatus('ready');
    await clock.run(100);
    assert.equal(members[1]!.originates.length, 10 + 5);
    void o.stop();
    await clock.run(5000);
    await o.whenStopped();
    // fs2's nine lost calls were still hung up when their hold was over, and its five new ones.
    assert.equal(members[1]!.apis.filter((a) => a.startsWith('uuid_kill')).length, 9 + 5);
    o.dispose();
  });

  it('skips a backed-up server and reports backlog only when every server is backed up', async () => {
    const { clock, members, o } = setup({ rate: 100, maxInFlightPerServer: 2, durationMs: 10 }, ['slow', 'fast']);
    members[0]!.plan = () => ({}); // never answers
    o.start();
    await clock.run(1000);
    const s = o.summary();
    assert.equal(members[0]!.originates.length, 2);
    assert.equal(members[1]!.originates.length, 99);
    assert.equal(s.notOffered, 0);
    members[1]!.plan = () => ({});
    await clock.run(100);
    assert.ok(o.summary().notOfferedByReason.backlog >= 8);
    o.dispose();
  });

  it('a call whose hangup never shows is ended 30 s after its uuid_kill, with a warning, so it does not hold the limit', async () => {
    const { clock, members, o, ended } = setup({ rate: 10, maxOffered: 3, durationMs: 100 });
    const warnings: string[] = [];
    o.onDidWarn((w) => warnings.push(w));
    members[0]!.loseHangupEvents = true;
    o.start();
    await clock.run(1000);
    assert.equal(ended.length, 0);
    await clock.run(30_000);
    await o.whenStopped();
    assert.equal(ended.length, 3);
    assert.ok(ended.every((r) => r.outcome === 'answered' && r.hangupBy === 'duration'));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /no hangup seen 30 s after uuid_kill/);
    o.dispose();
  });

  it('least-loaded sends to the server with the fewest calls in progress', async () => {
    const { clock, members, o } = setup({ rate: 100, durationMs: 10_000, balance: 'least-loaded' }, ['a', 'b']);
    members[0]!.up.set('x', { vars: {} });
    o.start();
    await clock.run(95);
    assert.equal(members[0]!.originates.length + members[1]!.originates.length, 10);
    assert.ok(Math.abs(members[0]!.originates.length - members[1]!.originates.length) <= 1);
    o.dispose();
  });

  it('auto duration: the hold that makes the offered load the limit, less the setup time measured', async () => {
    const { clock, o, ended } = setup({ rate: 10, limit: 20, durationMs: 'auto', maxOffered: 30 });
    assert.equal(o.durationMs, 1950, 'limit / rate, less a margin: half a gap (more than 2 % here)');
    o.start();
    await clock.run(10_000);
    await o.whenStopped();
    // Setup 10 ms and teardown 2 ms measured: 2000 - 12 - 50.
    assert.equal(o.durationMs, 1938);
    assert.ok(ended.slice(-5).every((r) => r.durationMs === 1940));
    assert.equal(o.summary().peakConcurrent, 20);
    assert.equal(o.summary().notOffered, 0);
    o.dispose();
  });
});

describe('Originator: bad input is refused before anything is sent', () => {
  const clock = new ManualClock();
  const { pool, members } = fakePool(clock, ['fs1']);
  const base: OriginatorOptions = { rate: 10, limit: 10, durationMs: 100, targets: { destination: '9664' }, clock };
  const cases: [string, Partial<OriginatorOptions>, RegExp | (new (...a: never[]) => Error)][] = [
    ['a rate of 0', { rate: 0 }, /rate must be a number of calls per second above 0, not 0/],
    ['a negative rate', { rate: -1 }, /rate must be .* not -1/],
    ['a limit below 1', { limit: 0 }, /limit must be a whole number of calls, 1 or more, not 0/],
    ['a fractional limit', { limit: 2.5 }, /limit must be a whole number/],
    ['a negative duration', { durationMs: -5 }, /duration must be 0 or more ms, or 'auto'/],
    ['a destination with a line break', { targets: { destination: '9664\napi hupall' } }, UnsafeInputError],
    ['an application name that is not one', { targets: { destination: '9664', app: 'park; hupall' } }, UnsafeInputError],
    ['a weight of 0', { targets: [{ destination: '1', weight: 0 }] }, /weight must be above 0/],
    ['no destination', { targets: [] }, /at least one destination/],
    ['a bad hangup cause', { hangupCause: 'normal clearing' }, /not a FreeSWITCH cause name/],
    ['a bad balance', { balance: 'random' as never }, /balance must be round-robin or least-loaded/],
  ];
  for (const [what, bad, error] of cases) {
    it(`refuses ${what}`, () => {
      assert.throws(() => new Originator(pool, { ...base, ...bad }), error as RegExp);
      assert.equal(members[0]!.originates.length, 0);
    });
  }

  it('the preflight reads sps and max-sessions and offers the exact commands; it changes nothing', async () => {
    const o = new Originator(pool, { ...base, rate: 100, limit: 600 });
    const result = await o.preflight();
    assert.equal(result.ok, false);
    assert.deepEqual(result.servers[0]!.commands, ['fsctl sps 203', 'fsctl max_sessions 1200']);
    assert.match(result.servers[0]!.problems[0]!, /sessions-per-second is 30; 100 calls\/s at 2 sessions each needs 203/);
    assert.ok(!members[0]!.apis.some((a) => a.startsWith('fsctl')));
    const applied = await o.applyLimits(result);
    assert.equal(applied.length, 2);
    assert.ok(members[0]!.apis.includes('fsctl sps 203'));
    o.dispose();
  });

  it('the preflight names an application the server does not have', async () => {
    const o = new Originator(pool, { ...base, targets: { destination: '9664', app: 'playbak' } });
    const result = await o.preflight();
    assert.match(result.servers[0]!.problems.join('\n'), /playbak is not an application there/);
    o.dispose();
  });
});
