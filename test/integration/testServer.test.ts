/**
 * The test ESL server's own API (drop, stall, restart, heartbeat, injected frames) and the parts
 * of its protocol no conformance scenario covers (log/data, DTMF, recording, small API commands).
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Client, EventListener, JobError } from '../../src/core';
import { FrameParser } from '../../src/core/esl/parser';
import { loadCapture } from '../support/captures';
import { until, within } from '../support/wait';
import { TestEslServer, type TestEslServerOptions } from '../server/eslServer';
import { parseEvent } from '../server/captureReplay';
import { header, RawEslClient } from '../server/rawClient';

const PASSWORD = 'ClueCon';

describe('TestEslServer API', () => {
  test('dropConnections cuts clients without a goodbye; new clients still connect', async () => {
    const server = new TestEslServer();
    await server.start();
    const client = await RawEslClient.connect(server.port, PASSWORD);
    assert.equal(server.connectionCount, 1);
    server.dropConnections();
    await client.until(() => client.closed, 'the socket to close');
    assert.ok(!client.frames.some((f) => f.headers['Content-Type'] === 'text/disconnect-notice'), 'no disconnect notice');
    const again = await RawEslClient.connect(server.port, PASSWORD);
    assert.equal(await again.api('global_getvar local_ip_v4'), '127.0.0.1');
    again.destroy();
    await server.stop();
  });

  test('stallReplies queues commands and answers them, in order, on resume', async () => {
    const server = new TestEslServer();
    await server.start();
    const client = await RawEslClient.connect(server.port, PASSWORD);
    const seen: string[] = [];
    const received = new Promise<void>((resolve) => {
      const off = server.onCommand((c) => {
        seen.push(c.line);
        if (seen.length === 2) {
          off();
          resolve();
        }
      });
    });
    server.stallReplies(true);
    client.write('api global_getvar hostname\n\napi version short\n\n');
    await within(received, 'both commands to reach the stalled server');
    const before = client.frames.length;
    await server.whenIdle();
    assert.equal(client.frames.length, before, 'no reply while stalled');
    server.stallReplies(false);
    const first = await client.next((f) => f.headers['Content-Type'] === 'api/response');
    const second = await client.next((f) => f.headers['Content-Type'] === 'api/response');
    assert.equal(first.body?.toString(), 'fs-dev');
    assert.equal(second.body?.toString(), '1.10.12\n');
    assert.deepEqual(server.commandLog.slice(-2), ['api global_getvar hostname', 'api version short']);
    client.destroy();
    await server.stop();
  });

  test('stop() closes with the goodbye; start() listens on the same port; keepChannels keeps calls', async () => {
    const server = new TestEslServer();
    const port = await server.start();
    const client = await RawEslClient.connect(port, PASSWORD);
    const uuid = server.originateDirect('9196');
    await server.whenIdle();
    assert.equal(server.channels.length, 2);
    await server.stop({ keepChannels: true });
    await client.until(() => client.closed, 'the socket to close');
    assert.equal(client.frames.at(-1)?.headers['Content-Type'], 'text/disconnect-notice');
    assert.equal(await server.start(), port, 'same port after a restart');
    const again = await RawEslClient.connect(port, PASSWORD);
    assert.match(await again.api(`uuid_getvar ${uuid} loopback_leg`), /^A$/);
    again.destroy();
    await server.stop();
    assert.equal(await server.start(), port);
    assert.equal(server.channels.length, 0, 'a plain stop() is a switch restart: no calls');
    await server.stop();
  });

  test('the heartbeat timer sends HEARTBEAT then RE_SCHEDULE every heartbeatMs', async () => {
    const server = new TestEslServer({ heartbeatMs: 30 });
    await server.start();
    const client = await RawEslClient.connect(server.port, PASSWORD);
    await client.command('event plain HEARTBEAT RE_SCHEDULE');
    const beat = await client.event('HEARTBEAT');
    assert.equal(header(beat, 'Event-Info'), 'System Ready');
    assert.equal(header(await client.event('RE_SCHEDULE'), 'Task-Desc'), 'heartbeat');
    await client.event('HEARTBEAT');
    client.destroy();
    await server.stop();
  });

  test('before auth every command but auth and exit is "-ERR command not found"; auth still works', async () => {
    const server = new TestEslServer();
    await server.start();
    const client = await RawEslClient.connect(server.port);
    assert.equal((await client.command('api status')).headers['Reply-Text'], '-ERR command not found');
    assert.equal((await client.command('event plain ALL')).headers['Reply-Text'], '-ERR command not found');
    assert.equal((await client.command('auth ClueCon')).headers['Reply-Text'], '+OK accepted');
    assert.equal((await client.command('linger')).headers['Reply-Text'], '-ERR not controlling a session');
    assert.equal((await client.command('what is this')).headers['Reply-Text'], '-ERR command not found');
    client.destroy();
    await server.stop();
  });

  test('a denied address gets the rude rejection and no auth/request', async () => {
    const server = new TestEslServer({ rejectConnections: (address) => address.endsWith('127.0.0.1') });
    await server.start();
    const client = await RawEslClient.connect(server.port);
    await client.until(() => client.closed, 'the server to close');
    assert.deepEqual(client.frames.map((f) => f.headers['Content-Type']), ['text/rude-rejection', 'text/disconnect-notice']);
    assert.equal(Buffer.concat(client.bytes).toString(), loadCapture('13').server.toString());
    await server.stop();
  });

  test('emitEvent goes through subscriptions, CUSTOM subclasses and filters', async () => {
    const server = new TestEslServer();
    await server.start();
    const client = await RawEslClient.connect(server.port, PASSWORD);
    await client.command('event json CUSTOM test::wanted');
    server.emitEvent('test::unwanted', { 'X-N': '1' });
    server.emitEvent('CUSTOM', { 'Event-Subclass': 'test::wanted', 'X-N': '2' });
    const got = await client.event('CUSTOM');
    assert.equal(header(got, 'X-N'), '2');
    assert.deepEqual(got.slice(12, 15).map(([n]) => n), ['Event-Sequence', 'Event-Subclass', 'X-N'], 'Event-Subclass follows the base headers');
    await client.command('filter X-N 4');
    server.emitEvent('test::wanted', { 'X-N': '3' });
    server.emitEvent('test::wanted', { 'X-N': '4' }, 'a body');
    const filtered = await client.event('CUSTOM');
    assert.equal(header(filtered, 'X-N'), '4', 'the filter let only X-N 4 through');
    client.destroy();
    await server.stop();
  });

  test('injectRaw writes bytes as they are to authenticated connections only', async () => {
    const server = new TestEslServer();
    await server.start();
    const authed = await RawEslClient.connect(server.port, PASSWORD);
    const raw = Buffer.from([0x43, 0x6f, 0x6e, 0x74, 0xff, 0x0a]);
    const plain = await RawEslClient.connect(server.port);
    await plain.next((f) => f.headers['Content-Type'] === 'auth/request');
    server.injectRaw(raw);
    await authed.until(() => Buffer.concat(authed.bytes).includes(raw), 'the raw bytes');
    // The injected line merges into the next frame's header block; the frame itself still parses.
    assert.equal(await authed.api('global_getvar hostname'), 'fs-dev');
    assert.ok(!Buffer.concat(plain.bytes).includes(raw), 'not sent before auth');
    authed.destroy();
    plain.destroy();
    await server.stop();
  });
});

describe('protocol details beyond the conformance captures', () => {
  let server: TestEslServer;
  let client: RawEslClient;

  before(async () => {
    server = new TestEslServer({ mediaDurationMs: (_path, natural) => Math.min(natural, 20) });
    await server.start();
    client = await RawEslClient.connect(server.port, PASSWORD);
  });

  after(async () => {
    client.destroy();
    await server.stop();
  });

  test('log 7 delivers log/data frames shaped like capture 08; nolog ends them', async () => {
    const real = new FrameParser().push(loadCapture('08').server).find((f) => f.headers['Content-Type'] === 'log/data')!;
    assert.equal((await client.command('log 7')).headers['Reply-Text'], '+OK log level 7 [7]');
    const reply = await client.api('originate loopback/9196 &park');
    const uuid = /^\+OK (\S+)\n$/.exec(reply)?.[1];
    assert.ok(uuid, reply);
    const log = await client.next((f) => f.headers['Content-Type'] === 'log/data' && f.headers['User-Data'] === uuid);
    assert.deepEqual(Object.keys(log.headers), Object.keys(real.headers));
    assert.match(log.body!.toString(), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} \d+\.\d\d% \[(DEBUG|INFO|NOTICE)\] \S+\.c:\d+ .*\n$/);
    const execute = await client.next((f) => f.headers['Content-Type'] === 'log/data' && (f.body?.toString().startsWith('EXECUTE') ?? false));
    assert.equal(execute.headers['Text-Channel'], '1', 'EXECUTE lines are clean lines without a prefix, as in capture 08');
    assert.equal((await client.command('nolog')).headers['Reply-Text'], '+OK no longer logging');
    assert.equal((await client.command('nolog')).headers['Reply-Text'], '-ERR not loging');
    await client.api(`uuid_kill ${uuid}`);
    await server.whenIdle();
  });

  test('uuid_send_dtmf: digits go to the other leg and arrive only where park reads them (capture 14)', async () => {
    await client.command('event plain DTMF CHANNEL_PARK');
    const aLeg = (await client.api('originate loopback/9196 &park')).slice(4).trim();
    const bLeg = server.channels.find((c) => c.partnerUuid === aLeg)!.uuid;
    await client.event('CHANNEL_PARK');
    // Out of the a-leg into the b-leg, which runs echo: echo never reads DTMF, so no event at all.
    assert.equal(await client.api(`uuid_send_dtmf ${aLeg} 9`), `+OK ${aLeg} sent DTMF 9.\n`);
    await server.whenIdle();
    // Out of the b-leg into the parked a-leg: one event per digit, in order, on the a-leg.
    assert.equal(await client.api(`uuid_send_dtmf ${bLeg} 1#`), `+OK ${bLeg} sent DTMF 1#.\n`);
    const first = await client.event('DTMF');
    const second = await client.event('DTMF');
    assert.deepEqual([first, second].map((e) => [header(e, 'Unique-ID'), header(e, 'DTMF-Digit')]), [[aLeg, '1'], [aLeg, '#']]);
    assert.deepEqual(first.slice(-3), [['DTMF-Digit', '1'], ['DTMF-Duration', '2000'], ['DTMF-Source', 'UNKNOWN']]);
    assert.ok(!first.some(([n]) => n.startsWith('variable_')), 'DTMF carries no variables');
    assert.equal(await client.api(`uuid_send_dtmf ${bLeg} 5@500`), `+OK ${bLeg} sent DTMF 5@500.\n`);
    assert.equal(header(await client.event('DTMF'), 'DTMF-Duration'), '4000', '500 ms at 8 kHz');
    assert.equal(await client.api(`uuid_getvar ${bLeg} last_dtmf_duration`), '750');
    assert.equal(await client.api('uuid_send_dtmf 00000000-0000-0000-0000-000000000000 1'), '-ERR Cannot locate session!\n');
    assert.equal(await client.api(`uuid_send_dtmf ${bLeg}`), '-USAGE: <uuid> <dtmf_data>\n');
    await client.command('noevents');
    await client.api(`uuid_kill ${aLeg}`);
    await server.whenIdle();
  });

  test('uuid_record answers and fires RECORD_START/RECORD_STOP as capture 15 shows', async () => {
    await client.command('event plain RECORD_START RECORD_STOP CHANNEL_HANGUP_COMPLETE');
    const aLeg = (await client.api('originate loopback/park &park')).slice(4).trim();
    assert.equal(await client.api(`uuid_record ${aLeg} start /tmp/x.wav`), '+OK Success\n');
    const start = await client.event('RECORD_START');
    assert.deepEqual(start.at(-1), ['Record-File-Path', '/tmp/x.wav'], 'the path is the last header, after the variables');
    assert.equal(await client.api(`uuid_record ${aLeg} stop`), '-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>] [<recording_vars>]\n');
    assert.equal(await client.api(`uuid_record ${aLeg} stop all`), '+OK Success\n');
    const stop = await client.event('RECORD_STOP');
    assert.deepEqual(stop.slice(-2), [['Record-File-Path', '/tmp/x.wav'], ['Record-Completion-Cause', 'success-maxtime']], 'a stop by hand says maxtime too');
    const vars = stop.filter(([n]) => n.startsWith('variable_record_')).map(([n]) => n);
    assert.deepEqual(vars, ['variable_record_file_size', 'variable_record_samples', 'variable_record_seconds', 'variable_record_ms', 'variable_record_completion_cause']);
    assert.equal(Number(header(stop, 'variable_record_file_size')), 44 + 2 * Number(header(stop, 'variable_record_samples')));
    assert.equal(await client.api(`uuid_record ${aLeg} stop /tmp/x.wav`), '-ERR Cannot stop record session!\n');
    assert.equal(await client.api('uuid_record 00000000-0000-0000-0000-000000000000 start /tmp/y.wav'), '-ERR Cannot locate session!\n');
    // Still recording at hangup: the media bug closes before the channel's HANGUP_COMPLETE.
    assert.equal(await client.api(`uuid_record ${aLeg} start /tmp/z.wav`), '+OK Success\n');
    await client.event('RECORD_START');
    await client.api(`uuid_kill ${aLeg}`);
    const atHangup = await client.event('RECORD_STOP');
    assert.equal(header(atHangup, 'Record-Completion-Cause'), 'no-input-timeout');
    assert.equal(header(await client.event('CHANNEL_HANGUP_COMPLETE'), 'Unique-ID'), aLeg);
    await client.command('noevents');
    await server.whenIdle();
  });

  test('originate to an extension runs it on the a-leg; error/ and unknown endpoints fail', async () => {
    await client.command('event plain CHANNEL_EXECUTE');
    const aLeg = (await client.api('originate loopback/9196 9664 XML default')).slice(4).trim();
    const apps: string[] = [];
    for (let i = 0; i < 3; i++) {
      const e = await client.event('CHANNEL_EXECUTE', (h) => header(h, 'Unique-ID') === aLeg);
      apps.push(`${header(e, 'Application')}(${header(e, 'Application-Data') ?? ''})`);
    }
    assert.deepEqual(apps, ['answer()', 'playback(silence_stream://2000)', 'playback(tone_stream://%(1000,0,440);loops=-1)']);
    assert.equal(await client.api('originate error/user_busy &park'), '-ERR USER_BUSY\n');
    assert.equal(await client.api('originate sofia/internal/1000@example.com &park'), '-ERR CHAN_NOT_IMPLEMENTED\n');
    await client.command('noevents');
    assert.match(await client.api('hupall'), /^\+OK hangup all channels with cause MANAGER_REQUEST\n$/);
    await server.whenIdle();
    assert.equal(server.channels.length, 0);
  });

  test('small API commands answer in FreeSWITCH\'s shapes', async () => {
    assert.equal(await client.api('version'), 'FreeSWITCH Version 1.10.12-release~64bit ( 64bit)\n');
    assert.equal(await client.api('global_getvar local_ip_v4'), '127.0.0.1');
    assert.equal(await client.api('show calls as json'), '{"row_count": 0}\n');
    assert.equal(await client.api('show channels'), '\n0 total.\n');
    assert.match(await client.api('sofia status'), /internal\tprofile\t.*RUNNING \(0\)\n={97}\n1 profile 1 alias\n$/);
    assert.match(await client.api('console_complete uuid_k'), /\[ {11}uuid_kill\]\t\n\nwrite=6:uuid_kill $/);
    assert.equal(await client.api('no_such_thing here'), '-ERR no_such_thing Command not found!\n');
    assert.equal(await client.api('uuid_kill 00000000-0000-0000-0000-000000000000'), '-ERR No such channel!\n');

    const aLeg = (await client.api("originate {origination_caller_id_name='Demo Caller',my_var=1}loopback/9196 &park")).slice(4).trim();
    await server.whenIdle();
    assert.equal(await client.api(`uuid_getvar ${aLeg} my_var`), '1');
    assert.equal(await client.api(`uuid_setvar ${aLeg} colour blue`), '+OK\n');
    assert.equal(await client.api(`uuid_getvar ${aLeg} colour`), 'blue');
    assert.equal(await client.api(`uuid_getvar ${aLeg} never_set`), '_undef_');
    const calls = JSON.parse(await client.api('show calls as json')) as { row_count: number; rows: { cid_name: string }[] };
    assert.equal(calls.row_count, 2);
    assert.deepEqual(calls.rows.map((r) => r.cid_name), ['Outbound Call', 'Demo Caller'], 'the a-leg flipped its caller id (capture 03)');
    const snapshot = server.channels.find((c) => c.uuid === aLeg)!;
    assert.equal(snapshot.application, 'park');
    assert.equal(snapshot.variables.my_var, '1');
    assert.equal((await client.command(`sendmsg ${aLeg}`, ['call-command: hangup', 'hangup-cause: USER_BUSY'])).headers['Reply-Text'], '+OK');
    await server.whenIdle();
    assert.equal(server.channels.length, 0);
  });

  test('exit: +OK bye, the goodbye, and the server closes', async () => {
    const other = await RawEslClient.connect(server.port, PASSWORD);
    const socketBytes = new Promise<Buffer>((resolve) => {
      const s = connect(server.port, '127.0.0.1');
      const chunks: Buffer[] = [];
      s.on('data', (c: Buffer) => chunks.push(c));
      s.on('close', () => resolve(Buffer.concat(chunks)));
      s.write('auth ClueCon\n\nexit\n\n');
    });
    assert.equal((await other.command('exit')).headers['Reply-Text'], '+OK bye');
    await other.until(() => other.closed, 'close after exit');
    const capture = loadCapture('12').server;
    assert.equal((await within(socketBytes, 'the raw connection to close after exit')).toString(), capture.toString(), 'byte-identical to capture 12');
  });
});

describe('session limits: sessions per second and max sessions (capture 17)', () => {
  /** A server with these limits, and a Client originating through an EventListener. */
  async function setUp(options: TestEslServerOptions): Promise<{ server: TestEslServer; client: Client; listener: EventListener; close: () => Promise<void> }> {
    const server = new TestEslServer({ password: PASSWORD, ...options });
    await server.start();
    const conn = { host: '127.0.0.1', port: server.port, password: PASSWORD };
    const listener = new EventListener(conn);
    await listener.connect();
    const client = new Client({ ...conn, listener });
    await client.connect();
    const close = async (): Promise<void> => {
      await client.disconnect();
      await listener.disconnect();
      await server.stop();
    };
    return { server, client, listener, close };
  }

  const refusedWith = (cause: string) => (err: unknown): boolean => {
    assert.ok(err instanceof JobError, String(err));
    assert.equal(err.cause, cause);
    return true;
  };

  test('a refused originate fails DESTINATION_OUT_OF_ORDER without a session; a new sps applies from the next tick', async () => {
    const { server, client, listener, close } = await setUp({ sessionRateTickMs: 0 });
    assert.equal(await client.cmd('fsctl sps 5'), '+OK sessions per second: 5');
    // Until the next tick the tokens of sps 1000 still count: three calls (six sessions) get through.
    for (let i = 0; i < 3; i++) await client.originate('9664').get(5_000);
    server.tickSessionRate();
    // The tick recorded 5 - (1000 - 6) and refilled five tokens; a token count, so four sessions pass.
    assert.match(await client.cmd('status'), /^-989 session\(s\) per Sec out of max 5, peak 0, last 5min 0 $/m);
    for (let i = 0; i < 2; i++) await client.originate('9664').get(5_000);
    const createdBefore = listener.stats.sessionsCreated;
    const refused = client.originate('9664');
    await assert.rejects(refused.get(5_000), refusedWith('DESTINATION_OUT_OF_ORDER'));
    // The next tick admits calls again; their events arrive after any the refused one could have had.
    server.tickSessionRate();
    const later = client.originate('9664');
    await later.get(5_000);
    await until(() => listener.calls.get(later.sessUuid!)?.sessions.length === 2, 'the later call has both legs');
    assert.equal(listener.stats.sessionsCreated, createdBefore + 2, 'the refused originate created no session');
    assert.ok(!listener.sessions.has(refused.sessUuid!));
    assert.ok(!listener.calls.has(refused.sessUuid!));
    assert.equal(server.channels.length, 12);
    await client.hupall();
    await close();
  });

  test('max sessions: an a-leg that fits waits out the originate timeout for its refused b-leg, then NO_ANSWER', async () => {
    const { server, client, listener, close } = await setUp({ maxSessions: 3, originateTimeoutMs: 30 });
    assert.match(await client.cmd('status'), /^3 session\(s\) max$/m);
    await client.originate('9664').get(5_000);
    const half = client.originate('9664');
    const refused = client.originate('9664');
    await assert.rejects(refused.get(5_000), refusedWith('DESTINATION_OUT_OF_ORDER'));
    await assert.rejects(half.get(5_000), refusedWith('NO_ANSWER'));
    // The half call had its a-leg only: created, then hung up NO_ANSWER.
    await until(() => (listener.stats.hangupCauses.get('NO_ANSWER') ?? 0) === 1, 'the a-leg ended NO_ANSWER');
    assert.ok(!listener.sessions.has(refused.sessUuid!));
    await server.whenIdle();
    assert.deepEqual(server.channels.map((c) => c.name), ['loopback/9664-a', 'loopback/9664-b']);
    assert.equal(await client.cmd('fsctl max_sessions 5000'), '+OK max sessions: 5000');
    await client.originate('9664').get(5_000);
    await client.hupall();
    await close();
  });

  test("the test server's own calls are not limited; fsctl without a number reports the value", async () => {
    const server = new TestEslServer({ maxSessions: 1, sessionsPerSecond: 1, sessionRateTickMs: 0 });
    await server.start();
    server.originateDirect('9664');
    server.inboundCall('100');
    await server.whenIdle();
    assert.equal(server.channels.length, 4);
    assert.equal(await server.api('fsctl sps'), '+OK sessions per second: 1\n');
    assert.equal(await server.api('fsctl max_sessions'), '+OK max sessions: 1\n');
    assert.equal(await server.api('originate loopback/9664 &park'), '-ERR DESTINATION_OUT_OF_ORDER\n');
    server.hangupAll();
    await server.whenIdle();
    await server.stop();
  });
});

