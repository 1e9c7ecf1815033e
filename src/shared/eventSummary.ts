/**
 * One-line summaries of FreeSWITCH events for list rows and timeline markers. Pure functions over
 * decoded headers, shared by the host (which builds rows) and tests.
 */
import type { TimelineKind } from './protocol/timeline';

/** Decoded headers of one event (null-prototype maps work too). */
export type Headers = Readonly<Record<string, string | undefined>>;

/** Longest text put in a row cell; the detail pane has the full value. */
export const ROW_TEXT_LIMIT = 300;

/** Cuts `text` to `limit` characters, marking the cut with `…`. */
export function clip(text: string, limit = ROW_TEXT_LIMIT): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

/** The first 8 characters of a uuid, as fs_cli and the tree show them. */
export function shortUuid(uuid: string | undefined): string {
  return uuid ? uuid.slice(0, 8) : '';
}

/**
 * Who called, as caller ID name and number: the one rule for the Servers tree, the event stream
 * and the timeline. FreeSWITCH flips an outbound leg's caller and callee IDs when it is answered
 * (switch_channel_flip_cid, `variable_channel_cid_flipped: yes`): its CHANNEL_CREATE has the
 * caller in `Caller-Caller-ID-*`, its later events the callee there and the caller in
 * `Caller-Callee-ID-*`; `Caller-Orig-Caller-ID-*` keeps the caller throughout (captures 11, 16).
 */
export function callerIdOf(h: Headers): { name: string; number: string } {
  // The Orig pair is taken as a pair: FreeSWITCH leaves empty headers out, so in a session's merged
  // headers a caller or callee name from before the flip lingers (capture 16: an empty caller name).
  const origName = h['Caller-Orig-Caller-ID-Name'];
  const origNumber = h['Caller-Orig-Caller-ID-Number'];
  if (origName || origNumber) return { name: origName ?? '', number: origNumber ?? '' };
  const flipped = h['variable_channel_cid_flipped'] === 'yes';
  const name = (flipped ? h['Caller-Callee-ID-Name'] : h['Caller-Caller-ID-Name']) || '';
  const number = (flipped ? h['Caller-Callee-ID-Number'] : h['Caller-Caller-ID-Number']) || h['variable_effective_caller_id_number'] || '';
  return { name, number };
}

/** Who called as one text: `Alice (5103)`, or the name or number alone when there is one or they are equal. */
export function callerText(h: Headers): string {
  const { name, number } = callerIdOf(h);
  return name && number && name !== number ? `${name} (${number})` : name || number;
}

/** The number dialled (`Caller-Destination-Number`; a flip leaves it as it was). */
export function destinationOf(h: Headers): string {
  return h['Caller-Destination-Number'] || h['variable_destination_number'] || '';
}

/** What the row says about the event after its name: state, cause, application, job result … */
export function summarize(name: string, h: Headers, body: string): string {
  switch (name) {
    case 'CHANNEL_HANGUP':
    case 'CHANNEL_HANGUP_COMPLETE':
      return h['Hangup-Cause'] ?? '';
    case 'CHANNEL_EXECUTE':
      return [h['Application'], h['Application-Data']].filter(Boolean).join(' ');
    case 'CHANNEL_EXECUTE_COMPLETE':
      return [h['Application'], h['Application-Data'], h['Application-Response'] ? `→ ${h['Application-Response']}` : ''].filter(Boolean).join(' ');
    case 'CHANNEL_CALLSTATE':
      return `${h['Original-Channel-Call-State'] ?? '?'} → ${h['Channel-Call-State'] ?? '?'}`;
    case 'CHANNEL_STATE':
      return h['Channel-State'] ?? '';
    case 'CHANNEL_BRIDGE':
    case 'CHANNEL_UNBRIDGE':
      return `${shortUuid(h['Bridge-A-Unique-ID'])} ↔ ${shortUuid(h['Bridge-B-Unique-ID'] ?? h['Other-Leg-Unique-ID'])}`;
    case 'DTMF':
      return `digit ${h['DTMF-Digit'] ?? '?'} (${h['DTMF-Duration'] ?? '?'})`;
    case 'BACKGROUND_JOB': {
      const firstLine = body.split('\n', 1)[0] ?? '';
      return [h['Job-Command'], h['Job-Command-Arg'], firstLine ? `→ ${firstLine}` : ''].filter(Boolean).join(' ');
    }
    case 'HEARTBEAT':
      return `${h['Up-Time'] ?? ''} · ${h['Session-Count'] ?? '?'} sessions`;
    case 'API':
      return [h['API-Command'], h['API-Command-Argument']].filter(Boolean).join(' ');
    case 'CUSTOM':
      return h['Channel-State'] ?? h['status'] ?? h['username'] ?? '';
    default:
      return h['Channel-State'] ?? h['Answer-State'] ?? '';
  }
}

/** How the timeline draws an event, and the short label under its marker. */
export function timelineKind(name: string, h: Headers): { kind: TimelineKind; label: string } {
  switch (name) {
    case 'CHANNEL_CREATE':
      return { kind: 'create', label: 'created' };
    case 'CHANNEL_PROGRESS':
      return { kind: 'ringing', label: 'ringing' };
    case 'CHANNEL_PROGRESS_MEDIA':
      return { kind: 'ringing', label: 'early media' };
    case 'CHANNEL_ANSWER':
      return { kind: 'answer', label: 'answered' };
    case 'CHANNEL_BRIDGE':
      return { kind: 'bridge', label: 'bridged' };
    case 'CHANNEL_UNBRIDGE':
      return { kind: 'unbridge', label: 'unbridged' };
    case 'CHANNEL_EXECUTE':
      return { kind: 'execute', label: clip(h['Application'] ?? 'app', 40) };
    case 'DTMF':
      return { kind: 'dtmf', label: clip(`DTMF ${h['DTMF-Digit'] ?? '?'}`, 20) };
    case 'CHANNEL_HANGUP':
      return { kind: 'hangup', label: clip(h['Hangup-Cause'] ?? 'hangup', 40) };
    case 'CHANNEL_CALLSTATE':
      return { kind: 'state', label: clip(h['Channel-Call-State'] ?? '', 20) };
    case 'CHANNEL_PARK':
      return { kind: 'state', label: 'parked' };
    default:
      return { kind: 'other', label: clip(name.replace(/^CHANNEL_/, '').toLowerCase(), 30) };
  }
}

/** Characters that change how text around them is shown without being visible themselves. */
const INVISIBLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

/**
 * Splits text into plain runs and invisible or bidi-control characters, so the detail pane can show
 * the latter as visible `U+XXXX` marks (a zero-width space or right-to-left override in a caller
 * name is a spoofing trick, and the developer should see it).
 */
export function splitInvisible(text: string): Array<{ text: string; invisible: boolean }> {
  const parts: Array<{ text: string; invisible: boolean }> = [];
  let last = 0;
  for (const m of text.matchAll(INVISIBLE)) {
    const i = m.index ?? 0;
    if (i > last) parts.push({ text: text.slice(last, i), invisible: false });
    parts.push({ text: `U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`, invisible: true });
    last = i + m[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last), invisible: false });
  return parts;
}
