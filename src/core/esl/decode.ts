const PERCENT = 0x25;

/** Value of one hex digit (character code), or -1. */
function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * URL-decodes a FreeSWITCH header value without ever throwing. A `%` not followed by two hex digits
 * stays as it is; decoded bytes that are not valid UTF-8 become U+FFFD. (`decodeURIComponent`
 * throws on both, which loses the whole event.) `+` is left alone: FreeSWITCH encodes spaces as `%20`.
 */
export function decodeValue(raw: Buffer, start: number, end: number): string {
  const pct = raw.indexOf(PERCENT, start);
  if (pct < 0 || pct >= end) return raw.toString('utf8', start, end);
  const out = Buffer.allocUnsafe(end - start);
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = raw[i]!;
    if (c === PERCENT && i + 2 < end) {
      const hi = hexValue(raw[i + 1]!);
      const lo = hexValue(raw[i + 2]!);
      if (hi >= 0 && lo >= 0) {
        out[n++] = (hi << 4) | lo;
        i += 2;
        continue;
      }
    }
    out[n++] = c;
  }
  return out.toString('utf8', 0, n);
}

/** Decodes a string value (for callers that hold text rather than bytes). */
export function decodeText(text: string): string {
  if (!text.includes('%')) return text;
  // Fast path for well-formed input; decodeURIComponent throws on a bad escape or invalid UTF-8.
  try {
    return decodeURIComponent(text);
  } catch {
    // Fall through to the tolerant byte decoder.
  }
  const bytes = Buffer.from(text, 'utf8');
  return decodeValue(bytes, 0, bytes.length);
}
