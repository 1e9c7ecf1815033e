import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildOriginate, endpointUrl, UnsafeInputError, variableBlock } from '../../src/core';
import { loadCapture } from '../support/captures';
import { seededRandom } from '../support/prng';
import { captureScript, parseEvent } from '../server/captureReplay';
import { inlineActions, parseOriginateArgs } from '../server/originateArgs';

const fixedUuid = () => '3e86b6f1-45e4-4f08-bfeb-0cf30205f055';

describe('dial strings', () => {
  test('loopback park, as in the captures, plus the call-tracking variable', () => {
    const built = buildOriginate('9196', { endpoint: 'loopback', app: 'park' }, fixedUuid);
    assert.equal(built.uuid, fixedUuid());
    assert.equal(built.command, `originate {origination_uuid=${fixedUuid()},fsdev_call_id=${fixedUuid()}}loopback/9196 &park`);
  });

  test('capture 11 origination variables quote values with spaces', () => {
    const built = buildOriginate(
      '9196',
      { callerIdNumber: '1000', callerIdName: 'Test Caller', variables: { 'sip_h_X-Test': 'abc', my_var: 'hello world' } },
      fixedUuid,
    );
    assert.equal(
      built.dialString,
      `{origination_uuid=${fixedUuid()},fsdev_call_id=${fixedUuid()},origination_caller_id_name='Test Caller',origination_caller_id_number=1000,sip_h_X-Test=abc,my_var='hello world'}loopback/9196`,
    );
  });

  test('endpoints', () => {
    assert.equal(endpointUrl('1000', { kind: 'sofia', profile: 'internal' }), 'sofia/internal/1000');
    assert.equal(endpointUrl('1000@example.com', { kind: 'sofia', profile: 'external', proxy: 'sip:10.0.0.1:5060' }), 'sofia/external/1000@example.com;fs_path=sip:10.0.0.1:5060');
    assert.equal(endpointUrl('18005551212', { kind: 'gateway', gateway: 'carrier1' }), 'sofia/gateway/carrier1/18005551212');
    assert.equal(endpointUrl('1000', 'user'), 'user/1000');
    assert.equal(endpointUrl('1000', { kind: 'user', domain: 'example.com' }), 'user/1000@example.com');
    assert.equal(endpointUrl('9196', { kind: 'loopback', context: 'public' }), 'loopback/9196/public');
  });

  test('dialplan extension, app with argument, timeout and app id', () => {
    const ext = buildOriginate('1000', { endpoint: 'user', extension: '9664', context: 'default' }, fixedUuid);
    assert.match(ext.command, / 9664 XML default$/);
    const play = buildOriginate('9196', { app: 'playback', appArg: 'tone_stream://%(100,0,800)', timeoutSec: 30, appId: 'tones' }, fixedUuid);
    // A `)` in the argument would end `&playback(…)` early: the inline dialplan carries it, split on `;`.
    assert.match(play.command, /,fsdev_app_id=tones,originate_timeout=30\}loopback\/9196 'm:;:playback:tone_stream:\/\/%\(100,0,800\)' inline$/);
    const file = buildOriginate('9196', { app: 'playback', appArg: '/tmp/beep.wav' }, fixedUuid);
    assert.match(file.command, / &playback\(\/tmp\/beep\.wav\)$/);
    const spaced = buildOriginate('9196', { app: 'playback', appArg: '/tmp/my file.wav' }, fixedUuid);
    assert.match(spaced.command, / '&playback\(\/tmp\/my file\.wav\)'$/);
    const quoted = buildOriginate('9196', { app: 'playback', appArg: "/tmp/it's here.wav" }, fixedUuid);
    assert.match(quoted.command, / '&playback\(\/tmp\/it\\'s here\.wav\)'$/);
  });

  test('values that cannot be made safe are refused with a reason', () => {
    const bad: Array<[string, () => unknown, RegExp]> = [
      ['newline in destination', () => buildOriginate('9196\n\napi hupall', {}, fixedUuid), /line break/],
      ['space in destination', () => buildOriginate('9196 &hupall', {}, fixedUuid), /may only contain/],
      ['brace in destination', () => buildOriginate('{x=1}9196', {}, fixedUuid), /may only contain/],
      ['newline in variable', () => buildOriginate('9196', { variables: { a: 'x\ny' } }, fixedUuid), /line break/],
      ['NUL in caller id name', () => buildOriginate('9196', { callerIdName: 'a\0b' }, fixedUuid), /line break or NUL/],
      ['enterprise separator', () => buildOriginate('9196', { callerIdName: 'a:_:b' }, fixedUuid), /enterprise originate/],
      ['a } without its {', () => buildOriginate('9196', { variables: { x: 'x}' } }, fixedUuid), /x has a "\}" without its partner/],
      ['a { without its }', () => buildOriginate('9196', { callerIdName: '{ a' }, fixedUuid), /origination_caller_id_name has a "\{" without its partner/],
      ['bad variable name', () => buildOriginate('9196', { variables: { 'a,b': '1' } }, fixedUuid), /variable name/],
      ['bad app name', () => buildOriginate('9196', { app: 'park;hupall' }, fixedUuid), /application/],
      ['bad timeout', () => buildOriginate('9196', { timeoutSec: -1 }, fixedUuid), /timeoutSec/],
      ['CR in app arg', () => buildOriginate('9196', { app: 'playback', appArg: 'a\rb' }, fixedUuid), /line break/],
    ];
    for (const [what, fn, message] of bad) assert.throws(fn, (err: unknown) => err instanceof UnsafeInputError && message.test(err.message), what);
  });

  test('the encoder sends the forms capture 21 proves, plain values as they are', () => {
    const name = (value: string): string => variableBlock([['origination_caller_id_name', value]]);
    assert.equal(name('plain'), '{origination_caller_id_name=plain}');
    // Rows d, e and i, byte for byte.
    assert.equal(name('a=b^c'), "{origination_caller_id_name='a=b^c'}");
    assert.equal(name('Zoë 李'), "{origination_caller_id_name='Zoë 李'}");
    assert.equal(name('Smith, John'), "{^^:origination_caller_id_name='Smith, John'}");
    // Rows f and g quote it so in <…> and […]; in {…} it is the same.
    assert.equal(name("O'Brien"), "{origination_caller_id_name='O\\'Brien'}");
    // Row a's value, whole: the comma needs ^^: as in row i.
    assert.equal(name("O'Brien, Jr."), "{^^:origination_caller_id_name='O\\'Brien, Jr.'}");
    assert.equal(name('<img src=x onerror=alert(1)>'), "{origination_caller_id_name='<img src=x onerror=alert(1)>'}");
  });

  // Forms beyond capture 21's rows, each certain from the FreeSWITCH function in its name.
  test('a backslash is doubled once per split: cleanup_separated_string unescapes \\ (three splits, 8 for 1)', () => {
    assert.equal(variableBlock([['n', String.raw`back\slash`]]), String.raw`{n='back\\\\\\\\slash'}`);
    assert.equal(variableBlock([['n', 'end\\']]), String.raw`{n='end\\\\\\\\'}`);
  });

  test('leading and trailing spaces go as \\s: unescape_char, and cleanup_separated_string never trims an escaped character', () => {
    assert.equal(variableBlock([['n', ' lead']]), String.raw`{n='\\\\slead'}`);
    assert.equal(variableBlock([['n', 'trail ']]), String.raw`{n='trail\\\\s'}`);
  });

  test("two quotes and a comma: quoted twice as capture 21 h, escaped for cleanup_separated_string's quote look-ahead", () => {
    assert.equal(variableBlock([['n', "'Smith, John'"]]), String.raw`{^^:n='\\\\\\\'Smith, John\\\\\\\''}`);
  });

  test('a comma with ":" in use splits on the next delimiter: switch_separate_string takes any character after ^^', () => {
    assert.equal(variableBlock([['n', 'a:b, c']]), "{^^;n='a:b, c'}");
  });
});

