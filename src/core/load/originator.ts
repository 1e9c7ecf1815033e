import { randomUUID } from 'node:crypto';
import { buildOriginate, type OriginateOptions } from '../dialString';
import { UnsafeInputError } from '../esl/errors';
import type { EslEvent } from '../esl/event';
import type { StatusChange } from '../esl/connection';
import type { Job } from '../models/job';
import { DisposableStore, Emitter, type Disposable, type Event } from '../util/lifecycle';
import { deriveLatencies, type CallRecord, type HangupBy, type NotOfferedReason } from './callRecord';
import { systemClock, type LoadClock, type TimerHandle } from './clock';
import { ClockOffset } from './clockOffset';
import { LoadMetrics, type LoadSummary, type SecondSample } from './metrics';
import { TargetMix, targetLabel, type CallTarget } from './mix';
import { Pacer } from './pacer';
import type { PoolMember, ServerPool } from './pool';
import { judgeServer, type PreflightResult } from './preflight';
import type { CallRecordSink } from './recordSink';

/** The channel variable that tags every call of a run (both legs of a loopback call). */
export const LOAD_RUN_VAR = 'fsdev_load_run';

/** The state of a run. */
export type OriginatorState = 'idle' | 'originating' | 'paused' | 'stopping' | 'stopped';

/** How calls are spread over the pool's servers. */
export type Balance = 'round-robin' | 'least-loaded';

export interface OriginatorOptions {
  /** Calls per second offered across the pool; > 0. Changes live (`setRate`). */
  rate: number;
  /** Most calls in progress at once (sent, not ended); >= 1. Changes live. */
  limit: number;
  /** Stop offering after this many originates. Default: no end. */
  maxOffered?: number;
  /**
   * Stop offering this long after the start (ms): slots due from then on are not part of the run.
   * Time paused counts. Default: no end.
   */
  runTimeMs?: number;
  /**
   * How long an answered call is held before this run hangs it up, in ms, or `'auto'`: the hold
   * that makes the offered load `limit` erlangs, as switchio's auto_duration (limit / rate), less
   * the setup and teardown times measured so far and a margin for their jitter (2 %, at least half
   * a gap between calls), so the limit is reached but does not refuse calls. Changes live (for calls answered afterwards).
   */
  durationMs: number | 'auto';
  /** Time to reach `rate` from 0 at the start, ms. Default 0. */
  rampMs?: number;
  /** What each call dials and runs: one target or a weighted mix. */
  targets: CallTarget | readonly CallTarget[];
  /** Default `round-robin`. */
  balance?: Balance;
  /**
   * Originates a server may have waiting for their result; a server at its cap is skipped, so a
   * slow one does not hold up the others. Default: two seconds of the server's share of the rate, at least 16.
   */
  maxInFlightPerServer?: number;
  /** See PacerOptions.maxLagMs. Default 1000 ms. */
  maxLagMs?: number;
  /** `originate_timeout` in seconds for every call. */
  originateTimeoutSec?: number;
  /** Cause of the hangups this run sends. Default NORMAL_CLEARING. */
  hangupCause?: string;
  /**
   * FreeSWITCH hangs a call up itself this many seconds after the planned hold
   * (`execute_on_answer=sched_hangup`), so a run that dies leaves no call behind. Default 60; 0 = off.
   */
  backstopSec?: number;
  /** The value of `fsdev_load_run` on this run's calls. Default: a new uuid. */
  runId?: string;
  callerIdNumber?: string;
  callerIdName?: string;
  /** Sessions one call takes on a server, for the preflight. Default: 2 for loopback targets, else 1. */
  sessionsPerCall?: number;
  /** Where ended calls' records go (CSV/JSONL files: FileRecordSink). */
  sink?: CallRecordSink;
  /** The monotonic clock and timers (tests inject a manual one). */
  clock?: LoadClock;
}

/** A slot that did not become a call. */
export interface NotOfferedEvent {
  index: number;
  reason: NotOfferedReason;
  dueMs: number;
}

/** The numbers of a run as it goes, for a progress line. */
export interface OriginatorProgress {
  state: OriginatorState;
  elapsedS: number;
  rate: number;
  currentRate: number;
  limit: number;
  durationMs: number;
  offered: number;
  notOffered: number;
  answered: number;
  failed: number;
  /** Calls sent and not ended. */
  inProgress: number;
  /** Originates waiting for their result. */
  inFlight: number;
  lastSecond: SecondSample | undefined;
}

interface ActiveCall {
  readonly record: CallRecord;
  readonly member: PoolMember;
  legs: Set<string>;
  legsDone: Set<string>;
  jobSettled: boolean;
  jobError: string | undefined;
  timer: TimerHandle | undefined;
  graceTimer: TimerHandle | undefined;
  killTimer: TimerHandle | undefined;
  hangupRequested: HangupBy | undefined;
}

interface MemberState {
  /** Maps the server's event times onto the load clock. */
  clock: ClockOffset;
  inFlight: number;
  active: number;
  up: boolean;
  /** Hangups owed to calls lost with the connection, sent when it is back. */
  pendingKills: string[];
}

