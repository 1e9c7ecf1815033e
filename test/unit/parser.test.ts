import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EslError, FrameTooLargeError } from '../../src/core/esl/errors';
import { DEFAULT_MAX_FRAME_BYTES, FrameParser, parseHeaderBlock, type EslFrame } from '../../src/core/esl/parser';
import { listCaptures, loadCapture, type Capture } from '../support/captures';
import { seededRandom } from '../support/prng';

// Replays of the real FreeSWITCH 1.10.12 captures (test/fixtures/esl-captures) through FrameParser,
// checked against a deliberately naive reference framer written here, and against the facts the
// captures' README states.

/** Below this size (server stream) every two-chunk split is tried; above it, seeded random chunkings. */
const EXHAUSTIVE_SPLIT_LIMIT = 12 * 1024;
const RANDOM_CHUNKINGS = 50;

/** The README's disconnect notice, verbatim. */
const DISCONNECT_NOTICE = 'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n';
const RUDE_REJECTION = 'Access Denied, go away.\n';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A frame in a form deepStrictEqual compares fully: header order, and body bytes (latin1 is lossless). */
interface NormFrame {
  headers: Array<[string, string]>;
  body: string | null;
}

function norm(frames: readonly EslFrame[]): NormFrame[] {
  return frames.map((f) => ({ headers: Object.entries(f.headers), body: f.body === undefined ? null : f.body.toString('latin1') }));
}

/** Feeds chunks to one parser and returns every frame; the parser must end clean (no error, nothing buffered). */
function feed(chunks: Iterable<Buffer>): EslFrame[] {
  const parser = new FrameParser();
  const frames: EslFrame[] = [];
  for (const chunk of chunks) for (const f of parser.push(chunk)) frames.push(f);
  assert.equal(parser.error, undefined);
  assert.equal(parser.bufferedBytes, 0, 'every capture ends on a frame boundary');
  return frames;
}


/** Mostly tiny chunks (to cut headers and bodies everywhere), some large ones, the odd empty one. */
function* randomChunks(buf: Buffer, random: () => number): Generator<Buffer> {
  let i = 0;
  while (i < buf.length) {
    const r = random();
    const max = r < 0.02 ? 0 : r < 0.5 ? 16 : r < 0.8 ? 512 : 16_384;
    const n = max === 0 ? 0 : 1 + Math.floor(random() * max);
    yield buf.subarray(i, i + n);
    i += n;
  }
}

function* bytewise(buf: Buffer): Generator<Buffer> {
  for (let i = 0; i < buf.length; i++) yield buf.subarray(i, i + 1);
}

/**
 * The reference framer: independent of FrameParser and as naive as possible. It works on the whole
 * stream as one latin1 string and insists on the exact wire format (`Name: value` lines, `\n\n`,
 * then Content-Length bytes), so it also checks that the captures are what the README says.
 */
function referenceFrames(stream: Buffer): NormFrame[] {
  const s = stream.toString('latin1');
  const frames: NormFrame[] = [];
  let p = 0;
  while (p < s.length) {
    const blank = s.indexOf('\n\n', p);
    assert.ok(blank > p, `reference: no header block at byte ${p}`);
    const headers = s
      .slice(p, blank)
      .split('\n')
      .map((line): [string, string] => {
        const m = /^([^:\n]+): (.*)$/.exec(line);
        assert.ok(m, `reference: not a "Name: value" line: ${JSON.stringify(line)}`);
        // Outer headers are parsed as UTF-8 by the client; the latin1 string holds the raw bytes.
        return [m[1]!, Buffer.from(m[2]!, 'latin1').toString('utf8')];
      });
    p = blank + 2;
    const length = headers.find(([name]) => name === 'Content-Length');
    let body: string | null = null;
    if (length) {
      assert.match(length[1], /^\d+$/);
      const n = Number(length[1]);
      assert.ok(p + n <= s.length, 'reference: body runs past the end of the stream');
      body = s.slice(p, p + n);
      p += n;
    }
    frames.push({ headers, body });
  }
  return frames;
}

/** One command the client sent: command line, `name: value` headers and, with content-length, a body. */
interface ClientCommand {
  line: string;
  headers: Array<[string, string]>;
  body: string | undefined;
}

