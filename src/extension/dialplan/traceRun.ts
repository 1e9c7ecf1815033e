/**
 * Places a loopback call into a dialplan context and collects mod_dialplan_xml's lines for that
 * call only. No vscode: it runs on the core's Client and EventListener and the console's LogTap.
 *
 * Debug logging for one call without turning the server to debug: ESL log levels are per
 * connection, so a LogTap asks the command connection for `log 7` (or keeps what Stream Logs
 * already asked for, if more), every line is buffered, and at the end only the lines whose
 * User-Data is a leg of this call are kept. Closing the tap puts the connection's level back
 * (`nolog`, or the level another tap still wants). The lines reach the connection only if
 * FreeSWITCH's own log level (switch.conf.xml `loglevel`, vanilla: debug) lets DEBUG through;
 * when none arrive the result says so.
 */
import { randomUUID } from 'node:crypto';
import type { Call, Client, EventListener, LogLine } from '../../core';
import { LogTap, type LogSource } from '../console/logTap';
import { parseTraceLine, type TraceLogLine } from './trace';

export interface TraceCallRequest {
  readonly destination: string;
  readonly context: string;
  readonly callerIdName?: string;
  readonly callerIdNumber?: string;
  /** Stop waiting for more lines after this long without any for the call (ms). Default 2000. */
  readonly idleMs?: number;
  /** Stop after this long in any case (ms). Default 15000. */
  readonly maxMs?: number;
}

export interface TraceCallResult {
  /** The originated (a-)leg's uuid. */
  readonly uuid: string;
  /** The call's legs that went through the dialplan, with their lines in order. */
  readonly legs: ReadonlyArray<{ readonly uuid: string; readonly lines: readonly TraceLogLine[] }>;
  /** `+OK <uuid>` or FreeSWITCH's `-ERR <cause>` (NO_ROUTE_DESTINATION when no extension matched). */
  readonly originate: { readonly ok: true } | { readonly ok: false; readonly cause: string } | { readonly ok: 'pending' };
  /** Errors logged by any leg of the call (`Invalid Application voicemail` from a bridged loopback leg…). */
  readonly errors: readonly string[];
  /** Whether a leg of the call was still up when collecting stopped. */
  readonly live: boolean;
  /** Why collecting stopped. */
  readonly stoppedBy: 'idle' | 'ended' | 'timeout' | 'cancelled';
  /** Set when no dialplan line arrived at all. */
  readonly noLines?: string;
}

const MAX_BUFFER = 50_000;

/** Every leg uuid of the call `uuid` belongs to, as the listener knows it (live or in history). */
export function callLegs(listener: EventListener, uuid: string): { call: Call | undefined; uuids: Set<string> } {
  let call: Call | undefined = listener.sessions.get(uuid)?.call ?? listener.calls.get(uuid);
  if (!call) {
    for (let i = listener.history.length - 1; i >= 0 && !call; i--) {
      const c = listener.history[i]!;
      if (c.uuid === uuid || c.sessions.some((s) => s.uuid === uuid)) call = c;
    }
  }
  const uuids = new Set<string>([uuid]);
  for (const s of call?.sessions ?? []) uuids.add(s.uuid);
  return { call, uuids };
}

/** A leg's lines that belong to the dialplan trace (steps), kept in order. */
export function traceLinesOf(lines: readonly LogLine[], uuids: ReadonlySet<string>): Map<string, TraceLogLine[]> {
  const byLeg = new Map<string, TraceLogLine[]>();
  for (const l of lines) {
    if (!l.uuid || !uuids.has(l.uuid) || !parseTraceLine(l.text)) continue;
    const list = byLeg.get(l.uuid) ?? [];
    list.push({ uuid: l.uuid, level: l.level, text: l.text });
    byLeg.set(l.uuid, list);
  }
  return byLeg;
}

/** The legs that were routed (have a "Processing … in context" line), in the order they were. */
export function routedLegs(byLeg: ReadonlyMap<string, readonly TraceLogLine[]>): Array<{ uuid: string; lines: readonly TraceLogLine[] }> {
  return [...byLeg.entries()].filter(([, lines]) => lines.some((l) => parseTraceLine(l.text)?.kind === 'processing')).map(([uuid, lines]) => ({ uuid, lines }));
}

/**
 * One traced call. `run()` originates `loopback/<dest>/<context> &park()` (the b-leg runs the
 * dialplan; the a-leg waits parked), collects until the call has been idle for `idleMs` after its
 * dialplan ran, or ended, or `maxMs` passed, and restores the log level.
 */
