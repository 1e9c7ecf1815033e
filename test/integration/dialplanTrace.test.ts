// Trace a Call end to end without VS Code: TraceRun against the test ESL server (which routes
// loopback calls through capture 19's default context with capture 20's trace lines), mapped onto
// the fixture configuration tree and onto the server's own assembled dialplan (xml_locate); and
// Trace This Call's recording of every call's lines on the connection.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Client, type EventListener } from '../../src/core';
import { mapTrace, traceSteps, type TraceExtension } from '../../src/extension/dialplan/trace';
import { RecordedTraceLines, recordTraceLines, recordedTraceOf } from '../../src/extension/dialplan/traceRecord';
import { TraceRun } from '../../src/extension/dialplan/traceRun';
import { attr, childrenNamed, parseXml } from '../../src/extension/dialplan/xml';
import { TestEslServer } from '../server/eslServer';
import { fixtureModel } from '../support/confTree';
import { until } from '../support/wait';
import { connectTo } from '../support/connect';

const PASSWORD = 'ClueCon';
describe('Trace a Call against the test ESL server', () => {
  let server: TestEslServer;
  let listener: EventListener;
  let client: Client;

  before(async () => {
    server = new TestEslServer({ password: PASSWORD });
    await server.start();
    ({ listener, client } = await connectTo(server, PASSWORD));
  });

  after(async () => {
    await client.disconnect();
    await listener.disconnect();
    await server.stop();
  });

  test('9664: the routed leg walks the context, hold_music matches on its anti-actions; the log level is restored', async () => {
    const run = new TraceRun(client, listener);
    const result = await run.run({ destination: '9664', context: 'default', callerIdName: 'Trace', callerIdNumber: '1000', idleMs: 400 });
    assert.equal(result.noLines, undefined);
    assert.equal(result.legs.length, 1, 'one leg went through the dialplan (the b-leg)');
    const steps = traceSteps(result.legs[0]!.lines);
    assert.deepEqual(steps[0], { kind: 'processing', callerName: 'Trace', callerNumber: '1000', destination: '9664', context: 'default' });

    const { model } = fixtureModel();
    const mapped = mapTrace(steps, (ctx) => (model.contexts.get(ctx)?.extensions ?? []).map((e) => ({ key: e.file, element: e.element, name: e.name })), { live: result.live });
    assert.equal(mapped.matched, 'hold_music');
    const holdMusic = model.contexts.get('default')!.extensions.find((e) => e.name === 'hold_music')!;
    const marks = mapped.marks.filter((m) => m.key === holdMusic.file);
    const kindOf = (el: unknown): string[] => marks.filter((m) => m.element === el).map((m) => m.kind);
    assert.deepEqual(kindOf(holdMusic.element), ['matched']);
    const [destination, crypto] = childrenNamed(holdMusic.element, 'condition');
    assert.deepEqual(kindOf(destination), ['pass']);
    assert.deepEqual(kindOf(crypto), ['fail']);
    const anti = childrenNamed(crypto!, 'anti-action');
    // The server's anti-actions are answer, a 2 s silence and the tone: the fixture's extra `set`
    // is not among them; the tone waits for the silence, which outlasts the trace.
    assert.deepEqual(
      anti.map((a) => kindOf(a)),
      [[], ['ran'], ['ran'], ['notRun']],
    );
    // Extensions after hold_music were never reached; the included files' extensions come after it.
    const unreached = mapped.marks.filter((m) => m.kind === 'unreached').map((m) => attr(m.element, 'name'));
    assert.ok(unreached.includes('support_hours') && unreached.includes('local.example.com'), unreached.join(', '));
    // The fixture has fewer extensions than the server: the others are named, not guessed.
    assert.ok(mapped.missing.includes('Local_Extension_Skinny'), mapped.missing.join(', '));
    assert.equal(result.live, true, 'the tone still plays: the call is up');
    await client.api(`uuid_kill ${result.uuid}`);
    await server.whenIdle();
    // The connection's log level is back to none: another call logs nothing to it.
    let logged = 0;
    const sub = client.connection.onDidReceiveLog(() => logged++);
    server.originateDirect('9196');
    await server.whenIdle();
    server.hangupAll('NORMAL_CLEARING');
    await server.whenIdle();
    sub.dispose();
    assert.equal(logged, 0, 'nolog after the trace');
  });

  test('a destination nothing matches: NO_ROUTE_DESTINATION, and every extension tested shows FAIL', async () => {
    const run = new TraceRun(client, listener);
    const result = await run.run({ destination: '7777777', context: 'default', idleMs: 400 });
    assert.deepEqual(result.originate, { ok: false, cause: 'NO_ROUTE_DESTINATION' });
    const steps = traceSteps(result.legs[0]!.lines);
    assert.ok(steps.filter((s) => s.kind === 'regex' && s.pass).length <= 1, 'only unloop\'s first test passes');
    assert.equal(result.live, false);
    await server.whenIdle();
  });

  test('onto the server\'s own dialplan (Show Effective Dialplan): every extension is there, Local_Extension\'s actions ran in order', async () => {
    const xml = await client.api('xml_locate dialplan context name default');
    const doc = parseXml(xml);
    const extensions = childrenNamed(doc.roots[0]!, 'extension').map((e) => ({ key: 'effective', element: e, name: attr(e, 'name') ?? '' }));
    const run = new TraceRun(client, listener);
    const result = await run.run({ destination: '1000', context: 'default', idleMs: 1500 });
    const steps = traceSteps(result.legs.flatMap((l) => l.lines));
    const mapped = mapTrace(steps, () => extensions);
    assert.deepEqual(mapped.missing, []);
    assert.equal(mapped.matched, 'Local_Extension');
    const ran = mapped.marks.filter((m) => m.kind === 'ran').sort((a, b) => a.order! - b.order!);
    assert.deepEqual(ran.slice(0, 3).map((m) => attr(m.element, 'application')), ['export', 'bind_meta_app', 'bind_meta_app']);
    // The bridge to loopback/app=voicemail fails on a leg of its own: the call's errors name it.
    assert.deepEqual(result.errors, ['Invalid Application voicemail']);
    if (result.live) await client.api(`uuid_kill ${result.uuid}`);
    await server.whenIdle();
  });

  test('Trace This Call: with recording on, each call\'s dialplan lines are kept per leg, and a call\'s trace comes from its legs', async () => {
    const record = new RecordedTraceLines();
    const { model } = fixtureModel();
    const extensionsOf = (ctx: string): TraceExtension[] => (model.contexts.get(ctx)?.extensions ?? []).map((e) => ({ key: e.file, element: e.element, name: e.name }));
    // Routed before recording started: nothing is kept for it.
    const early = server.originateDirect('9664');
    await until(() => listener.calls.has(early) && listener.calls.get(early)!.sessions.length === 2, 'the early call has both legs');
    await server.whenIdle();

    const { tap, ready } = recordTraceLines(client.connection, record);
    await ready;
    const uuid = server.originateDirect('9664');
    // hold_music's three anti-actions end its part of the dialplan.
    const antiActions = (): number => traceSteps(recordedTraceOf(listener, record, uuid).flatMap((l) => l.lines)).filter((s) => s.kind === 'action' && s.anti).length;
    await until(() => antiActions() === 3, 'the recorded trace reaches hold_music\'s anti-actions');
    const legs = recordedTraceOf(listener, record, uuid);
    const call = listener.calls.get(uuid)!;
    const bLeg = call.sessions.find((s) => s.uuid !== uuid)!.uuid;
    assert.deepEqual(legs.map((l) => l.uuid), [bLeg], 'the b-leg went through the dialplan');
    // Picked by its b-leg (a session row) the call's trace is the same.
    assert.deepEqual(recordedTraceOf(listener, record, bLeg), legs);
    const steps = traceSteps(legs[0]!.lines);
    assert.deepEqual(steps[0], { kind: 'processing', callerName: '', callerNumber: '0000000000', destination: '9664', context: 'default' });
    assert.equal(mapTrace(steps, extensionsOf, { live: true }).matched, 'hold_music');
    assert.deepEqual(recordedTraceOf(listener, record, early), [], 'the call routed before recording has no trace');

    // Recording off: the connection's level goes back, and the next call is not recorded.
    await tap.close();
    const late = server.originateDirect('9664');
    await until(() => listener.calls.get(late)?.sessions.length === 2, 'the late call has both legs');
    await server.whenIdle();
    assert.deepEqual(recordedTraceOf(listener, record, late), []);
    server.hangupAll('NORMAL_CLEARING');
    await server.whenIdle();
  });
});
