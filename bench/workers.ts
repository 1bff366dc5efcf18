/**
 * Issue 7 benchmarks (BENCHMARKS.md, "Worker threads and processes"), one command:
 *   npm run build && node dist/bench/workers.js [--quick] [--rounds N]
 *  1. Throughput: 1 and 2 worker threads x 5M events each into a session of the main thread,
 *     events/s per thread against the main thread alone, in paired rounds (main alone, 1 worker,
 *     2 workers, then the same three with a plain JS loop instead of the marker, which says how
 *     two busy threads share this machine), median of the rounds; CPU time of each firing thread
 *     beside its wall time, and the rest of the process's CPU (the session's drainer thread, V8's
 *     compiler and GC threads); events lost with the default buffers (4 x 1 MiB per thread).
 *  2. Marker cost in the main thread and in one worker, each next to its own empty loop:
 *     disabled, and enabled into a session of the main thread; the two threads take turns,
 *     round after round, and the ratio is the median of the rounds' ratios.
 *  3. The cross-process clock error: two processes started with record's shared time base (and,
 *     for comparison, without it) fire samples bracketed by process.hrtime (CLOCK_MONOTONIC, the
 *     same clock in every process); the trace's timestamp of each sample, read back from disk,
 *     minus the common clock gives each process's offset; the error is their difference.
 * Wall times are noisy on a loaded host: the load average is printed with the tables, and the
 * CPU times show how much of the wall time a thread actually ran.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { marker, readTraceInfoSync, readTraceSync, Session } from '../src/index.js';
import { CLOCK_EPOCH_ENV, epochMinusMonotonicNs } from '../src/ring/clock.js';

const SELF = fileURLToPath(import.meta.url);
const QUICK = process.argv.includes('--quick');
const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : QUICK ? 2 : 7;
const EVENTS = QUICK ? 500_000 : 5_000_000;
const COST_ITERATIONS = QUICK ? 200_000 : 2_000_000;
const COST_RUNS = 5;
const CLOCK_SAMPLES = QUICK ? 2_000 : 20_000;

/** One thread's run of a loop: wall and CPU nanoseconds. */
interface Timed { wallNs: number; cpuNs: number }

type Job =
  | { kind: 'fire'; events: number; plain: boolean; go: Int32Array }
  | { kind: 'cost' };

const CLOCK_TICKS_PER_S = 100;

/**
 * CPU time of the calling thread: process.threadCpuUsage (Node 23.9+, microseconds), else
 * /proc/thread-self/stat (Linux, clock ticks of 10 ms: fine for runs of a few hundred ms).
 */
function threadCpuNs(): number {
  const usage = (process as unknown as { threadCpuUsage?: () => { user: number; system: number } }).threadCpuUsage;
  if (typeof usage === 'function') {
    const u = usage.call(process);
    return (u.user + u.system) * 1000;
  }
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e9) / CLOCK_TICKS_PER_S;
  } catch {
    return NaN;
  }
}

/**
 * CPU of the sessions' drainer threads, found by their OS thread name (Node 24+ names a Worker's
 * thread; NaN where it does not). 10 ms ticks.
 */
function drainerCpuNs(): number {
  let total = 0;
  let found = false;
  try {
    for (const task of readdirSync('/proc/self/task')) {
      let comm: string;
      let stat: string;
      try {
        comm = readFileSync(`/proc/self/task/${task}/comm`, 'utf8');
        if (!comm.startsWith('tracemark-drain')) continue;
        stat = readFileSync(`/proc/self/task/${task}/stat`, 'utf8');
      } catch { continue; }
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += ((Number(fields[11]) + Number(fields[12])) * 1e9) / CLOCK_TICKS_PER_S;
      found = true;
    }
  } catch { /* not Linux */ }
  return found ? total : NaN;
}

function processCpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

const cpuSource = typeof (process as unknown as { threadCpuUsage?: unknown }).threadCpuUsage === 'function'
  ? 'process.threadCpuUsage' : '/proc/thread-self/stat (10 ms ticks)';

