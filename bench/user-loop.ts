/**
 * The hot path measured as a user would write it: one plain function calling one marker in a
 * loop, its callers and the marker declared at module level, and 100 cycles of
 * `new Session` + enable + start + stop + close and of `attach`/detach while that loop is hot.
 *
 * `node dist/bench/user-loop.js GROUP` runs one group in this process and prints one JSON line.
 * Each group runs in a process of its own (bench/user-loop-runs.ts starts them): the JIT history
 * of one case must not decide the figures of the next. Within the process, the case and its
 * reference (the empty loop, or one `performance.now()` per iteration) run interleaved, pair by
 * pair, and the ratio quoted is the median of the pairs' ratios: on a loaded machine a pair sees
 * the same load, consecutive blocks do not.
 *
 * Every loop's `sum` starts as a double (`0.5`): on Node 26 (V8 14) a loop whose `let sum = 0`
 * outgrows a small integer (after ~46,000 iterations) runs at ~4.4 ns per iteration, whatever it
 * does, against ~0.85 ns on Node 20–24. With that loop as the reference, the marker's cost on
 * Node 26 was hidden (BENCHMARKS.md, "A loop that V8 14 compiles slowly").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { marker, Session } from '../src/index.js';

// ---- what a user writes ---------------------------------------------------------------------
const request = marker('app:request', 'a %d b %d c %ld s %s');

function handleAll(n: number): number {
  let sum = 0.5;
  for (let i = 0; i < n; i++) {
    sum += i;
    request(i, i, i, 'hello');
  }
  return sum;
}

/** The guard the docs recommend for costly arguments. */
function handleAllGuarded(n: number): number {
  let sum = 0.5;
  for (let i = 0; i < n; i++) {
    sum += i;
    if (request.enabled) request(i, i, i, 'hello');
  }
  return sum;
}
// ---------------------------------------------------------------------------------------------

function emptyLoop(n: number): number {
  let sum = 0.5;
  for (let i = 0; i < n; i++) sum += i;
  return sum;
}

function clockLoop(n: number): number {
  let sum = 0.5;
  for (let i = 0; i < n; i++) sum += performance.now();
  return sum;
}

let gcCount = 0;
new PerformanceObserver((list) => { gcCount += list.getEntries().length; }).observe({ entryTypes: ['gc'] });
// GC entries reach the observer asynchronously: wait long enough that each GC is counted in the
// run it happened in, not in the next one.
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 10));

