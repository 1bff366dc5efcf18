/**
 * The demo service: a small node:http server on 127.0.0.1 (port 0) with a few markers, which
 * generates its own bounded loopback load, then shuts down, so that `tracemark record` sees a
 * complete run: node dist/examples/service.js [--requests N] [--concurrency C] [--seconds S]
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { marker } from '../src/index.js';
import { encodePayloadHeader } from './payload-header.js';

const httpRequestMarker = marker('http:request', 'method %s url %s');
const httpResponseMarker = marker('http:response', 'status %u bytes %lu dur_us %f');
const payloadMarker = marker('app:payload', 'route %s header %pW');

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '20' },
  },
});
const totalRequests = Math.max(1, Number(values.requests));
const concurrency = Math.max(1, Number(values.concurrency));
const deadline = Date.now() + Math.max(1, Number(values.seconds)) * 1000;

let sequence = 0;

function send(res: ServerResponse, status: number, body: string, contentType: 'json' | 'text', route: string): void {
  const bytes = Buffer.from(body);
  // Guard the costly argument: the header is only built when someone records app:payload.
  if (payloadMarker.enabled) {
    payloadMarker(route, encodePayloadHeader({ version: 1, contentType, bodyBytes: bytes.length, sequence: sequence++ }));
  }
  // setHeader (not writeHead's object) so that the 'finish' listener can read the length back.
  res.setHeader('content-type', contentType === 'json' ? 'application/json' : 'text/plain');
  res.setHeader('content-length', bytes.length);
  res.writeHead(status);
  res.end(bytes);
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const started = process.hrtime.bigint();
  const url = req.url ?? '/';
  httpRequestMarker(req.method ?? 'GET', url);
  res.on('finish', () => {
    const durUs = Number(process.hrtime.bigint() - started) / 1000;
    httpResponseMarker(res.statusCode, Number(res.getHeader('content-length') ?? 0), durUs);
  });
  const item = /^\/api\/items\/(\d+)$/.exec(url);
  if (item !== null) {
    const id = Number(item[1]);
    const body = JSON.stringify({ id, name: `item-${id}`, tags: Array.from({ length: id % 7 }, (_, i) => `t${i}`) });
    send(res, 200, body, 'json', '/api/items/:id');
  } else if (url === '/health') {
    send(res, 200, 'ok', 'text', '/health');
  } else {
    send(res, 404, JSON.stringify({ error: 'not found', url }), 'json', '*');
  }
}

function pathFor(n: number): string {
  if (n % 50 === 0) return '/missing';
  if (n % 10 === 0) return '/health';
  return `/api/items/${n % 100}`;
}

function get(port: number, agent: Agent, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
}

async function generateLoad(port: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < totalRequests && Date.now() < deadline) await get(port, agent, pathFor(issued++));
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return issued;
}

const server = createServer(handle);
server.keepAliveTimeout = 1000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  const started = Date.now();
  generateLoad(port).then((done) => {
    console.log(`service: answered ${done} requests on 127.0.0.1:${port} in ${Date.now() - started} ms`);
    server.close();
    server.closeAllConnections();
  }, (error: unknown) => {
    console.error(`service: load failed: ${(error as Error).message}`);
    process.exitCode = 1;
    server.close();
    server.closeAllConnections();
  });
});
