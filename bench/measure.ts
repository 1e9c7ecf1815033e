/**
 * One measurement, in its own process (forked by esl.bench.ts) so that peak RSS belongs to one
 * client and the client never shares an event loop with the fake server. The job comes as JSON in
 * argv[2]; the result goes back over IPC.
 */
import { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { decodeEventFrame, type EventFormat } from '../src/core/esl/event';
import { FrameParser } from '../src/core/esl/parser';
import { CALLER_NAMES, MARKER_SUBCLASS, buildWorkload, encodeEvents, freeswitchUrlEncode } from './workload';
import { PASSWORD, clientById, type EventSink, type OpenClient } from './clients';

export interface Sizing {
  warmup: number;
  /** Measured events: fixed, or `undefined` to size from the warm-up rate. */
  events?: number;
  targetMs: number;
  min: number;
  max: number;
}

export type Job =
  | ({ kind: 'events'; client: string; format: EventFormat; port: number } & Sizing)
  | ({ kind: 'sink'; format: EventFormat; port: number } & Sizing)
  | ({ kind: 'reference'; format: EventFormat; mode: 'framing' | 'decode'; repeats: number } & Sizing)
  | { kind: 'bigbody'; client: string; port: number; bytes: number; runs: number };

export interface EventsResult {
  kind: 'events';
  events: number;
  seconds: number;
  rate: number;
  /** Events per CPU-second of this (client) process: robust when other work shares the machine. */
  cpuRate: number;
  /** Events the server sent that the client did not deliver. */
  lost: number;
  /** Decoded caller names were exactly the 12 sent (checked in the warm-up). */
  namesOk: boolean;
  /** Every Unique-ID was distinct (checked in the warm-up). */
  uuidsOk: boolean;
  note?: string;
}

export interface RatesResult {
  kind: 'rates';
  events: number;
  rates: number[];
  cpuRates: number[];
}

export interface BigBodyResult {
  kind: 'bigbody';
  seconds: number[];
  bytesOk: boolean;
}

export type Outcome = (EventsResult | RatesResult | BigBodyResult) & { baseRssKb: number; maxRssKb: number };

const baseRssKb = Math.round(process.memoryUsage().rss / 1024);

function sized(s: Sizing, warmupRate: number): number {
  if (s.events !== undefined) return s.events;
  const n = Math.round((warmupRate * s.targetMs) / 1000 / 1000) * 1000;
  return Math.max(s.min, Math.min(s.max, n));
}

/** Counts events between a trigger and the marker; in checking mode also records names and uuids. */
class CountingSink implements EventSink {
  count = 0;
  checksum = 0;
  checking = false;
  readonly names = new Set<string>();
  readonly uuids = new Set<string>();
  private resolveDone: ((sent: number) => void) | undefined;

  event(uuid: string | null | undefined, callerName: string | null | undefined): void {
    this.count++;
    // Touch what was read so the work cannot be optimised away.
    this.checksum += (uuid?.length ?? 0) + (callerName?.length ?? 0);
    if (this.checking) {
      this.names.add(callerName ?? '<none>');
      this.uuids.add(uuid ?? '<none>');
    }
  }

  done(sent: number): void {
    this.resolveDone?.(sent);
    this.resolveDone = undefined;
  }

  whenDone(): Promise<number> {
    return new Promise((resolve) => (this.resolveDone = resolve));
  }
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
}

async function blast(client: OpenClient, sink: CountingSink, n: number): Promise<{ seconds: number; cpu: number; sent: number; got: number }> {
  sink.count = 0;
  const done = sink.whenDone();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const ack = await client.api(`bench_blast ${n}`);
  if (!ack.startsWith('+OK')) throw new Error(`bench_blast refused: ${ack.trim()}`);
  const sent = await done;
  return { seconds: (performance.now() - t0) / 1000, cpu: cpuSeconds(c0), sent, got: sink.count };
}

async function runEvents(job: Extract<Job, { kind: 'events' }>): Promise<EventsResult> {
  const driver = clientById(job.client);
  const sink = new CountingSink();
  const client = await driver.open(job.port, job.format, sink);
  sink.checking = true;
  const warm = await blast(client, sink, job.warmup);
  sink.checking = false;
  const expected = new Set(CALLER_NAMES);
  const namesOk = sink.names.size === expected.size && [...sink.names].every((n) => expected.has(n));
  const uuidsOk = sink.uuids.size === job.warmup;
  const n = sized(job, warm.got / warm.seconds);
  const run = await blast(client, sink, n);
  const note = client.describe?.();
  await client.close();
  const result: EventsResult = {
    kind: 'events',
    events: n,
    seconds: run.seconds,
    rate: run.got / run.seconds,
    cpuRate: run.got / run.cpu,
    lost: warm.sent - warm.got + (run.sent - run.got),
    namesOk,
    uuidsOk,
  };
  if (note) result.note = note;
  return result;
}

/** A raw socket that reads and drops bytes: the fake server's own ceiling. */
async function runSink(job: Extract<Job, { kind: 'sink' }>): Promise<EventsResult> {
  const socket = new Socket();
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(job.port, '127.0.0.1', resolve);
  });
  const needle = Buffer.from(job.format === 'json' ? MARKER_SUBCLASS : freeswitchUrlEncode(MARKER_SUBCLASS), 'latin1');
  let tail = Buffer.alloc(0);
  let onMarker: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    // The marker may straddle two reads: search the end of the previous one too.
    const hay = tail.length ? Buffer.concat([tail, chunk]) : chunk;
    if (onMarker && hay.indexOf(needle) >= 0) {
      const f = onMarker;
      onMarker = undefined;
      tail = Buffer.alloc(0);
      f();
      return;
    }
    tail = Buffer.from(hay.subarray(Math.max(0, hay.length - needle.length)));
  });
  socket.write(`auth ${PASSWORD}\n\nevent ${job.format} CHANNEL_CREATE\n\n`);
  const run = async (n: number) => {
    const marker = new Promise<void>((resolve) => (onMarker = resolve));
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    socket.write(`api bench_blast ${n}\n\n`);
    await marker;
    return { seconds: (performance.now() - t0) / 1000, cpu: cpuSeconds(c0) };
  };
  const warm = await run(job.warmup);
  const n = sized(job, job.warmup / warm.seconds);
  const { seconds, cpu } = await run(n);
  socket.end();
  return { kind: 'events', events: n, seconds, rate: n / seconds, cpuRate: n / cpu, lost: 0, namesOk: true, uuidsOk: true };
}

