import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeEventFrame, decodeJsonEvent, decodePlainEvent, decodeXmlEvent, type DecodedEvent, type EslEvent } from '../../src/core/esl/event';
import { FrameParser, type EslFrame } from '../../src/core/esl/parser';
import { parseEvent } from '../server/captureReplay';
import type { EslEvent as ServerEvent, Header } from '../server/eslEvent';
import { eventFrame, serializeJson, serializePlain, serializeXml, xmlText } from '../server/wire';
import { loadCapture } from '../support/captures';
import { seededRandom } from '../support/prng';

// text/event-xml decoding. The fixtures are written by hand from what switch_event_xmlize and
// switch_xml_toxml (FreeSWITCH 1.10.12) do, and each is also produced byte for byte by the test
// server's serializeXml; no capture has XML events.

/** capture 09's BACKGROUND_JOB (`-ERR NO_ROUTE_DESTINATION\n`), as `event xml` delivers it. */
const NO_ROUTE_XML = [
  '<event>',
  '  <headers>',
  '    <Event-Name>BACKGROUND_JOB</Event-Name>',
  '    <Core-UUID>60e9c6d3-ffce-4c4e-8eff-d874d2d9d155</Core-UUID>',
  '    <FreeSWITCH-Hostname>fs-dev</FreeSWITCH-Hostname>',
  '    <FreeSWITCH-Switchname>fs-dev</FreeSWITCH-Switchname>',
  '    <FreeSWITCH-IPv4>198.51.100.10</FreeSWITCH-IPv4>',
  '    <FreeSWITCH-IPv6>2001%3Adb8%3A%3A10</FreeSWITCH-IPv6>',
  '    <Event-Date-Local>2026-11-26%2007%3A35%3A51</Event-Date-Local>',
  '    <Event-Date-GMT>Thu,%2026%20Nov%202026%2007%3A35%3A51%20GMT</Event-Date-GMT>',
  '    <Event-Date-Timestamp>1795678551864066</Event-Date-Timestamp>',
  '    <Event-Calling-File>mod_event_socket.c</Event-Calling-File>',
  '    <Event-Calling-Function>api_exec</Event-Calling-Function>',
  '    <Event-Calling-Line-Number>1572</Event-Calling-Line-Number>',
  '    <Event-Sequence>1291</Event-Sequence>',
  '    <Job-UUID>084eaad6-ae6d-4904-a784-de401f0dff15</Job-UUID>',
  '    <Job-Command>originate</Job-Command>',
  '    <Job-Command-Arg>%7Borigination_uuid%3D81041661-a65b-49a4-94ab-7e2ef059cc73%7Dloopback/does_not_exist%20%26park</Job-Command-Arg>',
  '  </headers>',
  '  <Content-Length>26</Content-Length>',
  '  <body>-ERR NO_ROUTE_DESTINATION',
  '  </body>',
  '</event>',
  '',
].join('\n');

const OK_UUID = '0da5c879-7dac-440e-a131-00c2236a2bd2';
/** A BACKGROUND_JOB `+OK <uuid>\n` (capture 18's command), shortened to a few headers. */
const OK_XML = [
  '<event>',
  '  <headers>',
  '    <Event-Name>BACKGROUND_JOB</Event-Name>',
  '    <Job-UUID>7f4de4bc-17d7-4e2c-a0f2-6a1b4a5a8d37</Job-UUID>',
  '    <Job-Command>originate</Job-Command>',
  '    <Job-Command-Arg>%7Borigination_caller_id_number%3D1000%7Dloopback/9664%20%26park()</Job-Command-Arg>',
  '  </headers>',
  '  <Content-Length>41</Content-Length>',
  `  <body>+OK ${OK_UUID}`,
  '  </body>',
  '</event>',
  '',
].join('\n');
const OK_EVENT: Header[] = [
  ['Event-Name', 'BACKGROUND_JOB'],
  ['Job-UUID', '7f4de4bc-17d7-4e2c-a0f2-6a1b4a5a8d37'],
  ['Job-Command', 'originate'],
  ['Job-Command-Arg', '{origination_caller_id_number=1000}loopback/9664 &park()'],
];

