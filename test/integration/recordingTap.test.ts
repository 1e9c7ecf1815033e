// The command tap and the recorder's waiting commands when replies will not come the usual way: a
// command already in flight when a tap starts (its reply must not pair with the next command), and
// an app host whose recorded commands lose their replies (it crashed or restarted).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AppHostSupervisor } from '../../src/apphost/supervisor';
import { Connection, EslRecorder, tapCommands, type TappedFrame } from '../../src/core';
import { epochMs } from '../../src/core/recording';
import { buildHost } from '../apphost/support';
import { TestEslServer } from '../server/eslServer';
import { until, within } from '../support/wait';
import { connectTo } from '../support/connect';

const PASSWORD = 'ClueCon';

/**
 * An ESL server that answers in order, as FreeSWITCH does, and can hold its answers: `api <text>`
 * is answered with `<text>`, so a reply says which command it answers.
 */
class HoldingServer {
  private readonly server: Server = createServer((socket) => this.accept(socket));
  private socket: Socket | undefined;
  private readonly held: string[] = [];
  holding = false;
  port = 0;

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Sends the answers held, in order, and answers at once from now on. */
  release(): void {
    this.holding = false;
    for (const reply of this.held.splice(0)) this.socket?.write(reply);
  }

  get heldCount(): number {
    return this.held.length;
  }

  async stop(): Promise<void> {
    this.socket?.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.socket = socket;
    let buffer = '';
    socket.setEncoding('utf8');
    socket.write('Content-Type: auth/request\n\n');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const line = buffer.slice(0, end).split('\n')[0]!;
        buffer = buffer.slice(end + 2);
        this.answer(socket, line);
      }
    });
  }

  private answer(socket: Socket, line: string): void {
    let reply: string;
    if (line.startsWith('api ')) {
      const body = line.slice(4);
      reply = `Content-Type: api/response\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}`;
    } else {
      reply = `Content-Type: command/reply\nReply-Text: +OK${line.startsWith('auth ') ? ' accepted' : ''}\n\n`;
    }
    if (this.holding && !line.startsWith('auth ')) this.held.push(reply);
    else socket.write(reply);
  }
}

describe('the command tap with a command in flight when it starts', () => {
  let server: HoldingServer;
  let connection: Connection;

  before(async () => {
    server = new HoldingServer();
    await server.start();
    connection = new Connection({ host: '127.0.0.1', port: server.port, password: PASSWORD, reconnect: false });
    await connection.connect();
  });

  after(async () => {
    connection.dispose();
    await server.stop();
  });

  test("the reply to a command sent before the tap is skipped, not paired with the next command's ref", async () => {
    server.holding = true;
    const a = connection.api('A');
    await until(() => server.heldCount === 1, 'the server holds the answer to A');
    assert.equal(connection.pendingCommands, 1);
    const frames: TappedFrame[] = [];
    const tap = tapCommands([connection], (f) => frames.push(f));
    try {
      const b = connection.api('B');
      await until(() => server.heldCount === 2, 'the server holds the answer to B');
      server.release();
      assert.deepEqual(await within(Promise.all([a, b]), 'the answers to A and B'), ['A', 'B']);
      const c = await connection.api('C');
      assert.equal(c, 'C');
    } finally {
      tap.dispose();
    }
    // Each command the tap saw, with the body of the reply that carries its ref.
    const pairs = frames.filter((f) => f.kind === 'command').map((cmd) => [cmd.command, frames.find((f) => f.kind === 'reply' && f.ref === cmd.ref)?.body]);
    assert.deepEqual(pairs, [
      ['api B', 'B'],
      ['api C', 'C'],
    ]);
    assert.equal(frames.filter((f) => f.kind === 'reply').length, 2, "A's reply is not recorded");
  });
});

describe("the recorder stops waiting for the app host's commands when their replies are lost", () => {
  let server: TestEslServer;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fsdev-rec-tap-'));
    server = new TestEslServer({ password: PASSWORD, mediaDurationMs: () => 50 });
    await server.start();
  });

  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a host that crashes or restarts takes its waiting commands with it; flushRecorded then stop', async () => {
    const { listener, client } = await connectTo(server, PASSWORD);
    const { hostScript } = await buildHost();
    const supervisor = new AppHostSupervisor({ connection: { host: '127.0.0.1', port: server.port, password: PASSWORD }, hostScript, restartPolicy: { initialDelayMs: 10, maxDelayMs: 10, jitter: 0 } });
    const recorder = await EslRecorder.start(listener.connection, { path: join(dir, 'lost.fsrec.jsonl') });
    try {
      await supervisor.start();
      const tap = await supervisor.recordCommands((frame) => recorder.addCommandFrame(frame, 'apps'), () => recorder.forgetCommands('apps'));
      // A command the host sent whose reply had not come when it died.
      const pid = supervisor.lastStatus?.pid ?? (await supervisor.status()).pid;
      recorder.addCommandFrame({ kind: 'command', ref: `${pid}.999`, at: epochMs(), command: 'api uuid_answer x' }, 'apps');
      assert.equal(recorder.waitingCommands('apps'), 1);
      const back = new Promise<void>((resolve) => supervisor.onDidStart(() => resolve()));
      process.kill(pid, 'SIGKILL');
      await until(() => recorder.waitingCommands('apps') === 0, "the recorder forgets the crashed host's commands", 10_000);
      await within(back, 'the host restarted', 20_000);
      const restarted = (await supervisor.status()).pid;
      recorder.addCommandFrame({ kind: 'command', ref: `${restarted}.999`, at: epochMs(), command: 'api uuid_answer y' }, 'apps');
      await supervisor.restart();
      assert.equal(recorder.waitingCommands('apps'), 0, "a restart drops the old host's waiting commands");
      // The round trip before a stop; a host not running is not waited for.
      await within(supervisor.flushRecorded(), 'flushRecorded with a running host');
      tap.dispose();
    } finally {
      await recorder.stop();
      await supervisor.stop();
      await within(supervisor.flushRecorded(), 'flushRecorded with a stopped host');
      supervisor.dispose();
      client.dispose();
      listener.dispose();
    }
  });
});
