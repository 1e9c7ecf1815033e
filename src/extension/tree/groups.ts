// Server groups (`group` in `freeswitch.servers`): which rows the Servers tree shows at the top, a
// group's counts, and the texts group commands show. No vscode: unit tests run it.
import { ApiError, evalAll, type Client, type EventListener, type MultiEvalResult } from '../../core';
import type { ServerState } from '../servers/serverConnection';
import { neutralise } from './format';

/**
 * States from which a server can be connected: the server row's inline Connect (its `when` in
 * package.json, held to this set by a unit test) and Connect Group act on the same ones.
 */
export const CONNECTABLE_STATES: ReadonlySet<ServerState['kind']> = new Set(['disconnected', 'authFailed', 'accessDenied', 'unreachable']);

/** What groups need of a server; ServerConnection is one. */
export interface GroupMember {
  readonly config: { readonly name: string; readonly host: string; readonly port: number; readonly group?: string | undefined };
  readonly isConnected: boolean;
  /** Live calls, when connected. */
  readonly callCount: number;
}

/** A top-level row: a server without a group, or a group in the place of its first member. */
export type TopLevelEntry<S> = { readonly server: S } | { readonly group: string };

/** Top-level rows in the setting's order; servers without a group stay where they are. */
export function topLevelEntries<S extends GroupMember>(servers: readonly S[]): TopLevelEntry<S>[] {
  const seen = new Set<string>();
  const out: TopLevelEntry<S>[] = [];
  for (const server of servers) {
    const group = server.config.group;
    if (group === undefined) out.push({ server });
    else if (!seen.has(group)) {
      seen.add(group);
      out.push({ group });
    }
  }
  return out;
}

/** The group names, in the order their first member appears in the setting. */
export function groupNames(servers: readonly GroupMember[]): string[] {
  return topLevelEntries(servers).flatMap((e) => ('group' in e ? [e.group] : []));
}

export function membersOf<S extends GroupMember>(servers: readonly S[], group: string): S[] {
  return servers.filter((s) => s.config.group === group);
}

export interface GroupCounts {
  readonly connected: number;
  readonly total: number;
  /** Live calls on the connected members. */
  readonly calls: number;
}

