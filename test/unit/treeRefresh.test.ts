// The Servers tree's pure parts: what a row says (labels, neutralised text, ages) and which rows a
// change refreshes (RefreshPlanner), without VS Code.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { EslEvent, EventListener, FrameParser, decodeEventFrame } from '../../src/core';
import { lostRow, VIEW_TITLE_COMMANDS } from '../../src/extension/commands/lostRow';
import { callDescription, callLabel, callTooltipLines, formatAge, formatClock, neutralise, sessionTooltipRows } from '../../src/extension/tree/format';
import { RefreshPlanner, type PlannerModel, type RowLook } from '../../src/extension/tree/refreshPlanner';
import { loadCapture } from '../support/captures';

/** Capture 11's events (originate with origination_caller_id_name='Test Caller', number 1000), optionally rewritten. */
function capture11(rewrite: (value: string) => string = (v) => v): EslEvent[] {
  const events: EslEvent[] = [];
  for (const frame of new FrameParser().push(loadCapture('11').server)) {
    const decoded = decodeEventFrame(frame);
    if (!decoded.ok) continue;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(decoded.event.headers)) headers[name] = rewrite(value);
    events.push(new EslEvent(headers, decoded.event.body));
  }
  return events;
}

/** The listener after the events up to and including the first `name`. */
function upTo(events: EslEvent[], name: string): EventListener {
  const listener = new EventListener({ host: '127.0.0.1', port: 1 });
  for (const e of events.slice(0, events.findIndex((e) => e.name === name) + 1)) listener.ingest(e);
  return listener;
}

describe('Servers tree text', () => {
  test('a call reads caller name (number) → destination, before and after FreeSWITCH flips the caller id', () => {
    const events = capture11();
    for (const name of ['CHANNEL_CREATE', 'CHANNEL_ANSWER', 'CHANNEL_PARK']) {
      const listener = upTo(events, name);
      const call = [...listener.calls.values()][0]!;
      assert.equal(callLabel(call), 'Test Caller (1000) → 9196', `after ${name}`);
      listener.dispose();
    }
    // After the park the a-leg's own caller id is the far end ("Outbound Call" <9196>).
    const parked = upTo(events, 'CHANNEL_PARK');
    assert.equal([...parked.calls.values()][0]!.first.callerIdName, 'Outbound Call');
    parked.dispose();
  });

  test('a right-to-left override in a caller name is shown as a mark, in the label and the tooltips', () => {
    const events = capture11((v) => v.replace('Test Caller', 'Alice\u202Egnp.exe').replace(/^1000$/, '5103'));
    const listener = upTo(events, 'CHANNEL_ANSWER');
    const call = [...listener.calls.values()][0]!;
    assert.equal(callLabel(call), 'Alice[U+202E]gnp.exe (5103) → 9196');
    const callerRow = sessionTooltipRows(call.first).find(([name]) => name === 'Caller ID');
    assert.deepEqual(callerRow, ['Caller ID', 'Alice[U+202E]gnp.exe <5103>']);
    assert.ok(callTooltipLines(call, Date.now()).every((line) => !line.includes('\u202E')));
    listener.dispose();
  });

  test('neutralise marks the characters the webviews mark, and leaves other text alone', () => {
    assert.equal(neutralise('plain text, ünïcödé, 日本'), 'plain text, ünïcödé, 日本');
    assert.equal(neutralise('a\u200Bb\u2066c\u2069\uFEFF'), 'a[U+200B]b[U+2066]c[U+2069][U+FEFF]');
    assert.equal(neutralise('bell\u0007'), 'bell[U+0007]');
    assert.equal(neutralise(''), '');
  });

  test('ages are whole minutes, so a row is redrawn at most once a minute', () => {
    assert.equal(formatAge(0), '<1 min');
    assert.equal(formatAge(59_999), '<1 min');
    assert.equal(formatAge(60_000), '1 min');
    assert.equal(formatAge(59 * 60_000 + 59_000), '59 min');
    assert.equal(formatAge(62 * 60_000), '1 h 02 min');
    assert.equal(formatClock(new Date(2024, 0, 2, 9, 5, 7).getTime()), '09:05:07');
    const listener = upTo(capture11(), 'CHANNEL_PARK');
    const call = [...listener.calls.values()][0]!;
    assert.equal(callDescription(call, call.createdAt + 125_000), 'ACTIVE · 2 min');
    assert.match(callTooltipLines(call, call.createdAt + 125_000)[1]!, /^ACTIVE for 2:05 \(created \d\d:\d\d:\d\d, answered \d\d:\d\d:\d\d\)$/);
    listener.dispose();
  });
});

