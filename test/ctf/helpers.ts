import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

/** Repository root, from dist/test/ctf/helpers.js or test/ctf/helpers.ts alike. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', ...(import.meta.url.includes('/dist/') ? ['..'] : []));
export const ctfcheckPath = resolve(repoRoot, 'test', 'support', 'ctfcheck.py');
const bt2dumpPath = join(repoRoot, 'test', 'ctf', 'bt2dump.py');

export function tempTraceDir(prefix: string): { dir: string; cleanup: () => void } {
  const base = mkdtempSync(join(tmpdir(), `tracemark-${prefix}-`));
  return { dir: join(base, 'trace'), cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

/** A fresh trace directory path, removed after the test file's tests. */
export function trace(prefix: string): string {
  const { dir, cleanup } = tempTraceDir(prefix);
  after(cleanup);
  return dir;
}

export interface CheckResult { status: number; output: string }

/** Runs test/support/ctfcheck.py (the real babeltrace2 reader): exit 3 on any reader warning. */
export function ctfcheck(dir: string, ...args: string[]): CheckResult {
  const result = spawnSync('/usr/bin/python3', [ctfcheckPath, dir, ...args], { encoding: 'utf8', timeout: 150_000 });
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

export type Bt2Value = { i: string } | { f: string } | { s: string } | { b: string } | { a: Bt2Value[] } | { o: Record<string, Bt2Value> };

export interface Bt2Dump {
  events: { name: string; ns: string; fields: Record<string, Bt2Value> }[];
  discarded: number[];
  warnings: string;
  error?: string;
}

/** Every event as babeltrace2 decodes it, with exact integers and floats. */
export function bt2dump(dir: string): Bt2Dump {
  const result = spawnSync('/usr/bin/python3', [bt2dumpPath, dir], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, timeout: 120_000 });
  if (result.status !== 0) throw new Error(`bt2dump failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Bt2Dump;
}

/** Converts a babeltrace2 value to what tracemark's API decodes (bigint for 64-bit, Uint8Array blobs). */
export function plain(value: Bt2Value): unknown {
  if ('i' in value) return BigInt(value.i);
  if ('f' in value) return value.f === 'nan' ? NaN : value.f === 'inf' ? Infinity : value.f === '-inf' ? -Infinity : Number(value.f);
  if ('s' in value) return value.s;
  if ('b' in value) return new Uint8Array(Buffer.from(value.b, 'hex'));
  if ('a' in value) return value.a.map(plain);
  return Object.fromEntries(Object.entries(value.o).map(([k, v]) => [k, plain(v)]));
}