/** A plain loop of about the marker's cost per iteration: how two busy threads share the host. */
function plainLoop(count: number): number {
  let x = 0;
  for (let i = 0; i < count; i++) {
    // ~60 ns of integer work that the JIT cannot fold away (about the enabled marker's cost).
    for (let k = 0; k < 10; k++) x = (x * 31 + i + k) | 0;
  }
  return x;
}

let sink = 0;

/** Fires `count` events of the bench marker (or runs the plain loop); wall and CPU ns. */
function fireLoop(count: number, plain: boolean): Timed {
  const m = marker('bench:w', 'a %d b %d');
  const cpu = threadCpuNs();
  const start = process.hrtime.bigint();
  if (plain) sink += plainLoop(count);
  else for (let i = 0; i < count; i++) m(i, count);
  const wallNs = Number(process.hrtime.bigint() - start);
  return { wallNs, cpuNs: threadCpuNs() - cpu };
}

type Loop = (n: number) => number;

/** A loop of its own (own JIT feedback), as bench/hot-case.ts builds them: sum += i, then the call. */
function loopOf(call: ((a: number, b: number) => void) | null): Loop {
  if (call === null) {
    return new Function('return function emptyLoop(n) { let sum = 0; for (let i = 0; i < n; i++) sum += i; return sum; };')() as Loop;
  }
  return new Function('m', 'return function markerLoop(n) { let sum = 0; for (let i = 0; i < n; i++) { sum += i; m(i, n); } return sum; };')(call) as Loop;
}

/**
 * ns per iteration: median of COST_RUNS runs; beside it the thread's CPU ns per iteration over
 * all the runs (NaN when that CPU time is too short for the clock's 10 ms ticks).
 */
