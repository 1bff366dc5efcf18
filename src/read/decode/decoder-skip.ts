/**
 * Decoders of the `skip` mode: they move the cursor past a field without building its value,
 * for passes that only count events (`tracemark stats`). Each checks the same bounds, in the same
 * order and with the same message, as the value decoder, so damage is reported identically.
 */
import { DecodeError } from '../errors.js';
import { Cursor, type Decoder, align, byteIndex, pastEnd } from './cursor.js';
import { alignmentOf, type CtfType, type FloatType, type IntType } from '../metadata/tsdl-types.js';

export function skipInt(type: IntType): Decoder {
  const { sizeBits, alignBits } = type;
  return (c) => {
    align(c, alignBits);
    if (c.posBits + sizeBits > c.limitBits) throw pastEnd(c, 'integer', sizeBits);
    c.posBits += sizeBits;
    return undefined;
  };
}

export function skipFloat(type: FloatType): Decoder {
  const { alignBits } = type;
  const sizeBits = type.expDig + type.mantDig === 32 ? 32 : 64;
  const what = sizeBits === 32 ? 'float' : 'double';
  return (c) => {
    align(c, alignBits);
    if (c.posBits + sizeBits > c.limitBits) throw pastEnd(c, what, sizeBits);
    c.posBits += sizeBits;
    return undefined;
  };
}

export function skipString(c: Cursor): undefined {
  align(c, 8);
  const start = byteIndex(c);
  const end = c.baseByte + Math.floor(c.limitBits / 8);
  const at = c.bytes.indexOf(0, start);
  if (at < 0 || at >= end) throw new DecodeError(`string at bit ${c.posBits} of the packet has no terminating NUL before the end of the packet content`, true);
  c.posBits += (at + 1 - start) * 8;
  return undefined;
}

/**
 * One step over `sizeBits` bits after aligning; when they do not all fit, `slow` (the
 * field-by-field walk) runs instead, so that the error names the field that does not fit.
 */
export function skipFixed(alignBits: number, sizeBits: number, slow: Decoder): Decoder {
  return (c) => {
    const at = c.posBits;
    align(c, alignBits);
    if (c.posBits + sizeBits <= c.limitBits) {
      c.posBits += sizeBits;
      return undefined;
    }
    c.posBits = at;
    return slow(c);
  };
}

/**
 * The size in bits of a value of `type` that starts aligned to `alignmentOf(type)`, when it is
 * the same for every value (integers, floats, and structs and arrays of them); else undefined.
 */
export function fixedSizeBits(type: CtfType): number | undefined {
  switch (type.kind) {
    case 'int':
      return type.sizeBits;
    case 'enum':
      return type.container.sizeBits;
    case 'float':
      return type.expDig + type.mantDig === 32 ? 32 : 64;
    case 'array': {
      const element = fixedSizeBits(type.element);
      if (element === undefined || element % alignmentOf(type.element) !== 0) return undefined;
      return element * type.length;
    }
    case 'struct': {
      let bits = 0;
      for (const field of type.fields) {
        const size = fixedSizeBits(field.type);
        if (size === undefined) return undefined;
        const fieldAlign = alignmentOf(field.type);
        if (fieldAlign > 1 && bits % fieldAlign !== 0) bits += fieldAlign - (bits % fieldAlign);
        bits += size;
      }
      return bits;
    }
    default:
      return undefined;
  }
}
