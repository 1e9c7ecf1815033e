import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertSingleLine, encodeCommand, type EslCommand } from '../../src/core/esl/command';
import { EslError, UnsafeInputError } from '../../src/core/esl/errors';
import { listCaptures, loadCapture } from '../support/captures';

// What the client writes: byte-exact against what FreeSWITCH accepted in the captures, and never a
// second command smuggled in through a line break.

/** One command as it sits in a client byte stream, split the way mod_event_socket reads it. */
interface WireCommand {
  raw: Buffer;
  line: string;
  headers: Array<[string, string]>;
  body: Buffer | undefined;
}

/**
 * Splits a client stream into commands: lines up to a blank line, then, if a `content-length`
 * header (any case) is present, exactly that many body bytes.
 */
function splitCommands(stream: Buffer): WireCommand[] {
  const out: WireCommand[] = [];
  let p = 0;
  while (p < stream.length) {
    const blank = stream.indexOf('\n\n', p);
    assert.ok(blank >= 0, `stream ends mid-command at byte ${p}`);
    const [line, ...rest] = stream.toString('utf8', p, blank).split('\n');
    const headers = rest.map((h): [string, string] => {
      const colon = h.indexOf(': ');
      assert.ok(colon > 0, `not a "name: value" line: ${JSON.stringify(h)}`);
      return [h.slice(0, colon), h.slice(colon + 2)];
    });
    let next = blank + 2;
    let body: Buffer | undefined;
    const length = headers.find(([name]) => name.toLowerCase() === 'content-length');
    if (length) {
      body = stream.subarray(next, next + Number(length[1]));
      next += Number(length[1]);
    }
    out.push({ raw: stream.subarray(p, next), line: line!, headers, body });
    p = next;
  }
  return out;
}

/** The EslCommand that should reproduce a captured command: content-length becomes the body. */
function toEslCommand(wire: WireCommand): EslCommand {
  const headers = wire.headers.filter(([name]) => name.toLowerCase() !== 'content-length');
  return {
    line: wire.line,
    ...(headers.length > 0 ? { headers: Object.fromEntries(headers) } : {}),
    ...(wire.body !== undefined ? { body: wire.body.toString('utf8') } : {}),
  };
}

/** Runs `fn`, which must throw UnsafeInputError, and proves nothing was returned for writing. */
function assertRejected(fn: () => Buffer, what: string): void {
  let encoded: Buffer | undefined;
  assert.throws(
    () => {
      encoded = fn();
    },
    (err: unknown) => err instanceof UnsafeInputError && err instanceof EslError,
    what,
  );
  assert.equal(encoded, undefined);
}

const BREAKS = [
  ['CR', '\r'],
  ['LF', '\n'],
  ['CRLF', '\r\n'],
  ['NUL', '\0'],
] as const;

