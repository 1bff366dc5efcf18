/**
 * What a marker writes when a plain-JavaScript caller passes the wrong type (docs/api.md, "Bad
 * input"). Every coercion is counted; none calls user code (no valueOf/toString on objects), so a
 * hostile argument cannot throw into the tracer or the application.
 */
export const argumentStats = { coerced: 0 };

/**
 * For integer fields of 32 bits or less (64-bit fields take bigints as they are). A bigint keeps
 * its low 32 bits, as a C cast does: going through a 64-bit double first would round them away.
 */
export function coerceNumber(value: unknown): number {
  argumentStats.coerced++;
  switch (typeof value) {
    case 'number': return value;
    case 'bigint': return Number(BigInt.asIntN(32, value));
    case 'boolean': return value ? 1 : 0;
    case 'string': {
      const parsed = Number(value);
      return Number.isNaN(parsed) ? 0 : parsed;
    }
    default: return 0;
  }
}

/** For double fields: a bigint is its (rounded) value, not its low bits. */
export function coerceFloat(value: unknown): number {
  if (typeof value === 'bigint') {
    argumentStats.coerced++;
    return Number(value);
  }
  return coerceNumber(value);
}

/** Placeholders follow glibc's printf, which prints a NULL `%s` as "(null)". */
export function coerceString(value: unknown): string {
  argumentStats.coerced++;
  switch (typeof value) {
    case 'string': return value;
    case 'number':
    case 'bigint':
    case 'boolean': return String(value);
    case 'undefined': return '(undefined)';
    case 'symbol': return '(symbol)';
    case 'function': return '(function)';
    default: return value === null ? '(null)' : '(object)';
  }
}

/** `%c`: the first code point of a string; a number is taken as a code point, as C's `%c` does. */
export function coerceChar(value: unknown): string {
  if (typeof value === 'string') {
    if (value.length <= 1) return value;
    const first = value.codePointAt(0)!;
    if (first > 0xffff && value.length === 2) return value;
    return String.fromCodePoint(first);
  }
  argumentStats.coerced++;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0x10ffff) {
    return String.fromCodePoint(value);
  }
  return '\ufffd';
}

const EMPTY_BLOB = new Uint8Array(0);

export function coerceBlob(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  argumentStats.coerced++;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return new Uint8Array(value);
  if (typeof value === 'string') return new TextEncoder().encode(value);
  return EMPTY_BLOB;
}