function timeLoop(loop: Loop, iterations: number): { ns: number; cpuNs: number } {
  loop(Math.min(iterations, 200_000));
  const wall: number[] = [];
  const cpu = threadCpuNs();
  for (let r = 0; r < COST_RUNS; r++) {
    const start = process.hrtime.bigint();
    loop(iterations);
    wall.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  const cpuNs = threadCpuNs() - cpu;
  const precise = cpuSource === 'process.threadCpuUsage';
  return { ns: median(wall), cpuNs: precise || cpuNs >= 200e6 ? cpuNs / (COST_RUNS * iterations) : NaN };
}

/** The three cost loops of one thread, built once (their feedback stays warm across rounds). */
interface CostLoops { empty: Loop; disabled: Loop; enabled: Loop }
type CostRound = Record<keyof CostLoops, { ns: number; cpuNs: number }>;

function costLoops(): CostLoops {
  return {
    empty: loopOf(null),
    disabled: loopOf(marker('bench:off:x', 'a %d b %d')),
    enabled: loopOf(marker('bench:on:x', 'a %d b %d')),
  };
}

function costRound(loops: CostLoops): CostRound {
  return { empty: timeLoop(loops.empty, COST_ITERATIONS), disabled: timeLoop(loops.disabled, COST_ITERATIONS), enabled: timeLoop(loops.enabled, COST_ITERATIONS) };
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
    if (!job.plain) while (!m.enabled) await new Promise((resolve) => setImmediate(resolve));
    Atomics.add(job.go, 1, 1);
    while (Atomics.load(job.go, 0) === 0) Atomics.wait(job.go, 0, 0, 10);
    parentPort?.postMessage(fireLoop(job.events, job.plain));
  } else {
    // One worker for every round of the cost measure: asked for a round, it answers with one.
    const loops = costLoops();
    const on = marker('bench:on:x', 'a %d b %d');
    while (!on.enabled) await new Promise((resolve) => setImmediate(resolve));
    parentPort?.on('message', (message: string) => {
      if (message === 'round') parentPort?.postMessage(costRound(loops));
      else parentPort?.close();
    });
    parentPort?.postMessage('ready');
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
interface Case { perThread: number[]; perCpuSecond: number[]; cpuShare: number[]; otherCpuNs: number; drainerNsPerEvent: number; wallNs: number; lost: number }

async function throughput(threads: number, plain: boolean): Promise<Case> {
  const base = mkdtempSync(join(tmpdir(), 'tracemark-bench-workers-'));
  try {
    const session = new Session({ output: join(base, 'trace') });
    session.enable('bench:w').start();
    // The drainer thread's start-up (its isolate, its modules) is not per-event work.
    const drainerAtStart = drainerCpuNs();
    let runs: Timed[];
    const processCpu = processCpuNs();
    const start = process.hrtime.bigint();
    if (threads === 0) {
      runs = [fireLoop(EVENTS, plain)];
    } else {
      const go = new Int32Array(new SharedArrayBuffer(8));
      const workers = Array.from({ length: threads }, () => new Worker(SELF, { workerData: { kind: 'fire', events: EVENTS, plain, go } satisfies Job }));
      const results = workers.map((w) => new Promise<Timed>((resolve, reject) => { w.once('message', resolve); w.once('error', reject); }));
      // Listened to now: a worker may have exited before the results are all in.
      const exited = workers.map((w) => new Promise((resolve) => w.once('exit', resolve)));
      while (Atomics.load(go, 1) < threads) await new Promise((resolve) => setTimeout(resolve, 5));
      Atomics.store(go, 0, 1);
      Atomics.notify(go, 0);
      runs = await Promise.all(results);
      await Promise.all(exited);
    }
    // Before close(): the drainer thread ends with it (its last few packets are not counted).
    const drainerNs = drainerCpuNs() - drainerAtStart;
    await session.close();
    const wallNs = Number(process.hrtime.bigint() - start);
    // The firing threads' CPU, and the rest: the drainer, V8's threads, this thread waiting
    // (the main thread's own share when it does not fire is counted in the rest too).
    const firing = runs.reduce((sum, r) => sum + r.cpuNs, 0);
    const otherCpuNs = processCpuNs() - processCpu - firing;
    return {
      perThread: runs.map((r) => EVENTS / (r.wallNs / 1e9)),
      perCpuSecond: runs.map((r) => EVENTS / (r.cpuNs / 1e9)),
      cpuShare: runs.map((r) => r.cpuNs / r.wallNs),
      otherCpuNs,
      drainerNsPerEvent: drainerNs / (EVENTS * Math.max(1, threads)),
      wallNs,
      lost: plain ? 0 : lostIn(join(base, 'trace')),
    };
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

/** The cost worker: asked for a round of its three loops, it answers with them. */
async function costWorker(): Promise<{ round: () => Promise<CostRound>; end: () => Promise<void> }> {
  const worker = new Worker(SELF, { workerData: { kind: 'cost' } satisfies Job });
  await new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
  return {
    round: () => new Promise<CostRound>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.postMessage('round');
    }),
    end: async () => { await worker.terminate(); },
  };
}

async function main(): Promise<void> {
  const fmtRate = (n: number): string => `${(n / 1e6).toFixed(2)} M/s`;
  const pct = (x: number): string => `${Math.round(100 * x)} %`;
  console.log(`## Worker threads and processes (bench/workers.ts)`);
  console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${new Date().toISOString()}, load average before: ${loadLine()}; thread CPU from ${cpuSource}${QUICK ? ', --quick (small counts)' : ''}`);

  // 1. Throughput, paired rounds: each round runs every case once, in the same order.
  const names = ['main thread alone', '1 worker', '2 workers at once'] as const;
  const cases: Case[][] = [[], [], [], [], [], []];
  for (let round = 0; round < ROUNDS; round++) {
    for (const plain of [false, true]) {
      for (let threads = 0; threads <= 2; threads++) cases[(plain ? 3 : 0) + threads].push(await throughput(threads, plain));
    }
  }
  // Per round: each thread's rate over the main thread's rate of the same round (same kind of loop).
  const ratio = (index: number, key: 'perThread' | 'perCpuSecond'): number =>
    median(cases[index].map((c, round) => median(c[key]) / cases[index >= 3 ? 3 : 0][round][key][0]));
  console.log(`\n### Throughput: ${EVENTS / 1e6}M events per thread into one session of the main thread (disk, default buffers), ${ROUNDS} paired rounds, medians`);
  console.log('| case | events/s per thread (wall) | ratio to the main thread alone (wall) | events per CPU-second of the thread | ratio (CPU) | target | CPU of a firing thread / its wall time | rest of the process CPU per case (drainer, V8 threads, the main thread when it waits) | of which the drainer thread, ns per event | events lost, all rounds |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  const drainer = (all: Case[]): string => {
    const values = all.map((c) => c.drainerNsPerEvent).filter((v) => !Number.isNaN(v));
    return values.length === 0 ? 'n/a (thread names: Node 24+)' : median(values).toFixed(2);
  };
  const row = (label: string, i: number, target: string, lost: string): void => {
    const all = cases[i];
    const plainRow = i >= 3;
    console.log(`| ${label} | ${fmtRate(median(all.flatMap((c) => c.perThread)))} | ${ratio(i, 'perThread').toFixed(2)} | ${fmtRate(median(all.flatMap((c) => c.perCpuSecond)))} | ${ratio(i, 'perCpuSecond').toFixed(2)} | ${target} | ${pct(median(all.flatMap((c) => c.cpuShare)))} | ${(median(all.map((c) => c.otherCpuNs)) / 1e6).toFixed(0)} ms | ${plainRow ? '' : drainer(all)} | ${lost} |`);
  };
  for (let i = 0; i < 3; i++) {
    const lost = cases[i].reduce((sum, c) => sum + c.lost, 0);
    const fired = EVENTS * Math.max(1, i) * cases[i].length;
    row(names[i], i, i === 0 ? '' : '≥ 0.80', `${lost} (${((100 * lost) / fired).toFixed(2)} %)`);
  }
  for (let i = 0; i < 3; i++) row(`control, a plain JS loop (no marker): ${names[i]}`, 3 + i, '', '');
  console.log(`load average after: ${loadLine()}`);

  // 2. Marker cost in the main thread and in a worker, same session, in turns.
  const base = mkdtempSync(join(tmpdir(), 'tracemark-bench-cost-'));
  const mainRounds: CostRound[] = [];
  const workerRounds: CostRound[] = [];
  let costLost: string;
  try {
    const session = new Session({ output: join(base, 'trace') });
    session.enable('bench:on:*').start();
    const loops = costLoops();
    const worker = await costWorker();
    for (let round = 0; round < ROUNDS; round++) {
      mainRounds.push(costRound(loops));
      workerRounds.push(await worker.round());
    }
    await worker.end();
    await session.close();
    costLost = lostByStream(join(base, 'trace'));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  console.log(`\n### Marker cost in a worker vs the main thread (\`a %d b %d\`, ${COST_ITERATIONS / 1e6}M iterations, median of ${COST_RUNS} runs per round, ${ROUNDS} rounds in turns; enabled: into a session of the main thread on disk, discard mode)`);
  console.log('| case | main thread ns/op (wall / CPU) | worker ns/op (wall / CPU) | worker / main (median of rounds: wall / CPU) | worker: ratio to its empty loop | target |');
  console.log('|---|---|---|---|---|---|');
  const rows = [['empty loop', 'empty', ''], ['disabled marker', 'disabled', 'disabled = empty loop'], ['enabled marker', 'enabled', 'enabled ≤ 1.10 × main']] as const;
  for (const [label, key, target] of rows) {
    const m = median(mainRounds.map((r) => r[key].ns));
    const mc = median(mainRounds.map((r) => r[key].cpuNs));
    const w = median(workerRounds.map((r) => r[key].ns));
    const wc = median(workerRounds.map((r) => r[key].cpuNs));
    const wallRatio = median(workerRounds.map((r, i) => r[key].ns / mainRounds[i][key].ns));
    const cpuRatio = median(workerRounds.map((r, i) => r[key].cpuNs / mainRounds[i][key].cpuNs));
    const toEmpty = median(workerRounds.map((r) => r[key].ns / r.empty.ns));
    const n = (x: number): string => (Number.isNaN(x) ? 'n/a' : x.toFixed(2));
    console.log(`| ${label} | ${n(m)} / ${n(mc)} | ${n(w)} / ${n(wc)} | ${n(wallRatio)} / ${n(cpuRatio)} | ${n(toEmpty)} | ${target} |`);
  }
  console.log(`worker / main, enabled, per round (wall): ${workerRounds.map((r, i) => (r.enabled.ns / mainRounds[i].enabled.ns).toFixed(2)).join(' ')}`);
  console.log(`events lost (ring full) while measuring the enabled marker, per stream: ${costLost}; load average after: ${loadLine()}`);

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