/** Each `api originate` of capture 21 with what FreeSWITCH reported for its a-leg. */
function captureRows(): Array<{ dial: string; name: string | undefined; origName: string | undefined }> {
  const script = captureScript(loadCapture('21'));
  const rows: Array<{ dial: string; name: string | undefined; origName: string | undefined }> = [];
  script.steps.forEach((step, i) => {
    if (step.kind !== 'send') return;
    const m = /^api originate (.*) &park\(\)\n\n$/s.exec(step.bytes.toString('utf8'));
    if (!m) return;
    const created = script.frames
      .filter((f) => f.segment === i + 1 && f.frame.headers['Content-Type'] === 'text/event-json')
      .map((f) => new Map(parseEvent(f.frame).headers))
      .find((h) => h.get('Event-Name') === 'CHANNEL_CREATE' && h.get('Channel-Name')?.endsWith('-a'));
    assert.ok(created, `the a-leg's CHANNEL_CREATE after ${m[1]}`);
    rows.push({ dial: m[1]!, name: created.get('Caller-Caller-ID-Name'), origName: created.get('Caller-Orig-Caller-ID-Name') });
  });
  return rows;
}

describe("the test server reads dial strings as FreeSWITCH does (capture 21)", () => {
  test('rows a–i: the a-leg gets the name FreeSWITCH gave it', () => {
    const rows = captureRows();
    assert.equal(rows.length, 9, 'rows a to i');
    for (const row of rows) {
      const args = parseOriginateArgs(`${row.dial} &park()`);
      assert.ok(args, row.dial);
      assert.equal(new Map(args.variables).get('origination_caller_id_name'), row.name, row.dial);
      // Only a {…} or <…> name reaches the caller profile's original name ([…] is per leg: row g).
      assert.equal(new Map(args.globalVariables).get('origination_caller_id_name'), row.origName, row.dial);
      assert.equal(args.endpoint, 'loopback/9664', row.dial);
    }
    assert.deepEqual(
      rows.map((r) => r.name),
      ["O'Brien", "O'Brien", 'Smith', 'a=b^c', 'Zoë 李', "O'Brien", "O'Brien", 'Smith, John', 'Smith, John'],
    );
  });
});

