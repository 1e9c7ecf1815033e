import { Client } from '../client';
import type { ConnectionOptions, ConnectionStatus, StatusChange } from '../esl/connection';
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
 * EventListener (the listener subscribed to `LOAD_EVENTS` unless told otherwise), connected
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
  constructor(servers: readonly PoolServerOptions[] | { members: readonly PoolMember[] }, options: { events?: readonly string[] } = {}) {
    if ('members' in servers) {
      this.members = [...servers.members];
      this.owned = false;
    } else {
      if (servers.length === 0) throw new RangeError('a pool needs at least one server');
      this.members = servers.map((s) => {
        const name = s.name ?? `${s.host}:${s.port ?? 8021}`;
        const listener = new EventListener({ ...s, events: options.events ?? LOAD_EVENTS });
        const client = new Client({ ...s, listener });
        return { name, client, listener };
      });
      this.owned = true;
    }
    const names = new Set<string>();
    for (const m of this.members) {
      if (names.has(m.name)) throw new RangeError(`two servers of the pool are named ${m.name}: give each a distinct name`);
      names.add(m.name);
      this.store.add(m.listener.onDidChangeStatus((change) => this._onDidChangeStatus.fire({ member: m, change })));
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
  async evalAll(command: string, options: { timeoutMs?: number } = {}): Promise<MultiEvalResult[]> {
    return Promise.all(
      this.members.map(async (m): Promise<MultiEvalResult> => {
        try {
          if (!isReady(m)) throw new Error(`not connected (${m.client.status})`);
          return { server: m.name, ok: true, result: await m.client.cmd(command, options) };
        } catch (err) {
          return { server: m.name, ok: false, error: err instanceof Error ? err : new Error(String(err)) };
        }
      }),
    );
  }

  /** Calls, sessions, failures and hangup causes per server and in total. */
  counts(): PoolCounts {
    const servers = this.members.map((m): ServerCounts => {
      const s = m.listener.stats;
      return {
        server: m.name,
        status: m.listener.status,
        calls: m.listener.calls.size,
        sessions: m.listener.sessions.size,
        callsCreated: s.callsCreated,
        sessionsCreated: s.sessionsCreated,
        failedSessions: s.failedSessions,
        hangupCauses: Object.fromEntries(s.hangupCauses),
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

function isReady(m: PoolMember): boolean {
  return m.listener.status === 'ready' && m.client.status === 'ready';
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
