/** Shared by the CLI and control tests: paths, spawning the real CLI, temporary directories. */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist/test/cli/). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
export const PRELOAD = join(ROOT, 'dist', 'src', 'cli', 'preload.js');
/** Plain .js fixtures are not copied by tsc: they are used from the source tree. */
export const FIXTURES = join(ROOT, 'test', 'cli', 'fixtures');
export const CONTROL_FIXTURES = join(ROOT, 'test', 'control', 'fixtures');
export const CTFCHECK = join(ROOT, 'test', 'support', 'ctfcheck.py');

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function result(r: SpawnSyncReturns<string>): RunResult {
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Runs `tracemark ARGS` to completion. */
export function tracemark(args: readonly string[], options: RunOptions = {}): RunResult {
  return result(spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
    timeout: options.timeoutMs ?? 20_000,
    maxBuffer: 64 * 1024 * 1024,
  }));
}

/** babeltrace2's verdict on a trace (ctfcheck.py); extra checks as ctfcheck options. */
export function ctfcheck(dir: string, args: readonly string[] = []): RunResult {
  return result(spawnSync('/usr/bin/python3', [CTFCHECK, dir, ...args], { encoding: 'utf8', timeout: 20_000 }));
}

export function tempDir(prefix = 'tracemark-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Asserts the one-line error shape; returns the code. */
export function errorCodeOf(stderr: string): string | undefined {
  const match = /^tracemark: (ERR_[A-Z_]+): \S.*\n$/.exec(stderr);
  return match?.[1];
}

/** Reads the first `count` lines of a command's stdout, closes the pipe, waits for the exit. */
export function headOf(args: readonly string[], count: number): Promise<{ lines: string[]; status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let buffered = '';
    let stderr = '';
    const lines: string[] = [];
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (lines.length >= count) return;
      buffered += chunk;
      const parts = buffered.split('\n');
      buffered = parts.pop() as string;
      lines.push(...parts.slice(0, count - lines.length));
      if (lines.length >= count) child.stdout.destroy();
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ lines, status, stderr }));
  });
}

/** Polls `check` every 20 ms until it returns a value, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