describe('every value arrives as given (encoder → parser written from switch_separate_string, cleanup_separated_string, switch_find_end_paren)', () => {
  const HOSTILE = [
    "O'Brien", "O'Brien, Jr.", "'Smith, John'", 'a=b^c', 'Zoë 李', '\\', '\\\\', 'ends in \\', '\\n\\r\\t\\s', '{}', '{a=1,b=2}',
    '[x]', '<y>', '^^:', '^^,a', ' leading', 'trailing ', '  both  ', ' ', "'", "''", "it's a 'test', ok", '"double"', '\\"',
    "\\'", '<img src=x onerror="alert(1)">', '<script>alert(1)</script>', 'a,b,c', 'x:y,z;w|v!~#%@', 'tab\there', '{{}}',
    '>', '<', '$dollar', 'a\\ b', ',', '=', '(paren)', 'x) &hupall', ' , ', '😀',
  ];
  const parse = (built: ReturnType<typeof buildOriginate>) => {
    const args = parseOriginateArgs(built.command.slice('originate '.length));
    assert.ok(args, built.command);
    return new Map(args.variables);
  };

  test('hostile values as the caller id name and as channel variables, alone and two to a block', () => {
    for (const value of HOSTILE) {
      const built = buildOriginate('9664', { callerIdName: value, variables: { my_var: value } }, fixedUuid);
      const vars = parse(built);
      assert.equal(vars.get('origination_caller_id_name'), value, built.command);
      assert.equal(vars.get('my_var'), value, built.command);
      assert.equal(vars.get('origination_uuid'), fixedUuid(), built.command);
      for (const other of HOSTILE) {
        const pair = parse(buildOriginate('9664', { callerIdName: value, variables: { other } }, fixedUuid));
        assert.equal(pair.get('origination_caller_id_name'), value, `${value} with ${other}`);
        assert.equal(pair.get('other'), other, `${other} with ${value}`);
      }
    }
  });

  test('hostile application arguments', () => {
    for (const arg of [...HOSTILE.filter((a) => a.trim() !== ''), 'tone_stream://%(1000,0,440);loops=-1', "a)b, c'd 'e'"]) {
      const built = buildOriginate('9664', { app: 'playback', appArg: arg }, fixedUuid);
      const args = parseOriginateArgs(built.command.slice('originate '.length));
      if (!arg.includes(')')) {
        assert.deepEqual(args?.target, { kind: 'app', app: 'playback', arg }, built.command);
        continue;
      }
      // mod_commands ends `&app(arg)` at its first `)`: the inline dialplan carries these.
      assert.ok(args?.target.kind === 'extension' && args.target.dialplan === 'inline', built.command);
      assert.deepEqual(inlineActions(args.target.extension), [{ app: 'playback', data: arg }], built.command);
    }
  });

  test('random strings over the characters that mean something, seeded', () => {
    const alphabet = [..."'\"\\,=^ {}[]<>:;|!~#%@&*?/()`$_-ansrtZé李😀\t"];
    const random = seededRandom(21);
    let refused = 0;
    for (let n = 0; n < 3000; n++) {
      const len = Math.floor(random() * 12);
      let value = '';
      for (let i = 0; i < len; i++) value += alphabet[Math.floor(random() * alphabet.length)];
      let built;
      try {
        built = buildOriginate('9664', { callerIdName: value, variables: { a: value, b: "O'Brien, Jr." } }, fixedUuid);
      } catch (err) {
        assert.ok(err instanceof UnsafeInputError, String(err));
        const braces = (open: string, close: string): boolean => {
          let depth = 0;
          for (const ch of value) if ((depth += ch === open ? 1 : ch === close ? -1 : 0) < 0) return false;
          return depth === 0;
        };
        assert.ok(value.includes(':_:') || !braces('{', '}'), `refused ${JSON.stringify(value)}: ${err.message}`);
        refused++;
        continue;
      }
      const vars = parse(built);
      // FreeSWITCH ignores `name=`: an empty value leaves the variable unset.
      const expected = value === '' ? undefined : value;
      assert.equal(vars.get('origination_caller_id_name'), expected, built.command);
      assert.equal(vars.get('a'), expected, built.command);
      assert.equal(vars.get('b'), "O'Brien, Jr.", built.command);
    }
    assert.ok(refused < 1500, `most values are sent (${refused} refused)`);
  });
});