const CAUSE = /^[A-Z_0-9]+$/;
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** How long a call waits for a leg's hangup after its originated leg's (events can go missing). */
const LEG_GRACE_MS = 5000;
/** How long a call may take to show its hangup after this run's uuid_kill. */
const HANGUP_WAIT_MS = 30_000;

/**
 * Drives calls into a pool at a rate, up to a concurrency limit, for a hold time, as switchio's
 * Originator. Call n goes out at start + n/rate on a monotonic clock (see Pacer); a slot that
 * cannot be sent on time (limit reached, every server backed up or down, the generator itself
 * late) is counted as not offered with its reason, never silently skipped. Every call carries
 * `fsdev_load_run=<runId>`, so `hupall` ends this run's calls and nobody else's. Answered calls
 * are held `durationMs` by a timer of this run, then `uuid_kill`ed (with a switch-side
 * `sched_hangup` backstop). Each call's milestones are folded from its server's events into a
 * CallRecord, written to the sink when the call ends; aggregates live in LoadMetrics.
 */
export class Originator implements Disposable {
  readonly runId: string;
  private readonly clock: LoadClock;
  private readonly pool: ServerPool;
  private readonly mix: TargetMix;
  private readonly targets: readonly CallTarget[];
  private readonly balance: Balance;
  private readonly store = new DisposableStore();
  private readonly active = new Map<string, ActiveCall>();
  private readonly members = new Map<PoolMember, MemberState>();
  /** Timers of lost calls still owed a hangup. */
  private readonly orphanTimers = new Set<TimerHandle>();
  private pacer: Pacer | undefined;
  private metrics: LoadMetrics | undefined;
  private startMs = 0;
  private startEpochMs = 0;
  private offeringEndedMs: number | undefined;
  private tickTimer: TimerHandle | undefined;
  private runTimer: TimerHandle | undefined;
  private nextTick = 1;
  private rrIndex = 0;
  private lastSample: SecondSample | undefined;
  private _state: OriginatorState = 'idle';
  private _rate: number;
  private _limit: number;
  private _durationMs: number | 'auto';
  private readonly maxOffered: number;
  private readonly maxInFlight: number | undefined;
  private readonly hangupCause: string;
  private readonly backstopSec: number;
  private readonly warnings: string[] = [];
  private warnedHangupWait = false;
  private setupEwmaMs = 0;
  private teardownEwmaMs = 0;
  private stopped: Promise<void> | undefined;
  private resolveStopped: (() => void) | undefined;

  private readonly _onDidChangeState = this.store.add(new Emitter<{ from: OriginatorState; to: OriginatorState }>());
  readonly onDidChangeState: Event<{ from: OriginatorState; to: OriginatorState }> = this._onDidChangeState.event;
  private readonly _onDidEndCall = this.store.add(new Emitter<CallRecord>());
  /** A call left the run (its record is complete). */
  readonly onDidEndCall: Event<CallRecord> = this._onDidEndCall.event;
  private readonly _onDidNotOffer = this.store.add(new Emitter<NotOfferedEvent>());
  /** A slot came due and could not be sent. */
  readonly onDidNotOffer: Event<NotOfferedEvent> = this._onDidNotOffer.event;
  private readonly _onDidTick = this.store.add(new Emitter<SecondSample>());
  /** Once a second while running: the second that just ended. */
  readonly onDidTick: Event<SecondSample> = this._onDidTick.event;
  private readonly _onDidWarn = this.store.add(new Emitter<string>());
  /** Something the user should know (a server down, refusals by the server's limits…). */
  readonly onDidWarn: Event<string> = this._onDidWarn.event;

