// tracemark never detaches an ArrayBuffer in the application's thread. One detached buffer turns
// off, for the rest of the thread's life, V8's assumption that no buffer was ever detached: from
// then on every typed-array store of every optimised event encoder checks for it (the relay's
// +36 instructions per event of BENCHMARKS.md came from one transferred metadata packet). So a
// relay session, with and without a trace directory, with a marker declared while it streams,
// posts its messages from this thread by copy, never with a transfer list holding a buffer.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MessagePort, Worker } from 'node:worker_threads';
import { Session, marker } from '../../src/index.js';
import { bt2dump } from '../ctf/helpers.js';
import { RELAYD_BIN, Relayd, waitFor } from './relayd.js';

const skip = RELAYD_BIN === undefined && process.env.TRACEMARK_TEST_RELAYD === undefined ? 'lttng-relayd is not installed (apt-get install lttng-tools)' : false;
const work = mkdtempSync(join(tmpdir(), 'tracemark-no-detach-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** What a postMessage call would detach: the ArrayBuffers in its transfer list. */
function detachedBy(transfer: unknown): number {
  const list = Array.isArray(transfer) ? transfer : (transfer as { transfer?: unknown; transferList?: unknown } | undefined)?.transferList ?? (transfer as { transfer?: unknown } | undefined)?.transfer;
  return Array.isArray(list) ? list.filter((item) => item instanceof ArrayBuffer).length : 0;
}

/** Counts, while `body` runs, the buffers this thread's postMessage calls transfer. */
async function countTransfers(body: () => Promise<void>): Promise<{ calls: number; detached: number }> {
  const seen = { calls: 0, detached: 0 };
  const originals = [MessagePort.prototype.postMessage, Worker.prototype.postMessage];
  const spy = (original: (...args: never[]) => void) => function (this: unknown, ...args: unknown[]): void {
    seen.calls++;
    seen.detached += detachedBy(args[1]);
    (original as (...a: unknown[]) => void).apply(this, args);
  };
  MessagePort.prototype.postMessage = spy(originals[0]);
  Worker.prototype.postMessage = spy(originals[1]);
  try {
    await body();
  } finally {
    MessagePort.prototype.postMessage = originals[0];
    Worker.prototype.postMessage = originals[1];
  }
  return seen;
}

describe('no ArrayBuffer detached in the application thread', { skip, timeout: 120_000 }, () => {
  let relay: Relayd;
  before(async () => { relay = await Relayd.shared(); });
  after(async () => { await relay?.stop(); });

  for (const withOutput of [false, true]) {
    test(withOutput ? 'relay and a trace directory' : 'relay only', { timeout: 60_000 }, async () => {
      const name = `nodetach_${withOutput ? 'dir' : 'relay'}_${randomBytes(3).toString('hex')}`;
      const seen = await countTransfers(async () => {
        const session = new Session({ relay: relay.url, name, ...(withOutput ? { output: join(work, name) } : {}), flushIntervalMs: 100 });
        session.enable('*').disable('node:*').start();
        // Declared while streaming: its metadata is posted from this thread.
        const late = marker(`${name}:late`, 'value %d text %s');
        for (let i = 0; i < 100; i++) late(i, `t${i}`);
        await new Promise((resolve) => setTimeout(resolve, 300));
        for (let i = 100; i < 200; i++) late(i, `t${i}`);
        await session.close();
      });
      assert.ok(seen.calls > 0, 'the spy saw the posts of this thread');
      assert.equal(seen.detached, 0, `buffers transferred from the application thread over ${seen.calls} posts`);
      // Copied, the packets still arrive: the relay stored every event.
      await waitFor('the stored trace', () => relay.traces(name).length === 1 && Relayd.dataBytes(relay.traces(name)[0]) > 0, 10_000);
      const stored = bt2dump(relay.traces(name)[0]);
      assert.deepEqual(stored.events.map((event) => event.fields.value), [...Array(200).keys()].map((i) => ({ i: String(i) })));
    });
  }
});
