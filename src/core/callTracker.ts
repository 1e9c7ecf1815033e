import { APP_ID_VAR, CALL_ID_VAR } from './dialString';
import { EslEvent } from './esl/event';
import { Call } from './models/call';
import { Session, type SessionHost } from './models/session';
import { DisposableStore, Emitter, type Disposable, type Event } from './util/lifecycle';

/** Counters over the listener's lifetime. */
export interface ListenerStats {
  sessionsCreated: number;
  callsCreated: number;
  /** Sessions that hung up without ever being answered. */
  failedSessions: number;
  /** Hangup causes of completed sessions, e.g. `NORMAL_CLEARING → 12`. */
  hangupCauses: Map<string, number>;
  /** Events received. */
  events: number;
}

/** Events after which a session must not be re-created from a straggling event. */
const ENDING_EVENTS: ReadonlySet<string> = new Set(['CHANNEL_HANGUP_COMPLETE', 'CHANNEL_DESTROY']);
const RECENTLY_ENDED_LIMIT = 4096;

const CALL_ID_HEADER = `variable_${CALL_ID_VAR}`;
/** Headers naming a call's other legs: our call-tracking variable (first), the loopback partner, the other leg. */
const PARTNER_HEADERS = [CALL_ID_HEADER, 'variable_other_loopback_leg_uuid', 'Other-Leg-Unique-ID'] as const;
/** Where a new session looks for its call, in order: its partners, then FreeSWITCH's own call uuid. */
const GROUPING_HEADERS = [...PARTNER_HEADERS, 'Channel-Call-UUID', 'variable_call_uuid'] as const;

/** Events about one channel that update its Session (plus the channel events apps can handle). */
export function isSessionEvent(name: string): boolean {
  return name.startsWith('CHANNEL_') || name === 'CALL_UPDATE' || name === 'DTMF' || name.startsWith('PLAYBACK_') || name.startsWith('RECORD_');
}

/**
 * Folds channel events into Sessions and Calls, as switchio's EventListener does: which legs make
 * a call, when a call ends, the bounded history of ended calls, and resync after a (re)connect.
 * It never acts on the switch; it only asks (`show channels`, `uuid_exists`, `uuid_getvar`).
 *
 * An event is handled in two steps so the app runtime can act between them: `fold()` updates the
 * session and its call, then `complete()` ends them if the event ended them.
 */
export class CallTracker implements Disposable {
  /** Live sessions by uuid. */
  readonly sessions = new Map<string, Session>();
  /** Live calls by call uuid (for an originated call: the originated session's uuid). */
  readonly calls = new Map<string, Call>();
  /** Ended calls, oldest first, at most `historySize`. */
  readonly history: Call[] = [];
  readonly stats: ListenerStats = { sessionsCreated: 0, callsCreated: 0, failedSessions: 0, hangupCauses: new Map(), events: 0 };

  /** Which call a session uuid or a call-tracking id belongs to. */
  private readonly callIndex = new Map<string, Call>();
  /** Sessions whose own end we saw: straggling events must not re-create them. */
  private readonly recentlyEnded = new Set<string>();
  /** The event that created the latest session, whose strings the next one shares. */
  private lastCreating: EslEvent | undefined;
  private readonly store = new DisposableStore();

  private readonly _onDidCreateSession = this.store.add(new Emitter<Session>());
  readonly onDidCreateSession: Event<Session> = this._onDidCreateSession.event;
  private readonly _onDidChangeSession = this.store.add(new Emitter<{ session: Session; event: EslEvent }>());
  readonly onDidChangeSession: Event<{ session: Session; event: EslEvent }> = this._onDidChangeSession.event;
  private readonly _onDidEndSession = this.store.add(new Emitter<Session>());
  readonly onDidEndSession: Event<Session> = this._onDidEndSession.event;
  private readonly _onDidCreateCall = this.store.add(new Emitter<Call>());
  readonly onDidCreateCall: Event<Call> = this._onDidCreateCall.event;
  private readonly _onDidMergeCalls = this.store.add(new Emitter<{ into: Call; from: Call }>());
  readonly onDidMergeCalls: Event<{ into: Call; from: Call }> = this._onDidMergeCalls.event;
  private readonly _onDidEndCall = this.store.add(new Emitter<Call>());
  readonly onDidEndCall: Event<Call> = this._onDidEndCall.event;
  private readonly _onDidReleaseCall = this.store.add(new Emitter<Call>());
  /** Every session of a call has ended and left `sessions`: nothing of it remains live. */
  readonly onDidReleaseCall: Event<Call> = this._onDidReleaseCall.event;
  private readonly _onDidResync = this.store.add(new Emitter<{ sessions: number; calls: number }>());
  readonly onDidResync: Event<{ sessions: number; calls: number }> = this._onDidResync.event;