  /** Validates everything before anything is sent: a bad option throws here. */
  constructor(
    pool: ServerPool,
    private readonly options: OriginatorOptions,
  ) {
    this.pool = pool;
    this.clock = options.clock ?? systemClock;
    checkRate(options.rate);
    checkLimit(options.limit);
    checkDuration(options.durationMs);
    if (options.rampMs !== undefined && !(Number.isFinite(options.rampMs) && options.rampMs >= 0)) throw new RangeError(`ramp must be 0 or more ms, not ${String(options.rampMs)}`);
    if (options.maxOffered !== undefined && !(Number.isInteger(options.maxOffered) && options.maxOffered >= 1)) {
      throw new RangeError(`maxOffered must be a whole number of calls, 1 or more, not ${String(options.maxOffered)}`);
    }
    if (options.runTimeMs !== undefined && !(Number.isFinite(options.runTimeMs) && options.runTimeMs > 0)) throw new RangeError(`run time must be above 0 ms, not ${String(options.runTimeMs)}`);
    if (options.maxInFlightPerServer !== undefined && !(Number.isInteger(options.maxInFlightPerServer) && options.maxInFlightPerServer >= 1)) {
      throw new RangeError(`maxInFlightPerServer must be a whole number, 1 or more, not ${String(options.maxInFlightPerServer)}`);
    }
    this.hangupCause = options.hangupCause ?? 'NORMAL_CLEARING';
    if (!CAUSE.test(this.hangupCause)) throw new RangeError(`hangup cause ${JSON.stringify(this.hangupCause)} is not a FreeSWITCH cause name (e.g. NORMAL_CLEARING)`);
    this.runId = options.runId ?? randomUUID();
    if (!RUN_ID.test(this.runId)) throw new RangeError(`run id ${JSON.stringify(this.runId)} may only contain letters, digits and _ . -`);
    this.backstopSec = options.backstopSec ?? 60;
    if (!(Number.isInteger(this.backstopSec) && this.backstopSec >= 0)) throw new RangeError(`backstopSec must be a whole number of seconds, not ${String(this.backstopSec)}`);
    this.targets = Array.isArray(options.targets) ? (options.targets as readonly CallTarget[]) : [options.targets as CallTarget];
    this.mix = new TargetMix(this.targets);
    // Build one originate per target now: a line break, a bad endpoint or app name fails here.
    for (const t of this.targets) this.build(t, '00000000-0000-4000-8000-000000000000', 1000);
    this.balance = options.balance ?? 'round-robin';
    if (this.balance !== 'round-robin' && this.balance !== 'least-loaded') throw new RangeError(`balance must be round-robin or least-loaded, not ${String(this.balance)}`);
    this.maxOffered = options.maxOffered ?? Infinity;
    this.maxInFlight = options.maxInFlightPerServer;
    this._rate = options.rate;
    this._limit = options.limit;
    this._durationMs = options.durationMs;
    for (const m of pool.members) {
      this.members.set(m, { clock: new ClockOffset(), inFlight: 0, active: 0, up: isMemberReady(m), pendingKills: [] });
      const watch = (change: StatusChange): void => this.onMemberStatus(m, change);
      this.store.add(m.listener.onDidChangeStatus(watch));
      this.store.add(m.client.onDidChangeStatus(watch));
      this.store.add(m.listener.onDidReceiveEvent((e) => this.onEvent(m, e)));
    }
  }

  get state(): OriginatorState {
    return this._state;
  }

  get rate(): number {
    return this._rate;
  }

  get limit(): number {
    return this._limit;
  }

  /** The hold time calls answered now get, ms (resolved when `durationMs` is auto). */
  get durationMs(): number {
    if (this._durationMs !== 'auto') return this._durationMs;
    // Each call holds a place from its originate to its end, not only while answered: take the
    // measured setup and teardown off, and a margin for their jitter (2 %, at least half a gap),
    // so the busiest moment still fits the limit.
    const offeredLoadMs = (this._limit / this._rate) * 1000;
    const margin = Math.max(500 / this._rate, offeredLoadMs * 0.02);
    return Math.max(0, Math.round(offeredLoadMs - this.setupEwmaMs - this.teardownEwmaMs - margin));
  }

  /** When the run started, on the load clock (record times are ms after it). */
  get startedAtMs(): number | undefined {
    return this.metrics ? this.startMs : undefined;
  }

  /** Calls sent and not yet ended. */
  get inProgress(): number {
    return this.active.size;
  }

  /**
   * Reads each server's sessions-per-second and max-sessions (`status`) and its applications
   * (`show application`), and judges them against what this run needs. Changes nothing.
   */
  async preflight(): Promise<PreflightResult> {
    const servers = this.pool.members;
    const share = 1 / Math.max(1, servers.length);
    const perCall = this.options.sessionsPerCall ?? Math.max(...this.targets.map(sessionsPerCallOf));
    const concurrent = this._limit * share;
    const [statuses, apps] = await Promise.all([this.pool.evalAll('status'), this.pool.evalAll('show application as json')]);
    const results = statuses.map((s) => judgeServer(s.server, s.ok ? s.result : s.error, { rate: this._rate * share, concurrent: Math.ceil(concurrent), sessionsPerCall: perCall }));
    const wanted = [...new Set(this.targets.map((t) => t.app ?? 'park'))];
    apps.forEach((a, i) => {
      if (!a.ok) return;
      const known = applicationNames(a.result);
      if (!known) return;
      for (const app of wanted) {
        if (!known.has(app)) results[i]!.problems.push(`${a.server}: ${app} is not an application there (show application); check the name or load its module`);
      }
    });
    return { ok: results.every((r) => r.problems.length === 0), servers: results };
  }

  /**
   * Applies a preflight's commands (`fsctl sps N`, `fsctl max_sessions N`) on the servers that need
   * them. Only on explicit request: these change the switch until it restarts.
   */
  async applyLimits(result: PreflightResult): Promise<string[]> {
    const done: string[] = [];
    for (const s of result.servers) {
      const m = this.pool.member(s.server);
      if (!m) continue;
      for (const command of s.commands) {
        const reply = await m.client.cmd(command);
        done.push(`${s.server}: ${command} → ${reply.trim()}`);
      }
    }
    return done;
  }

