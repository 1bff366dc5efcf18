/**
 * A write error disables the session with one clear warning; the application goes on.
 */
import assert from 'node:assert/strict';
import { closeSync, readdirSync, readlinkSync } from 'node:fs';
import { once } from 'node:events';
import { test } from 'node:test';
import { marker, Session, TracemarkError } from '../../src/index.js';
import { trace } from './helpers.js';


function fdOf(pathSuffix: string): number {
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${name}`).endsWith(pathSuffix)) return Number(name);
    } catch { /* the fd of readdir itself is gone already */ }
  }
  throw new Error(`no open file ends with ${pathSuffix}`);
}

test('a stream file that cannot be written stops the session with one ERR_TRACE_IO warning', async () => {
  const dir = trace('werr');
  const ev = marker('werr:ev', 'i %u s %s');
  const session = new Session({ output: dir, channels: { default: { subbufSize: 1024, subbufCount: 4 } } });
  session.enable('werr:*');
  session.start();
  // Pull the file from under the drainer thread: its next write fails with EBADF.
  closeSync(fdOf('/trace/default_0'));
  const warned = once(process, 'warning');
  // The drainer never keeps a process alive; this test waits for its report.
  const keepAlive = setTimeout(() => {}, 10_000);
  for (let i = 0; i < 1000; i++) ev(i, 'event that will not reach the disk');
  const [warning] = await warned as [Error & { code?: string }];
  clearTimeout(keepAlive);
  assert.equal(warning.code, 'ERR_TRACE_IO');
  assert.match(warning.message, /tracing to .* stopped: cannot write a stream file/);
  assert.ok(session.error instanceof TracemarkError);
  assert.equal(session.recording, false);
  assert.equal(ev.enabled, false, 'the failed session no longer enables the marker');
  for (let i = 0; i < 10; i++) ev(i, 'the application goes on');
  await session.close();
});
