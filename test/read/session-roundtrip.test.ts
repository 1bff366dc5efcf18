/**
 * tracemark's own writer → reader: a trace recorded by a Session reads back as the same events
 * that the session holds in memory (`session.events()`), and both print the same lines.
 * The session API is loaded dynamically and typed loosely so that this test only depends on
 * the few calls it makes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { FIELD_SPECS, formatEvent, readTrace, readTraceInfoSync, type TraceEvent } from '../../src/read/index.js';
import { readAllAsync, scratchDir } from './helpers.js';

interface SessionLike {
  enable(pattern: string): unknown;
  start(): unknown;
  close(): Promise<void>;
  events(): TraceEvent[];
}

interface Api {
  marker(name: string, format: string): (...args: unknown[]) => void;
  Session: new (options: { output: string }) => SessionLike;
}

describe('traces written by tracemark', () => {
  it('read back as the events the session recorded, with the same printed lines', async () => {
    const api = (await import('../../src/index.js')) as unknown as Api;
    const rx = api.marker('rt:rx', 'len %u proto %s payload %pW');
    const all = api.marker('rt:all', 'a %hhd b %hhu c %hd d %hu e %d f %u g %x h %ld i %lu j %lx k %p l %f m %g n %c o %s');
    const empty = api.marker('rt:empty', '');
    const { dir: root, done } = scratchDir();
    const dir = join(root, 'trace');
    try {
      const session = new api.Session({ output: dir });
      session.enable('rt:*');
      session.start();
      for (let i = 0; i < 40; i++) {
        rx(1500 + i, i % 2 === 0 ? 'tcp' : 'ud"p\n', Uint8Array.from({ length: i }, (_, k) => k));
        if (i % 7 === 0) all(-5, 250, -300, 60000, -70000, 4000000000, 0xabcd, -(2n ** 40n), 2n ** 63n, 0xfeedn, 0x1000n, 1.5, -0, 'é', 'text ✓');
        if (i % 13 === 0) empty();
      }
      // What the rings hold, before close() hands them to the trace writer.
      const inMemory = session.events();
      await session.close();
      const { events, error } = await readAllAsync(readTrace(dir));
      assert.equal(error, undefined);
      assert.equal(events.length, 40 + 6 + 4);
      assert.equal(events.length, inMemory.length);
      events.forEach((e, i) => {
        const m = inMemory[i];
        assert.equal(e.name, m.name);
        assert.equal(e.timestamp, m.timestamp);
        assert.ok(isDeepStrictEqual({ ...e.fields }, { ...m.fields }), `event ${i}: ${formatEvent(e)} vs ${formatEvent(m)}`);
        assert.deepEqual(e[FIELD_SPECS], m[FIELD_SPECS]);
        assert.equal(formatEvent(e), formatEvent(m));
      });
      assert.match(formatEvent(events[0]), / rt:rx: len=1500 proto="tcp" payload=<>$/);
      assert.match(formatEvent(events[1]), / rt:all: a=-5 b=250 c=-300 d=60000 e=-70000 f=4000000000 g=0xabcd h=-1099511627776 i=9223372036854775808 j=0xfeed k=0x1000 l=1\.5 m=-0 n='é' o="text ✓"$/);
      const info = readTraceInfoSync(dir);
      assert.equal(info.traces[0].env.tracer_name, 'tracemark');
      assert.deepEqual(info.traces[0].eventClasses.find((c) => c.name === 'rt:rx')?.fields.filter((f) => f.hidden !== true).map((f) => f.name), ['len', 'proto', 'payload']);
      if (spawnSync('babeltrace2', ['--version']).status === 0) {
        const run = spawnSync('babeltrace2', [dir], { encoding: 'utf8' });
        assert.equal(run.status, 0, run.stderr);
        assert.equal(run.stdout.trimEnd().split('\n').length, events.length);
      }
    } finally {
      done();
    }
  });
});
