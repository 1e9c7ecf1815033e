/** Why a slot of the schedule did not become a call. */
export type NotOfferedReason =
  /** `limit` calls were up already. */
  | 'limit'
  /** Every connected server had its maximum of originates waiting for their result. */
  | 'backlog'
  /** No server was connected. */
  | 'no-server'
  /** The load generator itself fell behind the schedule by more than maxLagMs. */
  | 'late';

export const NOT_OFFERED_REASONS: readonly NotOfferedReason[] = ['limit', 'backlog', 'no-server', 'late'];

/** How a call ended up. */
export type CallOutcome =
  /** Answered (whatever happened after). */
  | 'answered'
  /** Not answered: the originate failed (`-ERR <cause>`) or a leg hung up first. */
  | 'failed'
  /** Its server's connection dropped before the call ended: we cannot know. */
  | 'lost';

/** Who ended the call. */
export type HangupBy =
  /** This run, when the call's duration was up (uuid_kill). */
  | 'duration'
  /** This run's hupall (stop with hang-up, Ctrl-C). */
  | 'hupall'
  /** The far end or the dialplan, before the duration was up. */
  | 'far-end'
  /** FreeSWITCH refused or failed the call before it was answered. */
  | 'switch'
  /** The connection to the server dropped. */
  | 'connection';

/**
 * One call of a load run, as it is written to the CSV and JSONL files. Times are ms since the run
 * started, on the load generator's monotonic clock, when each message was received (so they are
 * comparable whatever the switch's clock says); absent when it did not happen.
 */
export interface CallRecord {
  /** The slot of the schedule (0-based). */
  index: number;
  /** The originated session's uuid (also the call's `fsdev_call_id`). */
  uuid: string;
  server: string;
  target: string;
  /** When the schedule wanted the originate sent. */
  dueMs: number;
  /** When it was written (bgapi). */
  sentMs: number;
  /** Epoch ms of sentMs, for people. */
  sentAtEpochMs: number;
  /** The BACKGROUND_JOB arrived: `+OK <uuid>` (ok) or `-ERR <cause>`. */
  jobMs?: number;
  jobOk?: boolean;
  /** CHANNEL_CREATE of the originated leg (a) and of the far leg (b, loopback). */
  legACreatedMs?: number;
  legBCreatedMs?: number;
  /** First CHANNEL_PROGRESS (ringing) and CHANNEL_PROGRESS_MEDIA (early media) on any leg. */
  ringingMs?: number;
  earlyMediaMs?: number;
  /** CHANNEL_ANSWER of the originated leg, and of the far leg. */
  answeredMs?: number;
  legBAnsweredMs?: number;
  bridgedMs?: number;
  /** When this run asked for the hangup (duration up, hupall). */
  hangupSentMs?: number;
  /** CHANNEL_HANGUP_COMPLETE of the originated leg (or the failure, for a call without one). */
  hangupMs?: number;
  /** When the call left the run (every leg done). */
  endedMs: number;
  hangupCause: string;
  hangupBy: HangupBy;
  outcome: CallOutcome;
  /** Refused by the switch's sessions-per-second or max-sessions (DESTINATION_OUT_OF_ORDER without a channel). */
  refusedByLimits: boolean;
  /** sent → answered. */
  setupMs?: number;
  /** sent → first ringing or early media (or the answer, when neither came). */
  pddMs?: number;
  /** first ringing, early media or leg creation → answered. */
  answerLatencyMs?: number;
  /** sent → BACKGROUND_JOB. */
  originateLatencyMs?: number;
  /** answered → hung up. */
  durationMs?: number;
}

/** Column order of the CSV file. */
export const CALL_RECORD_COLUMNS: readonly (keyof CallRecord)[] = [
  'index',
  'uuid',
  'server',
  'target',
  'outcome',
  'hangupCause',
  'hangupBy',
  'refusedByLimits',
  'dueMs',
  'sentMs',
  'sentAtEpochMs',
  'jobMs',
  'jobOk',
  'legACreatedMs',
  'legBCreatedMs',
  'ringingMs',
  'earlyMediaMs',
  'answeredMs',
  'legBAnsweredMs',
  'bridgedMs',
  'hangupSentMs',
  'hangupMs',
  'endedMs',
  'setupMs',
  'pddMs',
  'answerLatencyMs',
  'originateLatencyMs',
  'durationMs',
];

/** Fills the derived latencies of a record from its milestones. */
export function deriveLatencies(r: CallRecord): CallRecord {
  const round = (ms: number): number => Math.round(ms * 1000) / 1000;
  if (r.answeredMs !== undefined) {
    r.setupMs = round(r.answeredMs - r.sentMs);
    const progress = minDefined(r.ringingMs, r.earlyMediaMs);
    r.pddMs = round((progress ?? r.answeredMs) - r.sentMs);
    const from = progress ?? r.legACreatedMs ?? r.sentMs;
    r.answerLatencyMs = round(r.answeredMs - from);
    if (r.hangupMs !== undefined) r.durationMs = round(r.hangupMs - r.answeredMs);
  } else {
    const progress = minDefined(r.ringingMs, r.earlyMediaMs);
    if (progress !== undefined) r.pddMs = round(progress - r.sentMs);
  }
  if (r.jobMs !== undefined) r.originateLatencyMs = round(r.jobMs - r.sentMs);
  return r;
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/** One CSV line of a record (RFC 4180 quoting where needed). */
export function recordToCsv(r: CallRecord): string {
  return CALL_RECORD_COLUMNS.map((k) => csvField(r[k])).join(',');
}

function csvField(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
