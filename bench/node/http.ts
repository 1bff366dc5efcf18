/**
 * node:* on an HTTP server: requests/s and p99 latency of a loopback server under a bounded load
 * (a fixed number of keep-alive connections, each sending its next request when the previous
 * answer arrived, for a fixed time) from a client in this process, the server in another:
 * without tracemark, with tracemark imported and off, with node:* recorded in memory only (the
 * integration's own cost) and into a trace directory (plus the writer's). The three cases are interleaved round by round (their order rotates), each in a
 * fresh server process; medians over the rounds, ratios to "without". The server's CPU time per
 * request is printed too: on a machine loaded by others, it varies far less than requests/s.
 * Main-thread CPU (Linux /proc, 10 ms ticks) is printed beside the whole process's: the drainer
 * thread's work counts in the latter only. `--breakdown` adds one case per source (which one costs).
 * Default: 7 rounds × (2 s warm-up + 3 s), about 2.5 minutes.
 * `--wrk`: the load comes from `wrk` (Debian's package; one thread) instead of this process: an
 * open-ended load that keeps the server's main thread busy, so that requests/s is the server's
 * capacity (a Node client tops out below it on 2 cores). Latencies are then wrk's.
 * `node dist/bench/node/http.js [--quick] [--breakdown] [--wrk] [--rounds N] [--seconds S] [--connections C]`
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dc from 'node:diagnostics_channel';
import { mkdtempSync, rmSync, readdirSync, statSync } from 'node:fs';
import http from 'node:http';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('./http-server.js', import.meta.url));
type Mode = 'none' | 'off' | 'mem' | 'on';

/** One server configuration: a mode of http-server.js and, when recording, what it records. */
interface Case { key: string; mode: Mode; pattern: string; label: string }
const CASES: readonly Case[] = [
  { key: 'none', mode: 'none', pattern: '', label: 'without tracemark' },
  { key: 'off', mode: 'off', pattern: '', label: 'tracemark imported, off' },
  { key: 'mem', mode: 'mem', pattern: 'node:*', label: 'node:* on, in memory (ring only)' },
  { key: 'on', mode: 'on', pattern: 'node:*', label: 'node:* on, into a trace directory' },
];
/** `--breakdown`: one source at a time into a trace directory, to see where the cost is. */
const BREAKDOWN: readonly Case[] = ['node:http.server:*', 'node:net:*', 'node:gc:*', 'node:eventloop:*'].map((pattern) => (
  { key: pattern, mode: 'on' as const, pattern, label: `only ${pattern}, into a trace directory` }));

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

interface Run { key: string; mode: Mode; requestsPerSecond: number; cpuUsPerRequest: number; mainThreadUsPerRequest: number; p50Ms: number; p99Ms: number; errors: number; traceBytes: number; recorded?: Record<string, unknown> }

function startServer(mode: Mode, dir: string, pattern: string): Promise<{ child: ChildProcess; port: number; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv.filter((a) => a.startsWith('--cpu-prof')), SERVER, mode, dir, ...(pattern === '' ? [] : [pattern])],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: string[] = [];
    let buffered = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        lines.push(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        if (lines.length === 1) resolve({ child, port: Number(lines[0]), lines });
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => { if (lines.length === 0) reject(new Error(`server ${mode} exited with ${code}`)); });
  });
}

function stopServer(server: { child: ChildProcess; lines: string[] }): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    server.child.on('exit', () => resolve(server.lines[1] === undefined ? {} : JSON.parse(server.lines[1]) as Record<string, unknown>));
    server.child.kill('SIGTERM');
  });
}

/** Closed-loop load: `connections` loops of request → response → next request, for `ms`. */
async function load(port: number, connections: number, ms: number): Promise<{ count: number; latenciesMs: number[]; errors: number; elapsedMs: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latenciesMs: number[] = [];
  let errors = 0;
  const start = performance.now();
  const deadline = start + ms;
  const one = (): Promise<void> => new Promise((resolve) => {
    const t0 = performance.now();
    const request = http.get({ host: '127.0.0.1', port, path: '/bench', agent }, (response) => {
      response.resume();
      response.on('end', () => { latenciesMs.push(performance.now() - t0); resolve(); });
    });
    request.on('error', () => { errors++; resolve(); });
  });
  const loop = async (): Promise<void> => { while (performance.now() < deadline) await one(); };
  await Promise.all(Array.from({ length: connections }, loop));
  const elapsedMs = performance.now() - start;
  agent.destroy();
  return { count: latenciesMs.length, latenciesMs, errors, elapsedMs };
}

