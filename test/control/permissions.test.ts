/**
 * The security model of the control socket: a private directory (ours, 0700, not a symlink) and
 * a 0600 socket, verified by the server before listening and by the client before connecting.
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, statSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { close, listen } from '../../src/control/index.js';
import { TracemarkError } from '../../src/errors/index.js';
import { errorCodeOf, tempDir, tracemark } from '../cli/helpers.js';
import { startHost } from './host.js';

const tmp = tempDir('tm-perm-');
after(async () => {
  await close();
  tmp.remove();
});

function dirWithMode(name: string, mode: number): string {
  const dir = join(tmp.path, name);
  mkdirSync(dir);
  chmodSync(dir, mode);
  return dir;
}

function isControlRefusal(pattern: RegExp) {
  return (error: unknown): boolean => error instanceof TracemarkError && error.code === 'ERR_CONTROL' && pattern.test(error.message);
}

/** A listening Unix socket at `path` (standing in for a host), with the given file mode. */
function fakeSocket(path: string, mode: number): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((s) => s.destroy());
    server.listen(path, () => {
      chmodSync(path, mode);
      resolve(server);
    });
  });
}

describe('socket directory checks', () => {
  test('a directory open to others is refused and left as it is', async () => {
    const dir = dirWithMode('open', 0o755);
    await assert.rejects(listen({ dir }), isControlRefusal(/its mode is 0755; it must be 0700/));
    assert.equal(statSync(dir).mode & 0o777, 0o755);
  });

  test('a symbolic link is refused, even to a private directory', async () => {
    const target = dirWithMode('target', 0o700);
    const link = join(tmp.path, 'link');
    symlinkSync(target, link);
    await assert.rejects(listen({ dir: link }), isControlRefusal(/symbolic link/));
  });

  test('a directory owned by another user is refused', { skip: process.getuid?.() !== 0 && 'needs root to chown' }, async () => {
    const dir = dirWithMode('theirs', 0o700);
    chownSync(dir, 65534, 65534);
    await assert.rejects(listen({ dir }), isControlRefusal(/owned by uid 65534/));
  });

  test('a missing directory is created 0700; the socket is 0600; close() removes it', async () => {
    const dir = join(tmp.path, 'fresh');
    const handle = await listen({ dir });
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(handle.path).mode & 0o777, 0o600);
    assert.equal(handle.path, join(dir, `${process.pid}.sock`));
    await handle.close();
    assert.equal(existsSync(handle.path), false);
  });
});

describe('client checks', () => {
  test('ctl refuses a socket in a directory open to others', async () => {
    const dir = dirWithMode('client-open', 0o700);
    const server = await fakeSocket(join(dir, '4242.sock'), 0o600);
    chmodSync(dir, 0o777);
    const run = tracemark(['ctl', '4242', 'list'], { env: { ...process.env, TRACEMARK_CONTROL_DIR: dir } });
    server.close();
    assert.equal(errorCodeOf(run.stderr), 'ERR_CONTROL', run.stderr);
    assert.match(run.stderr, /its mode is 0777/);
  });

  test('ctl refuses a socket that others may write to', async () => {
    const dir = dirWithMode('client-sock', 0o700);
    const server = await fakeSocket(join(dir, '4243.sock'), 0o666);
    const run = tracemark(['ctl', '4243', 'list'], { env: { ...process.env, TRACEMARK_CONTROL_DIR: dir } });
    server.close();
    assert.equal(errorCodeOf(run.stderr), 'ERR_CONTROL', run.stderr);
    assert.match(run.stderr, /its mode is 0666; it must be 0600/);
  });
});

describe('preload with TRACEMARK_CONTROL=1', () => {
  test('a refused directory: one warning line, and the application runs without the socket', async () => {
    const dir = dirWithMode('host-open', 0o750);
    const host = await startHost(dir, { waitForSocket: false });
    assert.equal(existsSync(join(dir, `${host.pid}.sock`)), false);
    assert.equal(host.child.exitCode, null, 'still running');
    await host.stop();
    assert.match(host.stderr(), /^tracemark: ERR_CONTROL: refusing control socket directory .*: its mode is 0750; it must be 0700 \(continuing without the control socket\)\n$/);
  });
});
