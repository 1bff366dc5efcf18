/**
 * node:net, node:udp, node:child_process, node:worker, node:gc, node:eventloop and node:process
 * with real sockets on 127.0.0.1, real processes and threads; every trace read by babeltrace2.
 * Every source used here exists on Node 20, 22, 24 and 26 (docs/node.md), so none is skipped.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Session } from '../../src/index.js';
import { nodeMarkerNames } from '../../src/integrations/node/index.js';
import { trace } from '../ctf/helpers.js';
import { named, one, readWithBabeltrace } from './helpers.js';

const APP = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures', 'runtime-app.js');

function recordApp(mode: string, nodeArgs: string[] = []): { dir: string; status: number | null; stderr: string } {
  const dir = trace(`node-${mode}`);
  const run = spawnSync(process.execPath, [...nodeArgs, APP, mode, dir], { encoding: 'utf8', timeout: 60_000 });
  return { dir, status: run.status, stderr: run.stderr };
}

async function recording(prefix: string, pattern: string, body: () => Promise<void>): Promise<ReturnType<typeof readWithBabeltrace>> {
  const dir = trace(prefix);
  const session = new Session({ output: dir });
  session.enable(pattern);
  session.start();
  try {
    await body();
  } finally {
    await session.close();
  }
  return readWithBabeltrace(dir);
}

describe('node:* runtime sources', () => {
  test('every source exists on this Node', () => {
    // Node 20.19+: all the channels and perf_hooks features used are there (checked on 20, 22, 24, 26).
    const names = nodeMarkerNames();
    for (const prefix of ['node:http.server:', 'node:http.client:', 'node:fetch:', 'node:net:', 'node:udp:', 'node:child_process:', 'node:worker:', 'node:gc:', 'node:eventloop:', 'node:process:']) {
      assert.ok(names.some((name) => name.startsWith(prefix)), `${prefix}* on ${process.version}`);
    }
  });

  test('a raw net socket: client and server sides, close with byte counts', async () => {
    let serverPort = 0;
    const events = await recording('node-net', 'node:net:*', async () => {
      let serverSideClosed!: Promise<unknown>;
      const server = net.createServer((socket) => {
        serverSideClosed = new Promise((resolve) => socket.on('close', resolve));
        socket.on('data', (data) => socket.end(data));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      serverPort = (server.address() as net.AddressInfo).port;
      const echoed = await new Promise<string>((resolve, reject) => {
        const client = net.connect(serverPort, '127.0.0.1', () => client.write('ping'));
        let text = '';
        client.setEncoding('utf8');
        client.on('data', (chunk: string) => { text += chunk; });
        client.on('close', () => resolve(text));
        client.on('error', reject);
      });
      assert.equal(echoed, 'ping');
      await serverSideClosed;
      await new Promise((resolve) => server.close(resolve));
    });
    const client = one(events, 'node:net:client', { remote_port: BigInt(serverPort) });
    assert.deepEqual([client.fields.remote_address, client.fields.family], ['127.0.0.1', 'IPv4']);
    const server = one(events, 'node:net:server');
    assert.equal(server.fields.remote_address, '127.0.0.1');
    const clientClose = one(events, 'node:net:close', { socket_id: client.fields.socket_id });
    assert.deepEqual([clientClose.fields.error, clientClose.fields.bytes_written, clientClose.fields.bytes_read], ['', 4n, 4n]);
    const serverClose = one(events, 'node:net:close', { socket_id: server.fields.socket_id });
    assert.deepEqual([serverClose.fields.bytes_read, serverClose.fields.bytes_written], [4n, 4n]);
  });

  test('a UDP socket: created, bound, closed', async () => {
    let port = 0;
    const events = await recording('node-udp', 'node:udp:*', async () => {
      const socket = dgram.createSocket('udp4');
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      port = socket.address().port;
      const received = new Promise<string>((resolve) => socket.once('message', (data) => resolve(data.toString())));
      socket.send('hi', port, '127.0.0.1');
      assert.equal(await received, 'hi');
      await new Promise<void>((resolve) => socket.close(resolve));
    });
    const created = one(events, 'node:udp:socket', { type: 'udp4' });
    const span = { socket_id: created.fields.socket_id };
    assert.deepEqual(one(events, 'node:udp:listening', span).fields, { ...span, address: '127.0.0.1', port: BigInt(port) });
    one(events, 'node:udp:close', span);
  });

  test('a child process: begin with pid, file and arguments; end with its exit code', async () => {
    let pid = 0;
    const events = await recording('node-child', 'node:child_process:*', async () => {
      const child = spawn(process.execPath, ['-e', 'process.exit(3)'], { stdio: 'ignore' });
      pid = child.pid ?? 0;
      await new Promise((resolve) => child.on('exit', resolve));
    });
    const begin = one(events, 'node:child_process:begin');
    assert.deepEqual([begin.fields.pid, begin.fields.file, begin.fields.args], [BigInt(pid), process.execPath, '-e process.exit(3)']);
    const end = one(events, 'node:child_process:end', { span_id: begin.fields.span_id });
    assert.deepEqual([end.fields.pid, end.fields.code, end.fields.signal], [BigInt(pid), 3n, '']);
  });

  test('a worker thread: begin with its thread id, end with its exit code', async () => {
    let threadId = 0;
    const events = await recording('node-worker', 'node:worker:*', async () => {
      const worker = new Worker('process.exit(7)', { eval: true });
      threadId = worker.threadId;
      await new Promise((resolve) => worker.on('exit', resolve));
    });
    const begin = one(events, 'node:worker:begin', { thread_id: BigInt(threadId) });
    const end = one(events, 'node:worker:end', { span_id: begin.fields.span_id });
    assert.deepEqual([end.fields.thread_id, end.fields.code], [BigInt(threadId), 7n]);
  });

  test('forced GC (--expose-gc): major collections with their start and duration', () => {
    const run = recordApp('gc', ['--expose-gc']);
    assert.equal(run.status, 0, run.stderr);
    const collections = named(readWithBabeltrace(run.dir), 'node:gc:collection');
    const major = collections.filter((e) => e.fields.kind === 'major');
    assert.ok(major.length >= 3, `three forced major collections, got ${collections.map((e) => e.fields.kind).join(',')}`);
    for (const e of major) {
      assert.ok((e.fields.start_ns as bigint) > 0n);
      assert.ok((e.fields.duration_ns as bigint) > 0n);
    }
    // Heap sizes from v8.GCProfiler, paired with the perf_hooks entries (docs/node.md).
    const withHeap = major.filter((e) => (e.fields.heap_before as bigint) > 0n);
    assert.ok(withHeap.length >= 3, `heap sizes on the forced collections: ${major.map((e) => `${e.fields.heap_before}->${e.fields.heap_after}`).join(' ')}`);
    for (const e of withHeap) assert.ok((e.fields.heap_after as bigint) > 0n);
    assert.ok(withHeap.every((e) => (e.fields.heap_before as bigint) - (e.fields.heap_after as bigint) > 1_000_000n),
      `each forced collection freed its garbage (> 1 MB): ${withHeap.map((e) => `${e.fields.heap_before}->${e.fields.heap_after}`).join(' ')}`);
  });

  for (const mode of ['gc-close', 'gc-exit']) {
    test(`the collections held back for one heap-profiler take are written when the session ${mode === 'gc-close' ? 'closes' : 'ends with process.exit()'}`, () => {
      const run = recordApp(mode, ['--expose-gc']);
      assert.equal(run.status, 0, run.stderr);
      const major = named(readWithBabeltrace(run.dir), 'node:gc:collection').filter((e) => e.fields.kind === 'major');
      assert.ok(major.length >= 3, `three forced major collections, got ${major.length}`);
      assert.ok(major.filter((e) => (e.fields.heap_before as bigint) > 0n).length >= 3, 'with their heap sizes');
    });
  }

  test('a 200 ms busy loop shows in the event-loop delay; utilisation is sampled too', () => {
    const run = recordApp('block');
    assert.equal(run.status, 0, run.stderr);
    const events = readWithBabeltrace(run.dir);
    const delays = named(events, 'node:eventloop:delay');
    const worst = delays.reduce((max, e) => ((e.fields.max_ns as bigint) > max ? (e.fields.max_ns as bigint) : max), 0n);
    assert.ok(worst >= 150_000_000n, `max delay ${worst} ns`);
    const busy = named(events, 'node:eventloop:utilization').map((e) => e.fields.utilization as number);
    assert.ok(busy.length > 0 && busy.every((u) => u >= 0 && u <= 1));
    assert.ok(busy.some((u) => u > 0.5), 'the blocked interval is busy');
  });

  test('an uncaught exception in a child: its name, message and first stack line; then the exit code', () => {
    const run = recordApp('uncaught');
    assert.equal(run.status, 1);
    assert.match(run.stderr, /TypeError: boom in the child/, 'Node still reports the error itself');
    const events = readWithBabeltrace(run.dir);
    const uncaught = one(events, 'node:process:uncaught_exception');
    assert.deepEqual([uncaught.fields.name, uncaught.fields.message], ['TypeError', 'boom in the child']);
    assert.match(String(uncaught.fields.stack), /^at .*runtime-app\.js:\d+:\d+/);
    assert.equal(one(events, 'node:process:exit').fields.code, 1n);
  });

  test('an unhandled rejection (default mode: it crashes the process, as without tracemark)', () => {
    const run = recordApp('rejection');
    assert.equal(run.status, 1);
    assert.match(run.stderr, /RangeError: nobody catches this/);
    const events = readWithBabeltrace(run.dir);
    const rejection = one(events, 'node:process:unhandled_rejection');
    assert.deepEqual([rejection.fields.name, rejection.fields.message], ['RangeError', 'nobody catches this']);
    assert.deepEqual(named(events, 'node:process:uncaught_exception'), []);
    assert.equal(one(events, 'node:process:exit').fields.code, 1n);
  });
});
