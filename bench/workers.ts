/**
 * Issue 7 benchmarks (BENCHMARKS.md, "Worker threads and processes"), one command:
 *   npm run build && node dist/bench/workers.js [--quick]
 *  1. Throughput: 1 and 2 worker threads x 5M events each into a session of the main thread,
 *     events/s per thread against the main thread alone in the same run (interleaved, repeated),
 *     and the events lost with the default buffers (4 x 1 MiB per thread).
 *  2. Marker cost inside a worker and in the main thread, each next to its thread's empty loop:
 *     disabled, and enabled into a session of the main thread.
 *  3. The cross-process clock error: two processes started with record's shared time base (and,
 *     for comparison, without it) fire samples bracketed by process.hrtime (CLOCK_MONOTONIC, the
 *     same clock in every process); the trace's timestamp of each sample, read back from disk,
 *     minus the common clock gives each process's offset; the error is their difference.
 * Timings are noisy on a loaded host: the load average is printed with the tables.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { marker, readTraceInfoSync, readTraceSync, Session } from '../src/index.js';
import { CLOCK_EPOCH_ENV, epochMinusMonotonicNs } from '../src/ring/clock.js';
import { measure, type Measure } from './harness.js';

const SELF = fileURLToPath(import.meta.url);
const QUICK = process.argv.includes('--quick');
const EVENTS = QUICK ? 500_000 : 5_000_000;
const REPEATS = QUICK ? 1 : 3;
const COST_ITERATIONS = QUICK ? 200_000 : 2_000_000;
const CLOCK_SAMPLES = QUICK ? 2_000 : 20_000;

type Job = { kind: 'fire'; events: number; go: Int32Array } | { kind: 'cost' };

/** Fires `count` events of the bench marker; ns for the loop. */
function fireLoop(count: number): number {
  const m = marker('bench:w', 'a %d b %d');
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) m(i, count);
  return Number(process.hrtime.bigint() - start);
}

type Loop = (n: number) => number;

/** A loop of its own (own JIT feedback), as bench/hot-case.ts builds them: sum += i, then the call. */
function loopOf(call: ((a: number, b: number) => void) | null): Loop {
  if (call === null) {
    return new Function('return function emptyLoop(n) { let sum = 0; for (let i = 0; i < n; i++) sum += i; return sum; };')() as Loop;
  }
  return new Function('m', 'return function markerLoop(n) { let sum = 0; for (let i = 0; i < n; i++) { sum += i; m(i, n); } return sum; };')(call) as Loop;
}

/** Empty loop, disabled marker, enabled marker (enabled = bench:on:* rule of the main session). */
async function costs(prefix: string): Promise<Measure[]> {
  const off = marker('bench:off:x', 'a %d b %d');
  const on = marker('bench:on:x', 'a %d b %d');
  const empty = await measure(`${prefix}: empty loop`, loopOf(null), COST_ITERATIONS);
  const disabled = await measure(`${prefix}: disabled marker`, loopOf(off), COST_ITERATIONS);
  const enabled = await measure(`${prefix}: enabled marker`, loopOf(on), COST_ITERATIONS);
  return [empty, disabled, enabled];
}

/** Events lost per stream file (`default_0`: the main thread, `default_<threadId>`: a worker). */
function lostByStream(dir: string): string {
  const parts: string[] = [];
  for (const trace of readTraceInfoSync(dir).traces) {
    for (const stream of trace.streams) parts.push(`${stream.file} ${stream.eventsDiscarded}`);
  }
  return parts.join(', ');
}

if (!isMainThread) {
  const job = workerData as Job;
  if (job.kind === 'fire') {
    const m = marker('bench:w', 'a %d b %d');
    // The session's rules reach a new worker when it yields.
    while (!m.enabled) await new Promise((resolve) => setImmediate(resolve));
    Atomics.add(job.go, 1, 1);
    while (Atomics.load(job.go, 0) === 0) Atomics.wait(job.go, 0, 0, 10);
    parentPort?.postMessage(fireLoop(job.events));
  } else {
    const on = marker('bench:on:x', 'a %d b %d');
    while (!on.enabled) await new Promise((resolve) => setImmediate(resolve));
    parentPort?.postMessage(await costs('worker'));
  }
} else if (process.argv[2] === '--clock-child') {
  // One process of the clock measure: samples bracketed by the common clock.
  const dir = process.argv[3];
  const count = Number(process.argv[4]);
  const session = new Session({ output: dir });
  session.enable('clock:*').start();
  const sample = marker('clock:sample', 'before %lu');
  const after = marker('clock:after', 'after %lu');
  for (let i = 0; i < count; i++) {
    const before = process.hrtime.bigint();
    sample(before);
    after(process.hrtime.bigint());
  }
  await session.close();
} else {
  await main();
}

