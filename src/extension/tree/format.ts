import type { Call } from '../../core';

/** `m:ss` or `h:mm:ss`. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
}

/** "caller → destination", from the call's first leg. */
export function callLabel(call: Call): string {
  const first = call.first;
  // FreeSWITCH swaps an outbound leg's caller and callee at answer; the Orig fields keep who called.
  const caller = first.get('Caller-Orig-Caller-ID-Number') || first.callerIdNumber || first.callerIdName || 'unknown';
  const destination = first.destination || call.last.destination || '?';
  return `${caller} → ${destination}`;
}

/** The call's state as one word: the most advanced state of its legs. */
export function callState(call: Call): string {
  const states = call.sessions.map((s) => s.callState);
  for (const s of ['ACTIVE', 'HELD', 'EARLY', 'RINGING', 'HANGUP']) if (states.includes(s)) return s;
  return states[0] ?? 'DOWN';
}

