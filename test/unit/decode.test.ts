import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeText, decodeValue } from '../../src/core/esl/decode';
import { EVENT_CONTENT_TYPES, decodeEventFrame, decodeJsonEvent, decodePlainEvent, type EslEvent } from '../../src/core/esl/event';
import { FrameParser, type EslFrame } from '../../src/core/esl/parser';
import { loadCapture } from '../support/captures';

// Event decoding (plain and JSON) on the real captures, and the tolerant %-decoding underneath it.

const UUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
/** Events FreeSWITCH fires on a timer, so how many land in a capture depends on timing. */
const TIMER_EVENTS = new Set(['HEARTBEAT', 'RE_SCHEDULE']);
/** Headers the README says every event carries. */
const COMMON_HEADERS = [
  'Event-Name',
  'Core-UUID',
  'FreeSWITCH-Hostname',
  'FreeSWITCH-Switchname',
  'FreeSWITCH-IPv4',
  'FreeSWITCH-IPv6',
  'Event-Date-Local',
  'Event-Date-GMT',
  'Event-Date-Timestamp',
  'Event-Calling-File',
  'Event-Calling-Function',
  'Event-Calling-Line-Number',
  'Event-Sequence',
];

function frames(prefix: string): EslFrame[] {
  const parser = new FrameParser();
  const out = parser.push(loadCapture(prefix).server);
  assert.equal(parser.error, undefined);
  return out;
}

function eventFrames(prefix: string): EslFrame[] {
  return frames(prefix).filter((f) => EVENT_CONTENT_TYPES.has(f.headers['Content-Type']!));
}

function decodeAll(prefix: string): EslEvent[] {
  return eventFrames(prefix).map((f, i) => {
    const decoded = decodeEventFrame(f);
    assert.ok(decoded.ok, `${prefix} event #${i}: ${decoded.ok ? '' : decoded.error}`);
    return decoded.event;
  });
}

/** The bgapi commands the client sent, with their arguments and the Job-UUID header it supplied. */
function bgapiCommands(prefix: string): Array<{ arg: string; jobUuid: string }> {
  const text = loadCapture(prefix).client.toString('utf8');
  return [...text.matchAll(/^bgapi originate (.*)\nJob-UUID: (.*)\n\n/gm)].map((m) => ({ arg: m[1]!, jobUuid: m[2]! }));
}

/**
 * Reference plain-event decoder, independent of ours: split lines, `decodeURIComponent` each value
 * (the captures hold only valid encodings), body = the Content-Length bytes after the blank line.
 */
function referencePlain(raw: Buffer): { headers: Array<[string, string]>; body: string } {
  const text = raw.toString('utf8');
  const blank = text.indexOf('\n\n');
  assert.ok(blank > 0, 'a plain event ends its headers with a blank line');
  const headers = new Map<string, string>();
  for (const line of text.slice(0, blank).split('\n')) {
    const m = /^([^:]+): (.*)$/.exec(line);
    assert.ok(m, `not a "Name: value" line: ${JSON.stringify(line)}`);
    headers.set(m[1]!, decodeURIComponent(m[2]!));
  }
  const rest = Buffer.from(text.slice(blank + 2), 'utf8');
  const length = headers.get('Content-Length');
  if (length === undefined) {
    assert.equal(rest.length, 0);
    return { headers: [...headers], body: '' };
  }
  assert.equal(rest.length, Number(length), 'exactly Content-Length body bytes, no terminator');
  return { headers: [...headers], body: rest.toString('utf8') };
}

/**
 * The keys of a JSON object whose values are all strings, in source order, duplicates included.
 * Outside string literals such an object holds only `{ } : ,`, so string literals alternate key, value.
 */
function jsonKeys(raw: string): string[] {
  const strings = raw.match(/"(?:[^"\\]|\\.)*"/g) ?? [];
  assert.equal(strings.length % 2, 0);
  return strings.filter((_, i) => i % 2 === 0).map((s) => JSON.parse(s) as string);
}

/** True when `s` has no lone surrogate (encodeURIComponent throws on one). */
function wellFormed(s: string): boolean {
  try {
    encodeURIComponent(s);
    return true;
  } catch {
    return false;
  }
}

