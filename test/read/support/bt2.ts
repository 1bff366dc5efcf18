/** babeltrace2's reading of a trace (test/ctf/bt2dump.py --reader), and comparison of tracemark's values with it. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI } from '../../cli/helpers.js';

const BT2DUMP = fileURLToPath(new URL('../../../../test/ctf/bt2dump.py', import.meta.url));

export type Bt2Value = { i: string } | { f: string } | { s: string } | { a: Bt2Value[] } | { o: Record<string, Bt2Value> };

export interface Bt2Loss { discarded: 'events' | 'packets'; count: string | null; begin: string | null; end: string | null }

export interface Bt2Reading {
  events: { name: string; ns: string | null; fields: Bt2Value; context: { o: Record<string, Bt2Value> } }[];
  losses: Bt2Loss[];
  error?: string;
}

export const HAVE_BT2 = spawnSync('/usr/bin/python3', ['-c', 'import bt2'], { encoding: 'utf8' }).status === 0;

/** The files under `dir` with their sizes, for a failure message about a reading that did not end. */
export function traceFiles(dir: string): string {
  const lines: string[] = [];
  const walk = (path: string, prefix: string): void => {
    for (const name of readdirSync(path).sort()) {
      const stats = lstatSync(join(path, name));
      if (stats.isDirectory()) walk(join(path, name), `${prefix}${name}/`);
      else lines.push(`${prefix}${name} ${stats.isFile() ? `${stats.size} bytes` : 'not a regular file'}`);
    }
  };
  try {
    walk(dir, '');
  } catch (error) {
    lines.push(`(listing failed: ${String(error)})`);
  }
  return lines.length > 200 ? [...lines.slice(0, 200), `... ${lines.length - 200} more`].join('\n') : lines.join('\n');
}

/** A babeltrace2 reading that was killed (its timeout): what it printed and what it was reading. */
class Bt2Killed extends Error {}

/**
 * babeltrace2's reading of the trace(s) under `dir`. A reading that does not end within
 * `timeoutMs` throws Bt2Killed, whose message has the Python stack at the time (faulthandler),
 * the elapsed time and the trace's files with their sizes.
 */
