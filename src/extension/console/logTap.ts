import type { Disposable, Event, LogLine } from '../../core';

/** The part of a core `Connection` that streams FreeSWITCH's log. */
export interface LogSource {
  setLogLevel(level: number | undefined): Promise<void>;
  readonly onDidReceiveLog: Event<LogLine>;
}

/**
 * The taps on one connection. FreeSWITCH keeps a single log level per ESL connection, so the level
 * asked for is the most verbose any tap wants; `nolog` once none wants any.
 */
class LogLevelShare {
  private readonly taps = new Set<LogTap>();
  private requested: number | undefined;

  constructor(private readonly source: LogSource) {}

  add(tap: LogTap): void {
    this.taps.add(tap);
  }

  remove(tap: LogTap): Promise<void> {
    this.taps.delete(tap);
    return this.apply();
  }

  /** Sends `log <max>` or `nolog` when the most verbose wanted level changed. */
  apply(): Promise<void> {
    let max: number | undefined;
    for (const tap of this.taps) {
      if (tap.level !== undefined && (max === undefined || tap.level > max)) max = tap.level;
    }
    if (max === this.requested) return Promise.resolve();
    this.requested = max;
    return this.source.setLogLevel(max);
  }
}

/**
 * Shares are per connection, and the connection is the key: the log level is the connection's
 * state, so whoever taps it (console, log channel) must see the same share. A WeakMap lets a
 * replaced connection go with its share.
 */
const shares = new WeakMap<LogSource, LogLevelShare>();

/**
 * One consumer's view of a connection's log: lines at or below its own level, whatever level the
 * connection streams at for the others. Dispose to stop; the connection stops logging when no tap
 * wants it any more.
 */
export class LogTap implements Disposable {
  private _level: number | undefined;
  private readonly share: LogLevelShare;
  private readonly subscription: Disposable;
  private disposed = false;

  constructor(source: LogSource, onLine: (line: LogLine) => void) {
    let share = shares.get(source);
    if (!share) {
      share = new LogLevelShare(source);
      shares.set(source, share);
    }
    this.share = share;
    share.add(this);
    this.subscription = source.onDidReceiveLog((line) => {
      if (this._level !== undefined && line.level <= this._level) onLine(line);
    });
  }

  /** 0–7, or undefined when this tap wants no log. */
  get level(): number | undefined {
    return this._level;
  }

  /** Changes this tap's level; resolves once the connection's level (if it changed) is applied. */
  setLevel(level: number | undefined): Promise<void> {
    if (this.disposed) return Promise.resolve();
    this._level = level;
    return this.share.apply();
  }

  /** Stops the tap; settles once the connection's level is updated (rejects if FreeSWITCH refused). */
  close(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    this.disposed = true;
    this._level = undefined;
    this.subscription.dispose();
    return this.share.remove(this);
  }

  /** Stops the tap without waiting: a failed `nolog` on a connection going away is of no interest. */
  dispose(): void {
    this.close().catch(() => undefined);
  }
}