describe('plain events from the captures', () => {
  for (const prefix of ['04', '07', '09', '10', '11']) {
    it(`${prefix}: every event decodes like an independent decodeURIComponent reference`, () => {
      const raw = eventFrames(prefix);
      assert.ok(raw.length > 0);
      for (const [i, f] of raw.entries()) {
        assert.equal(f.headers['Content-Type'], 'text/event-plain');
        const event = decodePlainEvent(f.body!);
        const ref = referencePlain(f.body!);
        assert.deepStrictEqual(Object.entries(event.headers), ref.headers, `${prefix} event #${i}`);
        assert.equal(event.body, ref.body, `${prefix} event #${i}`);
      }
    });
  }

  it('04: all 96 events decode and carry the headers every event has', () => {
    const events = decodeAll('04');
    assert.equal(events.length, 96);
    for (const e of events) {
      for (const name of COMMON_HEADERS) assert.ok(e.get(name) !== undefined, `${e.name} lacks ${name}`);
      assert.equal(e.name, e.get('Event-Name'));
      assert.equal(e.get('FreeSWITCH-Hostname'), 'fs-dev');
      assert.equal(e.get('FreeSWITCH-IPv6'), '2001:db8::10', 'sent as 2001%3Adb8%3A%3A10');
      assert.match(e.get('Event-Date-Local')!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/, 'sent with %20 and %3A');
      assert.equal(e.timestampUs, Number(e.get('Event-Date-Timestamp')));
      assert.ok(Number.isSafeInteger(e.timestampUs) && e.timestampUs > 1.7e15);
    }
  });

  it('11: origination variables come out URL-decoded, as the client wrote them', () => {
    const client = loadCapture('11').client.toString('utf8');
    const vars = new Map(
      [.../\{([^}]*)\}/.exec(client)![1]!.split(',')].map((kv) => {
        const [k, v] = kv.split('=') as [string, string];
        return [k, v.replace(/^'(.*)'$/, '$1')] as const;
      }),
    );
    const raw = loadCapture('11').server.toString('latin1');
    assert.ok(raw.includes('variable_my_var: hello%20world\n'), 'the wire form is URL-encoded');
    assert.ok(raw.includes('Caller-Caller-ID-Name: Test%20Caller\n'));

    const uuid = vars.get('origination_uuid')!;
    const created = decodeAll('11').filter((e) => e.name === 'CHANNEL_CREATE' && e.uuid === uuid);
    assert.equal(created.length, 1);
    const e = created[0]!;
    assert.equal(vars.get('my_var'), 'hello world');
    assert.equal(e.getVar('my_var'), vars.get('my_var'));
    assert.equal(e.getVar('sip_h_X-Test'), vars.get('sip_h_X-Test'));
    assert.equal(e.get('Caller-Caller-ID-Name'), vars.get('origination_caller_id_name'));
    assert.equal(e.get('Caller-Caller-ID-Name'), 'Test Caller');
    assert.equal(e.get('Caller-Caller-ID-Number'), vars.get('origination_caller_id_number'));
  });

  it('11: the uuid_dump json api body decodes as a JSON event with the same variables', () => {
    const dump = frames('11').find((f) => f.headers['Content-Type'] === 'api/response' && f.body!.toString().startsWith('{'));
    assert.ok(dump);
    const decoded = decodeJsonEvent(dump.body!);
    assert.ok(decoded.ok);
    assert.equal(decoded.event.name, 'CHANNEL_DATA');
    assert.equal(decoded.event.getVar('my_var'), 'hello world');
    assert.equal(decoded.event.getVar('sip_h_X-Test'), 'abc');
    assert.equal(decoded.event.getVar('origination_caller_id_name'), 'Test Caller');
  });

  it('09: the failed leg hangs up with NO_ROUTE_DESTINATION (Q.850 3)', () => {
    const failed = bgapiCommands('09').find((c) => c.arg.includes('loopback/does_not_exist'))!;
    const uuid = /origination_uuid=([0-9a-f-]{36})/.exec(failed.arg)![1];
    const complete = decodeAll('09').filter((e) => e.name === 'CHANNEL_HANGUP_COMPLETE' && e.uuid === uuid);
    assert.equal(complete.length, 1);
    assert.equal(complete[0]!.get('Hangup-Cause'), 'NO_ROUTE_DESTINATION');
    assert.equal(complete[0]!.getVar('hangup_cause_q850'), '3');
  });
});