/** `wrk` on PATH, or undefined. */
function findWrk(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const path = join(dir, 'wrk');
    try { if (statSync(path).isFile()) return path; } catch { /* next */ }
  }
  return undefined;
}

function wrkMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(text);
  if (match === null) return NaN;
  const value = Number(match[1]);
  return match[2] === 'us' ? value / 1000 : match[2] === 'ms' ? value : value * 1000;
}

/** The same load from `wrk -t1`: as many requests as the server answers, on `connections`. */
function loadWithWrk(wrk: string, port: number, connections: number, ms: number): Promise<{ count: number; errors: number; elapsedMs: number; p50Ms: number; p99Ms: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(wrk, ['-t1', `-c${connections}`, `-d${Math.max(1, Math.round(ms / 1000))}s`, '--latency', `http://127.0.0.1:${port}/bench`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => { out += chunk; });
    child.on('error', reject);
    child.on('exit', (code) => {
      const done = /(\d+) requests in ([\d.]+)(ms|s),/.exec(out);
      if (code !== 0 || done === null) { reject(new Error(`wrk failed (${code}): ${out}`)); return; }
      const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
      resolve({
        count: Number(done[1]),
        elapsedMs: Number(done[2]) * (done[3] === 's' ? 1000 : 1),
        errors: (errors === null ? 0 : errors.slice(1).reduce((sum, n) => sum + Number(n), 0)) + (non2xx === null ? 0 : Number(non2xx[1])),
        p50Ms: wrkMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? ''),
        p99Ms: wrkMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? ''),
      });
    });
  });
}

function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function dirBytes(dir: string): number {
  try {
    return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
  } catch {
    return 0;
  }
}

function serverCpuUs(port: number): Promise<{ cpuUs: number; mainThreadUs: number }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/cpu', agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { text += chunk; });
      response.on('end', () => resolve(JSON.parse(text) as { cpuUs: number; mainThreadUs: number }));
    }).on('error', reject);
  });
}

async function runCase(c: Case, base: string, round: number, seconds: number, connections: number, wrk: string | undefined): Promise<Run> {
  const dir = join(base, `${c.key.replace(/[^a-z]/g, '_')}-${round}`);
  const server = await startServer(c.mode, dir, c.pattern);
  // Warm-up: JIT (tens of thousands of requests), connections.
  if (wrk === undefined) await load(server.port, connections, 2000); else await loadWithWrk(wrk, server.port, connections, 2000);
  const cpuBefore = await serverCpuUs(server.port);
  let result: { count: number; errors: number; elapsedMs: number; p50Ms: number; p99Ms: number };
  if (wrk === undefined) {
    const closed = await load(server.port, connections, seconds * 1000);
    const sorted = closed.latenciesMs.sort((a, b) => a - b);
    result = { ...closed, p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99) };
  } else {
    result = await loadWithWrk(wrk, server.port, connections, seconds * 1000);
  }
  const cpuAfter = await serverCpuUs(server.port);
  const recorded = await stopServer(server);
  const requests = Math.max(1, result.count);
  return {
    key: c.key,
    mode: c.mode,
    requestsPerSecond: result.count / (result.elapsedMs / 1000),
    cpuUsPerRequest: (cpuAfter.cpuUs - cpuBefore.cpuUs) / requests,
    mainThreadUsPerRequest: cpuBefore.mainThreadUs < 0 ? NaN : (cpuAfter.mainThreadUs - cpuBefore.mainThreadUs) / requests,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    errors: result.errors,
    traceBytes: c.mode === 'on' ? dirBytes(dir) : 0,
    ...(c.mode === 'on' || c.mode === 'mem' ? { recorded } : {}),
  };
}

/**
 * The integration's own work per request, without the rest of the server: the two channels of
 * http.server published as Node does (a fresh message object each), with node:http.server:*
 * recorded in memory. Returns CPU ns per request with and without the session.
 */
