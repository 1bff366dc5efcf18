/**
 * The server side of the node:* HTTP benchmark, one process per case:
 * `node http-server.js none|off|mem|on [TRACE_DIR] [PATTERN]` (PATTERN: what to record, node:*;
 * comma-separated rules, `-rule` disables one). Prints its port, serves until SIGTERM, then
 * prints one JSON line of what it recorded.
 *  - none: tracemark is never loaded;
 *  - off: tracemark is imported (and its node integration with it), no session;
 *  - mem: a session records node:* in memory (flight-recorder ring, no trace directory);
 *  - on: a session records node:* into TRACE_DIR (the drainer thread writes it to disk).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const [mode, dir, pattern = 'node:*'] = process.argv.slice(2);
let close: () => Promise<Record<string, unknown>> = async () => ({});
if (mode === 'off' || mode === 'on' || mode === 'mem') {
  const { Session } = await import('../../src/index.js');
  if (mode !== 'off') {
    const session = mode === 'on'
      ? new Session({ output: dir, channels: { default: { subbufSize: 1 << 20, subbufCount: 8 } } })
      : new Session({ channels: { default: { subbufSize: 1 << 20, subbufCount: 8, mode: 'overwrite' } } });
    // PATTERN: comma-separated rules; `-rule` disables (`node:*,-node:eventloop:*`).
    for (const rule of pattern.split(',')) {
      if (rule.startsWith('-')) session.disable(rule.slice(1));
      else session.enable(rule);
    }
    session.start();
    close = async () => {
      await session.close();
      const stats = session.stats().channels.default;
      return { written: stats.written, discarded: stats.discarded, overwrittenPackets: stats.overwrittenPackets };
    };
  }
} else if (mode !== 'none') {
  throw new Error(`mode: none, off, mem or on, not ${mode}`);
}

/**
 * CPU time of the main thread: process.threadCpuUsage() (Node 23.9+, µs), else Linux's
 * /proc/self/task/<pid>/stat (clock ticks of 10 ms: coarse, use long runs); -1 elsewhere.
 */
function mainThreadCpuUs(): number {
  const threadCpuUsage = (process as { threadCpuUsage?: () => { user: number; system: number } }).threadCpuUsage;
  if (typeof threadCpuUsage === 'function') {
    const { user, system } = threadCpuUsage.call(process);
    return user + system;
  }
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return -1;
  }
}

const body = Buffer.from('hello from the benchmark server\n');
const server = http.createServer((request, response) => {
  if (request.url === '/cpu') {
    // The bench reads the server's CPU time around its measured load: the whole process (every
    // thread: the drainer's work counts there) and the main thread alone.
    const { user, system } = process.cpuUsage();
    response.end(JSON.stringify({ cpuUs: user + system, mainThreadUs: mainThreadCpuUs() }));
    return;
  }
  response.setHeader('content-type', 'text/plain');
  response.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close();
  void close().then((stats) => {
    process.stdout.write(`${JSON.stringify(stats)}\n`);
    process.exit(0);
  });
});
