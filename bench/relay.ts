/**
 * Streaming to lttng-relayd (docs/relay.md), next to a local trace in the same process run:
 *  - hot-path cost: ns/event of the same loop with the session writing a local trace or streaming
 *    to a loopback relay (target: no difference, the sender is off the application's thread);
 *  - throughput: paced rates with the default channel (4 × 1 MiB), events lost, and an unpaced
 *    synchronous loop.
 * Starts its own lttng-relayd on free loopback ports and stops it by pid.
 * Run: npm run build && node dist/bench/relay.js [--quick]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { marker, Session } from '../src/index.js';

const quick = process.argv.includes('--quick');
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

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

type Mode = 'local' | 'relay';

function newSession(mode: Mode, url: string, base: string, run: number): Session {
  return mode === 'local' ? new Session({ output: join(base, `local-${run}`) }) : new Session({ relay: url, name: `bench-${process.pid}` });
}

/** Batches that fit the ring, pauses between them: the cost of firing, not of a full ring. */
async function hotPath(mode: Mode, url: string, base: string, run: number): Promise<{ nsPerEvent: number; lost: number }> {
  const session = newSession(mode, url, base, run);
  session.enable('bench:relay').start();
  const batch = 50_000;
  const batches = quick ? 8 : 24;
  // A new session compiles a new fire function: the first batches run before it is optimised.
  const warmup = 4;
  let loopNs = 0n;
  for (let b = 0; b < batches; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) ev(i, i, i, 'hello');
    if (b >= warmup) loopNs += process.hrtime.bigint() - t0;
    await sleep(25);
  }
  await session.close();
  const stats = session.stats().channels.default;
  return { nsPerEvent: Number(loopNs) / (batch * (batches - warmup)), lost: stats.discarded };
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

    console.log('\n## Hot path: local trace vs streaming to the relay (same loop, interleaved runs)');
    console.log('Event `a %d b %d c %ld s %s`, batches of 50,000 that fit the ring, 25 ms apart; ns/event of the loops only, the first 4 batches of each session (before the new fire function is optimised) left out.');
    console.log('| run | local ns/event | relay ns/event | relay / local | lost (local, relay) |');
    console.log('|---|---|---|---|---|');
    const local: number[] = [];
    const relay: number[] = [];
    const runs = quick ? 3 : 7;
    for (let run = 0; run < runs; run++) {
      // Alternate which goes first: no mode always gets the warmer JIT or the quieter moment.
      const order: Mode[] = run % 2 === 0 ? ['local', 'relay'] : ['relay', 'local'];
      const results: Partial<Record<Mode, { nsPerEvent: number; lost: number }>> = {};
      for (const mode of order) results[mode] = await hotPath(mode, url, base, run);
      const l = results.local as { nsPerEvent: number; lost: number };
      const r = results.relay as { nsPerEvent: number; lost: number };
      local.push(l.nsPerEvent);
      relay.push(r.nsPerEvent);
      console.log(`| ${run + 1} | ${l.nsPerEvent.toFixed(1)} | ${r.nsPerEvent.toFixed(1)} | ${(r.nsPerEvent / l.nsPerEvent).toFixed(2)} | ${l.lost}, ${r.lost} |`);
    }
    console.log(`| median | ${median(local).toFixed(1)} | ${median(relay).toFixed(1)} | ${(median(relay) / median(local)).toFixed(2)} | |`);

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