async function subscriberCostNs(): Promise<{ off: number; on: number }> {
  const { Session } = await import('../../src/index.js');
  const start = dc.channel('http.server.request.start');
  const finish = dc.channel('http.server.response.finish');
  const socket = { remoteAddress: '127.0.0.1', remotePort: 40000, bytesWritten: 0 };
  const server = {};
  const loop = (n: number): void => {
    for (let i = 0; i < n; i++) {
      const request = { method: 'GET', url: '/bench' };
      const response = { statusCode: 200 };
      // What Node does: publish only with subscribers.
      if (start.hasSubscribers) start.publish({ request, response, socket, server });
      socket.bytesWritten += 120;
      if (finish.hasSubscribers) finish.publish({ request, response, socket, server });
    }
  };
  const cpuNsPerRequest = (): number => {
    loop(20_000);
    const before = process.cpuUsage();
    loop(200_000);
    const used = process.cpuUsage(before);
    return ((used.user + used.system) * 1000) / 200_000;
  };
  const off = cpuNsPerRequest();
  const session = new Session({ channels: { default: { mode: 'overwrite' } } });
  session.enable('node:http.server:*');
  session.start();
  const on = cpuNsPerRequest();
  await session.close();
  return { off, on };
}

export async function nodeHttpBenchmark(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const rounds = option('rounds', quick ? 2 : 7);
  const seconds = option('seconds', quick ? 2 : 3);
  const connections = option('connections', 16);
  const cases = process.argv.includes('--breakdown') ? [...CASES, ...BREAKDOWN] : CASES;
  const wrk = process.argv.includes('--wrk') ? findWrk() : undefined;
  if (process.argv.includes('--wrk') && wrk === undefined) throw new Error('--wrk: wrk is not on PATH (apt-get install wrk)');
  const base = mkdtempSync(join(tmpdir(), 'tracemark-bench-node-'));
  console.log(`\n## node:* on a loopback HTTP server — targets: off = no measurable difference, on ≤ 5 % fewer requests/s`);
  console.log(`node ${process.version}, ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; ${rounds} rounds × ${seconds} s × ${connections} keep-alive connections${wrk === undefined ? ' from this process (closed loop)' : ' from wrk -t1 (as fast as the server answers)'}, cases interleaved (order rotates per round)\n`);
  const runs: Run[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const order = cases.map((_, i) => cases[(i + round) % cases.length]);
      for (const c of order) {
        const run = await runCase(c, base, round, seconds, connections, wrk);
        runs.push(run);
        console.error(`round ${round + 1} ${c.key}: ${run.requestsPerSecond.toFixed(0)} req/s, ${run.cpuUsPerRequest.toFixed(1)} µs CPU/req (main thread ${run.mainThreadUsPerRequest.toFixed(1)}), p99 ${run.p99Ms.toFixed(2)} ms${run.recorded === undefined ? '' : ` ${JSON.stringify(run.recorded)}`}`);
      }
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  const rows = cases.map((c) => {
    const of = runs.filter((r) => r.key === c.key);
    return {
      c,
      rps: median(of.map((r) => r.requestsPerSecond)),
      cpu: median(of.map((r) => r.cpuUsPerRequest)),
      main: median(of.map((r) => r.mainThreadUsPerRequest)),
      p50: median(of.map((r) => r.p50Ms)),
      p99: median(of.map((r) => r.p99Ms)),
      all: of.map((r) => r.requestsPerSecond.toFixed(0)).join(' '),
      errors: of.reduce((s, r) => s + r.errors, 0),
      extra: c.mode === 'on' ? of.map((r) => `${JSON.stringify(r.recorded)} ${(r.traceBytes / 1e6).toFixed(1)} MB`).join('; ') : '',
    };
  });
  const base0 = rows[0];
  console.log('| case | req/s (median) | ratio | server CPU µs/request (all threads) | ratio | main thread CPU µs/request | ratio | p50 ms | p99 ms | p99 ratio | req/s per round | errors |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const row of rows) {
    console.log(`| ${row.c.label} | ${row.rps.toFixed(0)} | ${(row.rps / base0.rps).toFixed(3)} | ${row.cpu.toFixed(1)} | ${(row.cpu / base0.cpu).toFixed(3)} | ${row.main.toFixed(1)} | ${(row.main / base0.main).toFixed(3)} | ${row.p50.toFixed(2)} | ${row.p99.toFixed(2)} | ${(row.p99 / base0.p99).toFixed(2)} | ${row.all} | ${row.errors} |`);
  }
  console.log(`\nRecorded (on, per round): ${rows[3].extra}`);
  const cost = await subscriberCostNs();
  console.log(`\nThe integration alone (this process, node:http.server:* in memory, both channels published as Node does): ${cost.on.toFixed(0)} ns CPU per request, against ${cost.off.toFixed(0)} ns without subscribers.`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await nodeHttpBenchmark();
