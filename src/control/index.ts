/**
 * Live control of a running process: `listen()` opens a Unix domain socket at
 * `<private dir>/<pid>.sock` that `tracemark ctl PID ...` talks to. Opt-in only: a process listens
 * when it calls `listen()`, or when it runs with tracemark preloaded and `TRACEMARK_CONTROL=1`.
 * Protocol and security model: docs/control.md.
 * @example
 * import { listen } from 'tracemark';
 * const control = await listen();   // then: tracemark ctl <pid> list
 * console.log(control.path);
 */
import { isMainThread } from 'node:worker_threads';
import { TracemarkError } from '../errors/index.js';
import { ControlCommands } from './commands.js';
import { ControlServer, DEFAULT_LIMITS, type ServerLimits } from './server.js';
import { candidateDirs, ensurePrivateDir, socketPathIn } from './socket-dir.js';

export interface ListenOptions {
  /** Socket directory (created 0700 if missing; refused unless ours and 0700). Default: see docs/control.md. */
  dir?: string;
  /** Simultaneous connections; more are answered with an error and closed. Default 16. */
  maxConnections?: number;
  /** Longest request in bytes. Default 65536. */
  maxRequestBytes?: number;
  /** Time a client has to complete each request after the previous reply. Default 10000 ms. */
  idleTimeoutMs?: number;
  /** Time a client has to complete its first request after connecting. Default 2000 ms (at most idleTimeoutMs). */
  firstRequestTimeoutMs?: number;
  /** When every connection is busy, how long one stays before giving way to a new client. Default 2000 ms. */
  busyTurnMs?: number;
}

export interface ControlHandle {
  /** The socket's path. */
  readonly path: string;
  /** Stops listening, removes the socket file and closes the control session. */
  close(): Promise<void>;
}

let current: { server: ControlServer; commands: ControlCommands; handle: ControlHandle } | null = null;
let pending: Promise<ControlHandle> | null = null;

function positiveInteger(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isInteger(value) && value > 0 ? value : fallback;
}

async function start(options: ListenOptions): Promise<ControlHandle> {
  // One socket per process id: a worker thread listening would take it from the main thread.
  if (!isMainThread) throw new TracemarkError('ERR_CONTROL', 'listen() works on the main thread only');
  const dir = options.dir ?? candidateDirs()[0];
  ensurePrivateDir(dir);
  const limits: ServerLimits = {
    maxConnections: positiveInteger(options.maxConnections, DEFAULT_LIMITS.maxConnections),
    maxRequestBytes: positiveInteger(options.maxRequestBytes, DEFAULT_LIMITS.maxRequestBytes),
    idleTimeoutMs: positiveInteger(options.idleTimeoutMs, DEFAULT_LIMITS.idleTimeoutMs),
    firstRequestTimeoutMs: positiveInteger(options.firstRequestTimeoutMs, DEFAULT_LIMITS.firstRequestTimeoutMs),
    busyTurnMs: positiveInteger(options.busyTurnMs, DEFAULT_LIMITS.busyTurnMs),
  };
  const commands = new ControlCommands();
  const server = new ControlServer(socketPathIn(dir, process.pid), commands, limits);
  await server.listen();
  const handle: ControlHandle = { path: server.path, close };
  current = { server, commands, handle };
  return handle;
}

/**
 * Starts listening for control clients (once per process: later calls return the same handle).
 * Rejects with TracemarkError `ERR_CONTROL` when the socket directory is not private, the
 * socket cannot be created, or when called from a worker thread (one socket per process id). The socket never keeps the process alive.
 */
export function listen(options: ListenOptions = {}): Promise<ControlHandle> {
  if (current !== null) return Promise.resolve(current.handle);
  if (pending === null) {
    pending = start(options).finally(() => { pending = null; });
  }
  return pending;
}

/** Stops listening, removes the socket file and closes the control session (if any). */
export async function close(): Promise<void> {
  const active = current;
  if (active === null) return;
  current = null;
  await active.server.close();
  await active.commands.closeSession();
}

export { findSocket, candidateDirs, verifyPrivateDir, CONTROL_DIR_ENV } from './socket-dir.js';
export { PROTOCOL_VERSION, MAX_REQUEST_BYTES, IDLE_TIMEOUT_MS, FIRST_REQUEST_TIMEOUT_MS, EVICTABLE_IDLE_MS, BUSY_TURN_MS, MAX_CONNECTIONS, type ControlRequest, type Reply } from './protocol.js';
export { controlRequest } from './client.js';
export { trackSession } from './sessions.js';
