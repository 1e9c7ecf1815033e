import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Router, builtinApps, defineApp, validateApp, type AppContext, type EslEvent, type Session } from '../../src/core';

/** Just enough of a Session and an EslEvent for the Router, which reads headers and hangs up. */
function fakeCall(headers: Record<string, string>): { session: Session; event: EslEvent; hangups: string[] } {
  const hangups: string[] = [];
  const session = {
    ended: false,
    get: (name: string) => headers[name],
    hangup: async (cause: string) => void hangups.push(cause),
  } as unknown as Session;
  const event = { name: 'CHANNEL_PARK', get: (name: string) => headers[name] } as unknown as EslEvent;
  return { session, event, hangups };
}

function loadedRouter(router: Router, apps: string[] = []): string[] {
  const routed: string[] = [];
  const listener = {
    loadedApps: new Map(apps.map((id) => [id, {}])),
    routeToApp: async (_s: Session, id: string) => void routed.push(id),
  };
  router.setup({ id: 'router', client: {}, listener, version: 1 } as unknown as AppContext);
  return routed;
}

describe('Router (unit)', () => {
  test('a string pattern matches the whole value; a RegExp as it is; routes run in order until stopped', async () => {
    const ran: string[] = [];
    const router = new Router()
      .route('10', () => void ran.push('exact 10'))
      .route(/^1/, () => void ran.push('starts with 1'))
      .route('1.*', (_s, r) => {
        ran.push(`any 1: ${r.match[0]}`);
        r.stop();
      })
      .route('.*', () => void ran.push('never after stop'));
    loadedRouter(router);
    const a = fakeCall({ 'Caller-Destination-Number': '100' });
    assert.equal(await router.dispatch(a.session, a.event), 2);
    assert.deepEqual(ran, ['starts with 1', 'any 1: 100']);
    assert.deepEqual(a.hangups, []);
  });

  test('guards by header value, RegExp or predicate; no route hangs up with the cause', async () => {
    const ran: string[] = [];
    const router = new Router({ noRouteCause: 'CALL_REJECTED' })
      .route('.*', () => void ran.push('from 1000'), { guard: { 'Caller-Caller-ID-Number': '1000' } })
      .route('.*', () => void ran.push('sip'), { guard: { 'Channel-Name': /^sofia\// } })
      .route('.*', () => void ran.push('predicate'), { guard: (s) => s.get('X-Flag') === 'on' });
    loadedRouter(router);
    const a = fakeCall({ 'Caller-Destination-Number': '5', 'Caller-Caller-ID-Number': '1000', 'Channel-Name': 'loopback/5-b' });
    await router.dispatch(a.session, a.event);
    assert.deepEqual(ran, ['from 1000']);
    const b = fakeCall({ 'Caller-Destination-Number': '5', 'Channel-Name': 'sofia/internal/5@x', 'X-Flag': 'on' });
    await router.dispatch(b.session, b.event);
    assert.deepEqual(ran, ['from 1000', 'sip', 'predicate']);
    const c = fakeCall({ 'Caller-Destination-Number': '5' });
    assert.equal(await router.dispatch(c.session, c.event), 0);
    assert.deepEqual(c.hangups, ['CALL_REJECTED']);
  });

  test('an app target hands the call over and stops; one that is not loaded is skipped', async () => {
    const router = new Router({ header: 'Caller-Caller-ID-Number' }).route('2.*', 'missing').route('2.*', 'queue').route('2.*', 'never');
    const routed = loadedRouter(router, ['queue', 'never']);
    const a = fakeCall({ 'Caller-Caller-ID-Number': '2001' });
    assert.equal(await router.dispatch(a.session, a.event), 1);
    assert.deepEqual(routed, ['queue']);
  });

  test('Router.STOP as a return value stops routing; an unloaded router refuses to route', async () => {
    const ran: string[] = [];
    const router = new Router().route('.*', () => (ran.push('first'), Router.STOP)).route('.*', () => void ran.push('second'));
    const a = fakeCall({ 'Caller-Destination-Number': '1' });
    await assert.rejects(router.dispatch(a.session, a.event), /not loaded/);
    loadedRouter(router);
    await router.dispatch(a.session, a.event);
    assert.deepEqual(ran, ['first']);
    router.teardown();
    await assert.rejects(router.dispatch(a.session, a.event), /not loaded/);
  });

  test('a Router is a valid inbound app', () => {
    const router = new Router();
    assert.deepEqual(validateApp(router, 'router'), ['CHANNEL_PARK']);
    assert.equal(router.inbound, true);
  });
});

describe('app API (unit)', () => {
  test('every built-in app validates', () => {
    const apps = [
      builtinApps.TonePlay(),
      builtinApps.Echo(),
      builtinApps.ParkAndHold(),
      builtinApps.DtmfChecker(),
      builtinApps.CalleeBlockOnInvite(),
      builtinApps.CalleeRingback(),
      builtinApps.Bridger({ destination: '1000' }),
      builtinApps.Proxier({ destination: '1000' }),
    ];
    for (const app of apps) assert.ok(validateApp(app, app.name!).includes('CHANNEL_PARK'), app.name);
  });

  test('defineApp keeps the literal and its callbacks typed', () => {
    const app = defineApp({ name: 'T', on: { DTMF: (session, event) => `${session.uuid}${event.get('DTMF-Digit') ?? ''}` } });
    assert.deepEqual(validateApp(app, 'typed'), ['DTMF']);
    // @ts-expect-error a typo in an event name is a type error
    defineApp({ on: { CHANNEL_PRAK: () => undefined } });
  });
});
