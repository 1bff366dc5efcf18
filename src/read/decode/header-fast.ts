/**
 * Hand-written decoders for LTTng's two event header shapes (SPEC §6.2), byte-packed, which
 * tracemark and LTTng write: one DataView read instead of a dozen generic closure calls. Any
 * other header shape uses the generic compiled decoder; the results are the same.
 *   compact: enum : uint5  { compact = 0 ... 30, extended = 31 } id;     27-bit timestamp
 *   large:   enum : uint16 { compact = 0 ... 65534, extended = 65535 } id; 32-bit timestamp
 *   extended (both): struct { uint32 id; uint64 timestamp; }, byte-aligned
 */
import { Cursor, align, byteIndex, pastEnd } from './cursor.js';
import type { Decoder } from './decoder.js';
import type { CtfType, IntType, StructType } from '../metadata/tsdl-types.js';

function isInt(type: CtfType | undefined, sizeBits: number, alignBits: number): type is IntType {
  return type !== undefined && type.kind === 'int' && type.sizeBits === sizeBits && type.alignBits === alignBits && !type.signed && type.bigEndian !== true;
}

function isClockInt(type: CtfType | undefined, sizeBits: number, alignBits: number, name: string): boolean {
  return isInt(type, sizeBits, alignBits) && (type.clock !== undefined || name === 'timestamp');
}

/** The fast decoder for `header`, or undefined when it is not exactly one of the two shapes. */
export function fastEventHeader(header: StructType, refNames: ReadonlySet<string>): Decoder | undefined {
  if (header.fields.length !== 2 || header.minAlignBits !== 8) return undefined;
  const [idField, vField] = header.fields;
  // Another scope may refer to these fields: then their values must go to slots (generic path).
  if (refNames.has(vField.name) || refNames.has('timestamp')) return undefined;
  if (idField.name !== 'id' || idField.type.kind !== 'enum' || vField.type.kind !== 'variant' || vField.type.tag !== 'id') return undefined;
  const container = idField.type.container;
  const compact = isInt(container, 5, 1) ? 27 : isInt(container, 16, 8) ? 32 : undefined;
  if (compact === undefined) return undefined;
  const escape = compact === 27 ? 31 : 65535;
  const mappings = idField.type.mappings;
  if (mappings.length !== 2) return undefined;
  const byLabel = new Map(mappings.map((m) => [m.label, m]));
  const c0 = byLabel.get('compact');
  const e0 = byLabel.get('extended');
  if (c0?.lo !== 0n || c0.hi !== BigInt(escape - 1) || e0?.lo !== BigInt(escape) || e0.hi !== BigInt(escape)) return undefined;
  const options = new Map(vField.type.options.map((o) => [o.name, o.type]));
  const compactStruct = options.get('compact');
  const extendedStruct = options.get('extended');
  if (vField.type.options.length !== 2 || compactStruct?.kind !== 'struct' || extendedStruct?.kind !== 'struct') return undefined;
  const [ts] = compactStruct.fields;
  if (compactStruct.fields.length !== 1 || !isClockInt(ts.type, compact, compact === 27 ? 1 : 8, ts.name)) return undefined;
  const [xid, xts] = extendedStruct.fields;
  if (extendedStruct.fields.length !== 2 || xid.name !== 'id' || !isInt(xid.type, 32, 8) || !isClockInt(xts?.type, 64, 8, xts?.name ?? '')) return undefined;
  if (compactStruct.minAlignBits > 8 || extendedStruct.minAlignBits > 8) return undefined;
  return compact === 27 ? compactHeader : largeHeader;
}

function compactHeader(c: Cursor): undefined {
  align(c, 8);
  if (c.posBits + 8 > c.limitBits) throw pastEnd(c, 'event header', 8);
  const at = byteIndex(c);
  const id = c.bytes[at] & 0x1f;
  if (id !== 31) {
    if (c.posBits + 32 > c.limitBits) throw pastEnd(c, 'event header', 32);
    c.eventId = id;
    c.updateClock(c.view.getUint32(at, true) >>> 5, 27);
    c.posBits += 32;
    return undefined;
  }
  // 5-bit escape, 3 padding bits, then the byte-aligned extended struct.
  if (c.posBits + 104 > c.limitBits) throw pastEnd(c, 'extended event header', 104);
  c.eventId = c.view.getUint32(at + 1, true);
  c.clockLo = c.view.getUint32(at + 5, true);
  c.clockHi = c.view.getUint32(at + 9, true);
  c.posBits += 104;
  return undefined;
}

function largeHeader(c: Cursor): undefined {
  align(c, 8);
  if (c.posBits + 16 > c.limitBits) throw pastEnd(c, 'event header', 16);
  const at = byteIndex(c);
  const id = c.view.getUint16(at, true);
  if (id !== 65535) {
    if (c.posBits + 48 > c.limitBits) throw pastEnd(c, 'event header', 48);
    c.eventId = id;
    c.updateClock(c.view.getUint32(at + 2, true), 32);
    c.posBits += 48;
    return undefined;
  }
  if (c.posBits + 112 > c.limitBits) throw pastEnd(c, 'extended event header', 112);
  c.eventId = c.view.getUint32(at + 2, true);
  c.clockLo = c.view.getUint32(at + 6, true);
  c.clockHi = c.view.getUint32(at + 10, true);
  c.posBits += 112;
  return undefined;
}
