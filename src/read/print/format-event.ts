/**
 * formatEvent: one line per event, stable and grep-friendly (layout in docs/reading.md):
 *   [2023-11-14T22:13:20.671087740Z] net:rx: len=1500 proto="tcp" payload=<de ad be ef>
 * Each field is rendered by its printf spec (FIELD_SPECS), or by its JS type when it has none.
 */
import { blobDecoderFor } from './blob-decoders.js';
import { FIELD_SPECS, type FieldSpecs, type TraceEvent } from '../decode/event.js';

/** Blobs longer than this are shown as their first bytes, `…` and their length. */
export const BLOB_PREVIEW_BYTES = 32;

type SpecKind = 'hex' | 'int';
/** How integer specs print; other specs (floats, %s, %c, %pW) are handled by the value's type. */
const INT_SPEC_KIND: Readonly<Record<string, SpecKind | undefined>> = Object.assign(Object.create(null) as Record<string, SpecKind>, {
  '%x': 'hex', '%lx': 'hex', '%llx': 'hex', '%p': 'hex',
  '%d': 'int', '%i': 'int', '%u': 'int', '%hhd': 'int', '%hhu': 'int', '%hd': 'int', '%hu': 'int',
  '%ld': 'int', '%li': 'int', '%lld': 'int', '%lu': 'int', '%llu': 'int',
});
const HEX_BYTES = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const NS_PER_S = 1_000_000_000n;
// Date covers ±8.64e15 ms; beyond that the raw nanoseconds are printed.
const MAX_DATE_S = 8_640_000_000_000n;

// The ISO prefix of the last second printed: consecutive events usually share it.
let cachedStartNs = 1n;
let cachedEndNs = 0n;
let cachedPrefix = '';
const ZEROS = '000000000';

/**
 * The nanoseconds of `ns` within its second, after which timestampPrefix() is the ISO text of
 * that second up to the `.`; -1 when the time is out of Date's range (printed as `${ns}ns`).
 */
export function splitTimestamp(ns: bigint): number {
  if (ns < cachedStartNs || ns >= cachedEndNs) {
    let second = ns / NS_PER_S;
    if (second * NS_PER_S > ns) second -= 1n; // floor, for times before 1970
    if (second > MAX_DATE_S || second < -MAX_DATE_S) return -1;
    cachedPrefix = new Date(Number(second) * 1000).toISOString().slice(0, -4);
    cachedStartNs = second * NS_PER_S;
    cachedEndNs = cachedStartNs + NS_PER_S;
  }
  return Number(ns - cachedStartNs);
}

/** `2023-11-14T22:13:20.` for the second of the last splitTimestamp(). */
export function timestampPrefix(): string {
  return cachedPrefix;
}

/** `2023-11-14T22:13:20.671087740Z` for ns since the epoch. */
export function formatTimestamp(ns: bigint): string {
  const nanos = splitTimestamp(ns);
  if (nanos < 0) return `${ns}ns`;
  const frac = JSON.stringify(nanos); // see formatNumber
  return `${cachedPrefix}${ZEROS.slice(frac.length)}${frac}Z`;
}

export interface FormatOptions {
  /** Print the stream after the timestamp: `[ts] (default_0) name: ...`. Default false. */
  readonly stream?: boolean;
  /** Print the context (`vpid`, `vtid`...) before the fields: `name: {vpid=1, vtid=2} len=...`. Default false. */
  readonly context?: boolean;
}

export function formatEvent(event: TraceEvent, options?: FormatOptions): string {
  const specs = event[FIELD_SPECS];
  let line = options?.stream === true
    ? `[${formatTimestamp(event.timestamp)}] (${event.stream}) ${event.name}:`
    : `[${formatTimestamp(event.timestamp)}] ${event.name}:`;
  if (options?.context === true && event.context !== undefined) line += ` ${formatStruct(event.context, 'context', undefined, event.name)}`;
  const fields = event.fields;
  for (const key in fields) {
    if (!Object.prototype.hasOwnProperty.call(fields, key)) continue;
    line += ` ${key}=${formatValue(fields[key], specs?.[key], key, specs, event.name)}`;
  }
  return line;
}

/** One field's text as formatEvent shows it after `key=` (for writers that format the rest themselves). */
export function formatFieldValue(value: unknown, key: string, specs: FieldSpecs | undefined, eventName: string): string {
  return formatValue(value, specs?.[key], key, specs, eventName);
}

/** Whether an integer `number` of a field with this spec prints as its decimal digits. */
export function printsAsDecimal(spec: string | undefined): boolean {
  return spec === undefined || INT_SPEC_KIND[spec] !== 'hex';
}

