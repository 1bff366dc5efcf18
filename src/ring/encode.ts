/**
 * Event encoders: one per marker, specialised to its field layout, writing the CTF event
 * (compact/extended header + fields, docs/trace-format.md) straight into the channel's ring.
 *
 * The specialised encoder is generated source built only from the field *types* (never from user
 * text) and compiled once per marker with `new Function`, which gives each marker its own
 * monomorphic code. Where code generation is disallowed (`--disallow-code-generation-from-strings`)
 * the generic encoder below writes the same bytes, more slowly.
 */
import type { FieldInfo } from '../format/parse.js';
import type { FieldType } from '../format/parse.js';
import type { Channel } from './channel.js';
import { canGenerateCode, codeTag } from '../process/state.js';
import { coerceBlob, coerceChar, coerceFloat, coerceNumber, coerceString, isRealUint8Array, realLength } from './coerce.js';
import { HEADER, TWO_POW_32 } from './layout.js';
import { utf8Length, writeUtf8 } from './utf8.js';

/** `(channel, clockNs, ...args)`: encodes one event; never throws for any argument values. */
export type EncodeFn = (channel: Channel, ts: number, ...args: unknown[]) => void;

export const encoderHelpers = { coerceNumber, coerceFloat, coerceString, coerceChar, coerceBlob, isRealUint8Array, realLength, utf8Length, writeUtf8 };

const FIXED_BYTES: Partial<Record<FieldType, number>> = {
  i8: 1, u8: 1, i16: 2, u16: 2, i32: 4, u32: 4, i64: 8, u64: 8, f64: 8,
};

const SETTER: Partial<Record<FieldType, string>> = {
  i8: 'setInt8', u8: 'setUint8', i16: 'setInt16', u16: 'setUint16', i32: 'setInt32', u32: 'setUint32', f64: 'setFloat64',
};

/** Bytes the compact header saves over the extended one. */
const COMPACT_SAVING_BYTES = HEADER.extendedSizeBytes - HEADER.compactSizeBytes;

/** Size of the event in a fresh packet, from `need` (which counts the extended header). */
function freshPacketNeed(id: number, need: string): string {
  return id <= HEADER.compactIdMax ? `${need} - ${COMPACT_SAVING_BYTES}` : need;
}

/** Source of the specialised encoder; exported for tests that compare it with the generic one. */
export function encoderSource(id: number, fields: readonly FieldInfo[]): string {
  const params = fields.map((_, i) => `, a${i}`).join('');
  const body = encoderStatements(id, fields, 'return;');
  return `${encoderDeclarations(fields)}\nreturn function ${codeTag('encode', id)}(ch, ts${params}) {\n  ${body.join('\n  ')}\n};`;
}

/** Strings of 3 to 15 characters (4 to 16 bytes with the NUL) are cached: two or four words. */
const STRING_CACHE_MIN_LENGTH = 3;
const STRING_CACHE_MAX_LENGTH = 15;

function stringCacheNames(i: number): string[] {
  return [`sc${i}`, `sl${i}`, `sw${i}a`, `sw${i}b`, `sw${i}c`, `sw${i}d`];
}

/**
 * Declarations the statements of `encoderStatements` need in an enclosing scope (once per
 * marker, shared by every target: what they cache depends on the argument only): the last
 * ASCII string of each `%s` field and its bytes as little-endian words.
 */
export function encoderDeclarations(fields: readonly FieldInfo[]): string {
  return fields.map((field, i) => {
    if (field.type !== 'string') return '';
    const [c, l, w0, w1, w2, w3] = stringCacheNames(i);
    return `let ${c} = null, ${l} = 0, ${w0} = 0, ${w1} = 0, ${w2} = 0, ${w3} = 0;`;
  }).filter((line) => line !== '').join('\n');
}

/**
 * The statements that encode one event of marker `id` into channel `ch` at clock value `ts`
 * from arguments `a0..aN`, using helpers `h`. `exit` leaves when the event is dropped: the fire
 * function inlines these statements in its loop over targets (`continue;`), which saves a call
 * and the boxing of the clock value that a call would cost.
 */