  /** Starts offering. The run's clock starts now. */
  start(): void {
    if (this._state !== 'idle') throw new Error(`the run has already been started (it is ${this._state})`);
    this.startMs = this.clock.now();
    this.startEpochMs = this.clock.wallNow();
    this.metrics = new LoadMetrics(this.startMs);
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
    this.pacer = new Pacer(this.clock, { rate: this._rate, rampMs: this.options.rampMs ?? 0, maxLagMs: this.options.maxLagMs }, (slot, late) => this.offer(slot.index, slot.dueMs, slot.nowMs, late));
    this.setState('originating');
    this.armTick();
    if (this.options.runTimeMs !== undefined) {
      // Slots past the end stop the run as they come due; this covers a pause or a slow rate.
      this.runTimer = this.clock.setTimeout(() => this.endOffering(), this.options.runTimeMs);
    }
    this.pacer.start(this.startMs);
  }

  /** Offers no more calls until resume(); calls up carry on. */
  pause(): void {
    if (this._state !== 'originating') return;
    this.pacer?.pause();
    this.setState('paused');
  }

  resume(): void {
    if (this._state !== 'paused') return;
    this.setState('originating');
    this.pacer?.resume();
  }

  /** Changes the rate from now on (call n+1 one new gap after call n). */
  setRate(rate: number): void {
    checkRate(rate);
    this._rate = rate;
    this.pacer?.setRate(rate);
  }

  /** Changes the concurrency limit; calls above a lowered limit end by their duration. */
  setLimit(limit: number): void {
    checkLimit(limit);
    this._limit = limit;
  }

  /** Changes the hold of calls answered from now on. */
  setDuration(durationMs: number | 'auto'): void {
    checkDuration(durationMs);
    this._durationMs = durationMs;
  }

  /** Offers no more calls; calls up end by their duration. Resolves once the last one ended. */
  stop(): Promise<void> {
    if (this._state === 'idle') {
      this.setState('stopped');
      return Promise.resolve();
    }
    if (this._state === 'originating' || this._state === 'paused') {
      this.pacer?.stop();
      if (this.runTimer !== undefined) this.clock.clearTimeout(this.runTimer);
      this.runTimer = undefined;
      this.offeringEndedMs = this.clock.now();
      this.setState('stopping');
      this.maybeStopped();
    }
    return this.stopped ?? Promise.resolve();
  }

  /** The run time is over: offering ends at exactly start + runTimeMs. */
  private endOffering(): void {
    if (this._state !== 'originating' && this._state !== 'paused') return;
    void this.stop();
    this.offeringEndedMs = this.startMs + this.options.runTimeMs!;
  }

  /** Resolves once the run is stopped (stop(), maxOffered or runTimeMs reached, and every call ended). */
  whenStopped(): Promise<void> {
    return this.stopped ?? Promise.resolve();
  }

  /**
   * Hangs up this run's calls, and only them: `hupall <cause> fsdev_load_run <runId>` on every
   * server. Calls still being set up are hung up as soon as they answer. Resolves with each
   * server's reply.
   */
  async hupall(cause = this.hangupCause): Promise<{ server: string; reply: string }[]> {
    if (!CAUSE.test(cause)) throw new RangeError(`hangup cause ${JSON.stringify(cause)} is not a FreeSWITCH cause name`);
    const now = this.clock.now();
    for (const call of this.active.values()) {
      if (call.timer !== undefined) this.clock.clearTimeout(call.timer);
      call.timer = undefined;
      call.hangupRequested = 'hupall';
      call.record.hangupSentMs ??= this.rel(now);
      if (call.record.legACreatedMs !== undefined) this.watchHangup(call);
    }
    const results = await this.pool.evalAll(`hupall ${cause} ${LOAD_RUN_VAR} ${this.runId}`);
    return results.map((r) => ({ server: r.server, reply: r.ok ? r.result : `error: ${r.error.message}` }));
  }

  /** The numbers so far (or of the whole run, once stopped). */
  summary(): LoadSummary {
    const m = this.metrics;
    const now = this.clock.now();
    if (!m) return new LoadMetrics(now).summary(now, 0, this._rate, this._limit, this.warnings);
    const end = this.offeringEndedMs ?? now;
    return m.summary(now, end - this.startMs, this._rate, this._limit, this.summaryWarnings(m));
  }

  /** Per-second samples so far (the last hour). */
  get samples(): readonly SecondSample[] {
    return this.metrics?.samples ?? [];
  }

  /** Each server's calls of this run in progress and originates waiting for their result. */
  serverProgress(): { server: string; inProgress: number; inFlight: number }[] {
    return [...this.members].map(([m, s]) => ({ server: m.name, inProgress: s.active, inFlight: s.inFlight }));
  }

  progress(): OriginatorProgress {
    const m = this.metrics;
    let inFlight = 0;
    for (const s of this.members.values()) inFlight += s.inFlight;
    return {
      state: this._state,
      elapsedS: m ? (this.clock.now() - this.startMs) / 1000 : 0,
      rate: this._rate,
      currentRate: this.pacer?.currentRate ?? 0,
      limit: this._limit,
      durationMs: this.durationMs,
      offered: m?.offered ?? 0,
      notOffered: m ? m.due - m.offered : 0,
      answered: m?.answered ?? 0,
      failed: m?.failed ?? 0,
      inProgress: this.active.size,
      inFlight,
      lastSecond: this.lastSample,
    };
  }