/** A little tree like the Servers view: server → calls → call → sessions, with plain data behind it. */
class FakeTree implements PlannerModel<Row> {
  readonly server: Row = { id: 'server' };
  readonly calls: Row = { id: 'calls' };
  readonly apps: Row = { id: 'apps' };
  readonly servers = [this.server];
  liveCalls: Row[] = [];
  sessions = new Map<Row, Row[]>();
  state = new Map<Row, string>();
  created = new Map<Row, number>();

  addCall(id: string, at = 0): Row {
    const call = { id };
    this.liveCalls = [...this.liveCalls, call];
    this.sessions.set(call, [{ id: `${id}-a` }, { id: `${id}-b` }]);
    this.created.set(call, at);
    return call;
  }

  children(parent: Row | undefined): readonly Row[] {
    if (!parent) return this.servers;
    if (parent === this.server) return [this.calls, this.apps];
    if (parent === this.calls) return this.liveCalls;
    return this.sessions.get(parent) ?? [];
  }

  look(node: Row, now: number): RowLook {
    if (node === this.server) return { content: `connected · ${this.liveCalls.length} calls`, clock: '' };
    if (node === this.calls) return { content: String(this.liveCalls.length), clock: '' };
    const created = this.created.get(node);
    if (created !== undefined) return { content: `${node.id} ${this.state.get(node) ?? 'RINGING'}`, clock: formatAge(now - created) };
    return { content: `${node.id} ${this.state.get(node) ?? 'RINGING'}`, clock: '' };
  }
}
interface Row {
  id: string;
}

/** Plays VS Code: fetches what is expanded, as ExtHostTreeView and the AsyncDataTree do. */
function show(planner: RefreshPlanner<Row>, tree: FakeTree, parent: Row | undefined, expanded: (row: Row) => boolean, now = 0): void {
  const children = tree.children(parent);
  planner.noteChildren(parent, children);
  for (const child of children) {
    planner.noteItem(child, tree.look(child, now), child === tree.server || child === tree.calls);
    if (expanded(child)) show(planner, tree, child, expanded, now);
  }
}

const ids = (plan: ReturnType<RefreshPlanner<Row>['plan']>): string[] | string => (plan.kind === 'rows' ? plan.rows.map((r) => r.id) : plan.kind);

