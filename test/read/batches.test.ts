/**
 * readTraceBatches gives readTrace's events in batches, and readTrace (built on the same batches)
 * reuses its result object only when the caller has read the previous one: the same events, hooks
 * and damage as readTraceSync, whatever the batch size, and across file reads (a trace larger than
 * the reader's chunk).
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { formatEvent, readTrace, readTraceBatches, readTraceSync, type DiscardedInfo, type TraceEvent } from '../../src/read/index.js';
import { GOOD_TRACES, fixture, readAllAsync, readAllSync, scratchDir } from './helpers.js';

async function readAllBatches(dir: string, batchSize?: number, onDiscarded?: (d: DiscardedInfo) => void): Promise<{ events: TraceEvent[]; sizes: number[]; error: unknown }> {
  const events: TraceEvent[] = [];
  const sizes: number[] = [];
  try {
    for await (const batch of readTraceBatches(dir, { ...(batchSize === undefined ? {} : { batchSize }), ...(onDiscarded === undefined ? {} : { onDiscarded }) })) {
      sizes.push(batch.length);
      events.push(...batch);
    }
  } catch (error) {
    return { events, sizes, error };
  }
  return { events, sizes, error: undefined };
}

const lines = (events: readonly TraceEvent[]): string[] => events.map((e) => formatEvent(e, { stream: true, context: true }));

describe('readTraceBatches', () => {
  const damaged = Object.keys(JSON.parse(readFileSync(fixture('damaged', 'manifest.json'), 'utf8')) as Record<string, unknown>);
  const cases = [...GOOD_TRACES.map((n) => ['good', n]), ...damaged.map((n) => ['damaged', n])];

  it('the events, order and damage error of readTraceSync, for batch sizes 1, 3 and the default', async () => {
    for (const [kind, name] of cases) {
      const dir = fixture(kind as string, name as string);
      const sync = readAllSync(readTraceSync(dir));
      for (const size of [1, 3, undefined]) {
        const got = await readAllBatches(dir, size);
        assert.deepEqual(lines(got.events), lines(sync.events), `${name} batchSize ${size}`);
        assert.equal((got.error as { code?: string })?.code, (sync.error as { code?: string })?.code, `${name}`);
        assert.equal((got.error as { byteOffset?: number })?.byteOffset, (sync.error as { byteOffset?: number })?.byteOffset, `${name}`);
        for (const n of got.sizes) assert.ok(n >= 1 && n <= (size ?? 256), `${name}: batch of ${n}`);
      }
    }
  });

  it('calls onDiscarded as readTraceSync does', async () => {
    const dir = fixture('good', 'gm-packetized-compact');
    const want: DiscardedInfo[] = [];
    readAllSync(readTraceSync(dir, { onDiscarded: (d) => want.push(d) }));
    const got: DiscardedInfo[] = [];
    await readAllBatches(dir, 2, (d) => got.push(d));
    assert.deepEqual(got, want);
  });

  it('refuses a batch size that is not a positive integer', () => {
    for (const batchSize of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => readTraceBatches(fixture('good', 'tm-basic'), { batchSize }), { code: 'ERR_INVALID_ARG' });
    }
  });

  it('a trace larger than the read chunk: batches, readTrace and readTraceSync agree event for event', async () => {
    const api = (await import('../../src/index.js')) as unknown as {
      marker(name: string, format: string): (...args: unknown[]) => void;
      Session: new (options: { output: string }) => { enable(p: string): unknown; start(): unknown; close(): Promise<void> };
    };
    const tick = api.marker('batches:tick', 'i %u s %s');
    const { dir: root, done } = scratchDir();
    const dir = join(root, 'trace');
    try {
      const session = new api.Session({ output: dir });
      session.enable('batches:*');
      session.start();
      // ~20 bytes an event: 400k events is a stream file larger than the 4 MiB chunk of one stream.
      for (let i = 0; i < 400_000; i++) {
        tick(i, 'abcdef');
        if (i % 20_000 === 0) await sleep(5); // let the drainer keep up (a full ring drops events)
      }
      await session.close();
      const sync = readAllSync(readTraceSync(dir));
      assert.equal(sync.error, undefined);
      assert.ok(sync.events.length > 250_000, `${sync.events.length} events on disk`);
      const largest = Math.max(...readdirSync(dir).filter((f) => f !== 'metadata').map((f) => statSync(join(dir, f)).size));
      assert.ok(largest > 4 << 20, `largest stream file ${largest} bytes`);
      const batches = await readAllBatches(dir, 1000);
      assert.equal(batches.error, undefined);
      const streamed = await readAllAsync(readTrace(dir));
      assert.equal(streamed.error, undefined);
      assert.equal(batches.events.length, sync.events.length);
      assert.equal(streamed.events.length, sync.events.length);
      for (let i = 0; i < sync.events.length; i++) {
        const want = sync.events[i] as TraceEvent;
        for (const got of [batches.events[i] as TraceEvent, streamed.events[i] as TraceEvent]) {
          assert.equal(got.timestamp, want.timestamp, `event ${i}`);
          assert.equal(got.fields.i, want.fields.i, `event ${i}`);
        }
      }
    } finally {
      done();
    }
  });
});

describe('readTrace result objects', () => {
  it('results taken without reading their value keep their own events', async () => {
    const dir = fixture('good', 'gm-two-streams');
    const want = lines(readAllSync(readTraceSync(dir)).events);
    const iterator = readTrace(dir)[Symbol.asyncIterator]();
    const first = await iterator.next();
    const second = await iterator.next(); // first.value not read yet: second is another object
    const third = await iterator.next();
    assert.notEqual(first, second);
    assert.deepEqual(lines([first.value as TraceEvent, second.value as TraceEvent]), want.slice(0, 2));
    assert.deepEqual(lines([third.value as TraceEvent]), want.slice(2, 3));
    const rest: TraceEvent[] = [];
    for (let r = await iterator.next(); r.done !== true; r = await iterator.next()) rest.push(r.value);
    assert.deepEqual(lines(rest), want.slice(3));
  });

  it('for await reads every event once, in order, as distinct event objects', async () => {
    const dir = fixture('good', 'gm-two-streams');
    const { events } = await readAllAsync(readTrace(dir));
    assert.equal(new Set(events).size, events.length);
    assert.deepEqual(lines(events), lines(readAllSync(readTraceSync(dir)).events));
  });
});
