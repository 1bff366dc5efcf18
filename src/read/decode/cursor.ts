/**
 * Decoding state shared by the compiled decoders of one stream file, and the bit-level reads.
 * Positions are in bits from the start of the current packet, because CTF measures alignment
 * from the packet start; `baseByte` locates that packet in `bytes`.
 */
import { DecodeError } from '../errors.js';

const EMPTY = Buffer.alloc(0);

/** A compiled decoder of one type: reads it at the cursor, returns its value (or undefined). */
export type Decoder = (c: Cursor) => unknown;
const TWO_POW_32 = 4294967296;

export class Cursor {
  bytes: Buffer = EMPTY;
  view: DataView = new DataView(EMPTY.buffer, EMPTY.byteOffset, 0);
  /** Index in `bytes` of the current packet's first byte. */
  baseByte = 0;
  /** Bits from the packet start. */
  posBits = 0;
  /** Decoding must not go past this (content_size, or the end of the loaded data). */
  limitBits = 0;
  /** Values of fields that sequences and variants refer to (their length or tag). */
  readonly slots: unknown[];
  /** Current clock value C of the stream (CTF 1.8 §8), as two unsigned 32-bit halves. */
  clockHi = 0;
  clockLo = 0;
  /** Event class id found in the event header. */
  eventId = -1;
  /**
   * Nodes decoded by loops whose elements may take fewer bits than nodes (arrays of empty
   * structs...) since `workStartBits`: such loops stop past WORK_BUDGET_BASE + the bits consumed.
   */
  heavyWork = 0;
  workStartBits = 0;

  /** Starts the work budget of one event (or packet header). */
  startWork(): void {
    this.heavyWork = 0;
    this.workStartBits = this.posBits;
  }

  constructor(slotCount: number) {
    this.slots = new Array<unknown>(slotCount).fill(0);
  }

