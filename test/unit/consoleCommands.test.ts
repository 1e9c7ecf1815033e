import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Emitter, EslEvent, FrameParser, decodeEventFrame, type LogLine } from '../../src/core';
import { ConsoleSession } from '../../src/extension/console/consoleSession';
import {
  charsInLastBytes,
  eventMatches,
  formatColumns,
  formatEvent,
  parseCompletion,
  parseConsoleCommand,
  parseLogLevel,
  logChannelText,
  plainText,
  stripLogPrefix,
  terminalLines,
  terminalSafe,
  utf8Length,
} from '../../src/extension/console/consoleText';
import { LogTap, type LogSource } from '../../src/extension/console/logTap';
import { loadCapture } from '../support/captures';
import { fakeConsoleClient as fakeClient } from '../support/fakeConsoleClient';

// The console's commands and what it prints: slash-command parsing, console_complete replies,
// escaping of FreeSWITCH text, the shared log level, and a session driven with a fake client.

function framesOf(prefix: string): ReturnType<FrameParser['push']> {
  const parser = new FrameParser();
  return loadCapture(prefix).serverChunks.flatMap((chunk) => parser.push(chunk));
}

describe('parseConsoleCommand', () => {
  it('runs anything without a slash as an API command, trimmed', () => {
    assert.deepStrictEqual(parseConsoleCommand('  show channels  '), { kind: 'api', command: 'show channels' });
    assert.deepStrictEqual(parseConsoleCommand('   '), { kind: 'empty' });
  });

  it("knows fs_cli's slash commands", () => {
    assert.deepStrictEqual(parseConsoleCommand('/log debug'), { kind: 'log', level: 7 });
    assert.deepStrictEqual(parseConsoleCommand('/log 3'), { kind: 'log', level: 3 });
    assert.deepStrictEqual(parseConsoleCommand('/log'), { kind: 'logStatus' });
    assert.deepStrictEqual(parseConsoleCommand('/nolog'), { kind: 'nolog' });
    assert.deepStrictEqual(parseConsoleCommand('/noevents'), { kind: 'noevents' });
    assert.deepStrictEqual(parseConsoleCommand('/help'), { kind: 'help' });
    for (const exit of ['/exit', '/quit', '/bye', '/EXIT', '...']) assert.deepStrictEqual(parseConsoleCommand(exit), { kind: 'exit' }, exit);
    assert.deepStrictEqual(parseConsoleCommand('/uuid 3f2a-11'), { kind: 'uuid', uuid: '3f2a-11' });
    assert.deepStrictEqual(parseConsoleCommand('/uuid'), { kind: 'uuid', uuid: undefined });
  });

  it('reads event names as fs_cli users type them', () => {
    assert.deepStrictEqual(parseConsoleCommand('/event plain ALL'), { kind: 'event', names: ['ALL'] });
    assert.deepStrictEqual(parseConsoleCommand('/event channel_create CHANNEL_HANGUP channel_create'), { kind: 'event', names: ['CHANNEL_CREATE', 'CHANNEL_HANGUP'] });
    assert.deepStrictEqual(parseConsoleCommand('/event json CUSTOM sofia::register sofia::unregister'), { kind: 'event', names: ['sofia::register', 'sofia::unregister'] });
    assert.deepStrictEqual(parseConsoleCommand('/nixevent HEARTBEAT'), { kind: 'nixevent', names: ['HEARTBEAT'] });
  });

  it('says what is wrong instead of sending nonsense', () => {
    for (const line of ['/log 8', '/log loud', '/log 7 8', '/event', '/event CUSTOM', '/event bad-name', '/event a::', '/uuid ;rm', '/filter Unique-ID x', '/whatever']) {
      assert.equal(parseConsoleCommand(line).kind, 'error', line);
    }
  });

  it('log levels: numbers, FreeSWITCH names and the usual aliases', () => {
    assert.deepStrictEqual(
      ['console', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'].map(parseLogLevel),
      [0, 1, 2, 3, 4, 5, 6, 7],
    );
    assert.equal(parseLogLevel('ERROR'), 3);
    assert.equal(parseLogLevel('warn'), 4);
    assert.equal(parseLogLevel('9'), undefined);
  });
});

describe('parseCompletion (switch_console_complete stream output)', () => {
  it('a single match: write=<len>:<match> plus a space', () => {
    const body = '\n\n[                status]\t\n\nwrite=3:status ';
    assert.deepStrictEqual(parseCompletion(body), { matches: ['status'], write: { deleteBytes: 3, text: 'status ' } });
  });

  it('several matches (four per line) and their common prefix', () => {
    const body =
      '\n\n[                 sched]\t[          sched_api]\t[     sched_broadcast]\t[      sched_del]\t\n' +
      '[         sched_hangup]\t[       sched_transfer]\t\n\nwrite=2:sched';
    const c = parseCompletion(body);
    assert.deepStrictEqual(c.matches, ['sched', 'sched_api', 'sched_broadcast', 'sched_del', 'sched_hangup', 'sched_transfer']);
    assert.deepStrictEqual(c.write, { deleteBytes: 2, text: 'sched' });
  });

  it('names longer than the 20-column field, and no match at all', () => {
    assert.deepStrictEqual(parseCompletion('\n\n[a_very_long_api_command_name]\t\n\nwrite=1:a_very_long_api_command_name ').matches, ['a_very_long_api_command_name']);
    assert.deepStrictEqual(parseCompletion('\n\n\n\n'), { matches: [] });
  });

  it('lengths are UTF-8 bytes, turned back into characters', () => {
    assert.equal(utf8Length('né'), 3);
    assert.equal(charsInLastBytes('say né', 3), 2);
    assert.equal(charsInLastBytes('ab', 10), 2);
  });

  it('lays candidates out in columns that fit', () => {
    assert.deepStrictEqual(formatColumns(['a', 'bb', 'ccc', 'd'], 12), ['a    ccc', 'bb   d']);
    assert.deepStrictEqual(formatColumns(['x'], 1), ['x']);
  });
});

describe('terminal safety', () => {
  it('a caller ID name cannot drive the terminal: ESC, CSI, OSC, BEL, CR and C1 come out as visible text', () => {
    const hostile = 'Bob\x1b[2J\x1b]0;pwned\x07\rX\u009b31m\x00';
    const safe = terminalSafe(hostile);
    assert.equal(safe, 'Bob^[[2J^[]0;pwned^G^MX<U+009B>31m^@');
    assert.doesNotMatch(safe, /[\x00-\x1f\x7f-\x9f]/);
  });

  it('line breaks become CR LF; a trailing one is not doubled', () => {
    assert.equal(terminalSafe('a\nb\r\nc'), 'a\r\nb\r\nc');
    assert.equal(terminalLines('+OK\n'), '+OK\r\n');
    assert.equal(terminalLines('-ERR no\n', '\x1b[31m'), '\x1b[31m-ERR no\x1b[0m\r\n');
  });

  it('plainText (for the log channel) keeps tabs and line breaks, shows other controls', () => {
    assert.equal(plainText('a\tb\x1b[31m\r\nc\n'), 'a\tb^[[31m\nc');
  });
});

describe('log lines from capture 08 (FreeSWITCH 1.10.12, log 7)', () => {
  const lines = framesOf('08')
    .filter((f) => f.headers['Content-Type'] === 'log/data')
    .map((f) => f.body?.toString('utf8') ?? '');

  it('stripLogPrefix removes the date, CPU idle and [LEVEL], keeps file:line, and leaves unprefixed lines alone', () => {
    assert.ok(lines.length > 200);
    for (const line of lines) {
      const stripped = stripLogPrefix(line);
      if (/^\d{4}-/.test(line)) assert.match(stripped, /^[\w.]+\.c:\d+ /, line);
      else assert.equal(stripped, line);
    }
    assert.equal(
      stripLogPrefix('2026-11-26 07:35:20.964094 96.47% [DEBUG] switch_ivr_originate.c:2301 Parsing global variables\n'),
      'switch_ivr_originate.c:2301 Parsing global variables\n',
    );
  });

  it('logChannelText keeps FreeSWITCH\'s level name (NOTICE stays NOTICE), as the console shows it', () => {
    const frames = framesOf('08').filter((f) => f.headers['Content-Type'] === 'log/data');
    const names = new Set<string>();
    for (const f of frames) {
      const text = f.body?.toString('utf8') ?? '';
      const level = Number(f.headers['Log-Level']);
      const line = logChannelText(level, text);
      const written = /\[([A-Z]+)\] /.exec(text)?.[1];
      const name = written ?? ['CONSOLE', 'ALERT', 'CRIT', 'ERR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG'][level]!;
      assert.ok(line.startsWith(`[${name}] `), line);
      assert.ok(!/^\[[A-Z]+\] \d{4}-/.test(line), `no date left: ${line}`);
      names.add(name);
    }
    assert.ok(names.has('NOTICE') && names.has('DEBUG'), [...names].join(', '));
    assert.equal(
      logChannelText(5, '2026-11-26 07:35:20.964094 96.47% [NOTICE] switch_channel.c:1142 New Channel loopback/9196-a [3f1c]\n'),
      '[NOTICE] switch_channel.c:1142 New Channel loopback/9196-a [3f1c]',
    );
    assert.equal(logChannelText(7, 'EXECUTE [depth=0] loopback/9196-b answer()\n'), '[DEBUG] EXECUTE [depth=0] loopback/9196-b answer()');
    assert.equal(logChannelText(4, 'a\x1b[31m b'), '[WARNING] a^[[31m b');
  });
});

describe('events as text', () => {
  const events = framesOf('05')
    .map((f) => decodeEventFrame(f))
    .flatMap((d) => (d.ok ? [d.event] : []));

  it('RECV EVENT <name> with the key headers of a real CHANNEL_CREATE', () => {
    const create = events.find((e) => e.name === 'CHANNEL_CREATE');
    assert.ok(create);
    const { title, details } = formatEvent(create);
    assert.equal(title, 'RECV EVENT CHANNEL_CREATE');
    assert.match(details, new RegExp(`^  Unique-ID: ${create.uuid}$`, 'm'));
    assert.match(details, /^ {2}Channel-Name: loopback\/9196-a$/m);
  });

  it('a CUSTOM event shows its subclass; a body is shown indented', () => {
    const custom = new EslEvent({ 'Event-Name': 'CUSTOM', 'Event-Subclass': 'sofia::register' });
    assert.equal(formatEvent(custom).title, 'RECV EVENT CUSTOM sofia::register');
    const job = events.find((e) => e.name === 'BACKGROUND_JOB');
    assert.ok(job);
    assert.match(formatEvent(job).details, /^ {2}\| \+OK /m);
  });

  it('matches by name, ALL, or CUSTOM subclass', () => {
    const custom = new EslEvent({ 'Event-Name': 'CUSTOM', 'Event-Subclass': 'sofia::register' });
    const create = new EslEvent({ 'Event-Name': 'CHANNEL_CREATE' });
    assert.equal(eventMatches(new Set(['sofia::register']), custom), true);
    assert.equal(eventMatches(new Set(['sofia::register']), create), false);
    assert.equal(eventMatches(new Set(['ALL']), custom), true);
    assert.equal(eventMatches(new Set(['CHANNEL_CREATE']), create), true);
  });
});

/** A connection's log side that records the levels it was asked for. */
function fakeLogSource(): LogSource & { levels: Array<number | undefined>; fire(line: Partial<LogLine>): void } {
  const emitter = new Emitter<LogLine>();
  const levels: Array<number | undefined> = [];
  return {
    levels,
    onDidReceiveLog: emitter.event,
    setLogLevel: (level) => {
      levels.push(level);
      return Promise.resolve();
    },
    fire: (line) => emitter.fire({ level: 7, uuid: undefined, file: '', func: '', line: 0, text: '', ...line }),
  };
}

describe('LogTap: consumers share a connection log level', () => {
  it('the connection streams at the most verbose level wanted; each tap sees only its own levels', async () => {
    const source = fakeLogSource();
    const consoleLines: number[] = [];
    const channelLines: number[] = [];
    const consoleTap = new LogTap(source, (l) => consoleLines.push(l.level));
    const channelTap = new LogTap(source, (l) => channelLines.push(l.level));
    await consoleTap.setLevel(4);
    await channelTap.setLevel(7);
    await consoleTap.setLevel(6);
    assert.deepStrictEqual(source.levels, [4, 7]);
    for (const level of [3, 6, 7]) source.fire({ level });
    assert.deepStrictEqual(consoleLines, [3, 6]);
    assert.deepStrictEqual(channelLines, [3, 6, 7]);
    await channelTap.close();
    assert.deepStrictEqual(source.levels, [4, 7, 6]);
    await consoleTap.setLevel(undefined);
    assert.deepStrictEqual(source.levels, [4, 7, 6, undefined]);
    consoleTap.dispose();
    assert.deepStrictEqual(source.levels, [4, 7, 6, undefined]);
  });

  it('the last tap to go sends nolog', async () => {
    const source = fakeLogSource();
    const tap = new LogTap(source, () => undefined);
    await tap.setLevel(5);
    await tap.close();
    assert.deepStrictEqual(source.levels, [5, undefined]);
  });
});

const settle = (ms = 30): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

function session(options: { logLevel?: number; history?: string[] } = {}): {
  session: ConsoleSession;
  output: () => string;
  raw: () => string;
  closed: () => boolean;
  histories: string[][];
} {
  let out = '';
  let closed = false;
  const histories: string[][] = [];
  const s = new ConsoleSession({
    prompt: 'fs> ',
    ...options,
    write: (d) => (out += d),
    close: () => (closed = true),
    onDidChangeHistory: (lines) => histories.push([...lines]),
  });
  s.open(200);
  return { session: s, output: () => stripAnsi(out), raw: () => out, closed: () => closed, histories };
}

describe('ConsoleSession', () => {
  it('runs API commands; -ERR prints in red; the history is reported', async () => {
    const fake = fakeClient({ status: 'UP 0 years\nready\n', nope: '-ERR nope Command not found!\n' });
    const t = session();
    t.session.bind(fake.client);
    t.session.input('status\r');
    await settle();
    assert.match(t.output(), /fs> status\r\nUP 0 years\r\nready\r\n/);
    t.session.input('nope\r');
    await settle();
    assert.ok(t.raw().includes('\x1b[31m-ERR nope Command not found!\x1b[0m\r\n'));
    assert.deepStrictEqual(t.histories.at(-1), ['status', 'nope']);
    t.session.dispose();
  });

  it('says so when not connected, without sending anything', async () => {
    const t = session();
    t.session.input('status\r');
    await settle();
    assert.match(t.output(), /Not connected: the command was not sent\./);
  });

  it('/log starts and changes the log level, /nolog stops it; lines print coloured by level', async () => {
    const fake = fakeClient();
    const t = session({ logLevel: 6 });
    t.session.bind(fake.client);
    t.session.input('/log debug\r');
    await settle();
    fake.log.fire({ level: 7, uuid: undefined, file: '', func: '', line: 0, text: 'debug line\n' });
    fake.log.fire({ level: 3, uuid: undefined, file: '', func: '', line: 0, text: 'error line\n' });
    await settle();
    assert.ok(t.raw().includes('\x1b[33mdebug line\x1b[0m\r\n'));
    assert.ok(t.raw().includes('\x1b[31merror line\x1b[0m\r\n'));
    t.session.input('/nolog\r');
    await settle();
    assert.deepStrictEqual(fake.calls, ['log 6', 'log 7', 'nolog']);
    t.session.dispose();
  });

  it('/uuid shows only the lines of one channel', async () => {
    const fake = fakeClient();
    const t = session({ logLevel: 7 });
    t.session.bind(fake.client);
    t.session.input('/uuid abc\r');
    fake.log.fire({ level: 7, uuid: 'other', file: '', func: '', line: 0, text: 'not this\n' });
    fake.log.fire({ level: 7, uuid: 'abc', file: '', func: '', line: 0, text: 'this\n' });
    await settle();
    assert.doesNotMatch(t.output(), /not this/);
    assert.match(t.output(), /this\r\n/);
    t.session.dispose();
  });

  it('/event prints matching events with escaped values; the client’s own BACKGROUND_JOBs are not printed', async () => {
    const fake = fakeClient();
    const t = session();
    t.session.bind(fake.client);
    t.session.input('/event CHANNEL_CREATE\r');
    await settle();
    fake.events.fire(new EslEvent({ 'Event-Name': 'CHANNEL_CREATE', 'Unique-ID': 'u1', 'Caller-Caller-ID-Name': 'Eve\x1b]0;owned\x07\x1b[2J' }));
    fake.events.fire(new EslEvent({ 'Event-Name': 'BACKGROUND_JOB', 'Job-UUID': 'j1' }, '+OK\n'));
    await settle();
    const raw = t.raw();
    assert.match(t.output(), /RECV EVENT CHANNEL_CREATE\r\n {2}Unique-ID: u1\r\n {2}Caller-Caller-ID-Name: Eve\^\[\]0;owned\^G\^\[\[2J\r\n/);
    assert.ok(!raw.includes('\x1b]0;'), 'no OSC reached the terminal');
    assert.ok(!raw.includes('\x1b[2J'), 'no erase reached the terminal');
    assert.doesNotMatch(t.output(), /BACKGROUND_JOB/);
    t.session.dispose();
  });

  it('closing the console stops its log and removes its subscriptions', async () => {
    const fake = fakeClient();
    const t = session({ logLevel: 5 });
    t.session.bind(fake.client);
    t.session.input('/event HEARTBEAT\r');
    await settle();
    t.session.dispose();
    await settle();
    assert.deepStrictEqual(fake.calls, ['log 5', 'event json HEARTBEAT', 'nolog', 'nixevent HEARTBEAT']);
  });

  it('a new client (the server connected again) gets the log level and events', async () => {
    const first = fakeClient();
    const second = fakeClient();
    const t = session({ logLevel: 4 });
    t.session.bind(first.client);
    t.session.input('/event CHANNEL_ANSWER\r');
    await settle();
    t.session.bind(undefined);
    t.session.bind(second.client);
    await settle();
    assert.deepStrictEqual(second.calls, ['log 4', 'event json CHANNEL_ANSWER']);
    t.session.dispose();
  });

  it('/exit closes the terminal; /help lists the commands', async () => {
    const t = session();
    t.session.input('/help\r');
    assert.match(t.output(), /\/event <names…>/);
    t.session.input('/bye\r');
    assert.equal(t.closed(), true);
  });

  it('Tab with one match completes inline (UTF-8 lengths, c= always sent)', async () => {
    const fake = fakeClient({ 'console_complete c=12;sofia status': '\n\n[                status]\t\n\nwrite=6:status ' });
    const t = session();
    t.session.bind(fake.client);
    t.session.input('sofia status\t');
    await settle();
    t.session.input('X\r');
    await settle();
    assert.deepStrictEqual(fake.calls, ['api console_complete c=12;sofia status', 'api sofia status X']);
    t.session.dispose();
  });

  it('Tab trims extra spaces before the cursor as fs_cli does, and strips leading ones from the request', async () => {
    const fake = fakeClient({ 'console_complete c=5;show ': '\n\n[              channels]\t\n\nwrite=0:channels ' });
    const t = session();
    t.session.bind(fake.client);
    t.session.input('  show   \t');
    await settle();
    t.session.input('\r');
    await settle();
    assert.deepStrictEqual(fake.calls, ['api console_complete c=5;show ', 'api show channels']);
    t.session.dispose();
  });

  it('typing while a command runs is kept and replayed after it; Ctrl-C stops waiting and drops the late reply', async () => {
    const fake = fakeClient({ version: '1.10.12\n' });
    const t = session();
    t.session.bind(fake.client);
    t.session.input('status\r');
    t.session.input('version\r');
    await settle();
    assert.deepStrictEqual(fake.calls, ['api status']);
    fake.answer('status', 'UP\n');
    await settle();
    assert.deepStrictEqual(fake.calls, ['api status', 'api version']);
    assert.match(t.output(), /fs> status\r\nUP\r\n.*fs> version\r\n1\.10\.12\r\n/s);

    t.session.input('sleep 5000\r');
    await settle();
    t.session.input('\x03');
    fake.answer('sleep 5000', 'LATE\n');
    await settle();
    assert.match(t.output(), /\^C \(no longer waiting for the reply\)/);
    assert.doesNotMatch(t.output(), /LATE/);
    t.session.dispose();
  });
});
