import { FrameTooLargeError } from './errors';
import { emptyHeaders } from './event';

/** One ESL frame: outer headers in wire order (raw, not URL-decoded) and the body, if any. */
export interface EslFrame {
  headers: Record<string, string>;
  body: Buffer | undefined;
}

export interface FrameParserOptions {
  /** Largest header block or body accepted; beyond it the parser stops with an error. Default 64 MiB. */
  maxFrameBytes?: number;
}

export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

const LF = 0x0a;

/**
 * A pure ESL framer: bytes in, frames out. No sockets, no timers; never throws on input.
 *
 * A frame is `Name: value` header lines, a blank line, then `Content-Length` bytes of body when
 * that header is present. Bodies are collected as a list of chunks and joined once, so a large
 * `api/response` costs O(n), not O(n²) in the number of reads.
 */
export class FrameParser {
  private readonly maxFrameBytes: number;
  /** Unconsumed bytes while looking for the end of a header block. */
  private head: Buffer = Buffer.alloc(0);
  /** Where to resume the search for the blank line in `head`. */
  private searchFrom = 0;
  /** Set while the headers of a frame are parsed and its body is being collected. */
  private pending: { headers: Record<string, string>; length: number } | undefined;
  private bodyChunks: Buffer[] = [];
  private bodyBytes = 0;
  private failure: FrameTooLargeError | undefined;

  constructor(options: FrameParserOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /** Set once a frame exceeded the limit; the parser then ignores further input. */
  get error(): FrameTooLargeError | undefined {
    return this.failure;
  }

  /** Bytes received but not yet part of a complete frame. */
  get bufferedBytes(): number {
    return this.head.length + this.bodyBytes;
  }

  /**
   * Feeds a chunk (any split) and returns the frames it completed, in order. The parser takes
   * ownership of `chunk`: bodies may be views of it (no copy on the hot path), so the caller must
   * not reuse it. Socket reads never are.
   */
  push(chunk: Buffer): EslFrame[] {
    const frames: EslFrame[] = [];
    if (this.failure) return frames;
    let input: Buffer | undefined = chunk;
    while (input) {
      input = this.pending ? this.collectBody(input, frames) : this.readHeaders(input, frames);
    }
    return frames;
  }

  /** Appends body bytes; returns what is left of `input` after the body completes, if anything. */
  private collectBody(input: Buffer, frames: EslFrame[]): Buffer | undefined {
    const pending = this.pending!;
    const need = pending.length - this.bodyBytes;
    if (input.length < need) {
      this.bodyChunks.push(input);
      this.bodyBytes += input.length;
      return undefined;
    }
    this.bodyChunks.push(input.subarray(0, need));
    const body = this.bodyChunks.length === 1 ? this.bodyChunks[0]! : Buffer.concat(this.bodyChunks, pending.length);
    frames.push({ headers: pending.headers, body });
    this.pending = undefined;
    this.bodyChunks = [];
    this.bodyBytes = 0;
    return input.length > need ? input.subarray(need) : undefined;
  }

  /**
   * Adds `input` to the header buffer and, when a full header block is present, parses it: a frame
   * without a body is emitted at once, otherwise body collection starts. Returns the bytes after
   * the header block (start of the body or of the next frame), if any.
   */
  private readHeaders(input: Buffer, frames: EslFrame[]): Buffer | undefined {
    let buf = this.head.length === 0 ? input : Buffer.concat([this.head, input]);
    // FreeSWITCH separates frames with nothing, but tolerate stray newlines between them.
    let start = 0;
    while (start < buf.length && buf[start] === LF && this.searchFrom === 0) start++;
    if (start > 0) buf = buf.subarray(start);
    const end = findBlankLine(buf, this.searchFrom);
    if (end < 0) {
      if (buf.length > this.maxFrameBytes) {
        this.fail(buf.length);
        return undefined;
      }
      // Keep a private copy so the caller's chunk can be reused; resume the search near the end.
      this.head = this.head.length === 0 ? Buffer.from(buf) : buf;
      this.searchFrom = Math.max(0, buf.length - 1);
      return undefined;
    }
    this.head = Buffer.alloc(0);
    this.searchFrom = 0;
    const headers = parseHeaderBlock(buf, 0, end);
    const rest = end + 2 < buf.length ? buf.subarray(end + 2) : undefined;
    const lengthText = headers['Content-Length'];
    const length = lengthText === undefined ? 0 : parseContentLength(lengthText);
    if (end + 2 > this.maxFrameBytes || length > this.maxFrameBytes) {
      this.fail(Math.max(end + 2, length));
      return undefined;
    }
    if (length === 0) {
      frames.push({ headers, body: lengthText === undefined ? undefined : Buffer.alloc(0) });
      return rest;
    }
    this.pending = { headers, length };
    return rest;
  }

  private fail(size: number): void {
    this.failure = new FrameTooLargeError(size, this.maxFrameBytes);
    this.head = Buffer.alloc(0);
    this.pending = undefined;
    this.bodyChunks = [];
    this.bodyBytes = 0;
  }
}

/** Index of the first `\n\n` at or after `from`, or -1. */
function findBlankLine(buf: Buffer, from: number): number {
  let i = buf.indexOf(LF, from);
  while (i >= 0 && i + 1 < buf.length) {
    if (buf[i + 1] === LF) return i;
    i = buf.indexOf(LF, i + 1);
  }
  return -1;
}

/** Parses `Name: value` lines of buf[start, end). Lines without a colon are kept with an empty value. */
export function parseHeaderBlock(buf: Buffer, start: number, end: number): Record<string, string> {
  const headers = emptyHeaders();
  // Invalid UTF-8 becomes U+FFFD: toString never throws.
  const text = buf.toString('utf8', start, end);
  let pos = 0;
  while (pos <= text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    if (nl > pos) {
      let line = text.slice(pos, nl);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      const colon = line.indexOf(':');
      if (colon < 0) headers[line] = '';
      else {
        const valueStart = line.charCodeAt(colon + 1) === 0x20 ? colon + 2 : colon + 1;
        headers[line.slice(0, colon)] = line.slice(valueStart);
      }
    }
    pos = nl + 1;
  }
  return headers;
}

/** A Content-Length that is not plain decimal digits counts as 0 rather than desynchronise. */
function parseContentLength(text: string): number {
  const trimmed = text.trim();
  if (!/^\d{1,15}$/.test(trimmed)) return 0;
  return Number(trimmed);
}
