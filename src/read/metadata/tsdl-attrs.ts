/**
 * Interpretation of the attribute lists of `integer { ... }`, `floating_point { ... }` and
 * `string { ... }`. Unknown attributes and values outside the supported subset are reported as
 * `unsupported` (the trace may be valid CTF that this reader cannot decode), impossible values
 * as `corrupt`.
 */
import { MetadataError } from './tsdl-lexer.js';
import type { AttrValue, FloatType, IntType, StringType } from './tsdl-types.js';

type Attrs = Map<string, AttrValue>;

function intAttr(attrs: Attrs, name: string): { value: bigint; offset: number } | undefined {
  const v = attrs.get(name);
  if (v === undefined) return undefined;
  if (v.kind !== 'int') throw new MetadataError('corrupt', `${name} must be an integer`, v.offset);
  return v;
}

function wordAttr(attrs: Attrs, name: string): { value: string; offset: number } | undefined {
  const v = attrs.get(name);
  if (v === undefined) return undefined;
  if (v.kind === 'int') return { value: String(v.value), offset: v.offset };
  return { value: v.value, offset: v.offset };
}

/** An attribute babeltrace2 does not know is a warning there: here too, and it is ignored. */
function checkKnown(attrs: Attrs, known: readonly string[], what: string, context: AttrContext): void {
  for (const [name, v] of attrs) {
    if (!known.includes(name)) context.warn(`unknown ${what} attribute ${JSON.stringify(name)} ignored`, v.offset);
  }
}

/** What the parser knows of the trace while reading a type: its byte order (`native`), and where warnings go. */
export interface AttrContext {
  readonly nativeBigEndian: boolean;
  warn(message: string, offset: number): void;
}

/** true for big-endian; `native` (and no byte_order) is the trace's byte order. */
function bigEndianOf(attrs: Attrs, context: AttrContext): boolean {
  const order = wordAttr(attrs, 'byte_order');
  if (order === undefined || order.value === 'native') return context.nativeBigEndian;
  if (order.value === 'le' || order.value === 'little') return false;
  if (order.value === 'be' || order.value === 'network' || order.value === 'big') return true;
  throw new MetadataError('corrupt', `invalid byte_order ${JSON.stringify(order.value)}`, order.offset);
}

function alignAttr(attrs: Attrs, fallbackBits: number): number {
  const a = intAttr(attrs, 'align');
  if (a === undefined) return fallbackBits;
  if (a.value < 1n || a.value > 1n << 30n || (a.value & (a.value - 1n)) !== 0n) {
    throw new MetadataError('corrupt', `alignment ${a.value} is not a power of two`, a.offset);
  }
  return Number(a.value);
}

function encodingAttr(attrs: Attrs): 'none' | 'utf8' | 'ascii' {
  const e = wordAttr(attrs, 'encoding');
  if (e === undefined) return 'none';
  switch (e.value.toLowerCase()) {
    case 'none':
      return 'none';
    case 'utf8':
      return 'utf8';
    case 'ascii':
      return 'ascii';
    default:
      throw new MetadataError('unsupported', `encoding ${JSON.stringify(e.value)}`, e.offset);
  }
}

const BASES: Readonly<Record<string, 2 | 8 | 10 | 16>> = {
  '2': 2, b: 2, binary: 2,
  '8': 8, o: 8, oct: 8, octal: 8,
  '10': 10, d: 10, i: 10, u: 10, dec: 10, decimal: 10,
  '16': 16, x: 16, X: 16, p: 16, hex: 16, hexadecimal: 16,
};

export function parseIntegerAttrs(attrs: Attrs, offset: number, context: AttrContext): IntType {
  checkKnown(attrs, ['size', 'align', 'signed', 'base', 'byte_order', 'encoding', 'map'], 'integer', context);
  const size = intAttr(attrs, 'size');
  if (size === undefined) throw new MetadataError('corrupt', 'integer without size', offset);
  if (size.value < 1n || size.value > 64n) {
    throw new MetadataError(size.value > 64n ? 'unsupported' : 'corrupt', `integer size ${size.value} (1 to 64 supported)`, size.offset);
  }
  const sizeBits = Number(size.value);
  const bigEndian = bigEndianOf(attrs, context);
  let signed = false;
  const s = wordAttr(attrs, 'signed');
  if (s !== undefined) {
    if (['true', 'TRUE', '1'].includes(s.value)) signed = true;
    else if (!['false', 'FALSE', '0'].includes(s.value)) throw new MetadataError('corrupt', `invalid signed value ${s.value}`, s.offset);
  }
  let base: IntType['base'] = 10;
  const b = wordAttr(attrs, 'base');
  if (b !== undefined) {
    const found = BASES[b.value];
    if (found === undefined) throw new MetadataError('corrupt', `invalid integer base ${JSON.stringify(b.value)}`, b.offset);
    base = found;
  }
  let clock: string | undefined;
  const map = attrs.get('map');
  if (map !== undefined) {
    const m = map.kind === 'ident' ? /^clock\.([A-Za-z_][A-Za-z0-9_]*)\.value$/.exec(map.value) : null;
    if (m === null) throw new MetadataError('unsupported', 'integer map other than clock.NAME.value', map.offset);
    clock = m[1];
  }
  // CTF 1.8 §4.1.2: an integer whose size is not a multiple of 8 defaults to bit-packed.
  const alignBits = alignAttr(attrs, sizeBits % 8 === 0 ? 8 : 1);
  const type: IntType = { kind: 'int', sizeBits, alignBits, signed, base, encoding: encodingAttr(attrs), ...(bigEndian ? { bigEndian } : {}) };
  return clock === undefined ? type : { ...type, clock };
}

export function parseFloatAttrs(attrs: Attrs, offset: number, context: AttrContext): FloatType {
  checkKnown(attrs, ['exp_dig', 'mant_dig', 'align', 'byte_order'], 'floating_point', context);
  const exp = intAttr(attrs, 'exp_dig');
  const mant = intAttr(attrs, 'mant_dig');
  if (exp === undefined || mant === undefined) throw new MetadataError('corrupt', 'floating_point without exp_dig and mant_dig', offset);
  const bigEndian = bigEndianOf(attrs, context);
  const expDig = Number(exp.value);
  const mantDig = Number(mant.value);
  if (!((expDig === 8 && mantDig === 24) || (expDig === 11 && mantDig === 53))) {
    throw new MetadataError('unsupported', `floating_point with exp_dig = ${exp.value}, mant_dig = ${mant.value} (only binary32 and binary64)`, offset);
  }
  return { kind: 'float', expDig, mantDig, alignBits: alignAttr(attrs, 8), ...(bigEndian ? { bigEndian } : {}) };
}

export function parseStringAttrs(attrs: Attrs, offset: number, context: AttrContext): StringType {
  void offset;
  checkKnown(attrs, ['encoding'], 'string', context);
  return { kind: 'string', encoding: encodingAttr(attrs) };
}
