/** A JSON-safe copy of a decoded value: bigint → decimal string, bytes → hex, NaN/±Infinity/-0 → string. */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export function hex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += HEX[byte];
  return out;
}

/**
 * `exactNumbers`: bigints that a double holds exactly (|n| <= 2^53 - 1) become JSON numbers; the
 * others stay decimal strings, so that no reader gets a rounded integer.
 */
export function jsonValue(value: unknown, exactNumbers = false): unknown {
  if (typeof value === 'bigint') return exactNumbers && value <= MAX_SAFE && value >= -MAX_SAFE ? Number(value) : value.toString();
  // -0 as a string like NaN and ±Infinity: JSON.stringify would write it as 0.
  if (typeof value === 'number') return Number.isFinite(value) ? (Object.is(value, -0) ? '-0' : value) : String(value);
  if (value instanceof Uint8Array) return hex(value);
  if (Array.isArray(value) || ArrayBuffer.isView(value)) return Array.from(value as ArrayLike<unknown>, (v) => jsonValue(v, exactNumbers));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = jsonValue(v, exactNumbers);
    return out;
  }
  return value;
}
