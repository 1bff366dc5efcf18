/**
 * Which printf spec each payload field is shown with. tracemark traces carry the marker format
 * (`/* tracemark.format = "..." *\/`); other traces get a spec derived from the TSDL type.
 */
import { parseFormat } from '../../format/parse.js';
import type { EventClass } from '../metadata/metadata.js';
import { displayName, type CtfType, type IntType, type StructType } from '../metadata/tsdl-types.js';

export interface EventPresentation {
  /** Display field name (dotted for nested members) → spec. */
  readonly specs: Readonly<Record<string, string>>;
  /** Raw TSDL names of payload fields decoded but not shown (the `__x_length` of a `%pW`). */
  readonly hidden: ReadonlySet<string>;
}

export function intSpec(type: IntType): string {
  const wide = type.sizeBits > 32;
  if (type.base === 16) return wide ? '%lx' : '%x';
  if (wide) return type.signed ? '%ld' : '%lu';
  if (type.sizeBits === 16) return type.signed ? '%hd' : '%hu';
  if (type.sizeBits === 8) return type.signed ? '%hhd' : '%hhu';
  return type.signed ? '%d' : '%u';
}

/** Spec of one value of `type`, or undefined when the value is shown by its JS type (structs, variants). */
function scalarSpec(type: CtfType): string | undefined {
  switch (type.kind) {
    case 'int':
      return intSpec(type);
    case 'enum':
      return intSpec(type.container);
    case 'float':
      return '%g';
    case 'string':
      return '%s';
    case 'array':
    case 'sequence': {
      const e = type.element.kind === 'enum' ? type.element.container : type.element;
      // Mirrors decoder.ts byteArrayDecoder: byte arrays decode to Uint8Array or to a string.
      if (e.kind === 'int' && e.sizeBits === 8 && e.alignBits % 8 === 0 && e.clock === undefined) {
        if (e.encoding !== 'none') return '%s';
        if (!e.signed) return '%pW';
      }
      return scalarSpec(type.element);
    }
    default:
      return undefined;
  }
}

function derive(type: StructType, prefix: string, out: Record<string, string>, skip?: (raw: string) => boolean): void {
  for (const field of type.fields) {
    if (skip?.(field.name) === true) continue;
    const key = prefix + displayName(field.name);
    const spec = scalarSpec(field.type);
    if (spec !== undefined) {
      out[key] = spec;
      continue;
    }
    let inner: CtfType = field.type;
    while (inner.kind === 'array' || inner.kind === 'sequence') inner = inner.element;
    if (inner.kind === 'struct') derive(inner, `${key}.`, out);
  }
}

export function presentEvent(event: EventClass): EventPresentation {
  const specs: Record<string, string> = {};
  const hidden = new Set<string>();
  const payload = event.fields;
  if (payload === undefined) return { specs, hidden };
  const fromFormat = event.format === undefined ? undefined : formatSpecs(event.format, payload);
  if (fromFormat !== undefined) {
    for (const [name, spec] of fromFormat) specs[name] = spec;
    for (const [name, spec] of fromFormat) if (spec === '%pW') hidden.add(`__${name}_length`);
    derive(payload, '', specs, (raw) => hidden.has(raw) || fromFormat.has(displayName(raw)));
  } else {
    derive(payload, '', specs);
  }
  return { specs, hidden };
}

/**
 * The format's fields, if they match the TSDL payload (`_name`, plus `__name_length` before each
 * `%pW`). A format that does not match is ignored rather than trusted.
 */
function formatSpecs(format: string, payload: StructType): Map<string, string> | undefined {
  let fields;
  try {
    fields = parseFormat(format);
  } catch {
    return undefined;
  }
  const names = new Set(payload.fields.map((f) => f.name));
  const result = new Map<string, string>();
  for (const f of fields) {
    if (!names.has(`_${f.name}`)) return undefined;
    if (f.spec === '%pW' && !names.has(`__${f.name}_length`)) return undefined;
    result.set(f.name, f.spec);
  }
  return result;
}