export function encoderStatements(id: number, fields: readonly FieldInfo[], exit: string): string[] {
  const lines: string[] = [];
  let fixedBytes = HEADER.extendedSizeBytes;
  const upper: string[] = [];
  const exact: string[] = [];
  fields.forEach((field, i) => {
    const a = `a${i}`;
    switch (field.type) {
      case 'string':
        lines.push(`if (typeof ${a} !== 'string') ${a} = h.coerceString(${a});`);
        upper.push(`${a}.length * 3 + 1`);
        exact.push(`h.utf8Length(${a}) + 1`);
        break;
      case 'char':
        lines.push(`${a} = h.coerceChar(${a});`);
        upper.push(`${a}.length * 3 + 1`);
        exact.push(`h.utf8Length(${a}) + 1`);
        break;
      case 'blob':
        // The blob's length is read from its internal slot: an own \`length\` could lie.
        // A string too long for any event of this channel is dropped before it is encoded.
        lines.push(`let n${i}; if (h.isRealUint8Array(${a})) n${i} = h.realLength(${a}); else { ${a} = h.coerceBlob(${a}, ch.maxEventBytes); if (${a} === null) { ch.dropTooLarge(); ${exit} } n${i} = ${a}.length; }`);
        fixedBytes += 4;
        upper.push(`n${i}`);
        exact.push(`n${i}`);
        break;
      case 'i64':
      case 'u64':
        lines.push(`if (typeof ${a} !== 'number' && typeof ${a} !== 'bigint') ${a} = h.coerceNumber(${a});`);
        fixedBytes += 8;
        break;
      default:
        lines.push(`if (typeof ${a} !== 'number') ${a} = h.${field.type === 'f64' ? 'coerceFloat' : 'coerceNumber'}(${a});`);
        fixedBytes += FIXED_BYTES[field.type]!;
    }
  });
  const lowerBound = fields.map((f, i) => (f.type === 'string' || f.type === 'char' ? `a${i}.length` : f.type === 'blob' ? `n${i}` : ''))
    .filter((s) => s !== '');
  lines.push(`let tsv = ts; if (tsv < ch.lastTs) tsv = ch.lastTs;`);
  lines.push(`let pos = ch.pos;`);
  lines.push(`let need = ${[String(fixedBytes), ...upper].join(' + ')};`);
  lines.push(`if (pos + need > ch.end) {`);
  if (lowerBound.length > 0) {
    lines.push(`  if (${lowerBound.join(' + ')} > ch.maxEventBytes) { ch.dropTooLarge(); ${exit} }`);
    lines.push(`  need = ${[String(fixedBytes), ...exact].join(' + ')};`);
  }
  // `need` counts the 13-byte extended header; in the fresh packet that makeRoom() opens, the
  // first event of an id ≤ 30 has the 4-byte compact one (no time since timestamp_begin).
  lines.push(`  if (pos + need > ch.end) { if (!ch.makeRoom(${freshPacketNeed(id, 'need')}, tsv)) ${exit} pos = ch.pos; }`);
  lines.push(`}`);
  lines.push(`const v = ch.view, b = ch.bytes;`);
  const extended = `{ b[pos] = ${HEADER.extendedEscapeId}; v.setUint32(pos + 1, ${id}, true); v.setUint32(pos + 5, tsv >>> 0, true); v.setUint32(pos + 9, Math.floor(tsv / ${TWO_POW_32}), true); pos += ${HEADER.extendedSizeBytes}; }`;
  if (id <= HEADER.compactIdMax) {
    // \`>>> 0\` keeps the low 32 bits of the clock and \`<< 5\` drops all but the low 27: no slow
    // floating-point modulo on the hot path.
    lines.push(`if (tsv - ch.lastTs < ${HEADER.compactTimestampRange}) { v.setInt32(pos, ${id} | ((tsv >>> 0) << 5), true); pos += ${HEADER.compactSizeBytes}; }`);
    lines.push(`else ${extended}`);
  } else {
    lines.push(extended);
  }
  lines.push(`ch.lastTs = tsv;`);
  fields.forEach((field, i) => {
    const a = `a${i}`;
    switch (field.type) {
      case 'string': {
        // A string written again (the same constant, mostly) is copied from the words of its
        // last copy: two or four stores instead of a charCodeAt loop (~2 ns per character).
        // The stores overlap instead of running past the string's last byte.
        const [c, l, w0, w1, w2, w3] = stringCacheNames(i);
        lines.push(`if (${a} === ${c}) {`);
        lines.push(`  if (${l} <= 8) { v.setInt32(pos, ${w0}, true); v.setInt32(pos + ${l} - 4, ${w1}, true); }`);
        lines.push(`  else { v.setInt32(pos, ${w0}, true); v.setInt32(pos + 4, ${w1}, true); v.setInt32(pos + ${l} - 8, ${w2}, true); v.setInt32(pos + ${l} - 4, ${w3}, true); }`);
        lines.push(`  pos += ${l};`);
        lines.push(`} else { const n = ${a}.length, start = pos; let i = 0;`);
        lines.push(`  for (; i < n; i++) { const c = ${a}.charCodeAt(i); if (c === 0 || c > 127) break; b[pos + i] = c; }`);
        lines.push(`  pos += i; if (i < n) pos = h.writeUtf8(b, pos, ${a}, i); b[pos++] = 0;`);
        lines.push(`  if (i === n && n >= ${STRING_CACHE_MIN_LENGTH} && n <= ${STRING_CACHE_MAX_LENGTH}) { ${c} = ${a}; ${l} = n + 1; ${w0} = v.getInt32(start, true);`);
        lines.push(`    if (n < 8) ${w1} = v.getInt32(pos - 4, true); else { ${w1} = v.getInt32(start + 4, true); ${w2} = v.getInt32(pos - 8, true); ${w3} = v.getInt32(pos - 4, true); } }`);
        lines.push(`}`);
        break;
      }
      case 'char':
        lines.push(`{ const n = ${a}.length; let i = 0;`);
        lines.push(`  for (; i < n; i++) { const c = ${a}.charCodeAt(i); if (c === 0 || c > 127) break; b[pos + i] = c; }`);
        lines.push(`  pos += i; if (i < n) pos = h.writeUtf8(b, pos, ${a}, i); b[pos++] = 0; }`);
        break;
      case 'blob':
        // A detached buffer reads as length 0: there is nothing to copy (set() would throw).
        lines.push(`v.setUint32(pos, n${i}, true); if (n${i} > 0) b.set(${a}, pos + 4); pos += 4 + n${i};`);
        break;
      case 'i64':
      case 'u64': {
        const big = field.type === 'i64' ? 'setBigInt64' : 'setBigUint64';
        lines.push(`if (typeof ${a} === 'bigint') v.${big}(pos, ${a}, true);`);
        lines.push(`else { const t = Math.trunc(${a}); v.setUint32(pos, t >>> 0, true); v.setInt32(pos + 4, Math.floor(t / ${TWO_POW_32}), true); }`);
        lines.push(`pos += 8;`);
        break;
      }
      default:
        lines.push(`v.${SETTER[field.type]}(pos, ${a}${field.type === 'i8' || field.type === 'u8' ? '' : ', true'}); pos += ${FIXED_BYTES[field.type]};`);
    }
  });
  lines.push(`ch.pos = pos;`);
  lines.push(`ch.written++;`);
  return lines;
}

