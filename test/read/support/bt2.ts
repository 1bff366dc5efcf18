/** babeltrace2's reading of a trace (support/bt2read.py), and comparison of tracemark's values with it. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BT2READ = fileURLToPath(new URL('../../../../test/read/support/bt2read.py', import.meta.url));

export type Bt2Value = { i: string } | { f: string } | { s: string } | { a: Bt2Value[] } | { o: Record<string, Bt2Value> };

export interface Bt2Loss { discarded: 'events' | 'packets'; count: string | null; begin: string | null; end: string | null }

export interface Bt2Reading {
  events: { name: string; ns: string | null; fields: Bt2Value }[];
  losses: Bt2Loss[];
  error?: string;
}

export const HAVE_BT2 = spawnSync('/usr/bin/python3', ['-c', 'import bt2'], { encoding: 'utf8' }).status === 0;

export function bt2read(dir: string): Bt2Reading {
  const r = spawnSync('/usr/bin/python3', [BT2READ, dir], { encoding: 'utf8', timeout: 300_000, maxBuffer: 1024 * 1024 * 1024 });
  assert.equal(r.status, 0, `bt2read.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Bt2Reading;
}

function real(text: string): number {
  if (text === 'nan') return NaN;
  if (text === 'inf') return Infinity;
  if (text === '-inf') return -Infinity;
  return Number(text);
}

/** Asserts that a value tracemark decoded is the one babeltrace2 decoded (exact integers and floats). */
export function assertSameAsBt2(actual: unknown, expected: Bt2Value, path: string): void {
  if ('i' in expected) {
    assert.ok(typeof actual === 'number' || typeof actual === 'bigint', `${path}: expected an integer, got ${typeof actual}`);
    assert.equal(BigInt(actual), BigInt(expected.i), path);
  } else if ('f' in expected) {
    assert.ok(typeof actual === 'number', `${path}: expected a real, got ${typeof actual}`);
    assert.ok(Object.is(actual, real(expected.f)), `${path}: ${String(actual)} is not ${expected.f}`);
  } else if ('s' in expected) {
    assert.equal(actual, expected.s, path);
  } else if ('a' in expected) {
    const items = actual instanceof Uint8Array ? Array.from(actual) : actual;
    assert.ok(Array.isArray(items), `${path}: expected an array`);
    assert.equal(items.length, expected.a.length, `${path}: length`);
    expected.a.forEach((e, k) => assertSameAsBt2(items[k], e, `${path}[${k}]`));
  } else {
    assert.ok(actual !== null && typeof actual === 'object', `${path}: expected a structure`);
    assert.deepEqual(Object.keys(actual as object).sort(), Object.keys(expected.o).sort(), `${path}: field names`);
    for (const [k, v] of Object.entries(expected.o)) assertSameAsBt2((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
  }
}
