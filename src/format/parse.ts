import { TracemarkError } from '../errors/index.js';
import { SPECS, type FieldType } from './specs.js';

/** One field of a marker, parsed from its format string. */
export interface FieldInfo {
  readonly name: string;
  /** The spec as written, e.g. `%llx`. */
  readonly spec: string;
  readonly type: FieldType;
  readonly base: 10 | 16;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Field `x` is written to CTF as `_x`: these three would become TSDL keywords. */
const RESERVED_FIELD_NAMES = new Set(['Bool', 'Complex', 'Imaginary']);
const NAME_PART = /^[A-Za-z_][A-Za-z0-9_.]*$/;

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
  if (colon < 0 || !NAME_PART.test(provider)) {
    // The offending field is the provider part (the whole name when there is no colon).
    throw new TracemarkError('ERR_FORMAT', `invalid marker name ${JSON.stringify(name)}: expected provider:event, each part [A-Za-z_][A-Za-z0-9_.]*`, { offset: 0, text: provider });
  }
  let start = colon + 1;
  for (;;) {
    const next = name.indexOf(':', start);
    const part = next < 0 ? name.slice(start) : name.slice(start, next);
    if (!NAME_PART.test(part)) {
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
    if (!IDENT.test(name)) {
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
    const lengthOf = /^_(.+)_length$/.exec(name)?.[1];
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
