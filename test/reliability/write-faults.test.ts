/**
 * Faults while writing, on real file systems (issue 12, sections 0 and 1): a full disk (stream
 * files and metadata), the trace directory removed mid-trace, a read-only file system, a
 * directory the user may not write, an output path that is a file, a directory already holding
 * a trace. Each time the application goes on, gets one ERR_TRACE_IO warning, `session.error` is
 * set, and babeltrace2 reads every packet written before the fault without a warning.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { marker, Session, TracemarkError } from '../../src/index.js';
import { bt2dump, plain } from '../ctf/helpers.js';
import { freshDir, isRoot, runFaultApp, testUser, tmpfsUnavailable, withTmpfs, type AppReport } from './helpers.js';

/** babeltrace2 reads the trace without a warning; the events are fault:ev with increasing `i`. */
function assertCleanPrefix(dir: string, report: AppReport): number {
  const dump = bt2dump(dir);
  assert.equal(dump.error, undefined, `babeltrace2 failed: ${dump.error}`);
  assert.equal(dump.warnings, '', `babeltrace2 warned:\n${dump.warnings}`);
  let last = -1n;
  for (const event of dump.events.filter((e) => e.name === 'fault:ev')) {
    const i = plain(event.fields.i) as bigint;
    assert.ok(i > last, `event ${i} after ${last}: packets out of order or duplicated`);
    last = i;
  }
  assert.ok(dump.events.length <= report.written, `${dump.events.length} events read, ${report.written} written`);
  return dump.events.length;
}

function assertOneWarning(report: AppReport, stderr: string): void {
  assert.equal(report.error, 'ERR_TRACE_IO', `session.error: ${report.message}\n${stderr}`);
  const printed = stderr.match(/\[ERR_TRACE_IO\]/g) ?? [];
  assert.equal(printed.length + report.warnings.filter((c) => c === 'ERR_TRACE_IO').length > 0, true, stderr);
  assert.equal(report.warnings.filter((c) => c === 'ERR_TRACE_IO').length <= 1 && printed.length <= 1, true, `more than one warning:\n${stderr}`);
  assert.equal(report.threw ?? false, false, 'a marker threw into the application');
}

const noMount = tmpfsUnavailable();

test('disk full: the stream file ends on its last whole packet; one warning; babeltrace2 reads all of it', { skip: noMount }, () => {
  withTmpfs(128 * 1024, (mount) => {
    const dir = join(mount, 'trace');
    const { child, report } = runFaultApp(dir, 'fill', { events: 50_000 });
    assertOneWarning(report, child.stderr);
    assert.match(report.message ?? '', /ENOSPC/);
    assert.equal(report.recording, false);
    const events = assertCleanPrefix(dir, report);
    assert.ok(events > 100, `only ${events} events readable`);
  });
});

test('disk full, then process.exit() without a turn of the event loop: the warning is still printed, session.error set', { skip: noMount }, () => {
  withTmpfs(96 * 1024, (mount) => {
    const dir = join(mount, 'trace');
    const { child, report } = runFaultApp(dir, 'exit-fill', { events: 20_000, subbufCount: 64 });
    assert.equal(child.status, 0, child.stderr);
    assert.equal(report.error, 'ERR_TRACE_IO', child.stderr);
    assert.equal((child.stderr.match(/\[ERR_TRACE_IO\] Warning: tracemark: tracing to .* stopped/g) ?? []).length, 1, child.stderr);
    assertCleanPrefix(dir, report);
  });
});

test('disk full while appending metadata: no partial metadata packet, babeltrace2 does not spin', { skip: noMount }, () => {
  withTmpfs(64 * 1024, (mount) => {
    // Leave room for the metadata head and a few late event blocks only.
    writeFileSync(join(mount, 'filler'), Buffer.alloc(44 * 1024));
    const dir = join(mount, 'trace');
    const { child, report } = runFaultApp(dir, 'metadata', { events: 500, subbufSize: 65536, subbufCount: 2 });
    assertOneWarning(report, child.stderr);
    assert.match(report.message ?? '', /metadata|ENOSPC/);
    // bt2dump runs under a timeout: a partial metadata packet made babeltrace2 2.0.4 spin.
    assertCleanPrefix(dir, report);
  });
});

