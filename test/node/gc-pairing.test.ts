/**
 * How node:gc:collection pairs perf_hooks entries with v8.GCProfiler records (heap sizes): in
 * order, by kind and duration (src/integrations/node/gc.ts), with synthetic sequences.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pairRecord, type HeapRecord } from '../../src/integrations/node/gc.js';

const record = (gcType: string, costUs: number, before: number): HeapRecord => ({ gcType, costUs, before, after: before - 1 });

test('entries pair with the records of their kind, in order', () => {
  const waiting = [record('Scavenge', 300, 1), record('MarkSweepCompact', 4000, 2), record('Scavenge', 310, 3), record('MarkSweepCompact', 5000, 4)];
  assert.equal(pairRecord(waiting, 'minor', 305)?.before, 1);
  assert.equal(pairRecord(waiting, 'major', 4010)?.before, 2);
  assert.equal(pairRecord(waiting, 'minor', 300)?.before, 3);
  assert.equal(pairRecord(waiting, 'major', 4990)?.before, 4);
  assert.equal(waiting.length, 0);
});

test('a minor collection without a record does not take the records of the major ones in between', () => {
  // Records of majors 1-3 and of one scavenge after them; two scavenge entries, the first of
  // which has no record (it fell between the profiler's stop and start).
  const waiting = [record('MarkSweepCompact', 4100, 1), record('MarkSweepCompact', 5900, 2), record('MarkSweepCompact', 5300, 3), record('Scavenge', 300, 9)];
  assert.equal(pairRecord(waiting, 'minor', 290)?.before, 9, 'the first scavenge entry takes the only scavenge record');
  assert.equal(pairRecord(waiting, 'minor', 310), undefined, 'the second has none left');
  assert.deepEqual(['major', 'major', 'major'].map((kind, i) => pairRecord(waiting, kind, [4100, 5900, 5300][i])?.before), [1, 2, 3]);
});

test('a record whose entry never came is skipped; a duration far from every record pairs with none', () => {
  const waiting = [record('MarkSweepCompact', 900, 1), record('MarkSweepCompact', 6000, 2)];
  assert.equal(pairRecord(waiting, 'major', 6050)?.before, 2, 'the older major record (no entry) is dropped');
  assert.equal(waiting.length, 0);
  const more = [record('MarkSweepCompact', 6000, 3)];
  assert.equal(pairRecord(more, 'major', 60_000), undefined);
  assert.equal(pairRecord(more, 'weakcb', 6000), undefined, 'another kind');
  assert.equal(more.length, 1);
});
