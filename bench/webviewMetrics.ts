/**
 * Measuring a webview page in Chromium, shared by the webview benchmarks: percentiles of frame
 * samples, and the page's main-thread and memory figures from the DevTools protocol.
 */
import type { CDPSession } from 'playwright-core';

/** The p-th percentile (0–100) of the values; NaN when there are none. */
export function pct(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const f0 = (n: number): string => (Number.isFinite(n) ? n.toFixed(0) : 'n/a');
export const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');

export interface PageMetrics {
  /** JS heap used, bytes. */
  heap: number;
  nodes: number;
  /** Seconds of script, layout, style recalculation and all main-thread tasks since the page loaded. */
  script: number;
  layout: number;
  style: number;
  task: number;
}

/** The page's Performance.getMetrics (enable the Performance domain first). */
export async function pageMetrics(cdp: CDPSession): Promise<PageMetrics> {
  const r = (await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> };
  const get = (n: string): number => r.metrics.find((m) => m.name === n)?.value ?? 0;
  return { heap: get('JSHeapUsedSize'), nodes: get('Nodes'), script: get('ScriptDuration'), layout: get('LayoutDuration'), style: get('RecalcStyleDuration'), task: get('TaskDuration') };
}
