/**
 * The accounting soak of bench/soak/accounting.ts, short (issue 12, section 3): per channel (and
 * per worker thread),
 * written + discarded == fired exactly while rules and tracing.enabled flip from timers, and
 * babeltrace2 reads back exactly the counted events and losses (those of a stream's first packet,
 * which babeltrace2 cannot count, counted by tracemark's reader). `npm run soak` runs it 60 s.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accountingSoak } from '../../bench/soak/accounting.js';

test('10 s of toggling, two worker threads firing too: every event is written or counted as discarded, per channel and per thread, and babeltrace2 agrees', { timeout: 300_000 }, async () => {
  const result = await accountingSoak(10_000, 7);
  assert.deepEqual(result.failures, []);
  assert.equal(result.channels.length, 4);
  assert.ok(result.toggles > 50 && result.globalToggles > 20, `${result.toggles} toggles, ${result.globalToggles} flips`);
  assert.ok(result.channels.every((c) => c.fired > 0), JSON.stringify(result.channels));
  assert.ok(result.channels.some((c) => c.discarded > 0), 'tiny channels must overflow for the test to mean anything');
  assert.ok(result.snapshots >= 2 && result.snapshotsChecked === result.snapshots);
  // The blob fired first is too large for both traces' default channels: a loss in their first
  // packets, which babeltrace2 reports as "may have discarded" without a count; its count comes
  // from tracemark's reader, and the totals still match exactly (result.failures is empty).
  assert.deepEqual(result.traces.map((t) => [t.session, t.ok, t.firstPacketLost]), [['writerA', true, 1], ['writerB', true, 1]]);
  // Per worker thread and trace (2 threads x 2 traces), each within its own count.
  assert.equal(result.threads.length, 4);
  assert.ok(result.threads.every((t) => t.ok && t.expected > 0), JSON.stringify(result.threads));
});