const HTML_NAME = '<script>alert("hi")</script> & <b>Bob</b> O\'Brien';
/** A CHANNEL_CREATE (a few headers) whose caller ID name is HTML: URL-encoding leaves no `<` or `&`. */
const HTML_NAME_XML = [
  '<event>',
  '  <headers>',
  '    <Event-Name>CHANNEL_CREATE</Event-Name>',
  '    <Unique-ID>0da5c879-7dac-440e-a131-00c2236a2bd2</Unique-ID>',
  '    <Caller-Caller-ID-Name>%3Cscript%3Ealert(%22hi%22)%3C/script%3E%20%26%20%3Cb%3EBob%3C/b%3E%20O\'Brien</Caller-Caller-ID-Name>',
  '    <variable_origination_caller_id_name>%3Cscript%3Ealert(%22hi%22)%3C/script%3E%20%26%20%3Cb%3EBob%3C/b%3E%20O\'Brien</variable_origination_caller_id_name>',
  '  </headers>',
  '</event>',
  '',
].join('\n');

function serverEvent(headers: readonly Header[], body?: string): ServerEvent {
  return { name: '', subclass: undefined, headers, body };
}

function ok(decoded: DecodedEvent): EslEvent {
  assert.ok(decoded.ok, decoded.ok ? '' : decoded.error);
  return decoded.event;
}

function xml(text: string | Buffer): EslEvent {
  return ok(decodeXmlEvent(typeof text === 'string' ? Buffer.from(text, 'utf8') : text));
}

/** The same event through the plain and JSON serializers and decoders. */
function viaPlainAndJson(event: ServerEvent): [EslEvent, EslEvent] {
  return [decodePlainEvent(serializePlain(event)), ok(decodeJsonEvent(serializeJson(event)))];
}

function assertSameEvent(actual: EslEvent, expected: EslEvent, what = ''): void {
  assert.deepStrictEqual(Object.entries(actual.headers), Object.entries(expected.headers), what);
  assert.equal(actual.body, expected.body, what);
}

/** The `<body>` FreeSWITCH writes for a body, and its Content-Length, around a one-header event. */
function bodyXml(escaped: string, contentLength: number): string {
  return (
    '<event>\n  <headers>\n    <Event-Name>BACKGROUND_JOB</Event-Name>\n  </headers>\n' +
    `  <Content-Length>${contentLength}</Content-Length>\n  <body>${escaped}</body>\n</event>\n`
  );
}

function eventFramesOf(prefix: string): EslFrame[] {
  const frames = new FrameParser().push(loadCapture(prefix).server);
  return frames.filter((f) => f.headers['Content-Type'] === 'text/event-plain' || f.headers['Content-Type'] === 'text/event-json');
}

