/**
 * How long the simulated switch "plays" a file. FreeSWITCH reads the real stream; the test server
 * only needs plausible durations so PLAYBACK_STOP and CHANNEL_EXECUTE_COMPLETE come at the right time.
 */

/**
 * Natural length of a playback in ms (Infinity = until interrupted):
 * `silence_stream://N` is N ms (-1 or 0 forever); `tone_stream://%(on,off,hz)…` is the sum of its
 * on/off times, times `loops=N` (-1 forever). Anything else (a file) is invented as 1 s.
 */
export function naturalDurationMs(path: string): number {
  const silence = /^silence_stream:\/\/(-?\d+)/.exec(path);
  if (silence) {
    const ms = Number(silence[1]);
    return ms > 0 ? ms : Number.POSITIVE_INFINITY;
  }
  if (path.startsWith('tone_stream://')) {
    const loops = /loops=(-?\d+)/.exec(path);
    const count = loops ? Number(loops[1]) : 1;
    if (count < 0) return Number.POSITIVE_INFINITY;
    let total = 0;
    for (const m of path.matchAll(/%\((\d+),(\d+)/g)) total += Number(m[1]) + Number(m[2]);
    return (total || 1000) * Math.max(1, count);
  }
  return 1000;
}

/**
 * `Playback-File-Type`: the file-interface prefix of the path. silence_stream is served by the core
 * and has none (capture 10 shows it without the header).
 */
export function playbackFileType(path: string): string | undefined {
  const m = /^([a-z_]+):\/\//.exec(path);
  if (!m || m[1] === 'silence_stream') return undefined;
  return m[1];
}
