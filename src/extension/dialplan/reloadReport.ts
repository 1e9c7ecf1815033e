// What `reloadxml` answered, on one server or on every member of a group, as the texts and the
// Problems the editor shows. No vscode: unit tests run it.
import { ApiError, type MultiEvalResult } from '../../core';
import { neutralise } from '../tree/format';
import { mapAssembledLine, parseReloadAnswer, type ConfSnapshot, type PreprocessResult } from './preprocess';

/** Where a line of the assembled log/freeswitch.xml.fsxml comes from in the workspace, or why that cannot be said. */
export type MappedReloadLine = { readonly file: string; readonly line: number; readonly confident: boolean } | { readonly unmapped: string };

/**
 * Maps FreeSWITCH's "near line N" through the workspace's pre-processed tree. The mapped line
 * should hold the tag the error names ("unexpected closing tag </context>"); when it does not, the
 * server's files probably differ from the workspace's, and the mapping is marked not confident.
 */
export function mapReloadLine(assembled: PreprocessResult, snapshot: ConfSnapshot, line: number, detail: string): MappedReloadLine {
  const m = mapAssembledLine(assembled, line);
  if ('unmapped' in m) return { unmapped: `it cannot be mapped to a file: ${m.unmapped}.` };
  const sourceLine = (snapshot.read(m.origin.file) ?? '').split(/\r\n|\r|\n/)[m.origin.line] ?? '';
  const tag = /<\/?[\w:.-]+>?/.exec(detail)?.[0];
  const confident = tag === undefined || sourceLine.includes(tag.replace(/>$/, ''));
  return { file: m.origin.file, line: m.origin.line, confident };
}

/** One server's reloadxml. */
export interface ServerReload {
  readonly server: string;
  /** ok: the new XML is in force; refused: FreeSWITCH refused it (its answer still starts +OK); failed: no answer; skipped: not connected. */
  readonly outcome: 'ok' | 'refused' | 'failed' | 'skipped';
  /** The server's own answer (or the error that stood for it), as text. */
  readonly text: string;
}

/** One distinct refusal mapped to a source line, with every server that reported it. */
export interface ReloadProblem {
  readonly file: string;
  /** 0-based line in `file`. */
  readonly line: number;
  readonly detail: string;
  readonly servers: readonly string[];
  /** The Problem's text. */
  readonly message: string;
}

/** One distinct refusal that cannot be put at a source line, with every server that reported it. */
export interface UnmappedRefusal {
  readonly detail: string;
  readonly servers: readonly string[];
  /** Why not, with the assembled line when there is one. */
  readonly message: string;
}

export interface GroupReloadReport {
  readonly servers: readonly ServerReload[];
  readonly problems: readonly ReloadProblem[];
  readonly unmapped: readonly UnmappedRefusal[];
  /** One sentence for a notification. */
  readonly summary: string;
}

const ASSEMBLED = 'the assembled log/freeswitch.xml.fsxml';

/**
 * The Problem's text for a refusal mapped to a source line: who said it, FreeSWITCH's words, and
 * the assembled line(s) it named (servers whose files differ may name different ones).
 */
export function reloadProblemMessage(servers: readonly string[], detail: string, assembledLines: readonly number[], confident: boolean): string {
  const lines = [...new Set(assembledLines)].sort((a, b) => a - b);
  const where = `${lines.length === 1 ? 'line' : 'lines'} ${lines.join(', ')} of ${ASSEMBLED}`;
  const doubt = confident ? '' : "; this line does not hold what the error names: the server's files may differ from the workspace's";
  return `reloadxml on ${servers.join(', ')}: ${detail} (${where}${doubt}).`;
}