describe('encodeCommand', () => {
  it('a simple command is the line and a blank line', () => {
    assert.deepStrictEqual(encodeCommand({ line: 'api status' }), Buffer.from('api status\n\n'));
    assert.deepStrictEqual(encodeCommand({ line: 'api status', headers: {} }), Buffer.from('api status\n\n'));
  });

  it('reproduces every command the client sent in every capture, byte for byte', () => {
    let total = 0;
    for (const file of listCaptures()) {
      const capture = loadCapture(file);
      const commands = splitCommands(capture.client);
      assert.deepStrictEqual(Buffer.concat(commands.map((c) => c.raw)), capture.client, `${file}: the split covers the stream`);
      for (const wire of commands) {
        assert.deepStrictEqual(encodeCommand(toEslCommand(wire)).toString('latin1'), wire.raw.toString('latin1'), file);
        total++;
      }
    }
    assert.ok(total > 50);
  });

  describe('sendmsg forms of capture 10', () => {
    const sendmsgs = splitCommands(loadCapture('10').client).filter((c) => c.line.startsWith('sendmsg '));

    it('the header form (execute-app-arg as a header) matches the client bytes', () => {
      const wire = sendmsgs.find((c) => c.headers.some(([name]) => name === 'execute-app-arg'));
      assert.ok(wire);
      const uuid = wire.line.split(' ')[1]!;
      const arg = wire.headers.find(([name]) => name === 'execute-app-arg')![1];
      const encoded = encodeCommand({
        line: `sendmsg ${uuid}`,
        headers: { 'call-command': 'execute', 'execute-app-name': 'playback', 'execute-app-arg': arg, 'event-lock': 'true' },
      });
      assert.equal(encoded.toString('latin1'), wire.raw.toString('latin1'));
    });

    it('the body form (the argument as a content-length body) matches the client bytes', () => {
      const wire = sendmsgs.find((c) => c.body !== undefined);
      assert.ok(wire);
      const uuid = wire.line.split(' ')[1]!;
      const encoded = encodeCommand({
        line: `sendmsg ${uuid}`,
        headers: { 'call-command': 'execute', 'execute-app-name': 'playback', 'content-type': 'text/plain' },
        body: wire.body!.toString('utf8'),
      });
      assert.equal(encoded.toString('latin1'), wire.raw.toString('latin1'));
      assert.ok(wire.raw.toString('latin1').includes(`content-length: ${wire.body!.length}\n\n`));
    });
  });

  it('writes headers in the order given, values untouched', () => {
    const encoded = encodeCommand({ line: 'sendmsg u', headers: { b: '2', a: 'x: y %20 ü', 'Job-UUID': 'j' } });
    assert.equal(encoded.toString('utf8'), 'sendmsg u\nb: 2\na: x: y %20 ü\nJob-UUID: j\n\n');
  });

  it('a body is sent with content-length counted in UTF-8 bytes, after the headers', () => {
    const body = 'é€😀 中';
    const bytes = new TextEncoder().encode(body).length;
    assert.notEqual(bytes, body.length, 'the test needs a body whose byte and UTF-16 lengths differ');
    const encoded = encodeCommand({ line: 'sendmsg u', headers: { 'call-command': 'execute' }, body });
    assert.deepStrictEqual(encoded, Buffer.concat([Buffer.from(`sendmsg u\ncall-command: execute\ncontent-length: ${bytes}\n\n`), Buffer.from(body, 'utf8')]));
  });

  it('a body may hold line breaks, even a blank line and a would-be command, and stays one command', () => {
    const body = 'line 1\nline 2\r\n\n\napi fsctl shutdown\n\n';
    const encoded = encodeCommand({ line: 'sendmsg u', headers: { 'call-command': 'execute' }, body });
    const commands = splitCommands(encoded);
    assert.equal(commands.length, 1);
    assert.equal(commands[0]!.line, 'sendmsg u');
    assert.equal(commands[0]!.body!.toString('utf8'), body);
  });

  it('an empty body is sent as content-length: 0', () => {
    assert.equal(encodeCommand({ line: 'sendmsg u', body: '' }).toString(), 'sendmsg u\ncontent-length: 0\n\n');
  });

  for (const [name, br] of BREAKS) {
    for (const [where, make] of [
      ['the command line (end)', (s: string): EslCommand => ({ line: `api status${s}` })],
      ['the command line (middle)', (s: string): EslCommand => ({ line: `api status${s}${s}api fsctl shutdown` })],
      ['the command line (start)', (s: string): EslCommand => ({ line: `${s}api status` })],
      ['a header name', (s: string): EslCommand => ({ line: 'sendmsg u', headers: { [`call${s}-command`]: 'execute' } })],
      ['a header value', (s: string): EslCommand => ({ line: 'sendmsg u', headers: { 'execute-app-arg': `x${s}${s}api fsctl shutdown` } })],
      ['a header value with a body', (s: string): EslCommand => ({ line: 'sendmsg u', headers: { a: `x${s}` }, body: 'ok' })],
    ] as const) {
      it(`rejects ${name} in ${where} with UnsafeInputError and encodes nothing`, () => {
        assertRejected(() => encodeCommand(make(br)), `${name} in ${where}`);
      });
    }
  }

  it('rejects a header name containing ":"', () => {
    assertRejected(() => encodeCommand({ line: 'sendmsg u', headers: { 'call-command: execute\nx': 'y' } }), 'colon and LF');
    assertRejected(() => encodeCommand({ line: 'sendmsg u', headers: { 'a:b': 'y' } }), 'colon');
  });

  it('rejects a header that would override the body framing (content-length)', () => {
    assertRejected(() => encodeCommand({ line: 'sendmsg u', headers: { 'content-length': '20' } }), 'content-length header');
    assertRejected(() => encodeCommand({ line: 'sendmsg u', headers: { 'Content-Length': '2' }, body: 'hello' }), 'two lengths');
  });
});

describe('assertSingleLine', () => {
  it('accepts ordinary text: spaces, tabs, %, quotes, non-ASCII, the empty string', () => {
    for (const ok of ['', 'api status', 'a\tb', "{origination_caller_id_name='Test Caller'}loopback/9196 &park", 'tone_stream://%(500,0,800)', 'Zoë 😀 中']) {
      assert.doesNotThrow(() => assertSingleLine('value', ok));
    }
  });

  for (const [name, br] of BREAKS) {
    it(`throws UnsafeInputError on ${name}, naming what was checked`, () => {
      assert.throws(
        () => assertSingleLine('ESL header x', `a${br}b`),
        (err: unknown) => err instanceof UnsafeInputError && err.message.startsWith('ESL header x'),
      );
    });
  }

  it('keeps the error message short for long input', () => {
    assert.throws(
      () => assertSingleLine('value', `${'x'.repeat(10_000)}\n`),
      (err: unknown) => err instanceof UnsafeInputError && err.message.length < 300,
    );
  });
});