function formatValue(value: unknown, spec: string | undefined, key: string, specs: FieldSpecs | undefined, eventName: string): string {
  switch (typeof value) {
    case 'number': {
      const kind = spec === undefined ? undefined : INT_SPEC_KIND[spec];
      if (kind !== undefined && Number.isInteger(value)) {
        if (kind === 'int') return formatNumber(value);
        return value < 0 ? `-0x${(-value).toString(16)}` : `0x${value.toString(16)}`;
      }
      return formatNumber(value);
    }
    case 'bigint':
      if (spec !== undefined && INT_SPEC_KIND[spec] === 'hex') return value < 0n ? `-0x${(-value).toString(16)}` : `0x${value.toString(16)}`;
      return String(value);
    case 'string':
      return spec === '%c' ? quoteChar(value) : quoteString(value);
    case 'boolean':
      return String(value);
    case 'undefined':
      return 'undefined';
    case 'object':
      if (value === null) return 'null';
      if (value instanceof Uint8Array) return formatBlob(value, spec === '%pW' ? eventName : undefined, key);
      if (Array.isArray(value) || ArrayBuffer.isView(value)) {
        const items = Array.from(value as ArrayLike<unknown>, (item) => formatValue(item, spec, key, specs, eventName));
        return `[${items.join(', ')}]`;
      }
      return formatStruct(value as Record<string, unknown>, key, specs, eventName);
    default:
      return quoteString(String(value));
  }
}

function formatStruct(value: Record<string, unknown>, key: string, specs: FieldSpecs | undefined, eventName: string): string {
  const parts: string[] = [];
  for (const k of Object.keys(value)) {
    const path = `${key}.${k}`;
    parts.push(`${k}=${formatValue(value[k], specs?.[path], path, specs, eventName)}`);
  }
  return `{${parts.join(', ')}}`;
}

/**
 * Shortest round-trip form; -0, NaN, Infinity and -Infinity spelled out. For finite numbers
 * JSON.stringify gives exactly String(value), but 2-3x faster, and without V8's number-string
 * cache, which keeps every result alive into the old generation and makes each young-generation
 * GC slow (measured: a third of the printing time went to GC with String()).
 */
export function formatNumber(value: number): string {
  if (value - value !== 0) return String(value); // NaN, Infinity, -Infinity
  return value === 0 && 1 / value < 0 ? '-0' : JSON.stringify(value);
}

/** Escapes that keep a value on one line and safe in a terminal: JSON's, plus DEL, C1 and U+2028/9. */
function escapeExtra(text: string): string {
  return text.replace(/[\u007f-\u009f\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** JSON-style double-quoted string. */
export function quoteString(text: string): string {
  // Fast path: printable ASCII without `"` or `\\` needs no escape.
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code > 0x7e || code === 0x22 || code === 0x5c) return escapeExtra(JSON.stringify(text));
  }
  return `"${text}"`;
}

function quoteChar(text: string): string {
  const inner = JSON.stringify(text).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'");
  return `'${escapeExtra(inner)}'`;
}

function hexPreview(bytes: Uint8Array): string {
  const shown = Math.min(bytes.length, BLOB_PREVIEW_BYTES);
  let out = '<';
  for (let i = 0; i < shown; i++) out += i === 0 ? HEX_BYTES[bytes[i]] : ` ${HEX_BYTES[bytes[i]]}`;
  return bytes.length > shown ? `${out} …> (${bytes.length} bytes)` : `${out}>`;
}

/** Keeps a decoder's text on one line without quoting it. */
function oneLine(text: string): string {
  return escapeExtra(text.replace(/[\u0000-\u001f\\]/g, (ch) => JSON.stringify(ch).slice(1, -1)));
}

function formatBlob(bytes: Uint8Array, eventName: string | undefined, key: string): string {
  const decode = eventName === undefined ? undefined : blobDecoderFor(eventName, key);
  if (decode === undefined) return hexPreview(bytes);
  let decoded: unknown;
  try {
    decoded = decode(bytes);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return `${hexPreview(bytes)} (decoder error: ${oneLine(why)})`;
  }
  if (typeof decoded === 'string') return oneLine(decoded);
  try {
    return jsonish(decoded, new Set());
  } catch (error) {
    // A getter of the decoder's result may throw too.
    const why = error instanceof Error ? error.message : String(error);
    return `${hexPreview(bytes)} (decoder error: ${oneLine(why)})`;
  }
}

/** JSON-like rendering of a decoder's result (bigint, NaN, byte arrays and cycles allowed). */
export function jsonish(value: unknown, seen: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return quoteString(value);
    case 'number':
      return formatNumber(value);
    case 'bigint':
    case 'boolean':
      return String(value);
    case 'undefined':
      return 'undefined';
    case 'function':
      return '[function]';
    case 'symbol':
      return quoteString(String(value));
    default:
      break;
  }
  if (value === null) return 'null';
  const object = value as object;
  if (object instanceof Uint8Array) return hexPreview(object);
  if (object instanceof Date) return quoteString(Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString());
  if (seen.has(object)) return '[circular]';
  seen.add(object);
  try {
    if (Array.isArray(object) || ArrayBuffer.isView(object)) {
      return `[${Array.from(object as ArrayLike<unknown>, (v) => jsonish(v, seen)).join(',')}]`;
    }
    const entries = object instanceof Map ? [...object.entries()] : Object.entries(object);
    return `{${entries.map(([k, v]) => `${quoteString(String(k))}:${jsonish(v, seen)}`).join(',')}}`;
  } finally {
    seen.delete(object);
  }
}