describe('plain events are decoded as they are read', () => {
  const plainEvents = (prefix: string): EslEvent[] =>
    new FrameParser()
      .push(loadCapture(prefix).server)
      .filter((f) => f.headers['Content-Type'] === 'text/event-plain')
      .map((f) => decodePlainEvent(f.body!));

  it('get(name) equals headers[name] for every header of every plain event (04, 18), before and after headers is built', () => {
    let checked = 0;
    for (const prefix of ['04', '18']) {
      for (const event of plainEvents(prefix)) {
        // A second, untouched copy answers get() from the raw block; the first is compared after.
        const lazy = decodePlainEvent(Buffer.from(`${Object.entries(event.headers).map(([n, v]) => `${n}: ${encodeURIComponent(v)}`).join('\n')}\n\n`));
        for (const [name, value] of Object.entries(event.headers)) {
          assert.equal(lazy.get(name), value, name);
          assert.equal(event.get(name), value, name);
          checked++;
        }
        for (const absent of ['variable_fsdev_call_id', 'Event', 'Name', 'event-name', '', ':', 'Event-Name:']) assert.equal(lazy.get(absent), event.headers[absent]);
      }
    }
    assert.ok(checked > 50_000, `${checked} headers checked`);
  });

  it('the edges read alike both ways: the first line, a later duplicate, a colon in a value, a line without a colon, an empty value', () => {
    const raw = 'Event-Name: FIRST\nX: a:b: c\nNo colon here\nEmpty:\nSpace: \nEvent-Name: LAST\nY:%41%zz\n\n';
    const lazy = decodePlainEvent(Buffer.from(raw));
    const eager = decodePlainEvent(Buffer.from(raw)).headers;
    for (const name of ['Event-Name', 'X', 'X: a', 'No colon here', 'Empty', 'Space', 'Y', 'a']) assert.equal(lazy.get(name), eager[name], name);
    assert.equal(lazy.name, 'LAST', 'a later duplicate wins');
    assert.equal(lazy.get('X'), 'a:b: c');
    assert.equal(lazy.get('Y'), 'A%zz');
    assert.equal(eager['No colon here'], undefined, 'a line without a colon is no header');
  });
});

describe('BACKGROUND_JOB in both formats', () => {
  for (const prefix of ['04', '05', '09', '10', '11']) {
    it(`${prefix}: one job per bgapi, matched by the client's Job-UUID, with the exact result body`, () => {
      const commands = bgapiCommands(prefix);
      assert.ok(commands.length > 0);
      const jobs = decodeAll(prefix).filter((e) => e.name === 'BACKGROUND_JOB');
      assert.equal(jobs.length, commands.length);
      for (const cmd of commands) {
        const matching = jobs.filter((j) => j.jobUuid === cmd.jobUuid);
        assert.equal(matching.length, 1, cmd.jobUuid);
        const job = matching[0]!;
        assert.equal(job.get('Job-Command'), 'originate');
        assert.equal(job.get('Job-Command-Arg'), cmd.arg, 'URL-decoded back to what the client sent');
        const origination = /origination_uuid=([0-9a-f-]{36})/.exec(cmd.arg)![1];
        const destination = /\}(\S+)/.exec(cmd.arg)![1]!;
        const expected = destination.startsWith('loopback/does_not_exist')
          ? '-ERR NO_ROUTE_DESTINATION\n'
          : destination === 'error/user_busy'
            ? '-ERR USER_BUSY\n'
            : `+OK ${origination}\n`;
        assert.equal(job.body, expected);
        assert.equal(job.get('Content-Length'), String(Buffer.byteLength(job.body)));
      }
    });
  }

  it('09 has both failure bodies the README names', () => {
    const bodies = decodeAll('09').filter((e) => e.name === 'BACKGROUND_JOB').map((e) => e.body);
    assert.deepStrictEqual(bodies.sort(), ['-ERR NO_ROUTE_DESTINATION\n', '-ERR USER_BUSY\n']);
  });
});

