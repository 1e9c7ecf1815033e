/**
 * `fsdev test [globs…]`: runs call tests headless, for CI, in a test host process (the same one the
 * Test Explorer uses). Prints a line per test and the wall time; `--reporter junit --out file`
 * also writes a JUnit XML report. Exits 1 when a test failed, a file did not compile, or the run
 * could not start.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import junit from 'junit-report-builder';
import type { FileReport, TestFailure, TestFinished, TestInfo, TestRunSummary } from '../../shared/protocol/testHost';
import { globToRegExp } from '../../shared/glob';
import { TestHostRun } from './testHostClient';

export { globToRegExp };

export const TEST_USAGE = `usage: fsdev test [globs or files…] [--server host:port | --host H --port P] [--user U] [--password P]
                  [--reporter spec|junit] [--out results.xml] [--timeout ms]

  globs        call test files (default fsapps/**/*.calltest.ts)
  --server     mod_event_socket as host:port (default 127.0.0.1:8021)
  --password   ESL password (default: $FREESWITCH_PASSWORD, else ClueCon)
  --reporter   junit: also write a JUnit XML report to --out (default results.xml)
  --timeout    per-test time limit in ms (default 10000; callTest(name, fn, { timeout }) overrides)
`;

export const DEFAULT_TEST_GLOB = 'fsapps/**/*.calltest.ts';

/** Files under `root` matching any of `patterns` (globs, or plain paths), sorted; node_modules skipped. */
export function expandGlobs(patterns: readonly string[], root: string): string[] {
  const out = new Set<string>();
  const globs: RegExp[] = [];
  for (const p of patterns) {
    if (!/[*?{]/.test(p)) {
      const abs = resolve(root, p);
      try {
        if (statSync(abs).isFile()) out.add(abs);
        else globs.push(globToRegExp(`${relative(root, abs).split('\\').join('/')}/**/*.calltest.ts`));
      } catch {
        throw new Error(`${p}: no such file or folder`);
      }
    } else globs.push(globToRegExp(p.replace(/^\.\//, '')));
  }
  if (globs.length > 0) {
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        if (name === 'node_modules' || name.startsWith('.')) continue;
        const abs = join(dir, name);
        const st = statSync(abs);
        if (st.isDirectory()) walk(abs);
        else if (globs.some((g) => g.test(relative(root, abs).split('\\').join('/')))) out.add(abs);
      }
    };
    walk(root);
  }
  return [...out].sort();
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** The failure as text: what was expected, what happened, where, and the call's last events. */
export function failureText(f: TestFailure, root: string): string {
  const lines = [f.message];
  if (f.expected !== undefined) lines.push(`expected: ${f.expected}`);
  if (f.actual !== undefined) lines.push(`actual:   ${f.actual}`);
  if (f.location) lines.push(`at ${relative(root, f.location.file)}:${f.location.line}:${f.location.column}`);
  if (f.call) {
    const last = f.call.events.slice(0, f.call.atFailure).slice(-10).map((e) => {
      const h = new Map(e.headers);
      const name = h.get('Event-Name') === 'CUSTOM' ? (h.get('Event-Subclass') ?? 'CUSTOM') : (h.get('Event-Name') ?? '?');
      const extra = h.get('Application') ?? h.get('DTMF-Digit') ?? h.get('Hangup-Cause') ?? h.get('Answer-State') ?? '';
      return `  ${name}${extra ? ` ${extra}` : ''} (${(h.get('Unique-ID') ?? '').slice(0, 8)})`;
    });
    lines.push(`last events of call ${f.call.label} (${f.call.uuid}) when it failed:`, ...last);
  }
  return lines.join('\n');
}

export async function testCommand(argv: string[], out: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      server: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      user: { type: 'string' },
      password: { type: 'string' },
      reporter: { type: 'string', default: 'spec' },
      out: { type: 'string' },
      timeout: { type: 'string', default: '10000' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    out(TEST_USAGE);
    return 0;
  }
  let host = values.host ?? '127.0.0.1';
  let port = Number(values.port ?? 8021);
  if (values.server !== undefined) {
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(values.server);
    if (!m) throw new Error(`--server ${values.server}: give host:port, e.g. 127.0.0.1:8021`);
    host = m[1]!;
    port = Number(m[2]);
  }
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`port ${port} is not a port number`);
  if (values.reporter !== 'spec' && values.reporter !== 'junit') throw new Error(`--reporter ${values.reporter}: spec or junit`);
  const timeoutMs = Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new Error(`--timeout ${values.timeout}: a positive number of ms`);
  const root = process.cwd();
  const files = expandGlobs(positionals.length > 0 ? positionals : [DEFAULT_TEST_GLOB], root);
  if (files.length === 0) {
    out(`no call test files match ${(positionals.length > 0 ? positionals : [DEFAULT_TEST_GLOB]).join(', ')}\n`);
    return 1;
  }
  const password = values.password ?? process.env['FREESWITCH_PASSWORD'] ?? 'ClueCon';

  const infos = new Map<string, TestInfo & { file: string }>();
  const results = new Map<string, TestFinished>();
  const fileReports: FileReport[] = [];
  const output = new Map<string, string[]>();
  let fatal: string | undefined;
  out(`running ${files.length} call test file(s) against ${host}:${port}\n`);
  const run = new TestHostRun({
    run: { connection: { host, port, password, ...(values.user !== undefined ? { user: values.user } : {}) }, files, timeoutMs, debug: false },
    onStderr: (line) => out(`${line}\n`),
    onMessage: (m) => {
      switch (m.kind) {
        case 'file':
          fileReports.push(m);
          for (const t of m.tests) infos.set(t.id, { ...t, file: m.file });
          if (m.error) {
            out(`✖ ${relative(root, m.file)}: ${m.error.message}\n`);
            for (const p of m.error.problems) out(`    ${relative(root, p.file)}:${p.line}:${p.column + 1}: ${p.message}\n`);
          }
          break;
        case 'output':
          if (m.id !== undefined) output.set(m.id, [...(output.get(m.id) ?? []), m.text]);
          break;
        case 'testFinished': {
          results.set(m.id, m);
          const name = infos.get(m.id)?.fullName ?? m.id;
          const mark = m.status === 'passed' ? '✔' : m.status === 'skipped' ? '-' : '✖';
          out(`${mark} ${name}${m.status === 'skipped' ? ' (skipped)' : ` (${seconds(m.durationMs)})`}\n`);
          if (m.failure) out(`${failureText(m.failure, root).replace(/^/gm, '    ')}\n`);
          break;
        }
        case 'fatal':
          fatal = m.message;
          out(`fsdev test: ${m.message}\n`);
          break;
      }
    },
  });
  let summary: TestRunSummary | undefined;
  try {
    summary = await run.done;
  } catch (err) {
    fatal ??= err instanceof Error ? err.message : String(err);
  }
  if (summary) {
    out(`\n${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped${summary.fileErrors ? `, ${summary.fileErrors} file(s) with errors` : ''}\n`);
    out(`wall time ${seconds(summary.wallMs)}; ${summary.leftoverSessions} session(s) left on the server\n`);
  }
  if (values.reporter === 'junit') {
    const target = resolve(values.out ?? 'results.xml');
    writeJunit(target, files, fileReports, infos, results, output, root, fatal);
    out(`JUnit report: ${target}\n`);
  }
  const failed = fatal !== undefined || !summary || summary.failed > 0 || summary.fileErrors > 0;
  return failed ? 1 : 0;
}

function writeJunit(
  target: string,
  files: readonly string[],
  fileReports: readonly FileReport[],
  infos: ReadonlyMap<string, TestInfo & { file: string }>,
  results: ReadonlyMap<string, TestFinished>,
  output: ReadonlyMap<string, string[]>,
  root: string,
  fatal: string | undefined,
): void {
  const builder = junit.newBuilder().name('fsdev call tests');
  for (const file of files) {
    const rel = relative(root, file);
    const suite = builder.testSuite().name(rel).timestamp(new Date());
    const report = fileReports.find((r) => r.file === file);
    if (!report || report.error) {
      const message = report?.error?.message ?? fatal ?? 'the file was not run';
      suite.testCase().className(rel).name('(file)').file(rel).error(message, 'FileError', report?.error?.problems.map((p) => `${relative(root, p.file)}:${p.line}:${p.column + 1}: ${p.message}`).join('\n'));
      continue;
    }
    for (const info of infos.values()) {
      if (info.file !== file) continue;
      const r = results.get(info.id);
      const tc = suite.testCase().className(rel).name(info.fullName).file(rel).time((r?.durationMs ?? 0) / 1000);
      const printed = output.get(info.id);
      if (printed) tc.standardOutput(printed.join(''));
      if (!r) tc.error(fatal ?? 'not run', 'NotRun');
      else if (r.status === 'skipped') tc.skipped();
      else if (r.status === 'failed' && r.failure) {
        tc.failure(r.failure.message, r.failure.expected !== undefined ? 'ExpectationFailed' : 'Error');
        tc.stacktrace(`${failureText(r.failure, root)}${r.failure.stack ? `\n\n${r.failure.stack}` : ''}`);
      }
    }
  }
  builder.writeTo(target);
}
