/**
 * Issue 3 benchmarks: a synchronous 10M-event loop to disk with the default channel (events/s,
 * events lost, bytes per event on disk), next to the same loop with tracing off.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { marker, Session } from '../src/index.js';

export interface DiskResult {
  events: number;
  loopSeconds: number;
  closeSeconds: number;
  written: number;
  discarded: number;
  bytesOnDisk: number;
  dir: string;
}

/** Records `events` events into a fresh trace directory; the caller removes `dir` (or reuses it). */
export async function recordToDisk(events: number, keep = false): Promise<DiskResult> {
  const ev = marker('bench:event', 'a %d b %d c %ld s %s');
  const base = mkdtempSync(join(tmpdir(), 'tracemark-bench-'));
  const dir = join(base, 'trace');
  const session = new Session({ output: dir });
  session.enable('bench:event');
  session.start();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < events; i++) ev(i, i, i, 'hello');
  const t1 = process.hrtime.bigint();
  await session.close();
  const t2 = process.hrtime.bigint();
  const stats = session.stats().channels.default;
  const bytesOnDisk = statSync(join(dir, 'default_0')).size;
  if (!keep) rmSync(base, { recursive: true, force: true });
  return {
    events,
    loopSeconds: Number(t1 - t0) / 1e9,
    closeSeconds: Number(t2 - t1) / 1e9,
    written: stats.written,
    discarded: stats.discarded,
    bytesOnDisk,
    dir,
  };
}

export async function diskBenchmarks(): Promise<void> {
  const events = 10_000_000;
  console.log('\n## Synchronous 10M-event loop to disk, default channel (4 × 1 MiB, discard)');
  console.log('| run | events/s (loop) | events/s (incl. close) | lost | bytes/event on disk |');
  console.log('|---|---|---|---|---|');
  for (let run = 1; run <= 3; run++) {
    const r = await recordToDisk(events);
    console.log(`| ${run} | ${(events / r.loopSeconds / 1e6).toFixed(2)} M | ${(events / (r.loopSeconds + r.closeSeconds) / 1e6).toFixed(2)} M | ${r.discarded} (${((r.discarded / events) * 100).toFixed(2)} %) | ${(r.bytesOnDisk / Math.max(1, r.written)).toFixed(2)} |`);
  }
}