describe('configuration and the dialplan (captures 16, 19, 20)', () => {
  let server: TestEslServer;
  let client: RawEslClient;

  before(async () => {
    // Time is triggered: hold music and sleep last until a test ends them.
    server = new TestEslServer({ mediaDurationMs: () => Number.POSITIVE_INFINITY, sleepDurationMs: () => Number.POSITIVE_INFINITY });
    await server.start();
    client = await RawEslClient.connect(server.port, PASSWORD);
  });

  after(async () => {
    client.destroy();
    server.hangupAll();
    await server.whenIdle();
    await server.stop();
  });

  interface Row {
    name: string;
    description: string;
    syntax: string;
    ikey: string;
  }

  test('show application|api as json list the 146 applications and 173 APIs, compact, with ikey', async () => {
    const applications = await client.api('show application as json');
    assert.ok(!applications.endsWith('\n'), 'no trailing newline');
    const apps = JSON.parse(applications) as { row_count: number; rows: Row[] };
    assert.equal(apps.row_count, 146);
    assert.equal(apps.rows.length, 146);
    for (const row of apps.rows) assert.deepEqual(Object.keys(row), ['name', 'description', 'syntax', 'ikey']);
    assert.deepEqual(apps.rows.find((r) => r.name === 'bridge'), { name: 'bridge', description: 'Bridge Audio', syntax: '<channel_url>', ikey: 'mod_dptools' });
    const apis = JSON.parse(await client.api('show api as json')) as { row_count: number; rows: Row[] };
    assert.equal(apis.row_count, 173);
    assert.equal(apis.rows[0]?.description, 'Shutdown');
    assert.ok(apis.rows.some((r) => r.name === 'xml_locate' && r.ikey === 'mod_commands'));
  });

  test('reloadxml succeeds with RELOADXML, and fails the real way while the XML is broken', async () => {
    await client.command('event plain RELOADXML');
    assert.equal(await client.api('reloadxml'), '+OK [Success]\n');
    await client.event('RELOADXML');
    server.setXmlError('[error near line 6568]: unexpected closing tag </context>');
    assert.equal(await client.api('reloadxml'), '+OK [[error near line 6568]: unexpected closing tag </context>]\n', 'a failure starts with +OK too');
    server.setXmlError(undefined);
    assert.equal(await client.api('reloadxml'), '+OK [Success]\n');
    await client.event('RELOADXML');
    await client.command('noevents');

    const broken = new TestEslServer({ xmlError: '[error near line 1]: unclosed tag <extension>' });
    assert.equal(await broken.api('reloadxml'), '+OK [[error near line 1]: unclosed tag <extension>]\n', 'the option breaks it from the start');
    await broken.stop();
  });

  test('xml_locate returns the context and the directory as the switch serialises them', async () => {
    const context = await client.api('xml_locate dialplan context name default');
    assert.equal(Buffer.byteLength(context), 36149);
    assert.ok(context.startsWith('<context name="default">\n\n      <extension name="unloop">'), context.slice(0, 80));
    assert.ok(!context.includes('<?xml'), 'no XML declaration');
    assert.ok(context.includes('<condition field="destination_number" expression="^9664$"></condition>'), 'empty elements are <x></x>');
    assert.ok((await client.api('xml_locate directory')).startsWith('<section name="directory" description="User Directory">'));
    assert.match(await client.api('xml_locate directory domain name 127.0.0.1'), /^<domain name="127\.0\.0\.1">[^]*<\/domain>$/);
    assert.equal(await client.api('xml_locate dialplan context name nowhere'), "can't find anything\n");
    assert.equal(await client.api('xml_locate dialplan context'), '-ERR bad args\n');
  });

  test('empty and special answers: -ERR no reply, uuid_exists, _undef_, global_setvar', async () => {
    assert.equal(await client.api('global_getvar not_set_anywhere_xyz'), '-ERR no reply\n');
    assert.equal(await server.api('global_getvar not_set_anywhere_xyz'), '-ERR no reply\n', 'the in-process api answers alike');
    assert.equal(await client.api('uuid_exists 5d62c7d4-9d56-4006-a3a1-6f4da168976d'), 'false');
    const aLeg = (await client.api('originate loopback/9664 &park()')).slice(4).trim();
    assert.equal(await client.api(`uuid_exists ${aLeg}`), 'true');
    assert.equal(await client.api(`uuid_getvar ${aLeg} not_set_var`), '_undef_');
    assert.equal(await client.api('global_setvar fsdev_test=yes'), '+OK');
    assert.equal(await client.api('global_getvar fsdev_test'), 'yes');
    assert.equal(await client.api('originate user/1000@127.0.0.1 &park'), '-ERR USER_NOT_REGISTERED\n', 'a directory user with no phone');
    assert.equal(await client.api('originate user/4242@127.0.0.1 &park'), '-ERR SUBSCRIBER_ABSENT\n');
    assert.equal(await client.api(`uuid_kill ${aLeg}`), '+OK\n');
    await server.whenIdle();
  });

  test('sofia status, status profile and xmlstatus as capture 16', async () => {
    const status = await client.api('sofia status');
    assert.match(status, /^ {21}Name\t {3}Type\t {38}Data\tState\n={97}\n/);
    assert.match(status, /\n {16}127\.0\.0\.1\t  alias\t {34}internal\tALIASED\n/);
    assert.match(status, /\n {17}internal\tprofile\t {14}sip:mod_sofia@127\.0\.0\.1:5070\tRUNNING \(0\)\n={97}\n1 profile 1 alias\n$/);
    const profile = await client.api('sofia status profile internal');
    assert.match(profile, /^={97}\nName {13}\tinternal\nDomain Name {6}\tN\/A\n/);
    assert.match(profile, /\nCODECS IN {8}\tOPUS,G722,PCMU,PCMA,H264,VP8\n[^]*\nREGISTRATIONS {4}\t0\n$/);
    assert.equal(await client.api('sofia status profile nope'), 'Invalid Profile!\n');
    assert.ok((await client.api('sofia xmlstatus')).startsWith('<?xml version="1.0" encoding="ISO-8859-1"?>\n<profiles>\n<alias>\n<name>127.0.0.1</name>'));
  });

  /** The clean mod_dialplan_xml lines of one leg from `frames`, in order. */
  const traceOf = (frames: readonly { headers: Record<string, string>; body?: Buffer }[], uuid: string): string[] =>
    frames
      .filter((f) => f.headers['Content-Type'] === 'log/data' && f.headers['User-Data'] === uuid && f.headers['Log-File'] === 'mod_dialplan_xml.c')
      .map((f) => f.body?.toString() ?? '');

  test('a traced 9664 call: its Dialplan lines, in order, with the routed leg as User-Data', async () => {
    const from = client.frames.length;
    assert.equal((await client.command('log 7')).headers['Reply-Text'], '+OK log level 7 [7]');
    const aLeg = (await client.api('originate loopback/9664 &park()')).slice(4).trim();
    await server.whenIdle();
    const bLeg = server.channels.find((c) => c.partnerUuid === aLeg)!.uuid;
    const last = 'Dialplan: loopback/9664-b ANTI-Action playback(tone_stream://%(1000,0,440);loops=-1) \n';
    await client.until(() => traceOf(client.frames.slice(from), bLeg).includes(last), 'the end of the trace');
    const lines = traceOf(client.frames.slice(from), bLeg);
    assert.match(lines[0]!, / \[INFO\] mod_dialplan_xml\.c:639 Processing  <0000000000>->9664 in context default\n$/, 'two spaces: no caller id name');
    assert.deepEqual(lines.slice(1, 4), [
      'Dialplan: loopback/9664-b parsing [default->unloop] continue=false\n',
      'Dialplan: loopback/9664-b Regex (PASS) [unloop] ${unroll_loops}(true) =~ /^true$/ break=on-false\n',
      'Dialplan: loopback/9664-b Regex (FAIL) [unloop] ${sip_looped_call}() =~ /^true$/ break=on-false\n',
    ]);
    assert.ok(lines.includes('Dialplan: loopback/9664-b Date/TimeMatch (FAIL) [tod_example] break=on-false\n'));
    assert.deepEqual(lines.slice(-6), [
      'Dialplan: loopback/9664-b parsing [default->hold_music] continue=false\n',
      'Dialplan: loopback/9664-b Regex (PASS) [hold_music] destination_number(9664) =~ /^9664$/ break=on-false\n',
      'Dialplan: loopback/9664-b Regex (FAIL) [hold_music] ${rtp_has_crypto}() =~ /^(AES_CM_128_HMAC_SHA1_32|AES_CM_128_HMAC_SHA1_80)$/ break=on-false\n',
      'Dialplan: loopback/9664-b ANTI-Action answer() \n',
      'Dialplan: loopback/9664-b ANTI-Action playback(silence_stream://2000) \n',
      'Dialplan: loopback/9664-b ANTI-Action playback(tone_stream://%(1000,0,440);loops=-1) \n',
    ]);
    const trace = client.frames.slice(from).filter((f) => f.body?.toString().startsWith('Dialplan:'));
    for (const f of trace) {
      assert.equal(f.headers['User-Data'], bLeg);
      assert.deepEqual([f.headers['Log-Level'], f.headers['Text-Channel'], f.headers['Log-File']], ['7', '1', 'mod_dialplan_xml.c']);
    }
    assert.equal((await client.command('log 6')).headers['Reply-Text'], '+OK log level 6 [6]');
    assert.equal((await client.command('nolog')).headers['Reply-Text'], '+OK no longer logging');
    await client.api(`uuid_kill ${aLeg}`);
    await server.whenIdle();
  });

  test('loopback/1000/default runs Local_Extension: failed bridges, answer, a sleep ended on demand, NORMAL_CLEARING', async () => {
    await client.command('event plain CHANNEL_EXECUTE CHANNEL_HANGUP_COMPLETE');
    const from = client.frames.length;
    const reply = await client.api('originate loopback/1000/default &park()');
    assert.match(reply, /^\+OK \S+\n$/, 'the originate returns once the b-leg answered, after its failed bridge to user/1000');
    await server.whenIdle();
    const bLeg = server.channels.find((c) => c.name === 'loopback/1000-b')!;
    assert.equal(bLeg.application, 'sleep', 'sleep 1000 lasts until completeSleep()');
    assert.equal(bLeg.variables.originate_failed_cause, 'USER_NOT_REGISTERED');
    assert.equal(bLeg.variables.DP_MATCH, 'ARRAY::1000|:1000');
    assert.ok(server.completeSleep(bLeg.uuid));
    await client.event('CHANNEL_HANGUP_COMPLETE', (h) => header(h, 'Channel-Name') === 'loopback/1000-a');
    await server.whenIdle();
    assert.equal(server.channels.length, 0, 'the call is over');
    const events = client.frames.slice(from).filter((f) => f.headers['Content-Type'] === 'text/event-plain').map((f) => parseEvent(f).headers);
    const executed = events.filter((h) => header(h, 'Event-Name') === 'CHANNEL_EXECUTE').map((h) => `${header(h, 'Channel-Name')} ${header(h, 'Application')}`);
    assert.deepEqual(executed.filter((x) => x.startsWith('loopback/1000-b')).map((x) => x.split(' ')[1]), [
      'export', 'bind_meta_app', 'bind_meta_app', 'bind_meta_app', 'bind_meta_app', 'set', 'set', 'set', 'set', 'set',
      'hash', 'hash', 'set', 'hash', 'hash', 'hash', 'bridge', 'answer', 'sleep', 'bridge',
    ]);
    assert.ok(executed.includes('loopback/voicemail-b pre_answer'), 'loopback/app=voicemail pre-answers, then lacks voicemail');
    const ends = events.filter((h) => header(h, 'Event-Name') === 'CHANNEL_HANGUP_COMPLETE').map((h) => `${header(h, 'Channel-Name')} ${header(h, 'Hangup-Cause')}`);
    assert.deepEqual(ends, [
      'loopback/voicemail-a DESTINATION_OUT_OF_ORDER',
      'loopback/voicemail-b DESTINATION_OUT_OF_ORDER',
      'loopback/1000-b NORMAL_CLEARING',
      'loopback/1000-a NORMAL_CLEARING',
    ]);
    await client.command('noevents');
  });

  test('dialplanTime: on a weekday at 10:00 tod_example matches and sets open=true', async () => {
    const open = new TestEslServer({ dialplanTime: new Date(2026, 10, 30, 10, 0, 0) });
    await open.start();
    const raw = await RawEslClient.connect(open.port, PASSWORD);
    await raw.command('log 7');
    const aLeg = (await raw.api('originate loopback/9196 &park')).slice(4).trim();
    await open.whenIdle();
    const bLeg = open.channels.find((c) => c.partnerUuid === aLeg)!;
    await raw.until(() => traceOf(raw.frames, bLeg.uuid).some((l) => l.includes('[echo]')), 'the trace up to echo');
    const lines = traceOf(raw.frames, bLeg.uuid);
    assert.ok(lines.includes('Dialplan: loopback/9196-b Date/Time Match (PASS) [tod_example] break=on-false\n'), lines.join(''));
    assert.ok(lines.includes('Dialplan: loopback/9196-b Action set(open=true) \n'));
    assert.equal(bLeg.variables.open, 'true');
    raw.destroy();
    open.hangupAll();
    await open.whenIdle();
    await open.stop();
  });
});
