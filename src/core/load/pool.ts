import { Client } from '../client';
import type { ConnectionOptions, ConnectionStatus, StatusChange } from '../esl/connection';
import type { EslEvent } from '../esl/event';
import { EventListener } from '../listener';
import { DisposableStore, Emitter, type Disposable, type Event } from '../util/lifecycle';

/** The events a load run measures: creation, progress, answer, bridge and end of each leg, and job results. */
export const LOAD_EVENTS = [
  'BACKGROUND_JOB',
  'CHANNEL_CREATE',
  'CHANNEL_PROGRESS',
  'CHANNEL_PROGRESS_MEDIA',
  'CHANNEL_ANSWER',
  'CHANNEL_BRIDGE',
  'CHANNEL_HANGUP_COMPLETE',
  'HEARTBEAT',
] as const;

/** What a pool counts of one server, from its events: bounded by the sessions up. */
class EventCounts {
  readonly live = new Set<string>();
  readonly liveCalls = new Set<string>();
  readonly answered = new Set<string>();
  sessionsCreated = 0;
  callsCreated = 0;
  failedSessions = 0;
  readonly hangupCauses = new Map<string, number>();

  fold(e: EslEvent): void {
    const uuid = e.uuid;
    if (!uuid) return;
    switch (e.name) {
      case 'CHANNEL_CREATE':
        if (this.live.has(uuid)) return;
        this.live.add(uuid);
        this.sessionsCreated++;
        if (startsCall(e, uuid)) {
          this.liveCalls.add(uuid);
          this.callsCreated++;
        }
        break;
      case 'CHANNEL_ANSWER':
        if (this.live.has(uuid)) this.answered.add(uuid);
        break;
      case 'CHANNEL_HANGUP_COMPLETE': {
        const cause = e.get('Hangup-Cause') ?? 'UNKNOWN';
        this.hangupCauses.set(cause, (this.hangupCauses.get(cause) ?? 0) + 1);
        if (!this.answered.delete(uuid)) this.failedSessions++;
        this.live.delete(uuid);
        this.liveCalls.delete(uuid);
        break;
      }
    }
  }

  /** The connection dropped: what was up is not known any more. */
  forgetLive(): void {
    this.live.clear();
    this.liveCalls.clear();
    this.answered.clear();
  }
}

/**
 * Whether a new session is the first leg of a call: not a loopback b-leg, not a leg originated by
 * another (a bridge), not a leg of a call we originated under another uuid.
 */
function startsCall(e: EslEvent, uuid: string): boolean {
  if (e.get('variable_loopback_leg') === 'B') return false;
  if (e.get('variable_originator') || e.get('variable_originating_leg_uuid')) return false;
  const callId = e.get('variable_fsdev_call_id');
  return callId === undefined || callId === uuid;
}

/** One server of a pool. */
export interface PoolServerOptions extends ConnectionOptions {
  /** Shown in counts and records. Default `host:port`. */
  name?: string;
}

/** A server of the pool: its name and its Client + EventListener pair (two ESL connections). */
export interface PoolMember {
  readonly name: string;
  readonly client: Client;
  readonly listener: EventListener;
}

/** Calls, sessions and failures seen on one server (from its listener). */
export interface ServerCounts {
  server: string;
  status: ConnectionStatus;
  /** Calls and sessions up now. */
  calls: number;
  sessions: number;
  /** Since the listener connected. */
  callsCreated: number;
  sessionsCreated: number;
  /** Sessions that hung up without being answered. */
  failedSessions: number;
  hangupCauses: Record<string, number>;
}

export interface PoolCounts {
  servers: ServerCounts[];
  total: Omit<ServerCounts, 'server' | 'status'>;
}

/** One server's answer to a command run on every server. */
export type MultiEvalResult = { server: string; ok: true; result: string } | { server: string; ok: false; error: Error };

/**
 * N FreeSWITCH servers driven together, as switchio's SlavePool: each its own Client and
 * EventListener (subscribed to `LOAD_EVENTS`, not folding Sessions and Calls, unless told otherwise), connected
 * together, with counts per server and in total, and `evalAll` to run one API command on every
 * server (switchio's MultiEval).
 */
export class ServerPool implements Disposable {
  readonly members: readonly PoolMember[];
  private readonly store = new DisposableStore();
  private readonly owned: boolean;
  private readonly _onDidChangeStatus = this.store.add(new Emitter<{ member: PoolMember; change: StatusChange }>());
  /** A member's event connection changed status (ready, reconnecting, closed…). */
  readonly onDidChangeStatus: Event<{ member: PoolMember; change: StatusChange }> = this._onDidChangeStatus.event;

  /**
   * Builds a Client and an EventListener for each server. Or pass existing pairs (`members`), which
   * the pool then uses but does not connect, disconnect or dispose.
   */
  private readonly tallies = new Map<PoolMember, EventCounts>();

