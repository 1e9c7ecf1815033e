import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildOriginate, endpointUrl, quoteVariableValue, UnsafeInputError } from '../../src/core';

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
    assert.match(play.command, /,fsdev_app_id=tones,originate_timeout=30\}loopback\/9196 &playback\(tone_stream:\/\/%\(100,0,800\)\)$/);
    const spaced = buildOriginate('9196', { app: 'playback', appArg: '/tmp/my file.wav' }, fixedUuid);
    assert.match(spaced.command, / '&playback\(\/tmp\/my file\.wav\)'$/);
  });

  test('values that cannot be made safe are refused with a reason', () => {
    const bad: Array<[string, () => unknown, RegExp]> = [
      ['newline in destination', () => buildOriginate('9196\n\napi hupall', {}, fixedUuid), /line break/],
      ['space in destination', () => buildOriginate('9196 &hupall', {}, fixedUuid), /may only contain/],
      ['brace in destination', () => buildOriginate('{x=1}9196', {}, fixedUuid), /may only contain/],
      ['newline in variable', () => buildOriginate('9196', { variables: { a: 'x\ny' } }, fixedUuid), /line break/],
      ['quote plus space', () => buildOriginate('9196', { callerIdName: "O'Brien Jr" }, fixedUuid), /single quote/],
      ['bad variable name', () => buildOriginate('9196', { variables: { 'a,b': '1' } }, fixedUuid), /variable name/],
      ['bad app name', () => buildOriginate('9196', { app: 'park;hupall' }, fixedUuid), /application/],
      ['bad timeout', () => buildOriginate('9196', { timeoutSec: -1 }, fixedUuid), /timeoutSec/],
      ['CR in app arg', () => buildOriginate('9196', { app: 'playback', appArg: 'a\rb' }, fixedUuid), /line break/],
    ];
    for (const [what, fn, message] of bad) assert.throws(fn, (err: unknown) => err instanceof UnsafeInputError && message.test(err.message), what);
  });

  test('quoting', () => {
    assert.equal(quoteVariableValue('v', 'plain'), 'plain');
    assert.equal(quoteVariableValue('v', 'a,b'), "'a,b'");
    assert.equal(quoteVariableValue('v', '<img src=x onerror=alert(1)>'), "'<img src=x onerror=alert(1)>'");
    assert.throws(() => quoteVariableValue('v', "it's"), /single quote/);
  });
});
