/**
 * One side of bench/read-lttng.ts: decodes every event of DIR with the library, prints nothing.
 *   node dist/bench/read-lttng-decode.js DIR [--async | --batches]
 *   (readTraceSync; the streaming readTrace, one event per await; readTraceBatches, one batch per await)
 */
import { readTrace, readTraceBatches, readTraceSync } from '../src/read/index.js';

const dir = process.argv[2] as string;
let count = 0;
if (process.argv.includes('--async')) {
  for await (const event of readTrace(dir)) if (event.timestamp >= 0n) count++;
} else if (process.argv.includes('--batches')) {
  for await (const batch of readTraceBatches(dir)) for (const event of batch) if (event.timestamp >= 0n) count++;
} else {
  for (const event of readTraceSync(dir)) if (event.timestamp >= 0n) count++;
}
if (count === 0) process.exitCode = 1;
