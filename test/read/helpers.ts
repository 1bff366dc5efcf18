/**
 * Shared helpers of the reader tests: fixture paths, a lossless JSON parser (gen_minimal's
 * expected files hold 64-bit integers, NaN and Infinity) and value comparison.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TraceEvent } from '../../src/read/index.js';

/** test/fixtures/ctf, from the compiled test (dist/test/read/). */
export const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/ctf/', import.meta.url));

export function fixture(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}

export const GOOD_TRACES = [
  'gm-packetized-compact', 'gm-text-compact', 'gm-packetized-large', 'gm-text-large',
  'gm-two-streams', 'gm-two-traces', 'tm-basic',
] as const;

export interface ExpectedEvent {
  name: string;
  ts: bigint | number;
  ns_from_origin: bigint | number;
  fields: Record<string, unknown>;
  stream: string;
}

export interface ExpectedFile {
  events: ExpectedEvent[];
  discarded_events?: { count: number }[];
}

export function expectedOf(name: string): ExpectedFile {
  return parseJsonLossless(readFileSync(fixture('good', `${name}.expected.json`), 'utf8')) as ExpectedFile;
}

/** JSON with Python's extensions (NaN, Infinity, -Infinity); integers beyond 2^53 become bigint. */
export function parseJsonLossless(text: string): unknown {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const value = (): unknown => {
    ws();
    const ch = text[i];
    if (ch === '{') {
      i++;
      const out: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') { i++; return out; }
      for (;;) {
        ws();
        const key = value() as string;
        ws();
        assert.equal(text[i++], ':');
        out[key] = value();
        ws();
        if (text[i++] === '}') return out;
      }
    }
    if (ch === '[') {
      i++;
      const out: unknown[] = [];
      ws();
      if (text[i] === ']') { i++; return out; }
      for (;;) {
        out.push(value());
        ws();
        if (text[i++] === ']') return out;
      }
    }
    if (ch === '"') {
      const m = /^"(?:[^"\\]|\\.)*"/.exec(text.slice(i)) as RegExpExecArray;
      i += m[0].length;
      return JSON.parse(m[0]) as string;
    }
    for (const [word, v] of [['NaN', NaN], ['Infinity', Infinity], ['-Infinity', -Infinity], ['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, i)) { i += word.length; return v; }
    }
    const m = /^-?\d+(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(i)) as RegExpExecArray;
    i += m[0].length;
    if (m[1] === undefined && m[2] === undefined) {
      const big = BigInt(m[0]);
      return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
    }
    return Number(m[0]);
  };
  return value();
}

/**
 * Deep equality of a decoded value with an expected JSON value: integers compare by value
 * whatever their JS type (number or bigint), floats with Object.is (NaN, -0), byte arrays as arrays.
 */
export function assertSameValue(actual: unknown, expected: unknown, path = 'value'): void {
  if (typeof expected === 'bigint' || typeof actual === 'bigint') {
    assert.ok(typeof actual === 'bigint' || typeof actual === 'number', `${path}: expected an integer, got ${typeof actual}`);
    assert.ok(typeof expected === 'bigint' || typeof expected === 'number', `${path}: unexpected bigint ${String(actual)}`);
    assert.equal(BigInt(actual as number | bigint), BigInt(expected as number | bigint), path);
    return;
  }
  if (typeof expected === 'number') {
    assert.ok(Object.is(actual, expected) || (actual === expected), `${path}: ${String(actual)} !== ${String(expected)}`);
    assert.ok(Object.is(actual, expected), `${path}: ${String(actual)} is not ${String(expected)} (sign of zero?)`);
    return;
  }
  if (Array.isArray(expected)) {
    const items = actual instanceof Uint8Array ? Array.from(actual) : actual;
    assert.ok(Array.isArray(items), `${path}: expected an array`);
    assert.equal(items.length, expected.length, `${path}: length`);
    expected.forEach((e, k) => assertSameValue(items[k], e, `${path}[${k}]`));
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    assert.ok(actual !== null && typeof actual === 'object', `${path}: expected an object`);
    assert.deepEqual(Object.keys(actual as object).sort(), Object.keys(expected).sort(), `${path}: keys`);
    for (const [k, v] of Object.entries(expected)) assertSameValue((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
    return;
  }
  assert.equal(actual, expected, path);
}

export function assertEventMatches(event: TraceEvent, expected: ExpectedEvent, index: number): void {
  const where = `event #${index} (${expected.name})`;
  assert.equal(event.name, expected.name, `${where}: name`);
  assert.equal(event.timestamp, BigInt(expected.ns_from_origin), `${where}: timestamp`);
  assert.equal(event.stream, expected.stream, `${where}: stream`);
  assertSameValue(event.fields, expected.fields, `${where} fields`);
}

/** Collects events and the final error of a synchronous read. */
export function readAllSync(read: Iterable<TraceEvent>): { events: TraceEvent[]; error: unknown } {
  const events: TraceEvent[] = [];
  try {
    for (const e of read) events.push(e);
  } catch (error) {
    return { events, error };
  }
  return { events, error: undefined };
}

export async function readAllAsync(read: AsyncIterable<TraceEvent>): Promise<{ events: TraceEvent[]; error: unknown }> {
  const events: TraceEvent[] = [];
  try {
    for await (const e of read) events.push(e);
  } catch (error) {
    return { events, error };
  }
  return { events, error: undefined };
}

/** A scratch copy of a fixture trace directory; remove it with the returned function. */
export function scratchCopy(...parts: string[]): { dir: string; done: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'tracemark-read-'));
  const dir = join(root, 'trace');
  cpSync(fixture(...parts), dir, { recursive: true });
  return { dir, done: () => rmSync(root, { recursive: true, force: true }) };
}

export function scratchDir(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tracemark-read-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}
