import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { CALL_RECORD_COLUMNS, recordToCsv, type CallRecord } from './callRecord';

/** Where the per-call records of a run go, as calls end. */
export interface CallRecordSink {
  write(record: CallRecord): void;
  /** Flushes and closes; resolves once everything is on disk. */
  close(): Promise<void>;
}

/**
 * Streams each ended call to `calls.csv` and `calls.jsonl` in a folder, so a run of an hour at
 * the top rate keeps only its aggregates in memory. Writes are buffered by the streams; `dropped`
 * counts records not written because the disk fell far behind (the run is never held up by it).
 */
export class FileRecordSink implements CallRecordSink {
  private readonly csv: WriteStream;
  private readonly jsonl: WriteStream;
  /** Records not written because more than `maxBufferedBytes` were waiting for the disk. */
  dropped = 0;
  private error: Error | undefined;

  constructor(
    readonly dir: string,
    private readonly maxBufferedBytes = 64 * 1024 * 1024,
  ) {
    mkdirSync(dir, { recursive: true });
    this.csv = createWriteStream(join(dir, 'calls.csv'));
    this.jsonl = createWriteStream(join(dir, 'calls.jsonl'));
    for (const s of [this.csv, this.jsonl]) s.on('error', (err) => (this.error ??= err));
    this.csv.write(`${CALL_RECORD_COLUMNS.join(',')}\n`);
  }

  write(record: CallRecord): void {
    if (this.error || this.csv.writableLength + this.jsonl.writableLength > this.maxBufferedBytes) {
      this.dropped++;
      return;
    }
    this.csv.write(`${recordToCsv(record)}\n`);
    this.jsonl.write(`${JSON.stringify(record)}\n`);
  }

  async close(): Promise<void> {
    await Promise.all([this.csv, this.jsonl].map((s) => new Promise<void>((resolve) => s.end(resolve))));
    if (this.error) throw this.error;
  }
}
