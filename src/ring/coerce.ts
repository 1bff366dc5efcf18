/**
 * What a marker writes when a plain-JavaScript caller passes the wrong type (docs/api.md, "Bad
 * input"). Every coercion is counted; none calls user code (no valueOf/toString on objects), so a
 * hostile argument cannot throw into the tracer or the application.
 */
import { processState } from '../process/state.js';

export const argumentStats: { coerced: number } = processState.argumentStats;

/**
 * A string longer than this is neither parsed as a number (it is 0, as a non-numeric string)
 * nor read for `%c` (U+FFFD): parsing reads the whole string, and reading one character of a
 * rope (`big + '!'`) makes V8 flatten it first: a 100 MB argument stalled a fire for 0.1-0.7 s.
 * No number needs more characters than this.
 */
export const MAX_COERCED_STRING_LENGTH = 1024;

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
      if (value.length > MAX_COERCED_STRING_LENGTH) return 0;
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

/**
 * `%c`: the first code point of a string; a number is taken as a code point, as C's `%c` does.
 * A string longer than MAX_COERCED_STRING_LENGTH is not looked at (U+FFFD).
 */
export function coerceChar(value: unknown): string {
  if (typeof value === 'string') {
    if (value.length <= 1) return value;
    if (value.length > MAX_COERCED_STRING_LENGTH) {
      argumentStats.coerced++;
      return '\ufffd';
    }
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

/**
 * Intrinsic getters of %TypedArray%.prototype: they read internal slots, so neither an own
 * `length` property nor a Proxy trap can lie to the encoder about the bytes it copies.
 */
const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
const intrinsicTag = Object.getOwnPropertyDescriptor(typedArrayPrototype, Symbol.toStringTag)!.get!;
const intrinsicLength = Object.getOwnPropertyDescriptor(typedArrayPrototype, 'length')!.get!;

/** True for a real Uint8Array (not a Proxy, not a subclass lying about itself); never throws. */
export function isRealUint8Array(value: unknown): value is Uint8Array {
  return intrinsicTag.call(value) === 'Uint8Array';
}

/** The real element count of a value for which isRealUint8Array() is true. */
export function realLength(value: Uint8Array): number {
  return intrinsicLength.call(value) as number;
}

const arrayBufferByteLength = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength')!.get!;
const sharedArrayBufferByteLength = Object.getOwnPropertyDescriptor(SharedArrayBuffer.prototype, 'byteLength')!.get!;

/** Whether an intrinsic getter accepts `value`: a check of internal slots that runs no trap. */
function hasSlot(getter: () => unknown, value: object): boolean {
  try {
    getter.call(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * A fresh Uint8Array for anything that is not one already; never throws, never runs user code
 * twice. `null` for a string that cannot fit in `maxBytes` (its UTF-8 form is at least as long
 * as it is): the event is dropped as too large without encoding, say, 100 MB first.
 */
export function coerceBlob(value: unknown, maxBytes: number): Uint8Array | null {
  argumentStats.coerced++;
  try {
    if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    if (typeof value === 'string') return value.length > maxBytes ? null : new TextEncoder().encode(value);
    if (typeof value === 'object' && value !== null) {
      if (hasSlot(arrayBufferByteLength, value) || hasSlot(sharedArrayBufferByteLength, value)) {
        return new Uint8Array(value as ArrayBuffer).slice();
      }
    }
  } catch {
    // A hostile object (revoked Proxy, throwing traps): the placeholder below.
  }
  return EMPTY_BLOB;
}