  // ---------------------------------------------------------------- offering

  private offer(index: number, dueMs: number, nowMs: number, late: boolean): void {
    const m = this.metrics!;
    if (this.options.runTimeMs !== undefined && dueMs - this.startMs >= this.options.runTimeMs) {
      this.endOffering();
      return;
    }
    const reason = late ? 'late' : this.active.size >= this._limit ? 'limit' : undefined;
    const member = reason ? undefined : this.pickMember();
    const why: NotOfferedReason | undefined = reason ?? (member ? undefined : this.anyMemberUp() ? 'backlog' : 'no-server');
    if (why || !member) {
      m.slot(nowMs, why ?? 'no-server', 0);
      this._onDidNotOffer.fire({ index, reason: why ?? 'no-server', dueMs: this.rel(dueMs) });
    } else {
      this.send(index, dueMs, nowMs, member);
    }
    if (m.offered >= this.maxOffered) {
      // The schedule covered up to the slot after the last: the rates are taken over that span.
      const end = this.pacer?.nextDueMs;
      void this.stop();
      if (end !== undefined) this.offeringEndedMs = end;
    }
  }

  private send(index: number, dueMs: number, nowMs: number, member: PoolMember): void {
    const target = this.mix.next();
    const uuid = randomUUID();
    const hold = this.durationMs;
    const state = this.members.get(member)!;
    const record: CallRecord = {
      index,
      uuid,
      server: member.name,
      target: targetLabel(target),
      dueMs: this.rel(dueMs),
      sentMs: this.rel(nowMs),
      sentAtEpochMs: Math.round(this.startEpochMs + (nowMs - this.startMs)),
      endedMs: 0,
      hangupCause: '',
      hangupBy: 'switch',
      outcome: 'failed',
      refusedByLimits: false,
    };
    const call: ActiveCall = { record, member, legs: new Set(), legsDone: new Set(), jobSettled: false, jobError: undefined, timer: undefined, graceTimer: undefined, killTimer: undefined, hangupRequested: undefined };
    this.active.set(uuid, call);
    state.inFlight++;
    state.active++;
    this.metrics!.slot(nowMs, undefined, nowMs - dueMs);
    let job: Job;
    try {
      job = member.client.originate(target.destination, this.originateOptions(target, uuid, hold));
    } catch (err) {
      // Validated at construction; only a listener gone missing gets here.
      state.inFlight--;
      call.jobSettled = true;
      this.endCall(call, nowMs, 'SYSTEM_ERROR', 'switch', 'failed');
      this.warn(`${member.name}: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    job.then(
      () => this.onJob(call, undefined),
      (err: unknown) => this.onJob(call, err),
    );
  }

  private originateOptions(target: CallTarget, uuid: string, holdMs: number): OriginateOptions {
    const variables: Record<string, string | number | boolean> = { ...target.variables, [LOAD_RUN_VAR]: this.runId };
    if (this.backstopSec > 0) variables['execute_on_answer'] = `sched_hangup +${Math.ceil(holdMs / 1000) + this.backstopSec} ALLOTTED_TIMEOUT`;
    return {
      uuid,
      endpoint: target.endpoint,
      app: target.app,
      appArg: target.appArg,
      variables,
      ...(this.options.originateTimeoutSec !== undefined ? { timeoutSec: this.options.originateTimeoutSec } : {}),
      ...(this.options.callerIdNumber !== undefined ? { callerIdNumber: this.options.callerIdNumber } : {}),
      ...(this.options.callerIdName !== undefined ? { callerIdName: this.options.callerIdName } : {}),
    };
  }

  /** The originate of a target, to validate it (a line break, a bad name throws UnsafeInputError). */
  private build(target: CallTarget, uuid: string, holdMs: number): string {
    if (typeof target.destination !== 'string' || target.destination === '') throw new UnsafeInputError('a destination is empty');
    return buildOriginate(target.destination, this.originateOptions(target, uuid, holdMs), () => uuid).command;
  }

  private pickMember(): PoolMember | undefined {
    const members = this.pool.members;
    const cap = this.inFlightCap();
    if (this.balance === 'least-loaded') {
      let best: PoolMember | undefined;
      let bestLoad = Infinity;
      for (const m of members) {
        const s = this.members.get(m)!;
        if (!s.up || s.inFlight >= cap) continue;
        if (s.active < bestLoad) {
          best = m;
          bestLoad = s.active;
        }
      }
      return best;
    }
    for (let i = 0; i < members.length; i++) {
      const m = members[(this.rrIndex + i) % members.length]!;
      const s = this.members.get(m)!;
      if (s.up && s.inFlight < cap) {
        this.rrIndex = (this.rrIndex + i + 1) % members.length;
        return m;
      }
    }
    return undefined;
  }

  private inFlightCap(): number {
    if (this.maxInFlight !== undefined) return this.maxInFlight;
    const share = this._rate / Math.max(1, this.pool.members.length);
    return Math.max(16, Math.ceil(share * 2));
  }

  private anyMemberUp(): boolean {
    for (const s of this.members.values()) if (s.up) return true;
    return false;
  }

  // ---------------------------------------------------------------- folding a call's events

  private onJob(call: ActiveCall, err: unknown): void {
    if (call.jobSettled) return;
    call.jobSettled = true;
    const now = this.clock.now();
    const state = this.members.get(call.member)!;
    state.inFlight = Math.max(0, state.inFlight - 1);
    if (!this.active.has(call.record.uuid)) return;
    call.record.jobMs = this.rel(now);
    if (err === undefined) {
      call.record.jobOk = true;
      // The job comes on the client's connection, the answer on the listener's, and either may be
      // first: the answer's time is its CHANNEL_ANSWER's. Only a listener that does not receive
      // CHANNEL_ANSWER takes the job (FreeSWITCH's originate returns once the leg answered) instead.
      if (!listensFor(call.member, 'CHANNEL_ANSWER')) this.answered(call, now);
      this.maybeEnd(call, now);
      return;
    }
    call.record.jobOk = false;
    const cause = jobCause(err);
    call.jobError = cause;
    // A refused originate creates no channel: it ends here. Otherwise its legs' hangups end it.
    if (call.legs.size === 0 || call.legs.size === call.legsDone.size) {
      const refused = cause === 'DESTINATION_OUT_OF_ORDER' && call.legs.size === 0;
      call.record.refusedByLimits = refused;
      this.endCall(call, now, cause, call.hangupRequested ?? (cause === 'CONNECTION_LOST' ? 'connection' : 'switch'), 'failed');
      return;
    }
    this.maybeEnd(call, now);
  }

  private onEvent(member: PoolMember, e: EslEvent): void {
    const name = e.name;
    if (!name.startsWith('CHANNEL_')) return;
    const id = e.get('variable_fsdev_call_id') ?? e.uuid;
    if (id === undefined) return;
    const call = this.active.get(id);
    if (!call || call.member !== member) return;
    const uuid = e.uuid ?? id;
    const now = this.clock.now();
    // When the switch fired the event, on our clock (never later than its arrival, never before the originate).
    const at = this.eventTime(this.members.get(member)!, e, now, call.record.sentMs + this.startMs);
    const r = call.record;
    const t = this.rel(at);
    const isA = uuid === r.uuid;
    switch (name) {
      case 'CHANNEL_CREATE':
        call.legs.add(uuid);
        if (isA) r.legACreatedMs ??= t;
        else r.legBCreatedMs ??= t;
        break;
      case 'CHANNEL_PROGRESS':
        r.ringingMs ??= t;
        break;
      case 'CHANNEL_PROGRESS_MEDIA':
        r.earlyMediaMs ??= t;
        break;
      case 'CHANNEL_ANSWER':
        if (isA) this.answered(call, now, at);
        else r.legBAnsweredMs ??= t;
        break;
      case 'CHANNEL_BRIDGE':
        r.bridgedMs ??= t;
        break;
      case 'CHANNEL_HANGUP_COMPLETE': {
        call.legs.add(uuid);
        call.legsDone.add(uuid);
        if (isA) {
          r.hangupMs ??= t;
          r.hangupCause = e.get('Hangup-Cause') ?? 'UNKNOWN';
        }
        this.maybeEnd(call, now);
        break;
      }
    }
  }

  /** The call's originated leg answered at `at` (learnt at `now`): its hold starts at `at`. */
  private answered(call: ActiveCall, now: number, at = now): void {
    const r = call.record;
    if (r.answeredMs !== undefined) return;
    r.answeredMs = this.rel(at);
    this.metrics!.answeredCall(at);
    this.setupEwmaMs = ewma(this.setupEwmaMs, r.answeredMs - r.sentMs, this.metrics!.answered);
    if (call.hangupRequested === 'hupall') {
      this.kill(call);
      return;
    }
    const hold = Math.max(0, this.durationMs - (now - at));
    call.timer = this.clock.setTimeout(() => {
      call.timer = undefined;
      if (!this.active.has(r.uuid) || call.hangupRequested) return;
      call.hangupRequested = 'duration';
      r.hangupSentMs = this.rel(this.clock.now());
      this.kill(call);
    }, hold);
  }

  /** An event's time on the load clock: its Event-Date-Timestamp mapped through the server's offset. */
  private eventTime(state: MemberState, e: EslEvent, now: number, notBefore: number): number {
    const us = e.timestampUs;
    if (!(us > 0)) return now;
    const serverMs = us / 1000;
    state.clock.observe(serverMs, now);
    return Math.min(now, Math.max(notBefore, state.clock.toLocal(serverMs)));
  }

  private kill(call: ActiveCall): void {
    const m = call.member;
    if (!this.members.get(m)!.up) return;
    m.client.api(`uuid_kill ${call.record.uuid} ${this.hangupCause}`).catch(() => undefined);
    this.watchHangup(call);
  }

  /** A call whose hangup never shows (its events lost) must not hold a place under the limit for ever. */
  private watchHangup(call: ActiveCall): void {
    call.killTimer ??= this.clock.setTimeout(() => {
      call.killTimer = undefined;
      if (!this.active.has(call.record.uuid)) return;
      if (!this.warnedHangupWait) this.warn(`no hangup seen ${HANGUP_WAIT_MS / 1000} s after uuid_kill for call ${call.record.uuid} (and maybe others): ended without it`);
      this.warnedHangupWait = true;
      this.finish(call, this.clock.now());
    }, HANGUP_WAIT_MS);
  }

  /**
   * Ends the call once the job has settled and every leg seen has completed its hangup. When the
   * originated leg is done but another leg's end has not come, it waits LEG_GRACE_MS, not forever.
   */
  private maybeEnd(call: ActiveCall, now: number): void {
    if (!call.jobSettled || call.legs.size === 0) return;
    if (call.legsDone.size >= call.legs.size) {
      this.finish(call, now);
      return;
    }
    if (call.legsDone.has(call.record.uuid) && call.graceTimer === undefined) {
      call.graceTimer = this.clock.setTimeout(() => {
        call.graceTimer = undefined;
        this.finish(call, this.clock.now());
      }, LEG_GRACE_MS);
    }
  }

  private finish(call: ActiveCall, now: number): void {
    const r = call.record;
    const answered = r.answeredMs !== undefined;
    const cause = r.hangupCause || call.jobError || 'UNKNOWN';
    const by: HangupBy = call.hangupRequested ?? (answered ? 'far-end' : 'switch');
    this.endCall(call, now, cause, by, answered ? 'answered' : 'failed');
  }

  private endCall(call: ActiveCall, now: number, cause: string, by: HangupBy, outcome: CallRecord['outcome']): void {
    const r = call.record;
    if (!this.active.delete(r.uuid)) return;
    if (call.timer !== undefined) this.clock.clearTimeout(call.timer);
    if (call.graceTimer !== undefined) this.clock.clearTimeout(call.graceTimer);
    if (call.killTimer !== undefined) this.clock.clearTimeout(call.killTimer);
    call.timer = undefined;
    call.graceTimer = undefined;
    call.killTimer = undefined;
    const state = this.members.get(call.member)!;
    state.active = Math.max(0, state.active - 1);
    r.hangupCause = cause;
    r.hangupBy = by;
    r.outcome = outcome;
    r.endedMs = this.rel(now);
    if (outcome === 'failed') r.hangupMs ??= r.endedMs;
    if (r.hangupSentMs !== undefined && outcome === 'answered') this.teardownEwmaMs = ewma(this.teardownEwmaMs, r.endedMs - r.hangupSentMs, this.metrics!.endedCalls + 1);
    deriveLatencies(r);
    this.metrics!.ended(now, r);
    this.options.sink?.write(r);
    this._onDidEndCall.fire(r);
    this.maybeStopped();
  }

  // ---------------------------------------------------------------- servers coming and going

  private onMemberStatus(member: PoolMember, change: StatusChange): void {
    const state = this.members.get(member);
    if (!state) return;
    const up = isMemberReady(member);
    if (up === state.up) return;
    state.up = up;
    if (up) {
      if (this._state !== 'idle') this.warn(`${member.name}: connected again; calls are offered to it again`);
      for (const uuid of state.pendingKills.splice(0)) member.client.api(`uuid_kill ${uuid} ${this.hangupCause}`).catch(() => undefined);
      return;
    }
    if (this._state === 'idle' || this._state === 'stopped') return;
    // Its calls' events are gone with the connection: account for them now, as failures with a cause.
    const now = this.clock.now();
    let lost = 0;
    for (const call of [...this.active.values()]) {
      if (call.member !== member) continue;
      lost++;
      const answered = call.record.answeredMs !== undefined;
      if (answered && !call.hangupRequested && call.timer !== undefined) this.owe(call, state);
      if (!call.jobSettled) {
        call.jobSettled = true;
        state.inFlight = Math.max(0, state.inFlight - 1);
      }
      this.endCall(call, now, 'CONNECTION_LOST', 'connection', answered ? 'lost' : 'failed');
    }
    const why = change.error ? `: ${change.error.message}` : '';
    this.warn(`${member.name}: connection lost${why}; ${lost} call(s) in progress counted as CONNECTION_LOST, the other servers go on`);
  }

  /** A lost call still gets hung up when its hold is over: now if the server is back, else once it is. */
  private owe(call: ActiveCall, state: MemberState): void {
    const uuid = call.record.uuid;
    const left = Math.max(0, call.record.answeredMs! + this.durationMs - this.rel(this.clock.now()));
    const timer = this.clock.setTimeout(() => {
      this.orphanTimers.delete(timer);
      if (state.up) call.member.client.api(`uuid_kill ${uuid} ${this.hangupCause}`).catch(() => undefined);
      else state.pendingKills.push(uuid);
    }, left);
    this.orphanTimers.add(timer);
  }

  // ---------------------------------------------------------------- run state

  private armTick(): void {
    const due = this.startMs + this.nextTick * 1000;
    this.tickTimer = this.clock.setTimeout(() => this.tick(), Math.max(0, due - this.clock.now()));
  }

  private tick(): void {
    this.tickTimer = undefined;
    if (this._state === 'stopped' || !this.metrics) return;
    this.nextTick++;
    const sample = this.metrics.closeSecond(this.clock.now(), this.pacer?.isRunning ? this.pacer.currentRate : 0);
    this.lastSample = sample;
    this._onDidTick.fire(sample);
    this.armTick();
  }

  private maybeStopped(): void {
    if (this._state !== 'stopping' || this.active.size > 0) return;
    if (this.tickTimer !== undefined) this.clock.clearTimeout(this.tickTimer);
    this.tickTimer = undefined;
    this.setState('stopped');
    this.resolveStopped?.();
  }

  private setState(to: OriginatorState): void {
    const from = this._state;
    if (from === to) return;
    this._state = to;
    this._onDidChangeState.fire({ from, to });
  }

  private warn(message: string): void {
    if (this.warnings.length < 100) this.warnings.push(message);
    this._onDidWarn.fire(message);
  }

  private summaryWarnings(m: LoadMetrics): string[] {
    const w = [...this.warnings];
    if (m.refusedByLimits > 0) {
      w.unshift(
        `${m.refusedByLimits} call(s) failed DESTINATION_OUT_OF_ORDER without a channel: the server's sessions-per-second or max-sessions refused them, not the network (see the preflight: fsctl sps / fsctl max_sessions)`,
      );
    }
    const notOffered = m.due - m.offered;
    if (notOffered > 0) {
      const by = Object.entries(m.notOffered)
        .filter(([, n]) => n > 0)
        .map(([reason, n]) => `${n} ${reason}`)
        .join(', ');
      w.unshift(`${notOffered} of ${m.due} calls due were NOT OFFERED (${by})`);
    }
    return w;
  }

