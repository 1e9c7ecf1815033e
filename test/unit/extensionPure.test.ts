import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCallerId, parseSofiaStatus, parseVariables } from '../../src/extension/commands/originateInput';
import { normaliseServers } from '../../src/extension/servers/serverConfig';
import { formatDuration } from '../../src/extension/tree/format';
import { UnsafeInputError } from '../../src/core';

describe('extension input handling (no VS Code needed)', () => {
  test('freeswitch.servers entries are validated, defaulted and de-duplicated', () => {
    assert.deepEqual(
      normaliseServers([
        { name: 'lab', host: '10.0.0.5' },
        { host: 'fs.example.com', port: 8022, user: 'ops' },
        { name: 'lab', host: 'other' },
        { name: 'broken' },
        { host: 'h', port: 70000 },
        'nonsense',
        null,
      ]),
      [
        { name: 'lab', host: '10.0.0.5', port: 8021 },
        { name: 'fs.example.com:8022', host: 'fs.example.com', port: 8022, user: 'ops' },
        { name: 'lab (2)', host: 'other', port: 8021 },
        { name: 'h:8021', host: 'h', port: 8021 },
      ],
    );
    assert.deepEqual(normaliseServers(undefined), []);
  });

  test('sofia status rows give profiles and gateways', () => {
    const text = [
      '                     Name\t   Type\t                                      Data\tState',
      '=================================================================================================',
      '                 internal\tprofile\t         sip:mod_sofia@127.0.0.1:5060\tRUNNING (0)',
      '        external::carrier1\tgateway\t            sip:joe@carrier.example\tNOREG',
      '                 external\tprofile\t         sip:mod_sofia@127.0.0.1:5080\tRUNNING (0)',
      '2 profiles 0 aliases',
    ].join('\n');
    assert.deepEqual(parseSofiaStatus(text), { profiles: ['internal', 'external'], gateways: ['carrier1'] });
    assert.deepEqual(parseSofiaStatus('-ERR no reply\n'), { profiles: [], gateways: [] });
  });

  test('caller id and channel variables parse from what a user types', () => {
    assert.deepEqual(parseCallerId('FreeSWITCH Dev <1000>'), { callerIdName: 'FreeSWITCH Dev', callerIdNumber: '1000' });
    assert.deepEqual(parseCallerId('1000'), { callerIdNumber: '1000' });
    assert.deepEqual(parseCallerId('Alice'), { callerIdName: 'Alice' });
    assert.deepEqual(parseCallerId(''), {});
    assert.deepEqual(parseVariables('a=1, b=hello world; c=x,y'), { a: '1', b: 'hello world', c: 'x,y' });
    assert.throws(() => parseVariables('justtext'), UnsafeInputError);
  });

  test('durations', () => {
    assert.equal(formatDuration(0), '0:00');
    assert.equal(formatDuration(65_400), '1:05');
    assert.equal(formatDuration(3_600_000 + 62_000), '1:01:02');
  });
});