export function groupCounts(members: readonly GroupMember[]): GroupCounts {
  let connected = 0;
  let calls = 0;
  for (const m of members) {
    if (!m.isConnected) continue;
    connected++;
    calls += m.callCount;
  }
  return { connected, total: members.length, calls };
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** A group row's description: `1/2 connected · 3 calls`. */
export function groupDescription(counts: GroupCounts): string {
  return `${counts.connected}/${counts.total} connected · ${plural(counts.calls, 'call', 'calls')}`;
}

/**
 * A group row's `contextValue`: `serverGroup`, then `hasConnected` and/or `hasDisconnected`, which
 * the `when` clauses of the group's menu match.
 */
export function groupContextValue(counts: GroupCounts): string {
  return ['serverGroup', ...(counts.connected > 0 ? ['hasConnected'] : []), ...(counts.connected < counts.total ? ['hasDisconnected'] : [])].join(' ');
}

/** `fs1 (10.0.0.1:8021)`, neutralised: names come from settings, but are shown as text anyway. */
export function memberLabel(member: GroupMember): string {
  return neutralise(`${member.config.name} (${member.config.host}:${member.config.port})`);
}

/** Hang Up All Calls on Group's modal: the question, and a line per server with its calls. */
export function hangupAllConfirmation(group: string, members: readonly GroupMember[]): { message: string; detail: string; button: string } {
  const connected = members.filter((m) => m.isConnected);
  const { calls } = groupCounts(members);
  const lines = connected.map((m) => `${memberLabel(m)}: ${plural(m.callCount, 'call', 'calls')}`);
  const skipped = members.filter((m) => !m.isConnected);
  if (skipped.length) lines.push('', `Not connected, left alone: ${skipped.map(memberLabel).join(', ')}`);
  lines.push('', 'Each server is sent hupall NORMAL_CLEARING: it hangs up every channel on it, tracked or not.');
  const servers = plural(connected.length, 'server', 'servers');
  // As Hang Up All on one server: with no tracked call, hupall is still offered (for untracked ones).
  if (calls === 0) return { message: `There are no tracked calls on the ${servers} of group ${neutralise(group)}. Send hupall anyway?`, detail: lines.join('\n'), button: 'Send hupall' };
  return {
    message: `Hang up all calls on ${servers} of group ${neutralise(group)}?`,
    detail: lines.join('\n'),
    button: `Hang Up ${plural(calls, 'Call', 'Calls')} on ${plural(connected.length, 'Server', 'Servers')}`,
  };
}

/** One server's row of a group command's result table. */
export interface GroupResult {
  readonly member: GroupMember;
  /** The server's answer; undefined when it was not connected, so nothing was sent to it. */
  readonly answer: MultiEvalResult | undefined;
}

/** A member with its ESL pair, as a ServerConnection has it (both set while connected). */
export interface ConnectedGroupMember extends GroupMember {
  readonly client: Client | undefined;
  readonly listener: EventListener | undefined;
}

/**
 * One API command on every connected member at once, on the members' own Client and EventListener
 * pairs (the core's evalAll, switchio's MultiEval). Members that are not connected get no answer
 * (skipped).
 */
export async function evalOnGroup(members: readonly ConnectedGroupMember[], command: string, options: { timeoutMs?: number } = {}): Promise<GroupResult[]> {
  const connected = members.flatMap((m) => (m.isConnected && m.client && m.listener ? [{ name: m.config.name, client: m.client, listener: m.listener }] : []));
  const answers = await evalAll(connected, command, options);
  return members.map((member) => ({ member, answer: answers.find((a) => a.server === member.config.name) }));
}

const SUMMARY_WIDTH = 60;

/** The text of an answer: FreeSWITCH's own words for `-ERR …`, the message for other errors. */
function answerText(answer: MultiEvalResult): string {
  if (answer.ok) return answer.result;
  return answer.error instanceof ApiError ? answer.error.response.trim() : answer.error.message;
}

/** The first line of an answer, shortened and neutralised, for the table. */
function summaryCell(text: string): string {
  const first = neutralise((text.split('\n').find((l) => l.trim() !== '') ?? '').replace(/\s+/g, ' ').trim());
  return first.length > SUMMARY_WIDTH ? `${first.slice(0, SUMMARY_WIDTH - 1)}…` : first;
}

/**
 * A group command's answers as plain text for a read-only editor: a table (server, ok/error, the
 * answer's first line), then each server's whole answer. Answers are the servers' text, shown as
 * text: each answer line is indented, so no answer can pass itself off as a heading of another.
 */
export function groupResultsText(command: string, group: string, results: readonly GroupResult[]): string {
  const rows = results.map(({ member, answer }) => ({
    server: memberLabel(member),
    outcome: answer === undefined ? 'skipped' : answer.ok ? 'ok' : 'error',
    text: answer === undefined ? 'not connected' : answerText(answer),
  }));
  const ok = rows.filter((r) => r.outcome === 'ok').length;
  const failed = rows.filter((r) => r.outcome === 'error').length;
  const widths = [Math.max(6, ...rows.map((r) => r.server.length)), Math.max(6, ...rows.map((r) => r.outcome.length))];
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i < widths.length ? c.padEnd(widths[i]!) : c)).join('  ').trimEnd();
  const out = [
    `api ${neutralise(command)} on group ${neutralise(group)}: ${plural(rows.length, 'server', 'servers')}, ${ok} ok, ${plural(failed, 'error', 'errors')}${rows.length - ok - failed ? `, ${rows.length - ok - failed} not connected` : ''}`,
    '',
    line(['server', 'result', 'answer']),
    line(['-'.repeat(widths[0]!), '-'.repeat(widths[1]!), '-'.repeat(6)]),
    ...rows.map((r) => line([r.server, r.outcome, summaryCell(r.text)])),
  ];
  for (const r of rows) {
    out.push('', `${r.server}: ${r.outcome}`, ...r.text.split('\n').map((l) => `    ${l}`.trimEnd()));
  }
  return `${out.join('\n')}\n`;
}
