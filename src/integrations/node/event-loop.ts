/**
 * `node:eventloop:*`: event-loop delay (a perf_hooks histogram) and utilisation, sampled every
 * `sampleIntervalMs` (session option `node.sampleIntervalMs`, default 1000; the smallest of the
 * recording sessions' wins). The interval timer is unref'd: it never keeps the process alive.
 */
import { createHistogram, performance, type EventLoopUtilization, type RecordableHistogram } from 'node:perf_hooks';
import { marker } from '../../marker/index.js';
import { type NodeSource } from './source.js';

/**
 * The delay is the time between two ticks of a timer of this period, as monitorEventLoopDelay
 * measures it. Its ticks are ours (not monitorEventLoopDelay's own timer): a sample first
 * records the tick a block has delayed, which perf_hooks' reset() would otherwise forget when
 * its timer had not run yet.
 */
const RESOLUTION_MS = 10;

function declare() {
  return {
    delay: marker('node:eventloop:delay', 'interval_ms %u samples %u min_ns %lu mean_ns %lu p50_ns %lu p99_ns %lu max_ns %lu'),
    utilization: marker('node:eventloop:utilization', 'interval_ms %u utilization %f active_ms %f idle_ms %f'),
  };
}
let m: ReturnType<typeof declare>;

let histogram: RecordableHistogram | null = null;
let ticker: NodeJS.Timeout | null = null;
let timer: NodeJS.Timeout | null = null;
let lastUtilization: EventLoopUtilization | null = null;
let intervalMs = 1000;
let lastSampleMs = 0;
let lastTickMs = 0;

function tick(): void {
  const now = performance.now();
  histogram?.record(Math.max(1, Math.round((now - lastTickMs) * 1e6)));
  lastTickMs = now;
}

function sample(): void {
  const now = performance.now();
  if (now - lastTickMs >= RESOLUTION_MS) tick();
  const elapsedMs = Math.round(now - lastSampleMs);
  lastSampleMs = now;
  if (histogram !== null && m.delay.enabled) {
    const h = histogram;
    const count = h.count;
    // An empty histogram reports min = 2^63: say 0 instead.
    if (count === 0) m.delay(elapsedMs, 0, 0, 0, 0, 0, 0);
    else m.delay(elapsedMs, count, h.min, Math.round(h.mean), h.percentile(50), h.percentile(99), h.max);
    h.reset();
  }
  const current = performance.eventLoopUtilization();
  if (lastUtilization !== null && m.utilization.enabled) {
    const delta = performance.eventLoopUtilization(current, lastUtilization);
    m.utilization(elapsedMs, delta.utilization, delta.active, delta.idle);
  }
  lastUtilization = current;
}

function schedule(): void {
  if (timer !== null) clearInterval(timer);
  timer = setInterval(sample, intervalMs);
  timer.unref();
}

export const eventLoopSource: NodeSource = {
  name: 'eventloop',
  names: ['node:eventloop:delay', 'node:eventloop:utilization'],
  available: () => typeof createHistogram === 'function' && typeof performance.eventLoopUtilization === 'function',
  declare() {
    m = declare();
    return Object.values(m);
  },
  start() {
    if (timer !== null) return;
    histogram = createHistogram();
    lastUtilization = performance.eventLoopUtilization();
    lastSampleMs = lastTickMs = performance.now();
    ticker = setInterval(tick, RESOLUTION_MS);
    ticker.unref();
    schedule();
  },
  stop() {
    if (timer !== null) clearInterval(timer);
    if (ticker !== null) clearInterval(ticker);
    timer = ticker = null;
    histogram = null;
    lastUtilization = null;
  },
};

/** Changes the sampling interval (restarting the timer when it runs). */
export function setSampleInterval(ms: number): void {
  if (ms === intervalMs) return;
  intervalMs = ms;
  if (timer !== null) schedule();
}
