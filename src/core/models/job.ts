import { CommandTimeoutError, JobError } from '../esl/errors';

/**
 * A background job (`bgapi`): awaitable, settled by its BACKGROUND_JOB event. For an originate,
 * `sessUuid` is the originated session's uuid, known before the job is sent.
 */
export class Job implements PromiseLike<string> {
  private _result: string | undefined;
  private _error: Error | undefined;
  private _completedAt: number | undefined;
  private readonly settled: Promise<string>;
  private resolveFn!: (value: string) => void;
  private rejectFn!: (err: Error) => void;
  readonly launchedAt = Date.now();

  constructor(
    /** The `Job-UUID` we generated for the bgapi. */
    readonly uuid: string,
    /** The API command, e.g. `originate {…}loopback/9196 &park`. */
    readonly command: string,
    /** For an originate: the originated session's uuid (`origination_uuid`). */
    readonly sessUuid?: string,
    /** The app whose callbacks receive the originated call's events. */
    readonly appId?: string,
  ) {
    this.settled = new Promise<string>((resolve, reject) => {
      this.resolveFn = resolve;
      this.rejectFn = reject;
    });
    // A job nobody awaits must not crash the process with an unhandled rejection.
    this.settled.catch(() => undefined);
  }

  /** True once FreeSWITCH reported the result (or the job could not be sent). */
  get ready(): boolean {
    return this._result !== undefined || this._error !== undefined;
  }

  /** `undefined` while running; then whether it succeeded. */
  get successful(): boolean | undefined {
    return this.ready ? this._error === undefined : undefined;
  }

  /** The result text without the `+OK ` prefix (for an originate, the session uuid). */
  get result(): string | undefined {
    return this._result;
  }

  /** Why the job failed, e.g. a `JobError` with cause `NO_ROUTE_DESTINATION`. */
  get error(): Error | undefined {
    return this._error;
  }

  /** When the job settled (ms since the epoch). */
  get completedAt(): number | undefined {
    return this._completedAt;
  }

  /**
   * Resolves to the result (for an originate: the session uuid) or rejects with a `JobError`
   * carrying FreeSWITCH's cause. With `timeoutMs`, rejects with `CommandTimeoutError` if the job
   * has not settled by then (the job itself keeps running).
   */
  get(timeoutMs?: number): Promise<string> {
    if (timeoutMs === undefined || this.ready) return this.settled;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new CommandTimeoutError(`bgapi ${this.command}`, timeoutMs)), timeoutMs);
      this.settled.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(timer);
          reject(e);
        },
      );
    });
  }

  then<T1 = string, T2 = never>(
    onfulfilled?: ((value: string) => T1 | PromiseLike<T1>) | null,
    onrejected?: ((reason: unknown) => T2 | PromiseLike<T2>) | null,
  ): Promise<T1 | T2> {
    return this.settled.then(onfulfilled, onrejected);
  }

  /** Settles from a BACKGROUND_JOB body: `+OK …` succeeds, `-ERR <CAUSE>` fails. Only the first call counts. */
  complete(body: string): void {
    if (this.ready) return;
    this._completedAt = Date.now();
    const text = body.replace(/\n$/, '');
    if (text.startsWith('-ERR')) {
      const cause = text.slice(4).trim() || 'UNKNOWN';
      this.fail(new JobError(this.uuid, this.command, cause, text));
      return;
    }
    this._result = text.startsWith('+OK') ? text.slice(3).trim() : text;
    this.resolveFn(this._result);
  }

  /** Fails the job without a BACKGROUND_JOB (it could not be sent). */
  fail(error: Error): void {
    if (this.ready) return;
    this._completedAt ??= Date.now();
    this._error = error;
    this.rejectFn(error);
  }
}