function clientCommands(stream: Buffer): ClientCommand[] {
  const s = stream.toString('latin1');
  const commands: ClientCommand[] = [];
  let p = 0;
  while (p < s.length) {
    const blank = s.indexOf('\n\n', p);
    assert.ok(blank >= 0, 'client stream ends mid-command');
    const [line, ...rest] = s.slice(p, blank).split('\n');
    const headers = rest.map((h): [string, string] => [h.slice(0, h.indexOf(': ')), h.slice(h.indexOf(': ') + 2)]);
    p = blank + 2;
    const length = headers.find(([name]) => name.toLowerCase() === 'content-length');
    let body: string | undefined;
    if (length) {
      body = s.slice(p, p + Number(length[1]));
      p += Number(length[1]);
    }
    commands.push({ line: line!, headers, body });
  }
  return commands;
}

const header = (f: NormFrame, name: string): string | undefined => f.headers.find(([n]) => n === name)?.[1];
const contentType = (f: NormFrame): string | undefined => header(f, 'Content-Type');
const names = (f: NormFrame): string[] => f.headers.map(([n]) => n);

function count<T>(items: readonly T[], pred: (item: T) => boolean): number {
  return items.reduce((n, item) => (pred(item) ? n + 1 : n), 0);
}

function occurrences(haystack: Buffer, needle: string): number {
  let n = 0;
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) n++;
  return n;
}

const captures: Capture[] = listCaptures().map((file) => loadCapture(file));

describe('FrameParser replaying real FreeSWITCH captures (server direction)', () => {
  it('has the captures and both split strategies are exercised', () => {
    assert.ok(captures.length >= 12);
    assert.ok(captures.some((c) => c.server.length < EXHAUSTIVE_SPLIT_LIMIT && c.server.length > 1000));
    assert.ok(captures.some((c) => c.server.length >= EXHAUSTIVE_SPLIT_LIMIT));
  });

  for (const capture of captures) {
    describe(capture.name, () => {
      const whole = norm(feed([capture.server]));

      it('whole stream: the same frames as the reference framer', () => {
        assert.ok(whole.length > 0);
        assert.deepStrictEqual(whole, referenceFrames(capture.server));
      });

      it('chunked as recorded (each recv() of the proxy)', () => {
        assert.deepStrictEqual(norm(feed(capture.serverChunks)), whole);
      });

      it('one byte at a time', () => {
        assert.deepStrictEqual(norm(feed(bytewise(capture.server))), whole);
      });

      if (capture.server.length < EXHAUSTIVE_SPLIT_LIMIT) {
        it('split into two chunks at every offset', () => {
          const buf = capture.server;
          for (let at = 0; at <= buf.length; at++) {
            const frames = norm(feed([buf.subarray(0, at), buf.subarray(at)]));
            assert.deepStrictEqual(frames, whole, `split at byte ${at}`);
          }
        });
      } else {
        it(`${RANDOM_CHUNKINGS} seeded random chunkings`, () => {
          for (let run = 0; run < RANDOM_CHUNKINGS; run++) {
            const seed = 0x5eed + run;
            assert.deepStrictEqual(norm(feed(randomChunks(capture.server, seededRandom(seed)))), whole, `seed ${seed}`);
          }
        });
      }
    });
  }
});

