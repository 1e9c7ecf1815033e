/**
 * The dialplan lines of recent calls, kept per leg, so "Trace This Call" can show the trace of a
 * call from the Calls tree after it was routed. No vscode: unit- and integration-tested.
 */
import type { EventListener, LogLine } from '../../core';
import { LogTap, type LogSource } from '../console/logTap';
import { parseTraceLine, type TraceLogLine } from './trace';
import { callLegs, routedLegs } from './traceRun';

const MAX_RECORDED_LEGS = 500;
const MAX_LINES_PER_LEG = 3000;

/**
 * Trace lines by leg uuid, bounded: at most `maxLegs` legs (the oldest leg is dropped first) of at
 * most `maxLinesPerLeg` lines each, so recording on a busy server cannot grow without end.
 */
export class RecordedTraceLines {
  private readonly legs = new Map<string, TraceLogLine[]>();

  constructor(
    private readonly maxLegs = MAX_RECORDED_LEGS,
    private readonly maxLinesPerLeg = MAX_LINES_PER_LEG,
  ) {}

  /** Keeps the lines of `lines` that are mod_dialplan_xml's (or EXECUTE) lines of a leg; drops the rest. */
  add(lines: readonly LogLine[] | readonly TraceLogLine[]): void {
    for (const l of lines) {
      if (!l.uuid || !parseTraceLine(l.text)) continue;
      let list = this.legs.get(l.uuid);
      if (!list) {
        list = [];
        this.legs.set(l.uuid, list);
        if (this.legs.size > this.maxLegs) this.legs.delete(this.legs.keys().next().value!);
      }
      if (list.length < this.maxLinesPerLeg) list.push({ uuid: l.uuid, level: l.level, text: l.text });
    }
  }

  /** The legs among `uuids` that went through the dialplan, with their lines, in the order they were first seen. */
  routedLegsOf(uuids: Iterable<string>): Array<{ uuid: string; lines: readonly TraceLogLine[] }> {
    const byLeg = new Map<string, readonly TraceLogLine[]>();
    for (const uuid of uuids) {
      const lines = this.legs.get(uuid);
      if (lines?.length) byLeg.set(uuid, lines);
    }
    return routedLegs(byLeg);
  }
}

/** The recorded trace of the call `uuid` (any of its legs) belongs to: its routed legs, as the listener groups them. */
export function recordedTraceOf(listener: EventListener, record: RecordedTraceLines, uuid: string): Array<{ uuid: string; lines: readonly TraceLogLine[] }> {
  return record.routedLegsOf(callLegs(listener, uuid).uuids);
}

/**
 * Records every dialplan line `source` logs into `record`. It asks for debug logs (`log 7`) on
 * that connection only, shared with the other taps of it; dispose the tap to stop and give the
 * level back. `ready` settles once the level is asked for (a refusal is not an error here: the
 * recording then stays empty, and Trace This Call says so).
 */
export function recordTraceLines(source: LogSource, record: RecordedTraceLines): { tap: LogTap; ready: Promise<void> } {
  const tap = new LogTap(source, (line) => record.add([line]));
  return { tap, ready: tap.setLevel(7).catch(() => undefined) };
}
