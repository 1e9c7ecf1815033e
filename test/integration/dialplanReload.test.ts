// Reload XML on Group without VS Code: reloadxml on every connected member of a group of test ESL
// servers at once (evalOnGroup, the core's evalAll), the refusals mapped through the fixture tree's
// pre-processed lines, one Problem per distinct refusal naming the servers that reported it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mapSnapshot, preprocess } from '../../src/extension/dialplan/preprocess';
import { groupReloadReport, mapReloadLine, type MappedReloadLine } from '../../src/extension/dialplan/reloadReport';
import { evalOnGroup, type ConnectedGroupMember } from '../../src/extension/tree/groups';
import { TestEslServer } from '../server/eslServer';
import { FIXTURE_CONF, readTree } from '../support/confTree';
import { connectTo } from '../support/connect';

const PASSWORD = 'ClueCon';

interface Member extends ConnectedGroupMember {
  readonly server: TestEslServer | undefined;
}

describe('Reload XML on Group against test ESL servers', () => {
  const members: Member[] = [];
  const files = readTree();
  const snapshot = mapSnapshot(files);
  const assembled = preprocess(snapshot, `${FIXTURE_CONF}/freeswitch.xml`);
  const map = (line: number | undefined, detail: string): MappedReloadLine => (line === undefined ? { unmapped: 'no line' } : mapReloadLine(assembled, snapshot, line, detail));
  // The assembled line of the fixture tree's first </context>: where a broken file would be.
  const closingLine = assembled.text.split('\n').findIndex((l) => l.includes('</context>')) + 1;
  const brokenError = `[error near line ${closingLine}]: unexpected closing tag </context>`;

  before(async () => {
    for (const [name, xmlError] of [
      ['fs1', undefined],
      ['fs2', brokenError],
      ['fs3', brokenError],
    ] as const) {
      const server = new TestEslServer({ password: PASSWORD, ...(xmlError ? { xmlError } : {}) });
      await server.start();
      const { listener, client } = await connectTo(server, PASSWORD);
      members.push({ server, config: { name, host: '127.0.0.1', port: server.port, group: 'pool' }, isConnected: true, callCount: 0, client, listener });
    }
    // A member that is not connected is skipped, not sent anything.
    members.push({ server: undefined, config: { name: 'fs4', host: '127.0.0.1', port: 1, group: 'pool' }, isConnected: false, callCount: 0, client: undefined, listener: undefined });
  });

  after(async () => {
    for (const m of members) {
      await m.client?.disconnect();
      await m.listener?.disconnect();
      await m.server?.stop();
    }
  });

  test('two members refuse the same broken file: one Problem at its source line naming both; the third reloads', async () => {
    const results = await evalOnGroup(members, 'reloadxml', { timeoutMs: 5000 });
    const report = groupReloadReport(
      'pool',
      results.map((r) => ({ server: r.member.config.name, answer: r.answer })),
      map,
    );
    assert.deepEqual(
      report.servers.map((s) => [s.server, s.outcome, s.text]),
      [
        ['fs1', 'ok', '+OK [Success]'],
        ['fs2', 'refused', `+OK [${brokenError}]`],
        ['fs3', 'refused', `+OK [${brokenError}]`],
        ['fs4', 'skipped', 'not connected'],
      ],
    );
    assert.equal(report.problems.length, 1);
    const [problem] = report.problems;
    assert.deepEqual(problem!.servers, ['fs2', 'fs3']);
    assert.ok(files.get(problem!.file)!.split('\n')[problem!.line]!.includes('</context>'), `${problem!.file}:${problem!.line + 1}`);
    assert.equal(problem!.message, `reloadxml on fs2, fs3: unexpected closing tag </context> (line ${closingLine} of the assembled log/freeswitch.xml.fsxml).`);
    assert.deepEqual(report.unmapped, []);
  });

  test('once the files are mended, every connected member reloads and nothing is left in Problems', async () => {
    for (const m of members) m.server?.setXmlError(undefined);
    const results = await evalOnGroup(members, 'reloadxml', { timeoutMs: 5000 });
    const report = groupReloadReport('pool', results.map((r) => ({ server: r.member.config.name, answer: r.answer })), map);
    assert.deepEqual(report.servers.map((s) => s.outcome), ['ok', 'ok', 'ok', 'skipped']);
    assert.deepEqual(report.problems, []);
    assert.equal(report.summary, 'reloadxml on group pool: the new XML is in force on fs1, fs2, fs3; fs4 not connected.');
  });
});