  /** ms since the run started, to the µs. */
  private rel(ms: number): number {
    return Math.round((ms - this.startMs) * 1000) / 1000;
  }

  dispose(): void {
    this.pacer?.stop();
    if (this.tickTimer !== undefined) this.clock.clearTimeout(this.tickTimer);
    if (this.runTimer !== undefined) this.clock.clearTimeout(this.runTimer);
    for (const call of this.active.values()) for (const t of [call.timer, call.graceTimer, call.killTimer]) if (t !== undefined) this.clock.clearTimeout(t);
    for (const t of this.orphanTimers) this.clock.clearTimeout(t);
    this.orphanTimers.clear();
    this.active.clear();
    this.metrics?.dispose();
    this.store.dispose();
  }
}

/** Whether a member's listener receives an event (a pool of fakes without a connection: yes). */
function listensFor(m: PoolMember, name: string): boolean {
  const subscriptions = (m.listener as { connection?: { subscriptions?: ReadonlySet<string> } }).connection?.subscriptions;
  return !subscriptions || subscriptions.has(name) || subscriptions.has('ALL');
}

function isMemberReady(m: PoolMember): boolean {
  return m.listener.status === 'ready' && m.client.status === 'ready';
}

function jobCause(err: unknown): string {
  if (err && typeof err === 'object' && 'cause' in err && typeof (err as { cause: unknown }).cause === 'string' && CAUSE.test((err as { cause: string }).cause)) {
    return (err as { cause: string }).cause;
  }
  const text = err instanceof Error ? err.message : String(err);
  if (/lost the connection|ConnectionClosed|disposed/i.test(text) || (err instanceof Error && err.name === 'ConnectionClosedError')) return 'CONNECTION_LOST';
  return 'SYSTEM_ERROR';
}

