import type { CallRecord } from '../../src/core';

/** A load-test call record that was answered and ended by its hold time, with `over` on top. */
export function callRecord(over: Partial<CallRecord>): CallRecord {
  return {
    index: 0,
    uuid: 'u',
    server: 'fs1',
    target: 'loopback/9664',
    dueMs: 0,
    sentMs: 0,
    sentAtEpochMs: 0,
    endedMs: 0,
    hangupCause: 'NORMAL_CLEARING',
    hangupBy: 'duration',
    outcome: 'answered',
    refusedByLimits: false,
    ...over,
  };
}
