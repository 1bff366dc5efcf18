/**
 * Struct decoders generated from the metadata, one plain function per struct type: the value is
 * one object literal (a single hidden class, no keyed stores), and when every field is a
 * byte-aligned integer or float of 8 to 64 bits the fields are read at fixed offsets from one
 * bounds check. Only numbers computed from the layout and JSON-quoted field names go into the
 * generated source (never text of the trace as code); the field decoders come in as arguments.
 * Where code generation is not allowed (--disallow-code-generation-from-strings), or for
 * unusual structs, the caller keeps its generic closure.
 */
import type { Cursor, Decoder } from './cursor.js';
import { alignmentOf, type CtfType } from '../metadata/tsdl-types.js';

export interface GeneratedField {
  /** Property name in the value, or null for a field decoded but not shown. */
  readonly key: string | null;
  readonly type: CtfType;
  readonly decode: Decoder;
  /** A sequence or variant refers to it: its decoder stores the value in a slot. */
  readonly referenced: boolean;
}

/** More fields than this: the generic loop (a huge generated function would gain nothing). */
const MAX_GENERATED_FIELDS = 256;
let generationAllowed = true;

/** The fixed-offset read of one field as an expression over `v` (DataView), `b` (bytes), `at`. */
function fixedRead(type: CtfType, offsetBytes: number): { expr: string; sizeBits: number } | undefined {
  const at = offsetBytes === 0 ? 'at' : `at + ${offsetBytes}`;
  if (type.kind === 'float') {
    if (type.alignBits % 8 !== 0) return undefined;
    const le = type.bigEndian === true ? 'false' : 'true';
    const sizeBits = type.expDig + type.mantDig === 32 ? 32 : 64;
    return { expr: `v.getFloat${sizeBits}(${at}, ${le})`, sizeBits };
  }
  const int = type.kind === 'int' ? type : type.kind === 'enum' ? type.container : undefined;
  if (int === undefined || int.alignBits % 8 !== 0 || int.clock !== undefined) return undefined;
  const le = int.bigEndian === true ? 'false' : 'true';
  switch (int.sizeBits) {
    case 8:
      return { expr: int.signed ? `v.getInt8(${at})` : `b[${at}]`, sizeBits: 8 };
    case 16:
      return { expr: `v.get${int.signed ? 'Int' : 'Uint'}16(${at}, ${le})`, sizeBits: 16 };
    case 32:
      return { expr: `v.get${int.signed ? 'Int' : 'Uint'}32(${at}, ${le})`, sizeBits: 32 };
    case 64:
      return { expr: `v.get${int.signed ? 'BigInt' : 'BigUint'}64(${at}, ${le})`, sizeBits: 64 };
    default:
      return undefined;
  }
}

/** Source of a fixed-offset decoder, or undefined when the layout is not of that kind. */
function fixedLayoutSource(fields: readonly GeneratedField[], alignBits: number): string | undefined {
  if (alignBits < 8 || fields.some((f) => f.referenced)) return undefined;
  const props: string[] = [];
  let bits = 0;
  for (const field of fields) {
    const fieldAlign = alignmentOf(field.type);
    if (fieldAlign > 1 && bits % fieldAlign !== 0) bits += fieldAlign - (bits % fieldAlign);
    const read = fixedRead(field.type, bits / 8);
    if (read === undefined) return undefined;
    bits += read.sizeBits;
    if (field.key !== null) props.push(`${JSON.stringify(field.key)}: ${read.expr}`);
  }
  return `return function decodeFixedStruct(c) {
  const rest = c.posBits % ${alignBits};
  const start = rest === 0 ? c.posBits : c.posBits + ${alignBits} - rest;
  if (start + ${bits} > c.limitBits) return walk(c);
  const at = c.baseByte + start / 8;
  const v = c.view;
  const b = c.bytes;
  const o = { ${props.join(', ')} };
  c.posBits = start + ${bits};
  return o;
};`;
}

function literalSource(fields: readonly GeneratedField[], alignBits: number): string {
  const lines = fields.map((_, i) => `  const v${i} = d${i}(c);`);
  const props = fields.flatMap((f, i) => (f.key === null ? [] : [`${JSON.stringify(f.key)}: v${i}`]));
  const alignLine = alignBits > 1 ? `  const rest = c.posBits % ${alignBits};\n  if (rest !== 0) c.posBits += ${alignBits} - rest;\n` : '';
  return `return function decodeStruct(c) {
${alignLine}${lines.join('\n')}
  return { ${props.join(', ')} };
};`;
}

/**
 * A generated value decoder for a struct, or undefined (then the caller's `walk` is the decoder).
 * `walk` decodes field by field; the fixed-offset decoder falls back to it when the struct does
 * not fit in the packet, so that the error names the field, as the generic decoder does.
 */
export function generateStructDecoder(fields: readonly GeneratedField[], alignBits: number, walk: Decoder): Decoder | undefined {
  if (!generationAllowed || fields.length > MAX_GENERATED_FIELDS) return undefined;
  // `{"__proto__": v}` would set the prototype: such structs keep the generic decoder.
  if (fields.some((f) => f.key === '__proto__')) return undefined;
  const source = fixedLayoutSource(fields, alignBits) ?? literalSource(fields, alignBits);
  const names = ['walk', ...fields.map((_, i) => `d${i}`)];
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const factory = new Function(...names, `'use strict';\n${source}`) as (...args: Decoder[]) => (c: Cursor) => unknown;
    return factory(walk, ...fields.map((f) => f.decode));
  } catch {
    generationAllowed = false;
    return undefined;
  }
}
