// The language features of FreeSWITCH configuration XML on the fixture tree (test/fixtures/fs-conf,
// shaped like the vanilla configuration): completion, hover, definition, references,
// diagnostics, outline; and that broken input never throws.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FrameParser, type EslFrame } from '../../src/core';
import { CAPTURED_APPLICATIONS } from '../../src/extension/dialplan/data/capturedApplications';
import { parseApplicationList, standardApplications } from '../../src/extension/dialplan/knowledge';
import {
  complete,
  definition,
  diagnose,
  documentSymbols,
  hover,
  references,
  sampleDestination,
  shippedCatalog,
  tracePrefill,
  type AppCatalog,
  type DocContext,
} from '../../src/extension/dialplan/languageService';
import { checkPcre } from '../../src/extension/dialplan/pcre';
import { parseConfFile } from '../../src/extension/dialplan/confModel';
import { lineStarts, positionOf } from '../../src/extension/dialplan/xml';
import serverApplications from '../server/data/applications.json';
import { loadCapture } from '../support/captures';
import { FIXTURE_CONF, fixtureModel } from '../support/confTree';

/** `|` marks the cursor in `text`. */
function at(text: string): { text: string; offset: number } {
  const offset = text.indexOf('|');
  assert.ok(offset >= 0, 'a | marks the cursor');
  return { text: text.slice(0, offset) + text.slice(offset + 1), offset };
}

const SERVER: AppCatalog = {
  server: 'Test FS',
  apps: new Map(CAPTURED_APPLICATIONS.map(([name, description, syntax, module]) => [name, { name, description, syntax, module }])),
};

function completions(rel: string, textWithCursor: string, catalog: AppCatalog = shippedCatalog()): string[] {
  const { model, path } = fixtureModel();
  const { text, offset } = at(textWithCursor);
  return complete({ path: path(rel), model, catalog }, text, offset).map((c) => c.label);
}

function problemsOf(rel: string, text: string, catalog: AppCatalog = shippedCatalog()): Array<{ line: number; severity: string; message: string; code?: string }> {
  const { model, path } = fixtureModel({ [rel]: text });
  const file = model.files.get(path(rel)) ?? parseConfFile(path(rel), text);
  const starts = lineStarts(text);
  return diagnose({ path: path(rel), model, catalog }, file).map((p) => ({ line: positionOf(starts, p.start).line + 1, severity: p.severity, message: p.message, code: p.code }));
}

const DEFAULT = 'dialplan/default.xml';
const EXTRA = 'dialplan/default/50_extra.xml';

