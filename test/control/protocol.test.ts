/**
 * The control protocol under abuse, against a separate host process: malformed and oversized
 * messages get an error reply and a disconnect, and the host keeps serving. Limits that need
 * short settings (idle timeout, connection count) are checked on an in-process server.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { close, listen } from '../../src/control/index.js';
import { tempDir } from '../cli/helpers.js';
import { startHost, type Host } from './host.js';
import { connectRaw, request } from './raw-client.js';

const tmp = tempDir('tm-proto-');
let host: Host;

before(async () => {
  host = await startHost(join(tmp.path, 'host'));
});
after(async () => {
  await host.stop();
  await close();
  tmp.remove();
});

async function hostStillServes(): Promise<void> {
  const c = await connectRaw(host.socket);
  c.send(request({ id: 'check', cmd: 'list' }));
  const reply = await c.next();
  assert.equal(reply.ok, true);
  assert.equal(reply.id, 'check');
  assert.equal(reply.pid, host.pid);
  c.socket.destroy();
  assert.equal(host.child.exitCode, null, 'the host is alive');
}

describe('control protocol', () => {
  test('a request gets a reply with the same id and version', async () => {
    const c = await connectRaw(host.socket);
    c.send(request({ id: 7, cmd: 'list' }));
    const reply = await c.next();
    assert.equal(reply.v, 1);
    assert.equal(reply.id, 7);
    assert.equal(reply.ok, true);
    assert.ok(Array.isArray(reply.markers));
    c.socket.destroy();
  });

  test('pipelined requests are answered in order on one connection', async () => {
    const c = await connectRaw(host.socket);
    c.send(request({ id: 1, cmd: 'list' }) + request({ id: 2, cmd: 'stop' }) + request({ id: 3, cmd: 'list' }));
    assert.deepEqual([(await c.next()).id, (await c.next()).id, (await c.next()).id], [1, 2, 3]);
    c.socket.destroy();
  });

  test('a bad request (unknown command, missing field) fails alone; the connection stays', async () => {
    const c = await connectRaw(host.socket);
    c.send(request({ id: 1, cmd: 'reboot' }));
    const unknown = await c.next();
    assert.deepEqual([unknown.ok, unknown.id, unknown.code], [false, 1, 'ERR_CONTROL']);
    assert.match(unknown.message as string, /unknown command "reboot"/);
    c.send(request({ id: 2, cmd: 'enable' }));
    assert.match((await c.next()).message as string, /enable needs "pattern"/);
    c.send(request({ id: 3, cmd: 'enable', pattern: 'x:*', filter: 'a ==' }));
    const filter = await c.next();
    assert.deepEqual([filter.ok, filter.id, filter.code], [false, 3, 'ERR_FILTER']);
    c.send(request({ id: 4, cmd: 'snapshot', dir: 'relative/dir' }));
    assert.match((await c.next()).message as string, /absolute path/);
    c.send(request({ id: 5, cmd: 'list' }));
    assert.equal((await c.next()).ok, true);
    c.socket.destroy();
  });

  const fatal: [string, string | Buffer, RegExp][] = [
    ['malformed JSON', '{"v":1,"id":1,"cmd":\n', /malformed JSON/],
    ['binary garbage', Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x0a]), /malformed JSON/],
    ['a JSON array', '[1,2,3]\n', /must be a JSON object/],
    ['another protocol version', '{"v":2,"id":1,"cmd":"list"}\n', /unsupported protocol version 2/],
    ['a request over 64 KiB', `{"v":1,"id":1,"cmd":"list","pad":"${'x'.repeat(70 * 1024)}"}\n`, /longer than 65536 bytes/],
    ['64 KiB without a newline', 'x'.repeat(80 * 1024), /longer than 65536 bytes/],
  ];
  for (const [title, data, message] of fatal) {
    test(`${title}: an error reply, then the host closes the connection and goes on`, async () => {
      const c = await connectRaw(host.socket);
      c.send(data);
      const reply = await c.next();
      assert.equal(reply.ok, false);
      assert.equal(reply.code, 'ERR_CONTROL');
      assert.match(reply.message as string, message);
      assert.match(reply.message as string, /disconnecting/);
      await c.closed;
      await hostStillServes();
    });
  }

  test('a client that vanishes mid-request does not disturb the host', async () => {
    for (let i = 0; i < 5; i++) {
      const c = await connectRaw(host.socket);
      c.send('{"v":1,"id":1,"cmd":"li');
      c.socket.destroy();
    }
    await hostStillServes();
  });
});

describe('control server limits (in-process server)', () => {
  test('a client that sends no complete request in time is disconnected', async () => {
    const handle = await listen({ dir: join(tmp.path, 'own'), idleTimeoutMs: 150, maxConnections: 2 });
    const c = await connectRaw(handle.path);
    c.send('{"v":1,'); // partial data does not extend the deadline
    const reply = await c.next();
    assert.equal(reply.code, 'ERR_CONTROL');
    assert.match(reply.message as string, /no complete request within 150 ms/);
    await c.closed;
  });

  test('connections beyond the limit get an error and are closed', async () => {
    const handle = await listen(); // the same server: listen() is once per process
    const held = [await connectRaw(handle.path), await connectRaw(handle.path)];
    const extra = await connectRaw(handle.path);
    const reply = await extra.next();
    assert.match(reply.message as string, /too many control connections \(at most 2\)/);
    await extra.closed;
    for (const c of held) c.socket.destroy();
  });
});