  constructor(
    /** What sessions act through (the listener). */
    private readonly host: SessionHost,
    /** `api <command>` on the event connection, raw body. */
    private readonly api: (command: string) => Promise<string>,
    private readonly historySize: number,
  ) {}

  // ---- Folding events ----

  /**
   * Updates the session `uuid` from one of its events, creating it (and grouping it into a call)
   * when it is new. Returns undefined for an event that must not create a session: an end we saw
   * already, an ending event of a session we never tracked, or one without a channel name.
   */
  fold(uuid: string, event: EslEvent): Session | undefined {
    let session = this.sessions.get(uuid);
    let created = false;
    if (!session) {
      const name = event.name;
      if (this.recentlyEnded.has(uuid) || ENDING_EVENTS.has(name) || !event.get('Channel-Name')) {
        // Remember an end we saw for a session we never tracked, so a resync in flight does not revive it.
        if (ENDING_EVENTS.has(name)) this.rememberEnded(uuid);
        return undefined;
      }
      session = this.createSession(uuid, event);
      created = true;
    }
    // A session built from this event already holds its headers: do not merge them twice.
    session.update(event, !created);
    const name = event.name;
    // A session created from this very event was grouped by its headers already.
    if (name === 'CHANNEL_CREATE' && !created) this.regroup(session);
    else if (name === 'CHANNEL_BRIDGE') this.mergeBridged(session, event);
    else if (name === 'CHANNEL_HANGUP_COMPLETE') {
      const cause = session.hangupCause ?? 'UNKNOWN';
      this.stats.hangupCauses.set(cause, (this.stats.hangupCauses.get(cause) ?? 0) + 1);
      if (!session.answered) this.stats.failedSessions++;
    }
    // Most listeners have no one watching every change: no object per event for nobody.
    if (this._onDidChangeSession.hasListeners) this._onDidChangeSession.fire({ session, event });
    return session;
  }

  /** Ends the session's call and the session itself if the event just folded ended them. */
  complete(session: Session): void {
    if (session.hangupCause !== undefined) this.maybeEndCall(session);
    if (session.ended) this.endSession(session);
  }

  /** Whether every session of the call has ended and left the live sessions. */
  isReleased(call: Call): boolean {
    return call.sessions.every((s) => s.ended || !this.sessions.has(s.uuid));
  }

  private createSession(uuid: string, headers: EslEvent | Readonly<Record<string, string>>): Session {
    if (headers instanceof EslEvent) {
      // Its headers stay with the session: the strings they repeat need not.
      headers.shareRepeatedValues(this.lastCreating);
      this.lastCreating = headers;
    }
    const session = new Session(uuid, headers, this.host);
    this.sessions.set(uuid, session);
    this.stats.sessionsCreated++;
    this.groupIntoCall(session);
    this._onDidCreateSession.fire(session);
    return session;
  }

  /**
   * Puts a session into its call: by our call-tracking variable (every leg of a call we originated
   * carries it; loopback legs inherit it), by its loopback partner, by FreeSWITCH's own call uuid,
   * or as the first session of a new call.
   */
  private groupIntoCall(session: Session): void {
    // The first grouping header; read once, as each read of a plain event's header is a scan.
    const trackingId = session.get(CALL_ID_HEADER);
    let call = this.callNamedBy(session, trackingId);
    for (let i = 1; !call && i < GROUPING_HEADERS.length; i++) call = this.callNamedBy(session, session.get(GROUPING_HEADERS[i]!));
    if (!call) {
      call = new Call(trackingId ?? session.uuid, session);
      this.calls.set(call.uuid, call);
      this.callIndex.set(call.uuid, call);
      this.stats.callsCreated++;
      if (call.uuid !== session.uuid) this.callIndex.set(session.uuid, call);
      this._onDidCreateCall.fire(call);
      return;
    }
    call.add(session);
    this.callIndex.set(session.uuid, call);
  }

  /**
   * A session first seen through an event that does not name its partner (subscribed to `ALL`,
   * FreeSWITCH sends CHANNEL_OUTGOING and CHANNEL_STATE before CHANNEL_CREATE) sits in a call of
   * its own; its CHANNEL_CREATE names the partner, and the two calls become one.
   */
  private regroup(session: Session): void {
    const own = session.call;
    for (const name of PARTNER_HEADERS) {
      const call = this.callNamedBy(session, session.get(name));
      if (call && own && call !== own) {
        this.mergeCalls(call, own);
        return;
      }
    }
  }