  setBytes(bytes: Buffer): void {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Sets C from a 64-bit value. */
  setClock(value: bigint): void {
    this.clockHi = Number((value >> 32n) & 0xffffffffn);
    this.clockLo = Number(value & 0xffffffffn);
  }

  clock(): bigint {
    return (BigInt(this.clockHi) << 32n) | BigInt(this.clockLo);
  }

  /**
   * CTF 1.8 §8 / SPEC §9: a clock field of N < 64 bits holds the low N bits of C; a smaller value
   * than C's low bits means the low bits wrapped once.
   */
  updateClock(low: number, sizeBits: number): void {
    if (sizeBits === 32) {
      if (low < this.clockLo) this.clockHi = (this.clockHi + 1) >>> 0;
      this.clockLo = low;
      return;
    }
    const span = 2 ** sizeBits;
    const lowMask = span - 1;
    const current = this.clockLo % span;
    let lo = this.clockLo - current; // C with its low N bits cleared
    if (low < current) {
      lo += span;
      if (lo >= TWO_POW_32) {
        lo -= TWO_POW_32;
        this.clockHi = (this.clockHi + 1) >>> 0;
      }
    }
    this.clockLo = lo + (low & lowMask);
  }

  /** The general rule for clock fields of 33 to 63 bits. */
  updateClockWide(low: bigint, sizeBits: number): void {
    const span = 1n << BigInt(sizeBits);
    let c = this.clock();
    if (low < c % span) c += span;
    this.setClock(BigInt.asUintN(64, c - (c % span) + low));
  }
}

export function align(c: Cursor, alignBits: number): void {
  if (alignBits > 1) {
    const rest = c.posBits % alignBits;
    if (rest !== 0) c.posBits += alignBits - rest;
  }
}

export function pastEnd(c: Cursor, what: string, sizeBits: number): DecodeError {
  return new DecodeError(`${what} (${sizeBits} bits at bit ${c.posBits} of the packet) runs past the end of the packet content (bit ${c.limitBits})`, true);
}

/** Byte index in `bytes` of the current position, which must be byte-aligned. */
export function byteIndex(c: Cursor): number {
  return c.baseByte + c.posBits / 8;
}

/**
 * Reads an unsigned little-endian integer of 1 to 32 bits at any bit position. At most 5 bytes
 * are involved, so plain double arithmetic stays exact (< 2^40).
 */
export function readBitsSmall(c: Cursor, sizeBits: number): number {
  const first = c.baseByte + Math.floor(c.posBits / 8);
  const shift = c.posBits % 8;
  const byteCount = Math.ceil((shift + sizeBits) / 8);
  const bytes = c.bytes;
  let value = 0;
  for (let i = byteCount - 1; i >= 0; i--) value = value * 256 + bytes[first + i];
  c.posBits += sizeBits;
  return Math.floor(value / 2 ** shift) % 2 ** sizeBits;
}

/**
 * Big-endian bit fields start at the most significant bit of their first byte (CTF 1.8 §4.1.5):
 * the bytes form one big-endian number whose top `shift` bits and low padding are dropped.
 */
export function readBitsSmallBE(c: Cursor, sizeBits: number): number {
  const first = c.baseByte + Math.floor(c.posBits / 8);
  const shift = c.posBits % 8;
  const byteCount = Math.ceil((shift + sizeBits) / 8);
  const bytes = c.bytes;
  let value = 0;
  for (let i = 0; i < byteCount; i++) value = value * 256 + bytes[first + i];
  c.posBits += sizeBits;
  return Math.floor(value / 2 ** (byteCount * 8 - shift - sizeBits)) % 2 ** sizeBits;
}

export function readBitsWideBE(c: Cursor, sizeBits: number): bigint {
  const first = c.baseByte + Math.floor(c.posBits / 8);
  const shift = c.posBits % 8;
  const byteCount = Math.ceil((shift + sizeBits) / 8);
  let value = 0n;
  for (let i = 0; i < byteCount; i++) value = (value << 8n) | BigInt(c.bytes[first + i]);
  c.posBits += sizeBits;
  return (value >> BigInt(byteCount * 8 - shift - sizeBits)) & ((1n << BigInt(sizeBits)) - 1n);
}

/** Reads an unsigned little-endian integer of 33 to 64 bits at any bit position. */
export function readBitsWide(c: Cursor, sizeBits: number): bigint {
  const first = c.baseByte + Math.floor(c.posBits / 8);
  const shift = c.posBits % 8;
  const byteCount = Math.ceil((shift + sizeBits) / 8);
  let value = 0n;
  for (let i = byteCount - 1; i >= 0; i--) value = (value << 8n) | BigInt(c.bytes[first + i]);
  c.posBits += sizeBits;
  return (value >> BigInt(shift)) & ((1n << BigInt(sizeBits)) - 1n);
}

// Traces repeat the same short strings (protocols, states, names): a small direct-mapped cache
// of decoded strings, checked byte for byte, saves decoding and allocating them again.
const STRING_CACHE_SLOTS = 512;
const STRING_CACHE_MAX_BYTES = 32;
const cachedBytes: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(STRING_CACHE_SLOTS).fill(undefined);
const cachedStrings: string[] = new Array<string>(STRING_CACHE_SLOTS).fill('');

/**
 * Reads a NUL-terminated string starting at the current (byte-aligned) position. Invalid UTF-8 is
 * replaced by U+FFFD (Buffer's decoder does that).
 */
export function readCString(c: Cursor): string {
  const start = byteIndex(c);
  const end = c.baseByte + Math.floor(c.limitBits / 8);
  const bytes = c.bytes;
  let i = start;
  let hash = 0;
  while (i < end) {
    const b = bytes[i];
    if (b === 0) break;
    hash = (Math.imul(hash, 31) + b) | 0;
    i++;
  }
  if (i >= end) throw new DecodeError(`string at bit ${c.posBits} of the packet has no terminating NUL before the end of the packet content`, true);
  c.posBits += (i + 1 - start) * 8;
  const length = i - start;
  if (length === 0) return '';
  if (length > STRING_CACHE_MAX_BYTES) return bytes.toString('utf8', start, i);
  const slot = (hash ^ length) & (STRING_CACHE_SLOTS - 1);
  const known = cachedBytes[slot];
  if (known !== undefined && known.length === length) {
    let same = true;
    for (let k = 0; k < length; k++) {
      if (known[k] !== bytes[start + k]) {
        same = false;
        break;
      }
    }
    if (same) return cachedStrings[slot];
  }
  const text = bytes.toString('utf8', start, i);
  // A copy: `bytes` is a read buffer that later reads overwrite (Buffer#slice would be a view).
  const copy = new Uint8Array(length);
  for (let k = 0; k < length; k++) copy[k] = bytes[start + k];
  cachedBytes[slot] = copy;
  cachedStrings[slot] = text;
  return text;
}
