// Compares tracemark's reading of a real LTTng-UST trace with babeltrace2's (its Python
// bindings): events (name, time, payload, contexts) and losses (counts and ranges per stream).
import assert from 'node:assert/strict';
import { readTraceSync, type TraceEvent } from '../../src/read/index.js';
import { assertSameAsBt2, bt2read, sortLosses, tracemarkLosses, type Bt2Reading, type Bt2Tolerance } from '../read/support/bt2.js';

/** Same events (name, time, payload, contexts) in the same time order; ties may come in any order. */
function assertSameEvents(events: TraceEvent[], bt2: Bt2Reading, tolerance: Bt2Tolerance): void {
  assert.equal(events.length, bt2.events.length, 'event count');
  const used = new Set<number>();
  let runStart = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    const ns = String(e.timestamp);
    if (i > 0 && String(events[i - 1].timestamp) !== ns) runStart = i;
    // Events of several streams at the same ns: find the match among babeltrace2's same-ns run.
    let matched = -1;
    let lastError: unknown;
    for (let j = runStart; j < bt2.events.length && bt2.events[j].ns === ns; j++) {
      if (used.has(j) || bt2.events[j].name !== e.name) continue;
      try {
        assertSameAsBt2(e.fields, bt2.events[j].fields, `event #${i} (${e.name}) fields`, tolerance);
        assertSameAsBt2(e.context ?? {}, bt2.events[j].context, `event #${i} (${e.name}) context`, tolerance);
        matched = j;
        break;
      } catch (error) {
        lastError = error;
      }
    }
    if (matched < 0) {
      if (lastError !== undefined) throw lastError;
      assert.fail(`event #${i} ${e.name} at ${ns}: babeltrace2 has ${JSON.stringify(bt2.events[i]).slice(0, 300)}`);
    }
    used.add(matched);
  }
}

/** `counted`: loss records of discarded events with a count (not babeltrace2's "may have discarded"). */
export function compare(dir: string): { events: number; losses: number; counted: number } {
  const bt2 = bt2read(dir);
  assert.equal(bt2.error, undefined, `babeltrace2: ${bt2.error}`);
  const events = [...readTraceSync(dir)];
  const tolerance = { emptyStrings: { count: 0, paths: new Set<string>() } };
  assertSameEvents(events, bt2, tolerance);
  // babeltrace2's stale empty strings (see Bt2Tolerance): only where the program writes '' —
  // strs[0] in `str`, an empty `seqtext` (n = 0) and tracef messages of that empty string never are.
  for (const path of tolerance.emptyStrings.paths) assert.match(path, /^\(tmtest:all_types\) fields\.(str|seqtext)$/);
  assert.deepEqual(sortLosses(tracemarkLosses(dir)), sortLosses(bt2.losses), 'losses');
  const counted = bt2.losses.filter((l) => l.discarded === 'events' && l.count !== null).length;
  return { events: events.length, losses: bt2.losses.length, counted };
}
