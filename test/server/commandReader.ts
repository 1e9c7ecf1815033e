/**
 * Splits a client's byte stream into ESL commands the way read_packet() in mod_event_socket.c does:
 * a packet ends at two newlines (a `\r` between them does not count), the first line is the command,
 * the following `name: value` lines are headers, and a `content-length` header makes the next N
 * bytes the body (sendmsg's application argument, sendevent's body).
 */

/** One command as the server parsed it. */
export interface ClientCommand {
  /** The first line, without its line ending, e.g. `api status`. */
  readonly line: string;
  /** Further `name: value` lines, in order (sendmsg's call-command, bgapi's Job-UUID…). */
  readonly headers: readonly (readonly [string, string])[];
  /** The content-length body, if any. */
  readonly body: string | undefined;
}

/** First header of that name, case-insensitively. */
export function commandHeader(command: ClientCommand, name: string): string | undefined {
  const lower = name.toLowerCase();
  return command.headers.find(([n]) => n.toLowerCase() === lower)?.[1];
}

// read_packet() gives up on a header block this long and parses what it has.
const MAX_HEADER_BYTES = 10 * 1024 * 1024;

export class CommandReader {
  private head: number[] = [];
  private newlines = 0;
  private pending: { line: string; headers: (readonly [string, string])[]; length: number } | undefined;
  private body: Buffer[] = [];
  private bodyBytes = 0;

  /** Feeds received bytes; returns the commands they completed, in order. */
  push(chunk: Buffer): ClientCommand[] {
    const done: ClientCommand[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (this.pending) {
        const need = this.pending.length - this.bodyBytes;
        const take = chunk.subarray(i, i + need);
        this.body.push(take);
        this.bodyBytes += take.length;
        i += take.length;
        if (this.bodyBytes === this.pending.length) {
          const { line, headers } = this.pending;
          done.push({ line, headers, body: Buffer.concat(this.body).toString('utf8') });
          this.pending = undefined;
          this.body = [];
          this.bodyBytes = 0;
        }
        continue;
      }
      const b = chunk[i++]!;
      // "bah": line endings before a command are skipped.
      if (this.head.length === 0 && (b === 0x0a || b === 0x0d)) continue;
      this.head.push(b);
      if (b === 0x0a) this.newlines++;
      else if (b !== 0x0d) this.newlines = 0;
      if (this.newlines === 2 || this.head.length >= MAX_HEADER_BYTES) {
        const command = this.parseHead(Buffer.from(this.head).toString('utf8'));
        this.head = [];
        this.newlines = 0;
        if (command) done.push(command);
      }
    }
    return done;
  }

  /** Parses a header block; a positive content-length starts body collection instead of completing. */
  private parseHead(text: string): ClientCommand | undefined {
    const lines = text.split(/\r?\n|\r/);
    const line = lines[0] ?? '';
    const headers: (readonly [string, string])[] = [];
    let length = 0;
    for (const raw of lines.slice(1)) {
      if (raw === '') continue;
      const colon = raw.indexOf(':');
      // A line without a colon has no value and read_packet() drops it.
      if (colon < 0) continue;
      const name = raw.slice(0, colon);
      const value = raw.slice(colon + 1).replace(/^ +/, '');
      headers.push([name, value]);
      if (name.toLowerCase() === 'content-length') length = Number.parseInt(value, 10) || 0;
    }
    if (length > 0) {
      this.pending = { line, headers, length };
      return undefined;
    }
    return { line, headers, body: undefined };
  }
}
