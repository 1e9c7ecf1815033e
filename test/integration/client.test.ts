import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ApiError,
  AuthError,
  Client,
  CommandTimeoutError,
  ConnectionClosedError,
  EslError,
  EventListener,
  JobError,
  UnsafeInputError,
  type Call,
  type ConnectionStatus,
} from '../../src/core';
import { TestEslServer } from '../server/eslServer';
import { nextEvent, nextStatus, until } from '../support/wait';

const PASSWORD = 'ClueCon';

describe('Client and EventListener against the test ESL server', () => {
  let server: TestEslServer;
  let listener: EventListener;
  let client: Client;

  before(async () => {
    server = new TestEslServer({ password: PASSWORD });
    await server.start();
    listener = new EventListener({ host: '127.0.0.1', port: server.port, password: PASSWORD });
    await listener.connect();
    client = new Client({ host: '127.0.0.1', port: server.port, password: PASSWORD });
    await client.connect();
  });

  after(async () => {
    await client.disconnect();
    await listener.disconnect();
    await server.stop();
  });

  test('the README walkthrough runs as written', async () => {
    assert.equal(await client.cmd('global_getvar local_ip_v4'), '127.0.0.1');
    await assert.rejects(client.cmd('not a real command'), (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.message, '-ERR not Command not found!');
      return true;
    });
    const bare = new Client({ host: '127.0.0.1', port: server.port, password: PASSWORD });
    assert.throws(() => bare.originate('9196', { endpoint: 'loopback', app: 'park' }), /needs an EventListener/);
    bare.dispose();

    client.listener = listener;
    const job = client.originate('9196', { endpoint: 'loopback', app: 'park' });
    const uuid = await job.get(30_000);
    assert.equal(uuid, job.sessUuid);
    assert.equal(job.successful, true);
    const call = listener.calls.get(job.sessUuid!);
    assert.ok(call, 'the originated call is tracked under the originated session uuid');
    await until(() => call.sessions.length === 2, 'both loopback legs in the call');
    assert.deepEqual(
      call.sessions.map((s) => s.channelName),
      ['loopback/9196-a', 'loopback/9196-b'],
    );
    assert.equal(call.peer(call.first), call.last);
    await call.sessions[0]!.hangup();
    assert.equal(listener.calls.has(call.uuid), false, 'the call left listener.calls');
    assert.ok(listener.history.includes(call));
    assert.equal(call.first.hangupCause, 'NORMAL_CLEARING');
    assert.match(await client.hupall(), /^\+OK hangup all channels with cause NORMAL_CLEARING/);
  });

  test('a failed originate rejects with the cause and counts the failed sessions', async () => {
    client.listener = listener;
    const failedBefore = listener.stats.failedSessions;
    const job = client.originate('does_not_exist', { endpoint: 'loopback' });
    await assert.rejects(job.get(10_000), (err: unknown) => {
      assert.ok(err instanceof JobError);
      assert.equal(err.cause, 'NO_ROUTE_DESTINATION');
      assert.match(err.message, /-ERR NO_ROUTE_DESTINATION/);
      return true;
    });
    assert.equal(job.successful, false);
    await until(() => !listener.calls.has(job.sessUuid!), 'failed call removed');
    assert.ok(listener.stats.failedSessions >= failedBefore + 1);
    assert.ok((listener.stats.hangupCauses.get('NO_ROUTE_DESTINATION') ?? 0) >= 1);
  });

  test('hupall ends every call and the listener sees them all end', async () => {
    client.listener = listener;
    const jobs = [client.originate('9196'), client.originate('9196'), client.originate('9196')];
    await Promise.all(jobs.map((j) => j.get(10_000)));
    await until(() => jobs.every((j) => listener.calls.get(j.sessUuid!)?.sessions.length === 2), 'all calls have two legs');
    const ended = new Set<string>();
    const sub = listener.onDidEndCall((c: Call) => ended.add(c.uuid));
    await client.hupall('MANAGER_REQUEST');
    await until(() => jobs.every((j) => ended.has(j.sessUuid!)), 'every call ended');
    sub.dispose();
    assert.equal(listener.calls.size, 0);
    assert.equal(listener.history.at(-1)!.first.hangupCause, 'MANAGER_REQUEST');
  });

  test('bgapi works without a listener', async () => {
    const standalone = new Client({ host: '127.0.0.1', port: server.port, password: PASSWORD });
    await standalone.connect();
    const job = standalone.bgapi('global_getvar local_ip_v4');
    assert.equal(await job.get(5_000), '127.0.0.1');
    await standalone.disconnect();
  });

  test('session commands settle on FreeSWITCH events', async () => {
    client.listener = listener;
    const job = client.originate('9196', { variables: { my_var: 'hello world' }, callerIdName: 'Test Caller', callerIdNumber: '1000' });
    await job.get(10_000);
    const call = listener.calls.get(job.sessUuid!)!;
    const session = call.first;
    assert.equal(session.var('my_var'), 'hello world');
    // FreeSWITCH flips the a-leg's Caller-Caller-ID-Name at CALL_UPDATE (capture 11); the
    // origination variable keeps what we sent, and the loopback b-leg presents it.
    assert.equal(session.var('origination_caller_id_name'), 'Test Caller');
    assert.equal(call.last.callerIdName, 'Test Caller');
    assert.equal(await session.getVar('my_var'), 'hello world');
    await session.setVar('colour', 'blue');
    assert.equal(await session.getVar('colour'), 'blue');
    assert.equal(await session.getVar('never_set'), undefined);
    const done = await session.playback('tone_stream://%(100,0,800)');
    assert.equal(done.name, 'CHANNEL_EXECUTE_COMPLETE');
    assert.equal(done.get('Application'), 'playback');
    // Digits sent out of the far leg arrive on this parked leg; park reads them (capture 14).
    const dtmf = session.recv('DTMF', 5_000);
    await call.last.sendDtmf('1');
    assert.equal((await dtmf).get('DTMF-Digit'), '1');
    await call.hangup();
    assert.equal(listener.calls.has(call.uuid), false);
  });

  test('park, record and the events they produce', async () => {
    client.listener = listener;
    const job = client.originate('9664');
    await job.get(10_000);
    const session = listener.sessions.get(job.sessUuid!)!;
    const parked = session.recv('CHANNEL_PARK', 5_000);
    await session.park();
    assert.equal((await parked).name, 'CHANNEL_PARK');
    const recording = session.recv('RECORD_START', 5_000);
    await session.recordStart('/tmp/fsdev-test.wav');
    assert.equal((await recording).get('Record-File-Path'), '/tmp/fsdev-test.wav');
    const stopped = session.recv('RECORD_STOP', 5_000);
    await session.recordStop('/tmp/fsdev-test.wav');
    await stopped;
    await assert.rejects(session.recordStart('/tmp/a file.wav'), /without spaces/);
    await session.call!.hangup();
  });

  test('recv() awaits any event about the session, CUSTOM subclasses included', async () => {
    client.listener = listener;
    const job = client.originate('9196');
    await job.get(10_000);
    const session = listener.sessions.get(job.sessUuid!)!;
    // recv() subscribes by itself, but an event fired before that reaches FreeSWITCH is not sent.
    await listener.connection.subscribe(['myapp::progress']);
    const custom = session.recv('myapp::progress', 5_000);
    server.emitEvent('CUSTOM', { 'Event-Subclass': 'myapp::progress', 'Unique-ID': session.uuid, Step: '2' });
    assert.equal((await custom).get('Step'), '2');
    await session.call!.hangup();
  });

  test('bridged legs join one call', async () => {
    client.listener = listener;
    const a = client.originate('9664');
    const b = client.originate('9664');
    await Promise.all([a.get(10_000), b.get(10_000)]);
    const sessionA = listener.sessions.get(a.sessUuid!)!;
    await sessionA.bridge(b.sessUuid!);
    const call = sessionA.call!;
    assert.ok(call.sessions.some((s) => s.uuid === b.sessUuid), 'bridged leg is in the same call');
    assert.equal(listener.calls.has(b.sessUuid!), false, 'the other call was merged away');
    await client.hupall();
    await until(() => listener.calls.size === 0, 'all calls ended');
  });

  test('apps receive the events of calls originated with their id; a throwing app hurts no one', async () => {
    client.listener = listener;
    const parked: string[] = [];
    const errors: string[] = [];
    const errSub = listener.onDidAppError((e) => errors.push(`${e.appId}:${e.eventName}:${e.error.message}`));
    await client.loadApp({ name: 'Parker', on: { CHANNEL_PARK: (s) => void parked.push(s.uuid) } }, { id: 'parker' });
    await client.loadApp({ name: 'Thrower', on: { CHANNEL_PARK: () => { throw new Error('boom'); } } }, { id: 'thrower' });
    const good = client.originate('9196', { appId: 'parker' });
    const bad = client.originate('9196', { appId: 'thrower' });
    const plain = client.originate('9196');
    await Promise.all([good.get(10_000), bad.get(10_000), plain.get(10_000)]);
    await until(() => parked.length > 0 && errors.length > 0, 'callbacks ran');
    assert.deepEqual(parked, [good.sessUuid]);
    assert.deepEqual(errors, ['thrower:CHANNEL_PARK:boom']);
    assert.equal(listener.loadedApps.get('thrower')!.lastError!.error.message, 'boom');
    assert.equal(listener.loadedApps.get('parker')!.runs.get('CHANNEL_PARK'), 1);
    await client.hupall('NORMAL_CLEARING', 'thrower');
    await until(() => !listener.calls.has(bad.sessUuid!), 'only the thrower call ended');
    assert.ok(listener.calls.has(good.sessUuid!));
    await client.unloadApp('parker');
    await client.unloadApp('thrower');
    assert.throws(() => client.originate('9196', { appId: 'parker' }), /no app is loaded with id parker/);
    await client.hupall();
    await until(() => listener.calls.size === 0, 'all calls ended');
    errSub.dispose();
  });

  test('loading an app is atomic', async () => {
    client.listener = listener;
    let tornDown = false;
    await assert.rejects(
      client.loadApp({ on: { NOT_AN_EVENT: () => undefined } } as never, { id: 'typo' }),
      /NOT_AN_EVENT.*is not a channel event/,
    );
    await assert.rejects(
      client.loadApp({ on: { CHANNEL_PARK: () => undefined }, setup: () => { throw new Error('setup failed'); }, teardown: () => { tornDown = true; } }, { id: 'bad-setup' }),
      /setup failed/,
    );
    assert.equal(listener.loadedApps.has('typo'), false);
    assert.equal(listener.loadedApps.has('bad-setup'), false);
    assert.equal(tornDown, false, 'teardown does not run for an app whose setup failed');
    await client.loadApp({ on: { CHANNEL_ANSWER: () => undefined } }, { id: 'dup' });
    await assert.rejects(client.loadApp({ on: { CHANNEL_ANSWER: () => undefined } }, { id: 'dup' }), /already loaded/);
    await client.unloadApp('dup');
  });

  test('caller id names and channel variables arrive as written: quotes, commas, backslashes, braces, UTF-8', async () => {
    client.listener = listener;
    const name = "O'Brien, Jr.";
    const note = "'Smith, John' \\ {x} <y> [z] a=b^c ^^: Zoë 李 ";
    const job = client.originate('9664', { callerIdName: name, callerIdNumber: '1000', variables: { fsdev_note: note } });
    await job.get(10_000);
    const call = listener.calls.get(job.sessUuid!);
    assert.ok(call, 'the call is tracked');
    await until(() => call.sessions.length === 2, 'both loopback legs');
    const [a, b] = [call.sessions[0]!, call.sessions[1]!];
    assert.equal(a.uuid, job.sessUuid);
    assert.equal(a.get('Caller-Orig-Caller-ID-Name'), name, "the a-leg's caller profile");
    assert.equal(a.var('origination_caller_id_name'), name);
    assert.equal(b.callerIdName, name, 'what the called leg sees');
    assert.equal(b.callerIdNumber, '1000');
    assert.equal(a.var('fsdev_note'), note);
    assert.equal(await a.getVar('fsdev_note'), note, 'uuid_getvar agrees');
    await a.hangup();
  });

  test('an application argument with a `)`, such as a looping tone, reaches the application whole', async () => {
    client.listener = listener;
    const tone = 'tone_stream://%(1000,0,440);loops=-1';
    const executed = nextEvent(
      listener.onDidReceiveEvent,
      "playback's CHANNEL_EXECUTE on the originated leg",
      (e) => e.name === 'CHANNEL_EXECUTE' && e.get('Application') === 'playback' && e.uuid === job.sessUuid,
      10_000,
    );
    const job = client.originate('9664', { app: 'playback', appArg: tone });
    await job.get(10_000);
    const event = await executed;
    assert.equal(event.get('Application-Data'), tone);
    await listener.calls.get(job.sessUuid!)?.hangup();
  });

  test('injection attempts are refused before anything is written', async () => {
    client.listener = listener;
    const before = server.commandLog.length;
    await assert.rejects(client.api('status\n\napi hupall'), UnsafeInputError);
    await assert.rejects(client.cmd('status\r\nexit'), UnsafeInputError);
    assert.throws(() => client.originate('9196\n\napi hupall'), UnsafeInputError);
    assert.throws(() => client.originate('9196', { callerIdName: 'a:_:b' }), UnsafeInputError);
    assert.throws(() => client.originate('9196', { variables: { x: 'a\nb' } }), UnsafeInputError);
    assert.throws(() => client.originate('9196 &hupall'), UnsafeInputError);
    await assert.rejects(client.hupall('NORMAL_CLEARING\n\nexit'), EslError);
    assert.equal(server.commandLog.length, before, 'nothing reached the server');
    // Still usable afterwards: nothing desynchronised.
    assert.equal(await client.cmd('global_getvar local_ip_v4'), '127.0.0.1');
  });
});

