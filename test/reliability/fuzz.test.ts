/**
 * The bad-input fuzzing of bench/soak/fuzz.ts with small counts (issue 12, section 4): control
 * request lines, control commands run in-process, filter expressions, formats and marker names
 * either work or fail with a TracemarkError code. `npm run soak` runs 100,000 cases per target.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzzAll } from '../../bench/soak/fuzz.js';

test('seeded fuzzing: every case returns or is refused with a code', { timeout: 300_000 }, async () => {
  const rows = await fuzzAll(500, 150, 2026);
  for (const row of rows) {
    assert.deepEqual(row.failures, [], row.target);
    assert.equal(row.cases, row.accepted + row.refused, row.target);
  }
  const commands = rows.find((r) => r.target.startsWith('control commands'))!;
  assert.ok(commands.accepted > 0 && commands.refused > 0, 'both outcomes must occur for the run to mean something');
});
