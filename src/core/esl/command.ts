import { UnsafeInputError } from './errors';

const CR_OR_LF = /[\r\n]/;

/**
 * Rejects text that would break out of one ESL command: a CR or LF ends the command line or a
 * header early, and whatever follows runs as a second command (ESL command injection).
 */
export function assertSingleLine(what: string, value: string, options: { secret?: boolean } = {}): void {
  // A secret (the password) is never quoted back in the message.
  const shown = options.secret ? '' : `: ${JSON.stringify(truncate(value))}`;
  if (CR_OR_LF.test(value)) {
    throw new UnsafeInputError(`${what} contains a line break (CR or LF), which would inject a second ESL command${shown}`);
  }
  if (value.includes('\0')) {
    throw new UnsafeInputError(`${what} contains a NUL character${shown}`);
  }
}

function truncate(value: string): string {
  return value.length > 80 ? `${value.slice(0, 77)}...` : value;
}

/** A command ready to write: the command line, extra headers, and an optional body. */
export interface EslCommand {
  line: string;
  headers?: Readonly<Record<string, string>>;
  body?: string;
}

/**
 * Serialises a command after validating every part. A body is sent with `content-length` and may
 * hold anything, line breaks included (that is the safe way to send multi-line arguments).
 */
export function encodeCommand(command: EslCommand): Buffer {
  assertSingleLine('ESL command', command.line);
  let text = command.line + '\n';
  if (command.headers) {
    for (const [name, value] of Object.entries(command.headers)) {
      assertSingleLine('ESL header name', name);
      if (name.includes(':')) throw new UnsafeInputError(`ESL header name contains ':': ${JSON.stringify(name)}`);
      // FreeSWITCH frames the command by this header: a caller-supplied one would swallow the next command.
      if (name.toLowerCase() === 'content-length') throw new UnsafeInputError('ESL header content-length is set from the body, not by callers');
      assertSingleLine(`ESL header ${name}`, value);
      text += `${name}: ${value}\n`;
    }
  }
  if (command.body !== undefined) {
    const body = Buffer.from(command.body, 'utf8');
    const head = Buffer.from(`${text}content-length: ${body.length}\n\n`, 'utf8');
    return Buffer.concat([head, body]);
  }
  return Buffer.from(text + '\n', 'utf8');
}