describe('JSON events from the captures', () => {
  it('05: all 97 events decode; headers are the object minus _body, in order; body is _body', () => {
    const raw = eventFrames('05');
    assert.equal(raw.length, 97);
    for (const f of raw) {
      assert.equal(f.headers['Content-Type'], 'text/event-json');
      const decoded = decodeEventFrame(f);
      assert.ok(decoded.ok);
      const object = JSON.parse(f.body!.toString('utf8')) as Record<string, string>;
      const { _body: body = '', ...rest } = object;
      assert.deepStrictEqual(Object.entries(decoded.event.headers), Object.entries(rest));
      assert.equal(decoded.event.body, body);
      for (const name of COMMON_HEADERS) assert.equal(typeof decoded.event.get(name), 'string');
    }
  });

  it('the same calls in plain (04) and json (05) decode to the same event sequence and header shapes', () => {
    const plain = decodeAll('04').filter((e) => !TIMER_EVENTS.has(e.name));
    const json = decodeAll('05').filter((e) => !TIMER_EVENTS.has(e.name));
    assert.ok(plain.length > 80);
    assert.deepStrictEqual(
      plain.map((e) => e.name),
      json.map((e) => e.name),
    );
    // Values differ only in uuids, times and counters; with those masked they must be equal, which
    // checks every URL-decoded plain value against FreeSWITCH's own unencoded JSON text.
    const mask = (v: string): string => v.replace(UUID_RE, '<uuid>').replace(/\d+/g, '#');
    let compared = 0;
    plain.forEach((p, i) => {
      const j = json[i]!;
      assert.deepStrictEqual(Object.keys(p.headers), Object.keys(j.headers), `${p.name} #${i}`);
      for (const [name, value] of Object.entries(p.headers)) {
        assert.equal(mask(value), mask(j.headers[name]!), `${p.name} #${i} ${name}`);
        compared++;
      }
      assert.equal(mask(p.body), mask(j.body));
    });
    assert.ok(compared > 5000);
  });

  it('events with duplicate JSON keys (05) decode, keeping every key', () => {
    let withDuplicates = 0;
    for (const f of eventFrames('05')) {
      const text = f.body!.toString('utf8');
      const keys = jsonKeys(text);
      const unique = new Set(keys);
      if (unique.size === keys.length) continue;
      withDuplicates++;
      const decoded = decodeJsonEvent(f.body!);
      assert.ok(decoded.ok);
      assert.deepStrictEqual(new Set([...Object.keys(decoded.event.headers), '_body']), new Set([...unique, '_body']));
    }
    assert.ok(withDuplicates > 0, 'the capture has events with duplicate keys (e.g. Hangup-Cause)');
  });

  it('a header sent twice with different values resolves the same way in plain and json', () => {
    const plain = decodePlainEvent(Buffer.from('Event-Name: X\nHangup-Cause: FIRST\nHangup-Cause: SECOND\n\n'));
    const json = decodeJsonEvent(Buffer.from('{"Event-Name":"X","Hangup-Cause":"FIRST","Hangup-Cause":"SECOND"}'));
    assert.ok(json.ok);
    assert.ok(['FIRST', 'SECOND'].includes(plain.get('Hangup-Cause')!));
    assert.equal(json.event.get('Hangup-Cause'), plain.get('Hangup-Cause'));
  });

  it('a non-ASCII header name decodes the same in plain and json', () => {
    const plain = decodePlainEvent(Buffer.from('Event-Name: X\nvariable_café: 1\n\n', 'utf8'));
    const json = decodeJsonEvent(Buffer.from('{"Event-Name":"X","variable_café":"1"}', 'utf8'));
    assert.ok(json.ok);
    assert.deepStrictEqual(Object.keys(plain.headers), Object.keys(json.event.headers));
  });

  it('ASCII events and events with raw UTF-8 (header block, body, JSON string) read the same text', () => {
    for (const name of ['Test Caller', 'Zoë 李 😀']) {
      const plain = decodePlainEvent(Buffer.from(`Event-Name: X\nCaller-Caller-ID-Name: ${name}\nContent-Length: ${Buffer.byteLength(name)}\n\n${name}`, 'utf8'));
      const json = decodeJsonEvent(Buffer.from(JSON.stringify({ 'Event-Name': 'X', 'Caller-Caller-ID-Name': name, _body: name }), 'utf8'));
      assert.ok(json.ok);
      for (const event of [plain, json.event]) {
        assert.equal(event.get('Caller-Caller-ID-Name'), name);
        assert.equal(event.body, name);
      }
    }
  });
});

