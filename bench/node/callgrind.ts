/**
 * node:* cost in instructions, which the host's load does not change: the benchmark server
 * (http-server.js) runs under `valgrind --tool=callgrind --separate-threads=yes`, a closed-loop
 * client in this process sends `--warmup` keep-alive requests (the JIT settles), the counters are
 * zeroed (`callgrind_control -z`), `--requests` more are sent, and the counters are dumped: the
 * main thread's instructions per request, per case (one source at a time, then all of node:*).
 * Then the counters are zeroed again and the server left idle for `--idle` seconds: per-second
 * work (the event-loop sampler's 10 ms ticker, ELU sampling) is reported apart, as instructions
 * per second. It is not subtracted from the busy phase: under valgrind a request takes ~50x
 * longer in wall time, so per-second work is charged ~50x too much per request (and more on a
 * loaded host): the per-request column of `eventloop` means nothing, and `all` leaves it out.
 * Needs valgrind. About 1 minute per case and Node version.
 * `node dist/bench/node/callgrind.js [--node PATH]... [--cases none,off,...] [--warmup 3000] [--requests 3000] [--idle 5]`
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('./http-server.js', import.meta.url));

interface Case { key: string; mode: 'none' | 'off' | 'on'; pattern: string; label: string }
const ALL_CASES: readonly Case[] = [
  { key: 'none', mode: 'none', pattern: '', label: 'without tracemark' },
  { key: 'off', mode: 'off', pattern: '', label: 'tracemark imported, off' },
  ...['http.server', 'net', 'gc', 'eventloop'].map((source) => ({ key: source, mode: 'on' as const, pattern: `node:${source}:*`, label: `only node:${source}:*` })),
  // The event-loop sampler's work is per second, not per request: see its idle column.
  { key: 'all', mode: 'on', pattern: 'node:*,-node:eventloop:*', label: 'node:* but node:eventloop:*' },
];

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

function options(name: string): string[] {
  const values: string[] = [];
  process.argv.forEach((arg, i) => { if (arg === `--${name}` && i + 1 < process.argv.length) values.push(process.argv[i + 1]); });
  return values;
}

/** Closed loop: `connections` loops of request → response → next, until `count` were sent. */
async function load(agent: http.Agent, port: number, connections: number, count: number): Promise<number> {
  let sent = 0;
  let failed = 0;
  const one = (): Promise<void> => new Promise((resolve) => {
    http.get({ host: '127.0.0.1', port, path: '/bench', agent }, (response) => {
      response.resume();
      response.on('end', resolve);
    }).on('error', () => { failed++; resolve(); });
  });
  await Promise.all(Array.from({ length: connections }, async () => {
    while (sent < count) { sent++; await one(); }
  }));
  return failed;
}

/** Instructions per thread of dump number `dump` (thread 1 = the main thread). */
function readDump(dir: string, pid: number, dump: number): Map<number, number> {
  const threads = new Map<number, number>();
  const prefix = `cg.${pid}.${dump}-`;
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix)) continue;
    const text = readFileSync(join(dir, name), 'utf8');
    const match = /^summary: (\d+)/m.exec(text) ?? /^totals: (\d+)/m.exec(text);
    threads.set(Number(name.slice(prefix.length)), match === null ? 0 : Number(match[1]));
  }
  return threads;
}

