/**
 * The counting pass (countEventsSync: payloads skipped, streams not merged) against the full
 * decoding of readTraceSync on every fixture, good and damaged: the same events per stream and
 * class, the same first and last times, the same histogram, the same damage. And the clock
 * conversion's fast path against the exact BigInt formula.
 */
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TracemarkError } from '../../src/errors/index.js';
import { ClockConversion } from '../../src/read/metadata/clock.js';
import { countEventsSync, readTraceSync } from '../../src/read/index.js';
import { fixture, readAllSync } from './helpers.js';

function fixtureDirs(): string[] {
  const out: string[] = [];
  for (const group of ['good', 'damaged', 'reader']) {
    for (const name of readdirSync(fixture(group))) {
      const dir = fixture(group, name);
      if (statSync(dir).isDirectory()) out.push(dir);
    }
  }
  return out;
}

interface Expected { count: number; first: bigint; last: bigint }

describe('countEventsSync', () => {
  for (const dir of fixtureDirs()) {
    it(`counts what readTraceSync reads: ${dir.split('/').slice(-2).join('/')}`, () => {
      let opened = true;
      let openError: unknown;
      let events: ReturnType<typeof readAllSync>['events'] = [];
      let readError: unknown;
      try {
        ({ events, error: readError } = readAllSync(readTraceSync(dir)));
      } catch (error) {
        opened = false;
        openError = error;
      }
      let counted;
      try {
        counted = countEventsSync(dir, { range: { begin: 0n, end: 0n }, bucketCount: 1 });
      } catch (error) {
        assert.ok(error instanceof TracemarkError);
        // Both fail before any event when the trace cannot be opened.
        assert.equal(events.length, 0);
        assert.ok(readError instanceof TracemarkError || !opened, `count failed (${String(error)}) where the read did not`);
        return;
      }
      assert.ok(opened, `read threw ${String(openError)} where the count did not`);
      const expected = new Map<string, Expected>();
      for (const e of events) {
        const key = `${e.stream}\u0000${e.id}\u0000${e.name}`;
        const known = expected.get(key);
        if (known === undefined) expected.set(key, { count: 1, first: e.timestamp, last: e.timestamp });
        else {
          known.count++;
          if (e.timestamp < known.first) known.first = e.timestamp;
          if (e.timestamp > known.last) known.last = e.timestamp;
        }
      }
      const actual = new Map(counted.classes.map((c) => [`${c.stream}\u0000${c.id}\u0000${c.name}`, { count: c.count, first: c.firstNs, last: c.lastNs }]));
      assert.deepEqual(actual, expected);
      assert.equal(counted.total, events.length);
      assert.deepEqual(counted.buckets, [events.length]);
      assert.equal(counted.damage?.message, (readError as TracemarkError | undefined)?.message);
      assert.equal(counted.damage?.byteOffset, (readError as TracemarkError | undefined)?.byteOffset);
    });
  }

  it('a histogram over a range puts each event in the bucket of its timestamp', () => {
    const dir = fixture('good', 'gm-two-streams');
    const { events } = readAllSync(readTraceSync(dir));
    const times = events.map((e) => e.timestamp).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const begin = times[0];
    const end = times[times.length - 1];
    const bucketCount = 7;
    const perNs = bucketCount / (Number(end - begin) + 1);
    const expected = new Array<number>(bucketCount).fill(0);
    for (const t of times) expected[Math.min(bucketCount - 1, Math.floor(Number(t - begin) * perNs))]++;
    assert.deepEqual(countEventsSync(dir, { range: { begin, end }, bucketCount }).buckets, expected);
  });
});

describe('ClockConversion.toNs', () => {
  const exact = (offsetS: bigint, offset: bigint, freq: bigint, cycles: bigint): bigint => {
    const scaled = (offset + cycles) * 1_000_000_000n;
    const q = scaled / freq;
    return offsetS * 1_000_000_000n + (scaled < 0n && q * freq !== scaled ? q - 1n : q);
  };
  it('agrees with the exact formula (1 GHz and other frequencies, any offset, any 64-bit cycle count)', () => {
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    fc.assert(fc.property(
      fc.bigInt({ min: -(1n << 40n), max: 1n << 40n }), fc.bigInt({ min: -(1n << 62n), max: 1n << 63n }),
      fc.constantFrom(1_000_000_000n, 1_000_000n, 3_000_000_001n), u32, u32,
      (offsetS, offset, freq, hi, lo) => {
        const clock = new ClockConversion({ name: 'c', freq, offsetS, offset } as never);
        const cycles = (BigInt(hi) << 32n) | BigInt(lo);
        assert.equal(clock.toNs(hi, lo), exact(offsetS, offset, freq, cycles));
      }), { seed: 0x70c10c, numRuns: 2000 });
  });

  it('handles the carry between the halves', () => {
    const clock = new ClockConversion({ name: 'c', freq: 1_000_000_000n, offsetS: 0n, offset: 0xffffffffn } as never);
    assert.equal(clock.toNs(0, 1), 0x100000000n);
    assert.equal(clock.toNs(0xffffffff, 0xffffffff), 0xffffffffffffffffn + 0xffffffffn);
  });
});

// The fixture directories must exist where the test expects them (a moved corpus fails loudly).
assert.ok(readdirSync(join(fixture('good'))).length > 0);
