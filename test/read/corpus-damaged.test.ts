/**
 * The damaged corpus (test/fixtures/ctf/damaged/manifest.json): each trace yields the events
 * before its damage (a prefix of its good base trace), then exactly one TracemarkError naming
 * the damaged file and the byte offset where the damage starts.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { TracemarkError } from '../../src/errors/index.js';
import { readTrace, readTraceInfoSync, readTraceSync } from '../../src/read/index.js';
import { assertEventMatches, expectedOf, fixture, readAllAsync, readAllSync, scratchCopy, scratchDir } from './helpers.js';

interface Damage {
  base: string;
  events: number;
  code: string;
  file: string;
  byteOffset: number;
  alsoDamaged?: string[];
  eventsByStream?: Record<string, number>;
}

const manifest = JSON.parse(readFileSync(fixture('damaged', 'manifest.json'), 'utf8')) as Record<string, Damage>;

function checkError(error: unknown, damage: Damage, dir: string): TracemarkError {
  assert.ok(error instanceof TracemarkError, `expected a TracemarkError, got ${String(error)}`);
  assert.equal(error.code, damage.code, error.message);
  assert.equal(error.file, join(dir, damage.file), error.message);
  assert.equal(error.byteOffset, damage.byteOffset, error.message);
  for (const other of damage.alsoDamaged ?? []) assert.ok(error.message.includes(join(dir, other)), error.message);
  return error;
}

describe('damaged corpus', () => {
  for (const [name, damage] of Object.entries(manifest)) {
    describe(name, () => {
      const dir = fixture('damaged', name);
      const base = expectedOf(damage.base).events;

      const checkEvents = (events: Parameters<typeof assertEventMatches>[0][]): void => {
        assert.equal(events.length, damage.events);
        if (damage.eventsByStream === undefined) {
          events.forEach((e, i) => assertEventMatches(e, base[i], i));
          return;
        }
        // Several streams: each stream's events are a prefix of that stream in the good trace.
        for (const [stream, count] of Object.entries(damage.eventsByStream)) {
          const got = events.filter((e) => e.stream === stream);
          const want = base.filter((e) => e.stream === stream);
          assert.equal(got.length, count, stream);
          got.forEach((e, i) => assertEventMatches(e, want[i], i));
        }
      };

      it(`readTrace: ${damage.events} events, then ${damage.code} at ${damage.file}:${damage.byteOffset}`, async () => {
        const { events, error } = await readAllAsync(readTrace(dir));
        checkError(error, damage, dir);
        checkEvents(events);
      });

      it('readTraceSync: the same', () => {
        const { events, error } = readAllSync(readTraceSync(dir));
        checkError(error, damage, dir);
        checkEvents(events);
      });
    });
  }

  it('the error comes after the undamaged streams\' events', () => {
    const dir = fixture('damaged', 'two-streams-one-damaged');
    const { events, error } = readAllSync(readTraceSync(dir));
    assert.ok(error instanceof TracemarkError);
    assert.equal(events.at(-1)?.stream, 'stream_0');
    assert.equal(events.filter((e) => e.stream === 'stream_0').length, 4);
  });

  it('the summary reports stream damage without throwing', () => {
    const info = readTraceInfoSync(fixture('damaged', 'bad-magic'));
    const [stream] = info.traces[0].streams;
    assert.equal(stream.packets, 1);
    assert.equal(stream.damage?.code, 'ERR_TRACE_CORRUPT');
    assert.equal(stream.damage?.byteOffset, 4096);
  });

  it('a truncated metadata file is reported by the summary too', () => {
    const info = readTraceInfoSync(fixture('damaged', 'metadata-truncated'));
    assert.equal(info.traces[0].metadataDamage?.code, 'ERR_TRACE_CORRUPT');
    assert.deepEqual(info.traces[0].eventClasses.map((c) => c.name), ['anchor:sample', 'anchor:blob']);
  });
});

describe('missing or unreadable traces', () => {
  it('a missing directory is ERR_TRACE_IO', async () => {
    const { events, error } = await readAllAsync(readTrace('/nonexistent/tracemark/trace'));
    assert.equal(events.length, 0);
    assert.ok(error instanceof TracemarkError);
    assert.equal(error.code, 'ERR_TRACE_IO');
    assert.throws(() => [...readTraceSync('/nonexistent/tracemark/trace')], { code: 'ERR_TRACE_IO' });
    assert.throws(() => readTraceInfoSync('/nonexistent/tracemark/trace'), { code: 'ERR_TRACE_IO' });
  });

  it('a directory without metadata is ERR_TRACE_IO', () => {
    const { dir, done } = scratchDir();
    try {
      writeFileSync(join(dir, 'stream_0'), 'not a trace');
      assert.throws(() => [...readTraceSync(dir)], { code: 'ERR_TRACE_IO' });
    } finally {
      done();
    }
  });

  it('a file instead of a directory is ERR_TRACE_IO', () => {
    assert.throws(() => [...readTraceSync(fixture('damaged', 'manifest.json'))], { code: 'ERR_TRACE_IO' });
  });

  it('an empty metadata file is ERR_TRACE_CORRUPT naming metadata', () => {
    const { dir, done } = scratchCopy('good', 'gm-text-compact');
    try {
      writeFileSync(join(dir, 'metadata'), '');
      assert.throws(() => [...readTraceSync(dir)], (e: TracemarkError) => e.code === 'ERR_TRACE_CORRUPT' && basename(e.file ?? '') === 'metadata' && e.byteOffset === 0);
    } finally {
      done();
    }
  });

  it('hidden files, empty files and sub-directories of a trace are not streams', () => {
    const { dir, done } = scratchCopy('good', 'gm-text-compact');
    try {
      writeFileSync(join(dir, '.hidden'), 'garbage');
      writeFileSync(join(dir, 'empty'), '');
      mkdirSync(join(dir, 'index'));
      writeFileSync(join(dir, 'index', 'stream_0.idx'), 'garbage');
      const { events, error } = readAllSync(readTraceSync(dir));
      assert.equal(error, undefined);
      assert.equal(events.length, 11);
    } finally {
      done();
    }
  });

  it('a trace whose files are being appended is read as a snapshot of whole packets', () => {
    const { dir, done } = scratchCopy('good', 'gm-packetized-compact');
    try {
      const stream = join(dir, 'stream_0');
      const bytes = readFileSync(stream);
      writeFileSync(stream, bytes.subarray(0, 4096));
      const { events, error } = readAllSync(readTraceSync(dir));
      assert.equal(error, undefined);
      assert.equal(events.length, 5);
    } finally {
      done();
    }
  });
});