describe('text/event-xml as FreeSWITCH writes it', () => {
  it('a BACKGROUND_JOB -ERR NO_ROUTE_DESTINATION decodes to the same event as the plain frame of capture 09', () => {
    const plainFrame = eventFramesOf('09').find((f) => f.body!.includes('-ERR NO_ROUTE_DESTINATION\n'))!;
    const plain = decodePlainEvent(plainFrame.body!);
    const event = xml(NO_ROUTE_XML);
    assertSameEvent(event, plain);
    assert.equal(event.body, '-ERR NO_ROUTE_DESTINATION\n', 'no indentation left from before </body>');
    assert.equal(event.get('Content-Length'), '26', 'the last header, as in plain');
    assert.equal(event.get('FreeSWITCH-IPv6'), '2001:db8::10');
    assert.equal(event.get('Job-Command-Arg'), '{origination_uuid=81041661-a65b-49a4-94ab-7e2ef059cc73}loopback/does_not_exist &park');
    assert.equal(serializeXml(serverEvent(parseEvent(plainFrame).headers, plain.body)).toString('utf8'), NO_ROUTE_XML);
  });

  it('a BACKGROUND_JOB +OK <uuid>: body, headers and Content-Length as plain and json give them', () => {
    const event = xml(OK_XML);
    assert.equal(event.body, `+OK ${OK_UUID}\n`);
    assert.equal(event.jobUuid, '7f4de4bc-17d7-4e2c-a0f2-6a1b4a5a8d37');
    assert.equal(event.get('Job-Command-Arg'), '{origination_caller_id_number=1000}loopback/9664 &park()');
    assert.equal(serializeXml(serverEvent(OK_EVENT, event.body)).toString('utf8'), OK_XML);
    for (const other of viaPlainAndJson(serverEvent(OK_EVENT, event.body))) assertSameEvent(event, other);
  });

  it('a caller ID name full of HTML arrives URL-encoded and decodes to the exact text', () => {
    const headers: Header[] = [
      ['Event-Name', 'CHANNEL_CREATE'],
      ['Unique-ID', OK_UUID],
      ['Caller-Caller-ID-Name', HTML_NAME],
      ['variable_origination_caller_id_name', HTML_NAME],
    ];
    assert.equal(serializeXml(serverEvent(headers)).toString('utf8'), HTML_NAME_XML);
    const event = xml(HTML_NAME_XML);
    assert.equal(event.get('Caller-Caller-ID-Name'), HTML_NAME);
    assert.equal(event.getVar('origination_caller_id_name'), HTML_NAME);
    assert.equal(event.body, '');
    for (const other of viaPlainAndJson(serverEvent(headers))) assertSameEvent(event, other);
  });

  it('XML escapes in a header value are undone, before the %-decoding (never twice)', () => {
    // FreeSWITCH never needs them in headers (URL-encoding leaves no & < >), but they are XML.
    const event = xml('<event><headers><A>a&amp;b&lt;c&gt;d%20e</A><B>%26amp%3B%20%26lt%3B</B></headers></event>');
    assert.equal(event.get('A'), 'a&b<c>d e');
    assert.equal(event.get('B'), '&amp; &lt;', 'a value that is literally "&amp; &lt;" stays so');
  });

  it('an invalid % sequence stays literal, as in plain', () => {
    const event = xml('<event><headers><Event-Name>X</Event-Name><A>%ZZ%20100%</A><B>%E9t%C3%A9</B></headers></event>');
    const plain = decodePlainEvent(Buffer.from('Event-Name: X\nA: %ZZ%20100%\nB: %E9t%C3%A9\n\n'));
    assert.equal(event.get('A'), '%ZZ 100%');
    assert.equal(event.get('B'), '\uFFFDté', 'a %-encoded Latin-1 byte is invalid UTF-8: U+FFFD');
    assertSameEvent(event, plain);
  });

  it('non-ASCII and invalid UTF-8 header values are %-encoded bytes and decode as in plain and json', () => {
    const headers: Header[] = [
      ['Event-Name', 'CHANNEL_CREATE'],
      ['Caller-Caller-ID-Name', 'Zoë 李 😀'],
      ['variable_latin1_name', Buffer.from('Jos\xe9', 'latin1')],
      ['variable_café', 'ok'],
    ];
    const bytes = serializeXml(serverEvent(headers));
    assert.ok(bytes.includes('<Caller-Caller-ID-Name>Zo%C3%AB%20%E6%9D%8E%20%F0%9F%98%80</Caller-Caller-ID-Name>'));
    assert.ok(bytes.includes('<variable_latin1_name>Jos%E9</variable_latin1_name>'));
    assert.ok(bytes.includes('<variable_café>ok</variable_café>'), 'names are written as they are');
    const event = xml(bytes);
    assert.equal(event.get('Caller-Caller-ID-Name'), 'Zoë 李 😀');
    assert.equal(event.getVar('latin1_name'), 'Jos\uFFFD');
    assert.equal(event.getVar('café'), 'ok');
    for (const other of viaPlainAndJson(serverEvent(headers))) assertSameEvent(event, other);
  });

  it('adjacent elements of one name are an array header: ARRAY::a|:b, as plain carries it', () => {
    // switch_event_xmlize writes one element per item (capture 20 has variable_DP_MATCH ["1000","1000"] in json).
    const text =
      '<event>\n  <headers>\n    <Event-Name>CHANNEL_EXECUTE</Event-Name>\n' +
      '    <variable_DP_MATCH>1000</variable_DP_MATCH>\n    <variable_DP_MATCH>1000</variable_DP_MATCH>\n' +
      '    <variable_three>a</variable_three>\n    <variable_three></variable_three>\n    <variable_three>c%7Cd</variable_three>\n' +
      '    <variable_one>x</variable_one>\n  </headers>\n</event>\n';
    const event = xml(text);
    const plain = decodePlainEvent(
      Buffer.from('Event-Name: CHANNEL_EXECUTE\nvariable_DP_MATCH: ARRAY::1000|:1000\nvariable_three: ARRAY::a|:|:c%7Cd\nvariable_one: x\n\n'),
    );
    assertSameEvent(event, plain);
    assert.equal(event.getVar('DP_MATCH'), 'ARRAY::1000|:1000');
  });

  it('a header name that comes again further on is a second header: the later wins, as in plain and json', () => {
    const headers: Header[] = [
      ['Event-Name', 'CHANNEL_HANGUP_COMPLETE'],
      ['Hangup-Cause', 'NORMAL_CLEARING'],
      ['Channel-Name', 'loopback/9664-a'],
      ['Hangup-Cause', 'NO_ANSWER'],
    ];
    const event = xml(serializeXml(serverEvent(headers)));
    assert.equal(event.get('Hangup-Cause'), 'NO_ANSWER');
    for (const other of viaPlainAndJson(serverEvent(headers))) assertSameEvent(event, other);
  });

  it('header maps have no prototype: __proto__ and constructor are plain keys', () => {
    const event = xml('<event><headers><__proto__>x</__proto__><constructor>y</constructor></headers></event>');
    assert.equal(Object.getPrototypeOf(event.headers), null);
    assert.equal(event.get('__proto__'), 'x');
    assert.equal(event.get('constructor'), 'y');
    assert.equal(({} as Record<string, unknown>)['x'], undefined);
  });

  it('decodeEventFrame reads Content-Type text/event-xml; the test server frames it as FreeSWITCH does', () => {
    const frames = new FrameParser().push(eventFrame(serverEvent(OK_EVENT, `+OK ${OK_UUID}\n`), 'xml'));
    assert.equal(frames.length, 1);
    assert.deepStrictEqual({ ...frames[0]!.headers }, { 'Content-Length': String(Buffer.byteLength(OK_XML)), 'Content-Type': 'text/event-xml' });
    assertSameEvent(ok(decodeEventFrame(frames[0]!)), xml(OK_XML));
  });
});

