import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ClockOffset,
  LatencyHistogram,
  LoadMetrics,
  ThresholdError,
  deriveLatencies,
  evaluateThresholds,
  judgeServer,
  parseStatus,
  parseThreshold,
  recordToCsv,
  type LoadSummary,
} from '../../src/core';
import { callRecord } from '../support/callRecord';
import { loadCapture } from '../support/captures';

const record = callRecord;

describe('Call records: derived latencies', () => {
  it('setup, post-dial delay, answer latency, originate latency and duration from the milestones', () => {
    const r = deriveLatencies(record({ sentMs: 100, legACreatedMs: 101.5, ringingMs: 140, earlyMediaMs: 120, answeredMs: 400, jobMs: 401, hangupMs: 2400.25 }));
    assert.equal(r.setupMs, 300);
    assert.equal(r.pddMs, 20, 'to the first of ringing and early media');
    assert.equal(r.answerLatencyMs, 280);
    assert.equal(r.originateLatencyMs, 301);
    assert.equal(r.durationMs, 2000.25);
  });

  it('without progress, the post-dial delay runs to the answer and the answer latency from the leg’s creation', () => {
    const r = deriveLatencies(record({ sentMs: 0, legACreatedMs: 2, answeredMs: 10, hangupMs: 60 }));
    assert.equal(r.pddMs, 10);
    assert.equal(r.answerLatencyMs, 8);
  });

  it('an unanswered call has no setup or duration, but its post-dial delay if it rang', () => {
    const r = deriveLatencies(record({ sentMs: 0, ringingMs: 30, jobMs: 5000, outcome: 'failed', hangupCause: 'NO_ANSWER' }));
    assert.equal(r.setupMs, undefined);
    assert.equal(r.durationMs, undefined);
    assert.equal(r.pddMs, 30);
    assert.equal(r.originateLatencyMs, 5000);
  });

  it('writes CSV with empty fields for what did not happen and quotes where needed', () => {
    const line = recordToCsv(record({ target: 'a,b', answeredMs: 3 }));
    assert.match(line, /^0,u,fs1,"a,b",answered,NORMAL_CLEARING,duration,false,0,0,0,,,,,,,3,/);
  });
});

describe('ClockOffset: event times on the generator’s clock', () => {
  it('maps a switch time through the quickest delivery seen, so queueing stays out', () => {
    const c = new ClockOffset(10_000);
    // The switch's clock is 5000 ms ahead; deliveries take 0.2 ms, or 30 ms when the generator was busy.
    c.observe(5100, 100.2);
    c.observe(5200, 230);
    c.observe(5300, 300.2);
    assert.ok(Math.abs(c.toLocal(5200) - 200.2) < 1e-9);
  });

  it('follows a clock that steps: the minimum is kept over the current and previous window only', () => {
    const c = new ClockOffset(1000);
    c.observe(5000, 0.5);
    c.observe(7000, 1000.5); // the switch's clock stepped 1 s ahead
    c.observe(8000, 2000.5);
    c.observe(9000, 3000.5);
    assert.ok(Math.abs(c.toLocal(9000) - 3000.5) < 1e-9);
  });
});

describe('LoadMetrics', () => {
  it('per second: offered, not offered, answered, failures by cause, concurrency and erlangs', () => {
    const m = new LoadMetrics(0);
    for (let i = 0; i < 10; i++) m.slot(i * 100, undefined, 0);
    m.slot(950, 'limit', 0);
    // Two calls answered at 0 and 500, up to the end of the second: 1 + 0.5 erlangs.
    m.answeredCall(0);
    m.answeredCall(500);
    m.ended(700, deriveLatencies(record({ sentMs: 600, outcome: 'failed', hangupCause: 'USER_BUSY' })));
    const s = m.closeSecond(1000, 10);
    assert.deepEqual(
      { ...s, failuresByCause: { ...s.failuresByCause } },
      { second: 0, targetRate: 10, due: 11, offered: 10, notOffered: 1, answered: 2, failed: 1, failuresByCause: { USER_BUSY: 1 }, concurrent: 9, peakConcurrent: 10, erlangs: 1.5 },
    );
    const sum = m.summary(1000, 1000, 10, 20);
    assert.equal(sum.notOfferedByReason.limit, 1);
    assert.equal(sum.asr, 0.6667);
    m.dispose();
  });

  it('percentiles come from an HdrHistogram: exact to 0.1 %, fixed memory', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 10_000; i++) h.record(i / 10); // 0.1 … 1000 ms
    const s = h.stats();
    assert.equal(s.count, 10_000);
    for (const [p, v] of [
      [s.p50, 500],
      [s.p90, 900],
      [s.p95, 950],
      [s.p99, 990],
      [s.max, 1000],
    ] as const) {
      assert.ok(Math.abs(p - v) <= v * 0.001 + 0.001, `${p} ≈ ${v}`);
    }
    h.destroy();
  });
});

