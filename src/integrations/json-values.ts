/** A JSON-safe copy of a decoded value: bigint → decimal string, bytes → hex, NaN/±Infinity/-0 → string. */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function hex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += HEX[byte];
  return out;
}

export function jsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  // -0 as a string like NaN and ±Infinity: JSON.stringify would write it as 0.
  if (typeof value === 'number') return Number.isFinite(value) ? (Object.is(value, -0) ? '-0' : value) : String(value);
  if (value instanceof Uint8Array) return hex(value);
  if (Array.isArray(value) || ArrayBuffer.isView(value)) return Array.from(value as ArrayLike<unknown>, jsonValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = jsonValue(v);
    return out;
  }
  return value;
}
