/**
 * The client side of the control protocol (used by `tracemark ctl`): one request, one reply.
 */
import { createConnection } from 'node:net';
import { TracemarkError } from '../errors/index.js';
import { LineSplitter, MAX_REPLY_BYTES, PROTOCOL_VERSION, encodeLine, type Reply } from './protocol.js';
import { findSocket } from './socket-dir.js';

export interface ClientOptions {
  /** Gives up after this long without a reply. Default 30 s (a snapshot of big rings takes a while). */
  timeoutMs?: number;
  /** Socket path; default: found from the pid in the socket directories. */
  path?: string;
}

let nextId = 1;

function controlError(message: string, cause?: unknown): TracemarkError {
  return new TracemarkError('ERR_CONTROL', message, cause === undefined ? {} : { cause });
}

/** Sends `body` (`cmd` and its arguments) to process `pid` and resolves with its reply. */
export function controlRequest(pid: number, body: Record<string, unknown>, options: ClientOptions = {}): Promise<Reply> {
  const path = options.path ?? findSocket(pid);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const id = nextId++;
  return new Promise<Reply>((resolve, reject) => {
    const socket = createConnection(path);
    const splitter = new LineSplitter(MAX_REPLY_BYTES);
    let settled = false;
    const settle = (error: TracemarkError | null, reply?: Reply): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error !== null) reject(error);
      else resolve(reply as Reply);
    };
    const timer = setTimeout(() => settle(controlError(`no reply from pid ${pid} within ${timeoutMs} ms`)), timeoutMs);
    socket.on('connect', () => socket.write(encodeLine({ v: PROTOCOL_VERSION, id, ...body })));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'ECONNREFUSED' ? 'nobody listens on it (the process may have exited)' : error.message;
      settle(controlError(`cannot talk to pid ${pid} through ${path}: ${why}`, error));
    });
    socket.on('data', (chunk: Buffer) => {
      let lines: string[];
      try {
        lines = splitter.push(chunk);
      } catch {
        settle(controlError(`reply from pid ${pid} is longer than ${MAX_REPLY_BYTES} bytes`));
        return;
      }
      for (const line of lines) {
        let reply: Reply;
        try {
          reply = JSON.parse(line) as Reply;
        } catch {
          settle(controlError(`malformed reply from pid ${pid}`));
          return;
        }
        // A reply without our id is the server's last word (a limit it enforces): report it.
        if (reply !== null && typeof reply === 'object' && (reply.id === id || reply.ok === false)) {
          settle(null, reply);
          return;
        }
      }
    });
    socket.on('close', () => settle(controlError(`pid ${pid} closed the connection without replying`)));
  });
}
