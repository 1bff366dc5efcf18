/**
 * The printf-like conversion specs a marker format may use, and what each one stores.
 * One table drives the parser, the encoder, the CTF metadata and the formatter.
 */
export type FieldType =
  | 'i8' | 'u8' | 'i16' | 'u16' | 'i32' | 'u32' | 'i64' | 'u64'
  | 'f64' | 'char' | 'string' | 'blob';

export interface SpecInfo {
  readonly type: FieldType;
  /** Display base for integers: 16 for %x, %lx, %p. */
  readonly base: 10 | 16;
}

export const SPECS: Readonly<Record<string, SpecInfo>> = Object.freeze({
  '%d': { type: 'i32', base: 10 },
  '%i': { type: 'i32', base: 10 },
  '%u': { type: 'u32', base: 10 },
  '%hhd': { type: 'i8', base: 10 },
  '%hhu': { type: 'u8', base: 10 },
  '%hd': { type: 'i16', base: 10 },
  '%hu': { type: 'u16', base: 10 },
  '%ld': { type: 'i64', base: 10 },
  '%li': { type: 'i64', base: 10 },
  '%lld': { type: 'i64', base: 10 },
  '%lu': { type: 'u64', base: 10 },
  '%llu': { type: 'u64', base: 10 },
  '%x': { type: 'u32', base: 16 },
  '%lx': { type: 'u64', base: 16 },
  '%llx': { type: 'u64', base: 16 },
  '%f': { type: 'f64', base: 10 },
  '%lf': { type: 'f64', base: 10 },
  '%g': { type: 'f64', base: 10 },
  '%e': { type: 'f64', base: 10 },
  '%c': { type: 'char', base: 10 },
  '%s': { type: 'string', base: 10 },
  '%p': { type: 'u64', base: 16 },
  '%pW': { type: 'blob', base: 16 },
});

/** Size in bits of the fixed-size types; strings, chars and blobs are variable. */
export const FIXED_SIZE_BITS: Readonly<Partial<Record<FieldType, number>>> = Object.freeze({
  i8: 8, u8: 8, i16: 16, u16: 16, i32: 32, u32: 32, i64: 64, u64: 64, f64: 64,
});

export function isSignedInteger(type: FieldType): boolean {
  return type === 'i8' || type === 'i16' || type === 'i32' || type === 'i64';
}

export function isInteger(type: FieldType): boolean {
  return type in FIXED_SIZE_BITS && type !== 'f64';
}
