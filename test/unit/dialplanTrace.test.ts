// mod_dialplan_xml's trace lines, from the real captures (08, 20), parsed and mapped onto XML.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FrameParser, type EslFrame } from '../../src/core';
import { mapTrace, parseTraceLine, traceSteps, type TraceExtension, type TraceLogLine } from '../../src/extension/dialplan/trace';
import { RecordedTraceLines } from '../../src/extension/dialplan/traceRecord';
import { attr, childrenNamed, parseXml } from '../../src/extension/dialplan/xml';
import { loadCapture } from '../support/captures';
import { fixtureModel } from '../support/confTree';

function logLines(capture: string): TraceLogLine[] {
  const frames = new FrameParser().push(loadCapture(capture).server) as EslFrame[];
  return frames
    .filter((f) => f.headers['Content-Type'] === 'log/data')
    .map((f) => ({ uuid: f.headers['User-Data']?.trim() || undefined, level: Number(f.headers['Log-Level']), text: f.body?.toString('utf8') ?? '' }));
}

describe('dialplan trace lines (captures 08 and 20)', () => {
  test('every mod_dialplan_xml and EXECUTE line of the captures parses, and nothing else does', () => {
    for (const capture of ['08', '20']) {
      const lines = logLines(capture);
      const dialplan = lines.filter((l) => /Dialplan: |EXECUTE \[depth|mod_dialplan_xml\.c:\d+ Processing/.test(l.text));
      assert.ok(dialplan.length > 60, `${capture}: ${dialplan.length} lines`);
      for (const l of dialplan) assert.ok(parseTraceLine(l.text), `${capture}: ${JSON.stringify(l.text)}`);
      const others = lines.filter((l) => !dialplan.includes(l) && !/Invalid Application/.test(l.text));
      for (const l of others) assert.equal(parseTraceLine(l.text), undefined, JSON.stringify(l.text));
    }
  });

  test('the shapes capture 20 shows, field by field', () => {
    assert.deepEqual(parseTraceLine('2026-11-29 08:37:07.405524 65.20% [INFO] mod_dialplan_xml.c:639 Processing  <0000000000>->9664 in context default\n'), {
      kind: 'processing',
      callerName: '',
      callerNumber: '0000000000',
      destination: '9664',
      context: 'default',
    });
    assert.deepEqual(parseTraceLine('Dialplan: loopback/9664-b parsing [default->conf mod] continue=false\n'), {
      kind: 'parsing',
      channel: 'loopback/9664-b',
      context: 'default',
      extension: 'conf mod',
      continue: 'false',
    });
    assert.deepEqual(parseTraceLine('Dialplan: loopback/9664-b Regex (FAIL) [hold_music] ${rtp_has_crypto}() =~ /^(AES_CM_128_HMAC_SHA1_32|AES_CM_128_HMAC_SHA1_80)$/ break=on-false\n'), {
      kind: 'regex',
      pass: false,
      channel: 'loopback/9664-b',
      extension: 'hold_music',
      field: '${rtp_has_crypto}',
      value: '',
      expression: '^(AES_CM_128_HMAC_SHA1_32|AES_CM_128_HMAC_SHA1_80)$',
      breakOn: 'on-false',
      depth: 0,
    });
    assert.deepEqual(parseTraceLine('Dialplan: loopback/9664-b ANTI-Action playback(tone_stream://%(1000,0,440);loops=-1) \n'), {
      kind: 'action',
      anti: true,
      channel: 'loopback/9664-b',
      app: 'playback',
      data: 'tone_stream://%(1000,0,440);loops=-1',
      inline: false,
      depth: 0,
    });
    assert.deepEqual(parseTraceLine('Dialplan: loopback/1000-b Action bind_meta_app(2 b s record_session::/srv/fs2/recordings/${caller_id_number}.${strftime(%Y-%m-%d-%H-%M-%S)}.wav) \n'), {
      kind: 'action',
      anti: false,
      channel: 'loopback/1000-b',
      app: 'bind_meta_app',
      data: '2 b s record_session::/srv/fs2/recordings/${caller_id_number}.${strftime(%Y-%m-%d-%H-%M-%S)}.wav',
      inline: false,
      depth: 0,
    });
    assert.deepEqual(parseTraceLine('Dialplan: loopback/9664-b Date/TimeMatch (FAIL) [tod_example] break=on-false\n'), {
      kind: 'time',
      pass: false,
      channel: 'loopback/9664-b',
      extension: 'tod_example',
      breakOn: 'on-false',
      depth: 0,
    });
    assert.deepEqual(parseTraceLine('EXECUTE [depth=0] loopback/1000-b set(ringback=%(2000,4000,440,480))\n'), {
      kind: 'execute',
      depth: 0,
      channel: 'loopback/1000-b',
      app: 'set',
      data: 'ringback=%(2000,4000,440,480)',
    });
  });

  test('shapes no capture holds, from mod_dialplan_xml.c: timestamps, regex="any", nesting, inline, absolute', () => {
    const stamped = parseTraceLine('2026-01-01 10:00:00.000000 90.00% [DEBUG] mod_dialplan_xml.c:415 Dialplan: sofia/internal/1000@example.com Regex (PASS) [front_desk] destination_number(front) =~ /^front$/ match=any\n');
    assert.deepEqual(stamped, {
      kind: 'regex',
      pass: true,
      channel: 'sofia/internal/1000@example.com',
      extension: 'front_desk',
      field: 'destination_number',
      value: 'front',
      expression: '^front$',
      match: 'any',
      depth: 0,
    });
    assert.deepEqual(parseTraceLine('|--- Dialplan: Processing recursive conditions level:1 [x_recur_1] require-nested=TRUE\n'), {
      kind: 'nested',
      level: 1,
      extension: 'x_recur_1',
      requireNested: true,
    });
    assert.equal((parseTraceLine('|--- Dialplan: loopback/1-b Regex (PASS) [x_recur_1] ${a}(b) =~ /b/ break=on-false\n') as { depth: number }).depth, 1);
    assert.deepEqual(parseTraceLine('Dialplan: loopback/1-b Action set(a=b) INLINE\n'), { kind: 'action', anti: false, channel: 'loopback/1-b', app: 'set', data: 'a=b', inline: true, depth: 0 });
    assert.deepEqual(parseTraceLine('Dialplan: loopback/1-b Absolute Condition [x]\n'), { kind: 'absolute', channel: 'loopback/1-b', extension: 'x', depth: 0 });
    assert.equal(parseTraceLine('Dialplan: x'), undefined);
  });

  test('mapped onto XML: duplicate names in order, an extension the server did not test, one it lacks', () => {
    const doc = parseXml(`<context name="default">
  <extension name="a"><condition field="destination_number" expression="^1$"><action application="answer"/></condition></extension>
  <extension name="local_only"><condition field="destination_number" expression="^2$"/></extension>
  <extension name="a"><condition field="destination_number" expression="^3$"><action application="answer"/><action application="park"/></condition></extension>
  <extension name="after"><condition field="destination_number" expression="^4$"/></extension>
</context>`);
    const exts: TraceExtension[] = childrenNamed(doc.roots[0]!, 'extension').map((e) => ({ key: 'doc', element: e, name: attr(e, 'name')! }));
    const lines = [
      'x [INFO] mod_dialplan_xml.c:639 Processing Caller <1000>->3 in context default',
      'Dialplan: loopback/3-b parsing [default->a] continue=false',
      'Dialplan: loopback/3-b Regex (FAIL) [a] destination_number(3) =~ /^1$/ break=on-false',
      'Dialplan: loopback/3-b parsing [default->server_only] continue=false',
      'Dialplan: loopback/3-b Regex (FAIL) [server_only] destination_number(3) =~ /^9$/ break=on-false',
      'Dialplan: loopback/3-b parsing [default->a] continue=false',
      'Dialplan: loopback/3-b Regex (PASS) [a] destination_number(3) =~ /^3$/ break=on-false',
      'Dialplan: loopback/3-b Action answer() ',
      'Dialplan: loopback/3-b Action park() ',
      'EXECUTE [depth=0] loopback/3-b answer()',
    ].map((text) => ({ uuid: 'b', level: 7, text }));
    const mapped = mapTrace(traceSteps(lines), () => exts, { live: true });
    const kinds = (i: number): string[] => mapped.marks.filter((m) => m.element === exts[i]!.element).map((m) => m.kind);
    assert.deepEqual(kinds(0), ['tested']);
    assert.deepEqual(kinds(1), ['skipped']);
    assert.deepEqual(kinds(2), ['matched']);
    assert.deepEqual(kinds(3), ['unreached']);
    assert.deepEqual(mapped.missing, ['server_only']);
    assert.equal(mapped.matched, 'a');
    const actions = childrenNamed(childrenNamed(exts[2]!.element, 'condition')[0]!, 'action');
    assert.deepEqual(
      actions.map((a) => mapped.marks.find((m) => m.element === a)).map((m) => [m?.kind, m?.order]),
      [
        ['ran', 1],
        ['notRun', 2],
      ],
    );
    assert.match(mapped.marks.find((m) => m.element === actions[1])!.detail.join(' '), /still up/);
    assert.equal(mapped.steps.find((s) => s.step.kind === 'execute')?.target?.element, actions[0]);
  });

  test('Trace This Call: capture 20\'s lines recorded per leg, one call\'s trace built from its legs, the other call\'s left out', () => {
    const frames = new FrameParser().push(loadCapture('20').server) as EslFrame[];
    // The calls as capture 20 has them: the originated a-leg (api +OK <uuid>), and the b-leg that
    // names it as its other loopback leg (its events).
    const originated = frames.flatMap((f) => (f.headers['Content-Type'] === 'api/response' ? [/^\+OK ([0-9a-f-]{36})/.exec(f.body?.toString('utf8') ?? '')?.[1]] : [])).filter((u): u is string => !!u);
    assert.equal(originated.length, 2);
    const events = frames.filter((f) => f.headers['Content-Type'] === 'text/event-json').map((f) => JSON.parse(f.body!.toString('utf8')) as Record<string, string>);
    const legsOf = (aLeg: string): string[] => [aLeg, ...new Set(events.filter((e) => e['variable_other_loopback_leg_uuid'] === aLeg).map((e) => e['Unique-ID']!))];
    const [call1, call2] = originated.map(legsOf);
    assert.equal(call1!.length, 2);
    assert.equal(call2!.length, 2);

    const record = new RecordedTraceLines();
    const all = logLines('20');
    record.add(all);
    const { model } = fixtureModel();
    const extensionsOf = (ctx: string): TraceExtension[] => (model.contexts.get(ctx)?.extensions ?? []).map((e) => ({ key: e.file, element: e.element, name: e.name }));

    const legs1 = record.routedLegsOf(call1!);
    assert.deepEqual(legs1.map((l) => l.uuid), [call1![1]], 'the b-leg went through the dialplan; the parked a-leg did not');
    // Every dialplan line of that leg, in the capture's order, and nothing else of the capture.
    assert.deepEqual(legs1[0]!.lines, all.filter((l) => l.uuid === call1![1] && parseTraceLine(l.text)));
    const steps1 = traceSteps(legs1[0]!.lines);
    assert.deepEqual(steps1[0], { kind: 'processing', callerName: '', callerNumber: '0000000000', destination: '9664', context: 'default' });
    assert.equal(mapTrace(steps1, extensionsOf).matched, 'hold_music');

    const legs2 = record.routedLegsOf(call2!);
    assert.deepEqual(legs2.map((l) => l.uuid), [call2![1]]);
    assert.ok(legs2[0]!.lines.every((l) => l.uuid === call2![1]));
    assert.equal(mapTrace(traceSteps(legs2[0]!.lines), extensionsOf).matched, 'Local_Extension');

    // A call nothing was recorded for (routed before recording started) has no trace.
    assert.deepEqual(record.routedLegsOf(['00000000-0000-0000-0000-000000000000']), []);
    // Bounded: the oldest leg goes first, a leg keeps its first lines.
    const small = new RecordedTraceLines(1, 5);
    small.add(all.filter((l) => l.uuid === call1![1]));
    small.add(all.filter((l) => l.uuid === call2![1]));
    assert.deepEqual(small.routedLegsOf(call1!), []);
    assert.deepEqual(small.routedLegsOf([...call1!, ...call2!]).map((l) => [l.uuid, l.lines.length]), [[call2![1], 5]]);
  });
});