describe('event-xml bodies', () => {
  // [what, body, the text switch_xml_ampencode writes for it inside <body>, plus the indentation]
  const cases: Array<[string, string, string]> = [
    ['+OK <uuid> and a newline: indented close tag', `+OK ${OK_UUID}\n`, `+OK ${OK_UUID}\n  `],
    ['no final newline: no indentation', '-ERR no reply', '-ERR no reply'],
    ['< > & escaped, quotes not', '<result a="1">x & y</result>\n', '&lt;result a="1"&gt;x &amp; y&lt;/result&gt;\n  '],
    ['UTF-8: one reference per sequence', 'Zoë 李 😀\n', 'Zo&#xEB; &#x674E; &#x1F600;\n  '],
    ['CR as &#xD;, LF and tab as they are', 'a\r\n\tb\r\n', 'a&#xD;\n\tb&#xD;\n  '],
    ['a body ending in its own newline and two spaces (Content-Length tells)', 'x\n  ', 'x\n  '],
    ['a body ending in a newline and four spaces', 'x\n    ', 'x\n    '],
    ['from the first <! on, nothing is escaped (CDATA)', 'a < b <![CDATA[<x> & é]]> & c\n', 'a &lt; b <![CDATA[<x> & é]]> & c\n  '],
    ['HTML with a doctype: not XML at all after <!', '<!DOCTYPE html>\n<html><body>&nbsp;</body></html>\n', '<!DOCTYPE html>\n<html><body>&nbsp;</body></html>\n  '],
    ['a comment', 'before <!-- & --> after\n', 'before <!-- & --> after\n  '],
    ['an entity-looking text', '&amp; &#x41;\n', '&amp;amp; &amp;#x41;\n  '],
  ];
  for (const [what, body, escaped] of cases) {
    it(`${what}: written as FreeSWITCH does and decoded back exactly`, () => {
      const expected = bodyXml(escaped, Buffer.byteLength(body));
      assert.equal(serializeXml(serverEvent([['Event-Name', 'BACKGROUND_JOB']], body)).toString('utf8'), expected);
      const event = xml(expected);
      assert.equal(event.body, body);
      assert.equal(event.get('Content-Length'), String(Buffer.byteLength(body)));
      for (const other of viaPlainAndJson(serverEvent([['Event-Name', 'BACKGROUND_JOB']], body))) assertSameEvent(event, other);
    });
  }

  it('without Content-Length the indentation before </body> is still removed', () => {
    const event = xml('<event><headers><Event-Name>X</Event-Name></headers><body>+OK\n  </body></event>');
    assert.equal(event.body, '+OK\n');
    assert.equal(event.get('Content-Length'), undefined);
  });

  it('an event with no body has neither Content-Length nor body', () => {
    const text = serializeXml(serverEvent([['Event-Name', 'HEARTBEAT']])).toString('utf8');
    assert.equal(text, '<event>\n  <headers>\n    <Event-Name>HEARTBEAT</Event-Name>\n  </headers>\n</event>\n');
    const event = xml(text);
    assert.equal(event.body, '');
    assert.deepStrictEqual(Object.keys(event.headers), ['Event-Name']);
  });

  // Invalid UTF-8 in a body, as an x86-64 FreeSWITCH (signed char) turns it into text: sequences
  // become references to impossible code points, which decode to U+FFFD; bytes that cannot start or
  // continue a sequence are dropped by FreeSWITCH and cannot come back.
  const invalid: Array<[string, number[], string, string]> = [
    ['a UTF-8-encoded surrogate', [0x61, 0xed, 0xa0, 0x80, 0x0a], 'a&#xD800;\n', 'a\uFFFD\n'],
    ['an overlong NUL', [0x61, 0xc0, 0x80, 0x0a], 'a&#x0;\n', 'a\uFFFD\n'],
    ['an overlong "A"', [0xc1, 0x81, 0x0a], '&#x41;\n', '\uFFFD\n'],
    ['a code point past U+10FFFF', [0xf4, 0x90, 0x80, 0x80, 0x0a], '&#x110000;\n', '\uFFFD\n'],
    ['0xFF, which swallows the next byte', [0x61, 0xff, 0x62, 0x63], 'ac', 'ac'],
    ['Latin-1 é before a newline: the newline is written, the é dropped', [0x4a, 0x6f, 0x73, 0xe9, 0x0a], 'Jos\n', 'Jos\n'],
    ['a lone continuation byte', [0x61, 0x80, 0x62, 0x0a], 'ab\n', 'ab\n'],
    ['a truncated sequence at the end', [0x61, 0xe6, 0x9d], 'a', 'a'],
  ];
  for (const [what, bytes, escaped, decoded] of invalid) {
    it(`invalid UTF-8 (${what}): written as FreeSWITCH does, decoded without throwing`, () => {
      assert.equal(xmlText(Buffer.from(bytes)).toString('latin1'), escaped);
      const indent = escaped.endsWith('\n') ? '  ' : '';
      assert.equal(xml(bodyXml(escaped + indent, bytes.length)).body, decoded);
    });
  }

  it('when FreeSWITCH dropped exactly two bytes of a body ending in a newline, the indentation stays', () => {
    // Latin-1 "Café au lait\n": é (E9) starts a 3-byte sequence, the space breaks it, both are dropped.
    // The text with the indentation is then exactly Content-Length bytes, as a body ending in a newline
    // and two spaces would be: the two cannot be told apart, and the rule is right for valid UTF-8.
    const latin1 = Buffer.from('Caf\xe9 au lait\n', 'latin1');
    assert.equal(xmlText(latin1).toString('latin1'), 'Cafau lait\n');
    assert.equal(xml(bodyXml('Cafau lait\n  ', latin1.length)).body, 'Cafau lait\n  ');
  });

  it('raw invalid bytes (after a <!, or from a build where char is unsigned) become U+FFFD as in plain', () => {
    const raw = Buffer.from([0x3c, 0x21, 0x78, 0xff, 0x20, 0xc3, 0xa9, 0xc3, 0x0a]); // "<!x", FF, " é", C3, LF
    assert.deepStrictEqual(xmlText(raw), raw, 'copied as it is after <!');
    const text = Buffer.concat([Buffer.from(bodyXml('', raw.length).split('</body>')[0]!), raw, Buffer.from('  </body>\n</event>\n')]);
    const event = xml(text);
    assert.equal(event.body, '<!x\uFFFD é\uFFFD\n');
    assert.equal(event.body, decodePlainEvent(Buffer.concat([Buffer.from(`Event-Name: X\nContent-Length: ${raw.length}\n\n`), raw])).body);
  });
});

