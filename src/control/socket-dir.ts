/**
 * Where control sockets live, and the checks that make them private.
 *
 * Node cannot read SO_PEERCRED, so the server cannot ask who connected. Instead, access is
 * decided by the file system before any connection exists: sockets live in a directory that is
 * owned by the user and has mode 0700 (no one else can even reach the socket inside), and the
 * socket itself is 0600. Both the server (before listening) and the client (before connecting)
 * verify the directory: a directory prepared by someone else, or opened up, is refused.
 */
import { chmodSync, lstatSync, mkdirSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { TracemarkError } from '../errors/index.js';

/** Overrides the socket directory (tests, or several users of one runtime dir). */
export const CONTROL_DIR_ENV = 'TRACEMARK_CONTROL_DIR';

/** sun_path holds 108 bytes on Linux and 104 on macOS, including the final NUL. */
const MAX_SOCKET_PATH_BYTES = 103;

export function currentUid(): number {
  if (typeof process.getuid !== 'function') {
    throw new TracemarkError('ERR_CONTROL', 'the control socket needs a POSIX system (Unix domain sockets and uids)');
  }
  return process.getuid();
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/**
 * The directories that may hold control sockets, most preferred first: `$TRACEMARK_CONTROL_DIR`
 * alone when set; else `$XDG_RUNTIME_DIR/tracemark` (when that runtime dir exists and is ours),
 * then `<tmpdir>/tracemark-<uid>`. The client looks in each, so that a shell without
 * XDG_RUNTIME_DIR (sudo -u, ssh without a login session) still finds the socket.
 */
export function candidateDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const override = env[CONTROL_DIR_ENV];
  if (override !== undefined && override !== '') return [resolve(override)];
  const uid = currentUid();
  const dirs: string[] = [];
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime !== undefined && isAbsolute(runtime)) {
    const st = lstatOrUndefined(runtime);
    if (st !== undefined && st.isDirectory() && st.uid === uid) dirs.push(join(runtime, 'tracemark'));
  }
  dirs.push(join(tmpdir(), `tracemark-${uid}`));
  return dirs;
}

function refuse(dir: string, why: string): never {
  throw new TracemarkError('ERR_CONTROL', `refusing control socket directory ${dir}: ${why}`, { file: dir });
}

/** Throws ERR_CONTROL unless `dir` is a real directory (not a symlink), ours, with mode 0700 or stricter. */
export function verifyPrivateDir(dir: string): void {
  const st = lstatOrUndefined(dir);
  if (st === undefined) refuse(dir, 'it does not exist');
  if (st.isSymbolicLink()) refuse(dir, 'it is a symbolic link');
  if (!st.isDirectory()) refuse(dir, 'it is not a directory');
  const uid = currentUid();
  if (st.uid !== uid) refuse(dir, `it is owned by uid ${st.uid}, not by uid ${uid}`);
  if ((st.mode & 0o077) !== 0) refuse(dir, `its mode is 0${(st.mode & 0o777).toString(8)}; it must be 0700`);
}

/** Creates `dir` with mode 0700 when missing (its parent must exist), then verifies it. */
export function ensurePrivateDir(dir: string): void {
  try {
    mkdirSync(dir, { mode: 0o700 });
    // mkdir's mode went through the umask, which can only remove bits; say exactly what we mean.
    chmodSync(dir, 0o700);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new TracemarkError('ERR_CONTROL', `cannot create control socket directory ${dir}: ${(error as Error).message}`, { file: dir, cause: error });
    }
    // An existing directory is used as it is, or refused; never "fixed": it may not be ours.
  }
  verifyPrivateDir(dir);
}

export function socketPathIn(dir: string, pid: number): string {
  const path = join(dir, `${pid}.sock`);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw new TracemarkError('ERR_CONTROL', `control socket path ${path} is longer than ${MAX_SOCKET_PATH_BYTES} bytes; set ${CONTROL_DIR_ENV} to a shorter directory`, { file: path });
  }
  return path;
}

/** Throws ERR_CONTROL unless `path` is a socket owned by us with no access for group or others. */
export function verifySocketFile(path: string): void {
  const st = lstatOrUndefined(path);
  if (st === undefined) throw new TracemarkError('ERR_CONTROL', `no control socket at ${path}`, { file: path });
  if (!st.isSocket()) throw new TracemarkError('ERR_CONTROL', `refusing ${path}: it is not a socket`, { file: path });
  const uid = currentUid();
  if (st.uid !== uid) throw new TracemarkError('ERR_CONTROL', `refusing ${path}: it is owned by uid ${st.uid}, not by uid ${uid}`, { file: path });
  if ((st.mode & 0o077) !== 0) {
    throw new TracemarkError('ERR_CONTROL', `refusing ${path}: its mode is 0${(st.mode & 0o777).toString(8)}; it must be 0600`, { file: path });
  }
}

/** The verified socket of process `pid`, looked up in every candidate directory. */
export function findSocket(pid: number, env: NodeJS.ProcessEnv = process.env): string {
  const dirs = candidateDirs(env);
  for (const dir of dirs) {
    const path = join(dir, `${pid}.sock`);
    if (lstatOrUndefined(path) === undefined) continue;
    verifyPrivateDir(dir);
    verifySocketFile(path);
    return path;
  }
  let alive = true;
  try {
    process.kill(pid, 0);
  } catch (error) {
    alive = (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const why = alive
    ? 'is it running with TRACEMARK_CONTROL=1, or did it call listen()?'
    : 'no such process';
  throw new TracemarkError('ERR_CONTROL', `no control socket for pid ${pid} in ${dirs.join(' or ')}: ${why}`);
}
