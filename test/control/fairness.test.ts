/**
 * Sharing the control socket's connections (issue 12, section 5): a client holding every
 * connection without using it cannot lock other clients out. A new client takes the place of
 * the connection idle the longest (idle for EVICTABLE_IDLE_MS at least), which is told why; a
 * connection that never sends a request is let go at the first-request deadline, sooner than
 * the idle timeout between requests; when all are busy, the one open the longest gives way
 * after its turn (busyTurnMs), once its reply in progress is written. Only lower bounds of time are asserted (timers never
 * fire early), so a loaded machine cannot fail these tests.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { close, controlRequest, EVICTABLE_IDLE_MS, listen } from '../../src/control/index.js';
import { tempDir } from '../cli/helpers.js';
import { connectRaw, request, type RawConnection } from './raw-client.js';

const tmp = tempDir('tm-fair-');
after(async () => {
  await close();
  tmp.remove();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether the server has closed `c` (without waiting). */
async function isClosed(c: RawConnection): Promise<boolean> {
  return Promise.race([c.closed.then(() => true), sleep(0).then(() => false)]);
}

test('every connection held idle: a new client gets the place of the one idle the longest, which is told why', async () => {
  const handle = await listen({ dir: join(tmp.path, 'a'), maxConnections: 3, idleTimeoutMs: 60_000, firstRequestTimeoutMs: 60_000 });
  try {
    // One holder silent since it connected, one that asked once and then sat, one with half a request.
    const silent = await connectRaw(handle.path);
    await sleep(50);
    const satAfterList = await connectRaw(handle.path);
    satAfterList.send(request({ id: 1, cmd: 'list' }));
    assert.equal((await satAfterList.next()).ok, true);
    const partial = await connectRaw(handle.path);
    partial.send('{"v":1,"id":2,"cmd":"li');
    await sleep(EVICTABLE_IDLE_MS + 200);

    // Three clients in turn, each staying connected: each gets in, taking the place of the
    // holders in the order they went idle (never that of a newcomer, idle for less).
    const newcomers: RawConnection[] = [];
    for (const [holder, name] of [[silent, 'silent'], [satAfterList, 'idle after a list'], [partial, 'half a request']] as const) {
      const newcomer = await connectRaw(handle.path);
      newcomers.push(newcomer);
      newcomer.send(request({ id: name, cmd: 'list' }));
      assert.equal((await newcomer.next()).ok, true, `a new client got in instead of the ${name} holder`);
      const last = await holder.next();
      assert.equal(last.code, 'ERR_CONTROL');
      assert.match(last.message as string, /^closed after \d+ ms without a request, to make room for a new client \(3 connections open, the limit\); disconnecting$/);
      const idle = Number(/after (\d+) ms/.exec(last.message as string)![1]);
      assert.ok(idle >= EVICTABLE_IDLE_MS, `evicted after ${idle} ms idle`);
      await holder.closed;
    }
    for (const newcomer of newcomers) assert.equal(await isClosed(newcomer), false);
    // `tracemark ctl` (a connection per request) still gets in once they have sat for a while.
    await sleep(EVICTABLE_IDLE_MS + 200);
    assert.equal((await controlRequest(process.pid, { cmd: 'list' }, { path: handle.path, timeoutMs: 30_000 })).ok, true);
    for (const newcomer of newcomers) newcomer.socket.destroy();
  } finally {
    await close();
  }
});

test('connections busy, or idle for less than the eviction time, and open for less than their turn keep their place: the new client is refused, saying why', async () => {
  const handle = await listen({ dir: join(tmp.path, 'b'), maxConnections: 1, idleTimeoutMs: 60_000, firstRequestTimeoutMs: 60_000, busyTurnMs: 60_000 });
  try {
    const holder = await connectRaw(handle.path);
    // The holder keeps asking: never idle for EVICTABLE_IDLE_MS, whatever the machine's speed,
    // since each request is written as soon as the previous reply came.
    let asking = true;
    const asked = (async () => {
      let n = 0;
      while (asking) {
        holder.send(request({ id: n++, cmd: 'list' }));
        assert.equal((await holder.next()).ok, true);
      }
      return n;
    })();
    await sleep(EVICTABLE_IDLE_MS + 200);
    const extra = await connectRaw(handle.path);
    const reply = await extra.next();
    assert.match(reply.message as string, /^too many control connections \(at most 1\), none idle for \d+ ms nor open for 60000 ms; disconnecting$/);
    await extra.closed;
    asking = false;
    assert.ok(await asked > 0);
    assert.equal(await isClosed(holder), false, 'the busy holder kept its connection');
    holder.socket.destroy();
  } finally {
    await close();
  }
});