/** The text of an answer that is not a reloadxml answer: FreeSWITCH's own words for -ERR, else the error. */
function errorText(error: Error): string {
  return error instanceof ApiError ? error.response.trim() : error.message;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * reloadxml's answers from a group's members: each server's outcome, one Problem per distinct
 * refusal (same file, line and words) naming every server that reported it, and the refusals that
 * cannot be mapped. `map` turns FreeSWITCH's "near line N" (of its assembled file) into a source
 * line, as for one server.
 */
export function groupReloadReport(
  group: string,
  answers: ReadonlyArray<{ readonly server: string; readonly answer: MultiEvalResult | undefined }>,
  map: (assembledLine: number | undefined, detail: string) => MappedReloadLine,
): GroupReloadReport {
  const servers: ServerReload[] = [];
  const mapped = new Map<string, { file: string; line: number; detail: string; servers: string[]; lines: number[]; confident: boolean }>();
  const unmapped = new Map<string, { detail: string; reason: string; servers: string[]; lines: number[] }>();
  for (const { server, answer } of answers) {
    if (!answer) {
      servers.push({ server, outcome: 'skipped', text: 'not connected' });
      continue;
    }
    if (!answer.ok) {
      servers.push({ server, outcome: 'failed', text: errorText(answer.error) });
      continue;
    }
    const parsed = parseReloadAnswer(answer.result);
    servers.push({ server, outcome: parsed.ok ? 'ok' : 'refused', text: answer.result.trim() });
    if (parsed.ok) continue;
    const where = map(parsed.line, parsed.detail);
    if ('unmapped' in where) {
      const key = `${parsed.detail}\n${where.unmapped}`;
      const entry = unmapped.get(key) ?? { detail: parsed.detail, reason: where.unmapped, servers: [], lines: [] };
      entry.servers.push(server);
      if (parsed.line !== undefined) entry.lines.push(parsed.line);
      unmapped.set(key, entry);
      continue;
    }
    const key = `${where.file}\n${where.line}\n${parsed.detail}`;
    const entry = mapped.get(key) ?? { file: where.file, line: where.line, detail: parsed.detail, servers: [], lines: [], confident: true };
    entry.servers.push(server);
    if (parsed.line !== undefined) entry.lines.push(parsed.line);
    entry.confident &&= where.confident;
    mapped.set(key, entry);
  }
  const problems = [...mapped.values()].map((p) => ({
    file: p.file,
    line: p.line,
    detail: p.detail,
    servers: p.servers,
    message: reloadProblemMessage(p.servers, p.detail, p.lines, p.confident),
  }));
  const refusals = [...unmapped.values()].map((u) => {
    const lines = [...new Set(u.lines)];
    const counted = lines.length ? `its line ${lines.join(', ')} counts lines of ${ASSEMBLED}, and ` : '';
    return { detail: u.detail, servers: u.servers, message: `${u.servers.join(', ')}: ${u.detail}. ${counted}${u.reason}` };
  });
  return { servers, problems, unmapped: refusals, summary: summaryOf(group, servers) };
}

function summaryOf(group: string, servers: readonly ServerReload[]): string {
  const names = (outcome: ServerReload['outcome']): string[] => servers.filter((s) => s.outcome === outcome).map((s) => s.server);
  const parts: string[] = [];
  const ok = names('ok');
  const refused = names('refused');
  const failed = names('failed');
  const skipped = names('skipped');
  if (ok.length) parts.push(`the new XML is in force on ${ok.join(', ')}`);
  if (refused.length) parts.push(`${refused.join(', ')} refused it and keep${refused.length === 1 ? 's' : ''} the previous XML`);
  if (failed.length) parts.push(`no answer from ${failed.join(', ')}`);
  if (skipped.length) parts.push(`${skipped.join(', ')} not connected`);
  return `reloadxml on group ${group}: ${parts.join('; ')}.`;
}

/**
 * The answers as plain text for a read-only editor: a line per server, then each answer whole,
 * indented so no answer can pass itself off as another server's heading. reloadxml's refusals
 * start with +OK, so the outcome column says what the answer means, not how it starts.
 */
export function groupReloadText(group: string, report: GroupReloadReport): string {
  const rows = report.servers.map((s) => ({ server: neutralise(s.server), outcome: s.outcome, text: neutralise(s.text) }));
  const width = Math.max(6, ...rows.map((r) => r.server.length));
  const count = (o: ServerReload['outcome']): number => rows.filter((r) => r.outcome === o).length;
  const out = [
    `reloadxml on group ${neutralise(group)}: ${plural(rows.length, 'server', 'servers')}, ${count('ok')} ok, ${count('refused')} refused, ${count('failed')} no answer, ${count('skipped')} not connected`,
    '',
    `${'server'.padEnd(width)}  result`,
    `${'-'.repeat(width)}  ------`,
    ...rows.map((r) => `${r.server.padEnd(width)}  ${r.outcome}`),
  ];
  const indented = (text: string): string[] => text.split('\n').map((l) => `    ${l}`.trimEnd());
  for (const r of rows) out.push('', `${r.server}: ${r.outcome}`, ...indented(r.text));
  if (report.problems.length || report.unmapped.length) {
    out.push('', 'Errors');
    for (const p of report.problems) out.push(...indented(neutralise(`${p.message} At ${p.file}:${p.line + 1}.`)));
    for (const u of report.unmapped) out.push(...indented(neutralise(u.message)));
  }
  return `${out.join('\n')}\n`;
}
