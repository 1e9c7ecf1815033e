// Reload XML's answers, on one server and on a group: outcomes, Problems per distinct refusal
// naming who reported it, and the assembled line mapped through the fixture tree.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError, type MultiEvalResult } from '../../src/core';
import { mapSnapshot, preprocess } from '../../src/extension/dialplan/preprocess';
import { groupReloadReport, groupReloadText, mapReloadLine, reloadProblemMessage, type MappedReloadLine } from '../../src/extension/dialplan/reloadReport';
import { FIXTURE_CONF, readTree } from '../support/confTree';

const CLOSING = 'unexpected closing tag </context>';
const ok = (server: string, result: string): MultiEvalResult => ({ server, ok: true, result });

describe('Reload XML answers', () => {
  test('one server: the Problem says the server, FreeSWITCH\'s words and the assembled line', () => {
    assert.equal(reloadProblemMessage(['fs1'], CLOSING, [6568], true), `reloadxml on fs1: ${CLOSING} (line 6568 of the assembled log/freeswitch.xml.fsxml).`);
    assert.match(reloadProblemMessage(['fs1'], CLOSING, [6568], false), /does not hold what the error names/);
  });

  test('a group: one Problem per distinct refusal, naming every server that reported it', () => {
    const calls: Array<number | undefined> = [];
    // Lines 6568 and 6570 (two servers whose files differ by two lines) map to the same source line.
    const map = (line: number | undefined): MappedReloadLine => {
      calls.push(line);
      if (line === 6568 || line === 6570) return { file: '/conf/dialplan/default.xml', line: 41, confident: true };
      if (line === 12) return { file: '/conf/vars.xml', line: 3, confident: false };
      return { unmapped: `line ${line} comes after an exec` };
    };
    const report = groupReloadReport(
      'pool',
      [
        { server: 'fs1', answer: ok('fs1', '+OK [Success]\n') },
        { server: 'fs2', answer: ok('fs2', `+OK [[error near line 6568]: ${CLOSING}]\n`) },
        { server: 'fs3', answer: ok('fs3', `+OK [[error near line 6570]: ${CLOSING}]\n`) },
        { server: 'fs4', answer: ok('fs4', '+OK [[error near line 12]: unclosed tag <X-PRE-PROCESS>]\n') },
        { server: 'fs5', answer: ok('fs5', `+OK [[error near line 9000]: ${CLOSING}]\n`) },
        { server: 'fs6', answer: { server: 'fs6', ok: false, error: new ApiError('reloadxml', '-ERR no reply\n') } },
        { server: 'fs7', answer: undefined },
      ],
      map,
    );
    assert.deepEqual(
      report.servers.map((s) => [s.server, s.outcome]),
      [
        ['fs1', 'ok'],
        ['fs2', 'refused'],
        ['fs3', 'refused'],
        ['fs4', 'refused'],
        ['fs5', 'refused'],
        ['fs6', 'failed'],
        ['fs7', 'skipped'],
      ],
    );
    assert.deepEqual(calls, [6568, 6570, 12, 9000], 'only refusals are mapped');
    assert.deepEqual(
      report.problems.map((p) => [p.file, p.line, p.servers]),
      [
        ['/conf/dialplan/default.xml', 41, ['fs2', 'fs3']],
        ['/conf/vars.xml', 3, ['fs4']],
      ],
    );
    assert.equal(report.problems[0]!.message, `reloadxml on fs2, fs3: ${CLOSING} (lines 6568, 6570 of the assembled log/freeswitch.xml.fsxml).`);
    assert.match(report.problems[1]!.message, /^reloadxml on fs4: unclosed tag <X-PRE-PROCESS> \(line 12 .*files may differ/);
    assert.deepEqual(
      report.unmapped.map((u) => [u.servers, u.message]),
      [[['fs5'], `fs5: ${CLOSING}. its line 9000 counts lines of the assembled log/freeswitch.xml.fsxml, and line 9000 comes after an exec`]],
    );
    assert.equal(
      report.summary,
      'reloadxml on group pool: the new XML is in force on fs1; fs2, fs3, fs4, fs5 refused it and keep the previous XML; no answer from fs6; fs7 not connected.',
    );

    const text = groupReloadText('pool', report);
    assert.match(text, /^reloadxml on group pool: 7 servers, 1 ok, 4 refused, 1 no answer, 1 not connected\n/);
    // reloadxml refuses with +OK: the table says refused, and each answer is there whole.
    assert.match(text, /\nfs2 +refused\n/);
    assert.match(text, /\nfs2: refused\n {4}\+OK \[\[error near line 6568\]: unexpected closing tag <\/context>\]\n/);
    assert.match(text, /\nfs6: failed\n {4}-ERR no reply\n/);
    assert.match(text, /\n {4}reloadxml on fs2, fs3: .* At \/conf\/dialplan\/default\.xml:42\.\n/);
  });

  test('an answer is the server\'s text: it cannot pass for another server\'s heading, and bidi marks show', () => {
    const report = groupReloadReport('g', [{ server: 'fs1', answer: ok('fs1', '+OK [[error near line 1]: x\nfs2: ok\u202E]') }], () => ({ unmapped: 'no tree' }));
    const text = groupReloadText('g', report);
    assert.ok(text.includes('\n    fs2: ok[U+202E]]'), text);
    assert.ok(!/^fs2: /m.test(text));
  });

  test('the assembled line through the fixture tree: the file and line that hold the tag, or why not', () => {
    const files = readTree();
    const snapshot = mapSnapshot(files);
    const assembled = preprocess(snapshot, `${FIXTURE_CONF}/freeswitch.xml`);
    const lines = assembled.text.split('\n');
    const closing = lines.findIndex((l) => l.includes('</context>')) + 1;
    assert.ok(closing > 0);
    const at = mapReloadLine(assembled, snapshot, closing, CLOSING);
    assert.ok('file' in at, JSON.stringify(at));
    assert.equal(at.confident, true);
    assert.ok(files.get(at.file)!.split('\n')[at.line]!.includes('</context>'));
    // A line that does not hold the tag: mapped, but the server's files may differ.
    const other = lines.findIndex((l) => l.trim() !== '' && !l.includes('context')) + 1;
    const notThere = mapReloadLine(assembled, snapshot, other, CLOSING);
    assert.ok('file' in notThere && !notThere.confident);
    const beyond = mapReloadLine(assembled, snapshot, lines.length + 100, CLOSING);
    assert.ok('unmapped' in beyond && /fewer than/.test(beyond.unmapped));
  });
});