  /** The call a grouping header's value names, unless it names the session itself. */
  private callNamedBy(session: Session, key: string | undefined): Call | undefined {
    return key && key !== session.uuid ? this.callIndex.get(key) : undefined;
  }

  /** Bridged legs belong to one call: fold the other leg's call into this one. */
  private mergeBridged(session: Session, event: EslEvent): void {
    const otherUuid = event.get('Other-Leg-Unique-ID') ?? event.get('Bridge-B-Unique-ID');
    const other = otherUuid ? this.sessions.get(otherUuid) : undefined;
    if (session.call && other?.call) this.mergeCalls(session.call, other.call);
  }

  private mergeCalls(into: Call, from: Call): void {
    if (into === from || from.endedAt !== undefined || into.endedAt !== undefined) return;
    for (const s of from.sessions) {
      into.add(s);
      this.callIndex.set(s.uuid, into);
    }
    this.callIndex.set(from.uuid, into);
    this.calls.delete(from.uuid);
    this.stats.callsCreated--;
    this._onDidMergeCalls.fire({ into, from });
  }

  private maybeEndCall(session: Session): void {
    const call = session.call;
    if (!call || call.endedAt !== undefined || !call.ended) return;
    call.endedAt = session.hungupAt ?? Date.now();
    this.calls.delete(call.uuid);
    this.history.push(call);
    if (this.history.length > this.historySize) this.history.splice(0, this.history.length - this.historySize);
    this._onDidEndCall.fire(call);
  }

  /** `remember`: keep its uuid from being re-created by straggling events (its own end was seen). */
  private endSession(session: Session, remember = true): void {
    if (!this.sessions.delete(session.uuid)) return;
    const call = session.call;
    const released = call !== undefined && this.isReleased(call);
    if (call && released && call.endedAt !== undefined) {
      for (const s of call.sessions) this.callIndex.delete(s.uuid);
      this.callIndex.delete(call.uuid);
    }
    if (remember) this.rememberEnded(session.uuid);
    if (call && released) this._onDidReleaseCall.fire(call);
    this._onDidEndSession.fire(session);
  }

  private rememberEnded(uuid: string): void {
    this.recentlyEnded.add(uuid);
    if (this.recentlyEnded.size > RECENTLY_ENDED_LIMIT) {
      const oldest = this.recentlyEnded.values().next().value;
      if (oldest !== undefined) this.recentlyEnded.delete(oldest);
    }
  }

  // ---- Resync ----

  /**
   * Rebuilds sessions and calls after every (re)connect. `show channels` reads FreeSWITCH's core
   * database, which a background SQL thread writes in batches, so it lags the events both ways
   * (capture 22: a query right after an originate missed the new call in 10 of 10 rounds, and rows
   * stayed listed ~200 ms after their hangup). The list only names candidates; `uuid_exists`, which
   * asks the live session table, decides. A known session is ended only when FreeSWITCH says it is
   * gone (or by its own hangup events), a listed channel is added only when it exists, and nothing
   * a resync ends is remembered as ended: a later event for that uuid re-creates it.
   *
   * `onlyNew` looks for channels it does not know and leaves known sessions alone: for a second
   * pass while connected, when events have kept the known ones current.
   */
  async resync({ onlyNew = false }: { onlyNew?: boolean } = {}): Promise<void> {
    let rows: ChannelRow[];
    try {
      rows = parseChannelRows(await this.api('show channels as json'));
    } catch {
      // The connection went away again; the next ready resyncs.
      return;
    }
    const known = onlyNew ? [] : [...this.sessions.values()];
    const fresh = rows.filter((r) => !this.sessions.has(r.uuid) && !this.recentlyEnded.has(r.uuid));
    // One pipelined round: is each known session still there; for each new channel, does it exist,
    // and the variables that group legs and route to apps.
    const [knownExists, freshInfo] = await Promise.all([
      Promise.all(known.map((session) => this.existsQuietly(session.uuid))),
      Promise.all(fresh.map((row) => this.channelInfo(row))),
    ]);
    known.forEach((session, i) => {
      // Unknown (the connection dropped) keeps it; so does an end or a re-creation meanwhile.
      if (knownExists[i] !== false || this.sessions.get(session.uuid) !== session) return;
      session.hangupCause ??= 'UNKNOWN';
      session.ended = true;
      this.maybeEndCall(session);
      this.endSession(session, false);
    });
    fresh.forEach((row, i) => {
      const info = freshInfo[i]!;
      // Still listed but already gone (the list lags hangups too), or seen through its events, or
      // ended, while we asked.
      if (!info.exists || this.sessions.has(row.uuid) || this.recentlyEnded.has(row.uuid)) return;
      const headers = rowToHeaders(row);
      if (info.callId) headers[`variable_${CALL_ID_VAR}`] = info.callId;
      if (info.appId) headers[`variable_${APP_ID_VAR}`] = info.appId;
      if (info.otherLeg) headers['variable_other_loopback_leg_uuid'] = info.otherLeg;
      if (info.origCallerNumber) headers['Caller-Orig-Caller-ID-Number'] = info.origCallerNumber;
      const session = this.createSession(row.uuid, headers);
      if (row.answered) session.answeredAt = session.createdAt;
    });
    this._onDidResync.fire({ sessions: this.sessions.size, calls: this.calls.size });
  }

