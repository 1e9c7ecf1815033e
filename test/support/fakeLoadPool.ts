import { Emitter, EslEvent, Job, ServerPool, type ConnectionStatus, type OriginateOptions, type PoolMember, type StatusChange } from '../../src/core';
import type { ManualClock } from './manualClock';

/** How the fake switch treats one originate. */
export interface FakeCallPlan {
  /** ms from the originate to the answer; undefined: never answers. */
  answerMs?: number;
  /** Fail the originate with this cause after `failMs` (no channel when `noChannel`). */
  failCause?: string;
  failMs?: number;
  noChannel?: boolean;
}

/**
 * A server without sockets for unit tests of the Originator: originates become Jobs settled on
 * the manual clock, and the events a loopback call would produce (CREATE a/b, ANSWER a/b,
 * HANGUP_COMPLETE a/b) are fed to the listener's subscribers. `uuid_kill` and `hupall … var value`
 * hang calls up.
 */
export class FakeMember {
  readonly name: string;
  status: ConnectionStatus = 'ready';
  readonly originates: { uuid: string; destination: string; options: OriginateOptions; at: number }[] = [];
  readonly apis: string[] = [];
  /** Calls up (answered or ringing) by uuid, with their tag. */
  readonly up = new Map<string, { vars: Record<string, string>; job?: Job | undefined }>();
  plan: (n: number) => FakeCallPlan = () => ({ answerMs: 10 });
  /** Hangups that happen but whose events are lost. */
  loseHangupEvents = false;
  private readonly events = new Emitter<EslEvent>();
  private readonly statusEmitter = new Emitter<StatusChange>();

  constructor(
    private readonly clock: ManualClock,
    name: string,
  ) {
    this.name = name;
  }

  /** The PoolMember the Originator sees. */
  get member(): PoolMember {
    const status = (): ConnectionStatus => this.status;
    const listener = {
      get status() {
        return status();
      },
      onDidChangeStatus: this.statusEmitter.event,
      onDidReceiveEvent: this.events.event,
      stats: { sessionsCreated: 0, callsCreated: 0, failedSessions: 0, hangupCauses: new Map(), events: 0 },
      calls: new Map(),
      sessions: new Map(),
    };
    const client = {
      get status() {
        return status();
      },
      onDidChangeStatus: this.statusEmitter.event,
      originate: (destination: string, options: OriginateOptions) => this.originate(destination, options),
      api: (command: string) => Promise.resolve(this.api(command)),
      cmd: (command: string) => Promise.resolve(this.api(command).replace(/\n$/, '')),
    };
    return (this._member ??= { name: this.name, client, listener } as unknown as PoolMember);
  }
  private _member: PoolMember | undefined;

  setStatus(to: ConnectionStatus): void {
    const from = this.status;
    this.status = to;
    this.statusEmitter.fire({ from, to });
  }

  private originate(destination: string, options: OriginateOptions): Job {
    const uuid = options.uuid!;
    const n = this.originates.length;
    this.originates.push({ uuid, destination, options, at: this.clock.now() });
    const job = new Job(`job-${n}`, `originate ${destination}`, uuid);
    const plan = this.plan(n);
    const vars: Record<string, string> = { fsdev_call_id: uuid };
    for (const [k, v] of Object.entries(options.variables ?? {})) vars[k] = String(v);
    const b = `${uuid}-b`;
    if (plan.failCause) {
      this.clock.setTimeout(() => {
        if (!plan.noChannel) {
          this.emit('CHANNEL_CREATE', uuid, vars);
          this.emit('CHANNEL_HANGUP_COMPLETE', uuid, vars, plan.failCause);
        }
        job.complete(`-ERR ${plan.failCause}\n`);
      }, plan.failMs ?? 1);
      return job;
    }
    // The channels exist from their CHANNEL_CREATE on (1 ms after the originate).
    this.clock.setTimeout(() => {
      this.up.set(uuid, { vars, job });
      this.emit('CHANNEL_CREATE', uuid, vars);
      this.emit('CHANNEL_CREATE', b, vars);
    }, 1);
    if (plan.answerMs !== undefined) {
      this.clock.setTimeout(() => {
        if (!this.up.has(uuid)) return;
        this.up.get(uuid)!.job = undefined;
        this.emit('CHANNEL_ANSWER', b, vars);
        this.emit('CHANNEL_ANSWER', uuid, vars);
        job.complete(`+OK ${uuid}\n`);
      }, plan.answerMs);
    }
    return job;
  }

  private api(command: string): string {
    this.apis.push(command);
    const kill = /^uuid_kill (\S+) (\S+)$/.exec(command);
    if (kill) {
      this.hangup(kill[1]!, kill[2]!);
      return '+OK\n';
    }
    const hupall = /^hupall (\S+) (\S+) (\S+)$/.exec(command);
    if (hupall) {
      for (const [uuid, call] of [...this.up]) if (call.vars[hupall[2]!] === hupall[3]) this.hangup(uuid, hupall[1]!);
      return `+OK hangup all channels with cause ${hupall[1]}\n`;
    }
    if (command === 'status') return '0 session(s) - peak 0, last 5min 0 \n30 session(s) per Sec out of max 30, peak 0, last 5min 0 \n1000 session(s) max\n';
    if (command === 'show application as json') return JSON.stringify({ row_count: 2, rows: [{ name: 'park' }, { name: 'echo' }] });
    return '+OK\n';
  }

  /** Hangs a call up from the far end (or for a kill): HANGUP_COMPLETE of both legs, a little later. */
  hangup(uuid: string, cause = 'NORMAL_CLEARING'): void {
    const call = this.up.get(uuid);
    if (!call) return;
    this.up.delete(uuid);
    if (this.loseHangupEvents) return;
    this.clock.setTimeout(() => {
      this.emit('CHANNEL_HANGUP_COMPLETE', uuid, call.vars, cause);
      this.emit('CHANNEL_HANGUP_COMPLETE', `${uuid}-b`, call.vars, cause);
      // Hung up before it was answered: the originate fails with that cause.
      call.job?.complete(`-ERR ${cause}\n`);
    }, 2);
  }

  private emit(name: string, uuid: string, vars: Record<string, string>, cause?: string): void {
    const headers: Record<string, string> = { 'Event-Name': name, 'Unique-ID': uuid };
    for (const [k, v] of Object.entries(vars)) headers[`variable_${k}`] = v;
    if (cause) headers['Hangup-Cause'] = cause;
    this.events.fire(new EslEvent(headers));
  }
}

/** A ServerPool over fake members. */
export function fakePool(clock: ManualClock, names: string[]): { pool: ServerPool; members: FakeMember[] } {
  const members = names.map((n) => new FakeMember(clock, n));
  return { pool: new ServerPool({ members: members.map((m) => m.member) }), members };
}
