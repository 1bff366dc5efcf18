/**
 * The trace clock: nanoseconds since `performance.timeOrigin`, monotonic, as an integral double
 * (exact for 104 days of uptime). `performance.now()` is the cheapest monotonic clock on Node 20
 * (see BENCHMARKS.md); the epoch offset turns clock values into wall-clock time.
 */
import { performance } from 'node:perf_hooks';

export function clockNowNs(): number {
  return Math.round(performance.now() * 1e6);
}

/** Epoch nanoseconds of clock value 0. */
export const CLOCK_ORIGIN_EPOCH_NS: bigint = BigInt(Math.round(performance.timeOrigin * 1e3)) * 1000n;

export function clockToEpochNs(clockNs: number | bigint): bigint {
  return CLOCK_ORIGIN_EPOCH_NS + BigInt(clockNs);
}
