/** Decoders of IEEE 754 binary32 and binary64 fields (NaN, ±Infinity and -0 come out as is). */
import { Cursor, align, byteIndex, pastEnd, readBitsSmall, readBitsSmallBE, readBitsWide, readBitsWideBE } from './cursor.js';
import type { FloatType } from '../metadata/tsdl-types.js';

// Scratch space to reinterpret bit-packed (not byte-aligned) floats.
const scratch = new DataView(new ArrayBuffer(8));

export function floatDecoder(type: FloatType): (c: Cursor) => number {
  const sizeBits = type.expDig + type.mantDig;
  const { alignBits } = type;
  const byteAligned = alignBits % 8 === 0;
  const littleEndian = type.bigEndian !== true;
  const small = littleEndian ? readBitsSmall : readBitsSmallBE;
  const wide = littleEndian ? readBitsWide : readBitsWideBE;
  if (sizeBits === 32) {
    return (c) => {
      align(c, alignBits);
      if (c.posBits + 32 > c.limitBits) throw pastEnd(c, 'float', 32);
      if (byteAligned || c.posBits % 8 === 0) {
        const v = c.view.getFloat32(byteIndex(c), littleEndian);
        c.posBits += 32;
        return v;
      }
      scratch.setUint32(0, small(c, 32), true);
      return scratch.getFloat32(0, true);
    };
  }
  return (c) => {
    align(c, alignBits);
    if (c.posBits + 64 > c.limitBits) throw pastEnd(c, 'double', 64);
    if (byteAligned || c.posBits % 8 === 0) {
      const v = c.view.getFloat64(byteIndex(c), littleEndian);
      c.posBits += 64;
      return v;
    }
    scratch.setBigUint64(0, wide(c, 64), true);
    return scratch.getFloat64(0, true);
  };
}