describe('README wire-format facts, checked on the parsed frames', () => {
  const parsed = new Map(captures.map((c) => [c.name.slice(0, 2), norm(feed([c.server]))] as const));
  const framesOf = (prefix: string): NormFrame[] => {
    const frames = parsed.get(prefix);
    assert.ok(frames, `capture ${prefix}`);
    return frames;
  };

  it('content types and frame counts match an independent scan of every capture', () => {
    for (const c of captures) {
      const ours = framesOf(c.name.slice(0, 2)).map(contentType);
      const ref = referenceFrames(c.server).map(contentType);
      assert.deepStrictEqual(ours, ref, c.name);
      assert.ok(ours.every((t) => t !== undefined), `${c.name}: every frame has a Content-Type`);
    }
  });

  it('auth/request opens every connection but the rejected one, with no Content-Length and no body', () => {
    for (const c of captures) {
      const frames = framesOf(c.name.slice(0, 2));
      if (c.name.startsWith('13')) {
        assert.equal(count(frames, (f) => contentType(f) === 'auth/request'), 0);
        continue;
      }
      assert.deepStrictEqual(frames[0], { headers: [['Content-Type', 'auth/request']], body: null }, c.name);
      assert.equal(count(frames, (f) => contentType(f) === 'auth/request'), 1, c.name);
    }
  });

  it('every capture ends with the 67-byte disconnect notice', () => {
    assert.equal(Buffer.byteLength(DISCONNECT_NOTICE), 67);
    for (const c of captures) {
      const last = framesOf(c.name.slice(0, 2)).at(-1)!;
      assert.deepStrictEqual(
        last,
        { headers: [['Content-Type', 'text/disconnect-notice'], ['Content-Length', '67']], body: DISCONNECT_NOTICE },
        c.name,
      );
    }
  });

  it('text/rude-rejection replaces auth/request, then the disconnect notice follows (13)', () => {
    assert.equal(Buffer.byteLength(RUDE_REJECTION), 24);
    assert.deepStrictEqual(framesOf('13'), [
      { headers: [['Content-Type', 'text/rude-rejection'], ['Content-Length', '24']], body: RUDE_REJECTION },
      { headers: [['Content-Type', 'text/disconnect-notice'], ['Content-Length', '67']], body: DISCONNECT_NOTICE },
    ]);
  });

  it('command/reply: no body, Content-Type then Reply-Text, and the Reply-Text the README gives for each command', () => {
    let checked = 0;
    for (const c of captures) {
      const replies = framesOf(c.name.slice(0, 2)).filter((f) => contentType(f) === 'command/reply');
      // api commands get api/response; everything else (auth included) gets one command/reply.
      const commands = clientCommands(c.client).filter((cmd) => !cmd.line.startsWith('api '));
      assert.equal(replies.length, commands.length, `${c.name}: one command/reply per non-api command`);
      const channels = new Set<string>();
      let listening = false;
      commands.forEach((cmd, i) => {
        const reply = replies[i]!;
        assert.equal(reply.body, null, `${c.name}: command/reply has no body`);
        const text = header(reply, 'Reply-Text')!;
        const words = cmd.line.split(' ');
        const verb = words[0];
        if (verb === 'bgapi') {
          assert.deepStrictEqual(names(reply), ['Content-Type', 'Reply-Text', 'Job-UUID']);
          const jobUuid = header(reply, 'Job-UUID')!;
          assert.match(jobUuid, UUID);
          assert.equal(text, `+OK Job-UUID: ${jobUuid}`);
          const supplied = cmd.headers.find(([n]) => n === 'Job-UUID');
          if (supplied) assert.equal(jobUuid, supplied[1], `${c.name}: a client-supplied Job-UUID is honoured`);
          const origination = /origination_uuid=([0-9a-f-]{36})/.exec(cmd.line);
          if (origination) channels.add(origination[1]!);
        } else {
          assert.deepStrictEqual(names(reply), ['Content-Type', 'Reply-Text'], `${c.name}: ${cmd.line}`);
          let expected: string;
          if (verb === 'auth') expected = words[1] === 'ClueCon' ? '+OK accepted' : '-ERR invalid';
          else if (verb === 'event') {
            expected = `+OK event listener enabled ${words[1]}`;
            listening = true;
          } else if (cmd.line === 'filter delete all') expected = '+OK filter deleted. [all][]';
          else if (verb === 'filter' && words[1] === 'delete') expected = `+OK filter deleted. [${words[2]}][${words.slice(3).join(' ')}]`;
          else if (verb === 'filter') expected = `+OK filter added. [${words[1]}]=[${words.slice(2).join(' ')}]`;
          else if (verb === 'nixevent') expected = '+OK events nixed';
          else if (verb === 'noevents') {
            expected = listening ? '+OK no longer listening for events' : '-ERR not listening for events';
            listening = false;
          } else if (verb === 'log') expected = `+OK log level ${words[1]} [${words[1]}]`;
          else if (verb === 'nolog') expected = '+OK no longer logging';
          else if (verb === 'exit') expected = '+OK bye';
          else if (verb === 'sendmsg') {
            // A live channel: one we originated, or one whose events named it (14 learns its uuids from events).
            const uuid = words[1]!;
            const named = c.server.includes(`Unique-ID: ${uuid}`) || c.server.includes(`"Unique-ID":"${uuid}"`);
            expected = channels.has(uuid) || named ? '+OK' : `-ERR invalid session id [${uuid}]`;
          }
          else throw new Error(`${c.name}: no README reply known for ${cmd.line}`);
          assert.equal(text, expected, `${c.name}: reply to ${JSON.stringify(cmd.line)}`);
        }
        checked++;
      });
    }
    assert.ok(checked >= 40);
  });

  it('the Reply-Texts the README lists by name all occur', () => {
    const seen = new Set(captures.flatMap((c) => framesOf(c.name.slice(0, 2)).map((f) => header(f, 'Reply-Text'))));
    for (const text of [
      '+OK accepted',
      '-ERR invalid',
      '+OK event listener enabled plain',
      '+OK event listener enabled json',
      '+OK filter added. [Event-Name]=[CHANNEL_CREATE]',
      '+OK filter deleted. [Event-Name][CHANNEL_CREATE]',
      '+OK filter deleted. [all][]',
      '+OK events nixed',
      '+OK no longer listening for events',
      '-ERR not listening for events',
      '+OK log level 7 [7]',
      '+OK no longer logging',
      '+OK bye',
      '+OK',
      '-ERR invalid session id [00000000-0000-0000-0000-000000000000]',
    ]) {
      assert.ok(seen.has(text), text);
    }
  });

  it('api/response: Content-Type then Content-Length; bodies are byte-exact, not newline-normalised (03, 09, 11)', () => {
    for (const c of captures) {
      for (const f of framesOf(c.name.slice(0, 2)).filter((x) => contentType(x) === 'api/response')) {
        assert.deepStrictEqual(names(f), ['Content-Type', 'Content-Length'], c.name);
        assert.equal(Buffer.byteLength(f.body!, 'latin1'), Number(header(f, 'Content-Length')));
      }
    }
    const bodies = framesOf('03').filter((f) => contentType(f) === 'api/response').map((f) => f.body);
    assert.ok(bodies.includes('127.0.0.1'), 'global_getvar local_ip_v4 has no trailing newline');
    assert.ok(bodies.includes('-ERR not_a_real_command Command not found!\n'));
    assert.ok(bodies.includes('{"row_count": 0}\n'));
    assert.ok(bodies.some((b) => b!.startsWith('{"row_count":2,"rows":[')));
    // The body of an empty `show channels` starts with a newline; it must not be eaten as a separator.
    assert.ok(bodies.some((b) => b!.startsWith('\n') && b!.endsWith(' total.\n')));
    // `api originate` answers `+OK <uuid>\n`; the client then kills that very uuid.
    const killed = clientCommands(loadCapture('03').client).find((cmd) => cmd.line.startsWith('api uuid_kill '))!.line.split(' ')[2];
    assert.ok(bodies.includes(`+OK ${killed}\n`));
    // A failed synchronous `api originate`.
    assert.ok(framesOf('09').some((f) => contentType(f) === 'api/response' && f.body === '-ERR NO_ROUTE_DESTINATION\n'));
    assert.ok(framesOf('11').some((f) => contentType(f) === 'api/response' && f.body === 'abc'), 'uuid_getvar sip_h_X-Test');
  });

  it('events: Content-Length before Content-Type; 96 plain events in 04 and 97 json events in 05', () => {
    for (const c of captures) {
      for (const f of framesOf(c.name.slice(0, 2)).filter((x) => contentType(x)!.startsWith('text/event-'))) {
        assert.deepStrictEqual(names(f), ['Content-Length', 'Content-Type'], c.name);
      }
    }
    const plain04 = count(framesOf('04'), (f) => contentType(f) === 'text/event-plain');
    const json05 = count(framesOf('05'), (f) => contentType(f) === 'text/event-json');
    assert.equal(plain04, 96);
    assert.equal(json05, 97);
    assert.equal(count(referenceFrames(loadCapture('04').server), (f) => contentType(f) === 'text/event-plain'), plain04);
    assert.equal(count(referenceFrames(loadCapture('05').server), (f) => contentType(f) === 'text/event-json'), json05);
    assert.equal(count(framesOf('04'), (f) => contentType(f) === 'text/event-json'), 0);
    assert.equal(count(framesOf('05'), (f) => contentType(f) === 'text/event-plain'), 0);
  });

  it('log/data (08): 237 frames, README header order, empty User-Data kept as empty, one log line per body', () => {
    const raw = loadCapture('08').server;
    const logs = framesOf('08').filter((f) => contentType(f) === 'log/data');
    assert.equal(logs.length, 237);
    assert.equal(logs.length, count(referenceFrames(raw), (f) => contentType(f) === 'log/data'));
    for (const f of logs) {
      assert.deepStrictEqual(names(f), ['Content-Type', 'Content-Length', 'Log-Level', 'Text-Channel', 'Log-File', 'Log-Func', 'Log-Line', 'User-Data']);
      assert.equal(Buffer.byteLength(f.body!, 'latin1'), Number(header(f, 'Content-Length')));
      assert.ok(f.body!.endsWith('\n'));
      assert.equal(f.body!.indexOf('\n'), f.body!.length - 1, 'one line');
      const user = header(f, 'User-Data')!;
      if (user !== '') assert.match(user, UUID);
    }
    // `User-Data: ` (with its trailing space) on the wire is the empty value.
    const emptyOnWire = occurrences(raw, 'User-Data: \n');
    assert.ok(emptyOnWire > 0);
    assert.equal(count(logs, (f) => header(f, 'User-Data') === ''), emptyOnWire);
  });
});