describe('decodeValue / decodeText', () => {
  it('decodes the escapes FreeSWITCH writes, in either hex case', () => {
    assert.equal(decodeText('2001%3Adb8%3A%3A10'), '2001:db8::10');
    assert.equal(decodeText('hello%20world'), 'hello world');
    assert.equal(decodeText('%7Ba%3Db%26c%3Bd%7D'), '{a=b&c;d}');
    assert.equal(decodeText('%3a%3A'), '::');
    assert.equal(decodeText('%c3%a9%7b%7d%2f%3f%5b%5d'), 'é{}/?[]');
    assert.equal(decodeText('caf%C3%A9 %F0%9F%98%80'), 'café 😀');
  });

  it('decodes once: %25 becomes % and is not decoded again', () => {
    assert.equal(decodeText('100%25'), '100%');
    assert.equal(decodeText('%2541'), '%41');
  });

  it('leaves + and text without % as they are', () => {
    assert.equal(decodeText('a+b'), 'a+b');
    assert.equal(decodeText('Zoë 😀, /\'-'), 'Zoë 😀, /\'-');
  });

  for (const [input, expected] of [
    ['%', '%'],
    ['%4', '%4'],
    ['%ZZ', '%ZZ'],
    ['%G1', '%G1'],
    ['%1G', '%1G'],
    ['abc%', 'abc%'],
    ['abc%4', 'abc%4'],
    ['%%41', '%A'],
    ['50% off%20now', '50% off now'],
    ['tone_stream://%(500,0,800)', 'tone_stream://%(500,0,800)'],
  ] as const) {
    it(`keeps the invalid escape in ${JSON.stringify(input)} as literal text`, () => {
      assert.equal(decodeText(input), expected);
    });
  }

  for (const [input, what] of [
    ['%FF', 'a byte that is never UTF-8'],
    ['%C3', 'a lone lead byte'],
    ['a%C3b', 'a lead byte followed by ASCII'],
    ['%F0%9F%98', 'a truncated 4-byte sequence'],
    ['%ED%A0%BD', 'a CESU-8 surrogate half'],
    ['%ED%A0%BD%ED%B8%80', 'a CESU-8 surrogate pair'],
    ['%C0%AF', 'an overlong encoding'],
    ['%80', 'a lone continuation byte'],
  ] as const) {
    it(`turns %-encoded invalid UTF-8 (${what}) into U+FFFD without throwing`, () => {
      const out = decodeText(input);
      assert.ok(out.includes('\uFFFD'), JSON.stringify(out));
      assert.ok(wellFormed(out), 'no lone surrogates');
      assert.ok(!out.includes('%'), 'the escapes were valid, so they are decoded');
    });
  }

  it('decodeValue reads only [start, end): an escape cut by `end` stays literal', () => {
    const buf = Buffer.from('xx%41%42yy');
    assert.equal(decodeValue(buf, 2, 5), 'A');
    assert.equal(decodeValue(buf, 2, 7), 'A%4');
    assert.equal(decodeValue(buf, 2, 4), '%4');
    assert.equal(decodeValue(buf, 0, 2), 'xx', 'a % after `end` is not looked at');
    assert.equal(decodeValue(buf, 5, 5), '');
  });

  it('round-trips anything encodeURIComponent produces (seeded random text)', () => {
    let seed = 42;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const pool = ['a', 'Z', '9', ' ', '%', ':', '+', '\n', 'é', '€', '😀', '中', '\u0000', '\u007f', '\u00a0'];
    for (let run = 0; run < 500; run++) {
      let s = '';
      const n = Math.floor(random() * 20);
      for (let i = 0; i < n; i++) s += pool[Math.floor(random() * pool.length)];
      const encoded = encodeURIComponent(s);
      assert.equal(decodeText(encoded), s);
      assert.equal(decodeText(encoded.toLowerCase()), s.replace(/[A-Z]/g, (c) => c.toLowerCase()));
    }
  });

  it('never throws and always returns well-formed text on random bytes', () => {
    let seed = 7;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const alphabet = Buffer.from('%%%%0123456789abcdefABCDEFZz', 'latin1');
    for (let run = 0; run < 500; run++) {
      const buf = Buffer.alloc(Math.floor(random() * 40));
      for (let i = 0; i < buf.length; i++) buf[i] = random() < 0.7 ? alphabet[Math.floor(random() * alphabet.length)]! : Math.floor(random() * 256);
      assert.ok(wellFormed(decodeValue(buf, 0, buf.length)));
    }
  });
});

