/**
 * Byte layout of one sub-buffer = one CTF 1.8 data packet (docs/trace-format.md).
 * The write path encodes events in place, so the packet header and context are part of the ring.
 */
export const PACKET_MAGIC = 0xc1fc1fc1;

export const PACKET = Object.freeze({
  magicOffsetBytes: 0,
  uuidOffsetBytes: 4,
  streamIdOffsetBytes: 20,
  streamInstanceIdOffsetBytes: 24,
  timestampBeginOffsetBytes: 32,
  timestampEndOffsetBytes: 40,
  contentSizeOffsetBytes: 48,
  packetSizeOffsetBytes: 56,
  seqNumOffsetBytes: 64,
  eventsDiscardedOffsetBytes: 72,
  cpuIdOffsetBytes: 80,
  /** Header (32) + context (52): where the first event starts. */
  headerSizeBytes: 84,
});

/** LTTng's compact event header: 5-bit id, 27-bit timestamp; id 31 escapes to the extended form. */
export const HEADER = Object.freeze({
  compactIdMax: 30,
  extendedEscapeId: 31,
  compactTimestampBits: 27,
  compactTimestampRange: 134217728, // 2 ** 27
  compactSizeBytes: 4,
  extendedSizeBytes: 13,
});

export const TWO_POW_32 = 4294967296;

/** Sub-buffer states in the shared control array. */
export const SUBBUF = Object.freeze({ free: 0, writing: 1, committed: 2, draining: 3 });

/** Cells of a channel's shared control array (Int32Array); sub-buffer states follow. */
export const CTRL = Object.freeze({
  lock: 0,
  error: 1,
  stop: 2,
  /**
   * The producer's count of discarded events (low and high 32 bits), stored where it changes
   * (slow paths only): a ring whose producer thread cannot close a packet any more (a worker
   * at the main thread's process.exit()) still gets its losses reported by the main thread.
   */
  discardedLow: 3,
  discardedHigh: 4,
  firstState: 8,
});

/** The producer's discarded-event count published in `ctrl` (CTRL.discardedLow/High). */
export function sharedDiscarded(ctrl: Int32Array): number {
  return (Atomics.load(ctrl, CTRL.discardedLow) >>> 0) + (Atomics.load(ctrl, CTRL.discardedHigh) >>> 0) * TWO_POW_32;
}

/** Reads a little-endian u64 that fits a double (timestamps, sizes, counters). */
export function readU64(view: DataView, offsetBytes: number): number {
  return view.getUint32(offsetBytes, true) + view.getUint32(offsetBytes + 4, true) * TWO_POW_32;
}

/** Writes an integral double in [0, 2^53) as a little-endian u64. */
export function writeU64(view: DataView, offsetBytes: number, value: number): void {
  const low = value % TWO_POW_32;
  view.setUint32(offsetBytes, low, true);
  view.setUint32(offsetBytes + 4, (value - low) / TWO_POW_32, true);
}
