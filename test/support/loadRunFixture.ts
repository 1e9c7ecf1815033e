// A finished load run as summary.json holds it, for report.html's tests: two servers, a 40-second
// ramp to 50 calls/s with failures, and hostile text wherever a switch or a profile chooses it (a
// server name, a hangup cause, a destination, a warning).
import type { LatencyStats } from '../../src/core';
import { LOAD_RUN_FILE_VERSION, type LoadRunFile } from '../../src/apphost/loadRunFile';
import type { LoadTick } from '../../src/shared/protocol/loadTest';

/** Markup that runs script if it is ever parsed as HTML, and ends a script element. */
export const HOSTILE = '<img src=x onerror=alert(1)></script><script>globalThis.__pwned=1</script>';
export const EVIL_SERVER = `fs2${HOSTILE}`;
export const EVIL_CAUSE = `CAUSE_${HOSTILE}`;
export const EVIL_DESTINATION = `9664${HOSTILE}`;

const stats = (p50: number, max: number, count: number): LatencyStats => ({ count, mean: p50 * 1.1, p50, p90: p50 * 1.6, p95: p50 * 2, p99: p50 * 3.2, max });

function tick(second: number): LoadTick {
  const ramp = Math.min(1, (second + 1) / 10);
  const failed = second >= 25 ? 3 : second % 7 === 0 ? 1 : 0;
  const offered = Math.round(50 * ramp);
  return {
    second,
    targetRate: 50 * ramp,
    offered,
    answered: offered - failed - (second === 15 ? 6 : 0),
    failed,
    notOffered: second === 15 ? 6 : 0,
    concurrent: Math.min(250, offered * 5),
    erlangs: Math.min(240, offered * 4.8),
    setupP50: 18 + (second % 5),
    setupP95: 35 + (second % 9) * 2,
    setupP99: 60 + (second % 11) * 4,
    failuresByCause: second >= 25 ? { USER_BUSY: 2, [EVIL_CAUSE]: 1 } : failed ? { NO_ANSWER: 1 } : {},
  };
}

export function hostileRunFile(): LoadRunFile {
  const ticks = Array.from({ length: 40 }, (_, i) => tick(i));
  return {
    version: LOAD_RUN_FILE_VERSION,
    runId: 'run-20261129',
    startedAt: '2026-11-29T10:00:00.000Z',
    endedAt: '2026-11-29T10:00:45.000Z',
    ran: true,
    settings: {
      servers: ['fs1', EVIL_SERVER],
      rate: 50,
      limit: 250,
      durationMs: 5000,
      maxOffered: 0,
      runTimeMs: 40_000,
      rampMs: 10_000,
      balance: 'least-loaded',
      targets: [
        { destination: '9196', endpoint: 'loopback/load', app: 'park', weight: 3 },
        { destination: EVIL_DESTINATION, endpoint: 'loopback/load', app: 'playback', appArg: 'tone_stream://%(100,0,941)', weight: 1, name: HOSTILE },
      ],
      thresholds: ['asr>=0.99', 'setup_p95<250ms', 'not_offered==0'],
    },
    summary: {
      elapsedS: 40,
      rate: 50,
      limit: 250,
      due: 1781,
      offered: 1775,
      notOffered: 6,
      notOfferedByReason: { limit: 6, backlog: 0, 'no-server': 0, late: 0 },
      answered: 1714,
      failed: 61,
      lost: 0,
      ended: 1775,
      failuresByCause: { USER_BUSY: 30, NO_ANSWER: 16, [EVIL_CAUSE]: 15 },
      refusedByLimits: 0,
      offeredCps: 44.375,
      achievedCps: 42.85,
      asr: 1714 / 1775,
      acdS: 5.02,
      peakConcurrent: 250,
      erlangs: 198.4,
      latency: { setup: stats(20, 140.5, 1714), pdd: stats(8, 60, 1775), answer: stats(11, 90, 1714), originate: stats(2.5, 30, 1775), duration: stats(5000, 5021, 1714) },
      sendLag: stats(0.6, 12, 1775),
      warnings: [`server ${EVIL_SERVER} answered slowly`],
    },
    thresholds: [
      { threshold: 'asr>=0.99', ok: false, actual: 1714 / 1775, expected: 0.99, kind: 'ratio' },
      { threshold: 'setup_p95<250ms', ok: true, actual: 40, expected: 250, kind: 'time' },
      { threshold: 'not_offered==0', ok: false, actual: 6, expected: 0, kind: 'number' },
    ],
    servers: {
      servers: [
        { server: 'fs1', status: 'ready', calls: 0, sessions: 0, callsCreated: 1200, sessionsCreated: 2400, failedSessions: 40, hangupCauses: { NORMAL_CLEARING: 2320, USER_BUSY: 40 } },
        { server: EVIL_SERVER, status: 'ready', calls: 0, sessions: 0, callsCreated: 575, sessionsCreated: 1150, failedSessions: 21, hangupCauses: { NORMAL_CLEARING: 1108, [EVIL_CAUSE]: 30 } },
      ],
      total: { calls: 0, sessions: 0, callsCreated: 1775, sessionsCreated: 3550, failedSessions: 61, hangupCauses: { NORMAL_CLEARING: 3428, USER_BUSY: 40, [EVIL_CAUSE]: 30 } },
    },
    perSecond: [],
    ticks,
    totals: {
      elapsedS: 40,
      currentRate: 50,
      rate: 50,
      limit: 250,
      durationMs: 5000,
      offered: 1775,
      notOffered: 6,
      notOfferedByReason: { limit: 6, backlog: 0, 'no-server': 0, late: 0 },
      answered: 1714,
      failed: 61,
      inProgress: 0,
      asr: 1714 / 1775,
      setupP95: 40,
      hangupCauses: { NORMAL_CLEARING: 1714, USER_BUSY: 30, NO_ANSWER: 16, [EVIL_CAUSE]: 15 },
      firstFailures: [{ uuid: '0b7e3f3a-2d0c-4c6e-9d0a-3e1f00000001', server: EVIL_SERVER, cause: EVIL_CAUSE, sentAt: Date.UTC(2026, 10, 29, 10, 0, 25) }],
      thresholds: [],
      servers: [
        { server: 'fs1', offered: 1200, answered: 1160, failed: 40, asr: 1160 / 1200, setupP95: 38.5, inProgress: 0 },
        { server: EVIL_SERVER, offered: 575, answered: 554, failed: 21, asr: 554 / 575, setupP95: 44.25, inProgress: 0 },
      ],
    },
  };
}
