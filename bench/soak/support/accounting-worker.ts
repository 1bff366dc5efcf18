/**
 * A worker thread of the accounting soak (bench/soak/accounting.ts): fires its own marker
 * `soakw:t<index>` in bursts until the main thread sets the stop cell, and counts exactly the
 * fires that happened while `tracing.enabled` was true. The main thread flips that switch from
 * a timer, bracketed by a sequence counter (odd while it flips): a fire whose counter reads
 * differ before and after, or are odd, is counted as ambiguous (it might have been in either
 * state) instead of guessed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { marker, tracing } from '../../../src/index.js';

const { index, seq, stop } = workerData as { index: number; seq: Int32Array; stop: Int32Array };
const m = marker(`soakw:t${index}`, 'i %u s %s') as (i: number, s: string) => void;
let exact = 0;
let ambiguous = 0;
let total = 0;

// 50 fires per timer turn (the main thread fires 300): enough to overflow the tiny channels,
// and the traces stay small enough for babeltrace2 to read back (at 200 per turn the two
// workers wrote ~10 M events a minute and the read-back of a 60 s soak took a quarter hour).
while (Atomics.load(stop, 0) === 0) {
  for (let k = 0; k < 50; k++) {
    const before = Atomics.load(seq, 0);
    const on = tracing.enabled;
    m(total, 'worker');
    const after = Atomics.load(seq, 0);
    if (before === after && (before & 1) === 0) {
      if (on) exact++;
    } else {
      ambiguous++;
    }
    total++;
  }
  await new Promise((resolveTurn) => setTimeout(resolveTurn, 1));
}
parentPort?.postMessage({ index, exact, ambiguous, total });