export function bt2read(dir: string, timeoutMs = 300_000): Bt2Reading {
  const startedMs = Date.now();
  const env = { ...process.env, BT2DUMP_TRACEBACK_AFTER_S: String(Math.max(1, timeoutMs / 1000 - 5)) };
  const r = spawnSync('/usr/bin/python3', [BT2DUMP, '--reader', dir], { encoding: 'utf8', env, timeout: timeoutMs, maxBuffer: 1024 * 1024 * 1024 });
  if (r.status === null) {
    throw new Bt2Killed(`bt2dump.py --reader ${dir}: killed (${String(r.signal)}) after ${Date.now() - startedMs} ms, `
      + `${(r.stdout ?? '').length} characters printed; stderr:\n${(r.stderr ?? '').slice(-6000)}\nfiles:\n${traceFiles(dir)}`);
  }
  assert.equal(r.status, 0, `bt2dump.py --reader failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Bt2Reading;
}

function real(text: string): number {
  if (text === 'nan') return NaN;
  if (text === 'inf') return Infinity;
  if (text === '-inf') return -Infinity;
  return Number(text);
}

/**
 * babeltrace2 2.0.4 decodes an empty CTF string (a lone NUL) of an LTTng-UST trace as a stale
 * earlier string of the stream (`str = ""` written, `"hello"` read; the same for empty text
 * sequences). With `emptyStrings`, tracemark's '' is accepted against such a value and counted:
 * the LTTng tests check that only fields the program wrote empty are concerned.
 */
export interface Bt2Tolerance {
  emptyStrings?: { count: number; paths: Set<string> };
}

/** Asserts that a value tracemark decoded is the one babeltrace2 decoded (exact integers and floats). */
export function assertSameAsBt2(actual: unknown, expected: Bt2Value, path: string, tolerance: Bt2Tolerance = {}): void {
  if ('i' in expected) {
    assert.ok(typeof actual === 'number' || typeof actual === 'bigint', `${path}: expected an integer, got ${typeof actual}`);
    assert.equal(BigInt(actual), BigInt(expected.i), path);
  } else if ('f' in expected) {
    assert.ok(typeof actual === 'number', `${path}: expected a real, got ${typeof actual}`);
    assert.ok(Object.is(actual, real(expected.f)), `${path}: ${String(actual)} is not ${expected.f}`);
  } else if ('s' in expected) {
    if (actual === '' && expected.s !== '' && tolerance.emptyStrings !== undefined) {
      tolerance.emptyStrings.count++;
      tolerance.emptyStrings.paths.add(path.replace(/^event #\d+ /, '').replace(/\[\d+\]/g, '[]'));
      return;
    }
    assert.equal(actual, expected.s, path);
  } else if ('a' in expected) {
    const items = actual instanceof Uint8Array ? Array.from(actual) : actual;
    assert.ok(Array.isArray(items), `${path}: expected an array`);
    assert.equal(items.length, expected.a.length, `${path}: length`);
    expected.a.forEach((e, k) => assertSameAsBt2(items[k], e, `${path}[${k}]`, tolerance));
  } else {
    assert.ok(actual !== null && typeof actual === 'object', `${path}: expected a structure`);
    assert.deepEqual(Object.keys(actual as object).sort(), Object.keys(expected.o).sort(), `${path}: field names`);
    for (const [k, v] of Object.entries(expected.o)) assertSameAsBt2((actual as Record<string, unknown>)[k], v, `${path}.${k}`, tolerance);
  }
}

/**
 * `tracemark print --json DIR`, with a JavaScript stack if it does not end: 10 s before its
 * timeout, coreutils' `timeout` sends SIGUSR2, on which Node writes a diagnostic report
 * (`--report-on-signal`), then SIGKILL 10 s later.
 */
function tracemarkPrintJson(dir: string, timeoutMs: number): { status: number | null; stdout: string; message: string } {
  const startedMs = Date.now();
  const reports = mkdtempSync(join(tmpdir(), 'tracemark-report-'));
  try {
    const r = spawnSync('timeout', ['--signal=USR2', '--kill-after=10', String(Math.max(1, timeoutMs / 1000 - 10)), process.execPath,
      '--report-on-signal', '--report-signal=SIGUSR2', `--report-directory=${reports}`, CLI, 'print', '--json', dir],
    { encoding: 'utf8', env: process.env, timeout: timeoutMs + 5_000, maxBuffer: 1024 * 1024 * 1024 });
    const stdout = r.stdout ?? '';
    let message = `tracemark print --json ${dir}: status ${r.status}, signal ${r.signal}, after ${Date.now() - startedMs} ms, `
      + `${stdout.length} characters printed; stderr: ${(r.stderr ?? '').slice(0, 2000)}`;
    if (r.status !== 0) {
      for (const name of readdirSync(reports)) {
        const report = JSON.parse(readFileSync(join(reports, name), 'utf8')) as { javascriptStack?: { message?: string; stack?: string[] } };
        message += `\nJavaScript stack at the report: ${report.javascriptStack?.message ?? ''}\n${(report.javascriptStack?.stack ?? []).join('\n')}`;
      }
      message += `\nfiles:\n${traceFiles(dir)}`;
    }
    return { status: r.status, stdout, message };
  } finally {
    rmSync(reports, { recursive: true, force: true });
  }
}

/** The loss records of `tracemark print --json DIR`, in babeltrace2's form. */
export function tracemarkLosses(dir: string): Bt2Loss[] {
  const r = tracemarkPrintJson(dir, 300_000);
  // A status other than 0 is an error or a kill (the timeout among them): the message says which.
  assert.equal(r.status, 0, r.message);
  return r.stdout.split('\n').filter((l) => l.startsWith('{"discarded"')).map((l) => {
    const o = JSON.parse(l) as { discarded: 'events' | 'packets'; count: string | null; begin?: string; end?: string };
    return { discarded: o.discarded, count: o.count, begin: o.begin ?? null, end: o.end ?? null };
  });
}

/** Losses in a stable order (by range, then kind): streams interleave differently in the two readers. */
export function sortLosses(losses: readonly Bt2Loss[]): Bt2Loss[] {
  const key = (l: Bt2Loss): string => `${(l.begin ?? '').padStart(24, '0')} ${(l.end ?? '').padStart(24, '0')} ${l.discarded} ${l.count ?? ''}`;
  return [...losses].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