test('every connection kept busy: after its turn, the one open the longest gives way to a new client after its reply in progress', async () => {
  const turnMs = 300;
  const handle = await listen({ dir: join(tmp.path, 'e'), maxConnections: 2, idleTimeoutMs: 60_000, firstRequestTimeoutMs: 60_000, busyTurnMs: turnMs });
  try {
    // Two connections of one client, each asking again as soon as it has its answer.
    const keepBusy = async (c: RawConnection, name: string): Promise<{ served: number; last: Record<string, unknown> }> => {
      for (let n = 0; ; n++) {
        c.send(request({ id: `${name}-${n}`, cmd: 'list' }));
        const reply = await c.next();
        if (reply.ok !== true) return { served: n, last: reply };
        assert.equal(reply.id, `${name}-${n}`, 'each reply answers its own request');
      }
    };
    const first = await connectRaw(handle.path);
    const firstBusy = keepBusy(first, 'first');
    await sleep(50);
    const second = await connectRaw(handle.path);
    const secondBusy = keepBusy(second, 'second');
    await sleep(turnMs + 200);
    const newcomer = await connectRaw(handle.path);
    newcomer.send(request({ id: 'new', cmd: 'list' }));
    assert.equal((await newcomer.next()).ok, true, 'the new client was served');
    // The older connection gave way, told why, after a reply of its own.
    const { served, last } = await firstBusy;
    assert.ok(served > 0);
    assert.equal(last.code, 'ERR_CONTROL');
    assert.match(last.message as string, /^closed after \d+ ms open, to make room for a new client \(2 connections open and busy, the limit\); disconnecting$/);
    assert.ok(Number(/after (\d+) ms/.exec(last.message as string)![1]) >= turnMs);
    await first.closed;
    assert.equal(await isClosed(second), false, 'the younger busy connection kept its place');
    second.socket.destroy();
    await secondBusy.catch(() => {});
    newcomer.socket.destroy();
  } finally {
    await close();
  }
});

test('a connection that never completes a request is let go at the first-request deadline; between requests the idle timeout applies', async () => {
  const handle = await listen({ dir: join(tmp.path, 'c'), idleTimeoutMs: 1500, firstRequestTimeoutMs: 300 });
  try {
    let started = Date.now();
    const silent = await connectRaw(handle.path);
    const cut = await silent.next();
    assert.equal(cut.code, 'ERR_CONTROL');
    assert.equal(cut.message, 'no complete request within 300 ms of connecting; disconnecting');
    assert.ok(Date.now() - started >= 300 - 5);
    await silent.closed;

    const client = await connectRaw(handle.path);
    client.send(request({ id: 1, cmd: 'list' }));
    assert.equal((await client.next()).ok, true);
    started = Date.now();
    const idle = await client.next();
    assert.equal(idle.message, 'no complete request within 1500 ms of the previous reply; disconnecting');
    assert.ok(Date.now() - started >= 1500 - 5, 'the idle timeout, not the first-request deadline, after a reply');
    await client.closed;

    // The first-request deadline is never longer than the idle timeout.
    await close();
    const capped = await listen({ dir: join(tmp.path, 'd'), idleTimeoutMs: 200, firstRequestTimeoutMs: 5000 });
    const slow = await connectRaw(capped.path);
    assert.equal((await slow.next()).message, 'no complete request within 200 ms of connecting; disconnecting');
  } finally {
    await close();
  }
});
