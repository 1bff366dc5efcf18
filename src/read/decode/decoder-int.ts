/**
 * Integer decoders of any size, alignment and byte order: DataView reads for byte-aligned 8, 16,
 * 32 and 64 bits, bit reads otherwise; and the event-header integers that feed the id and the clock.
 */
import { Cursor, type Decoder, align, byteIndex, pastEnd, readBitsSmall, readBitsSmallBE, readBitsWide, readBitsWideBE } from './cursor.js';
import type { IntType } from '../metadata/tsdl-types.js';

/** Integers of 64 bits decode to bigint, smaller ones to number. */
export function intDecoder(type: IntType): Decoder {
  const { sizeBits, alignBits, signed } = type;
  const le = type.bigEndian !== true;
  const byteAligned = alignBits % 8 === 0;
  if (byteAligned && sizeBits === 8) {
    return signed
      ? (c) => { align(c, alignBits); check(c, 8); const v = c.view.getInt8(byteIndex(c)); c.posBits += 8; return v; }
      : (c) => { align(c, alignBits); check(c, 8); const v = c.bytes[byteIndex(c)]; c.posBits += 8; return v; };
  }
  if (byteAligned && sizeBits === 16) {
    return signed
      ? (c) => { align(c, alignBits); check(c, 16); const v = c.view.getInt16(byteIndex(c), le); c.posBits += 16; return v; }
      : (c) => { align(c, alignBits); check(c, 16); const v = c.view.getUint16(byteIndex(c), le); c.posBits += 16; return v; };
  }
  if (byteAligned && sizeBits === 32) {
    return signed
      ? (c) => { align(c, alignBits); check(c, 32); const v = c.view.getInt32(byteIndex(c), le); c.posBits += 32; return v; }
      : (c) => { align(c, alignBits); check(c, 32); const v = c.view.getUint32(byteIndex(c), le); c.posBits += 32; return v; };
  }
  if (byteAligned && sizeBits === 64) {
    return signed
      ? (c) => { align(c, alignBits); check(c, 64); const v = c.view.getBigInt64(byteIndex(c), le); c.posBits += 64; return v; }
      : (c) => { align(c, alignBits); check(c, 64); const v = c.view.getBigUint64(byteIndex(c), le); c.posBits += 64; return v; };
  }
  if (sizeBits <= 32) {
    const signBit = 2 ** (sizeBits - 1);
    const span = 2 ** sizeBits;
    const read = le ? readBitsSmall : readBitsSmallBE;
    return (c) => {
      align(c, alignBits);
      check(c, sizeBits);
      const v = read(c, sizeBits);
      return signed && v >= signBit ? v - span : v;
    };
  }
  const read = le ? readBitsWide : readBitsWideBE;
  return (c) => {
    align(c, alignBits);
    check(c, sizeBits);
    const v = read(c, sizeBits);
    return signed ? BigInt.asIntN(sizeBits, v) : v;
  };
}

/**
 * Header-mode integer: feeds the event id and the clock. Returns the value only when a variant or
 * sequence refers to the field (`needsValue`), so the common 64-bit timestamp path allocates nothing.
 */
export function headerIntDecoder(type: IntType, name: string, needsValue: boolean): Decoder {
  const { sizeBits, alignBits } = type;
  const isClock = type.clock !== undefined || name === 'timestamp';
  const value = intDecoder({ ...type, signed: false });
  if (name === 'id') {
    return (c) => { const v = value(c); c.eventId = Number(v); return v; };
  }
  if (!isClock) return value;
  if (sizeBits === 64 && alignBits % 8 === 0 && !needsValue && type.bigEndian !== true) {
    return (c) => {
      align(c, alignBits);
      check(c, 64);
      const at = byteIndex(c);
      c.clockLo = c.view.getUint32(at, true);
      c.clockHi = c.view.getUint32(at + 4, true);
      c.posBits += 64;
      return undefined;
    };
  }
  if (sizeBits === 64) return (c) => { const v = value(c) as bigint; c.setClock(v); return v; };
  if (sizeBits <= 32) return (c) => { const v = value(c) as number; c.updateClock(v, sizeBits); return v; };
  return (c) => { const v = value(c) as bigint; c.updateClockWide(v, sizeBits); return v; };
}

function check(c: Cursor, sizeBits: number): void {
  if (c.posBits + sizeBits > c.limitBits) throw pastEnd(c, 'integer', sizeBits);
}