describe('parseHeaderBlock', () => {
  const parse = (text: string): Record<string, string> => {
    const buf = Buffer.from(`junk${text}junk`, 'utf8');
    return { ...parseHeaderBlock(buf, 4, buf.length - 4) };
  };

  it('keeps wire order, strips exactly one space after the colon, and reads only [start, end)', () => {
    const h = parse('B: 1\nA:2\nC:  3\nReply-Text: +OK Job-UUID: x');
    assert.deepStrictEqual(Object.entries(h), [
      ['B', '1'],
      ['A', '2'],
      ['C', ' 3'],
      ['Reply-Text', '+OK Job-UUID: x'],
    ]);
  });

  it('an empty value (`User-Data: ` with trailing space, or no space) is the empty string', () => {
    assert.deepStrictEqual(parse('User-Data: \nX:'), { 'User-Data': '', X: '' });
  });

  it('tolerates CRLF line ends and lines without a colon', () => {
    assert.deepStrictEqual(parse('A: 1\r\nweird line\r\nB: 2'), { A: '1', 'weird line': '', B: '2' });
  });
});

describe('FrameParser tolerance', () => {
  const frame = (headers: string, body?: string): Buffer =>
    Buffer.from(body === undefined ? `${headers}\n\n` : `${headers}\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}`, 'utf8');
  const reply = frame('Content-Type: command/reply\nReply-Text: +OK');

  /** Parses `stream` whole and bytewise; both must agree and never throw. */
  function parseBothWays(stream: Buffer): NormFrame[] {
    const whole = new FrameParser().push(stream);
    const parser = new FrameParser();
    const frames: EslFrame[] = [];
    for (const b of bytewise(stream)) frames.push(...parser.push(b));
    assert.deepStrictEqual(norm(frames), norm(whole));
    return norm(whole);
  }

  it('skips stray newlines between frames', () => {
    const stream = Buffer.concat([Buffer.from('\n\n'), reply, Buffer.from('\n'), reply, Buffer.from('\n\n\n'), reply]);
    const frames = parseBothWays(stream);
    assert.equal(frames.length, 3);
    for (const f of frames) assert.deepStrictEqual(f.headers, [['Content-Type', 'command/reply'], ['Reply-Text', '+OK']]);
  });

  it('a UTF-8 character in a header survives being split byte by byte', () => {
    const frames = parseBothWays(frame('Content-Type: x\nCaller-ID: Zoë 😀'));
    assert.equal(frames[0]!.headers[1]![1], 'Zoë 😀');
  });

  it('invalid UTF-8 in outer headers becomes U+FFFD and the next frames still parse', () => {
    const bad = Buffer.concat([Buffer.from('Content-Type: api/response\nX-Bad: a'), Buffer.from([0xff, 0xc3]), Buffer.from('b\nX-Half: '), Buffer.from([0xe2, 0x82]), Buffer.from('\nContent-Length: 3\n\nok\n')]);
    const frames = parseBothWays(Buffer.concat([bad, reply, reply]));
    assert.equal(frames.length, 3);
    const bad0 = new Map(frames[0]!.headers);
    assert.equal(bad0.get('X-Bad'), 'a\uFFFD\uFFFDb');
    assert.ok(bad0.get('X-Half')!.includes('\uFFFD'));
    assert.equal(frames[0]!.body, 'ok\n');
    assert.equal(header(frames[2]!, 'Reply-Text'), '+OK');
  });

  for (const length of ['abc', '-5', '', ' ', '12abc', 'NaN', '-0', '99999999999999999999999']) {
    it(`Content-Length ${JSON.stringify(length)} counts as no body and does not desynchronise`, () => {
      const stream = Buffer.concat([Buffer.from(`Content-Type: api/response\nContent-Length: ${length}\n\n`), reply, frame('Content-Type: api/response', 'after')]);
      const frames = parseBothWays(stream);
      assert.equal(frames.length, 3);
      assert.equal(frames[0]!.body, '');
      assert.equal(header(frames[1]!, 'Reply-Text'), '+OK');
      assert.equal(frames[2]!.body, 'after');
    });
  }

  it('garbage bytes never throw, and a clean frame after a blank line is read again', () => {
    const random = seededRandom(1234);
    const alphabet = Buffer.from('\n\n\n::  abcXYZ09-\r\x00%', 'latin1');
    for (let run = 0; run < 10; run++) {
      const garbage = Buffer.alloc(20_000);
      for (let i = 0; i < garbage.length; i++) {
        garbage[i] = random() < 0.5 ? alphabet[Math.floor(random() * alphabet.length)]! : Math.floor(random() * 256);
      }
      const parser = new FrameParser();
      for (const chunk of randomChunks(garbage, random)) {
        for (const f of parser.push(chunk)) {
          for (const [k, v] of Object.entries(f.headers)) assert.ok(typeof k === 'string' && typeof v === 'string');
          assert.ok(f.body === undefined || Buffer.isBuffer(f.body));
        }
      }
      assert.equal(parser.error, undefined);
      const after = parser.push(Buffer.concat([Buffer.from('\n\n'), reply]));
      assert.deepStrictEqual(norm(after).at(-1), { headers: [['Content-Type', 'command/reply'], ['Reply-Text', '+OK']], body: null }, `run ${run}`);
      assert.equal(parser.bufferedBytes, 0);
    }
  });

  it('bufferedBytes counts what is held for an incomplete frame and returns to 0', () => {
    const f = frame('Content-Type: api/response', 'x'.repeat(100));
    const parser = new FrameParser();
    assert.deepStrictEqual(parser.push(f.subarray(0, 10)), []);
    assert.equal(parser.bufferedBytes, 10);
    assert.deepStrictEqual(parser.push(f.subarray(10, f.length - 1)), []);
    assert.equal(parser.bufferedBytes, 99, 'the headers are consumed; 99 body bytes are held');
    assert.equal(parser.push(f.subarray(f.length - 1)).length, 1);
    assert.equal(parser.bufferedBytes, 0);
  });

  it('partial header bytes are not affected when the caller reuses its chunk buffers', () => {
    const parser = new FrameParser();
    const first = Buffer.from('Content-Type: command/re');
    assert.deepStrictEqual(parser.push(first), []);
    first.fill(0x21);
    const frames = parser.push(Buffer.from('ply\nReply-Text: +OK\n\n'));
    assert.deepStrictEqual({ ...frames[0]!.headers }, { 'Content-Type': 'command/reply', 'Reply-Text': '+OK' });
  });
});

