import { TracemarkError } from '../errors/index.js';

// The printf-like conversion specs a marker format may use, and what each one stores.
// One table drives the parser, the encoder, the CTF metadata and the formatter.

/** What a field stores, as the conversion spec of its format says (SPECS). */
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

/** One field of a marker, parsed from its format string. */
export interface FieldInfo {
  readonly name: string;
  /** The spec as written, e.g. `%llx`. */
  readonly spec: string;
  readonly type: FieldType;
  readonly base: 10 | 16;
}

/** Field `x` is written to CTF as `_x`: these three would become TSDL keywords. */
const RESERVED_FIELD_NAMES = new Set(['Bool', 'Complex', 'Imaginary']);

/**
 * Whether `text[from, to)` matches `[A-Za-z_][A-Za-z0-9_]*` (with `.` after the first character
 * when `dots`). A loop, not a regular expression: this runs when the first marker of a process is
 * declared, and a regular expression's first use costs ~0.1 ms (its compilation) of start-up.
 */
function isIdentifier(text: string, from: number, to: number, dots: boolean): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95) continue;
    if (i === from) return false;
    if ((c >= 48 && c <= 57) || (dots && c === 46)) continue;
    return false;
  }
  return true;
}

/**
 * A value for an error message that runs no user code: a hostile name or format object (a
 * throwing toString, a revoked Proxy) must get its ERR_FORMAT, not throw its own error.
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string': return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}...` : value);
    case 'object': return value === null ? 'null' : 'an object';
    case 'function': return 'a function';
    case 'symbol': return 'a symbol';
    case 'bigint': return `${value}n`;
    default: return String(value);
  }
}

/**
 * Validates `provider:event`, where the event may itself have `:`-separated parts
 * (`node:http.server:begin`: span pairs are `<P>:begin`/`<P>:end`); throws ERR_FORMAT naming
 * the offending part.
 */
export function validateMarkerName(name: unknown): string {
  if (typeof name !== 'string') {
    throw new TracemarkError('ERR_FORMAT', `marker name must be a string, got ${describeValue(name)}`, { offset: 0, text: describeValue(name) });
  }
  const colon = name.indexOf(':');
  const provider = colon < 0 ? name : name.slice(0, colon);
  if (colon < 0 || !isIdentifier(name, 0, colon, true)) {
    // The offending field is the provider part (the whole name when there is no colon).
    throw new TracemarkError('ERR_FORMAT', `invalid marker name ${JSON.stringify(name)}: expected provider:event, each part [A-Za-z_][A-Za-z0-9_.]*`, { offset: 0, text: provider });
  }
  let start = colon + 1;
  for (;;) {
    const next = name.indexOf(':', start);
    const end = next < 0 ? name.length : next;
    if (!isIdentifier(name, start, end, true)) {
      const part = name.slice(start, end);
      throw new TracemarkError('ERR_FORMAT', `invalid marker name ${JSON.stringify(name)}: the event part ${JSON.stringify(part)} must match [A-Za-z_][A-Za-z0-9_.]*`, { offset: start, text: part });
    }
    if (next < 0) break;
    start = next + 1;
  }
  return name;
}

function fail(format: string, offset: number, text: string, why: string): never {
  throw new TracemarkError('ERR_FORMAT', `invalid format ${JSON.stringify(format)} at offset ${offset} (${JSON.stringify(text)}): ${why}`, { offset, text });
}

/**
 * Parses `"len %u proto %s payload %pW"` into fields. The grammar is strict (single spaces,
 * `name %spec` pairs) so that the compile-time type of the arguments and the runtime parse agree.
 */
export function parseFormat(format: unknown): FieldInfo[] {
  if (typeof format !== 'string') {
    throw new TracemarkError('ERR_FORMAT', `format must be a string, got ${describeValue(format)}`, { offset: 0, text: describeValue(format) });
  }
  if (format === '') return [];
  const tokens = format.split(' ');
  const fields: FieldInfo[] = [];
  const seen = new Set<string>();
  const blobs = new Set<string>();
  let offset = 0;
  for (let i = 0; i < tokens.length; i += 2) {
    const name = tokens[i];
    const spec = tokens[i + 1];
    const text = spec === undefined ? name : `${name} ${spec}`;
    if (name === '') fail(format, offset, text, 'empty field name (fields are separated by single spaces)');
    if (!isIdentifier(name, 0, name.length, false)) {
      if (name.startsWith('%')) fail(format, offset, text, 'a spec without a field name: write `name %spec`');
      fail(format, offset, text, `field name ${JSON.stringify(name)} must match [A-Za-z_][A-Za-z0-9_]*`);
    }
    if (RESERVED_FIELD_NAMES.has(name)) fail(format, offset, text, `field name ${JSON.stringify(name)} is reserved (CTF keyword _${name})`);
    if (spec === undefined || spec === '') fail(format, offset, text, `field ${JSON.stringify(name)} has no %spec`);
    // Own properties only: `constructor`, `__proto__`, `toString`... are not specs.
    const info = Object.hasOwn(SPECS, spec) ? SPECS[spec] : undefined;
    if (info === undefined) fail(format, offset, text, `unknown spec ${JSON.stringify(spec)}; known: ${Object.keys(SPECS).join(' ')}`);
    if (seen.has(name)) fail(format, offset, text, `duplicate field name ${JSON.stringify(name)}`);
    // A %pW field `x` is written with a length field `__x_length`, which is also how a field
    // named `_x_length` is written: the trace would declare one name twice.
    const lengthOf = name.length > 8 && name.startsWith('_') && name.endsWith('_length') ? name.slice(1, -7) : undefined;
    if (lengthOf !== undefined && blobs.has(lengthOf)) {
      fail(format, offset, text, `field name ${JSON.stringify(name)} collides with the length field of blob ${JSON.stringify(lengthOf)} (written __${lengthOf}_length)`);
    }
    if (info.type === 'blob' && seen.has(`_${name}_length`)) {
      fail(format, offset, text, `blob ${JSON.stringify(name)} needs a length field __${name}_length, which is how field "_${name}_length" is written`);
    }
    if (info.type === 'blob') blobs.add(name);
    seen.add(name);
    fields.push(Object.freeze({ name, spec, type: info.type, base: info.base }));
    offset += text.length + 1;
  }
  return fields;
}
