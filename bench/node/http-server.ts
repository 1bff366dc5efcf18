/**
 * The server side of the node:* HTTP benchmark, one process per case:
 * `node http-server.js none|off|mem|on [TRACE_DIR] [PATTERN]` (PATTERN: what to record, node:*). Prints its port, serves until SIGTERM, then
 * prints one JSON line of what it recorded.
 *  - none: tracemark is never loaded;
 *  - off: tracemark is imported (and its node integration with it), no session;
 *  - mem: a session records node:* in memory (flight-recorder ring, no trace directory);
 *  - on: a session records node:* into TRACE_DIR (the drainer thread writes it to disk).
 */
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
    session.enable(pattern);
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

const body = Buffer.from('hello from the benchmark server\n');
const server = http.createServer((request, response) => {
  if (request.url === '/cpu') {
    // The bench reads the server's CPU time around its measured load.
    const { user, system } = process.cpuUsage();
    response.end(JSON.stringify({ cpuUs: user + system }));
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
