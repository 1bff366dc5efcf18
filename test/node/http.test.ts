/**
 * node:http.* and node:fetch:* against a real server on 127.0.0.1: requests made by http.request
 * and by fetch, refused connections, request ids and the request context; every trace read by
 * babeltrace2. The "off" state: no channel has subscribers before a session enables a node
 * marker, nor after it stops.
 */
import assert from 'node:assert/strict';
import dc from 'node:diagnostics_channel';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { Session, currentRequest, marker } from '../../src/index.js';
import { runningNodeSources } from '../../src/integrations/node/index.js';
import { gcProfilerRunning } from '../../src/integrations/node/gc.js';
import { trace } from '../ctf/helpers.js';
import { CHANNELS, named, one, readWithBabeltrace } from './helpers.js';

function subscribed(): string[] {
  return CHANNELS.filter((name) => dc.hasSubscribers(name));
}

async function withServer<T>(handler: http.RequestListener, run: (port: number) => Promise<T>): Promise<T> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await run((server.address() as AddressInfo).port);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { body += chunk; });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

/** A port on 127.0.0.1 that nothing listens on (it was just closed). */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('node:http and node:fetch', () => {
  test('off: nothing subscribed before a session enables node:*, nor after it stops', async () => {
    assert.deepEqual(subscribed(), [], 'no subscriber at import');
    assert.deepEqual(runningNodeSources(), []);
    const app = new Session();
    app.enable('app:*');
    app.start();
    assert.deepEqual(subscribed(), [], 'a session without node:* rules subscribes nothing');
    await app.close();

    const session = new Session({ node: { sampleIntervalMs: 50 } });
    session.enable('node:*');
    session.start();
    assert.deepEqual(subscribed(), CHANNELS, 'every source subscribed while node:* records');
    assert.ok(runningNodeSources().includes('gc') && runningNodeSources().includes('eventloop'));
    assert.equal(gcProfilerRunning(), true, 'v8.GCProfiler runs while node:gc:* records');
    session.stop();
    assert.deepEqual(subscribed(), [], 'unsubscribed at stop');
    assert.deepEqual(runningNodeSources(), [], 'no observer, no sampler left');
    assert.equal(gcProfilerRunning(), false, 'nor the heap profiler');
    session.start();
    session.disable('node:*');
    assert.deepEqual(subscribed(), [], 'unsubscribed when a rule turns the markers off');
    await session.close();

    const some = new Session();
    some.enable('node:http.server:*');
    some.start();
    assert.deepEqual(subscribed(), ['http.server.request.start', 'http.server.response.finish'], 'only the enabled source');
    const detach = marker('node:http.server:begin', 'span_id %lu method %s url %s remote_address %s remote_port %u').attach(() => {});
    await some.close();
    assert.deepEqual(subscribed(), ['http.server.request.start', 'http.server.response.finish'], 'a probe keeps its source on');
    detach();
    assert.deepEqual(subscribed(), []);
  });

  test('http.request and fetch against a server: spans with request ids, status, bytes, durations', async () => {
    const dir = trace('node-http');
    const session = new Session({ output: dir });
    session.enable('node:http.*').enable('node:fetch:*');
    session.start();
    const bodies = await withServer((request, response) => {
      response.setHeader('content-type', 'text/plain');
      response.statusCode = request.url === '/missing' ? 404 : 200;
      response.end(`hello ${request.method} ${request.url}`);
    }, async (port) => {
      const first = await get(port, '/one?x=1');
      const missing = await get(port, '/missing');
      const fetched = await fetch(`http://127.0.0.1:${port}/two`, { method: 'POST', body: 'data' });
      return [first, missing, { status: fetched.status, body: await fetched.text() }];
    });
    await session.close();
    assert.deepEqual(bodies.map((b) => b.status), [200, 404, 200]);

    const events = readWithBabeltrace(dir);
    const serverBegins = named(events, 'node:http.server:begin');
    assert.deepEqual(serverBegins.map((e) => [e.fields.method, e.fields.url, e.fields.remote_address]),
      [['GET', '/one?x=1', '127.0.0.1'], ['GET', '/missing', '127.0.0.1'], ['POST', '/two', '127.0.0.1']]);
    for (const begin of serverBegins) {
      assert.ok(Number(begin.fields.remote_port) > 0);
      const end = one(events, 'node:http.server:end', { span_id: begin.fields.span_id });
      assert.equal(end.fields.status, begin.fields.url === '/missing' ? 404n : 200n);
      assert.ok((end.fields.bytes as bigint) > BigInt(`hello GET ${begin.fields.url}`.length), 'headers and body');
      assert.ok((end.fields.duration_ns as bigint) > 0n);
    }
    const ids = new Set(serverBegins.map((e) => e.fields.span_id));
    assert.equal(ids.size, 3, 'one request id per request');

    const clientBegins = named(events, 'node:http.client:begin');
    assert.deepEqual(clientBegins.map((e) => [e.fields.method, e.fields.path, e.fields.parent]), [['GET', '/one?x=1', 0n], ['GET', '/missing', 0n]]);
    assert.match(String(clientBegins[0].fields.host), /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(clientBegins.map((b) => one(events, 'node:http.client:end', { span_id: b.fields.span_id }).fields.status), [200n, 404n]);

    const fetchBegin = one(events, 'node:fetch:begin', { method: 'POST', path: '/two' });
    assert.match(String(fetchBegin.fields.origin), /^http:\/\/127\.0\.0\.1:\d+$/);
    const span = { span_id: fetchBegin.fields.span_id };
    assert.equal(one(events, 'node:fetch:headers', span).fields.status, 200n);
    const fetchEnd = one(events, 'node:fetch:end', span);
    assert.equal(fetchEnd.fields.status, 200n);
    assert.ok((fetchEnd.fields.duration_ns as bigint) >= (one(events, 'node:fetch:headers', span).fields.duration_ns as bigint));
    assert.deepEqual(named(events, 'node:http.client:error'), []);
  });

  test('a response that never finishes (the client goes away): its span still ends, error "aborted"', async () => {
    const dir = trace('node-abort');
    const session = new Session({ output: dir });
    session.enable('node:http.server:*');
    session.start();
    let closed!: () => void;
    const responseClosed = new Promise<void>((resolve) => { closed = resolve; });
    await withServer((request, response) => {
      if (request.url === '/done') { response.end('ok'); return; }
      // Headers out, body never ended: the client gives up.
      response.writeHead(202);
      response.write('partial');
      response.on('close', () => closed());
    }, async (port) => {
      await get(port, '/done');
      await new Promise<void>((resolve, reject) => {
        const request = http.request({ host: '127.0.0.1', port, path: '/hang', agent: false }, (response) => {
          response.once('data', () => { request.destroy(); resolve(); });
        });
        request.on('error', (error) => { if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error); });
        request.end();
      });
      await responseClosed;
    });
    await session.close();

    const events = readWithBabeltrace(dir);
    const done = one(events, 'node:http.server:begin', { url: '/done' });
    assert.deepEqual([one(events, 'node:http.server:end', { span_id: done.fields.span_id }).fields.error], [''], 'a finished response');
    const hang = one(events, 'node:http.server:begin', { url: '/hang' });
    const end = one(events, 'node:http.server:end', { span_id: hang.fields.span_id });
    assert.equal(end.fields.error, 'aborted');
    assert.equal(end.fields.status, 202n, 'the status sent so far');
    assert.ok((end.fields.duration_ns as bigint) > 0n);
    assert.equal(named(events, 'node:http.server:end').length, 2, 'one end per request, never two');
  });

  test('connection refused: http.request and fetch end with an error event', async () => {
    const dir = trace('node-refused');
    const port = await closedPort();
    const session = new Session({ output: dir });
    session.enable('node:http.client:*').enable('node:fetch:*').enable('node:net:*');
    session.start();
    await assert.rejects(get(port, '/nothing'), { code: 'ECONNREFUSED' });
    await assert.rejects(fetch(`http://127.0.0.1:${port}/nothing`), TypeError);
    await session.close();

    const events = readWithBabeltrace(dir);
    const begin = one(events, 'node:http.client:begin', { path: '/nothing' });
    const error = one(events, 'node:http.client:error', { span_id: begin.fields.span_id });
    assert.equal(error.fields.code, 'ECONNREFUSED');
    assert.match(String(error.fields.message), /ECONNREFUSED/);
    assert.equal(one(events, 'node:http.client:end', { span_id: begin.fields.span_id }).fields.status, 0n);

    const fetchBegin = one(events, 'node:fetch:begin', { path: '/nothing' });
    const fetchError = one(events, 'node:fetch:error', { span_id: fetchBegin.fields.span_id });
    assert.equal(fetchError.fields.code, 'ECONNREFUSED');
    assert.equal(one(events, 'node:fetch:end', { span_id: fetchBegin.fields.span_id }).fields.status, 0n);

    // The socket of http.request: closed with the error, the address it tried.
    const closes = named(events, 'node:net:close').filter((e) => e.fields.error === 'ECONNREFUSED');
    assert.ok(closes.length >= 1, 'a refused socket closes with ECONNREFUSED');
    assert.equal(closes[0].fields.remote_port, BigInt(port));
    assert.equal(closes[0].fields.remote_address, '127.0.0.1');
    assert.deepEqual(named(events, 'node:net:client').filter((e) => e.fields.remote_port === BigInt(port)), [], 'never connected');
  });

  test('request context: $ctx.request keeps the app markers of one request across await; currentRequest(); outgoing calls name their parent', async () => {
    const work = marker('nodetest:work', 'step %u request %lu');
    const session = new Session({ node: { requestContext: true } });
    session.enable('node:http.*').enable('node:fetch:*').enable('nodetest:*');
    const served: number[] = [];
    await withServer(async (request, response) => {
      const id = currentRequest();
      served.push(id);
      work(1, id);
      await new Promise((resolve) => setTimeout(resolve, 5));
      work(2, currentRequest());
      if (request.url === '/outer') {
        const inner = await fetch(`http://127.0.0.1:${(request.socket.address() as AddressInfo).port}/inner`);
        await inner.text();
      }
      work(3, currentRequest());
      response.end('ok');
    }, async (port) => {
      session.start();
      await get(port, '/first');
      await get(port, '/outer');
      await get(port, '/last');
    });
    assert.equal(currentRequest(), 0, 'outside any request');
    await session.close();

    const events = session.events();
    const begins = events.filter((e) => e.name === 'node:http.server:begin');
    assert.deepEqual(begins.map((e) => e.fields.url), ['/first', '/outer', '/inner', '/last']);
    const idOf = (url: string): number => Number(begins.find((e) => e.fields.url === url)!.fields.span_id);
    assert.deepEqual(served, [idOf('/first'), idOf('/outer'), idOf('/inner'), idOf('/last')], 'currentRequest() is the span_id');
    for (const url of ['/first', '/outer', '/last']) {
      const steps = events.filter((e) => e.name === 'nodetest:work' && Number(e.fields.request) === idOf(url));
      assert.deepEqual(steps.map((e) => e.fields.step), [1, 2, 3], `${url}: the id survives the awaits`);
    }
    const fetchBegin = events.find((e) => e.name === 'node:fetch:begin')!;
    assert.equal(Number(fetchBegin.fields.parent), idOf('/outer'), 'fetch inside a request names it as parent');
    assert.equal(Number(events.find((e) => e.name === 'node:http.client:begin')!.fields.parent), 0, 'the test\'s own requests have none');
  });

  test('a filter on $ctx.request turns the context on by itself and keeps one request\'s events', async () => {
    const work = marker('nodetest:step', 'n %u');
    let checked = false;
    const all = new Session();
    all.enable('node:http.server:begin');
    all.start();
    await withServer((_request, response) => { work(1); response.end('ok'); }, async (port) => {
      await get(port, '/a');
      const first = Number(all.events().find((e) => e.name === 'node:http.server:begin')!.fields.span_id);
      // Ids are process-wide and consecutive for one source: the next request gets first + 1.
      const dir = trace('node-ctx');
      const session = new Session({ output: dir });
      session.enable('nodetest:*', { filter: `$ctx.request == ${first + 2}` });
      session.enable('node:http.server:*', { filter: `span_id == ${first + 2}` });
      session.start();
      for (const path of ['/b', '/c', '/d']) await get(port, path);
      work(9); // outside: $ctx.request is 0
      await session.close();
      const events = readWithBabeltrace(dir);
      assert.deepEqual(events.map((e) => e.name), ['node:http.server:begin', 'nodetest:step', 'node:http.server:end']);
      assert.equal(events[0].fields.url, '/c');
      checked = true;
    });
    await all.close();
    assert.ok(checked);
  });
});
