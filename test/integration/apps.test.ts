import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  type Client,
  type EventListener,
  Router,
  bridger,
  calleeBlockOnInvite,
  calleeRingback,
  defineApp,
  dtmfChecker,
  echo,
  parkAndHold,
  tonePlay,
  type App,
  type AppError,
  type EslEvent,
  type Job,
  type OriginateOptions,
  type Session,
} from '../../src/core';
import { TestEslServer } from '../server/eslServer';
import { until } from '../support/wait';
import { connectTo } from '../support/connect';

const PASSWORD = 'ClueCon';
/** Into the test server's `park` context: the inbound (b) leg parks unanswered, waiting for an app. */
const INBOUND: OriginateOptions = { endpoint: { kind: 'loopback', context: 'park' } };

describe('apps against the test ESL server', () => {
  let server: TestEslServer;
  let listener: EventListener;
  let client: Client;
  let errors: AppError[];

  before(async () => {
    server = new TestEslServer({ password: PASSWORD });
    await server.start();
    ({ listener, client } = await connectTo(server, PASSWORD));
    // The built-in tests look at playback events, which the listener does not need by itself.
    await listener.connection.subscribe(['PLAYBACK_START', 'PLAYBACK_STOP']);
    listener.onDidAppError((e) => errors.push(e));
  });

  beforeEach(async () => {
    errors = [];
    for (const id of [...listener.loadedApps.keys()]) await client.unloadApp(id);
    await client.hupall();
    await until(() => listener.calls.size === 0 && listener.sessions.size === 0, 'no calls left from the previous test');
  });

  after(async () => {
    client.dispose();
    listener.dispose();
    await server.stop();
  });

  /** Starts a call and resolves once it is up. */
  async function call(dest: string, options: OriginateOptions = {}): Promise<{ sessUuid: string; job: Job }> {
    const job = client.originate(dest, options);
    await job.get(10_000);
    return { sessUuid: job.sessUuid!, job };
  }

  /** The inbound (b) leg of the loopback call whose a-leg is `aUuid`. */
  async function inboundLeg(aUuid: string): Promise<Session> {
    let leg: Session | undefined;
    await until(() => (leg = listener.calls.get(aUuid)?.sessions.find((s) => s.direction === 'inbound')) !== undefined, 'the inbound leg');
    return leg!;
  }

  function ended(uuid: string): Promise<void> {
    return until(() => !listener.sessions.has(uuid), `session ${uuid} ended`);
  }

  /** Records the events of every session, in order. */
  function recordEvents(): { events: EslEvent[]; dispose(): void } {
    const events: EslEvent[] = [];
    const sub = listener.onDidReceiveEvent((e) => events.push(e));
    return { events, dispose: () => sub.dispose() };
  }

  test('load, originate into it, stats, unload: setup and teardown get the client', async () => {
    const seen: string[] = [];
    let changes = 0;
    const sub = listener.onDidChangeApps(() => changes++);
    const app = defineApp({
      name: 'Recorder',
      setup(ctx) {
        assert.equal(ctx.client, client);
        assert.equal(ctx.listener, listener);
        seen.push(`setup ${ctx.id} v${ctx.version}`);
      },
      teardown(ctx) {
        seen.push(`teardown ${ctx.id} v${ctx.version}`);
      },
      on: {
        CHANNEL_PARK: (session) => void seen.push(`park ${session.direction}`),
      },
    });
    const loaded = await client.loadApp(app, { id: 'rec' });
    assert.equal(loaded.version, 1);
    assert.deepEqual(loaded.callbacks, ['CHANNEL_PARK']);
    const job = await call('9196', { appId: 'rec' });
    await until(() => seen.includes('park outbound'), 'the park callback');
    assert.equal(loaded.callsHandled, 1);
    assert.equal(loaded.runs.get('CHANNEL_PARK'), 1);
    assert.ok(loaded.calls.has(job.sessUuid!));
    await client.hupall();
    await ended(job.sessUuid!);
    await client.unloadApp('rec');
    assert.deepEqual(seen, ['setup rec v1', 'park outbound', 'teardown rec v1']);
    assert.equal(listener.loadedApps.has('rec'), false);
    assert.equal(changes, 2);
    sub.dispose();
  });

  test('a load that fails validation or setup leaves nothing loaded', async () => {
    await assert.rejects(client.loadApp({ on: {} }, { id: 'empty' }), /has no callbacks/);
    await assert.rejects(client.loadApp({ on: { CHANNEL_PARK: () => undefined }, setup: () => Promise.reject(new Error('no db')) }, { id: 'nodb' }), /no db/);
    assert.equal(listener.loadedApps.size, 0);
    assert.throws(() => client.originate('9196', { appId: 'nodb' }), /no app is loaded with id nodb/);
  });

  test('hot swap: calls in progress keep the old version, new calls get the new one, the old teardown waits for its last call', async () => {
    const log: string[] = [];
    const version = (v: string): App => ({
      name: `Swap ${v}`,
      teardown: () => void log.push(`teardown ${v}`),
      on: {
        CHANNEL_PARK: (s) => void (s.direction === 'outbound' && log.push(`${v} park ${s.uuid}`)),
        CHANNEL_HANGUP_COMPLETE: (s) => void (s.direction === 'outbound' && log.push(`${v} hangup ${s.uuid}`)),
      },
    });
    await client.loadApp(version('v1'), { id: 'swap' });
    const first = await call('park', { appId: 'swap' });
    await until(() => log.includes(`v1 park ${first.sessUuid}`), 'the first call reached v1');

    const reloaded = await client.reloadApp(version('v2'), { id: 'swap' });
    assert.equal(reloaded.version, 2);
    assert.equal(reloaded.name, 'Swap v2');
    assert.deepEqual(
      reloaded.versions.map((v) => [v.version, v.current, v.liveCalls]),
      [
        [2, true, 0],
        [1, false, 1],
      ],
    );
    assert.ok(!log.includes('teardown v1'), 'v1 still has a call');

    const second = await call('park', { appId: 'swap' });
    await until(() => log.includes(`v2 park ${second.sessUuid}`), 'the second call reached v2');

    await listener.sessions.get(first.sessUuid!)!.hangup();
    await until(() => log.includes('teardown v1'), 'v1 torn down after its last call');
    assert.ok(log.indexOf(`v1 hangup ${first.sessUuid}`) < log.indexOf('teardown v1'), 'the old call ended on v1, then v1 was torn down');
    assert.deepEqual(listener.loadedApps.get('swap')!.versions.map((v) => v.version), [2]);

    await listener.sessions.get(second.sessUuid!)!.hangup();
    await until(() => log.includes(`v2 hangup ${second.sessUuid}`), 'the new call ended on v2');
    assert.deepEqual(
      log.filter((l) => !l.startsWith('teardown')),
      [`v1 park ${first.sessUuid}`, `v2 park ${second.sessUuid}`, `v1 hangup ${first.sessUuid}`, `v2 hangup ${second.sessUuid}`],
    );
    assert.equal(listener.loadedApps.get('swap')!.callsHandled, 2);
  });

  test('a reload with no calls in progress tears the old version down at once', async () => {
    const torn: number[] = [];
    const app = (): App => ({ on: { CHANNEL_PARK: () => undefined }, teardown: (ctx) => void torn.push(ctx.version) });
    await client.loadApp(app(), { id: 'idle' });
    await client.reloadApp(app(), { id: 'idle' });
    await until(() => torn.length === 1, 'v1 teardown');
    assert.deepEqual(torn, [1]);
    await client.unloadApp('idle');
    assert.deepEqual(torn, [1, 2]);
  });

  test('a failed reload keeps the old version running and says why', async () => {
    const hits: string[] = [];
    let changes = 0;
    const sub = listener.onDidChangeApps(() => changes++);
    await client.loadApp({ name: 'Keep', on: { CHANNEL_PARK: () => void hits.push('v1') } }, { id: 'keep' });
    let tornDown = false;
    await assert.rejects(
      client.reloadApp({ on: { CHANNEL_PARK: () => void hits.push('v2') }, setup: () => { throw new Error('SyntaxError at fsapps/keep.ts:3'); }, teardown: () => void (tornDown = true) }, { id: 'keep' }),
      /SyntaxError at fsapps\/keep.ts:3/,
    );
    await assert.rejects(client.reloadApp({ on: { CHANNEL_PRAK: () => undefined } } as never, { id: 'keep' }), /CHANNEL_PRAK.*is not a channel event/);
    await assert.rejects(client.reloadApp({ on: { CHANNEL_PARK: () => undefined } }, { id: 'nope' }), /no app is loaded with id nope/);
    assert.equal(tornDown, false, 'no teardown for a version whose setup failed');
    const loaded = listener.loadedApps.get('keep')!;
    assert.equal(loaded.version, 1);
    assert.equal(loaded.lastError?.eventName, 'reload');
    assert.match(loaded.lastError!.error.message, /is not a channel event/);
    assert.deepEqual(errors.map((e) => [e.appId, e.eventName, e.version]), [
      ['keep', 'reload', 2],
      ['keep', 'reload', 2],
    ]);
    assert.equal(changes, 3, 'load + two failed reloads');
    await call('9196', { appId: 'keep' });
    await until(() => hits.length === 1, 'the call reached the app');
    assert.deepEqual(hits, ['v1']);
    sub.dispose();
  });

  test('reloads of one id run one after another', async () => {
    await client.loadApp({ on: { CHANNEL_PARK: () => undefined } }, { id: 'serial' });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const order: number[] = [];
    const slow = client.reloadApp({ on: { CHANNEL_PARK: () => undefined }, setup: async () => { await gate; order.push(2); } }, { id: 'serial' });
    const fast = client.reloadApp({ on: { CHANNEL_PARK: () => undefined }, setup: () => void order.push(3) }, { id: 'serial' });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, [], 'the second setup waits for the first reload');
    release();
    const [a, b] = await Promise.all([slow, fast]);
    assert.deepEqual(order, [2, 3]);
    assert.equal(a.version, 3, 'both return the same LoadedApp');
    assert.equal(b.version, 3);
  });

  test('an app that throws or rejects is reported; other apps and calls carry on', async () => {
    const good: string[] = [];
    await client.loadApp({ on: { CHANNEL_PARK: () => { throw new Error('sync boom'); }, CHANNEL_ANSWER: async () => Promise.reject(new Error('async boom')) } }, { id: 'bad' });
    await client.loadApp({ on: { CHANNEL_PARK: (s) => void good.push(s.uuid) } }, { id: 'good' });
    const bad = await call('9196', { appId: 'bad' });
    const ok = await call('9196', { appId: 'good' });
    await until(() => good.length === 1 && errors.some((e) => e.eventName === 'CHANNEL_PARK'), 'both apps ran');
    assert.deepEqual(good, [ok.sessUuid]);
    const messages = errors.map((e) => `${e.appId}:${e.eventName}:${e.error.message}`).sort();
    assert.ok(messages.includes('bad:CHANNEL_PARK:sync boom'));
    assert.ok(messages.includes('bad:CHANNEL_ANSWER:async boom'));
    assert.ok(listener.loadedApps.get('bad')!.errors >= 2);
    assert.equal(listener.loadedApps.get('good')!.errors, 0);
    assert.ok(listener.calls.has(bad.sessUuid!), 'the call of the throwing app is still up');
  });

  test('async flows inside a callback: await session.recv', async () => {
    const got: string[] = [];
    await client.loadApp(
      {
        on: {
          CHANNEL_PARK: async (session) => {
            if (session.direction !== 'inbound') return;
            const answer = await session.recv('CHANNEL_ANSWER', { timeout: 5000 });
            got.push(answer.name);
            await session.hangup();
          },
        },
      },
      { id: 'waiter' },
    );
    const job = await call('5555', { ...INBOUND, appId: 'waiter' });
    const b = await inboundLeg(job.sessUuid!);
    await until(() => listener.loadedApps.get('waiter')!.runs.get('CHANNEL_PARK') === 2, 'both park callbacks ran');
    await client.cmd(`uuid_answer ${b.uuid}`);
    await ended(b.uuid);
    assert.deepEqual(got, ['CHANNEL_ANSWER']);
    assert.deepEqual(errors, []);
  });

  describe('Router', () => {
    test('routes parked inbound calls by destination to apps and functions; guards; no route', async () => {
      const ran: string[] = [];
      await client.loadApp(tonePlay(), { id: 'tones' });
      const router = new Router()
        .route('1000', 'tones')
        .route(/^2(\d+)$/, (_session, route) => void ran.push(`vip ${route.match[1]}`), { guard: { 'Caller-Caller-ID-Number': '4242' } })
        .route(/^2(\d+)$/, async (session, route) => {
          ran.push(`plain ${route.match[1]}`);
          await session.hangup('USER_BUSY');
        });
      await client.loadApp(router, { id: 'router' });

      const toApp = await call('1000', INBOUND);
      const toneLeg = await inboundLeg(toApp.sessUuid!);
      await ended(toneLeg.uuid);
      assert.equal(toneLeg.var('fsdev_app_id'), 'tones', 'the route set fsdev_app_id');
      assert.equal(toneLeg.hangupCause, 'NORMAL_CLEARING');
      assert.ok(toneLeg.answered, 'TonePlay answered it');
      assert.equal(listener.loadedApps.get('tones')!.runs.get('CHANNEL_PARK'), 1);

      const vip = await call('2007', { ...INBOUND, callerIdNumber: '4242' });
      const vipLeg = await inboundLeg(vip.sessUuid!);
      await ended(vipLeg.uuid);
      assert.deepEqual(ran, ['vip 007', 'plain 007'], 'without stop, every matching route runs');
      assert.equal(vipLeg.hangupCause, 'USER_BUSY');

      ran.length = 0;
      const plain = await call('2008', { ...INBOUND, callerIdNumber: '1000' });
      await ended((await inboundLeg(plain.sessUuid!)).uuid);
      assert.deepEqual(ran, ['plain 008'], 'the guard kept the vip route out');

      const none = await call('3000', INBOUND);
      const noneLeg = await inboundLeg(none.sessUuid!);
      await ended(noneLeg.uuid);
      assert.equal(noneLeg.hangupCause, 'NO_ROUTE_DESTINATION');
      assert.equal(noneLeg.answered, false);
      assert.deepEqual(errors, []);
      // Outbound legs and calls owned by an app are not the router's.
      assert.equal(listener.loadedApps.get('router')!.runs.get('CHANNEL_PARK'), 4);
    });

    test('stopping routing, a custom no-route cause, a target that is not loaded', async () => {
      const ran: string[] = [];
      const router = new Router({ noRouteCause: 'UNALLOCATED_NUMBER' })
        .route('.*', () => {
          ran.push('first');
          return Router.STOP;
        }, { guard: (session) => session.destination.startsWith('7') })
        .route('7.*', (_s, route) => {
          ran.push('second');
          route.stop();
        })
        .route('8.*', 'not-loaded')
        .route('7.*', () => void ran.push('never'));
      await client.loadApp(router, { id: 'router' });
      const seven = await call('7100', INBOUND);
      const sevenLeg = await inboundLeg(seven.sessUuid!);
      await until(() => ran.length > 0, 'a route ran');
      assert.deepEqual(ran, ['first']);
      ran.length = 0;
      await sevenLeg.hangup();

      const eight = await call('8100', INBOUND);
      const eightLeg = await inboundLeg(eight.sessUuid!);
      await ended(eightLeg.uuid);
      assert.equal(eightLeg.hangupCause, 'UNALLOCATED_NUMBER');
      assert.deepEqual(ran, [], 'the unloaded app target counts as no route');
      assert.throws(() => new Router({ noRouteCause: 'not a cause' }), /not a FreeSWITCH cause name/);
    });

    test('a custom header and routing on a channel variable guard', async () => {
      const ran: string[] = [];
      const router = new Router({ header: 'Caller-Caller-ID-Number' }).route('55.*', (s) => {
        ran.push(s.callerIdNumber);
        return s.hangup();
      }, { guard: { 'variable_fsdev_tag': /^blue$/ } });
      await client.loadApp(router, { id: 'router' });
      const hit = await call('100', { ...INBOUND, callerIdNumber: '5501', variables: { fsdev_tag: 'blue' } });
      await ended((await inboundLeg(hit.sessUuid!)).uuid);
      const miss = await call('100', { ...INBOUND, callerIdNumber: '5502', variables: { fsdev_tag: 'red' } });
      const missLeg = await inboundLeg(miss.sessUuid!);
      await ended(missLeg.uuid);
      assert.deepEqual(ran, ['5501']);
      assert.equal(missLeg.hangupCause, 'NO_ROUTE_DESTINATION');
    });
  });

  describe('built-in apps', () => {
    test('TonePlay answers, plays the tone and hangs up', async () => {
      const rec = recordEvents();
      await client.loadApp(tonePlay({ tone: 'tone_stream://%(100,0,1004)' }), { id: 'tones' });
      const job = await call('9196', { appId: 'tones' });
      await ended(job.sessUuid!);
      rec.dispose();
      const mine = rec.events.filter((e) => e.uuid === job.sessUuid);
      const played = mine.find((e) => e.name === 'PLAYBACK_START');
      assert.equal(played?.get('Playback-File-Path'), 'tone_stream://%(100,0,1004)');
      assert.ok(mine.findIndex((e) => e.name === 'PLAYBACK_STOP') < mine.findIndex((e) => e.name === 'CHANNEL_HANGUP'));
      assert.equal(listener.history.find((c) => c.uuid === job.sessUuid)?.first.hangupCause, 'NORMAL_CLEARING');
    });

    test('Echo answers an inbound call and runs echo until hangup', async () => {
      await client.loadApp(echo(), { id: 'echo' });
      const job = await call('9000', { ...INBOUND, appId: 'echo' });
      const b = await inboundLeg(job.sessUuid!);
      await until(() => b.answered && b.get('Application') === 'echo', 'echo running');
      assert.deepEqual(errors, []);
      await listener.sessions.get(job.sessUuid!)!.hangup();
      await ended(b.uuid);
      await until(() => listener.loadedApps.get('echo')!.versions[0]!.running === 0, 'the echo callback settled at hangup');
      assert.deepEqual(errors, []);
    });

    test('ParkAndHold plays hold music until the caller hangs up', async () => {
      const rec = recordEvents();
      await client.loadApp(parkAndHold({ music: 'tone_stream://%(50,0,440)' }), { id: 'hold' });
      const job = await call('9001', { ...INBOUND, appId: 'hold' });
      const b = await inboundLeg(job.sessUuid!);
      // A 50 ms stream: the app starts it again and again.
      await until(() => rec.events.filter((e) => e.uuid === b.uuid && e.name === 'PLAYBACK_START').length >= 3, 'the music restarted');
      assert.ok(b.answered);
      await listener.sessions.get(job.sessUuid!)!.hangup();
      await ended(b.uuid);
      await until(() => listener.loadedApps.get('hold')!.versions[0]!.running === 0, 'the hold loop ended');
      rec.dispose();
      assert.deepEqual(errors, []);
    });

    test('DtmfChecker sends digits and checks they arrive in order', async () => {
      const checker = dtmfChecker({ digits: '12#9' });
      await client.loadApp(checker, { id: 'dtmf' });
      const job = await call('park', { appId: 'dtmf' });
      await until(() => checker.results.length === 1, 'the check finished');
      const [result] = checker.results;
      assert.equal(result!.ok, true, result!.reason);
      assert.equal(result!.received, '12#9');
      assert.equal(result!.senderUuid, job.sessUuid);
      await ended(job.sessUuid!);
      assert.deepEqual(errors, []);
    });

    test('DtmfChecker reports digits that never arrive', async () => {
      const checker = dtmfChecker({ digits: '1', timeoutMs: 100 });
      await client.loadApp(checker, { id: 'dtmf' });
      // The caller leg sleeps instead of parking, so the far leg can be given away first: its
      // DTMF events then belong to another app and never reach the checker.
      const job = await call('park', { appId: 'dtmf', app: 'sleep', appArg: '60000' });
      const b = await inboundLeg(job.sessUuid);
      await until(() => b.answered, 'the far leg answered');
      await b.setVar('fsdev_app_id', 'elsewhere');
      await client.cmd(`uuid_park ${job.sessUuid}`);
      await until(() => checker.results.length === 1, 'the check finished');
      const [result] = checker.results;
      assert.equal(result!.ok, false);
      assert.match(result!.reason ?? '', /timed out after 100 ms with nothing of 1/);
      await ended(job.sessUuid);
      assert.deepEqual(errors, []);
    });

    test('CalleeBlockOnInvite rejects without answering', async () => {
      await client.loadApp(calleeBlockOnInvite({ cause: 'USER_BUSY' }), { id: 'block' });
      const job = await call('9002', { ...INBOUND, appId: 'block' });
      const b = await inboundLeg(job.sessUuid!);
      await ended(b.uuid);
      assert.equal(b.hangupCause, 'USER_BUSY');
      assert.equal(b.answered, false);
      assert.deepEqual(errors, []);
    });

    test('CalleeRingback sends early media, then answers after the delay', async () => {
      const seen: Array<[string, number]> = [];
      await client.loadApp(calleeRingback({ answerAfterMs: 80 }), { id: 'ring' });
      const job = await call('9003', { ...INBOUND, appId: 'ring' });
      const b = await inboundLeg(job.sessUuid!);
      const sub = listener.onDidChangeSession(({ session, event }) => {
        if (session === b && (event.name === 'CHANNEL_PROGRESS_MEDIA' || event.name === 'CHANNEL_ANSWER')) seen.push([event.name, Date.now()]);
      });
      await until(() => b.answered, 'answered', 5000);
      sub.dispose();
      assert.deepEqual(seen.map(([n]) => n), ['CHANNEL_PROGRESS_MEDIA', 'CHANNEL_ANSWER']);
      assert.ok(seen[1]![1] - seen[0]![1] >= 70, `answered ${seen[1]![1] - seen[0]![1]} ms after early media`);
      assert.equal(b.callState, 'ACTIVE');
      assert.deepEqual(errors, []);
    });

    test('Bridger bridges an inbound call to a new call', async () => {
      await client.loadApp(bridger({ destination: '9196' }), { id: 'proxy' });
      const job = await call('9004', { ...INBOUND, appId: 'proxy' });
      const b = await inboundLeg(job.sessUuid!);
      await until(() => b.bridgedTo !== undefined, 'bridged');
      const other = listener.sessions.get(b.bridgedTo!)!;
      assert.equal(other.channelName, 'loopback/9196-a');
      assert.equal(other.call, b.call, 'the bridged legs are one call');
      await b.hangup();
      await until(() => listener.sessions.size === 0, 'every leg ended');
      assert.deepEqual(errors, []);
    });

    test('Bridger hangs the inbound leg up with the cause of a failed outgoing call', async () => {
      await client.loadApp(bridger({ destination: 'nowhere' }), { id: 'proxy' });
      const job = await call('9005', { ...INBOUND, appId: 'proxy' });
      const b = await inboundLeg(job.sessUuid!);
      await ended(b.uuid);
      assert.equal(b.hangupCause, 'NO_ROUTE_DESTINATION');
      assert.deepEqual(errors, []);
    });
  });
});
