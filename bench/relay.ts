/**
 * Streaming to lttng-relayd (docs/relay.md), next to a local trace in the same process run:
 *  - hot-path cost: ns/event of the same loop with the session writing a local trace or streaming
 *    to a loopback relay (target: no difference, the sender is off the application's thread),
 *    in interleaved pairs of sessions (local then relay, relay then local, ...): the median of
 *    the per-pair ratios, wall time and the main thread's own CPU time (process.threadCpuUsage,
 *    Node 23.9+/22.19+; the drainer and sender threads are not in it);
 *  - throughput: paced rates with the default channel (4 × 1 MiB), events lost, and an unpaced
 *    synchronous loop.
 * Starts its own lttng-relayd on free loopback ports and stops it by pid.
 * Run: npm run build && node dist/bench/relay.js [--quick] [--pairs N]   (default 15 pairs, about 2 min)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { marker, Session } from '../src/index.js';

const quick = process.argv.includes('--quick');
const pairsAt = process.argv.indexOf('--pairs');
const pairsArg = pairsAt > 0 ? Number(process.argv[pairsAt + 1]) : undefined;
const ev = marker('bench:relay', 'a %d b %d c %ld s %s');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  return sorted[low] + (sorted[Math.min(low + 1, sorted.length - 1)] - sorted[low]) * (at - low);
}

function median(values: number[]): number {
  return quantile(values, 0.5);
}

function loadavg(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}

type Mode = 'local' | 'relay';

function newSession(mode: Mode, url: string, base: string, run: number): Session {
  return mode === 'local' ? new Session({ output: join(base, `local-${run}`) }) : new Session({ relay: url, name: `bench-${process.pid}` });
}

type ThreadCpu = () => { user: number; system: number };
/** The calling thread's CPU time, where Node has it (not the process's: the other threads' work is elsewhere). */
const threadCpu: ThreadCpu | undefined = (process as unknown as { threadCpuUsage?: ThreadCpu }).threadCpuUsage?.bind(process);

interface HotPath { nsPerEvent: number; cpuNsPerEvent: number; lost: number }

/** Batches that fit the ring, pauses between them: the cost of firing, not of a full ring. */
async function hotPath(mode: Mode, url: string, base: string, run: number): Promise<HotPath> {
  const session = newSession(mode, url, base, run);
  session.enable('bench:relay').start();
  const batch = 50_000;
  const batches = quick ? 8 : 16;
  // A new session compiles a new fire function: the first batches run before it is optimised.
  const warmup = 4;
  let loopNs = 0n;
  let cpuUs = 0;
  for (let b = 0; b < batches; b++) {
    const c0 = threadCpu?.();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) ev(i, i, i, 'hello');
    const t1 = process.hrtime.bigint();
    const c1 = threadCpu?.();
    if (b >= warmup) {
      loopNs += t1 - t0;
      if (c0 !== undefined && c1 !== undefined) cpuUs += c1.user + c1.system - c0.user - c0.system;
    }
    await sleep(25);
  }
  await session.close();
  const stats = session.stats().channels.default;
  const measured = batch * (batches - warmup);
  return { nsPerEvent: Number(loopNs) / measured, cpuNsPerEvent: (cpuUs * 1000) / measured, lost: stats.discarded };
}

/** `rate` events/s for `seconds`, in 1 ms slices; returns what was written and lost. */
async function paced(mode: Mode, url: string, base: string, run: number, rate: number, seconds: number): Promise<{ written: number; lost: number; sent: number }> {
  const session = newSession(mode, url, base, run);
  session.enable('bench:relay').start();
  const perSlice = Math.max(1, Math.round(rate / 1000));
  const start = performance.now();
  let slice = 0;
  while (performance.now() - start < seconds * 1000) {
    for (let i = 0; i < perSlice; i++) ev(i, i, i, 'hello');
    slice++;
    const next = start + slice;
    // Yield now and then so the session's timer can close packets; otherwise spin to the slice.
    if (slice % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    while (performance.now() < next) { /* pace */ }
  }
  await session.close();
  const stats = session.stats();
  return { written: stats.channels.default.written, lost: stats.channels.default.discarded, sent: stats.relay?.packetsSent ?? 0 };
}

async function unpaced(mode: Mode, url: string, base: string, run: number, events: number): Promise<{ perSecond: number; lost: number }> {
  const session = newSession(mode, url, base, run);
  session.enable('bench:relay').start();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < events; i++) ev(i, i, i, 'hello');
  const t1 = process.hrtime.bigint();
  await session.close();
  return { perSecond: events / (Number(t1 - t0) / 1e9), lost: session.stats().channels.default.discarded };
}

