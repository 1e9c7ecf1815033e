// What the Servers tree shows for calls and sessions, as plain text. No vscode: unit tests run it.
import type { Call, Session } from '../../core';
import { callerIdOf, callerText, splitInvisible } from '../../shared/eventSummary';

/**
 * Text with every invisible or bidi-control character replaced by a visible `[U+XXXX]` mark, the
 * same characters the webviews mark (shared `splitInvisible`). Tree labels, descriptions,
 * tooltips and quick picks are plain text with no styling, so the mark is spelled out: a caller
 * name `Alice\u202Egnp.exe` reads `Alice[U+202E]gnp.exe`, not `Aliceexe.png`.
 */
export function neutralise(text: string): string {
  if (text === '') return text;
  return splitInvisible(text)
    .map((part) => (part.invisible ? `[${part.text}]` : part.text))
    .join('');
}

/** `m:ss` or `h:mm:ss`. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
}

/**
 * A call's age for its row: whole minutes (`<1 min`, `4 min`, `1 h 05 min`). The row is redrawn
 * only when this text changes, at most once a minute, because every redraw cancels a hover on the
 * row (see docs/architecture.md); the tooltip has the exact duration.
 */
export function formatAge(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 1) return '<1 min';
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** Local wall-clock time `HH:MM:SS` of an epoch time in ms. */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/**
 * Who placed the call, from its first leg, as fs_cli's `cid_name`/`cid_num`. FreeSWITCH swaps an
 * outbound leg's caller and callee at answer (switch_channel_flip_cid); the Orig fields, or the
 * callee fields once `channel_cid_flipped` is set, keep who called.
 */
export function callerOf(session: Session): { name: string; number: string } {
  // One rule with the event stream and the timeline (src/shared/eventSummary.ts).
  return callerIdOf(session.headers);
}

/** `Alice (5103) → 9664` (or `5103 → 9664` without a name), neutralised: safe to show as text. */
export function callLabel(call: Call): string {
  const caller = callerText(call.first.headers) || 'unknown';
  const destination = call.first.destination || call.last.destination || '?';
  return neutralise(`${caller} → ${destination}`);
}

/** The call's state as one word: the most advanced state of its legs. */
export function callState(call: Call): string {
  const states = call.sessions.map((s) => s.callState);
  for (const s of ['ACTIVE', 'HELD', 'EARLY', 'RINGING', 'HANGUP']) if (states.includes(s)) return s;
  return states[0] ?? 'DOWN';
}

/** A call row's description: `ACTIVE · 4 min`. */
export function callDescription(call: Call, now: number): string {
  return `${callState(call)} · ${formatAge(now - call.createdAt)}`;
}

/** A call row's tooltip, computed when the user hovers it (exact duration at that moment). */
export function callTooltipLines(call: Call, now: number): string[] {
  const first = call.first;
  const answered = call.sessions.map((s) => s.answeredAt).filter((t): t is number => t !== undefined);
  const lines = [
    callLabel(call),
    `${callState(call)} for ${formatDuration(now - call.createdAt)} (created ${formatClock(call.createdAt)}${answered.length ? `, answered ${formatClock(Math.min(...answered))}` : ''})`,
    `${call.sessions.length} ${call.sessions.length === 1 ? 'session' : 'sessions'}: ${call.sessions.map((s) => neutralise(s.channelName || s.uuid)).join(', ')}`,
    `Call ${neutralise(call.uuid)}`,
  ];
  const { name } = callerOf(first);
  if (name) lines.push(`Caller name: ${neutralise(name)}`);
  if (call.appId) lines.push(`App ${neutralise(call.appId)}`);
  return lines;
}

/** A session row's label: its channel name, or uuid before FreeSWITCH named it. */
export function sessionLabel(session: Session): string {
  return neutralise(session.channelName || session.uuid);
}

/** `outbound · ACTIVE` (`· NORMAL_CLEARING` once hung up). */
export function sessionDescription(session: Session): string {
  return neutralise(`${session.direction} · ${session.callState}${session.hangupCause ? ` · ${session.hangupCause}` : ''}`);
}

/** Key headers for a session tooltip, neutralised; empty values are left out. */
export function sessionTooltipRows(session: Session): Array<[string, string]> {
  const rows: Array<[string, string | undefined]> = [
    ['UUID', session.uuid],
    ['Channel', session.channelName],
    ['Direction', session.direction],
    ['State', `${session.state} / ${session.callState}`],
    ['Caller ID', `${session.callerIdName} <${session.callerIdNumber}>`],
    ['Destination', session.destination],
    ['Context', session.get('Caller-Context')],
    ['Application', session.get('Application') ?? session.get('variable_current_application')],
    ['Hangup cause', session.hangupCause],
  ];
  return rows.filter((row): row is [string, string] => !!row[1]).map(([name, value]) => [name, neutralise(value)]);
}
