/**
 * A failed expectation: what was expected and what happened, and the call it is about (the runner
 * attaches that call's last events to the report).
 */
export class CallTestError extends Error {
  override readonly name: string = 'CallTestError';
  /** What the test expected, in words or as a value. */
  readonly expected: string | undefined;
  /** What happened instead. */
  readonly actual: string | undefined;
  /** The call (its first session's uuid) the expectation was about. */
  readonly callUuid: string | undefined;

  constructor(message: string, details: { expected?: string; actual?: string; callUuid?: string } = {}) {
    super(message);
    this.expected = details.expected;
    this.actual = details.actual;
    this.callUuid = details.callUuid;
  }
}

/** The per-test time limit passed. */
export class CallTestTimeoutError extends CallTestError {
  override readonly name = 'CallTestTimeoutError';
}