function control(command: '-z' | '-d', pid: number): void {
  const result = spawnSync('callgrind_control', [command, String(pid)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`callgrind_control ${command} ${pid}: ${result.stderr}`);
}

/** Waits until dump `dump` of every thread is written (callgrind_control returns before). */
async function waitForDump(dir: string, pid: number, dump: number): Promise<Map<number, number>> {
  for (let i = 0; i < 600; i++) {
    const threads = readDump(dir, pid, dump);
    if (threads.has(1)) {
      await new Promise((r) => setTimeout(r, 500));
      return readDump(dir, pid, dump);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no callgrind dump ${dump} for ${pid}`);
}

interface Result { c: Case; mainPerRequest: number; otherPerRequest: number; idleMainPerSecond: number; measuredSeconds: number; failed: number; written: number }

function startServer(node: string, c: Case, traceDir: string, outDir: string): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  return new Promise((resolve, reject) => {
    const args = ['--tool=callgrind', '--separate-threads=yes', `--callgrind-out-file=${join(outDir, 'cg.%p')}`,
      node, SERVER, c.mode, traceDir, ...(c.pattern === '' ? [] : [c.pattern])];
    const child = spawn('valgrind', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      const nl = out.indexOf('\n');
      if (nl > 0) resolve({ child, port: Number(out.slice(0, nl)), output: () => out });
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => { err = (err + chunk).slice(-4000); });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`server under valgrind exited with ${code}: ${err}`)));
  });
}

async function runCase(node: string, c: Case, warmup: number, requests: number, idleSeconds: number, connections: number): Promise<Result> {
  const outDir = mkdtempSync(join(tmpdir(), 'tracemark-callgrind-'));
  const traceDir = join(outDir, 'trace');
  const { child, port, output } = await startServer(node, c, traceDir, outDir);
  const pid = child.pid!;
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  try {
    let failed = await load(agent, port, connections, warmup);
    control('-z', pid);
    const t0 = performance.now();
    failed += await load(agent, port, connections, requests);
    const measuredSeconds = (performance.now() - t0) / 1000;
    control('-d', pid);
    const busy = await waitForDump(outDir, pid, 1);
    control('-z', pid);
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    control('-d', pid);
    const idle = await waitForDump(outDir, pid, 2);
    const idleMainPerSecond = (idle.get(1) ?? 0) / idleSeconds;
    const main = busy.get(1) ?? 0;
    let other = 0;
    for (const [thread, count] of busy) if (thread !== 1) other += count;
    const stopped = await stopServer(child, output);
    return {
      c,
      written: stopped,
      mainPerRequest: main / requests,
      otherPerRequest: other / requests,
      idleMainPerSecond,
      measuredSeconds,
      failed,
    };
  } finally {
    agent.destroy();
    if (child.exitCode === null) await stopServer(child, output);
    rmSync(outDir, { recursive: true, force: true });
  }
}

/** Stops the server; the events it recorded (warm-up, measured and idle phases), -1 if none. */
async function stopServer(child: ChildProcess, output: () => string): Promise<number> {
  child.removeAllListeners('exit');
  if (child.exitCode === null) await new Promise<void>((resolve) => { child.on('exit', () => resolve()); child.kill('SIGTERM'); });
  const line = output().split('\n')[1];
  try {
    return line === undefined || line === '' ? -1 : Number((JSON.parse(line) as { written?: number }).written ?? -1);
  } catch {
    return -1;
  }
}

function version(node: string): string {
  return spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
}

export async function callgrindBenchmark(): Promise<void> {
  const nodes = options('node');
  if (nodes.length === 0) nodes.push(process.execPath);
  const wanted = options('cases').flatMap((list) => list.split(','));
  const cases = wanted.length === 0 ? ALL_CASES : ALL_CASES.filter((c) => wanted.includes(c.key));
  const warmup = option('warmup', 3000);
  const requests = option('requests', 3000);
  const idleSeconds = option('idle', 5);
  const connections = option('connections', 8);
  console.log('\n## node:* in instructions per request (callgrind, main thread of the server)');
  console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (instruction counts do not depend on it); ${warmup} warm-up requests, counters zeroed, ${requests} measured, ${connections} keep-alive connections; idle ${idleSeconds} s after\n`);
  console.log('| node | case | main thread k instr/request | ratio | other threads k instr/request | main thread idle k instr/s | events recorded (whole run) | failed |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const node of nodes) {
    let base = NaN;
    for (const c of cases) {
      const r = await runCase(node, c, warmup, requests, idleSeconds, connections);
      if (c.key === 'none') base = r.mainPerRequest;
      console.log(`| ${version(node)} | ${c.label} | ${(r.mainPerRequest / 1000).toFixed(1)} | ${(r.mainPerRequest / base).toFixed(3)} | ${(r.otherPerRequest / 1000).toFixed(1)} | ${(r.idleMainPerSecond / 1000).toFixed(0)} | ${r.written < 0 ? '–' : r.written} | ${r.failed} |`);
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await callgrindBenchmark();