  /** Whether a channel exists; undefined when FreeSWITCH could not be asked. */
  private async existsQuietly(uuid: string): Promise<boolean | undefined> {
    try {
      const answer = (await this.api(`uuid_exists ${uuid}`)).trim();
      // Capture 19: exactly `true` or `false`, without a newline.
      return answer === 'true' ? true : answer === 'false' ? false : undefined;
    } catch {
      return undefined;
    }
  }

  private async channelInfo(row: ChannelRow): Promise<{ exists: boolean; callId?: string; appId?: string; otherLeg?: string; origCallerNumber?: string }> {
    const [exists, callId, appId, otherLeg, origCallerNumber] = await Promise.all([
      this.existsQuietly(row.uuid),
      this.getVarQuietly(row.uuid, CALL_ID_VAR),
      this.getVarQuietly(row.uuid, APP_ID_VAR),
      row.name.startsWith('loopback/') ? this.getVarQuietly(row.uuid, 'other_loopback_leg_uuid') : Promise.resolve(undefined),
      // show channels has the caller id after answer, which FreeSWITCH swaps on outbound legs.
      row.direction === 'outbound' ? this.getVarQuietly(row.uuid, 'origination_caller_id_number') : Promise.resolve(undefined),
    ]);
    return { exists: exists === true, callId, appId, otherLeg, origCallerNumber };
  }

  private async getVarQuietly(uuid: string, name: string): Promise<string | undefined> {
    try {
      const value = (await this.api(`uuid_getvar ${uuid} ${name}`)).replace(/\n$/, '');
      return value === '_undef_' || value.startsWith('-ERR') ? undefined : value;
    } catch {
      return undefined;
    }
  }

  dispose(): void {
    this.store.dispose();
  }
}

/** The fields of `show channels as json` we use. */
interface ChannelRow {
  uuid: string;
  direction: string;
  createdEpoch: number;
  name: string;
  state: string;
  cidName: string;
  cidNum: string;
  dest: string;
  callState: string;
  callUuid: string;
  answered: boolean;
}

/** Parses `show channels as json` (`{"row_count": 0}` when empty). Tolerates anything else as no rows. */
export function parseChannelRows(body: string): ChannelRow[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [];
  }
  const rows = (parsed as { rows?: unknown }).rows;
  if (!Array.isArray(rows)) return [];
  const out: ChannelRow[] = [];
  for (const r of rows as Array<Record<string, unknown>>) {
    const s = (k: string): string => (typeof r[k] === 'string' ? (r[k] as string) : '');
    if (!s('uuid')) continue;
    out.push({
      uuid: s('uuid'),
      direction: s('direction'),
      createdEpoch: Number(s('created_epoch')) || 0,
      name: s('name'),
      state: s('state'),
      cidName: s('cid_name'),
      cidNum: s('cid_num'),
      dest: s('dest'),
      callState: s('callstate'),
      callUuid: s('call_uuid'),
      answered: s('callstate') === 'ACTIVE' || s('callstate') === 'HELD',
    });
  }
  return out;
}

/** A `show channels` row as the event headers a Session reads. */
function rowToHeaders(row: ChannelRow): Record<string, string> {
  const headers: Record<string, string> = {
    'Unique-ID': row.uuid,
    'Call-Direction': row.direction,
    'Channel-Name': row.name,
    'Channel-State': row.state,
    'Channel-Call-State': row.callState,
    'Channel-Call-UUID': row.callUuid,
    'Caller-Caller-ID-Name': row.cidName,
    'Caller-Caller-ID-Number': row.cidNum,
    'Caller-Destination-Number': row.dest,
    'Caller-Channel-Created-Time': String(row.createdEpoch * 1_000_000),
  };
  return Object.setPrototypeOf(headers, null) as Record<string, string>;
}