export { canGenerateCode, codeTag };

export function createEncoder(id: number, fields: readonly FieldInfo[]): EncodeFn {
  if (canGenerateCode()) {
    return new Function('h', encoderSource(id, fields))(encoderHelpers) as EncodeFn;
  }
  return createGenericEncoder(id, fields);
}

/** The reference encoder: a loop over the field types. Same bytes as the generated one. */
export function createGenericEncoder(id: number, fields: readonly FieldInfo[]): EncodeFn {
  const types = fields.map((f) => f.type);
  const count = types.length;
  const values: unknown[] = new Array(count);
  const lengths: number[] = new Array(count).fill(0);
  return function encodeGeneric(ch: Channel, ts: number, ...args: unknown[]): void {
    let need = HEADER.extendedSizeBytes;
    let lowerBound = 0;
    for (let i = 0; i < count; i++) {
      const type = types[i];
      let value = args[i];
      if (type === 'string') {
        if (typeof value !== 'string') value = coerceString(value);
        need += utf8Length(value as string) + 1;
        lowerBound += (value as string).length;
      } else if (type === 'char') {
        value = coerceChar(value);
        need += utf8Length(value as string) + 1;
        lowerBound += (value as string).length;
      } else if (type === 'blob') {
        const blob = isRealUint8Array(value) ? value : coerceBlob(value, ch.maxEventBytes);
        if (blob === null) { ch.dropTooLarge(); return; }
        value = blob;
        const length = realLength(blob);
        lengths[i] = length;
        need += 4 + length;
        lowerBound += length;
      } else if (type === 'i64' || type === 'u64') {
        if (typeof value !== 'number' && typeof value !== 'bigint') value = coerceNumber(value);
        need += 8;
      } else {
        if (typeof value !== 'number') value = type === 'f64' ? coerceFloat(value) : coerceNumber(value);
        need += FIXED_BYTES[type]!;
      }
      values[i] = value;
    }
    if (ts < ch.lastTs) ts = ch.lastTs;
    let pos = ch.pos;
    if (pos + need > ch.end) {
      if (lowerBound > ch.maxEventBytes) { ch.dropTooLarge(); return; }
      if (!ch.makeRoom(id <= HEADER.compactIdMax ? need - COMPACT_SAVING_BYTES : need, ts)) return;
      pos = ch.pos;
    }
    const v = ch.view;
    const b = ch.bytes;
    if (id <= HEADER.compactIdMax && ts - ch.lastTs < HEADER.compactTimestampRange) {
      v.setInt32(pos, id | ((ts >>> 0) << 5), true);
      pos += HEADER.compactSizeBytes;
    } else {
      b[pos] = HEADER.extendedEscapeId;
      v.setUint32(pos + 1, id, true);
      v.setUint32(pos + 5, ts >>> 0, true);
      v.setUint32(pos + 9, Math.floor(ts / TWO_POW_32), true);
      pos += HEADER.extendedSizeBytes;
    }
    ch.lastTs = ts;
    for (let i = 0; i < count; i++) {
      const value = values[i];
      switch (types[i]) {
        case 'string':
        case 'char':
          pos = writeUtf8(b, pos, value as string, 0);
          b[pos++] = 0;
          break;
        case 'blob':
          v.setUint32(pos, lengths[i], true);
          if (lengths[i] > 0) b.set(value as Uint8Array, pos + 4);
          pos += 4 + lengths[i];
          break;
        case 'i64':
        case 'u64':
          if (typeof value === 'bigint') {
            if (types[i] === 'i64') v.setBigInt64(pos, value, true); else v.setBigUint64(pos, value, true);
          } else {
            const t = Math.trunc(value as number);
            v.setUint32(pos, t >>> 0, true);
            v.setInt32(pos + 4, Math.floor(t / TWO_POW_32), true);
          }
          pos += 8;
          break;
        case 'i8': v.setInt8(pos, value as number); pos += 1; break;
        case 'u8': v.setUint8(pos, value as number); pos += 1; break;
        case 'i16': v.setInt16(pos, value as number, true); pos += 2; break;
        case 'u16': v.setUint16(pos, value as number, true); pos += 2; break;
        case 'i32': v.setInt32(pos, value as number, true); pos += 4; break;
        case 'u32': v.setUint32(pos, value as number, true); pos += 4; break;
        case 'f64': v.setFloat64(pos, value as number, true); pos += 8; break;
      }
      values[i] = undefined;
    }
    ch.pos = pos;
    ch.written++;
  };
}
