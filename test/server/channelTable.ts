/**
 * The core database's channel table, which `show channels` and `show calls` read. FreeSWITCH writes
 * it from a background SQL thread in batches while events go out at once, so the table lags the
 * events (capture 22): a query sent right after an originate missed the new call's rows in 10 of 10
 * rounds although both CHANNEL_CREATE events had arrived, at 50 ms it was still behind in 7 of 10,
 * at 200 ms it was current; after hupall it listed every row for about 200 ms more.
 */
import type { SimChannel } from './channel';

/**
 * How far the table lags: `0` reads the live channels (no lag), a number of ms is the SQL thread's
 * batch interval (the table is refreshed that often), `'manual'` refreshes only on `sync()` (tests
 * that replay an exact lag).
 */
export type ChannelTableLag = number | 'manual';

export class ChannelTable {
  /** The rows as of the last batch; undefined while the table is live. */
  private snapshot: SimChannel[] | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly live: () => Iterable<SimChannel>,
    lag: ChannelTableLag,
  ) {
    if (lag === 0) return;
    this.sync();
    if (typeof lag === 'number') {
      this.timer = setInterval(() => this.sync(), lag);
      this.timer.unref();
    }
  }

  /** The channels the table holds, in creation order. A destroyed channel stays until the next batch. */
  rows(): SimChannel[] {
    return this.snapshot ?? this.current();
  }

  /** Writes the pending batch: the table now matches the live channels. */
  sync(): void {
    this.snapshot = this.current();
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private current(): SimChannel[] {
    return [...this.live()].filter((c) => !c.destroyed);
  }
}
