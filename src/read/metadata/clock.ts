/**
 * Clock cycles → nanoseconds since the Unix epoch:
 * ns = offset_s * 1e9 + (offset + cycles) * 1e9 / freq, in BigInt (CTF 1.8 §8).
 */
import type { ClockClass } from './metadata.js';

const NS_PER_S = 1_000_000_000n;
const TWO_POW_32 = 4294967296;
// Below this high half, hi * 2^32 + lo is exact as a double (< 2^53).
const SAFE_HI = 0x200000;
const TWO_POW_64 = 1n << 64n;
// ns = originNs + cycles is assembled from 32-bit halves in these and read back as one BigUint64:
// one BigInt allocated per event instead of two (BigInt(cycles), then the sum) and no BigInt arithmetic.
const halves = new Uint32Array(2);
const whole = new BigUint64Array(halves.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LOW = LITTLE_ENDIAN ? 0 : 1;
const HIGH = 1 - LOW;

export class ClockConversion {
  private readonly offsetNs: bigint;
  private readonly offsetCycles: bigint;
  private readonly freq: bigint;
  /** ns of cycle 0 when freq is 1 GHz (the common case: one addition per event). */
  readonly originNs: bigint | undefined;
  /** originNs as 32-bit halves when it is in [0, 2^64); else originHi is -1. */
  private readonly originHi: number;
  private readonly originLo: number;

  constructor(clock: ClockClass | undefined) {
    this.offsetNs = (clock?.offsetS ?? 0n) * NS_PER_S;
    this.offsetCycles = clock?.offset ?? 0n;
    this.freq = clock?.freq ?? NS_PER_S;
    this.originNs = this.freq === NS_PER_S ? this.offsetNs + this.offsetCycles : undefined;
    const inRange = this.originNs !== undefined && this.originNs >= 0n && this.originNs < TWO_POW_64;
    this.originHi = inRange ? Number((this.originNs as bigint) >> 32n) : -1;
    this.originLo = inRange ? Number((this.originNs as bigint) & 0xffffffffn) : 0;
  }

  /** `cycles` given as its unsigned 32-bit halves (how the cursor keeps the clock). */
  toNs(hi: number, lo: number): bigint {
    if (this.originHi >= 0) {
      const lo32 = this.originLo + lo;
      const hi32 = this.originHi + hi + (lo32 >= TWO_POW_32 ? 1 : 0);
      if (hi32 < TWO_POW_32) {
        halves[LOW] = lo32; // stored modulo 2^32
        halves[HIGH] = hi32;
        return whole[0];
      }
    }
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
