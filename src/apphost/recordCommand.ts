/**
 * `fsdev record --server host:port --out calls.fsrec.jsonl`: records what an ESL connection
 * receives (events, and the commands it sends with their replies) until Ctrl-C or a limit.
 * `fsdev serve --record` uses the same recording connection and adds its apps' commands.
 */
import { parseArgs } from 'node:util';
import { Connection, EslRecorder } from '../core';

export const RECORD_USAGE = `usage: fsdev record --server host:port --out calls.fsrec.jsonl [--password P] [--user U]
                    [--events "ALL" | "CHANNEL_CREATE CHANNEL_ANSWER …"] [--max-mb 100] [--max-seconds 3600]

  Records until Ctrl-C, or until the file reaches --max-mb or the time --max-seconds.
  The password may come from $FREESWITCH_PASSWORD (default ClueCon).
  This records this connection only. Apps run elsewhere (fsdev serve, VS Code) send their commands
  on their own connections: to replay a call into an app, record it with
  fsdev serve --app ./app.ts --record calls.fsrec.jsonl (or VS Code's Record Events).
`;

/** Where and how long to record. */
export interface RecordingTarget {
  host: string;
  port: number;
  password: string;
  user?: string;
  /** Event names to subscribe to, e.g. `['ALL']`. */
  events: string[];
  path: string;
  maxBytes: number;
  maxMs: number;
}

/** Opens a connection of its own for the recording (subscribed to `events`) and starts recording it. */
export async function startRecording(target: RecordingTarget): Promise<{ connection: Connection; recorder: EslRecorder }> {
  const connection = new Connection({ host: target.host, port: target.port, password: target.password, ...(target.user !== undefined ? { user: target.user } : {}) });
  try {
    await connection.connect();
    await connection.subscribe(target.events);
    const recorder = await EslRecorder.start(connection, { path: target.path, maxBytes: target.maxBytes, maxMs: target.maxMs });
    return { connection, recorder };
  } catch (err) {
    connection.dispose();
    throw err;
  }
}

/** `--max-mb` and `--max-seconds` as the recorder's limits. */
export function recordingLimits(maxMbText: string, maxSecondsText: string): { maxBytes: number; maxMs: number } {
  const maxMb = Number(maxMbText);
  const maxSeconds = Number(maxSecondsText);
  if (!(maxMb > 0) || !(maxSeconds > 0)) throw new Error('--max-mb and --max-seconds must be positive numbers');
  return { maxBytes: Math.round(maxMb * 1024 * 1024), maxMs: Math.round(maxSeconds * 1000) };
}

/** The one-line summary of a stopped recording. */
export function recordingSummary(recorder: EslRecorder): string {
  const s = recorder.status;
  return `${s.events} events, ${s.frames} frames, ${(s.bytes / 1024 / 1024).toFixed(1)} MB in ${(s.elapsedMs / 1000).toFixed(1)} s`;
}

export async function recordCommand(argv: string[], out: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      server: { type: 'string', default: '127.0.0.1:8021' },
      user: { type: 'string' },
      password: { type: 'string' },
      out: { type: 'string' },
      events: { type: 'string', default: 'ALL' },
      'max-mb': { type: 'string', default: '100' },
      'max-seconds': { type: 'string', default: '3600' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    out(RECORD_USAGE);
    return 0;
  }
  if (!values.out) throw new Error('give the file to write: --out calls.fsrec.jsonl');
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(values.server!);
  if (!m) throw new Error(`--server ${values.server}: give host:port`);
  const limits = recordingLimits(values['max-mb']!, values['max-seconds']!);
  const { connection, recorder } = await startRecording({
    host: m[1]!,
    port: Number(m[2]),
    password: values.password ?? process.env['FREESWITCH_PASSWORD'] ?? 'ClueCon',
    ...(values.user !== undefined ? { user: values.user } : {}),
    events: values.events!.split(/[\s,]+/).filter(Boolean),
    path: values.out,
    ...limits,
  });
  out(`recording ${connection.address} to ${values.out} (Ctrl-C to stop; at most ${values['max-mb']} MB, ${values['max-seconds']} s)\n`);
  const ticker = setInterval(() => {
    const s = recorder.status;
    out(`  ${(s.elapsedMs / 1000).toFixed(0)} s: ${s.events} events, ${s.frames} frames, ${(s.bytes / 1024 / 1024).toFixed(1)} MB\n`);
  }, 5000);
  const reason = await new Promise<string>((resolve) => {
    recorder.onDidStop((s) => resolve(s.stopReason ?? 'stopped'));
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void recorder.stop('stopped'));
  });
  clearInterval(ticker);
  await recorder.stop();
  out(`stopped (${reason}): ${recordingSummary(recorder)}\n`);
  await connection.close().catch(() => undefined);
  connection.dispose();
  return 0;
}
