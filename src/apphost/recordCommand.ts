/**
 * `fsdev record --server host:port --out calls.fsrec.jsonl`: records what an ESL connection
 * receives (events, and the commands it sends with their replies) until Ctrl-C or a limit.
 */
import { parseArgs } from 'node:util';
import { Connection, EslRecorder } from '../core';

export const RECORD_USAGE = `usage: fsdev record --server host:port --out calls.fsrec.jsonl [--password P] [--user U]
                    [--events "ALL" | "CHANNEL_CREATE CHANNEL_ANSWER …"] [--max-mb 100] [--max-seconds 3600]

  Records until Ctrl-C, or until the file reaches --max-mb or the time --max-seconds.
  The password may come from $FREESWITCH_PASSWORD (default ClueCon).
`;

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
  const maxMb = Number(values['max-mb']);
  const maxSeconds = Number(values['max-seconds']);
  if (!(maxMb > 0) || !(maxSeconds > 0)) throw new Error('--max-mb and --max-seconds must be positive numbers');
  const connection = new Connection({
    host: m[1]!,
    port: Number(m[2]),
    password: values.password ?? process.env['FREESWITCH_PASSWORD'] ?? 'ClueCon',
    ...(values.user !== undefined ? { user: values.user } : {}),
  });
  await connection.connect();
  await connection.subscribe(values.events!.split(/[\s,]+/).filter(Boolean));
  const recorder = await EslRecorder.start(connection, { path: values.out, maxBytes: Math.round(maxMb * 1024 * 1024), maxMs: Math.round(maxSeconds * 1000) });
  out(`recording ${connection.address} to ${values.out} (Ctrl-C to stop; at most ${maxMb} MB, ${maxSeconds} s)\n`);
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
  const s = recorder.status;
  out(`stopped (${reason}): ${s.events} events, ${s.frames} frames, ${(s.bytes / 1024 / 1024).toFixed(1)} MB in ${(s.elapsedMs / 1000).toFixed(1)} s\n`);
  await connection.close().catch(() => undefined);
  connection.dispose();
  return 0;
}
