/**
 * Load testing, as switchio's Originator and CDR measurer: a pool of servers, a rate-accurate
 * scheduler, per-call records, aggregates with HdrHistogram percentiles, and thresholds.
 */
export { systemClock, type LoadClock, type TimerHandle } from './clock';
export { ClockOffset } from './clockOffset';
export { dueAt, slotsAt, rateAt, type RateSegment } from './schedule';
export { Pacer, type PacerOptions, type Slot } from './pacer';
export { TargetMix, targetLabel, type CallTarget } from './mix';
export { LatencyHistogram, type LatencyStats } from './histogram';
export {
  CALL_RECORD_COLUMNS,
  NOT_OFFERED_REASONS,
  deriveLatencies,
  recordToCsv,
  type CallOutcome,
  type CallRecord,
  type HangupBy,
  type NotOfferedReason,
} from './callRecord';
export { LoadMetrics, type LoadSummary, type RunLatencies, type SecondSample } from './metrics';
export { FileRecordSink, type CallRecordSink } from './recordSink';
export { ThresholdError, THRESHOLD_METRICS, evaluateThresholds, parseThreshold, type Threshold, type ThresholdKind, type ThresholdResult } from './thresholds';
export { judgeServer, neededLimits, parseStatus, type PreflightResult, type ServerNeeds, type ServerPreflight, type SwitchStatus } from './preflight';
export { LOAD_EVENTS, ServerPool, evalAll, type MultiEvalResult, type PoolCounts, type PoolMember, type PoolServerOptions, type ServerCounts } from './pool';
export {
  LOAD_RUN_VAR,
  Originator,
  type Balance,
  type NotOfferedEvent,
  type OriginatorOptions,
  type OriginatorProgress,
  type OriginatorState,
} from './originator';
