/**
 * A fake FreeSWITCH ESL server for the benchmark, run as its own process (`fork`) so that it never
 * shares an event loop with the client being measured. It speaks what the captures show:
 * `auth/request`, `auth` → `+OK accepted`, `event plain|json …` → `+OK event listener enabled …`,
 * `exit` → `+OK bye` + disconnect notice. Two bench-only api commands drive it:
 *
 * - `api bench_blast <n>`: replies `+OK <n>`, then writes n CHANNEL_CREATE events in the format of
 *   the last `event` command, then the `CUSTOM bench::done` marker.
 * - `api bench_body <bytes>`: one `api/response` with a body of that many bytes.
 *
 * Prints nothing; tells its parent `{ port }` over IPC once listening.
 */
import { createServer, type Socket } from 'node:net';
import type { EventFormat } from '../src/core/esl/event';
import { buildWorkload, encodeEvents, encodeMarker, type Workload } from './workload';

const PASSWORD = 'ClueCon';
/** Events per socket write: ~0.7 MB, enough to keep the pipe full without a huge allocation. */
const EVENTS_PER_WRITE = 256;
const DISCONNECT_NOTICE =
  'Content-Type: text/disconnect-notice\nContent-Length: 67\n\nDisconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n';

/** The formats the benchmark measures; XML is rare and not on the hot path. */
type BenchFormat = Exclude<EventFormat, 'xml'>;
const workloads: Record<BenchFormat, Workload> = { plain: buildWorkload('plain'), json: buildWorkload('json') };
const bodies = new Map<number, Buffer>();

function reply(text: string): string {
  return `Content-Type: command/reply\nReply-Text: ${text}\n\n`;
}

function apiResponse(body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`Content-Type: api/response\nContent-Length: ${body.length}\n\n`, 'latin1'), body]);
}

/** A large, realistic-looking api body (`show channels` CSV rows), exactly `bytes` long, cached. */
function bigBody(bytes: number): Buffer {
  let body = bodies.get(bytes);
  if (!body) {
    const row =
      'be7c0000-0000-4000-8000-000000000000,outbound,2026-11-26 07:34:22,1795678462,loopback/9196-a,CS_EXECUTE,Outbound Call,0000000000,,,park,,9196,default,XML,L16,8000,128000,L16,8000,128000,,fs-dev,,ACTIVE,,,,,\n';
    body = Buffer.alloc(bytes);
    const rowBytes = Buffer.from(row, 'latin1');
    for (let pos = 0; pos < bytes; pos += rowBytes.length) rowBytes.copy(body, pos, 0, Math.min(rowBytes.length, bytes - pos));
    bodies.set(bytes, body);
  }
  return body;
}

/** Next Unique-ID sequence number: unique across every connection of this server. */
let nextSeq = 1;

function waitDrain(socket: Socket): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      socket.off('drain', onDrain);
      socket.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    socket.on('drain', onDrain);
    socket.on('close', onClose);
  });
}

async function blast(socket: Socket, format: BenchFormat, count: number): Promise<void> {
  const w = workloads[format];
  let sent = 0;
  while (sent < count && !socket.destroyed) {
    const n = Math.min(EVENTS_PER_WRITE, count - sent);
    const first = nextSeq;
    nextSeq += n;
    sent += n;
    if (!socket.write(encodeEvents(w, first, n)) && !(await waitDrain(socket))) return;
  }
  if (!socket.destroyed) socket.write(encodeMarker(format, count));
}

function serve(socket: Socket): void {
  socket.setNoDelay(true);
  let pending = '';
  let authed = false;
  let format: BenchFormat | undefined;
  let blasting = false;
  socket.on('error', () => undefined);
  socket.write('Content-Type: auth/request\n\n');
  socket.on('data', (chunk: Buffer) => {
    pending += chunk.toString('latin1');
    let end: number;
    while ((end = pending.indexOf('\n\n')) >= 0) {
      const command = pending.slice(0, end).split('\n')[0]!.trim();
      pending = pending.slice(end + 2);
      handle(command);
    }
  });

  function handle(command: string): void {
    const [verb = '', ...args] = command.split(' ');
    if (!authed) {
      if (verb === 'auth' && args.join(' ') === PASSWORD) {
        authed = true;
        socket.write(reply('+OK accepted'));
      } else {
        socket.write(reply('-ERR invalid') + DISCONNECT_NOTICE);
        socket.end();
      }
      return;
    }
    switch (verb) {
      case 'event': {
        const f = args[0];
        format = f === 'json' ? 'json' : 'plain';
        socket.write(reply(`+OK event listener enabled ${format}`));
        return;
      }
      case 'nixevent':
        socket.write(reply('+OK events nixed'));
        return;
      case 'noevents':
        format = undefined;
        socket.write(reply('+OK no longer listening for events'));
        return;
      case 'exit':
        socket.write(reply('+OK bye') + DISCONNECT_NOTICE);
        socket.end();
        return;
      case 'api':
        api(args);
        return;
      default:
        socket.write(reply('-ERR command not found'));
    }
  }

  function api(args: string[]): void {
    const [name = '', arg = ''] = args;
    const n = Number(arg);
    if (name === 'bench_blast' && Number.isSafeInteger(n) && n >= 0) {
      if (!format || blasting) {
        socket.write(apiResponse(Buffer.from(`-ERR ${format ? 'already blasting' : 'not listening for events'}\n`)));
        return;
      }
      socket.write(apiResponse(Buffer.from(`+OK ${n}\n`)));
      blasting = true;
      void blast(socket, format, n).finally(() => {
        blasting = false;
      });
      return;
    }
    if (name === 'bench_body' && Number.isSafeInteger(n) && n >= 0) {
      socket.write(apiResponse(bigBody(n)));
      return;
    }
    if (name === 'show' && args.slice(1).join(' ') === 'channels as json') {
      // What FreeSWITCH answers with no channels (capture 03); the EventListener resyncs with it.
      socket.write(apiResponse(Buffer.from('{"row_count": 0}\n')));
      return;
    }
    socket.write(apiResponse(Buffer.from(`-ERR ${name} Command not found!\n`)));
  }
}

// Build the big api body now, not inside the first timed request.
bigBody(32 * 1024 * 1024);

const server = createServer(serve);
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  process.send?.({ port: address.port });
});
// The parent owns this process: go when it goes.
process.on('disconnect', () => process.exit(0));
