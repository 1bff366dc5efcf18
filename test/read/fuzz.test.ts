/**
 * Property tests (fast-check, fixed seeds): damaged inputs never hang the reader and never make
 * it throw anything but a TracemarkError; a truncated stream yields a prefix of the good events.
 * A hang fails through the test timeout.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TracemarkError } from '../../src/errors/index.js';
import { compileTrace } from '../../src/read/decode/compiled-trace.js';
import { parseMetadata } from '../../src/read/metadata/metadata.js';
import { readTrace, readTraceSync, type TraceEvent } from '../../src/read/index.js';
import { fixture, readAllAsync, readAllSync, scratchCopy } from './helpers.js';

const TIMEOUT = { timeout: 20_000 };

function sameEvent(a: TraceEvent, b: TraceEvent): boolean {
  return a.name === b.name && a.timestamp === b.timestamp && a.stream === b.stream && isDeepStrictEqual(a.fields, b.fields);
}

function assertOnlyTracemarkErrors(error: unknown): void {
  if (error !== undefined) assert.ok(error instanceof TracemarkError, `not a TracemarkError: ${String((error as Error)?.stack ?? error)}`);
}

/** Fuzzes one stream file of a good trace; `check` sees the events and error of each run. */
function fuzzStream(trace: string, streamFile: string, runs: number, seed: number, mutate: fc.Arbitrary<(bytes: Buffer) => Buffer>,
  check: (events: TraceEvent[], error: unknown, mutated: Buffer) => void): void {
  const { dir, done } = scratchCopy('good', trace);
  const path = join(dir, streamFile);
  const original = readFileSync(path);
  try {
    fc.assert(fc.property(mutate, (m) => {
      const mutated = m(Buffer.from(original));
      writeFileSync(path, mutated);
      const { events, error } = readAllSync(readTraceSync(dir));
      assertOnlyTracemarkErrors(error);
      check(events, error, mutated);
    }), { seed, numRuns: runs });
  } finally {
    done();
  }
}

