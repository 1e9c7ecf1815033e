/** Base class of every error the ESL client raises, so callers can catch them as one kind. */
export class EslError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** FreeSWITCH answered `-ERR invalid` to our `auth`: the password (or user) is wrong. Not retried. */
export class AuthError extends EslError {}

/** FreeSWITCH sent `text/rude-rejection`: the event socket's ACL does not admit this address. Not retried. */
export class AccessDeniedError extends EslError {}

/** The TCP connection and authentication did not complete in time. */
export class ConnectTimeoutError extends EslError {}

/** The connection closed (or was never open) while a command waited for its reply. */
export class ConnectionClosedError extends EslError {}

/** A command got no reply within its timeout. The late reply, if any, is discarded. */
export class CommandTimeoutError extends EslError {
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    super(`no reply to "${command}" within ${timeoutMs} ms`);
  }
}

/** A frame exceeded the configured maximum size; the connection is closed rather than buffer it. */
export class FrameTooLargeError extends EslError {
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`ESL frame of ${size} bytes exceeds the ${limit}-byte limit; closing the connection`);
  }
}

/**
 * A command, header or value could not be sent safely: it holds CR or LF (which would end the ESL
 * command early and let the rest run as a second command) or another character that cannot be
 * made safe. Raised before anything is written.
 */
export class UnsafeInputError extends EslError {}

/** FreeSWITCH answered a command with `-ERR …`; `reply` is its text without the `-ERR ` prefix. */
export class CommandError extends EslError {
  constructor(
    readonly command: string,
    readonly reply: string,
  ) {
    super(`${command}: -ERR ${reply}`);
  }
}

/** An `api` command answered `-ERR …`; `response` is FreeSWITCH's full text (e.g. `-ERR not Command not found!`). */
export class ApiError extends EslError {
  constructor(
    readonly command: string,
    readonly response: string,
  ) {
    super(response.trim() || `${command}: empty error response`);
  }
}

/** A background job (`bgapi`, originate) failed; `cause` is FreeSWITCH's reason, e.g. `NO_ROUTE_DESTINATION`. */
export class JobError extends EslError {
  constructor(
    readonly jobUuid: string,
    readonly command: string,
    override readonly cause: string,
    readonly response: string,
  ) {
    super(`${command}: ${response.trim() || cause}`);
  }
}