describe('connection failures', () => {
  test('a wrong password fails with AuthError and does not retry', async () => {
    const server = new TestEslServer({ password: PASSWORD });
    await server.start();
    const client = new Client({ host: '127.0.0.1', port: server.port, password: 'WrongPassword' });
    const statuses: ConnectionStatus[] = [];
    client.onDidChangeStatus((c) => statuses.push(c.to));
    await assert.rejects(client.connect(), (err: unknown) => {
      assert.ok(err instanceof AuthError);
      assert.match(err.message, /rejected the password \(-ERR invalid\)/);
      assert.doesNotMatch(err.message, /WrongPassword/, 'the password never appears in errors');
      return true;
    });
    assert.equal(client.status, 'closed');
    assert.deepEqual(statuses, ['connecting', 'authenticating', 'closed']);
    assert.equal(server.connectionCount, 0);
    await server.stop();
  });

  test('a refused connection rejects clearly', async () => {
    const server = new TestEslServer({ password: PASSWORD });
    await server.start();
    const port = server.port;
    await server.stop();
    const client = new Client({ host: '127.0.0.1', port, password: PASSWORD });
    await assert.rejects(client.connect(), /connection refused/);
    assert.equal(client.status, 'closed');
  });

  test('a stalled command times out, and the late reply does not reach the next command', async () => {
    const server = new TestEslServer({ password: PASSWORD });
    await server.start();
    const client = new Client({ host: '127.0.0.1', port: server.port, password: PASSWORD, commandTimeoutMs: 200 });
    await client.connect();
    server.stallReplies(true);
    await assert.rejects(client.cmd('global_getvar local_ip_v4'), CommandTimeoutError);
    server.stallReplies(false);
    assert.equal(await client.cmd('status').then((s) => s.startsWith('UP ')), true);
    await client.disconnect();
    await server.stop();
  });

  test('server killed and restarted: pending commands rejected, subscriptions and filters restored, calls resynced', async () => {
    const server = new TestEslServer({ password: PASSWORD });
    await server.start();
    const options = { host: '127.0.0.1', port: server.port, password: PASSWORD, reconnect: { initialDelayMs: 20, maxDelayMs: 100 } };
    const listener = new EventListener(options);
    await listener.connect();
    const client = new Client({ ...options, listener });
    await client.connect();
    await listener.connection.subscribe(['CUSTOM', 'sofia::register']);
    await listener.connection.addFilter('Event-Name', 'CHANNEL_CREATE');
    await listener.connection.deleteFilter('Event-Name', 'CHANNEL_CREATE');

    const first = client.originate('9196');
    await first.get(10_000);
    await until(() => listener.calls.get(first.sessUuid!)?.sessions.length === 2, 'first call tracked');

    server.stallReplies(true);
    const pending = client.cmd('status');
    const reconnecting = nextStatus(listener.connection, 'reconnecting');
    await server.stop({ keepChannels: true });
    await assert.rejects(pending, ConnectionClosedError);
    const change = await reconnecting;
    assert.ok(change.attempt! >= 1);

    // While away: the first call ends, another begins.
    server.hangupAll('NORMAL_CLEARING');
    const second = server.originateDirect('9196');
    server.stallReplies(false);
    const resynced = nextEvent(listener.onDidResync, 'the resync after the server came back');
    await server.start();
    await resynced;
    await until(() => client.status === 'ready', 'client reconnected');

    assert.equal(listener.calls.has(first.sessUuid!), false, 'the call that ended while away is gone');
    const again = listener.calls.get(second);
    assert.ok(again, 'the call that began while away is tracked');
    assert.equal(again.sessions.length, 2, 'its loopback legs are grouped');
    // The listener's reconnect re-applied all of its subscriptions in one event command.
    const applied = server.commands.filter((c) => c.line.startsWith('event ') && c.line.includes('CHANNEL_CREATE')).map((c) => c.line);
    assert.ok(applied.length >= 2, 'subscriptions sent on connect and again on reconnect');
    assert.match(applied.at(-1)!, /CHANNEL_CREATE .*HEARTBEAT .*CUSTOM sofia::register$/);
    assert.equal(await client.cmd('global_getvar local_ip_v4'), '127.0.0.1');
    const third = client.originate('9196');
    await third.get(10_000);
    await until(() => listener.calls.has(third.sessUuid!), 'events flow after reconnect');
    await client.hupall();
    await client.disconnect();
    await listener.disconnect();
    await server.stop();
  });

  test('a silent peer (no HEARTBEAT) is presumed dead and reconnected', async () => {
    const server = new TestEslServer({ password: PASSWORD, heartbeatMs: 0 });
    await server.start();
    const listener = new EventListener({ host: '127.0.0.1', port: server.port, password: PASSWORD, livenessTimeoutMs: 200, reconnect: { initialDelayMs: 20, maxDelayMs: 50 } });
    await listener.connect();
    const change = await nextStatus(listener.connection, 'reconnecting', 5_000);
    assert.match(change.error!.message, /no data \(not even a HEARTBEAT\)/);
    await nextStatus(listener.connection, 'ready', 5_000);
    await listener.disconnect();
    await server.stop();
  });

  test('a frame over the size limit closes the connection with a clear error, then it reconnects', async () => {
    const server = new TestEslServer({ password: PASSWORD });
    await server.start();
    const client = new Client({ host: '127.0.0.1', port: server.port, password: PASSWORD, maxFrameBytes: 1024, reconnect: { initialDelayMs: 20, maxDelayMs: 50 } });
    await client.connect();
    const reconnecting = nextStatus(client.connection, 'reconnecting');
    server.injectRaw(`Content-Length: 1048576\nContent-Type: text/event-json\n\n${'x'.repeat(2048)}`);
    const change = await reconnecting;
    assert.match(change.error!.message, /exceeds the 1024-byte limit/);
    await nextStatus(client.connection, 'ready');
    assert.equal(await client.cmd('global_getvar local_ip_v4'), '127.0.0.1');
    await client.disconnect();
    await server.stop();
  });

  test('a call that ends while the listener resyncs does not come back', async () => {
    const server = new TestEslServer({ password: PASSWORD });
    await server.start();
    server.originateDirect('9196');
    await server.whenIdle();
    // Hang everything up just as the resync asks for variables, after it listed the channels.
    let fired = false;
    server.onCommand((record) => {
      if (fired || !record.line.startsWith('api uuid_getvar')) return;
      fired = true;
      server.stallReplies(true);
      server.hangupAll('NORMAL_CLEARING');
      void server.whenIdle().then(() => server.stallReplies(false));
    });
    const listener = new EventListener({ host: '127.0.0.1', port: server.port, password: PASSWORD });
    await listener.connect();
    assert.ok(fired);
    assert.equal(listener.sessions.size, 0);
    assert.equal(listener.calls.size, 0);
    await listener.disconnect();
    await server.stop();
  });

  test('subscriptions made while a reconnect is authenticating reach the server', async () => {
    const server = new TestEslServer({ password: PASSWORD });
    await server.start();
    const client = new Client({ host: '127.0.0.1', port: server.port, password: PASSWORD, reconnect: { initialDelayMs: 20, maxDelayMs: 50 } });
    await client.connect();
    let subscribedMidway = false;
    server.onCommand((record) => {
      if (subscribedMidway || !record.line.startsWith('event ') || client.status !== 'authenticating') return;
      subscribedMidway = true;
      void client.connection.subscribe(['CUSTOM', 'test::late']);
    });
    server.dropConnections();
    await nextStatus(client.connection, 'ready');
    assert.ok(subscribedMidway);
    const got = nextEvent(client.connection.onDidReceiveEvent, 'the test::late event subscribed mid-reconnect', (e) => e.subclass === 'test::late');
    server.emitEvent('CUSTOM', { 'Event-Subclass': 'test::late', 'X-Value': 'arrived' });
    assert.equal((await got).get('X-Value'), 'arrived');
    await client.disconnect();
    await server.stop();
  });

  test('a password with a line break is refused without quoting it', () => {
    assert.throws(
      () => new Client({ host: '127.0.0.1', password: 'S3cretPw\r' }),
      (err: unknown) => err instanceof UnsafeInputError && !err.message.includes('S3cretPw'),
    );
  });

  test('invalid %-sequences and invalid UTF-8 are delivered with U+FFFD; a throwing consumer does not stall the stream', async () => {
    const server = new TestEslServer({ password: PASSWORD });
    await server.start();
    for (const eventFormat of ['plain', 'json'] as const) {
      const listener = new EventListener({ host: '127.0.0.1', port: server.port, password: PASSWORD, eventFormat });
      await listener.connect();
      await listener.connection.subscribe(['CUSTOM', 'test::hostile']);
      const seen: string[] = [];
      listener.onDidReceiveEvent(() => {
        throw new Error('consumer bug');
      });
      listener.onDidReceiveEvent((e) => {
        if (e.subclass === 'test::hostile') seen.push(e.get('X-Value') ?? '');
      });
      server.emitEvent('CUSTOM', { 'Event-Subclass': 'test::hostile', 'X-Value': Buffer.from([0x41, 0xff, 0x42]) });
      server.emitEvent('CUSTOM', { 'Event-Subclass': 'test::hostile', 'X-Value': '%ZZ %' }, undefined, { rawPlainValues: true });
      server.emitEvent('CUSTOM', { 'Event-Subclass': 'test::hostile', 'X-Value': 'after' });
      await until(() => seen.length === 3, `all three ${eventFormat} events delivered`);
      assert.equal(seen[0], 'A\uFFFDB');
      assert.equal(seen[1], eventFormat === 'plain' ? '%ZZ %' : '%ZZ %');
      assert.equal(seen[2], 'after');
      await listener.disconnect();
    }
    await server.stop();
  });
});
