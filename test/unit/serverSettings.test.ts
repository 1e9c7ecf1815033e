// Add, Edit and Remove Server, without VS Code: the new `freeswitch.servers` value each writes. The
// list may be a team's shared settings.json, so every entry the command does not act on must stay
// exactly as written (not as normaliseServers reads it), and the entry it acts on is found again in
// the setting as it is at write time, after whatever changed while the prompts were open.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normaliseServers, withoutServer, withServerAdded, withServerEdited, type ServerRef } from '../../src/extension/servers/serverConfig';

/** A setting as users write it: each entry is one that the normalised copy would alter or drop. */
function setting(): unknown[] {
  return [
    { name: 'fs1', host: '10.0.0.1', port: '8022', comment: 'a string port and fields the schema does not know', tags: ['a'] },
    { name: 'fs1', host: '10.0.0.2', group: 'Pool' }, // a duplicate name: read as "fs1 (2)"
    { name: 'lab', host: '10.0.0.3', group: 'bad\ngroup' }, // an invalid group: read as none
    { name: 'no host' },
    'not an entry',
    { host: ' 10.0.0.4 ', note: 'no name: read as 10.0.0.4:8021' },
    { name: ' edge ', port: 8023, host: '10.0.0.5', user: 'ops', passwordEnv: 'EDGE_PW', group: 'Pool', note: 'kept' },
  ];
}

/** A server as the command saw it when it started (the tree's and the prompts' view). */
function ref(value: unknown, name: string): ServerRef {
  const server = normaliseServers(value).find((s) => s.name === name);
  assert.ok(server, `${name} is read from the setting`);
  return server;
}

/** Asserts that `after` holds `before`'s entries, other than those at `skip`, unchanged and in order. */
function assertOthersUntouched(before: unknown[], after: unknown[], skip: { before?: number; after?: number }): void {
  const kept = before.filter((_, i) => i !== skip.before);
  const rest = after.filter((_, i) => i !== skip.after);
  assert.equal(rest.length, kept.length);
  kept.forEach((entry, i) => {
    assert.equal(rest[i], entry, `entry ${JSON.stringify(entry)} is the same value`);
    assert.equal(JSON.stringify(rest[i]), JSON.stringify(entry), 'and byte for byte as written');
  });
}

