/**
 * The dialplan language features on a 5,000-line dialplan file inside the fixture configuration
 * tree (test/fixtures/fs-conf): completion latency at many positions and kinds of position, and
 * the time to give a changed file its diagnostics. Measured on the pure functions the VS Code
 * providers call (plus the model rebuild an edit causes), in one process.
 *
 *   npm run bench:dialplan       (targets: completion p95 < 50 ms; diagnostics < 200 ms)
 */
import { ConfModel, ParseCache, parseConfFile } from '../src/extension/dialplan/confModel';
import { complete, diagnose, shippedCatalog, type DocContext } from '../src/extension/dialplan/languageService';
import { mapSnapshot } from '../src/extension/dialplan/preprocess';
import { FIXTURE_CONF, readTree } from '../test/support/confTree';

const LINES = 5_000;
const SAMPLES = Number(process.env['BENCH_SAMPLES'] ?? 400);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 30);

/** The fixture's default context, extension after extension with new names, to LINES lines. */
function bigDialplan(files: Map<string, string>): string {
  const source = files.get(`${FIXTURE_CONF}/dialplan/default.xml`)!;
  const body = source.slice(source.indexOf('<extension name="global-intercept">'), source.indexOf('<!-- More extensions'));
  const out = ['<include>'];
  const lines = body.split('\n').length;
  for (let i = 0; out.length + lines < LINES; i++) out.push(...body.replace(/<extension name="([^"]+)"/g, `<extension name="$1_${i}"`).split('\n'));
  while (out.length < LINES - 1) out.push('  <!-- padding -->');
  out.push('</include>');
  return out.join('\n');
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function stats(values: readonly number[]): { p50: number; p95: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p95: percentile(s, 95), max: s[s.length - 1]! };
}

const ms = (n: number): string => `${n.toFixed(1)} ms`;

function main(): void {
  const files = readTree();
  const path = `${FIXTURE_CONF}/dialplan/default/99_big.xml`;
  const text = bigDialplan(files);
  files.set(path, text);
  const cache = new ParseCache();
  let model = new ConfModel(FIXTURE_CONF, mapSnapshot(files), cache);
  const catalog = shippedCatalog();

  // Positions of each kind, spread over the file: application values, attribute names, element
  // names, ${variables}, $${globals}, field values.
  const kinds: Array<{ kind: string; re: RegExp; delta: number }> = [
    { kind: 'application', re: /application="/g, delta: 'application="'.length },
    { kind: 'attribute name', re: /<action /g, delta: '<action '.length },
    { kind: 'element name', re: /\n\s*<condition/g, delta: -1 },
    { kind: '${variable}', re: /\$\{domain_name/g, delta: 2 },
    { kind: '$${global}', re: /\$\$\{hold_music/g, delta: 3 },
    { kind: 'field', re: /field="/g, delta: 'field="'.length },
  ];
  const positions: Array<{ kind: string; offset: number }> = [];
  for (const k of kinds) {
    const all = [...text.matchAll(k.re)].map((m) => m.index! + (k.delta < 0 ? m[0].length : k.delta));
    const step = Math.max(1, Math.floor(all.length / Math.ceil(SAMPLES / kinds.length)));
    for (let i = 0; i < all.length; i += step) positions.push({ kind: k.kind, offset: k.kind === 'element name' ? all[i]! - 'condition'.length : all[i]! });
  }
  const ctx = (): DocContext => ({ path, model, catalog });

  // Warm up the JIT as a session of typing would.
  for (const p of positions.slice(0, 50)) complete(ctx(), text, p.offset);

  // Completion as the provider runs it: the model as it is, the whole document text.
  const completion: number[] = [];
  const byKind = new Map<string, number[]>();
  let offered = 0;
  for (const p of positions) {
    const t = performance.now();
    offered += complete(ctx(), text, p.offset).length;
    const d = performance.now() - t;
    completion.push(d);
    byKind.set(p.kind, [...(byKind.get(p.kind) ?? []), d]);
  }

  // A keystroke, then completion: the edited file is parsed again and the model rebuilt (the
  // provider's worst case: the rebuild is otherwise coalesced per 120 ms).
  const typed: number[] = [];
  for (let i = 0; i < Math.min(60, positions.length); i++) {
    const p = positions[(i * 7) % positions.length]!;
    const edited = `${text.slice(0, p.offset)}x${text.slice(p.offset)}`;
    files.set(path, edited);
    const t = performance.now();
    model = new ConfModel(FIXTURE_CONF, mapSnapshot(files), cache);
    complete(ctx(), edited, p.offset + 1);
    typed.push(performance.now() - t);
  }
  files.set(path, text);
  model = new ConfModel(FIXTURE_CONF, mapSnapshot(files), cache);

  // Diagnostics of the 5,000-line file after a change: parse it, then every check.
  const diagnostics: number[] = [];
  let problems = 0;
  for (let i = 0; i < RUNS; i++) {
    const changed = `${text}<!-- ${i} -->`;
    const t = performance.now();
    const file = parseConfFile(path, changed);
    problems = diagnose(ctx(), file).length;
    diagnostics.push(performance.now() - t);
  }

  const c = stats(completion);
  const k = stats(typed);
  const d = stats(diagnostics);
  console.log(`dialplan language features, ${text.split('\n').length} lines (${(text.length / 1024).toFixed(0)} KB) in the fixture tree, Node ${process.version}`);
  console.log(`completion, ${completion.length} positions: p50 ${ms(c.p50)}, p95 ${ms(c.p95)}, max ${ms(c.max)} (target p95 < 50 ms); ${Math.round(offered / completion.length)} items on average`);
  for (const [kind, values] of byKind) {
    const s = stats(values);
    console.log(`  ${kind.padEnd(15)} p50 ${ms(s.p50)}, p95 ${ms(s.p95)}`);
  }
  console.log(`keystroke + model rebuild + completion, ${typed.length} edits: p50 ${ms(k.p50)}, p95 ${ms(k.p95)}, max ${ms(k.max)}`);
  console.log(`diagnostics (parse + checks) of the changed file, ${RUNS} runs: p50 ${ms(d.p50)}, p95 ${ms(d.p95)}, max ${ms(d.max)} (target < 200 ms); ${problems} problems`);
  const ok = c.p95 < 50 && d.max < 200;
  console.log(ok ? 'within targets' : 'OVER TARGET');
  process.exitCode = ok ? 0 : 1;
}

main();
