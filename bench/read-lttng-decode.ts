/** One side of bench/read-lttng.ts: decodes every event of DIR with the library, prints nothing. */
import { readTraceSync } from '../src/read/index.js';

let count = 0;
for (const event of readTraceSync(process.argv[2] as string)) if (event.timestamp >= 0n) count++;
if (count === 0) process.exitCode = 1;