describe('malformed event-xml is reported, never thrown', () => {
  const bad: Array<[string, string]> = [
    ['empty', ''],
    ['not XML', 'garbage'],
    ['a JSON event', '{"Event-Name":"HEARTBEAT"}'],
    ['a plain event', 'Event-Name: HEARTBEAT\n\n'],
    ['another root', '<events><headers><A>1</A></headers></events>'],
    ['no <headers>', '<event></event>'],
    ['an unclosed root', '<event><headers><A>1</A></headers>'],
    ['mismatched tags', '<event><headers><A>1</B></headers></event>'],
    ['an element inside a header', '<event><headers><A><B>x</B></A></headers></event>'],
    ['two roots', '<event><headers/></event><event/>'],
    ['text between headers', '<event><headers><A>1</A>stray</headers></event>'],
    ['an undefined entity', '<event><headers><A>&nbsp;</A></headers></event>'],
    ['a header name that is no XML name', '<event><headers><my var>1</my var></headers></event>'],
    ['a body never closed', '<event><headers><A>1</A></headers><body>+OK'],
    ['no </event> after the body', '<event><headers><A>1</A></headers><body>+OK</body>'],
    ['junk after the body', '<event><headers><A>1</A></headers><body>+OK</body></event>junk'],
    ['a body inside a header', '<event><headers><A>1</A></headers><B><body>x</body></B></event>'],
  ];
  for (const [what, text] of bad) {
    it(`${what}: { ok: false, error }`, () => {
      const decoded = decodeXmlEvent(Buffer.from(text, 'utf8'));
      assert.equal(decoded.ok, false, what);
      assert.match(decoded.ok ? '' : decoded.error, /^malformed XML event: /);
      const viaFrame = decodeEventFrame({ headers: { 'Content-Type': 'text/event-xml' }, body: Buffer.from(text, 'utf8') });
      assert.equal(viaFrame.ok, false);
    });
  }

  it('every truncation of an event is malformed until only the final newline is missing', () => {
    for (const full of [Buffer.from(NO_ROUTE_XML), Buffer.from(HTML_NAME_XML)]) {
      for (let n = 0; n <= full.length; n++) {
        const decoded = decodeXmlEvent(full.subarray(0, n));
        assert.equal(decoded.ok, n >= full.length - 1, `cut at ${n}: ${JSON.stringify(full.subarray(Math.max(0, n - 20), n).toString())}`);
      }
    }
  });

  it('random bytes and random damage to a real event never throw', () => {
    const random = seededRandom(29);
    const base = Buffer.from(NO_ROUTE_XML);
    const alphabet = Buffer.from('<>/&;#x!-[]CDATA %\n "\'=?bodyevent', 'latin1');
    for (let run = 0; run < 1000; run++) {
      let buf: Buffer;
      if (run % 2 === 0) {
        buf = Buffer.from(base);
        for (let k = 0; k < 1 + Math.floor(random() * 4); k++) {
          buf[Math.floor(random() * buf.length)] = random() < 0.8 ? alphabet[Math.floor(random() * alphabet.length)]! : Math.floor(random() * 256);
        }
      } else {
        buf = Buffer.alloc(Math.floor(random() * 80));
        for (let i = 0; i < buf.length; i++) buf[i] = random() < 0.8 ? alphabet[Math.floor(random() * alphabet.length)]! : Math.floor(random() * 256);
      }
      const decoded = decodeXmlEvent(buf);
      if (decoded.ok) assert.equal(Object.getPrototypeOf(decoded.event.headers), null);
      else assert.match(decoded.error, /^malformed XML event: /);
    }
  });
});

describe('the captures rendered as event-xml', () => {
  // Every event of these captures, rendered by the test server's serializeXml from its header list,
  // decodes to the event its own plain or json frame decodes to.
  for (const prefix of ['04', '05', '09', '10', '11', '16', '21']) {
    it(`${prefix}: every event decodes as its original frame does`, () => {
      const frames = eventFramesOf(prefix);
      assert.ok(frames.length > 0);
      for (const [i, frame] of frames.entries()) {
        const { headers, body } = parseEvent(frame);
        const original = ok(decodeEventFrame(frame));
        assertSameEvent(xml(serializeXml(serverEvent(headers, body))), original, `${prefix} event #${i} ${original.name}`);
      }
    });
  }
});
