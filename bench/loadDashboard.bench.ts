/**
 * `npm run bench:load-dashboard`: the Load Test panel's dashboard under a real run at 1,000 calls/s
 * with ~5,000 calls up (hold 5 s), end to end. The test ESL server runs in its own process; the
 * generator is the process the panel forks (dist/loadhost.js); this process plays the extension
 * host: the real LoadTestModel checks the start command, forks the generator and folds its ticks,
 * and its posts reach the real webview bundle (dist/webview/loadTest.js) in Debian's Chromium.
 *
 *   BENCH_DASHBOARD_SECONDS=20 npm run bench:load-dashboard    (default 60 s of offering)
 *   BENCH_DASHBOARD_TRACE=/tmp/dash.json …                       (also a Chrome trace of the window)
 *
 * Measured from the first second of offering to the run's end (offering, then the last calls'
 * hold): every frame's time (gaps between requestAnimationFrame timestamps), the chart frames
 * (per tick, the longer of the two frames in which the view applies the tick and redraws its
 * charts), long tasks, the time the view spends in its chart redraws, the
 * page's main thread (DevTools metrics), and the CPU of this process (the extension host's part:
 * the model, plus Playwright's client, which VS Code would not run), of the generator and of the
 * test server (from /proc), as % of one core. Target (issue 10): chart frame p95 < 50 ms.
 * Exit code 2 when it is missed, or when the run did not reach the rate or the calls up it is for.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { CDPSession } from 'playwright-core';
import { LoadTestModel } from '../src/extension/load/loadTestModel';
import { DEFAULT_LOAD_SETTINGS, isLoadHostReply, type LoadHostRequest, type LoadPhase, type LoadSettings, type LoadTick } from '../src/shared/protocol/loadTest';
import { launchBrowser, openWebview } from '../test/webview/pageHarness';
import { cpuPercent, forkLoadHost, loadAverage, procSample, startLoadServer, type ProcSample } from './loadRig';
import { f0, f1, pageMetrics, pct } from './webviewMetrics';

const SECONDS = Number(process.env['BENCH_DASHBOARD_SECONDS'] ?? 60);
const RATE = 1000;
const HOLD_MS = 5000;
/** Issue 10: chart frame p95 under this. */
const FRAME_TARGET_MS = 50;
const SERVER = 'bench';
/** A file to write a Chrome trace of the measured window to (open it in Perfetto), to see where a slow frame went. */
const TRACE = process.env['BENCH_DASHBOARD_TRACE'];

/** What the page recorded (and forgets once collected). */
interface PageSamples {
  /** Each frame's start (requestAnimationFrame timestamp, page clock). */
  frameAt: number[];
  /** When each tick had been applied by the view (page clock). */
  ticks: number[];
  /** The view's own animation-frame callbacks (its chart redraws), ms each. */
  draws: number[];
  /** Long tasks: start and duration (ms). */
  long: Array<[number, number]>;
}

// The page side. A string, not a function: tsx would wrap named inner functions in a `__name`
// helper the page lacks.
const PAGE_PROBE = `(() => {
  const g = globalThis;
  const raf = g.requestAnimationFrame.bind(g);
  const fresh = () => ({ frameAt: [], ticks: [], draws: [], long: [] });
  g.__s = fresh();
  g.__collect = () => { const s = g.__s; g.__s = fresh(); return s; };
  const loop = (t) => { g.__s.frameAt.push(t); raf(loop); };
  raf(loop);
  g.requestAnimationFrame = (cb) => raf((t) => {
    const s = performance.now();
    try { cb(t); } finally { g.__s.draws.push(performance.now() - s); }
  });
  // Listeners on the target run in the order they were added (capture or not): this one runs once
  // the view's own has applied the tick.
  addEventListener('message', (e) => { if (e.data && e.data.type === 'tick') g.__s.ticks.push(performance.now()); });
  new PerformanceObserver((list) => { for (const e of list.getEntries()) g.__s.long.push([e.startTime, e.duration]); }).observe({ type: 'longtask' });
})()`;

/**
 * Per tick, the longer of the frame that ends after it was applied and the next (the chart
 * redraw's); and every other frame's time, to tell the view's cost from a busy machine's.
 */
function splitFrames(frameAt: number[], ticks: number[]): { chart: number[]; other: number[] } {
  const chart: number[] = [];
  const near = new Set<number>();
  for (const at of ticks) {
    const k = frameAt.findIndex((t) => t >= at);
    if (k < 1 || k + 1 >= frameAt.length) continue;
    chart.push(Math.max(frameAt[k]! - frameAt[k - 1]!, frameAt[k + 1]! - frameAt[k]!));
    near.add(k).add(k + 1);
  }
  const other: number[] = [];
  for (let k = 1; k < frameAt.length; k++) if (!near.has(k)) other.push(frameAt[k]! - frameAt[k - 1]!);
  return { chart, other };
}