export class TraceRun {
  readonly uuid = randomUUID();
  private readonly lines: LogLine[] = [];
  private cancelled = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly client: Client,
    private readonly listener: EventListener,
    private readonly logSource: LogSource = client.connection,
  ) {}

  cancel(): void {
    this.cancelled = true;
    this.wake?.();
  }

  async run(req: TraceCallRequest): Promise<TraceCallResult> {
    const idleMs = req.idleMs ?? 2000;
    const maxMs = req.maxMs ?? 15_000;
    let lastActivity = performance.now();
    const started = lastActivity;
    // The call's legs as the listener knows them; a line of a leg it has not seen yet counts too.
    let ours = new Set<string>([this.uuid]);
    const refresh = (): void => {
      ours = callLegs(this.listener, this.uuid).uuids;
    };
    const tap = new LogTap(this.logSource, (line) => {
      if (this.lines.length < MAX_BUFFER) this.lines.push(line);
      if (!line.uuid || ours.has(line.uuid) || !this.listener.sessions.has(line.uuid)) {
        lastActivity = performance.now();
        this.wake?.();
      }
    });
    const subs = [
      this.listener.onDidEndCall(() => this.wake?.()),
      this.listener.onDidCreateSession(refresh),
      this.listener.onDidChangeSession(refresh),
    ];
    const state: { originate: TraceCallResult['originate'] } = { originate: { ok: 'pending' } };
    let stoppedBy: TraceCallResult['stoppedBy'] = 'timeout';
    try {
      await tap.setLevel(7);
      const job = this.client.originate(req.destination, {
        endpoint: { kind: 'loopback', context: req.context },
        app: 'park',
        uuid: this.uuid,
        timeoutSec: Math.ceil(maxMs / 1000) + 5,
        ...(req.callerIdName ? { callerIdName: req.callerIdName } : {}),
        ...(req.callerIdNumber ? { callerIdNumber: req.callerIdNumber } : {}),
      });
      job.then(
        () => {
          state.originate = { ok: true };
          this.wake?.();
        },
        (err: unknown) => {
          const cause = (err as { cause?: string }).cause ?? (err instanceof Error ? err.message : String(err));
          state.originate = { ok: false, cause };
          lastActivity = performance.now();
          this.wake?.();
        },
      );
      for (;;) {
        if (this.cancelled) {
          stoppedBy = 'cancelled';
          break;
        }
        const now = performance.now();
        if (now - started > maxMs) break;
        const { call, uuids } = callLegs(this.listener, this.uuid);
        const routed = routedLegs(traceLinesOf(this.lines, uuids));
        const ended = call !== undefined && call.sessions.length > 0 && call.sessions.every((s) => s.hungupAt !== undefined);
        const failed = state.originate.ok === false;
        if ((ended || failed) && now - lastActivity > 300) {
          stoppedBy = 'ended';
          break;
        }
        const ranOrFailed = routed.some(({ lines }) => lines.some((l) => /EXECUTE \[|Invalid Application/.test(l.text)));
        if ((ranOrFailed || routed.length > 0) && now - lastActivity > idleMs) {
          stoppedBy = 'idle';
          break;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(250, idleMs));
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    } finally {
      for (const s of subs) s.dispose();
      await tap.close().catch(() => undefined);
    }
    const { call, uuids } = callLegs(this.listener, this.uuid);
    const byLeg = traceLinesOf(this.lines, uuids);
    const legs = routedLegs(byLeg);
    const errors: string[] = [];
    for (const lines of byLeg.values()) {
      for (const l of lines) {
        const step = parseTraceLine(l.text);
        if (step?.kind === 'error' && !errors.includes(step.text)) errors.push(step.text);
      }
    }
    const live = call !== undefined && call.sessions.some((s) => s.hungupAt === undefined);
    const anyDialplan = this.lines.some((l) => uuids.has(l.uuid ?? '') && /Dialplan: /.test(l.text));
    return {
      uuid: this.uuid,
      legs,
      errors,
      originate: state.originate,
      live,
      stoppedBy,
      ...(anyDialplan
        ? {}
        : {
            noLines:
              this.lines.length === 0
                ? 'No log line arrived at all: the connection may not be allowed to log, or the call never started.'
                : "No mod_dialplan_xml line arrived for this call: FreeSWITCH's own log level (switch.conf.xml loglevel, or fsctl loglevel) is below debug, so DEBUG lines never reach any connection.",
          }),
    };
  }

  /** Every line the run saw (all calls), for recording. */
  get allLines(): readonly LogLine[] {
    return this.lines;
  }
}