function loadLine(): string {
  try { return readFileSync('/proc/loadavg', 'utf8').trim().split(' ').slice(0, 3).join(' '); } catch { return '?'; }
}

function lostIn(dir: string): number {
  let lost = 0n;
  for (const trace of readTraceInfoSync(dir).traces) for (const stream of trace.streams) lost += stream.eventsDiscarded;
  return Number(lost);
}

/** One throughput case: `threads` workers (0: the main thread alone) x EVENTS each. */
async function throughput(threads: number): Promise<{ perThread: number[]; lost: number }> {
  const base = mkdtempSync(join(tmpdir(), 'tracemark-bench-workers-'));
  try {
    const session = new Session({ output: join(base, 'trace') });
    session.enable('bench:w').start();
    let perThread: number[];
    if (threads === 0) {
      perThread = [EVENTS / (fireLoop(EVENTS) / 1e9)];
    } else {
      const go = new Int32Array(new SharedArrayBuffer(8));
      const workers = Array.from({ length: threads }, () => new Worker(SELF, { workerData: { kind: 'fire', events: EVENTS, go } satisfies Job }));
      const results = workers.map((w) => new Promise<number>((resolve, reject) => { w.once('message', resolve); w.once('error', reject); }));
      // Listened to now: a worker may have exited before the results are all in.
      const exited = workers.map((w) => new Promise((resolve) => w.once('exit', resolve)));
      while (Atomics.load(go, 1) < threads) await new Promise((resolve) => setTimeout(resolve, 5));
      Atomics.store(go, 0, 1);
      Atomics.notify(go, 0);
      perThread = (await Promise.all(results)).map((ns) => EVENTS / (ns / 1e9));
      await Promise.all(exited);
    }
    await session.close();
    return { perThread, lost: lostIn(join(base, 'trace')) };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Per-process offset of the trace clock from the common clock, and its bracket. */
function clockOffsets(dir: string, epochMinusMonotonic: bigint): { vpid: number; offsetNs: number; bracketNs: number }[] {
  const results: { vpid: number; offsetNs: number; bracketNs: number }[] = [];
  for (const trace of readTraceInfoSync(dir, { packets: false }).traces) {
    const offsets: number[] = [];
    let bracket = Infinity;
    let pending: { ts: bigint; before: bigint } | undefined;
    for (const event of readTraceSync(join(dir, trace.path))) {
      if (event.name === 'clock:sample') pending = { ts: event.timestamp, before: event.fields.before as bigint };
      else if (event.name === 'clock:after' && pending !== undefined) {
        const after = event.fields.after as bigint;
        // The event's clock read happened between `before` and `after` (common clock).
        const middle = (pending.before + after) / 2n + epochMinusMonotonic;
        offsets.push(Number(pending.ts - middle));
        bracket = Math.min(bracket, Number(after - pending.before));
        pending = undefined;
      }
    }
    results.push({ vpid: Number(trace.env.vpid), offsetNs: median(offsets), bracketNs: bracket });
  }
  return results;
}

function clockError(shared: boolean): { errorNs: number; bracketNs: number; offsets: number[] } {
  const base = mkdtempSync(join(tmpdir(), 'tracemark-bench-clock-'));
  try {
    const epochMinusMonotonic = epochMinusMonotonicNs();
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.NODE_OPTIONS;
    if (shared) env[CLOCK_EPOCH_ENV] = String(epochMinusMonotonic);
    else delete env[CLOCK_EPOCH_ENV];
    // Two processes, one after the other (their own time origins differ by the start-up).
    for (const name of ['a', 'b']) {
      const run = spawnSync(process.execPath, [SELF, '--clock-child', join(base, name), String(CLOCK_SAMPLES)], { env, encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`clock child failed: ${run.stderr}`);
    }
    const offsets = clockOffsets(base, epochMinusMonotonic);
    return {
      errorNs: Math.abs(offsets[0].offsetNs - offsets[1].offsetNs),
      bracketNs: Math.max(offsets[0].bracketNs, offsets[1].bracketNs),
      offsets: offsets.map((o) => o.offsetNs),
    };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

async function workerCosts(): Promise<Measure[]> {
  const worker = new Worker(SELF, { workerData: { kind: 'cost' } satisfies Job });
  return new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
}

async function main(): Promise<void> {
  const fmt = (n: number): string => `${(n / 1e6).toFixed(2)} M/s`;
  console.log(`## Worker threads and processes (bench/workers.ts)`);
  console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${new Date().toISOString()}, load average before: ${loadLine()}${QUICK ? ', --quick (small counts)' : ''}`);

  // 1. Throughput, interleaved: main alone, 1 worker, 2 workers; REPEATS rounds.
  const single: number[] = [];
  const one: number[] = [];
  const two: number[] = [];
  const lost = { single: [] as number[], one: [] as number[], two: [] as number[] };
  for (let round = 0; round < REPEATS; round++) {
    const s = await throughput(0);
    single.push(s.perThread[0]); lost.single.push(s.lost);
    const w1 = await throughput(1);
    one.push(w1.perThread[0]); lost.one.push(w1.lost);
    const w2 = await throughput(2);
    two.push(...w2.perThread); lost.two.push(w2.lost);
  }
  const reference = median(single);
  console.log(`\n### Throughput: ${EVENTS / 1e6}M events per thread into one session of the main thread (disk, default buffers), median of ${REPEATS} interleaved rounds`);
  console.log('| case | events/s per thread (median) | ratio to main thread alone | target | events lost per round (of fired) |');
  console.log('|---|---|---|---|---|');
  const lostText = (values: number[], fired: number): string => values.map((v) => `${v} (${((100 * v) / fired).toFixed(1)} %)`).join(', ');
  console.log(`| main thread alone | ${fmt(reference)} | 1.00 | | ${lostText(lost.single, EVENTS)} |`);
  console.log(`| 1 worker | ${fmt(median(one))} | ${(median(one) / reference).toFixed(2)} | ≥ 0.80 | ${lostText(lost.one, EVENTS)} |`);
  console.log(`| 2 workers at once | ${fmt(median(two))} | ${(median(two) / reference).toFixed(2)} | ≥ 0.80 | ${lostText(lost.two, 2 * EVENTS)} |`);
  console.log(`load average after: ${loadLine()}`);

  // 2. Marker cost in a worker and in the main thread, same session.
  const base = mkdtempSync(join(tmpdir(), 'tracemark-bench-cost-'));
  let mainCosts: Measure[];
  let inWorker: Measure[];
  let costLost: string;
  try {
    const session = new Session({ output: join(base, 'trace') });
    session.enable('bench:on:*').start();
    mainCosts = await costs('main');
    inWorker = await workerCosts();
    await session.close();
    costLost = lostByStream(join(base, 'trace'));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  console.log(`\n### Marker cost in a worker vs the main thread (\`a %d b %d\`, ${COST_ITERATIONS / 1e6}M iterations × 7 runs, median; enabled: into a session of the main thread on disk, discard mode)`);
  console.log('| case | main thread ns/op | worker ns/op | worker / main | worker: ratio to its empty loop | target |');
  console.log('|---|---|---|---|---|---|');
  const names = ['empty loop', 'disabled marker', 'enabled marker'];
  const targets = ['', 'disabled = empty loop', 'enabled within 10 % of main'];
  for (let i = 0; i < 3; i++) {
    console.log(`| ${names[i]} | ${mainCosts[i].nsPerOp.toFixed(2)} | ${inWorker[i].nsPerOp.toFixed(2)} | ${(inWorker[i].nsPerOp / mainCosts[i].nsPerOp).toFixed(2)} | ${(inWorker[i].nsPerOp / inWorker[0].nsPerOp).toFixed(2)} | ${targets[i]} |`);
  }
  console.log(`events lost (ring full) while measuring the enabled marker, per stream: ${costLost}`);
  console.log(`GCs during runs: main ${mainCosts.map((m) => m.gcCount).join('/')}, worker ${inWorker.map((m) => m.gcCount).join('/')} (empty/disabled/enabled); load average after: ${loadLine()}`);

  // 3. Cross-process clock error.
  console.log(`\n### Cross-process timestamp error (2 processes, ${CLOCK_SAMPLES} samples each, read back from the trace)`);
  console.log('| time base | offset of process A / B from CLOCK_MONOTONIC (ns, median) | error between them | bracket (hrtime gap around one event, ns, min) | target |');
  console.log('|---|---|---|---|---|');
  for (const shared of [true, false]) {
    const result = clockError(shared);
    console.log(`| ${shared ? "record's shared base (TRACEMARK_CLOCK_EPOCH_NS)" : 'each process alone (performance.timeOrigin)'} | ${result.offsets.join(' / ')} | ${(result.errorNs / 1000).toFixed(3)} µs | ${result.bracketNs} | ≤ 1 µs |`);
  }
  console.log(`load average after: ${loadLine()}`);
}
