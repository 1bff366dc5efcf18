/**
 * Real file systems for the fault tests: a small tmpfs (root only), users made for the test.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../ctf/helpers.js';

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

let mountWorks: boolean | undefined;

/** Why a tmpfs cannot be mounted here, or undefined when it can. */
export function tmpfsUnavailable(): string | undefined {
  if (!isRoot) return 'mounting a tmpfs needs root (CI runs as root)';
  if (mountWorks === undefined) {
    const point = mkdtempSync(join(tmpdir(), 'tracemark-mnt-'));
    mountWorks = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', point]).status === 0;
    if (mountWorks) spawnSync('umount', [point]);
    rmSync(point, { recursive: true, force: true });
  }
  return mountWorks ? undefined : 'this machine refuses mount(8) even as root (a container without CAP_SYS_ADMIN)';
}

/** Mounts a tmpfs of `sizeBytes` for the duration of `fn`. */
export function withTmpfs<T>(sizeBytes: number, fn: (dir: string) => T, mountOptions = ''): T {
  const point = mkdtempSync(join(tmpdir(), 'tracemark-mnt-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}${mountOptions}`, 'tmpfs', point], { encoding: 'utf8' });
  if (mounted.status !== 0) throw new Error(`mount failed: ${mounted.stderr}`);
  try {
    return fn(point);
  } finally {
    spawnSync('umount', ['-l', point]);
    rmSync(point, { recursive: true, force: true });
  }
}

export const faultApp = join(repoRoot, 'test', 'reliability', 'fixtures', 'fault-app.mjs');

export interface AppReport {
  fired: number; written: number; discarded: number; warnings: string[];
  error: string | null; message: string | null; threw?: boolean; recording?: boolean;
}

export function runFaultApp(dir: string, scenario: string, options: object = {}): { child: SpawnSyncReturns<string>; report: AppReport } {
  const child = spawnSync(process.execPath, [faultApp, dir, scenario, JSON.stringify(options)], { encoding: 'utf8', timeout: 120_000 });
  const line = child.stdout.trim().split('\n').pop() ?? '';
  let report: AppReport;
  try {
    report = JSON.parse(line) as AppReport;
  } catch {
    throw new Error(`no report from the child (status ${child.status}, signal ${child.signal}):\n${child.stdout}\n${child.stderr}`);
  }
  return { child, report };
}

/** Creates a user for the test (root only); returns its uid and gid and a remover. */
export function testUser(name: string): { uid: number; gid: number; remove: () => void } {
  spawnSync('userdel', [name]);
  const made = spawnSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', name], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`useradd failed: ${made.stderr}`);
  const id = (flag: string): number => Number(spawnSync('id', [flag, name], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g'), remove: () => { spawnSync('userdel', [name]); } };
}

export function freshDir(prefix: string): { dir: string; cleanup: () => void } {
  const base = mkdtempSync(join(tmpdir(), `tracemark-${prefix}-`));
  mkdirSync(base, { recursive: true });
  return { dir: base, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}