describe('FrameParser limits', () => {
  const valid = Buffer.from('Content-Type: command/reply\nReply-Text: +OK\n\n');

  it('a Content-Length beyond maxFrameBytes stops the parser with FrameTooLargeError; later input is ignored', () => {
    const parser = new FrameParser({ maxFrameBytes: 1000 });
    const stream = Buffer.concat([valid, Buffer.from('Content-Type: api/response\nContent-Length: 1001\n\n'), Buffer.alloc(1001, 0x61), valid]);
    const frames = parser.push(stream);
    assert.equal(frames.length, 1, 'the frame before the oversized one is still delivered');
    assert.ok(parser.error instanceof FrameTooLargeError);
    assert.ok(parser.error instanceof EslError);
    assert.equal(parser.error.size, 1001);
    assert.equal(parser.error.limit, 1000);
    assert.equal(parser.bufferedBytes, 0);
    assert.deepStrictEqual(parser.push(Buffer.concat([Buffer.from('\n\n'), valid, valid])), []);
    assert.equal(parser.bufferedBytes, 0);
  });

  it('a body of exactly maxFrameBytes is accepted', () => {
    const parser = new FrameParser({ maxFrameBytes: 1000 });
    const frames = parser.push(Buffer.concat([Buffer.from('Content-Type: api/response\nContent-Length: 1000\n\n'), Buffer.alloc(1000, 0x62)]));
    assert.equal(parser.error, undefined);
    assert.equal(frames[0]!.body!.length, 1000);
  });

  it('the default limit is 64 MiB', () => {
    assert.equal(DEFAULT_MAX_FRAME_BYTES, 64 * 1024 * 1024);
    const over = new FrameParser();
    over.push(Buffer.from(`Content-Type: api/response\nContent-Length: ${64 * 1024 * 1024 + 1}\n\n`));
    assert.ok(over.error instanceof FrameTooLargeError);
    const at = new FrameParser();
    at.push(Buffer.from(`Content-Type: api/response\nContent-Length: ${64 * 1024 * 1024}\n\n`));
    assert.equal(at.error, undefined);
  });

  it('a header block that grows past the limit without a blank line fails as soon as it passes it', () => {
    const limit = 1024;
    const parser = new FrameParser({ maxFrameBytes: limit });
    const line = Buffer.from(`X-Pad: ${'a'.repeat(40)}\n`);
    let pushed = 0;
    while (!parser.error) {
      assert.deepStrictEqual(parser.push(line), []);
      pushed += line.length;
      assert.equal(parser.error === undefined, pushed <= limit, `after ${pushed} bytes`);
      assert.ok(pushed < 10 * limit, 'never failed');
    }
    assert.ok(parser.error instanceof FrameTooLargeError);
    assert.equal(parser.error.limit, limit);
    assert.deepStrictEqual(parser.push(Buffer.concat([Buffer.from('\n'), valid])), []);
  });

  it('a header block larger than the limit is rejected even when it arrives in one chunk', () => {
    const parser = new FrameParser({ maxFrameBytes: 100 });
    parser.push(Buffer.from(`Content-Type: x\nX-Pad: ${'a'.repeat(200)}\n\n`));
    assert.ok(parser.error instanceof FrameTooLargeError);
  });

  it('a 32 MiB api/response in 64 KiB chunks is one frame with the exact body', () => {
    // A 251-byte pattern (prime length) so no chunk boundary lines up with it.
    const pattern = Buffer.from(Array.from({ length: 251 }, (_, i) => (i * 37 + 11) & 0xff));
    const body = Buffer.alloc(32 * 1024 * 1024, pattern);
    const head = Buffer.from(`Content-Type: api/response\nContent-Length: ${body.length}\n\n`);
    const stream = Buffer.concat([head, body, valid]);
    const parser = new FrameParser();
    const frames: EslFrame[] = [];
    const chunk = 64 * 1024;
    for (let i = 0; i < stream.length; i += chunk) {
      frames.push(...parser.push(stream.subarray(i, i + chunk)));
      if (frames.length === 0) assert.equal(parser.bufferedBytes, Math.min(stream.length, i + chunk) - head.length);
    }
    assert.equal(parser.error, undefined);
    assert.equal(frames.length, 2);
    assert.deepStrictEqual({ ...frames[0]!.headers }, { 'Content-Type': 'api/response', 'Content-Length': String(body.length) });
    assert.equal(frames[0]!.body!.length, body.length);
    assert.ok(frames[0]!.body!.equals(body));
    assert.deepStrictEqual({ ...frames[1]!.headers }, { 'Content-Type': 'command/reply', 'Reply-Text': '+OK' });
    assert.equal(parser.bufferedBytes, 0);
  });
});