function summary(over: Partial<LoadSummary> = {}): LoadSummary {
  const lat = { count: 100, mean: 100, p50: 90, p90: 180, p95: 200, p99: 300, max: 400 };
  return {
    elapsedS: 60,
    rate: 100,
    limit: 500,
    due: 6000,
    offered: 6000,
    notOffered: 0,
    notOfferedByReason: { limit: 0, backlog: 0, 'no-server': 0, late: 0 },
    answered: 5950,
    failed: 50,
    lost: 0,
    ended: 6000,
    failuresByCause: { USER_BUSY: 50 },
    refusedByLimits: 0,
    offeredCps: 100,
    achievedCps: 99.2,
    asr: 5950 / 6000,
    acdS: 30,
    peakConcurrent: 480,
    erlangs: 470,
    latency: { setup: lat, pdd: lat, answer: lat, originate: lat, duration: lat },
    sendLag: lat,
    warnings: [],
    ...over,
  };
}

describe('Thresholds', () => {
  const verdict = (src: string, s = summary()): boolean => evaluateThresholds([parseThreshold(src)], s)[0]!.ok;

  it('evaluates k6-style expressions with units and arithmetic', () => {
    assert.equal(verdict('asr>=0.99'), true);
    assert.equal(verdict('asr >= 99.5%'), false);
    assert.equal(verdict('setup_p95<250ms'), true);
    assert.equal(verdict('setup_p95<0.2s'), false, '200 ms is not below 200 ms');
    assert.equal(verdict('setup_p95<=0.2s'), true);
    assert.equal(verdict('achieved_cps>=0.98*rate'), true);
    assert.equal(verdict('achieved_cps>=0.995*rate'), false);
    assert.equal(verdict('not_offered==0'), true);
    assert.equal(verdict('failed < offered * 1%'), true);
    assert.equal(verdict('acd>=30s'), true);
    assert.equal(verdict('(offered - answered) / offered <= 1%'), true);
    assert.equal(verdict('pdd_p99 - pdd_p50 < 250ms'), true);
  });

  it('reports both sides and what they measure', () => {
    const [r] = evaluateThresholds([parseThreshold('achieved_cps>=0.98*rate')], summary());
    assert.deepEqual(r, { threshold: 'achieved_cps>=0.98*rate', ok: true, actual: 99.2, expected: 98, kind: 'number' });
    const kinds = evaluateThresholds(['setup_p95<250ms', 'asr>=99%', '250ms>setup_p95', '0.99<=asr'].map((t) => parseThreshold(t)), summary()).map((x) => x.kind);
    assert.deepEqual(kinds, ['time', 'ratio', 'time', 'ratio']);
  });

  const bad: [string, RegExp][] = [
    ['', /is empty/],
    ['asr', /a comparison .* is missing/],
    ['asr>=', /unexpected end/],
    ['asr=>0.99', /unexpected ">"/],
    ['setup_p59<250ms', /unknown metric setup_p59 \(did you mean setup_p50\?\)/],
    ['setup_p95<250mss', /unexpected "s" after the number 250ms/],
    ['asr>=0.99 extra', /unexpected "extra" after the threshold/],
    ['asr<250ms', /compares a ratio with a time/],
    ['setup_p95 < asr + 3ms', /adds or subtracts a ratio and a time/],
    ['(asr>=1', /expected "\)"/],
    ['asr>=1\nrm', /contains a line break/],
    ['asr $ 1', /unexpected "\$" \(at column 5\)/],
  ];
  for (const [src, message] of bad) {
    it(`refuses ${JSON.stringify(src)} clearly`, () => {
      assert.throws(() => parseThreshold(src), (err: unknown) => err instanceof ThresholdError && message.test(err.message));
    });
  }
});

describe('Preflight', () => {
  const STATUS_17 = (() => {
    const text = loadCapture('17-rate-limits').server.toString('utf8');
    const at = text.indexOf('UP 0 years');
    return text.slice(at, text.indexOf('Current Stack', at));
  })();

  it('reads sessions per second and max sessions from status as capture 17 shows it', () => {
    assert.deepEqual(parseStatus(STATUS_17), { sessions: 0, sessionsPerSecond: 5, maxSessions: 5000 });
    assert.equal(parseStatus('+OK\n'), undefined);
  });

  it('says what the run needs and the exact commands, for sps and max-sessions', () => {
    const j = judgeServer('fs1', STATUS_17, { rate: 100, concurrent: 3000, sessionsPerCall: 2 });
    assert.deepEqual(j.commands, ['fsctl sps 203', 'fsctl max_sessions 6000']);
    assert.match(j.problems[0]!, /fs1: sessions-per-second is 5; 100 calls\/s at 2 sessions each needs 203 \(FreeSWITCH would refuse the rest with DESTINATION_OUT_OF_ORDER\)/);
    assert.match(j.problems[1]!, /fs1: max-sessions is 5000; 3000 calls at 2 sessions each need 6000/);
    const ok = judgeServer('fs1', STATUS_17, { rate: 1, concurrent: 10, sessionsPerCall: 2 });
    assert.deepEqual(ok.problems, []);
    assert.deepEqual(ok.commands, []);
  });
});
