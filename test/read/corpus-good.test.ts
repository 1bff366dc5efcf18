/**
 * The good corpus: every trace decodes to exactly the events its writer recorded (gen_minimal's
 * --expect-json, or make_corpus.py for tracemark's layout), with the async and sync readers, the
 * fast and generic event-header decoders; the printed lines match the committed expected.txt;
 * babeltrace2 reads the same traces.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compileTrace } from '../../src/read/decode/compiled-trace.js';
import { discoverSync } from '../../src/read/input/discover.js';
import { parseMetadata } from '../../src/read/metadata/metadata.js';
import { SyncFileSource } from '../../src/read/input/source.js';
import { StreamReader } from '../../src/read/decode/stream.js';
import { FIELD_SPECS, formatEvent, readTrace, readTraceInfoSync, readTraceSync, type DiscardedInfo, type TraceEvent } from '../../src/read/index.js';
import { GOOD_TRACES, assertEventMatches, expectedOf, fixture, readAllAsync, readAllSync } from './helpers.js';

const BABELTRACE2 = spawnSync('babeltrace2', ['--version']).status === 0;

/** Reads one trace directory's streams with the generic (not hand-written) header decoders, in file order. */
function readGenericHeaders(dir: string): TraceEvent[] {
  const events: TraceEvent[] = [];
  for (const location of discoverSync(dir)) {
    const compiled = compileTrace(parseMetadata(readFileSync(location.metadataPath), 'metadata'), { fastHeaders: false });
    for (const file of location.streams) {
      const source = SyncFileSource.open(file.path);
      const reader = new StreamReader(compiled, file.rel, file.path, source.size);
      try {
        for (let e = source.pull(reader); e !== null; e = source.pull(reader)) events.push(e as TraceEvent);
      } finally {
        source.close();
      }
      assert.equal(reader.error, undefined);
    }
  }
  return events;
}

describe('good corpus', () => {
  for (const name of GOOD_TRACES) {
    describe(name, () => {
      const dir = fixture('good', name);
      const expected = expectedOf(name).events;

      it('readTrace yields exactly the expected events, values and timestamps', async () => {
        const { events, error } = await readAllAsync(readTrace(dir));
        assert.equal(error, undefined);
        assert.equal(events.length, expected.length);
        events.forEach((e, i) => assertEventMatches(e, expected[i], i));
      });

      it('readTraceSync yields the same events', () => {
        const { events, error } = readAllSync(readTraceSync(dir));
        assert.equal(error, undefined);
        assert.equal(events.length, expected.length);
        events.forEach((e, i) => assertEventMatches(e, expected[i], i));
      });

      it('the generic event-header decoder agrees with the hand-written one', () => {
        const generic = readGenericHeaders(dir);
        const byStream = (events: readonly { stream: string; timestamp: bigint; name: string }[]): string[] =>
          events.map((e) => `${e.stream} ${e.timestamp} ${e.name}`).sort();
        assert.deepEqual(byStream(generic), byStream(expected.map((e) => ({ stream: e.stream, timestamp: BigInt(e.ns_from_origin), name: e.name }))));
      });

      it('prints the committed expected.txt', () => {
        const lines = readAllSync(readTraceSync(dir)).events.map((e) => formatEvent(e)).join('\n') + '\n';
        const path = fixture('good', `${name}.expected.txt`);
        if (process.env.UPDATE_EXPECTED === '1') writeFileSync(path, lines);
        assert.equal(lines, readFileSync(path, 'utf8'));
        for (const line of lines.trimEnd().split('\n')) assert.match(line, /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z\] [^ ]+:( |$)/);
      });

      it('babeltrace2 reads it without error', { skip: !BABELTRACE2 && 'babeltrace2 not installed' }, () => {
        const run = spawnSync('babeltrace2', ['--log-level=W', dir], { encoding: 'utf8' });
        assert.equal(run.status, 0, run.stderr);
        const lines = run.stdout.trimEnd().split('\n');
        assert.equal(lines.length, expected.length);
        const unexpected = run.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('WARNING: Tracer discarded'));
        assert.deepEqual(unexpected, []);
      });
    });
  }
});