test('the trace directory removed mid-trace: reported (writes to a deleted file would vanish silently)', async () => {
  const { dir: base, cleanup } = freshDir('rmdir');
  const keepAlive = setTimeout(() => {}, 60_000);
  try {
    const dir = join(base, 'trace');
    const ev = marker('fault:rm', 'i %u s %s');
    const session = new Session({ output: dir, channels: { default: { subbufSize: 4096, subbufCount: 4 } } });
    session.enable('fault:rm');
    session.start();
    for (let i = 0; i < 100; i++) ev(i, 'before');
    rmSync(dir, { recursive: true, force: true });
    for (let round = 0; round < 500 && session.error === null; round++) {
      for (let i = 0; i < 100; i++) ev(i, 'after the directory is gone');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(session.error instanceof TracemarkError);
    assert.equal(session.error.code, 'ERR_TRACE_IO');
    assert.match(session.error.message, /removed/);
    assert.equal(ev.enabled, false);
    ev(1, 'the application goes on');
    await session.close();
  } finally {
    clearTimeout(keepAlive);
    cleanup();
  }
});

function fdsUnder(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${name}`);
      if (target.startsWith(dir)) found.push(target);
    } catch { /* closed meanwhile */ }
  }
  return found;
}

/** A start() that fails throws ERR_TRACE_IO, leaks no descriptor, leaves no file, records nothing. */
function assertStartFails(output: string, why: RegExp, base: string): void {
  const session = new Session({ output });
  session.enable('fault:*');
  const before = existsSync(output) && statSync(output).isDirectory() ? readdirSync(output) : null;
  assert.throws(() => session.start(), (error: unknown) => error instanceof TracemarkError && error.code === 'ERR_TRACE_IO' && why.test(error.message));
  assert.deepEqual(fdsUnder(base), [], 'a descriptor leaked');
  if (before !== null) assert.deepEqual(readdirSync(output), before, 'start() left files behind');
  assert.equal(session.recording, false);
  // Again: it must fail again, not record silently into the rings.
  assert.throws(() => session.start(), TracemarkError);
  assert.equal(session.recording, false);
}

test('the output path is an existing file', () => {
  const { dir: base, cleanup } = freshDir('isfile');
  try {
    writeFileSync(join(base, 'out'), 'not a directory');
    assertStartFails(join(base, 'out'), /out/, base);
  } finally { cleanup(); }
});

test('an existing non-empty trace directory is refused, its files untouched', () => {
  const { dir: base, cleanup } = freshDir('nonempty');
  try {
    const dir = join(base, 'trace');
    mkdirSync(dir);
    writeFileSync(join(dir, 'metadata'), 'someone else\'s trace');
    assertStartFails(dir, /not empty/, base);
    assert.equal(readdirSync(dir).length, 1);
  } finally { cleanup(); }
});

test('a read-only file system: start() fails cleanly', { skip: noMount }, () => {
  withTmpfs(64 * 1024, (mount) => {
    assertStartFails(join(mount, 'trace'), /EROFS|read-only/, mount);
  }, ',ro');
});

test('a directory another user owns (EACCES): start() fails cleanly in that user\'s process', { skip: isRoot ? false : 'needs root to create a user' }, (t) => {
  const { dir: base, cleanup } = freshDir('eacces');
  const user = testUser('tmfault');
  try {
    chmodSync(base, 0o755); // root's, not writable by the user
    const script = `
      import { Session } from ${JSON.stringify(new URL('../../src/index.js', import.meta.url).href)};
      const s = new Session({ output: ${JSON.stringify(join(base, 'trace'))} });
      try { s.start(); console.log('started'); } catch (e) { console.log(e.code, e.message); }
      try { s.start(); console.log('started'); } catch (e) { console.log('again', e.code); }`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', uid: user.uid, gid: user.gid, cwd: '/' });
    if (child.error !== undefined || /Cannot find module|EACCES: permission denied, (?:open|stat|scandir)/.test(child.stderr ?? '')) {
      // node or this checkout lies under a directory the new user cannot enter (e.g. root's 0700 home).
      t.skip(`the test user cannot run ${process.execPath} on this checkout: ${child.error?.message ?? child.stderr.split('\n')[0]}`);
      return;
    }
    assert.match(child.stdout, /^ERR_TRACE_IO .*EACCES/m, child.stderr);
    assert.match(child.stdout, /^again ERR_TRACE_IO/m);
    assert.deepEqual(readdirSync(base), []);
  } finally {
    user.remove();
    cleanup();
  }
});