  /**
   * `trackCalls` (default false) is the listeners' (see EventListenerOptions): a load pool reads
   * each event once for its records and counts, and needs no Session and Call models.
   */
  constructor(servers: readonly PoolServerOptions[] | { members: readonly PoolMember[] }, options: { events?: readonly string[]; trackCalls?: boolean } = {}) {
    if ('members' in servers) {
      this.members = [...servers.members];
      this.owned = false;
    } else {
      if (servers.length === 0) throw new RangeError('a pool needs at least one server');
      this.members = servers.map((s) => {
        const name = s.name ?? `${s.host}:${s.port ?? 8021}`;
        const listener = new EventListener({ ...s, events: options.events ?? LOAD_EVENTS, trackCalls: options.trackCalls ?? false });
        const client = new Client({ ...s, listener });
        return { name, client, listener };
      });
      this.owned = true;
    }
    const names = new Set<string>();
    for (const m of this.members) {
      if (names.has(m.name)) throw new RangeError(`two servers of the pool are named ${m.name}: give each a distinct name`);
      names.add(m.name);
      const counts = new EventCounts();
      this.tallies.set(m, counts);
      this.store.add(m.listener.onDidReceiveEvent((e) => counts.fold(e)));
      this.store.add(
        m.listener.onDidChangeStatus((change) => {
          if (change.to === 'reconnecting' || change.to === 'closed') counts.forgetLive();
          this._onDidChangeStatus.fire({ member: m, change });
        }),
      );
    }
  }

  /** Members whose listener and client are both ready. */
  get ready(): PoolMember[] {
    return this.members.filter(isReady);
  }

  member(name: string): PoolMember | undefined {
    return this.members.find((m) => m.name === name);
  }

  /**
   * Connects every server at once (listener first, then client, per server). Rejects with every
   * failure named if any server fails; the others stay connected (disconnect() closes them).
   */
  async connect(): Promise<void> {
    const results = await Promise.allSettled(
      this.members.map(async (m) => {
        if (m.listener.status !== 'ready') await m.listener.connect();
        if (m.client.status !== 'ready') await m.client.connect();
      }),
    );
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${this.members[i]!.name}: ${errorText(r.reason)}`] : []));
    if (failed.length > 0) throw new Error(`could not connect to ${failed.length} of ${this.members.length} servers: ${failed.join('; ')}`);
  }

  async disconnect(): Promise<void> {
    if (!this.owned) return;
    await Promise.allSettled(this.members.flatMap((m) => [m.client.disconnect(), m.listener.disconnect()]));
  }

  /** Runs `api <command>` on every ready server; each answer (or error) is reported per server. */
  evalAll(command: string, options: { timeoutMs?: number } = {}): Promise<MultiEvalResult[]> {
    return evalAll(this.members, command, options);
  }

  /**
   * Calls, sessions, failures and hangup causes per server and in total, as the pool saw them in
   * the servers' events (since it connected; what was up across a reconnect is forgotten).
   */
  counts(): PoolCounts {
    const servers = this.members.map((m): ServerCounts => {
      const c = this.tallies.get(m)!;
      return {
        server: m.name,
        status: m.listener.status,
        calls: c.liveCalls.size,
        sessions: c.live.size,
        callsCreated: c.callsCreated,
        sessionsCreated: c.sessionsCreated,
        failedSessions: c.failedSessions,
        hangupCauses: Object.fromEntries(c.hangupCauses),
      };
    });
    const total = { calls: 0, sessions: 0, callsCreated: 0, sessionsCreated: 0, failedSessions: 0, hangupCauses: {} as Record<string, number> };
    for (const s of servers) {
      total.calls += s.calls;
      total.sessions += s.sessions;
      total.callsCreated += s.callsCreated;
      total.sessionsCreated += s.sessionsCreated;
      total.failedSessions += s.failedSessions;
      for (const [cause, n] of Object.entries(s.hangupCauses)) total.hangupCauses[cause] = (total.hangupCauses[cause] ?? 0) + n;
    }
    return { servers, total };
  }

  dispose(): void {
    this.store.dispose();
    if (!this.owned) return;
    for (const m of this.members) {
      m.client.dispose();
      m.listener.dispose();
    }
  }
}

/**
 * Runs `api <command>` on every member at once (switchio's MultiEval), each answer or error per
 * member, in their order. For pairs a pool does not need to own or count (a group of servers).
 */
export function evalAll(members: readonly PoolMember[], command: string, options: { timeoutMs?: number } = {}): Promise<MultiEvalResult[]> {
  return Promise.all(
    members.map(async (m): Promise<MultiEvalResult> => {
      try {
        if (!isReady(m)) throw new Error(`not connected (${m.client.status})`);
        return { server: m.name, ok: true, result: await m.client.cmd(command, options) };
      } catch (err) {
        return { server: m.name, ok: false, error: err instanceof Error ? err : new Error(String(err)) };
      }
    }),
  );
}

function isReady(m: PoolMember): boolean {
  return m.listener.status === 'ready' && m.client.status === 'ready';
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
