import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LoadUsageError, loadProfile, parseDuration, parseEndpoint, parseLoadArgs, parseServer } from '../../src/apphost/loadOptions';
import { progressLine } from '../../src/apphost/loadDisplay';

// `fsdev load` options: every bad input is refused with a clear message before anything connects.

const env = { FREESWITCH_PASSWORD: 'secret', OTHER: 'other' };
const parse = (...argv: string[]) => parseLoadArgs(argv, env, (p) => loadProfile(p, PROFILES[p] ?? readFileSync(p, 'utf8')));

const PROFILES: Record<string, string> = {
  'good.fsload.json': JSON.stringify({
    servers: [{ name: 'fs1', host: '10.0.0.5', passwordEnv: 'OTHER' }, { host: '10.0.0.6', port: 8022 }],
    rate: 20,
    limit: 200,
    duration: '30s',
    ramp: 5000,
    runTime: '2m',
    targets: [
      { destination: '9664', weight: 3 },
      { destination: '9196', endpoint: 'loopback/load', app: 'echo', variables: { x: 1 } },
    ],
    thresholds: ['asr>=0.99'],
  }),
  'typo.fsload.json': JSON.stringify({ servers: [{ host: 'a' }], rate: 10, limt: 5 }),
  'zero.fsload.json': JSON.stringify({ servers: [{ host: 'a' }], rate: 0 }),
  'badjson.fsload.json': '{ "servers": [',
  'badendpoint.fsload.json': JSON.stringify({ servers: [{ host: 'a' }], rate: 1, targets: [{ destination: '1', endpoint: 'pstn/1' }] }),
};

