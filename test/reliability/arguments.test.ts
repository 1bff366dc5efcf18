/**
 * Every argument type against every spec (issue 12, section 4), CI-sized: the fast-check run of
 * bench/soak/arguments.ts (100,000 cases with --soak). Firing never throws and runs no user code;
 * written + discarded == fired; babeltrace2 reads the trace with exactly those counts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { argumentFuzz } from '../../bench/soak/arguments.js';

test('hostile and random arguments against random formats: nothing thrown, nothing lost uncounted, trace read cleanly', { timeout: 300_000 }, async () => {
  const result = await argumentFuzz(1000, 12);
  assert.deepEqual(result.failures, []);
  assert.equal(result.fired, 1000 + 3000); // the cases, and the warm-up events of the first packets
  assert.equal(result.written + result.discarded, result.fired);
  assert.equal(result.internalErrors, 0);
  assert.equal(result.readBack, 'yes');
  assert.ok(result.coerced > 0, 'hostile values were coerced, as counted');
  assert.ok(result.tooLarge > 0, 'blobs larger than a sub-buffer were fired and counted');
});
