/**
 * The trace clock: nanoseconds since `performance.timeOrigin`, monotonic, as an integral double
 * (exact for 104 days of uptime). `performance.now()` is the cheapest monotonic clock on Node 20
 * (see BENCHMARKS.md); the epoch offset turns clock values into wall-clock time.
 *
 * Every process has its own timeOrigin, but all of them count CLOCK_MONOTONIC (what
 * process.hrtime reads). `tracemark record` measures epoch minus CLOCK_MONOTONIC once and gives
 * it to every process it starts (CLOCK_EPOCH_ENV): each process then maps its clock to the epoch
 * through the same constant, so that events of different processes sort in the order in which
 * they happened (docs/trace-format.md, "One time base"). Computed once per process, at load:
 * clockNowNs itself is unchanged.
 */
import { performance } from 'node:perf_hooks';

/**
 * Node's own `performance.now`, taken from the prototype and bound when this module loads. The
 * fire functions read the clock outside their try blocks (src/chain/fire.ts), so it must never
 * throw; and a test double installed later (fake timers replace `globalThis.performance` or
 * `performance.now`) must change neither the trace's timestamps nor that guarantee.
 */
const nodePerformanceNow: () => number = bindNodeNow();

function bindNodeNow(): () => number {
  const now: unknown = (Object.getPrototypeOf(performance) as { now?: unknown } | null)?.now;
  if (typeof now === 'function') {
    const bound = (now as () => number).bind(performance);
    try {
      if (Number.isFinite(bound())) return bound;
    } catch { /* not Node's own: fall back */ }
  }
  return () => {
    try {
      return performance.now();
    } catch {
      return 0;
    }
  };
}

export function clockNowNs(): number {
  return Math.round(nodePerformanceNow() * 1e6);
}

/** Epoch ns minus CLOCK_MONOTONIC ns, shared by the processes of one `tracemark record`. */
export const CLOCK_EPOCH_ENV = 'TRACEMARK_CLOCK_EPOCH_NS';

/**
 * CLOCK_MONOTONIC nanoseconds at clock value 0, read between two process.hrtime calls; the
 * closest of a few tries (error: half the gap between them, well under a microsecond).
 */
export function monotonicOriginNs(): bigint {
  let best = 0n;
  let bestGap = -1n;
  for (let i = 0; i < 5; i++) {
    const before = process.hrtime.bigint();
    const nowNs = BigInt(clockNowNs());
    const after = process.hrtime.bigint();
    if (bestGap < 0n || after - before < bestGap) {
      bestGap = after - before;
      best = (before + after) / 2n - nowNs;
    }
  }
  return best;
}

/** This process's own measure of epoch minus CLOCK_MONOTONIC (what `record` passes on). */
export function epochMinusMonotonicNs(): bigint {
  return BigInt(Math.round(performance.timeOrigin * 1e3)) * 1000n - monotonicOriginNs();
}

function originEpochNs(): bigint {
  const shared = process.env[CLOCK_EPOCH_ENV];
  if (shared !== undefined && /^-?\d{1,20}$/.test(shared)) return monotonicOriginNs() + BigInt(shared);
  return BigInt(Math.round(performance.timeOrigin * 1e3)) * 1000n;
}

/** Epoch nanoseconds of clock value 0. */
export const CLOCK_ORIGIN_EPOCH_NS: bigint = originEpochNs();

export function clockToEpochNs(clockNs: number | bigint): bigint {
  return CLOCK_ORIGIN_EPOCH_NS + BigInt(clockNs);
}
