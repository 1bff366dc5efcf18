/**
 * Issue 3 benchmark: our reader + printer against `babeltrace2 DIR > /dev/null` on the same
 * 1M-event trace, events/s of each in one run.
 */
import { spawnSync } from 'node:child_process';
import { openSync, closeSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { printEvents, readTraceSync } from '../src/read/index.js';
import { recordToDisk } from './disk.js';

function time(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export async function readBenchmarks(): Promise<void> {
  const events = 1_000_000;
  const recorded = await recordToDisk(events, true);
  const dir = recorded.dir;
  console.log(`\n## Reading and printing the same ${events / 1e6}M-event trace (${(recorded.bytesOnDisk / 1e6).toFixed(1)} MB)`);
  console.log('| run | babeltrace2 DIR > /dev/null | tracemark readTraceSync + printEvents (formatEvent) > /dev/null | ratio (ours / babeltrace2, events/s) |');
  console.log('|---|---|---|---|');
  const devNull = openSync('/dev/null', 'w');
  for (let run = 1; run <= 3; run++) {
    const bt = time(() => {
      const result = spawnSync('babeltrace2', [dir], { stdio: ['ignore', devNull, 'inherit'] });
      if (result.status !== 0) throw new Error('babeltrace2 failed');
    });
    let count = 0;
    const ours = time(() => { count = printEvents(readTraceSync(dir), devNull); });
    if (count !== recorded.written) throw new Error(`read ${count} events, wrote ${recorded.written}`);
    console.log(`| ${run} | ${(events / bt / 1e6).toFixed(2)} M/s (${bt.toFixed(2)} s) | ${(events / ours / 1e6).toFixed(2)} M/s (${ours.toFixed(2)} s) | ${(bt / ours).toFixed(2)} |`);
  }
  closeSync(devNull);
  rmSync(dirname(dir), { recursive: true, force: true });
}