describe('Add, Edit and Remove Server on the freeswitch.servers setting', () => {
  test('Add appends the entry as entered and leaves the others as written', () => {
    const before = setting();
    const pristine = JSON.stringify(before);
    const server = { name: 'new', host: '10.0.0.9', port: 8021, group: 'Pool' };
    const after = withServerAdded(before, server);
    assert.deepEqual(after.at(-1), server);
    assertOthersUntouched(before, after, { after: after.length - 1 });
    assert.equal(JSON.stringify(before), pristine, 'the setting read is not mutated');
  });

  test('Add to an unset setting starts the list', () => {
    const server = { name: 'first', host: '127.0.0.1', port: 8021 };
    assert.deepEqual(withServerAdded(undefined, server), [server]);
  });

  test('Edit replaces the fields it asks for and keeps the entry’s others (and their order)', () => {
    const before = setting();
    const pristine = JSON.stringify(before);
    const after = withServerEdited(before, ref(before, 'edge'), { name: 'edge-1', host: '10.0.1.5', port: 8021, user: 'admin' });
    assert.ok(after);
    assert.equal(
      JSON.stringify(after[6]),
      JSON.stringify({ name: 'edge-1', port: 8021, host: '10.0.1.5', user: 'admin', passwordEnv: 'EDGE_PW', group: 'Pool', note: 'kept' }),
    );
    assertOthersUntouched(before, after, { before: 6, after: 6 });
    assert.equal(JSON.stringify(before), pristine, 'the setting read is not mutated');
  });

  test('Edit with the user left empty removes the key', () => {
    const after = withServerEdited(setting(), ref(setting(), 'edge'), { name: 'edge', host: '10.0.0.5', port: 8023 });
    assert.ok(after);
    assert.equal(Object.hasOwn(after[6] as object, 'user'), false);
    assert.deepEqual(after[6], { name: 'edge', port: 8023, host: '10.0.0.5', passwordEnv: 'EDGE_PW', group: 'Pool', note: 'kept' });
  });

  test('Edit finds the entry the tree shows under a derived name: the second of two duplicates, an unnamed one', () => {
    const before = setting();
    const second = withServerEdited(before, ref(before, 'fs1 (2)'), { name: 'fs2', host: '10.0.0.2', port: 8021 });
    assert.ok(second);
    assert.deepEqual(second[1], { name: 'fs2', host: '10.0.0.2', group: 'Pool', port: 8021 });
    assertOthersUntouched(before, second, { before: 1, after: 1 });

    const unnamed = withServerEdited(before, ref(before, '10.0.0.4:8021'), { name: 'four', host: '10.0.0.4', port: 8021 });
    assert.ok(unnamed);
    assert.deepEqual(unnamed[5], { host: '10.0.0.4', note: 'no name: read as 10.0.0.4:8021', name: 'four', port: 8021 });
    assertOthersUntouched(before, unnamed, { before: 5, after: 5 });
  });

  test('Edit keeps the unknown fields of an entry with a string port', () => {
    const before = setting();
    const after = withServerEdited(before, ref(before, 'fs1'), { name: 'fs1', host: '10.0.0.1', port: 8022 });
    assert.ok(after);
    assert.deepEqual(after[0], { name: 'fs1', host: '10.0.0.1', port: 8022, comment: 'a string port and fields the schema does not know', tags: ['a'] });
    assertOthersUntouched(before, after, { before: 0, after: 0 });
  });

  test('Edit writes into the setting as it is at write time: changes made meanwhile are kept', () => {
    const atStart = setting();
    const target = ref(atStart, 'edge');
    // While the prompts were open: an entry was inserted before the target and another was edited.
    const meanwhile = setting();
    meanwhile.unshift({ name: 'inserted', host: '10.0.0.8' });
    meanwhile[3] = { name: 'lab', host: '10.0.0.33', group: 'bad\ngroup', comment: 'edited by a teammate' };
    const after = withServerEdited(meanwhile, target, { name: 'edge', host: '10.0.0.5', port: 8023, user: 'ops2' });
    assert.ok(after);
    assert.deepEqual(after[7], { name: 'edge', port: 8023, host: '10.0.0.5', user: 'ops2', passwordEnv: 'EDGE_PW', group: 'Pool', note: 'kept' });
    assertOthersUntouched(meanwhile, after, { before: 7, after: 7 });
  });

  test('Edit refuses (undefined) when the entry was removed or its address changed meanwhile', () => {
    const target = ref(setting(), 'edge');
    const fields = { name: 'edge', host: '10.0.0.5', port: 8023 };
    assert.equal(withServerEdited(setting().slice(0, 6), target, fields), undefined);
    const moved = setting();
    moved[6] = { ...(moved[6] as object), host: '10.0.0.55' };
    assert.equal(withServerEdited(moved, target, fields), undefined);
    assert.equal(withServerEdited(undefined, target, fields), undefined);
  });

  test('Remove splices out exactly that entry, even the second of two duplicates', () => {
    const before = setting();
    const pristine = JSON.stringify(before);
    const after = withoutServer(before, ref(before, 'fs1 (2)'));
    assert.ok(after);
    assertOthersUntouched(before, after, { before: 1 });
    assert.equal(JSON.stringify(before), pristine, 'the setting read is not mutated');

    const edge = withoutServer(before, ref(before, 'edge'));
    assert.ok(edge);
    assertOthersUntouched(before, edge, { before: 6 });
  });

  test('Remove finds the entry after changes made meanwhile, and refuses when it is gone', () => {
    const target = ref(setting(), 'lab');
    const meanwhile = setting();
    meanwhile.unshift({ name: 'inserted', host: '10.0.0.8' });
    meanwhile[7] = { ...(meanwhile[7] as object), note: 'edited by a teammate' };
    const after = withoutServer(meanwhile, target);
    assert.ok(after);
    assertOthersUntouched(meanwhile, after, { before: 3 });
    assert.equal(withoutServer(after, target), undefined);
  });
});
