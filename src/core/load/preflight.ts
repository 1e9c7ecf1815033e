/**
 * Before a run: does each server admit the sessions the run needs? FreeSWITCH refuses sessions
 * beyond `sessions-per-second` and `max-sessions` with `-ERR DESTINATION_OUT_OF_ORDER` and no
 * channel event (capture 17), which looks like a broken network unless you know. The preflight
 * reads both from `status`, says what the run needs, and gives the exact commands that would raise
 * them; it changes nothing unless asked to (`fsctl` changes last until FreeSWITCH restarts).
 */

/** The numbers `status` reports (capture 17). */
export interface SwitchStatus {
  /** `N session(s) - peak …`: sessions up now. */
  sessions: number;
  /** `… session(s) per Sec out of max M`: sessions-per-second. */
  sessionsPerSecond: number;
  /** `M session(s) max`. */
  maxSessions: number;
}

/**
 * Reads `api status`:
 * `0 session(s) - peak 40, last 5min 20 `, `-975 session(s) per Sec out of max 5, peak 995, …`,
 * `5000 session(s) max`. Undefined when a number is missing (not FreeSWITCH's status).
 */
export function parseStatus(text: string): SwitchStatus | undefined {
  const sessions = /^\s*(-?\d+) session\(s\) - peak/m.exec(text);
  const sps = /session\(s\) per Sec out of max (\d+)/.exec(text);
  const max = /^\s*(\d+) session\(s\) max/m.exec(text);
  if (!sessions || !sps || !max) return undefined;
  return { sessions: Number(sessions[1]), sessionsPerSecond: Number(sps[1]), maxSessions: Number(max[1]) };
}

/** What one server must admit for the run. */
export interface ServerNeeds {
  /** Calls per second this server receives. */
  rate: number;
  /** Calls up at once on this server. */
  concurrent: number;
  /** Sessions each call takes on this server (a loopback call: 2). */
  sessionsPerCall: number;
}

/** The preflight verdict for one server. */
export interface ServerPreflight {
  server: string;
  /** What `status` said; undefined when it could not be read (then `error`). */
  status?: SwitchStatus;
  error?: string;
  needs: ServerNeeds;
  /** sessions-per-second the run needs: the calls of a second's tick, one spare call, and the token FreeSWITCH keeps back. */
  neededSessionsPerSecond: number;
  /** max-sessions the run needs on top of the sessions already up. */
  neededMaxSessions: number;
  /** Empty when the server admits the run. */
  problems: string[];
  /** The commands that would raise the limits (`fsctl sps N`, `fsctl max_sessions N`). */
  commands: string[];
}

/** The preflight of a whole run. */
export interface PreflightResult {
  ok: boolean;
  servers: ServerPreflight[];
}

/**
 * The limits a server needs for `needs`: a tick of N tokens admits N − 1 sessions (see the test
 * server's sessionLimits.ts), and a uniformly paced schedule can put one call more than the mean
 * into a tick that is not aligned with it, so sps ≥ (ceil(rate) + 1) × sessions per call + 1.
 */
export function neededLimits(needs: ServerNeeds, sessionsUp = 0): { sessionsPerSecond: number; maxSessions: number } {
  return {
    sessionsPerSecond: (Math.ceil(needs.rate) + 1) * needs.sessionsPerCall + 1,
    maxSessions: sessionsUp + Math.ceil(needs.concurrent) * needs.sessionsPerCall,
  };
}

/** Judges one server's `status` text against what the run needs. */
export function judgeServer(server: string, statusText: string | Error, needs: ServerNeeds): ServerPreflight {
  const base = { server, needs, problems: [] as string[], commands: [] as string[] };
  if (statusText instanceof Error) {
    const limits = neededLimits(needs);
    return { ...base, error: statusText.message, neededSessionsPerSecond: limits.sessionsPerSecond, neededMaxSessions: limits.maxSessions, problems: [`${server}: could not read its limits (api status: ${statusText.message})`] };
  }
  const status = parseStatus(statusText);
  if (!status) {
    const limits = neededLimits(needs);
    return { ...base, error: 'api status did not report sessions per second and max sessions', neededSessionsPerSecond: limits.sessionsPerSecond, neededMaxSessions: limits.maxSessions, problems: [`${server}: api status did not report its session limits`] };
  }
  const limits = neededLimits(needs, Math.max(0, status.sessions));
  const result: ServerPreflight = { ...base, status, neededSessionsPerSecond: limits.sessionsPerSecond, neededMaxSessions: limits.maxSessions };
  const perCall = needs.sessionsPerCall === 1 ? 'a session' : `${needs.sessionsPerCall} sessions`;
  if (status.sessionsPerSecond < limits.sessionsPerSecond) {
    result.problems.push(
      `${server}: sessions-per-second is ${status.sessionsPerSecond}; ${fmt(needs.rate)} calls/s at ${perCall} each needs ${limits.sessionsPerSecond} ` +
        `(FreeSWITCH would refuse the rest with DESTINATION_OUT_OF_ORDER)`,
    );
    result.commands.push(`fsctl sps ${limits.sessionsPerSecond}`);
  }
  if (status.maxSessions < limits.maxSessions) {
    result.problems.push(
      `${server}: max-sessions is ${status.maxSessions}; ${Math.ceil(needs.concurrent)} calls at ${perCall} each` +
        `${status.sessions > 0 ? ` plus the ${status.sessions} up now` : ''} need ${limits.maxSessions}`,
    );
    result.commands.push(`fsctl max_sessions ${limits.maxSessions}`);
  }
  return result;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}
