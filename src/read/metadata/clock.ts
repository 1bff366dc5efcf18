/**
 * Clock cycles → nanoseconds since the Unix epoch:
 * ns = offset_s * 1e9 + (offset + cycles) * 1e9 / freq, in BigInt (CTF 1.8 §8).
 */
import type { ClockClass } from './metadata.js';

const NS_PER_S = 1_000_000_000n;
const TWO_POW_32 = 4294967296;
// Below this high half, hi * 2^32 + lo is exact as a double (< 2^53).
const SAFE_HI = 0x200000;

export class ClockConversion {
  private readonly offsetNs: bigint;
  private readonly offsetCycles: bigint;
  private readonly freq: bigint;
  /** ns of cycle 0 when freq is 1 GHz (the common case: one addition per event). */
  private readonly originNs: bigint | undefined;

  constructor(clock: ClockClass | undefined) {
    this.offsetNs = (clock?.offsetS ?? 0n) * NS_PER_S;
    this.offsetCycles = clock?.offset ?? 0n;
    this.freq = clock?.freq ?? NS_PER_S;
    this.originNs = this.freq === NS_PER_S ? this.offsetNs + this.offsetCycles : undefined;
  }

  /** `cycles` given as its unsigned 32-bit halves (how the cursor keeps the clock). */
  toNs(hi: number, lo: number): bigint {
    if (this.originNs !== undefined) {
      return this.originNs + (hi < SAFE_HI ? BigInt(hi * TWO_POW_32 + lo) : (BigInt(hi) << 32n) | BigInt(lo));
    }
    return this.cyclesToNs((BigInt(hi) << 32n) | BigInt(lo));
  }

  cyclesToNs(cycles: bigint): bigint {
    if (this.originNs !== undefined) return this.originNs + cycles;
    const scaled = (this.offsetCycles + cycles) * NS_PER_S;
    // BigInt division truncates toward zero; time needs floor (a negative `offset` is possible).
    const quotient = scaled / this.freq;
    return this.offsetNs + (scaled < 0n && quotient * this.freq !== scaled ? quotient - 1n : quotient);
  }
}
