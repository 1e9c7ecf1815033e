import type { Session } from './session';

/**
 * The sessions that make up one call: the two legs of a loopback call, the legs of an originated
 * call (stamped with a call-tracking variable), and bridged legs.
 */
export class Call {
  private readonly _sessions: Session[];
  /** When the first session was created (ms since the epoch). */
  readonly createdAt: number;
  /** When the last live session hung up. */
  endedAt: number | undefined;

  constructor(
    /** The call's key: the uuid of its first session (for an originated call, the originated session). */
    readonly uuid: string,
    first: Session,
  ) {
    this.createdAt = first.createdAt;
    // Room for the first session only: an empty array's first push reserves 17 slots, and most
    // calls a listener holds at once have one or two legs.
    this._sessions = [first];
    first.setCall(this);
  }

  /** Every session of the call, in the order they appeared. */
  get sessions(): readonly Session[] {
    return this._sessions;
  }

  get first(): Session {
    return this._sessions[0]!;
  }

  get last(): Session {
    return this._sessions[this._sessions.length - 1]!;
  }

  /** The other leg of a two-leg call (or the session this one is bridged to). */
  peer(session: Session): Session | undefined {
    if (session.bridgedTo) {
      const bridged = this._sessions.find((s) => s.uuid === session.bridgedTo);
      if (bridged) return bridged;
    }
    return this._sessions.find((s) => s !== session);
  }

  /** True once every session has hung up. */
  get ended(): boolean {
    return this._sessions.every((s) => s.hangupCause !== undefined || s.ended);
  }

  /** The app handling the call, if any. */
  get appId(): string | undefined {
    for (const s of this._sessions) if (s.appId) return s.appId;
    return undefined;
  }

  /** Adds a session (the listener's job); idempotent. */
  add(session: Session): void {
    if (!this._sessions.includes(session)) this._sessions.push(session);
    session.setCall(this);
  }

  /** Hangs up every live session and resolves once all have completed hanging up. */
  async hangup(cause = 'NORMAL_CLEARING'): Promise<void> {
    await Promise.all(this._sessions.filter((s) => !s.ended).map((s) => s.hangup(cause)));
  }
}