/** Ends the trace started in the measured window and writes it to `file`. */
async function writeTrace(cdp: CDPSession, file: string): Promise<void> {
  const complete = new Promise<{ stream?: string }>((resolve) => cdp.once('Tracing.tracingComplete', resolve));
  await cdp.send('Tracing.end');
  const { stream } = await complete;
  if (!stream) throw new Error('the trace came back without a stream');
  const chunks: Buffer[] = [];
  for (;;) {
    const r = await cdp.send('IO.read', { handle: stream, size: 1 << 20 });
    chunks.push(Buffer.from(r.data, r.base64Encoded ? 'base64' : 'utf8'));
    if (r.eof) break;
  }
  await cdp.send('IO.close', { handle: stream });
  writeFileSync(file, Buffer.concat(chunks));
  console.log(`  trace written to ${file}`);
}

const stats = (v: number[]): string => `${f1(pct(v, 50))} / ${f1(pct(v, 95))} / ${f1(Math.max(...v))}`;

async function main(): Promise<void> {
  const load0 = loadAverage();
  const server = await startLoadServer();
  const browser = await launchBrowser({ viewport: { width: 1280, height: 900 } });
  const box: { model?: LoadTestModel } = {};
  const wv = await openWebview(browser, 'loadTest', { onMessage: (m) => box.model?.handle(m) });
  const cdp = await wv.page.context().newCDPSession(wv.page);
  await cdp.send('Performance.enable');
  await wv.page.evaluate(PAGE_PROBE);

  const settings: LoadSettings = {
    ...DEFAULT_LOAD_SETTINGS,
    servers: [SERVER],
    rate: RATE,
    // Room for the calls in setup and hangup beside the ~5,000 held (setup slows on a busy machine):
    // the limit is not what is measured.
    limit: Math.ceil((RATE * (HOLD_MS + 2000)) / 1000),
    durationMs: HOLD_MS,
    runTimeMs: SECONDS * 1000,
    targets: [{ destination: '9664', endpoint: 'loopback/load', app: 'park', weight: 1 }],
  };
  const dir = mkdtempSync(join(tmpdir(), 'fsdev-bench-dashboard-'));
  let child: ChildProcess | undefined;
  let modelNs = 0n;
  let posts = 0;
  const ticks: LoadTick[] = [];
  const gen: ProcSample[] = [];
  const srv: ProcSample[] = [];
  let phaseChanged: () => void = () => undefined;
  const model = (box.model = new LoadTestModel(
    {
      post: (n) => {
        posts++;
        void wv.post(n);
      },
      start: async (s) => {
        const c = (child = forkLoadHost());
        c.on('message', (m: unknown) => {
          if (!isLoadHostReply(m)) return;
          // The generator's and the server's CPU, read at each of its ticks while it surely lives.
          if (m.type === 'tick' && m.tick.second >= 0) {
            gen.push(procSample(c.pid!));
            srv.push(procSample(server.pid));
            ticks.push(m.tick);
          }
          if (m.type === 'warn' || m.type === 'error') console.log(`  generator ${m.type}: ${m.message}`);
          const t = process.hrtime.bigint();
          model.onReply(m);
          modelNs += process.hrtime.bigint() - t;
          phaseChanged();
        });
        c.on('exit', (code) => {
          model.onExit(code);
          phaseChanged();
        });
        c.send({ type: 'start', servers: [{ name: SERVER, host: '127.0.0.1', port: server.port, password: 'ClueCon' }], settings: s, outDir: dir } satisfies LoadHostRequest);
      },
      send: (r) => child?.send(r),
      openTimeline: () => undefined,
      openRunFolder: () => undefined,
    },
    [{ name: SERVER, label: `${SERVER} (127.0.0.1:${server.port})`, connected: true }],
    settings,
  ));
  for (const m of wv.received) model.handle(m);
  const phase = (want: (p: LoadPhase) => boolean): Promise<void> =>
    new Promise((resolve) => {
      phaseChanged = () => want(model.state.phase) && resolve();
      phaseChanged();
    });

  console.log(
    `# bench:load-dashboard: ${RATE} calls/s for ${SECONDS} s, hold ${HOLD_MS / 1000} s, limit ${settings.limit}; Chromium ${browser.context.browser()?.version() ?? ''}; ` +
      `node ${process.version}; ${cpus().length} cores; load average ${load0} at the start`,
  );
  // The start command the form's Start button posts.
  model.handle({ type: 'start', settings });
  await phase((p) => p !== 'connecting');
  if (model.state.phase !== 'originating') throw new Error(`the run did not start: phase ${model.state.phase}${model.state.error ? `, ${model.state.error}` : ''}`);
  await wv.page.evaluate('globalThis.__collect()');
  if (TRACE) {
    const categories = ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'disabled-by-default-devtools.timeline.frame', 'blink', 'cc', 'viz', 'gpu'];
    await cdp.send('Tracing.start', { transferMode: 'ReturnAsStream', traceConfig: { includedCategories: categories } });
  }
  const m0 = await pageMetrics(cdp);
  const host0 = process.cpuUsage();
  const wall0 = performance.now();
  const modelNs0 = modelNs;
  const posts0 = posts;
  await phase((p) => p === 'stopped' || p === 'failed');
  const wallS = (performance.now() - wall0) / 1000;
  const host = process.cpuUsage(host0);
  const m1 = await pageMetrics(cdp);
  const page = (await wv.page.evaluate('globalThis.__collect()')) as PageSamples;
  if (TRACE) await writeTrace(cdp, TRACE);
  const record = await server.ask({ type: 'record' });
  const load1 = loadAverage();

  const t = model.state.totals!;
  const { chart, other } = splitFrames(page.frameAt, page.ticks);
  const over = (v: number[]): string => `${v.filter((ms) => ms > FRAME_TARGET_MS).length} of ${v.length}`;
  const long = page.long.map(([, ms]) => ms);
  const offering = ticks.filter((k) => k.second < SECONDS);
  const achieved = offering.length ? offering.reduce((a, k) => a + k.offered, 0) / offering.length : NaN;
  const peakUp = Math.max(...ticks.map((k) => k.concurrent));
  const perS = (ms: number): string => `${f0(ms / wallS)} ms/s`;
  const rows: Array<[string, string]> = [
    ['run', `${t.offered.toLocaleString('en-US')} offered, ${t.answered.toLocaleString('en-US')} answered, ${t.failed} failed, ${t.notOffered} not offered; ${f1(achieved)} offered/s over the ${offering.length} s of offering`],
    ['calls up (peak)', `generator ${peakUp.toLocaleString('en-US')}, server ${record?.peakUp.toLocaleString('en-US') ?? 'n/a'}; setup p95 ${t.setupP95 === null ? 'n/a' : `${f0(t.setupP95)} ms`}`],
    ['measured', `${f1(wallS)} s: offering, then the last calls' hold; ${page.ticks.length} ticks drawn, ${posts - posts0} posts`],
    ['chart frames p50 / p95 / max', `${stats(chart)} ms (per tick, the frame applying it or the next, redrawing the charts; target p95 < ${FRAME_TARGET_MS} ms)`],
    ['other frames p50 / p95 / max', `${stats(other)} ms (every frame not next to a tick)`],
    [`frames over ${FRAME_TARGET_MS} ms`, `${over(chart)} chart frames, ${over(other)} other frames`],
    ['long tasks (> 50 ms)', `${long.length}, longest ${f1(Math.max(0, ...long))} ms`],
    ['view: chart redraw p50 / p95 / max', `${stats(page.draws)} ms (${page.draws.length} redraws)`],
    ['page main thread', `${perS((m1.task - m0.task) * 1000)} busy: script ${perS((m1.script - m0.script) * 1000)}, style and layout ${perS((m1.layout - m0.layout + m1.style - m0.style) * 1000)}`],
    ['extension host part (this process)', `${f1(((host.user + host.system) / 1000 / (wallS * 1000)) * 100)} % of a core (model ${f1(Number(modelNs - modelNs0) / 1e6 / wallS)} ms/s; the rest Playwright's client)`],
    ['generator (dist/loadhost.js)', `${f1(cpuPercent(gen[0]!, gen.at(-1)!))} % of a core, RSS ${f0(gen.at(-1)!.rssBytes / 1024 / 1024)} MB`],
    ['test ESL server', `${f1(cpuPercent(srv[0]!, srv.at(-1)!))} % of a core`],
    ['load average', `${load0} at the start, ${load1} at the end (1, 5, 15 min)`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);

  const targets: Array<[string, boolean]> = [
    [`conditions: offered rate within 2 % of ${RATE}/s`, Math.abs(achieved - RATE) / RATE <= 0.02],
    ['conditions: at least 4,750 calls up at the peak', peakUp >= 4750],
    [`chart frame p95 < ${FRAME_TARGET_MS} ms`, pct(chart, 95) < FRAME_TARGET_MS],
  ];
  console.log('Targets:');
  for (const [what, met] of targets) console.log(`  ${met ? 'met   ' : 'MISSED'} ${what}`);
  if (targets.some(([, met]) => !met)) process.exitCode = 2;

  await browser.close();
  server.stop();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