describe('decoding bad events never throws', () => {
  it('a plain event with broken escapes and raw invalid bytes keeps every other header and the body', () => {
    const raw = Buffer.concat([
      Buffer.from('Event-Name: BACKGROUND_JOB\nA: %\nB: %4\nC: %ZZ\nD: %FF\nE: x%C3\nF: %ED%A0%BD\nG: raw'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('end\nH: fine%20value\nJob-UUID: j-1\nContent-Length: 4\n\n'),
      Buffer.from([0x2d, 0xc3, 0x28, 0x0a]),
    ]);
    const e = decodePlainEvent(raw);
    assert.equal(e.name, 'BACKGROUND_JOB');
    assert.equal(e.get('A'), '%');
    assert.equal(e.get('B'), '%4');
    assert.equal(e.get('C'), '%ZZ');
    assert.equal(e.get('D'), '\uFFFD');
    assert.equal(e.get('E'), 'x\uFFFD');
    assert.ok(e.get('F')!.includes('\uFFFD') && wellFormed(e.get('F')!));
    assert.equal(e.get('G'), 'raw\uFFFD\uFFFDend');
    assert.equal(e.get('H'), 'fine value');
    assert.equal(e.jobUuid, 'j-1');
    assert.equal(e.body, '-\uFFFD(\n');
  });

  it('a plain event whose inner Content-Length is wrong still gives headers and what body there is', () => {
    for (const length of ['999', 'abc', '-1']) {
      const e = decodePlainEvent(Buffer.from(`Event-Name: X\nContent-Length: ${length}\n\nshort`));
      assert.equal(e.name, 'X');
      assert.equal(e.body, 'short');
    }
    assert.equal(decodePlainEvent(Buffer.from('Event-Name: X\nContent-Length: 2\n\nshort')).body, 'sh');
    assert.equal(decodePlainEvent(Buffer.alloc(0)).name, '');
    assert.equal(decodePlainEvent(Buffer.from('Event-Name: X')).name, 'X', 'no trailing newline');
  });

  it('a JSON event with raw invalid UTF-8 inside a string decodes with U+FFFD', () => {
    const raw = Buffer.concat([Buffer.from('{"Event-Name":"CUSTOM","X":"a'), Buffer.from([0xff, 0xc3]), Buffer.from('b","_body":"'), Buffer.from([0xe2, 0x82]), Buffer.from('"}')]);
    const decoded = decodeJsonEvent(raw);
    assert.ok(decoded.ok);
    assert.equal(decoded.event.get('X'), 'a\uFFFD\uFFFDb');
    assert.ok(decoded.event.body.includes('\uFFFD'));
  });

  for (const [text, what] of [
    ['{"Event-Name":"X"', 'truncated'],
    ['', 'empty'],
    ['Event-Name: X\n\n', 'plain text'],
    ['null', 'null'],
    ['[1,2]', 'an array'],
    ['"CHANNEL_CREATE"', 'a string'],
    ['42', 'a number'],
  ] as const) {
    it(`a malformed JSON event (${what}) is { ok: false, error } rather than a throw`, () => {
      const frame: EslFrame = { headers: { 'Content-Length': String(text.length), 'Content-Type': 'text/event-json' }, body: Buffer.from(text) };
      const decoded = decodeEventFrame(frame);
      assert.equal(decoded.ok, false);
      assert.ok(!decoded.ok && typeof decoded.error === 'string' && decoded.error.length > 0);
    });
  }

  it('non-string JSON values still come out as strings', () => {
    const decoded = decodeJsonEvent(Buffer.from('{"Event-Name":"X","N":5,"B":true,"Z":null,"O":{"a":1},"_body":7}'));
    assert.ok(decoded.ok);
    for (const value of Object.values(decoded.event.headers)) assert.equal(typeof value, 'string');
    assert.equal(decoded.event.get('N'), '5');
    assert.equal(decoded.event.get('Z'), '');
    assert.equal(decoded.event.body, '7');
  });

  it('non-string JSON values read one by one, before the whole set, are strings too', () => {
    const decoded = decodeJsonEvent(Buffer.from('{"Event-Name":"X","N":5,"B":true,"Z":null,"O":{"a":1},"A":["x","y"],"M":[1,"y"]}'));
    assert.ok(decoded.ok);
    const e = decoded.event;
    assert.equal(e.get('N'), '5');
    assert.equal(e.get('B'), 'true');
    assert.equal(e.get('Z'), '');
    assert.equal(e.get('O'), '{"a":1}');
    assert.equal(e.get('A'), 'ARRAY::x|:y');
    assert.equal(e.get('M'), '[1,"y"]', 'not an array of strings: its JSON');
    assert.equal(e.get('missing'), undefined);
    assert.deepEqual({ ...e.headers }, { 'Event-Name': 'X', N: '5', B: 'true', Z: '', O: '{"a":1}', A: 'ARRAY::x|:y', M: '[1,"y"]' });
  });

  it("an array header of a JSON event (capture 20's variable_DP_MATCH) reads as plain carries it: ARRAY::a|:b", () => {
    const events = frames('20')
      .filter((f) => f.headers['Content-Type'] === 'text/event-json')
      .map((f) => decodeEventFrame(f))
      .flatMap((d) => (d.ok ? [d.event] : []));
    const matched = events.filter((e) => e.getVar('DP_MATCH') !== undefined);
    assert.ok(matched.length > 0, 'capture 20 has events with variable_DP_MATCH');
    for (const e of matched) assert.equal(e.getVar('DP_MATCH'), 'ARRAY::1000|:1000');
    const one = decodeJsonEvent(Buffer.from('{"Event-Name":"X","One":["only"]}'));
    assert.ok(one.ok);
    assert.equal(one.event.get('One'), 'only', 'an array of one item is that item, as FreeSWITCH keeps it');
  });

  it('frames that are not events are reported, not decoded', () => {
    for (const f of frames('03').slice(0, 3)) {
      const decoded = decodeEventFrame(f);
      assert.equal(decoded.ok, false);
      assert.ok(!decoded.ok && decoded.error.includes(f.headers['Content-Type']!));
    }
    assert.equal(decodeEventFrame({ headers: {}, body: undefined }).ok, false);
  });

  it('a stream mixing bad and good events: the parser keeps framing and each event decodes on its own', () => {
    const event = (type: string, body: Buffer): Buffer =>
      Buffer.concat([Buffer.from(`Content-Length: ${body.length}\nContent-Type: ${type}\n\n`), body]);
    const stream = Buffer.concat([
      event('text/event-plain', Buffer.concat([Buffer.from('Event-Name: A\nX: %ZZ%FF'), Buffer.from([0xff]), Buffer.from('\n\n')])),
      event('text/event-json', Buffer.from('{"Event-Name":"B",')),
      event('text/event-json', Buffer.concat([Buffer.from('{"Event-Name":"C","Y":"'), Buffer.from([0xc3]), Buffer.from('"}')])),
      event('text/event-plain', Buffer.from('Event-Name: D\nZ: ok%20now\n\n')),
    ]);
    const parser = new FrameParser();
    const out: EslFrame[] = [];
    for (let i = 0; i < stream.length; i += 7) out.push(...parser.push(stream.subarray(i, i + 7)));
    assert.equal(out.length, 4);
    const decoded = out.map(decodeEventFrame);
    assert.deepStrictEqual(
      decoded.map((d) => (d.ok ? d.event.name : 'error')),
      ['A', 'error', 'C', 'D'],
    );
    assert.equal(decoded[0]!.ok && decoded[0]!.event.get('X'), '%ZZ\uFFFD\uFFFD');
    assert.equal(decoded[2]!.ok && decoded[2]!.event.get('Y'), '\uFFFD');
    assert.equal(decoded[3]!.ok && decoded[3]!.event.get('Z'), 'ok now');
  });
});
