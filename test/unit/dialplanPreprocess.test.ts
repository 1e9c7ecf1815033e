// FreeSWITCH's XML pre-processor (switch_xml.c preprocess()) and the line map of reloadxml errors.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  globFiles,
  mapAssembledLine,
  mapSnapshot,
  parseReloadAnswer,
  preprocess,
  scanFile,
  type PreprocessResult,
} from '../../src/extension/dialplan/preprocess';
import { FIXTURE_CONF, readTree } from '../support/confTree';

const tree = (files: Record<string, string>): Map<string, string> => new Map(Object.entries(files).map(([k, v]) => [`/conf/${k}`, v]));
const run = (files: Record<string, string>): PreprocessResult => preprocess(mapSnapshot(tree(files)), '/conf/freeswitch.xml');
const origin = (r: PreprocessResult, line: number): string => {
  const m = mapAssembledLine(r, line);
  return 'origin' in m ? `${m.origin.file.replace('/conf/', '')}:${m.origin.line + 1}` : `unmapped: ${m.unmapped}`;
};

describe('the XML pre-processor, as switch_xml.c runs it', () => {
  test('the fixture tree assembles; every line without $${…} is its source line, byte for byte', () => {
    const files = readTree();
    const r = preprocess(mapSnapshot(files), `${FIXTURE_CONF}/freeswitch.xml`);
    const out = r.text.split('\n');
    assert.equal(r.lines.length, out.length - (r.text.endsWith('\n') ? 1 : 0));
    let checked = 0;
    r.lines.forEach((o, i) => {
      const source = files.get(o.file)!.split('\n')[o.line]!;
      // $${…} expands; a <!--#comment block leaves what was before it on its first line.
      if (source.includes('$${') || source.includes('<!--#')) return;
      assert.equal(out[i], source, `assembled line ${i + 1} from ${o.file}:${o.line + 1}`);
      checked++;
    });
    assert.ok(checked > 300, `${checked} lines checked`);
    // No <include>, </include>, <?xml or X-PRE-PROCESS line survives; the #comment block is one line.
    assert.doesNotMatch(r.text, /<\/?include>|<\?xml|X-PRE-PROCESS/);
    assert.deepEqual(r.notes, []);
    // $${…} is expanded with the globals set so far; runtime ones (local_ip_v4) are unknown here.
    assert.match(r.text, /<param name="sip-port" value="5060"\/>/);
    assert.match(r.text, /<domain name="">/);
  });

  test('includes: relative to the including file, in byte order; a glob matching nothing only notes it', () => {
    const r = run({
      'freeswitch.xml': '<document>\n<X-PRE-PROCESS cmd="include" data="dialplan/*.xml"/>\n<X-PRE-PROCESS cmd="include" data="none/*.xml"/>\n</document>\n',
      'dialplan/b.xml': 'B1\nB2\n',
      'dialplan/a.xml': '<include>\nA1\n<X-PRE-PROCESS cmd="include" data="a/*.xml"/>\n</include>\n',
      'dialplan/a/Z.xml': 'AZ\n',
      'dialplan/a/_.xml': 'A_\n',
      'dialplan/a/.hidden.xml': 'HIDDEN\n',
      'dialplan/c.txt': 'C\n',
    });
    assert.equal(r.text, '<document>\nA1\nAZ\nA_\nB1\nB2\n</document>\n');
    assert.deepEqual(
      r.lines.map((_, i) => origin(r, i + 1)),
      ['freeswitch.xml:1', 'dialplan/a.xml:2', 'dialplan/a/Z.xml:1', 'dialplan/a/_.xml:1', 'dialplan/b.xml:1', 'dialplan/b.xml:2', 'freeswitch.xml:4'],
    );
    assert.deepEqual(r.notes, [{ file: '/conf/freeswitch.xml', line: 2, message: 'No files to include at /conf/none/*.xml' }]);
    assert.deepEqual(r.directives.find((d) => d.data === 'dialplan/*.xml')?.matches, ['/conf/dialplan/a.xml', '/conf/dialplan/b.xml']);
  });

  test('capture 19: an unclosed <extension> in dialplan/default/99_broken.xml is reported at the </context> of default.xml', () => {
    const r = run({
      'freeswitch.xml': '<?xml version="1.0"?>\n<document type="freeswitch/xml">\n  <section name="dialplan">\n    <X-PRE-PROCESS cmd="include" data="dialplan/*.xml"/>\n  </section>\n</document>\n',
      'dialplan/default.xml': '<include>\n  <context name="default">\n    <extension name="a"><condition/></extension>\n    <X-PRE-PROCESS cmd="include" data="default/*.xml"/>\n  </context>\n</include>\n',
      'dialplan/default/99_broken.xml': '<include>\n  <extension name="broken">\n    <condition field="destination_number" expression="^9999$">\n      <action application="answer"/>\n    </condition>\n</include>\n',
    });
    // FreeSWITCH counts '\n' before the error in the assembled text: the line holding </context>.
    const line = r.text.split('\n').findIndex((l) => l.includes('</context>')) + 1;
    assert.equal(line, 9);
    assert.equal(origin(r, line), 'dialplan/default.xml:5');
    assert.deepEqual(parseReloadAnswer('+OK [[error near line 6568]: unexpected closing tag </context>]\n'), {
      ok: false,
      line: 6568,
      detail: 'unexpected closing tag </context>',
      message: '[error near line 6568]: unexpected closing tag </context>',
    });
    assert.deepEqual(parseReloadAnswer('+OK [Success]\n'), { ok: true });
    assert.deepEqual(parseReloadAnswer('-ERR no reply\n'), { ok: false, line: undefined, detail: 'no reply', message: '-ERR no reply' });
  });

  test('lines FreeSWITCH drops: <include>, </include> and <?…> take the whole line with them', () => {
    const r = run({ 'freeswitch.xml': '<document><include><section name="x">\nkept\n<?php?> lost too\n</section></include></document>\n' });
    assert.equal(r.text, 'kept\n');
    const scan = scanFile('<include><extension name="x">\n  <condition/>\n</extension></include>\n<?xml version="1.0"?>\n<include>\n');
    assert.deepEqual(
      scan.dropped.map((d) => [d.line, d.reason]),
      [
        [0, 'contains <include>'],
        [2, 'contains </include>'],
      ],
    );
  });

  test('<!--#cmd …--> on one line and over several; X-PRE-PROCESS inside an XML comment still runs', () => {
    const r = run({
      'freeswitch.xml': 'a <!--#set "x=1"--> b\n<!--#comment\n  ignored\n  ignored -->tail\n<!-- <X-PRE-PROCESS cmd="include" data="inc.xml"/> -->\nv=$${x}\n',
      'inc.xml': 'INCLUDED\n',
    });
    assert.equal(r.text, 'a  b\ntail\nINCLUDED\nv=1\n');
    assert.deepEqual(r.lines.map((_, i) => origin(r, i + 1)), ['freeswitch.xml:1', 'freeswitch.xml:4', 'inc.xml:1', 'freeswitch.xml:6']);
  });

  test('X-PRE-PROCESS needs cmd before data, in double quotes; a line naming it without < is dropped', () => {
    const r = run({
      'freeswitch.xml': '<X-PRE-PROCESS data="x=1" cmd="set"/>\n<x-pre-process cmd="set" data="y=2"/>\nnote: X-PRE-PROCESS is special\nx=[$${x}] y=[$${y}]\n',
    });
    assert.equal(r.text, 'x=[] y=[2]\n');
    const scan = scanFile('<X-PRE-PROCESS data="x=1" cmd="set"/>\n');
    assert.equal(scan.directives.length, 0);
    assert.match(scan.ignored[0]!.reason, /cmd="…" before data="…"/);
  });

  test('CRLF files, a file without a final newline, unknown exec output', () => {
    const crlf = run({ 'freeswitch.xml': 'one\r\ntwo\r\n<X-PRE-PROCESS cmd="include" data="tail.xml"/>\r\nthree\r\n', 'tail.xml': 'no newline' });
    // A line ends at \r or at \n: the directive's "\n" is a line of its own, written after the include.
    assert.equal(crlf.text, 'one\r\ntwo\r\nno newline\nthree\r\n');
    assert.deepEqual(crlf.lines.map((_, i) => origin(crlf, i + 1)), ['freeswitch.xml:1', 'freeswitch.xml:2', 'tail.xml:1', 'freeswitch.xml:4']);
    const joined = run({ 'freeswitch.xml': 'a\n<X-PRE-PROCESS cmd="include" data="tail.xml"/>\nb\n', 'tail.xml': 'no newline' });
    assert.equal(joined.text, 'a\nno newlineb\n');
    assert.equal(origin(joined, 2), 'tail.xml:1');
    const exec = run({ 'freeswitch.xml': 'a\n<X-PRE-PROCESS cmd="exec" data="/usr/bin/generate"/>\nb\n' });
    assert.equal(origin(exec, 1), 'freeswitch.xml:1');
    assert.match(origin(exec, 2), /^unmapped: line 2 comes after the output of exec "\/usr\/bin\/generate"/);
    assert.match(origin(run({ 'freeswitch.xml': 'a\n' }), 5), /assembles to 1 lines, fewer than 5/);
  });

  test('an include of itself stops at depth 100', () => {
    const r = run({ 'freeswitch.xml': 'x\n<X-PRE-PROCESS cmd="include" data="freeswitch.xml"/>\n' });
    assert.equal(r.lines.length, 101);
    assert.ok(r.notes.some((n) => /Maximum recursion/.test(n.message)));
  });

  test('glob(3): *, ?, [ranges], [!negation], no leading-dot match, byte order', () => {
    const paths = ['/c/a1.xml', '/c/a2.xml', '/c/B.xml', '/c/b.xml', '/c/.a.xml', '/c/sub/a.xml', '/c/ab.xml'];
    assert.deepEqual(globFiles('/c/*.xml', paths), ['/c/B.xml', '/c/a1.xml', '/c/a2.xml', '/c/ab.xml', '/c/b.xml']);
    assert.deepEqual(globFiles('/c/a?.xml', paths), ['/c/a1.xml', '/c/a2.xml', '/c/ab.xml']);
    assert.deepEqual(globFiles('/c/a[0-9].xml', paths), ['/c/a1.xml', '/c/a2.xml']);
    assert.deepEqual(globFiles('/c/a[!0-9].xml', paths), ['/c/ab.xml']);
    assert.deepEqual(globFiles('/c/*/a.xml', paths), ['/c/sub/a.xml']);
    assert.deepEqual(globFiles('/c/sub/../b.xml', paths), ['/c/b.xml']);
  });
});