const flips = (size: number): fc.Arbitrary<(bytes: Buffer) => Buffer> =>
  fc.array(fc.tuple(fc.nat(size - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 })
    .map((changes) => (bytes: Buffer) => {
      for (const [at, value] of changes) bytes[at] = value;
      return bytes;
    });

const truncations = (size: number): fc.Arbitrary<(bytes: Buffer) => Buffer> =>
  fc.nat(size).map((length) => Object.assign((bytes: Buffer) => bytes.subarray(0, length), { toString: () => `truncate(${length})` }));

describe('fuzz: stream files', () => {
  for (const [trace, stream, packetEnds] of [
    ['gm-packetized-compact', 'stream_0', [0, 4096, 8192]],
    ['tm-basic', 'default_0', [0, 345, 592]],
  ] as const) {
    const good = readAllSync(readTraceSync(fixture('good', trace))).events;
    const size = readFileSync(fixture('good', trace, stream)).length;

    it(`${trace}: random byte flips never crash or hang`, TIMEOUT, () => {
      fuzzStream(trace, stream, 300, 0x5eed01, flips(size), (events, error, mutated) => {
        assert.ok(events.length <= mutated.length, 'no more events than bytes');
        if (error instanceof TracemarkError && error.byteOffset !== undefined) {
          assert.ok(error.byteOffset <= mutated.length, `byteOffset ${error.byteOffset} is inside the file`);
        }
      });
    });

    it(`${trace}: flips in the packet headers never crash or hang`, TIMEOUT, () => {
      // The 84 bytes of packet header and context of each packet.
      const headerBytes = fc.oneof(...packetEnds.slice(0, -1).map((start) => fc.integer({ min: start, max: start + 83 })));
      const headerFlips = fc.array(fc.tuple(headerBytes, fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })
        .map((changes) => (bytes: Buffer) => {
          for (const [at, value] of changes) bytes[at] = value;
          return bytes;
        });
      fuzzStream(trace, stream, 200, 0x5eed02, headerFlips, () => {});
    });

    it(`${trace}: a truncated stream yields a prefix of the good events`, TIMEOUT, () => {
      fuzzStream(trace, stream, 150, 0x5eed03, truncations(size), (events, error, mutated) => {
        assert.ok(events.length <= good.length);
        events.forEach((e, i) => assert.ok(sameEvent(e, good[i]), `event ${i} differs after truncation to ${mutated.length}`));
        const atPacketEnd = (packetEnds as readonly number[]).includes(mutated.length);
        if (atPacketEnd) assert.equal(error, undefined);
        else {
          assert.ok(error instanceof TracemarkError && error.code === 'ERR_TRACE_CORRUPT', `truncation to ${mutated.length}: ${String(error)}`);
          assert.ok((error.byteOffset as number) <= mutated.length);
        }
      });
    });
  }

  it('readTrace and readTraceSync agree on damaged streams', TIMEOUT, async () => {
    const { dir, done } = scratchCopy('good', 'gm-text-large');
    const path = join(dir, 'stream_0');
    const original = readFileSync(path);
    try {
      await fc.assert(fc.asyncProperty(flips(original.length), async (m) => {
        writeFileSync(path, m(Buffer.from(original)));
        const a = await readAllAsync(readTrace(dir));
        const s = readAllSync(readTraceSync(dir));
        assertOnlyTracemarkErrors(a.error);
        assert.equal(a.events.length, s.events.length);
        a.events.forEach((e, i) => assert.ok(sameEvent(e, s.events[i])));
        assert.equal((a.error as TracemarkError | undefined)?.message, (s.error as TracemarkError | undefined)?.message);
      }), { seed: 0x5eed04, numRuns: 60 });
    } finally {
      done();
    }
  });
});

describe('fuzz: metadata', () => {
  it('flipped or truncated metadata text gives events or a TracemarkError', TIMEOUT, () => {
    const { dir, done } = scratchCopy('good', 'gm-text-compact');
    const path = join(dir, 'metadata');
    const original = readFileSync(path);
    try {
      const mutation = fc.oneof(flips(original.length), truncations(original.length));
      fc.assert(fc.property(mutation, (m) => {
        writeFileSync(path, m(Buffer.from(original)));
        const { error } = readAllSync(readTraceSync(dir));
        assertOnlyTracemarkErrors(error);
      }), { seed: 0x5eed05, numRuns: 300 });
    } finally {
      done();
    }
  });

  it('flipped packetized metadata gives events or a TracemarkError', TIMEOUT, () => {
    const { dir, done } = scratchCopy('good', 'tm-basic');
    const path = join(dir, 'metadata');
    const original = readFileSync(path);
    try {
      fc.assert(fc.property(flips(original.length), (m) => {
        writeFileSync(path, m(Buffer.from(original)));
        assertOnlyTracemarkErrors(readAllSync(readTraceSync(dir)).error);
      }), { seed: 0x5eed06, numRuns: 200 });
    } finally {
      done();
    }
  });

  it('random TSDL-like text never throws anything but a TracemarkError', TIMEOUT, () => {
    const words = ['/* CTF 1.8 */', 'trace', 'stream', 'event', 'env', 'clock', 'struct', 'variant', 'enum', 'integer', 'string',
      'floating_point', 'typealias', ':=', '{', '}', '[', ']', '<', '>', ';', '=', ',', ':', '...', 'size = 8', 'align = 8',
      'x', 'id', '_len', 'uint8_t', '"s"', '0x1F', '12', '-3', 'fields', 'packet.header', 'byte_order = le', 'major = 1', 'minor = 8',
      '/* tracemark.format = "a %d" */', '/*', '"', '\\', '\u00e9'];
    fc.assert(fc.property(fc.array(fc.constantFrom(...words), { maxLength: 60 }), (parts) => {
      const text = Buffer.from(parts.join(' '));
      try {
        compileTrace(parseMetadata(text, 'metadata'));
      } catch (error) {
        assertOnlyTracemarkErrors(error);
      }
    }), { seed: 0x5eed07, numRuns: 500 });
  });
});
