/**
 * The application under attack in the control-socket soak (bench/soak/control.ts): it listens on
 * the control socket, fires markers from a 1 ms timer, and measures its own latency, as an
 * application would see it: the drift of a 10 ms timer, and the time of an HTTP GET to its own
 * server on 127.0.0.1 (one every 20 ms). Driven by lines on stdin: `reset` clears the samples,
 * `report` prints one JSON line with them; the process ends when stdin closes.
 *
 *   TRACEMARK_CONTROL_DIR=<dir> [CONTROL_IDLE_MS=n] node dist/bench/soak/support/control-host.js
 */
import { createServer, get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listen, marker } from '../../../src/index.js';

const tick = marker('attack:tick', 'i %u label %s');
const blob = marker('attack:blob', 'n %d payload %pW');
const payload = new Uint8Array(64);

/** Samples in ms, bounded: a long run keeps the last 200,000. */
class Samples {
  values: number[] = [];
  add(ms: number): void {
    if (this.values.length >= 200_000) this.values.splice(0, 100_000);
    this.values.push(ms);
  }
  summary(): { n: number; p50: number; p99: number; max: number } {
    const sorted = [...this.values].sort((a, b) => a - b);
    const at = (q: number): number => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
    return { n: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.length === 0 ? 0 : sorted[sorted.length - 1] };
  }
}

const timerDrift = new Samples();
const httpTime = new Samples();
let fired = 0;
let httpErrors = 0;
let cpuSince = process.cpuUsage();
let wallSince = performance.now();

const idleTimeoutMs = Number(process.env.CONTROL_IDLE_MS ?? '') || undefined;
const control = await listen({ ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }) });

const fireTimer = setInterval(() => {
  for (let k = 0; k < 20; k++) {
    tick(fired, 'tick');
    blob(fired, payload);
    fired += 2;
  }
}, 1);

const PERIOD_MS = 10;
let expected = performance.now() + PERIOD_MS;
const driftTimer = setInterval(() => {
  const now = performance.now();
  timerDrift.add(Math.max(0, now - expected));
  expected = now + PERIOD_MS;
}, PERIOD_MS);

const server = createServer((_req, res) => { res.end('ok'); });
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
const port = (server.address() as AddressInfo).port;
let inFlight = false;
const httpTimer = setInterval(() => {
  if (inFlight) return;
  inFlight = true;
  const started = performance.now();
  const req = get({ host: '127.0.0.1', port, path: '/', agent: false }, (res: IncomingMessage) => {
    res.resume();
    res.on('end', () => { httpTime.add(performance.now() - started); inFlight = false; });
  });
  req.on('error', () => { httpErrors++; inFlight = false; });
}, 20);

function report(): string {
  // Run with --expose-gc by the soak: the heap figure is then what stays, not what waits for GC.
  (globalThis as { gc?: () => void }).gc?.();
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage(cpuSince);
  return JSON.stringify({
    // The host's CPU (all its threads) as a share of one core since the last reset.
    cpuShare: (cpu.user + cpu.system) / 1000 / Math.max(1, performance.now() - wallSince),
    timerDrift: timerDrift.summary(),
    http: httpTime.summary(),
    httpErrors,
    fired,
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    handles: (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length,
  });
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  input += chunk;
  let nl: number;
  while ((nl = input.indexOf('\n')) >= 0) {
    const command = input.slice(0, nl).trim();
    input = input.slice(nl + 1);
    if (command === 'reset') {
      timerDrift.values = [];
      httpTime.values = [];
      httpErrors = 0;
      cpuSince = process.cpuUsage();
      wallSince = performance.now();
      process.stdout.write('reset\n');
    } else if (command === 'report') {
      process.stdout.write(`${report()}\n`);
    }
  }
});
process.stdin.on('end', () => {
  clearInterval(fireTimer);
  clearInterval(driftTimer);
  clearInterval(httpTimer);
  server.close();
  void control.close();
});
process.stdout.write(`ready ${control.path}\n`);