/** FrameParser (and optionally decodeEventFrame) on an in-memory stream cut into 64 KiB reads. */
function runReference(job: Extract<Job, { kind: 'reference' }>): RatesResult {
  const w = buildWorkload(job.format);
  const stream = encodeEvents(w, 1, 4096);
  const chunks: Buffer[] = [];
  for (let pos = 0; pos < stream.length; pos += 65536) chunks.push(stream.subarray(pos, pos + 65536));
  const decode = job.mode === 'decode';
  let checksum = 0;
  const pass = (parser: FrameParser, target: number): number => {
    let count = 0;
    while (count < target) {
      for (const chunk of chunks) {
        const frames = parser.push(chunk);
        if (!decode) count += frames.length;
        else {
          for (const frame of frames) {
            const d = decodeEventFrame(frame);
            if (d.ok) {
              count++;
              checksum += (d.event.uuid?.length ?? 0) + (d.event.get('Caller-Caller-ID-Name')?.length ?? 0);
            }
          }
        }
      }
    }
    return count;
  };
  const parser = new FrameParser();
  let t0 = performance.now();
  const warm = pass(parser, job.warmup);
  const n = sized(job, warm / ((performance.now() - t0) / 1000));
  const rates: number[] = [];
  const cpuRates: number[] = [];
  for (let r = 0; r < job.repeats; r++) {
    const c0 = process.cpuUsage();
    t0 = performance.now();
    const count = pass(parser, n);
    rates.push(count / ((performance.now() - t0) / 1000));
    cpuRates.push(count / cpuSeconds(c0));
  }
  if (checksum < 0) console.log(checksum);
  return { kind: 'rates', events: n, rates, cpuRates };
}

async function runBigBody(job: Extract<Job, { kind: 'bigbody' }>): Promise<BigBodyResult> {
  const sink = new CountingSink();
  const client = await clientById(job.client).open(job.port, undefined, sink);
  // Warm the api path with a small body first.
  await client.api('bench_body 1024');
  const seconds: number[] = [];
  let bytesOk = true;
  for (let r = 0; r < job.runs; r++) {
    const t0 = performance.now();
    const body = await client.api(`bench_body ${job.bytes}`);
    seconds.push((performance.now() - t0) / 1000);
    if (body.length !== job.bytes) bytesOk = false;
  }
  await client.close();
  return { kind: 'bigbody', seconds, bytesOk };
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '') as Job;
  const result =
    job.kind === 'events'
      ? await runEvents(job)
      : job.kind === 'sink'
        ? await runSink(job)
        : job.kind === 'reference'
          ? runReference(job)
          : await runBigBody(job);
  const outcome: Outcome = { ...result, baseRssKb, maxRssKb: process.resourceUsage().maxRSS };
  process.send!(outcome, () => process.exit(0));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
