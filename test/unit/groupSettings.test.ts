// Putting servers in groups from the UI, without VS Code: the new `freeswitch.servers` value each
// edit writes (Set Group… to an existing, a new or no group; Rename Group…; Ungroup), and the
// group-name check its InputBoxes share with the setting's reader.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { groupNameProblem, MAX_GROUP_NAME, normaliseServers, withGroupRenamed, withoutGroup, withServerGroup } from '../../src/extension/servers/serverConfig';

/** A setting as a user writes it: untrimmed text, a field the schema does not know, a broken entry. */
function setting(): unknown[] {
  return [
    { name: ' fs1 ', host: '10.0.0.1', port: 8021, user: 'ops', passwordEnv: 'FS1_PW', group: 'Pool' },
    { name: 'fs2', host: '10.0.0.2', group: 'Pool', comment: 'kept as written' },
    { name: 'fs3', host: '10.0.0.3' },
    'not an entry',
    { name: 'no host' },
    { host: '10.0.0.4', group: 'Lab' },
  ];
}

/** The group of each server, as the tree reads the setting. */
const groupsOf = (value: unknown): Record<string, string | undefined> => Object.fromEntries(normaliseServers(value).map((s) => [s.name, s.group]));

function withoutGroupKey(entry: unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...(entry as Record<string, unknown>) };
  delete copy.group;
  return copy;
}

/** Asserts that only the entries at `changed` differ from the original, and only in `group`. */
function assertOnlyGroupsChanged(after: unknown[], changed: number[]): void {
  const before = setting();
  assert.equal(after.length, before.length);
  before.forEach((entry, i) => {
    if (!changed.includes(i)) {
      assert.deepEqual(after[i], entry, `entry ${i} is untouched`);
      return;
    }
    assert.deepEqual(withoutGroupKey(after[i]), withoutGroupKey(entry), `entry ${i}: only its group changes`);
  });
}

describe('group edits of the freeswitch.servers setting', () => {
  test('Set Group… to an existing group: that entry only', () => {
    const after = withServerGroup(setting(), 'fs3', 'Pool');
    assert.deepEqual(after[2], { name: 'fs3', host: '10.0.0.3', group: 'Pool' });
    assertOnlyGroupsChanged(after, [2]);
    assert.deepEqual(groupsOf(after), { fs1: 'Pool', fs2: 'Pool', fs3: 'Pool', '10.0.0.4:8021': 'Lab' });
  });

  test('Set Group… to a new group: written trimmed, the entry found by the name the tree shows', () => {
    const after = withServerGroup(setting(), 'fs1', '  Edge ');
    assert.deepEqual(after[0], { name: ' fs1 ', host: '10.0.0.1', port: 8021, user: 'ops', passwordEnv: 'FS1_PW', group: 'Edge' });
    assertOnlyGroupsChanged(after, [0]);
    // A server named by its address (no name written) is found the same way.
    assert.equal(groupsOf(withServerGroup(setting(), '10.0.0.4:8021', 'Edge'))['10.0.0.4:8021'], 'Edge');
  });

  test('Set Group… to No Group: the key is removed, not set to undefined or ""', () => {
    const after = withServerGroup(setting(), 'fs2', undefined);
    assert.deepEqual(after[1], { name: 'fs2', host: '10.0.0.2', comment: 'kept as written' });
    assert.equal(Object.hasOwn(after[1] as object, 'group'), false);
    assertOnlyGroupsChanged(after, [1]);
  });

  test('Set Group… to the group it has, or on a server not in the setting: nothing changes', () => {
    const same = withServerGroup(setting(), 'fs1', 'Pool');
    assert.deepEqual(same, setting());
    assert.deepEqual(withServerGroup(setting(), 'gone', 'Pool'), setting());
  });

  test('Rename Group…: every member, and no other entry', () => {
    const after = withGroupRenamed(setting(), 'Pool', ' Pool A ');
    assertOnlyGroupsChanged(after, [0, 1]);
    assert.deepEqual(groupsOf(after), { fs1: 'Pool A', fs2: 'Pool A', fs3: undefined, '10.0.0.4:8021': 'Lab' });
  });

  test('Ungroup: every member loses its group; other groups stay', () => {
    const after = withoutGroup(setting(), 'Pool');
    assertOnlyGroupsChanged(after, [0, 1]);
    assert.deepEqual(groupsOf(after), { fs1: undefined, fs2: undefined, fs3: undefined, '10.0.0.4:8021': 'Lab' });
  });

  test('the setting is not modified in place (it is the value VS Code handed out)', () => {
    const original = setting();
    withServerGroup(original, 'fs1', 'Edge');
    withGroupRenamed(original, 'Pool', 'X');
    withoutGroup(original, 'Pool');
    assert.deepEqual(original, setting());
  });

  test('a setting that is not a list gives an empty one', () => {
    assert.deepEqual(withServerGroup({ servers: [] }, 'fs1', 'Pool'), []);
  });
});

describe('group names typed in the UI', () => {
  test('checked as the setting reader keeps them: trimmed, not empty, at most 64, no control characters', () => {
    assert.equal(groupNameProblem('  Pool '), undefined);
    assert.equal(groupNameProblem('x'.repeat(MAX_GROUP_NAME)), undefined);
    assert.equal(groupNameProblem(` ${'x'.repeat(MAX_GROUP_NAME)} `), undefined);
    assert.match(groupNameProblem('   ') ?? '', /required/);
    assert.match(groupNameProblem('x'.repeat(MAX_GROUP_NAME + 1)) ?? '', /64/);
    assert.match(groupNameProblem('line\nbreak') ?? '', /control/);
    assert.match(groupNameProblem('tab\there') ?? '', /control/);
    assert.match(groupNameProblem('del\u007f') ?? '', /control/);
  });

  test('a name the UI accepts is one the setting keeps, and one it refuses leaves the server ungrouped', () => {
    for (const name of ['Pool', ' spaced ', 'é-ü 池', 'x'.repeat(MAX_GROUP_NAME), '', 'a\rb', 'x'.repeat(MAX_GROUP_NAME + 1)]) {
      const kept = normaliseServers([{ name: 's', host: 'h', group: name }])[0]!.group;
      assert.equal(kept, groupNameProblem(name) === undefined ? name.trim() : undefined, JSON.stringify(name));
    }
  });
});