describe('RefreshPlanner: which rows a change refreshes', () => {
  function setup(others: string[] = []): { tree: FakeTree; planner: RefreshPlanner<Row>; long: Row } {
    const tree = new FakeTree();
    const long = tree.addCall('long');
    for (const id of others) tree.addCall(id);
    const planner = new RefreshPlanner(tree, { tooltipTtlMs: 30_000 });
    show(planner, tree, undefined, (row) => row === tree.server || row === tree.calls);
    return { tree, planner, long };
  }

  test('nothing changed: nothing is refreshed', () => {
    const { planner } = setup();
    assert.equal(ids(planner.plan(1_000)), 'none');
  });

  test('a call added changes the count: the server row, which refetches its subtree, and nothing under it', () => {
    const { tree, planner, long } = setup();
    tree.addCall('new');
    tree.state.set(long, 'ACTIVE');
    assert.deepEqual(ids(planner.plan(1_000)), ['server']);
  });

  test('one call ended and another began in the same moment: only the Calls row', () => {
    const { tree, planner, long } = setup();
    tree.liveCalls = [];
    tree.addCall('other');
    assert.deepEqual(ids(planner.plan(1_000)), ['calls']);
    assert.ok(!tree.liveCalls.includes(long));
  });

  test('a session changes: only its row; the call row and its other session are left alone', () => {
    const { tree, planner, long } = setup();
    show(planner, tree, long, () => false);
    tree.state.set(tree.sessions.get(long)![1]!, 'ACTIVE');
    assert.deepEqual(ids(planner.plan(1_000)), ['long-b']);
  });

  test('the call itself changes: its row (VS Code refetches its sessions), not the sessions as well', () => {
    const { tree, planner, long } = setup();
    show(planner, tree, long, () => false);
    tree.state.set(long, 'ACTIVE');
    tree.state.set(tree.sessions.get(long)![0]!, 'ACTIVE');
    assert.deepEqual(ids(planner.plan(1_000)), ['long']);
  });

  test('a call age ticks: collapsed rows are refreshed, expanded ones (and hidden sessions) are not', () => {
    const { planner, long } = setup(['other']);
    assert.equal(ids(planner.plan(59_000)), 'none', 'the text has not changed within the first minute');
    planner.noteExpanded(long, true);
    assert.deepEqual(ids(planner.plan(61_000)), ['other']);
    planner.noteExpanded(long, false);
    assert.deepEqual(ids(planner.plan(61_000)), ['long', 'other'], 'collapsed again, it shows its age again');
  });

  test('a row VS Code fetched the children of counts as expanded, even when the expand event was lost', () => {
    const { tree, planner, long } = setup();
    show(planner, tree, long, () => false);
    assert.equal(planner.isExpanded(long), true);
    assert.equal(ids(planner.plan(61_000)), 'none');
  });

  test('servers added or removed: the whole tree, and the planner starts over', () => {
    const { tree, planner } = setup();
    tree.servers.push({ id: 'second' });
    const plan = planner.plan(1_000);
    assert.equal(plan.kind, 'root');
    planner.fired(plan, 1_000);
    assert.equal(ids(planner.plan(1_000)), 'none', 'nothing is known until VS Code fetches again');
  });

  test('after a refresh the planner forgets the refreshed rows children and waits for VS Code to fetch them', () => {
    const { tree, planner, long } = setup();
    show(planner, tree, long, () => false);
    tree.addCall('new');
    const plan = planner.plan(1_000);
    assert.deepEqual(ids(plan), ['server']);
    planner.fired(plan, 1_000);
    assert.equal(planner.awaitingFetch(1_100, 500), true);
    // The old rows are no longer VS Code's: a change to them is not planned…
    tree.state.set(tree.sessions.get(long)![0]!, 'HANGUP');
    assert.equal(ids(planner.plan(1_100)), 'none');
    // …until VS Code fetched them again.
    show(planner, tree, undefined, (row) => row === tree.server || row === tree.calls || row === long, 1_100);
    assert.equal(planner.awaitingFetch(1_200, 500), false);
    tree.state.set(tree.sessions.get(long)![0]!, 'DOWN');
    assert.deepEqual(ids(planner.plan(1_200)), ['long-a']);
    // A fetch that never comes does not hold refreshes back for ever.
    planner.fired(planner.plan(1_200), 1_200);
    tree.addCall('third');
    planner.fired(planner.plan(1_300), 1_300);
    assert.equal(planner.awaitingFetch(1_700, 500), true);
    assert.equal(planner.awaitingFetch(1_800, 500), false);
  });

  test('a tooltip resolved on hover is refreshed once it is stale, while collapsed only', () => {
    const { planner, long } = setup();
    planner.noteResolved(long, 5_000);
    assert.equal(ids(planner.plan(34_000)), 'none');
    assert.deepEqual(ids(planner.plan(35_000)), ['long']);
    planner.noteExpanded(long, true);
    assert.equal(ids(planner.plan(35_000)), 'none');
  });
});

describe('a row action whose row VS Code lost', () => {
  test('is told apart from the palette (no arguments) and the title bar (no focused row)', () => {
    assert.equal(lostRow('freeswitch.call.hangup', [undefined, undefined]), true, 'inline or context menu, row lost');
    assert.equal(lostRow('freeswitch.call.hangup', []), false, 'palette');
    assert.equal(lostRow('freeswitch.call.hangup', [{ kind: 'call' }]), false, 'row given');
    assert.equal(lostRow('freeswitch.call.originate', [undefined]), false, 'title bar, nothing focused');
  });

  test("the title-bar commands are exactly package.json's view/title menu", () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { contributes: { menus: Record<string, Array<{ command: string }>> } };
    assert.deepEqual(new Set(pkg.contributes.menus['view/title']!.map((m) => m.command)), VIEW_TITLE_COMMANDS);
  });
});