async function main(): Promise<void> {
  const ports = [await freePort(), await freePort(), await freePort()];
  const base = mkdtempSync(join(tmpdir(), 'tracemark-bench-relay-'));
  const relayd = spawn('lttng-relayd', ['-C', `tcp://127.0.0.1:${ports[0]}`, '-D', `tcp://127.0.0.1:${ports[1]}`, '-L', `tcp://127.0.0.1:${ports[2]}`, '-o', join(base, 'relay')], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 200 && !(await listening(ports[0]) && await listening(ports[1])); i++) await sleep(50);
    const url = `net://127.0.0.1:${ports[0]}:${ports[1]}`;
    console.log(`Node ${process.version}; lttng-relayd on loopback (pid ${relayd.pid}); default channel (4 × 1 MiB, discard). The machine is shared with other jobs: figures are noisy, compare ratios.`);

    console.log('\n## Hot path: local trace vs streaming to the relay (interleaved pairs)');
    const pairs = pairsArg ?? (quick ? 5 : 15);
    console.log(`Event \`a %d b %d c %ld s %s\`; per session ${quick ? 4 : 12} batches of 50,000 that fit the ring, 25 ms apart, after 4 warm-up batches (a new session compiles a new fire function); ${pairs} pairs of sessions, the order alternating (local first, then relay first). Each pair gives a ratio relay / local; the row \`median\` is the median of those ratios (and of the ns/event). CPU: the main thread's own CPU time during the loops (${threadCpu === undefined ? 'process.threadCpuUsage is not in this Node: n/a' : 'process.threadCpuUsage'}). Load average at start: ${loadavg()}.`);
    console.log('| pair | local ns/event | relay ns/event | relay / local (wall) | local CPU ns/event | relay CPU ns/event | relay / local (CPU) | lost (local, relay) |');
    console.log('|---|---|---|---|---|---|---|---|');
    const wall: { local: number[]; relay: number[]; ratio: number[] } = { local: [], relay: [], ratio: [] };
    const cpu: { local: number[]; relay: number[]; ratio: number[] } = { local: [], relay: [], ratio: [] };
    const cell = (value: number): string => (threadCpu === undefined ? 'n/a' : value.toFixed(1));
    for (let pair = 0; pair < pairs; pair++) {
      // Alternate which goes first: no mode always gets the warmer JIT or the quieter moment.
      const order: Mode[] = pair % 2 === 0 ? ['local', 'relay'] : ['relay', 'local'];
      const results: Partial<Record<Mode, HotPath>> = {};
      for (const mode of order) results[mode] = await hotPath(mode, url, base, pair);
      const l = results.local as HotPath;
      const r = results.relay as HotPath;
      wall.local.push(l.nsPerEvent);
      wall.relay.push(r.nsPerEvent);
      wall.ratio.push(r.nsPerEvent / l.nsPerEvent);
      cpu.local.push(l.cpuNsPerEvent);
      cpu.relay.push(r.cpuNsPerEvent);
      cpu.ratio.push(r.cpuNsPerEvent / l.cpuNsPerEvent);
      console.log(`| ${pair + 1} | ${l.nsPerEvent.toFixed(1)} | ${r.nsPerEvent.toFixed(1)} | ${(r.nsPerEvent / l.nsPerEvent).toFixed(2)} | ${cell(l.cpuNsPerEvent)} | ${cell(r.cpuNsPerEvent)} | ${threadCpu === undefined ? 'n/a' : (r.cpuNsPerEvent / l.cpuNsPerEvent).toFixed(2)} | ${l.lost}, ${r.lost} |`);
    }
    const spread = (values: number[]): string => `${quantile(values, 0.25).toFixed(2)}-${quantile(values, 0.75).toFixed(2)}`;
    console.log(`| **median** | ${median(wall.local).toFixed(1)} | ${median(wall.relay).toFixed(1)} | **${median(wall.ratio).toFixed(2)}** (IQR ${spread(wall.ratio)}) | ${cell(median(cpu.local))} | ${cell(median(cpu.relay))} | ${threadCpu === undefined ? 'n/a' : `**${median(cpu.ratio).toFixed(2)}** (IQR ${spread(cpu.ratio)})`} | |`);
    console.log(`Load average at the end: ${loadavg()}.`);

    console.log('\n## Throughput streamed to the loopback relay: paced rates, default buffers');
    console.log('| target events/s | seconds | mode | events written | lost | packets sent to the relay |');
    console.log('|---|---|---|---|---|---|');
    const seconds = quick ? 1 : 3;
    for (const rate of quick ? [500_000, 2_000_000] : [500_000, 1_000_000, 2_000_000, 4_000_000]) {
      for (const mode of ['local', 'relay'] as Mode[]) {
        const r = await paced(mode, url, base, rate, rate, seconds);
        console.log(`| ${(rate / 1e6).toFixed(1)} M | ${seconds} | ${mode} | ${r.written} | ${r.lost} | ${mode === 'relay' ? r.sent : '-'} |`);
      }
    }

    console.log('\n## Unpaced synchronous loop (the ring fills faster than anything drains it)');
    console.log('| events | mode | events/s (loop) | lost |');
    console.log('|---|---|---|---|');
    const events = quick ? 1_000_000 : 5_000_000;
    for (const mode of ['local', 'relay'] as Mode[]) {
      const r = await unpaced(mode, url, base, 100 + (mode === 'local' ? 0 : 1), events);
      console.log(`| ${events} | ${mode} | ${(r.perSecond / 1e6).toFixed(2)} M | ${r.lost} (${((r.lost / events) * 100).toFixed(1)} %) |`);
    }
  } finally {
    relayd.kill('SIGTERM');
    await new Promise((resolve) => relayd.once('exit', resolve));
    rmSync(base, { recursive: true, force: true });
  }
}

await main();
