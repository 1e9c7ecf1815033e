/**
 * The time slider of an opened recording: drag it (or use the arrow keys) and the list shows the
 * events received up to that time. Hidden for a live server. Moves are coalesced to one request
 * per frame; the host answers with a snapshot.
 */
import type { RecordingPosition } from '../../shared/protocol/eventStream';
import { h, formatCount, icon } from '../common/dom';

function clock(ms: number): string {
  const total = Math.max(0, Math.round(ms));
  const m = Math.floor(total / 60_000);
  const s = Math.floor((total % 60_000) / 1000);
  return `${m}:${String(s).padStart(2, '0')}.${String(total % 1000).padStart(3, '0')}`;
}

export interface Scrubber {
  readonly el: HTMLElement;
  /** Shows the slider at `recording` (or hides it when undefined). */
  update(recording: RecordingPosition | undefined): void;
}

export function createScrubber(scrub: (atMs: number) => void): Scrubber {
  const range = h('input', { type: 'range', id: 'scrub', min: 0, max: 0, step: 1, value: 0, 'aria-label': 'Time in the recording' });
  const at = h('span', { class: 'scrub-at', id: 'scrub-at' });
  const info = h('span', { class: 'scrub-info', id: 'scrub-info' });
  const problem = h('span', { class: 'warn', id: 'scrub-problem', hidden: true });
  const el = h('div', { class: 'scrubber', id: 'scrubber', role: 'group', 'aria-label': 'Recording', hidden: true }, icon('record'), info, range, at, problem);
  let queued: number | undefined;
  let durationMs = 0;
  range.addEventListener('input', () => {
    const value = Number(range.value);
    at.textContent = `${clock(value)} / ${clock(durationMs)}`;
    if (queued === undefined) {
      requestAnimationFrame(() => {
        const v = Number(range.value);
        queued = undefined;
        scrub(v);
      });
      queued = value;
    }
  });
  return {
    el,
    update(recording) {
      el.hidden = recording === undefined;
      if (!recording) return;
      durationMs = recording.durationMs;
      range.max = String(Math.ceil(recording.durationMs));
      // The user's drag wins over a snapshot that answers an older position.
      if (queued === undefined && document.activeElement !== range) range.value = String(Math.round(recording.atMs));
      at.textContent = `${clock(recording.atMs)} / ${clock(recording.durationMs)}`;
      info.textContent = `${recording.label} · ${formatCount(recording.events)} events · started ${recording.startedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}${recording.endReason ? ` · ended: ${recording.endReason}` : ''}`;
      problem.hidden = recording.problem === undefined;
      problem.textContent = recording.problem ?? '';
    },
  };
}
