/**
 * The host side of the call timeline, without vscode: which events belong to the call, as lanes.
 */
import type { Call, EslEvent } from '../../core';
import { callerText, destinationOf, timelineKind } from '../../shared/eventSummary';
import { callLabel } from '../tree/format';
import type { TimelineEvent, TimelineSession, TimelineState } from '../../shared/protocol/timeline';

/** Events the timeline leaves to the stream: they repeat what the drawn ones already say. */
const SKIPPED = new Set(['CHANNEL_STATE', 'CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_DESTROY', 'CALL_UPDATE', 'CHANNEL_HANGUP_COMPLETE']);
const LINK_HEADERS = ['Other-Leg-Unique-ID', 'variable_other_loopback_leg_uuid', 'Bridge-A-Unique-ID', 'Bridge-B-Unique-ID'] as const;
/** Most events kept per timeline. */
export const TIMELINE_EVENT_LIMIT = 2000;

function isChannelEvent(name: string): boolean {
  return name.startsWith('CHANNEL_') || name === 'DTMF' || name.startsWith('PLAYBACK_') || name.startsWith('RECORD_');
}

export class TimelineModel {
  private readonly uuids = new Set<string>();
  private readonly callIds = new Set<string>();
  private readonly events: TimelineEvent[] = [];
  private readonly lanes = new Map<string, TimelineSession>();
  private seq = 0;
  private recordedSinceUs = 0;

  constructor(
    private call: Call,
    private readonly server: string,
  ) {
    this.callIds.add(call.uuid);
    for (const s of call.sessions) this.uuids.add(s.uuid);
  }

  /** Replays recorded events (oldest first); `sinceUs` is when recording began. */
  replay(events: Iterable<EslEvent>, sinceUs: number): void {
    let any = false;
    for (const e of events) any = this.ingest(e) || any;
    // Sessions whose start was not recorded get their creation and answer from the model.
    for (const s of this.call.sessions) {
      if (this.events.some((e) => e.uuid === s.uuid && e.kind === 'create')) continue;
      if (!any) this.recordedSinceUs = sinceUs;
      this.synthetic(s.uuid, 'CHANNEL_CREATE', s.createdAt * 1000, s.headers);
      if (s.answeredAt !== undefined) this.synthetic(s.uuid, 'CHANNEL_ANSWER', s.answeredAt * 1000, s.headers);
    }
    this.events.sort((a, b) => a.timeUs - b.timeUs || a.seq - b.seq);
  }

  private synthetic(uuid: string, name: string, timeUs: number, headers: Readonly<Record<string, string>>): void {
    const { kind, label } = timelineKind(name, headers);
    this.events.push({ seq: ++this.seq, timeUs, uuid, name, kind, label: `${label} (from the channel's state)`, headers: Object.entries(headers), body: '' });
  }

  /** The call object changed (a merge): follow its sessions. */
  setCall(call: Call): void {
    this.call = call;
    this.callIds.add(call.uuid);
    for (const s of call.sessions) this.uuids.add(s.uuid);
  }

  /** Takes an event if it is about the call; true when the timeline changed. */
  ingest(event: EslEvent): boolean {
    const h = event.headers;
    const uuid = event.uuid;
    if (!uuid || !isChannelEvent(event.name)) return false;
    const callId = h['variable_fsdev_call_id'];
    const linked = this.uuids.has(uuid) || (callId !== undefined && this.callIds.has(callId)) || LINK_HEADERS.some((n) => h[n] !== undefined && this.uuids.has(h[n]!));
    if (!linked) return false;
    this.uuids.add(uuid);
    this.updateLane(uuid, h);
    if (SKIPPED.has(event.name) || this.events.length >= TIMELINE_EVENT_LIMIT) return true;
    const { kind, label } = timelineKind(event.name, h);
    const te: TimelineEvent = { seq: ++this.seq, timeUs: event.timestampUs || Date.now() * 1000, uuid, name: event.name, kind, label, headers: Object.entries(h), body: event.body };
    if (kind === 'bridge' || kind === 'unbridge') {
      const other = h['Other-Leg-Unique-ID'] ?? (h['Bridge-A-Unique-ID'] === uuid ? h['Bridge-B-Unique-ID'] : h['Bridge-A-Unique-ID']);
      if (other) te.otherUuid = other;
    }
    this.events.push(te);
    return true;
  }

  private updateLane(uuid: string, h: Readonly<Record<string, string>>): void {
    const lane = this.lanes.get(uuid) ?? { uuid, channelName: '', direction: '', caller: '', destination: '' };
    lane.channelName = h['Channel-Name'] || lane.channelName;
    lane.direction = h['Call-Direction'] || lane.direction;
    lane.caller = callerText(h) || lane.caller;
    lane.destination = destinationOf(h) || lane.destination;
    if (h['Hangup-Cause']) lane.hangupCause = h['Hangup-Cause'];
    this.lanes.set(uuid, lane);
  }

  event(seq: number): TimelineEvent | undefined {
    return this.events.find((e) => e.seq === seq);
  }

  state(): TimelineState {
    const sessions: TimelineSession[] = [];
    const seen = new Set<string>();
    for (const s of this.call.sessions) {
      seen.add(s.uuid);
      const lane = this.lanes.get(s.uuid);
      const ts: TimelineSession = {
        uuid: s.uuid,
        channelName: s.channelName || lane?.channelName || '',
        direction: s.direction,
        // The same rule as the tree and the stream (FreeSWITCH flips an outbound leg's caller ID at answer).
        caller: callerText(s.headers) || lane?.caller || '',
        destination: destinationOf(s.headers) || lane?.destination || '',
      };
      const cause = s.hangupCause ?? lane?.hangupCause;
      if (cause) ts.hangupCause = cause;
      sessions.push(ts);
    }
    for (const [uuid, lane] of this.lanes) if (!seen.has(uuid)) sessions.push({ ...lane });
    return { title: callLabel(this.call), server: this.server, sessions, events: [...this.events], ended: this.call.ended, recordedSinceUs: this.recordedSinceUs };
  }
}