describe('FreeSWITCH XML language features', () => {
  test('the shipped applications are capture 19\'s 146 rows, and show application as json parses to them', () => {
    assert.deepEqual(
      CAPTURED_APPLICATIONS.map(([name, description, syntax, ikey]) => ({ name, description, syntax, ikey })),
      serverApplications,
    );
    const frames = new FrameParser().push(loadCapture('19').server) as EslFrame[];
    const body = frames.map((f) => f.body?.toString('utf8') ?? '').find((b) => b.startsWith('{"row_count":146'));
    assert.ok(body, 'capture 19 holds show application as json');
    const list = parseApplicationList(body)!;
    assert.equal(list.length, 146);
    assert.deepEqual(list.find((a) => a.name === 'bridge'), { name: 'bridge', description: 'Bridge Audio', syntax: '<channel_url>', module: 'mod_dptools' });
    assert.equal(parseApplicationList('{"row_count": 0}\n')?.length, 0);
    assert.equal(parseApplicationList('-ERR no reply\n'), undefined);
    assert.equal(standardApplications().get('voicemail')?.module, 'mod_voicemail');
  });

  test('elements where they are valid: an included file knows it is inside <context name="default">', () => {
    assert.deepEqual(completions(EXTRA, '<include>\n  <|\n</include>\n').filter((l) => !l.includes(' ')), ['extension', 'X-PRE-PROCESS']);
    assert.ok(completions(EXTRA, '<include>\n  <|\n</include>\n').includes('park for apps'));
    assert.deepEqual(completions(EXTRA, '<include><extension name="x">\n <|').filter((l) => !l.includes(' ')), ['condition']);
    assert.deepEqual(completions(EXTRA, '<extension name="x"><condition field="a" expression="b">\n<|').filter((l) => !l.includes(' ')), [
      'action',
      'anti-action',
      'regex',
      'expression',
      'condition',
    ]);
    assert.deepEqual(completions('dialplan/new.xml', '<include>\n<|'), ['context', 'X-PRE-PROCESS']);
    assert.deepEqual(completions('sip_profiles/external/new.xml', '<include>\n<|'), ['gateway', 'X-PRE-PROCESS']);
    assert.deepEqual(completions(EXTRA, '<extension name="x"><condition></|'), ['condition']);
  });

  test('attribute names and values', () => {
    const attrs = completions(EXTRA, '<extension name="x"><condition field="a" |');
    assert.ok(attrs.includes('expression') && attrs.includes('break') && attrs.includes('regex') && attrs.includes('wday'));
    assert.ok(!attrs.includes('field'), 'an attribute already there is not offered again');
    assert.deepEqual(completions(EXTRA, '<extension name="x"><condition break="|'), ['on-false', 'on-true', 'always', 'never']);
    assert.deepEqual(completions(EXTRA, '<extension name="x"><condition regex="|'), ['any', 'all', 'xor']);
    assert.deepEqual(completions(EXTRA, '<extension name="x" continue="|'), ['true', 'false']);
    assert.deepEqual(completions(EXTRA, '<extension><condition><action inline="t|'), ['true', 'false']);
    const fields = completions(EXTRA, '<extension><condition field="|');
    assert.equal(fields[0], 'destination_number');
    assert.ok(fields.includes('caller_id_number') && fields.includes('${sip_looped_call}'));
    assert.deepEqual(completions('freeswitch.xml', '<document><X-PRE-PROCESS cmd="|').slice(0, 2), ['include', 'set']);
    assert.deepEqual(completions('freeswitch.xml', '<document><X-PRE-PROCESS cmd="include" data="dialplan/|'), ['default/', 'default/*.xml', 'default.xml', 'public/', 'public/*.xml', 'public.xml']);
  });

  test('application names from the connected server, else the shipped list; variables in ${…} and in set data; $${globals} from vars.xml', () => {
    const offline = completions(EXTRA, '<extension><condition><action application="br|"/>');
    assert.ok(offline.includes('bridge') && offline.includes('voicemail'), 'shipped: capture 19 plus common modules');
    const online = completions(EXTRA, '<extension><condition><action application="|"/>', SERVER);
    assert.equal(online.length, 146);
    assert.ok(!online.includes('voicemail'), 'the server has no mod_voicemail');
    const { model, path } = fixtureModel();
    const { text, offset } = at('<extension><condition><action application="|"/>');
    const bridge = complete({ path: path(EXTRA), model, catalog: SERVER }, text, offset).find((c) => c.label === 'bridge')!;
    assert.deepEqual(bridge.documentation, [{ heading: 'bridge' }, { text: 'Bridge Audio' }, { code: 'bridge <channel_url>' }, { text: 'mod_dptools · on Test FS' }]);
    assert.equal(bridge.start, text.indexOf('"') + 1);

    assert.ok(completions(EXTRA, '<action application="bridge" data="user/${|').includes('domain_name'));
    assert.ok(completions(EXTRA, '<action application="set" data="|').includes('hangup_after_bridge'));
    assert.deepEqual(completions(EXTRA, '<action application="set" data="a=1|'), []);
    const globals = completions(EXTRA, '<action application="playback" data="$${hold|');
    assert.ok(globals.includes('hold_music') && globals.includes('sounds_dir'));
    const { text: t2, offset: o2 } = at('<action application="playback" data="$${|"/>');
    const hold = complete({ path: path(EXTRA), model, catalog: shippedCatalog() }, t2, o2).find((c) => c.label === 'hold_music')!;
    assert.equal(hold.detail, '= local_stream://moh');
    assert.equal(hold.insert, 'hold_music}');
  });

  test('completion in broken XML, and none inside a comment', () => {
    // An unclosed tag earlier, garbage after the cursor: the structure before the cursor still counts.
    assert.ok(completions(EXTRA, '<include>\n<extension name="a">\n<condition field="x" expression="(">\n<action application="ans|" data=\n</inc <<< &&& "').includes('answer'));
    assert.deepEqual(completions(EXTRA, '<include><extension name="x"><condition>\n<|\n<action application=<<<').filter((l) => !l.includes(' ')), [
      'action',
      'anti-action',
      'regex',
      'expression',
      'condition',
    ]);
    assert.deepEqual(completions(EXTRA, '<include><!-- <action application="|" --></include>'), []);
  });

  test('hover: application, variable, global (value and where), field, break; text stays text', () => {
    const { model, path } = fixtureModel();
    const ctx: DocContext = { path: path(DEFAULT), model, catalog: SERVER };
    const file = model.files.get(path(DEFAULT))!;
    const hoverAt = (needle: string, delta = 1) => hover(ctx, file, file.text.indexOf(needle) + delta);
    assert.deepEqual(hoverAt('application="bridge"', 14)?.parts, [{ heading: 'bridge' }, { text: 'Bridge Audio' }, { code: 'bridge <channel_url>' }, { text: 'mod_dptools · on Test FS' }]);
    assert.deepEqual(hoverAt('application="voicemail"', 14)?.parts.at(-1), { text: 'Not loaded on Test FS.' });
    assert.deepEqual(hoverAt('${sip_looped_call}', 3)?.parts, [{ heading: '${sip_looped_call}' }, { text: 'true when a SIP call came back to this FreeSWITCH.' }]);
    const global = hoverAt('$${hold_music}', 4)!;
    assert.equal(global.globalName, 'hold_music');
    assert.deepEqual(global.parts, [{ heading: '$${hold_music}' }, { text: 'Pre-processor global, set in vars.xml line 7 to:' }, { code: 'local_stream://moh' }]);
    assert.match(JSON.stringify(hoverAt('$${conf_dir}', 4)?.parts), /Set by FreeSWITCH at startup/);
    assert.match(JSON.stringify(hoverAt('field="destination_number"', 9)?.parts), /The number dialled/);
    assert.match(JSON.stringify(hoverAt('break="never"', 8)?.parts), /Never stop here/);
    // A description from the server with markup in it is a text part; the glue escapes text parts.
    const hostile: AppCatalog = { server: 'Evil', apps: new Map([['answer', { name: 'answer', description: '<img src=x onerror=alert(1)> [link](command:x)', syntax: '', module: 'mod_x' }]]) };
    const parts = hover({ ...ctx, catalog: hostile }, file, file.text.indexOf('application="answer"') + 14)!.parts;
    assert.deepEqual(parts[1], { text: '<img src=x onerror=alert(1)> [link](command:x)' });
  });

  test('definition: includes open what they include, $${name} goes to its set, transfer goes to the extension', () => {
    const { model, path } = fixtureModel();
    const def = (rel: string, needle: string, delta: number): string[] => {
      const file = model.files.get(path(rel))!;
      return definition({ path: path(rel), model, catalog: shippedCatalog() }, file, file.text.indexOf(needle) + delta).map((l) => {
        const text = model.files.get(l.path)!.text;
        return `${l.path.replace(`${FIXTURE_CONF}/`, '')}:${positionOf(lineStarts(text), l.start).line + 1}`;
      });
    };
    assert.deepEqual(def('freeswitch.xml', 'data="dialplan/*.xml"', 8), ['dialplan/default.xml:1', 'dialplan/public.xml:1']);
    assert.deepEqual(def(DEFAULT, 'data="default/*.xml"', 8), ['dialplan/default/01_example.com.xml:1', 'dialplan/default/10_business_hours.xml:1']);
    assert.deepEqual(def('directory/default/1000.xml', '$${default_password}', 5), ['vars.xml:3']);
    assert.deepEqual(def('dialplan/public.xml', '$1 XML default', 1), []);
    assert.deepEqual(def('dialplan/public/00_inbound_did.xml', '1000 XML default', 1), ['dialplan/default.xml:150']);
    assert.deepEqual(def('dialplan/default/01_example.com.xml', 'operator XML default', 1), ['dialplan/default.xml:193']);
    assert.deepEqual(def('dialplan/default/10_business_hours.xml', '2001 XML default', 1), ['dialplan/default.xml:181']);
  });

  test('references of a global: its set and every use', () => {
    const { model, path } = fixtureModel();
    const file = model.files.get(path('vars.xml'))!;
    const refs = references({ path: path('vars.xml'), model, catalog: shippedCatalog() }, file, file.text.indexOf('default_password=') + 2);
    assert.deepEqual(refs.map((r) => r.path.replace(`${FIXTURE_CONF}/`, '')).sort(), ['directory/default/1000.xml', 'directory/default/1001.xml', 'vars.xml']);
  });

  test('references of an extension: its name and every transfer / execute_extension that reaches it, as definition judges them', () => {
    const { model, path } = fixtureModel();
    const refs = (rel: string, needle: string, delta: number): string[] => {
      const file = model.files.get(path(rel))!;
      return references({ path: path(rel), model, catalog: shippedCatalog() }, file, file.text.indexOf(needle) + delta).map((l) => {
        const text = model.files.get(l.path)!.text;
        return `${l.path.replace(`${FIXTURE_CONF}/`, '')}:${positionOf(lineStarts(text), l.start).line + 1} ${text.slice(l.start, l.end)}`;
      });
    };
    assert.deepEqual(refs(DEFAULT, '<extension name="Local_Extension">', 3), [
      'dialplan/default.xml:150 Local_Extension',
      'dialplan/default.xml:196 1000 XML default', // operator
      'dialplan/public/00_inbound_did.xml:5 1000 XML default', // from another context, named
    ]);
    assert.deepEqual(refs(DEFAULT, '<extension name="Local_Extension">', 20), refs(DEFAULT, '<extension name="Local_Extension">', 3), 'anywhere in the open tag');
    // Each reference is one definition goes back from.
    for (const [rel, needle] of [['dialplan/default/01_example.com.xml', 'operator XML default'], ['dialplan/default/10_business_hours.xml', '2001 XML default']] as const) {
      const file = model.files.get(path(rel))!;
      const [target] = definition({ path: path(rel), model, catalog: shippedCatalog() }, file, file.text.indexOf(needle) + 1);
      const targetFile = model.files.get(target!.path)!;
      const back = references({ path: target!.path, model, catalog: shippedCatalog() }, targetFile, target!.start + 1);
      assert.ok(back.some((l) => l.path === path(rel) && file.text.slice(l.start, l.end) === needle), `${rel}: ${JSON.stringify(back)}`);
    }
    // An extension nothing transfers to: its name only. Inside its body: nothing.
    const unloop = refs('dialplan/public.xml', '<extension name="unloop">', 3);
    assert.equal(unloop.length, 1);
    assert.match(unloop[0]!, /^dialplan\/public\.xml:\d+ unloop$/);
    assert.deepEqual(refs(DEFAULT, 'application="transfer" data="3000"', 3), []);
  });

  test('the fixture tree has no problems; each kind of mistake is reported at its line', () => {
    const { model } = fixtureModel();
    for (const file of model.files.values()) assert.deepEqual(diagnose({ path: file.path, model, catalog: SERVER }, file).filter((p) => p.code !== 'unknown-application'), [], file.path);
    const broken = [
      '<include>', //  1
      '  <extension name="broken_regex">', //  2
      '    <condition field="destination_number" expression="^(10[01][0-9]$">', //  3
      '      <action application="voicemail" data="default ${domain_name} $1"/>', //  4
      '    </condition>', //  5
      '    <condition field="x" expression="(?i)^abc$|^\\d++$|(?>a|b)|\\A1\\z|(?P<n>x)" break="sometimes"/>', //  6
      '  </extension>', //  7
      '  <extension name="regexes">', //  8
      '    <condition regex="all" field="destination_number">', //  9
      '      <regex field="destination_number" expression="^1$"/>', // 10
      '      <regex expression="^2$"/>', // 11
      '    </condition>', // 12
      '    <condition regex="some"/>', // 13
      '    <condition field="a" expression="b"><regex field="c" expression="d"/></condition>', // 14
      '  </extension>', // 15
      '  <!-- <X-PRE-PROCESS cmd="include" data="../public/*.xml"/> -->', // 16
      '  <X-PRE-PROCESS cmd="include" data="nothing/*.xml"/>', // 17
      '  <extension name="unclosed">', // 18
      '    <condition field="destination_number" expression="/^1$"/>', // 19
      '</include>', // 20
    ].join('\n');
    const problems = problemsOf(EXTRA, broken, SERVER).map((p) => `${p.line} ${p.severity} ${p.code}: ${p.message}`);
    const expect = (line: number, code: string, pattern: RegExp): void => {
      assert.ok(
        problems.some((p) => p.startsWith(`${line} `) && p.includes(` ${code}: `) && pattern.test(p)),
        `line ${line} ${code} ${pattern}:\n${problems.join('\n')}`,
      );
    };
    expect(3, 'pcre', /Missing \) for this \(/);
    expect(4, 'unknown-application', /Test FS has no application "voicemail": it comes from mod_voicemail/);
    expect(6, 'break', /break="sometimes"/);
    expect(9, 'regex-attr-ignored', /ignores the condition's own field/);
    expect(11, 'regex-field', /without field/);
    expect(13, 'regex-rule', /regex="some" is not any, all or xor/);
    expect(13, 'regex-empty', /has none/);
    expect(14, 'regex-ignored', /ignores it here/);
    expect(16, 'preprocess-in-comment', /still runs/);
    expect(17, 'include-no-match', /No file matches "nothing\/\*\.xml"/);
    expect(18, 'xml', /<extension> is never closed/);
    expect(19, 'pcre', /no closing '\/'/);
    // PCRE-only syntax (JavaScript would refuse some of it) is not reported.
    assert.ok(!problems.some((p) => p.startsWith('6 ') && p.includes('pcre')), problems.join('\n'));
  });

  test('lines the pre-processor drops, globals never set', () => {
    const problems = problemsOf(EXTRA, '<include><extension name="lost">\n<condition field="destination_number" expression="^1$"/>\n</extension>\n<action data="$${nowhere}"/>\n</include>\n');
    assert.ok(problems.some((p) => p.line === 1 && p.code === 'preprocess-dropped-line' && /extension|everything else/.test(p.message)));
    assert.ok(problems.some((p) => p.line === 4 && p.code === 'global-unset' && p.severity === 'info'));
  });

  test('what vanilla does on purpose is not reported: phrase actions, XX-PRE-PROCESS, globals from stun-set', () => {
    const phrases = problemsOf('lang/en/demo.xml', '<include>\n<macro name="m"><input pattern="(.*)"><match>\n<action function="play-file" data="$1"/>\n</match></input></macro>\n</include>\n');
    assert.deepEqual(phrases, []);
    const vars = problemsOf(
      'vars.xml',
      '<include>\n  <!-- NOTICE: YOU CAN NOT COMMENT OUT AN X-PRE-PROCESS line -->\n  <XX-PRE-PROCESS cmd="set" data="off=1"/>\n  <X-PRE-PROCESS cmd="stun-set" data="external_rtp_ip=stun:stun.example.com"/>\n  < X-PRE-PROCESS cmd="set" data="slip=1"/>\n  <param value="$${external_rtp_ip}"/>\n</include>\n',
    );
    // `< X-PRE-PROCESS` is a slip both ways: malformed XML, and a line the pre-processor skips.
    assert.deepEqual(
      vars.map((p) => [p.line, p.code]),
      [
        [5, 'xml'],
        [5, 'preprocess-ignored'],
      ],
    );
  });

  test('PCRE: certain errors only', () => {
    const bad = ['(', ')', 'a)', '[a', '*a', 'a|*', '(?:*)', 'a{3,2}', 'a**', 'a++*', '\\', '(?Q)', '[z-a]', '/x'];
    for (const e of bad) assert.ok(checkPcre(e), `${e} is refused by PCRE`);
    const good = ['', '^$', '^(10[01][0-9])$', '^\\*\\*(\\d+)$', '^88(\\d{4})$|^\\*0(.*)$', '(?i)abc', 'a++', 'a*?', '(?>x)', '\\Aa\\z', '(?P<n>x)(?P=n)', '\\p{L}+', '[]a]', '[^]a]', '[[:digit:]]', '(?#c)a', '_1XXX', '/^abc$/i', '^${var}$', '^($${rtp_sdes_suites})$', 'a{,3}', '(*UTF8)x', '((?!6000)60\\d{2})', 'x{2}?'];
    for (const e of good) assert.equal(checkPcre(e), undefined, `${e} compiles`);
    // Conditional groups: the condition's own ')' does not close the group.
    const conditionals = [
      '(a)(?(1)b)',
      '(a)?(?(1)b|c)',
      '(a)(?(-1)b|c)',
      '(?(+1)b|c)(a)',
      '(?(R)a)',
      '(?(R1)a)',
      '(?(R&n)a)(?<n>x)',
      '(?(DEFINE)(?<x>a))(?&x)',
      '(?<n>a)(?(<n>)b|c)',
      "(?<n>a)(?('n')b|c)",
      '(?<n>a)(?(n)b|c)',
      '(?(VERSION>=10.4)a|b)',
      '(?(?=a)ab|cd)',
      '(?(?!a)cd|ab)',
      '(?(?<=x)a|b)',
      '(?(?<!x)a|b)',
      '(?(?C1)(?=a)ab|cd)',
      '(a)(?(1)(b|c|d)|e)',
      '^(\\()?\\d+(?(1)\\))$',
    ];
    for (const e of conditionals) assert.equal(checkPcre(e), undefined, `${e} compiles`);
    const badConditionals = ['(a)(?(1)a|b|c)', '(?(DEFINE)a|b)', '(?(?:a)b)', '(?(0)a)', '(?(1a)b)', '(?()a)', '(?(1', '(a)(?(1)b'];
    for (const e of badConditionals) assert.ok(checkPcre(e), `${e} is refused by PCRE`);
    assert.equal(checkPcre('(a)(?(1)a|b|c)')?.offset, 11, 'the second | is where it goes wrong');
  });

  test('outline: contexts and extensions by name; the lens prefill comes from the conditions', () => {
    const { model, path } = fixtureModel();
    const symbols = documentSymbols(model.files.get(path('dialplan/public.xml'))!.doc);
    assert.deepEqual(symbols.map((s) => [s.kind, s.name, s.children.map((c) => c.name)]), [['context', 'public', ['unloop', 'public_extensions']]]);
    assert.equal(sampleDestination('^9664$'), '9664');
    assert.equal(sampleDestination('^(10[01][0-9])$'), '1000');
    assert.equal(sampleDestination('^\\*\\*(\\d+)$'), '**1');
    assert.equal(sampleDestination('^(redial|870)$'), 'redial');
    const file = model.files.get(path('dialplan/default/10_business_hours.xml'))!;
    assert.deepEqual(tracePrefill({ path: file.path, model, catalog: shippedCatalog() }, file.doc, file.text.indexOf('front_desk')), { context: 'default' });
    assert.deepEqual(tracePrefill({ path: file.path, model, catalog: shippedCatalog() }, file.doc, file.text.indexOf('support_hours')), { context: 'default', destination: '5555' });
  });

  test('broken input never throws: every prefix of a real file, and garbage', () => {
    const { model, path } = fixtureModel();
    const source = model.files.get(path(DEFAULT))!.text;
    const ctx: DocContext = { path: path(EXTRA), model, catalog: SERVER };
    const inputs = [
      ...Array.from({ length: 80 }, (_, i) => source.slice(0, Math.floor((source.length * i) / 80))),
      '<<<>>>&&&"\'\'<![CDATA[<!--<?',
      '<a b=c d="e f=\'g\' <h/ </i> &#xZZ; &unknown;',
      '\u0000\uffff\ud800<x y="\ud800"/>',
    ];
    for (const text of inputs) {
      const file = parseConfFile(path(EXTRA), text);
      diagnose(ctx, file);
      documentSymbols(file.doc);
      for (let o = 0; o <= text.length; o += Math.max(1, Math.floor(text.length / 50))) {
        complete(ctx, text, o);
        hover(ctx, file, o);
        definition(ctx, file, o);
        references(ctx, file, o);
      }
    }
  });
});