function sessionsPerCallOf(t: CallTarget): number {
  const e = t.endpoint ?? 'loopback';
  return e === 'loopback' || (typeof e === 'object' && e.kind === 'loopback') ? 2 : 1;
}

/** Names in `show application as json`, or undefined if it is not that. */
function applicationNames(json: string): Set<string> | undefined {
  try {
    const parsed = JSON.parse(json) as { rows?: { name?: unknown }[] };
    if (!Array.isArray(parsed.rows)) return undefined;
    return new Set(parsed.rows.map((r) => String(r.name)));
  } catch {
    return undefined;
  }
}

function ewma(prev: number, value: number, n: number): number {
  // The mean of the first calls, then an exponential average that follows the switch's load.
  const alpha = n < 20 ? 1 / Math.max(1, n) : 0.05;
  return prev + alpha * (value - prev);
}

function checkRate(rate: unknown): void {
  if (!(typeof rate === 'number' && Number.isFinite(rate) && rate > 0)) throw new RangeError(`rate must be a number of calls per second above 0, not ${String(rate)}`);
}

function checkLimit(limit: unknown): void {
  if (!(typeof limit === 'number' && Number.isInteger(limit) && limit >= 1)) throw new RangeError(`limit must be a whole number of calls, 1 or more, not ${String(limit)}`);
}

function checkDuration(d: unknown): void {
  if (d === 'auto') return;
  if (!(typeof d === 'number' && Number.isFinite(d) && d >= 0)) throw new RangeError(`duration must be 0 or more ms, or 'auto', not ${String(d)}`);
}