describe('decoded value types', () => {
  it('64-bit integers are bigint, smaller ones number, blobs Uint8Array', () => {
    const events = readAllSync(readTraceSync(fixture('good', 'gm-packetized-compact'))).events;
    const sample = events[0].fields;
    assert.equal(typeof sample.count, 'number');
    assert.equal(typeof sample.delta, 'bigint');
    assert.ok(events[1].fields.blob instanceof Uint8Array);
    const late = events.find((e) => e.name === 'anchor:late_registered') as TraceEvent;
    assert.equal(typeof late.fields.addr, 'bigint');
    assert.equal(typeof late.fields.i8, 'number');
    assert.deepEqual(late.fields.point, { x: -1, y: 2 });
    assert.deepEqual(late.context, { vpid: 4242, vtid: 4243 });
    assert.deepEqual(Object.keys(late), ['name', 'id', 'timestamp', 'stream', 'fields', 'context']);
    assert.equal(late.id, 33);
  });

  it('tracemark traces: %pW lengths hidden, %c a one-character string, specs from the format', () => {
    const events = readAllSync(readTraceSync(fixture('good', 'tm-basic'))).events;
    const rx = events[0];
    assert.deepEqual(Object.keys(rx.fields), ['len', 'proto', 'payload']);
    assert.deepEqual(rx.fields.payload, new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
    assert.equal(rx.context, undefined);
    assert.deepEqual(rx[FIELD_SPECS], { len: '%u', proto: '%s', payload: '%pW' });
    assert.equal(Object.getOwnPropertySymbols(rx).length, 0, 'FIELD_SPECS is not an own enumerable property');
    const ints = events[1];
    assert.equal(ints[FIELD_SPECS]?.g, '%x');
    assert.equal(ints[FIELD_SPECS]?.k, '%p');
    assert.equal(typeof ints.fields.h, 'bigint');
    assert.equal(events[3].fields.ch, 'é');
  });

  it('gen_minimal traces get specs derived from their TSDL types', () => {
    const events = readAllSync(readTraceSync(fixture('good', 'gm-text-large'))).events;
    assert.deepEqual(events[0][FIELD_SPECS], { count: '%u', delta: '%ld', ratio: '%g', label: '%s' });
    assert.deepEqual(events[1][FIELD_SPECS], { _blob_length: '%u', blob: '%pW' });
    const late = events.find((e) => e.name === 'anchor:late_registered') as TraceEvent;
    assert.equal(late[FIELD_SPECS]?.addr, '%lx');
    assert.equal(late[FIELD_SPECS]?.['point.x'], '%d');
    assert.equal(late[FIELD_SPECS]?.pair, '%hu');
  });
});

describe('discarded events and summaries', () => {
  it('onDiscarded reports the events_discarded increase of each stream', async () => {
    const seen: DiscardedInfo[] = [];
    await readAllAsync(readTrace(fixture('good', 'gm-packetized-compact'), { onDiscarded: (d) => seen.push(d) }));
    assert.deepEqual(seen, [{
      stream: 'stream_0', kind: 'events', count: 3n,
      beginNs: 1_700_000_001_171_089_200n, endNs: 1_700_000_001_171_090_300n,
    }]);
    const syncSeen: DiscardedInfo[] = [];
    readAllSync(readTraceSync(fixture('good', 'gm-two-streams'), { onDiscarded: (d) => syncSeen.push(d) }));
    assert.deepEqual(syncSeen.map((d) => [d.stream, d.kind, d.count]), [['stream_0', 'events', 2n]]);
  });

  it('readTraceInfoSync summarizes env, clock, classes and streams', () => {
    const info = readTraceInfoSync(fixture('good', 'tm-basic'));
    assert.equal(info.traces.length, 1);
    const [t] = info.traces;
    assert.equal(t.uuid, '7d1f0c3e-9a2b-4c5d-8e6f-708192a3b4c5');
    assert.equal(t.packetized, true);
    assert.equal(t.env.tracer_name, 'tracemark');
    assert.deepEqual(t.clocks.map((c) => [c.name, c.freq, c.offsetS, c.offset]), [['monotonic', 1_000_000_000n, 1_700_000_100n, 250_000_000n]]);
    assert.deepEqual(t.eventClasses.map((c) => [c.id, c.name]), [[0, 'net:rx'], [1, 'test:ints'], [2, 'test:text'], [3, 'test:empty'], [35, 'test:floats']]);
    const rx = t.eventClasses[0];
    assert.equal(rx.format, 'len %u proto %s payload %pW');
    assert.deepEqual(rx.fields.map((f) => [f.name, f.spec, f.hidden ?? false]),
      [['len', '%u', false], ['proto', '%s', false], ['_payload_length', undefined, true], ['payload', '%pW', false]]);
    assert.equal(t.streams.length, 1);
    const [s] = t.streams;
    assert.equal(s.file, 'default_0');
    assert.equal(s.packets, 2);
    assert.equal(s.eventsDiscarded, 2n);
    assert.equal(s.packetsDiscarded, 0n);
    assert.equal(s.damage, undefined);
  });

  it('summaries of a parent directory list every trace', async () => {
    const { readTraceInfo } = await import('../../src/read/index.js');
    const info = await readTraceInfo(fixture('good', 'gm-two-traces'));
    assert.deepEqual(info.traces.map((t) => [t.path, t.streams.map((s) => s.file)]), [['a', ['a/stream_0']], ['b', ['b/stream_0']]]);
    assert.deepEqual(info.traces.map((t) => t.streams[0].eventsDiscarded), [3n, 3n]);
  });

  it('every good trace directory is in the list above', () => {
    const dirs = readdirSync(fixture('good')).filter((n) => !n.includes('.')).sort();
    assert.deepEqual(dirs, [...GOOD_TRACES].sort());
    for (const name of GOOD_TRACES) assert.ok(existsSync(join(fixture('good'), `${name}.expected.json`)));
  });
});

describe('resources', () => {
  const openFds = (): number => readdirSync('/proc/self/fd').length;

  it('stopping early closes the stream files (sync and async)', { skip: !existsSync('/proc/self/fd') && 'no /proc' }, async () => {
    const dir = fixture('good', 'gm-two-streams');
    const before = openFds();
    for (const _ of readTraceSync(dir)) break;
    for await (const _ of readTrace(dir)) break;
    let n = 0;
    for (const _ of readTraceSync(dir)) if (++n === 3) break;
    assert.equal(openFds(), before);
  });

  it('iterating twice reads the trace twice', () => {
    const events = readTraceSync(fixture('good', 'gm-text-compact'));
    assert.equal([...events].length, 11);
    assert.equal([...events].length, 11);
  });
});

describe('readTrace iterator protocol', () => {
  it('next() calls made without waiting resolve in order', async () => {
    const expected = expectedOf('gm-two-streams').events;
    const iterator = readTrace(fixture('good', 'gm-two-streams'))[Symbol.asyncIterator]();
    const results = await Promise.all(Array.from({ length: expected.length + 2 }, () => iterator.next()));
    results.slice(0, expected.length).forEach((r, i) => {
      assert.equal(r.done, false);
      assertEventMatches(r.value as TraceEvent, expected[i], i);
    });
    assert.deepEqual(results.slice(expected.length).map((r) => r.done), [true, true]);
    assert.deepEqual(await iterator.next(), { value: undefined, done: true });
  });

  it('after the damage error, the iterator is done', async () => {
    const iterator = readTrace(fixture('damaged', 'bad-magic'))[Symbol.asyncIterator]();
    for (let i = 0; i < 5; i++) assert.equal((await iterator.next()).done, false);
    await assert.rejects(iterator.next(), { code: 'ERR_TRACE_CORRUPT', byteOffset: 4096 });
    assert.equal((await iterator.next()).done, true);
  });

  it('return() stops the iteration', async () => {
    const iterator = readTrace(fixture('good', 'tm-basic'))[Symbol.asyncIterator]();
    assert.equal((await iterator.next()).done, false);
    assert.deepEqual(await iterator.return?.(), { value: undefined, done: true });
    assert.equal((await iterator.next()).done, true);
  });
});