interface PairedResult {
  name: string;
  reference: string;
  /** Median of the per-pair ratios case / reference. */
  ratio: number;
  minRatio: number;
  maxRatio: number;
  caseNs: number;
  referenceNs: number;
  /** GCs seen while the case ran, and while the reference ran (same number of iterations). */
  caseGcs: number;
  referenceGcs: number;
  caseHeapGrowthKiB: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function timeNs(loop: (n: number) => number, n: number): number {
  const start = process.hrtime.bigint();
  loop(n);
  return Number(process.hrtime.bigint() - start) / n;
}

/** Runs the case and its reference alternately, `pairs` times, each `n` iterations. */
async function paired(name: string, loop: (n: number) => number, reference: string, refLoop: (n: number) => number, n: number, pairs = 9): Promise<PairedResult> {
  // Steady state: let V8 finish tiering up both loops (and the fire function) first.
  for (let k = 0; k < 3; k++) { loop(n); refLoop(n); }
  await new Promise((resolve) => setTimeout(resolve, 100));
  const ratios: number[] = [];
  const caseNs: number[] = [];
  const refNs: number[] = [];
  let caseGcs = 0;
  let referenceGcs = 0;
  let caseHeapGrowth = 0;
  for (let p = 0; p < pairs; p++) {
    // Alternate which runs first, so that neither always follows the other.
    const order = p % 2 === 0 ? [true, false] : [false, true];
    let c = 0;
    let r = 0;
    for (const isCase of order) {
      await settle();
      const gcBefore = gcCount;
      const heapBefore = process.memoryUsage().heapUsed;
      const ns = timeNs(isCase ? loop : refLoop, n);
      const heapAfter = process.memoryUsage().heapUsed;
      await settle();
      if (isCase) { c = ns; caseGcs += gcCount - gcBefore; caseHeapGrowth += Math.max(0, heapAfter - heapBefore); }
      else { r = ns; referenceGcs += gcCount - gcBefore; }
    }
    caseNs.push(c);
    refNs.push(r);
    ratios.push(c / r);
  }
  return {
    name,
    reference,
    ratio: median(ratios),
    minRatio: Math.min(...ratios),
    maxRatio: Math.max(...ratios),
    caseNs: median(caseNs),
    referenceNs: median(refNs),
    caseGcs,
    referenceGcs,
    caseHeapGrowthKiB: Math.round(caseHeapGrowth / pairs / 1024),
  };
}

/** While `loop` is hot: 100 sessions recording it, then 100 probes attached and detached. */
async function cycles(loop: (n: number) => number = handleAll): Promise<void> {
  let seen = 0;
  for (let k = 0; k < 5; k++) loop(200_000);
  for (let cycle = 0; cycle < 100; cycle++) {
    const session = new Session({ channels: { default: { mode: 'overwrite', subbufSize: 65536, subbufCount: 4 } } });
    session.enable('app:*');
    session.start();
    loop(20_000);
    session.stop();
    await session.close();
    loop(200_000);
    const detach = request.attach((a) => { seen += a; });
    loop(20_000);
    detach();
    loop(200_000);
  }
  if (seen < 0) console.error(seen);
}

const DISABLED_N = 10_000_000;
const ENABLED_N = 500_000;
const overwrite = { channels: { default: { mode: 'overwrite' as const } } };

const groups: Record<string, () => Promise<PairedResult>> = {
  async fresh() {
    for (let k = 0; k < 5; k++) handleAll(200_000);
    return paired('marker disabled, never enabled', handleAll, 'empty loop', emptyLoop, DISABLED_N);
  },
  async cycles() {
    await cycles();
    return paired('marker disabled after 100 session and 100 attach cycles', handleAll, 'empty loop', emptyLoop, DISABLED_N);
  },
  async guarded() {
    // The guarded loop itself runs while the sessions record, as a user's would.
    await cycles(handleAllGuarded);
    return paired('marker disabled, guarded by `if (marker.enabled)`, after the cycles', handleAllGuarded, 'empty loop', emptyLoop, DISABLED_N);
  },
  async enabled() {
    await cycles();
    const session = new Session(overwrite).enable('app:request').start();
    const result = await paired('marker enabled (overwrite ring), after the cycles', handleAll, 'performance.now()', clockLoop, ENABLED_N);
    await session.close();
    return result;
  },
  async enabledFresh() {
    const session = new Session(overwrite).enable('app:request').start();
    const result = await paired('marker enabled (overwrite ring), first session', handleAll, 'performance.now()', clockLoop, ENABLED_N);
    await session.close();
    return result;
  },
  async filtered() {
    await cycles();
    const session = new Session(overwrite).enable('app:request', { filter: 'a > 1000000000' }).start();
    const result = await paired('marker enabled, filter `a > 1000000000` rejecting all, after the cycles', handleAll, 'performance.now()', clockLoop, ENABLED_N);
    await session.close();
    return result;
  },
  async disk() {
    await cycles();
    const base = mkdtempSync(join(tmpdir(), 'tracemark-userloop-'));
    const session = new Session({ output: join(base, 'trace') }).enable('app:request').start();
    const result = await paired('marker enabled, to disk (default channel, discard), after the cycles', handleAll, 'performance.now()', clockLoop, ENABLED_N);
    await session.close();
    const stats = session.stats().channels.default;
    rmSync(base, { recursive: true, force: true });
    return { ...result, name: `${result.name}; lost ${stats.discarded} of ${stats.written + stats.discarded}` };
  },
};

const group = groups[process.argv[2] ?? ''];
if (group === undefined) {
  console.error(`usage: user-loop.js ${Object.keys(groups).join('|')}`);
  process.exit(2);
}
console.log(JSON.stringify(await group()));