describe('fsdev load: options', () => {
  it('reads servers, rate, limit, durations, a weighted mix and thresholds from the command line', () => {
    const c = parse('--server', 'fs1:8022', '--server', '127.0.0.1', '--rate', '12.5', '--limit', '300', '--duration', '1500ms', '--ramp', '10', '--run-time', '1m', '--dest', '9664*3', '--dest', '9196', '--endpoint', 'loopback/load', '--app', 'playback:tone_stream://%(100,0,440)', '--threshold', 'asr>=0.99', '--max-offered', '1000');
    assert.ok(c !== 'help');
    assert.deepEqual(c.servers, [
      { host: 'fs1', port: 8022, password: 'secret' },
      { host: '127.0.0.1', port: 8021, password: 'secret' },
    ]);
    assert.equal(c.rate, 12.5);
    assert.equal(c.limit, 300);
    assert.equal(c.durationMs, 1500);
    assert.equal(c.rampMs, 10_000);
    assert.equal(c.runTimeMs, 60_000);
    assert.equal(c.maxOffered, 1000);
    assert.deepEqual(c.targets, [
      { destination: '9664', weight: 3, endpoint: { kind: 'loopback', context: 'load' }, app: 'playback', appArg: 'tone_stream://%(100,0,440)' },
      { destination: '9196', weight: 1, endpoint: { kind: 'loopback', context: 'load' }, app: 'playback', appArg: 'tone_stream://%(100,0,440)' },
    ]);
    assert.equal(c.thresholds[0]!.source, 'asr>=0.99');
  });

  it('takes the password from --password-env, and defaults to auto duration, rate 1, limit 10, 9664', () => {
    const c = parse('--server', 'a', '--password-env', 'OTHER');
    assert.ok(c !== 'help');
    assert.equal(c.servers[0]!.password, 'other');
    assert.equal(c.durationMs, 'auto');
    assert.equal(c.rate, 1);
    assert.equal(c.limit, 10);
    assert.deepEqual(c.targets, [{ destination: '9664', weight: 1 }]);
  });

  it('reads a profile; command-line options override it', () => {
    const c = parse('--profile', 'good.fsload.json', '--rate', '40');
    assert.ok(c !== 'help');
    assert.equal(c.rate, 40);
    assert.equal(c.limit, 200);
    assert.equal(c.durationMs, 30_000);
    assert.equal(c.rampMs, 5000, 'a number in a profile is ms');
    assert.equal(c.runTimeMs, 120_000);
    assert.deepEqual(
      c.servers.map((s) => [s.name, s.host, s.port, s.password]),
      [
        ['fs1', '10.0.0.5', 8021, 'other'],
        [undefined, '10.0.0.6', 8022, 'secret'],
      ],
    );
    assert.deepEqual(c.targets[1], { destination: '9196', endpoint: { kind: 'loopback', context: 'load' }, app: 'echo', variables: { x: 1 } });
    assert.equal(c.thresholds.length, 1);
  });

  const bad: [string[], RegExp][] = [
    [['--rate', '1'], /name at least one server/],
    [['--server', 'a', '--rate', '0'], /--rate "0": must be a number of calls per second above 0/],
    [['--server', 'a', '--rate', 'fast'], /--rate "fast"/],
    [['--server', 'a', '--limit', '0'], /--limit "0": must be a whole number, 1 or more/],
    [['--server', 'a', '--limit', '1.5'], /--limit "1.5"/],
    [['--server', 'a', '--dest', '96\n64'], /--dest "96\\n64" contains a line break/],
    [['--server', 'a', '--app', 'park now'], /--app "park now": an application name/],
    [['--server', 'a', '--duration', 'long'], /--duration: "long" is not a length of time/],
    [['--server', 'a', '--endpoint', 'pstn'], /--endpoint "pstn": use loopback/],
    [['--server', 'a:99999'], /--server "a:99999": use HOST or HOST:PORT/],
    [['--server', 'a', '--threshold', 'setup_p95<<1'], /threshold "setup_p95<<1": unexpected "<"/],
    [['--server', 'a', '--hangup-cause', 'bye'], /--hangup-cause "bye" is not a FreeSWITCH cause name/],
    [['--server', 'a', '--apply-limits', '--ignore-limits'], /contradict each other/],
    [['--server', 'a', '--password-env', 'NOT SET'], /is not an environment variable name/],
    [['--server', 'a', '--bogus'], /Unknown option '--bogus'/],
    [['--profile', 'typo.fsload.json'], /typo.fsload.json does not match the load profile schema[^]*\(top\): must NOT have additional properties \(limt\)/],
    [['--profile', 'zero.fsload.json'], /\/rate: must be > 0/],
    [['--profile', 'badjson.fsload.json'], /badjson.fsload.json: not valid JSON/],
    [['--profile', 'badendpoint.fsload.json'], /\/targets\/0\/endpoint: must match pattern/],
  ];
  for (const [argv, message] of bad) {
    it(`refuses ${JSON.stringify(argv.join(' '))}`, () => {
      assert.throws(() => parse(...argv), (err: unknown) => err instanceof LoadUsageError && message.test(err.message));
    });
  }

  it('parses durations, endpoints and servers', () => {
    assert.equal(parseDuration('250ms', 'x'), 250);
    assert.equal(parseDuration('2', 'x'), 2000);
    assert.equal(parseDuration('1.5m', 'x'), 90_000);
    assert.deepEqual(parseEndpoint('sofia/internal'), { kind: 'sofia', profile: 'internal' });
    assert.deepEqual(parseEndpoint('gateway/carrier1'), { kind: 'gateway', gateway: 'carrier1' });
    assert.deepEqual(parseEndpoint('user/example.com'), { kind: 'user', domain: 'example.com' });
    assert.deepEqual(parseServer('[::1]:8021'), { host: '::1', port: 8021 });
  });

  it('every example profile in the repository validates', () => {
    const dir = join(__dirname, '..', '..', 'examples');
    const files = readdirSync(dir).filter((f) => f.endsWith('.fsload.json'));
    assert.ok(files.length > 0);
    for (const f of files) loadProfile(join(dir, f));
  });

  it('shows progress on one line', () => {
    const line = progressLine(
      { state: 'originating', elapsedS: 12.04, rate: 100, currentRate: 50, limit: 500, durationMs: 30_000, offered: 900, notOffered: 2, answered: 880, failed: 3, inProgress: 310, inFlight: 4, lastSecond: undefined },
      12.345,
    );
    assert.equal(line, 'originating 12.0s  rate 100/s (ramp 50.0)  offered 900  up 310/500  answered 880  failed 3  not offered 2  hold 30s  setup p95 12.3ms');
  });
});
