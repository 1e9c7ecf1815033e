/**
 * `npm run bench:webview`: the event stream under load, end to end. The test ESL server (its own
 * process) emits events; our EventListener receives them, the host-side EventStreamModel batches
 * them, and the real webview bundle renders them in Debian's Chromium.
 *
 *   Phase 1: 200 events/s for BENCH_LATENCY_SECONDS (default 20): event-to-screen latency, from
 *            Event-Date-Timestamp to the first frame after the row was put in the DOM. It runs
 *            first, on a quiet page, so no backlog of the load phase can pollute it.
 *   Phase 2: 5,000 events/s for BENCH_SECONDS (default 60): p95 frame time, input latency, page
 *            memory (JS heap and DOM nodes after a forced GC), dropped and lost counts, host CPU.
 * After each phase the pipeline is drained (every emitted event received, the model flushed, every
 * post delivered, a frame painted) before anything is measured.
 *
 * Exits 0 whatever the numbers say; non-zero only if a measurement crashed.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { EventListener } from '../src/core/listener';
import { EventStreamModel, StreamSubscriptions } from '../src/extension/webviews/eventStreamModel';
import type { EventStreamNotification } from '../src/shared/protocol/eventStream';
import { launchBrowser, openWebview } from '../test/webview/pageHarness';

const LOAD_SECONDS = Number(process.env['BENCH_SECONDS'] ?? 60);
const LATENCY_SECONDS = Number(process.env['BENCH_LATENCY_SECONDS'] ?? 20);
const LOAD_RATE = 5000;
const LATENCY_RATE = 200;

type PageGlobals = {
  __frames: number[];
  __latencies: number[];
  __track: boolean;
  __ts: Map<number, number>;
  postMessage(m: unknown, t: string): void;
  document: { getElementById(id: string): unknown; querySelectorAll(s: string): { length: number } };
};

function pct(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function main(): Promise<void> {
  const server = fork(join(__dirname, 'webviewServer.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve) => server.once('message', (m: { port: number }) => resolve(m.port)));
  const browser = await launchBrowser({ viewport: { width: 1280, height: 800 } });
  // Assigned once the page exists; the page's messages reach it through this box.
  const box: { model?: EventStreamModel } = {};
  const wv = await openWebview(browser, 'eventStream', { onMessage: (m) => box.model?.handle(m) });
  const page = wv.page;
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');

  // Host → page, in order, recording each row's event time for the latency probe.
  let chain: Promise<unknown> = Promise.resolve();
  let posting = 0;
  const post = (m: EventStreamNotification): void => {
    posting++;
    chain = chain
      .then(() =>
        page.evaluate((msg) => {
          const g = globalThis as unknown as PageGlobals;
          if (g.__track && 'rows' in msg) for (const r of msg.rows) g.__ts.set(r.seq, r.timeUs / 1000);
          g.postMessage(msg, '*');
        }, m),
      )
      .finally(() => posting--);
  };
  const model = (box.model = new EventStreamModel({ bufferSize: 10_000, server: `bench (127.0.0.1:${port})`, post }));
  for (const m of wv.received) model.handle(m);

  // Frame times (rAF deltas) and, when tracking, first-paint latency of each new row.
  // A string, not a function: tsx would wrap named inner functions in a `__name` helper the page lacks.
  await page.evaluate(`(() => {
    const g = globalThis;
    g.__frames = [];
    g.__latencies = [];
    g.__track = false;
    g.__ts = new Map();
    let last = 0;
    const loop = (t) => {
      if (last) g.__frames.push(t - last);
      last = t;
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
    const seen = new Set();
    new MutationObserver((records) => {
      if (!g.__track) return;
      const fresh = [];
      for (const r of records)
        for (const n of r.addedNodes) {
          const seq = Number(n.dataset && n.dataset.seq);
          if (seq && !seen.has(seq) && g.__ts.has(seq)) {
            seen.add(seq);
            fresh.push(seq);
          }
        }
      if (fresh.length === 0) return;
      // The next frame starts after this one was painted.
      requestAnimationFrame(() => {
        const now = performance.timeOrigin + performance.now();
        for (const seq of fresh) g.__latencies.push(now - g.__ts.get(seq));
      });
    }).observe(document.getElementById('rows'), { childList: true });
  })()`);

  const listener = new EventListener({ host: '127.0.0.1', port, password: 'ClueCon' });
  await listener.connect();
  const subs = new StreamSubscriptions(listener.connection);
  await subs.apply([]);
  let ingestNs = 0n;
  // Resolved when the model has received `target` events in total (event-driven drain).
  let receivedWaiter: { target: number; resolve(): void } | undefined;
  listener.onDidReceiveEvent((e) => {
    const t = process.hrtime.bigint();
    model.ingest(e);
    ingestNs += process.hrtime.bigint() - t;
    if (receivedWaiter && model.stats.received >= receivedWaiter.target) {
      receivedWaiter.resolve();
      receivedWaiter = undefined;
    }
  });
  /** Waits until `total` events were received (or `timeoutMs`), flushes the model, and waits for every post and a painted frame. */
  async function drain(total: number, timeoutMs = 30_000): Promise<boolean> {
    let all = model.stats.received >= total;
    if (!all) {
      all = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        receivedWaiter = {
          target: total,
          resolve: () => {
            clearTimeout(timer);
            resolve(true);
          },
        };
      });
    }
    model.flush();
    // The chain grows while we wait; wait until it stops growing.
    for (let c = chain; ; c = chain) {
      await c;
      if (c === chain && posting === 0) break;
    }
    await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
    return all;
  }

  await cdp.send('HeapProfiler.enable');
  /** JS heap and DOM nodes after a forced garbage collection: what the page really keeps. */
  async function retained(): Promise<{ heap: number; nodes: number }> {
    await cdp.send('HeapProfiler.collectGarbage');
    await cdp.send('HeapProfiler.collectGarbage');
    return metrics();
  }

  async function metrics(): Promise<{ heap: number; nodes: number }> {
    const r = (await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> };
    const get = (n: string): number => r.metrics.find((m) => m.name === n)?.value ?? 0;
    return { heap: get('JSHeapUsedSize'), nodes: get('Nodes') };
  }

  async function phase(rate: number, seconds: number, opts: { probeInput: boolean; track: boolean; gcEvery?: number }) {
    await page.evaluate((track) => {
      const g = globalThis as unknown as PageGlobals;
      g.__frames = [];
      g.__latencies = [];
      g.__track = track;
    }, opts.track);
    const startGc = opts.gcEvery ? await retained() : undefined;
    const before = { received: model.stats.received, dropped: model.stats.dropped, posts: model.posts, cpu: process.cpuUsage(), ingestNs, wall: performance.now() };
    const done = new Promise<number>((resolve) => server.once('message', (m: { emitted: number }) => resolve(m.emitted)));
    server.send({ rate, seconds });
    const heaps: number[] = [];
    const nodes: number[] = [];
    const gcSamples: Array<{ t: number; heap: number; nodes: number }> = [];
    const inputMs: number[] = [];
    let finished = false;
    let lastGc = performance.now();
    void done.then(() => (finished = true));
    while (!finished) {
      await Promise.race([done, new Promise((r) => setTimeout(r, 2000))]);
      if (finished) break;
      const m = await metrics();
      heaps.push(m.heap);
      nodes.push(m.nodes);
      if (opts.gcEvery && performance.now() - lastGc >= opts.gcEvery * 1000) {
        lastGc = performance.now();
        const g = await retained();
        gcSamples.push({ t: (performance.now() - before.wall) / 1000, ...g });
      }
      if (opts.probeInput) {
        // A real key press in the list (End: select the newest row): time until the page has drawn
        // the selection and its detail pane, measured in the page from the keydown event's
        // timestamp (when the browser received the input) to the frame after the detail shows.
        await page.focus('#list');
        await page.evaluate(`globalThis.__probe = new Promise((resolve) => {
          const list = document.getElementById('list');
          const deadline = performance.now() + 5000;
          list.addEventListener('keydown', (e) => {
            const t0 = e.timeStamp;
            const check = () => {
              const title = document.getElementById('detail-title');
              if (!document.getElementById('detail').hidden && title.textContent !== '') {
                requestAnimationFrame(() => resolve(performance.now() - t0));
              } else if (performance.now() > deadline) resolve(-1);
              else requestAnimationFrame(check);
            };
            requestAnimationFrame(check);
          }, { once: true });
        }); undefined`);
        await page.keyboard.press('End');
        const ms = await page.evaluate('globalThis.__probe');
        inputMs.push(typeof ms === 'number' && ms >= 0 ? ms : Infinity);
        await page.keyboard.press('Escape');
      }
    }
    const emitted = await done;
    const complete = await drain(before.received + emitted);
    const endGc = opts.gcEvery ? await retained() : undefined;
    if (endGc) gcSamples.push({ t: (performance.now() - before.wall) / 1000, ...endGc });
    const wall = (performance.now() - before.wall) / 1000;
    const cpu = process.cpuUsage(before.cpu);
    const page_ = await page.evaluate(() => {
      const g = globalThis as unknown as PageGlobals;
      return { frames: g.__frames, latencies: g.__latencies, rows: g.document.querySelectorAll('#rows .row').length };
    });
    const received = model.stats.received - before.received;
    return {
      rate,
      seconds,
      emitted,
      received,
      lost: emitted - received,
      dropped: model.stats.dropped - before.dropped,
      posts: model.posts - before.posts,
      wall,
      hostCpuPct: ((cpu.user + cpu.system) / 1000 / (wall * 1000)) * 100,
      ingestMsPerSec: Number(ingestNs - before.ingestNs) / 1e6 / wall,
      frameP50: pct(page_.frames, 50),
      frameP95: pct(page_.frames, 95),
      frameMax: Math.max(...page_.frames),
      latencyP50: pct(page_.latencies, 50),
      latencyP95: pct(page_.latencies, 95),
      latencyN: page_.latencies.length,
      heapMax: Math.max(...heaps),
      heapLast: heaps[heaps.length - 1] ?? 0,
      nodesMax: Math.max(...nodes),
      rowsInDom: page_.rows,
      inputP95: pct(inputMs, 95),
      inputN: inputMs.length,
      inputMissed: inputMs.filter((v) => !Number.isFinite(v)).length,
      complete,
      startGc,
      gcSamples,
      hostRss: process.memoryUsage().rss,
    };
  }

  console.log(`# bench:webview — load ${LOAD_RATE}/s × ${LOAD_SECONDS} s, latency ${LATENCY_RATE}/s × ${LATENCY_SECONDS} s; buffer 10,000; Chromium ${browser.context.browser()?.version() ?? ''}`);
  const lat = await phase(LATENCY_RATE, LATENCY_SECONDS, { probeInput: false, track: true });
  await page.evaluate('globalThis.__track = false; globalThis.__ts.clear()');
  const load = await phase(LOAD_RATE, LOAD_SECONDS, { probeInput: true, track: false, gcEvery: 20 });

  console.log('');
  console.log(`Load: ${load.rate} events/s for ${load.seconds} s`);
  console.log(`  events      emitted ${load.emitted}, received ${load.received}, lost ${load.lost}; dropped from the 10,000 buffer (counted and shown) ${load.dropped}`);
  console.log(`  batching    ${load.posts} posts to the webview in ${f1(load.wall)} s (${f1(load.posts / load.wall)}/s)`);
  console.log(`  frames      p50 ${f1(load.frameP50)} ms, p95 ${f1(load.frameP95)} ms, max ${f1(load.frameMax)} ms   (target p95 < 50 ms)`);
  console.log(`  input       End key → newest row selected and its details drawn: p95 ${f1(load.inputP95)} ms over ${load.inputN} probes, ${load.inputMissed} not drawn within 5 s`);
  const gc = load.gcSamples.map((g) => `${f1(g.t)} s: ${mb(g.heap)} / ${g.nodes} nodes`).join('; ');
  console.log(`  page memory after forced GC: before load ${load.startGc ? `${mb(load.startGc.heap)} / ${load.startGc.nodes} nodes` : 'n/a'}; ${gc}`);
  console.log(`              without GC (garbage included): JS heap max ${mb(load.heapMax)}, DOM nodes max ${load.nodesMax}; rows in DOM ${load.rowsInDom}`);
  if (!load.complete || !lat.complete) console.log(`  WARNING: a phase did not drain within 30 s (load ${load.complete}, latency ${lat.complete})`);
  console.log(`  host        CPU ${f1(load.hostCpuPct)} % of one core (ESL client + model + Playwright transport); model ingest ${f1(load.ingestMsPerSec)} ms per s; RSS ${mb(load.hostRss)}`);
  console.log(`Latency: ${lat.rate} events/s for ${lat.seconds} s`);
  console.log(`  event → row painted: p50 ${f1(lat.latencyP50)} ms, p95 ${f1(lat.latencyP95)} ms over ${lat.latencyN} rows   (target p95 < 100 ms)`);
  console.log(`  frames p95 ${f1(lat.frameP95)} ms; lost ${lat.lost}; host CPU ${f1(lat.hostCpuPct)} %`);

  await subs.release().catch(() => undefined);
  await listener.disconnect();
  model.dispose();
  await browser.close();
  server.send('stop');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
