/**
 * The control socket server. Whatever a client sends, the host must not crash, stall or stay
 * alive because of it: every handler is wrapped, sockets and timers are unref()ed, requests are
 * bounded in size, connections in number, and a client that does not finish a request in time
 * is disconnected. Requests of one connection are served one at a time, with reading paused
 * meanwhile, so a client cannot queue unbounded work.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { TracemarkError } from '../errors/index.js';
import { onProcessEnd } from '../exit/index.js';
import type { ControlCommands } from './commands.js';
import {
  BUSY_TURN_MS, EVICTABLE_IDLE_MS, FIRST_REQUEST_TIMEOUT_MS, IDLE_TIMEOUT_MS, LineSplitter, MAX_CONNECTIONS, MAX_REQUEST_BYTES, PROTOCOL_VERSION, ProtocolError,
  encodeLine, errorReply, parseRequest, replyForError, type Reply, type RequestId,
} from './protocol.js';

export interface ServerLimits {
  maxConnections: number;
  maxRequestBytes: number;
  idleTimeoutMs: number;
  /** For the first request of a connection (capped at idleTimeoutMs). */
  firstRequestTimeoutMs: number;
  /** When all connections are busy: how long one is kept before it gives way to a new client. */
  busyTurnMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = Object.freeze({
  maxConnections: MAX_CONNECTIONS,
  maxRequestBytes: MAX_REQUEST_BYTES,
  idleTimeoutMs: IDLE_TIMEOUT_MS,
  firstRequestTimeoutMs: FIRST_REQUEST_TIMEOUT_MS,
  busyTurnMs: BUSY_TURN_MS,
});

/** A client that reads no replies is dropped once this much output waits for it. */
const MAX_UNREAD_REPLY_BYTES = 1024 * 1024;

/**
 * Connections over the limit still get an error reply, up to this many at a time; beyond them
 * (a flood of connections) they are closed by the server at accept, unread and unanswered, so
 * that a flood costs the host one close per connection and no JavaScript object.
 */
const REFUSAL_BACKLOG = 32;

/** How long a closing connection stays, unread, for its peer to read the last reply. */
const LAST_WORD_MS = 250;

/**
 * Ends a connection after what was written to it. Reading stops (a client still sending, say a
 * 100 MB line, costs the host nothing more: the kernel buffer fills and the client waits), and
 * the socket is destroyed shortly after: not at once, so that a client whose request was still
 * on its way reads this last word instead of failing its write with EPIPE.
 */
function closeAfterLastWord(socket: Socket, lastWord?: string): void {
  socket.pause();
  socket.removeAllListeners('data');
  if (lastWord === undefined) socket.end();
  else socket.end(lastWord);
  setTimeout(() => socket.destroy(), LAST_WORD_MS).unref();
}

class Connection {
  private readonly splitter: LineSplitter;
  private readonly queue: string[] = [];
  private busy = false;
  private closing = false;
  private timer: NodeJS.Timeout | null = null;
  /** Whether a reply was sent: the deadline for the next request is then the idle timeout. */
  private replied = false;
  /** When the connection last went back to waiting for a request (connected, or replied). */
  private waitingSinceMs = performance.now();
  readonly openedAtMs = performance.now();
  /** Set when it gives its place to a new client: the last word, sent after the reply in progress. */
  private retireWith: Reply | null = null;

  constructor(private readonly socket: Socket, private readonly limits: ServerLimits, private readonly commands: ControlCommands) {
    this.splitter = new LineSplitter(limits.maxRequestBytes);
    this.armTimer();
    socket.on('data', (chunk: Buffer) => this.guard(() => this.onData(chunk)));
    socket.on('end', () => this.guard(() => { if (!this.busy && this.queue.length === 0) this.finish(); }));
    socket.on('close', () => this.clearTimer());
  }

  /** Runs a handler; anything it throws ends this connection, never the host. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch {
      this.socket.destroy();
    }
  }

  /**
   * The deadline for the next complete request: re-armed after each reply, not by partial data;
   * shorter for the first request (a connection that never says anything is let go sooner).
   */
  private armTimer(): void {
    this.clearTimer();
    this.waitingSinceMs = performance.now();
    const first = !this.replied;
    const ms = first ? Math.min(this.limits.firstRequestTimeoutMs, this.limits.idleTimeoutMs) : this.limits.idleTimeoutMs;
    this.timer = setTimeout(() => this.guard(() => {
      this.fail(errorReply(null, 'ERR_CONTROL', `no complete request within ${ms} ms of ${first ? 'connecting' : 'the previous reply'}; disconnecting`));
    }), ms);
    this.timer.unref();
  }

  /**
   * How long this connection has waited for a request (partial data does not count as one),
   * or -1 while a request of it is served or queued, or once it is closing.
   */
  idleMs(now: number): number {
    if (this.busy || this.closing || this.queue.length > 0) return -1;
    return now - this.waitingSinceMs;
  }

  /** Closes an idle connection so that a new client can have its place. */
  evict(idleMs: number, open: number): void {
    this.fail(errorReply(null, 'ERR_CONTROL', `closed after ${Math.round(idleMs)} ms without a request, to make room for a new client (${open} connections open, the limit); disconnecting`));
  }

  /**
   * Gives this busy connection's place to a new client: closed after the reply it is working on
   * (at once if it is between requests), told why. Queued requests of it are not served.
   */
  retire(openMs: number, open: number): void {
    const lastWord = errorReply(null, 'ERR_CONTROL', `closed after ${Math.round(openMs)} ms open, to make room for a new client (${open} connections open and busy, the limit); disconnecting`);
    if (this.busy) this.retireWith = lastWord;
    else this.fail(lastWord);
  }

  get retiring(): boolean {
    return this.retireWith !== null || this.closing;
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    let lines: string[];
    try {
      lines = this.splitter.push(chunk);
    } catch {
      this.fail(errorReply(null, 'ERR_CONTROL', `request longer than ${this.limits.maxRequestBytes} bytes; disconnecting`));
      return;
    }
    for (const line of lines) if (line.trim() !== '') this.queue.push(line);
    // pump() settles on its own; the catch only keeps a bug from becoming an unhandled rejection.
    if (this.queue.length > 0) this.pump().catch(() => this.socket.destroy());
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.clearTimer();
    this.socket.pause();
    try {
      while (this.queue.length > 0 && !this.closing) {
        const line = this.queue.shift() as string;
        let reply: Reply;
        let fatal = false;
        let id: RequestId = null;
        try {
          const request = parseRequest(line);
          id = request.id;
          reply = { v: PROTOCOL_VERSION, id: request.id, ok: true, ...(await this.commands.run(request)) };
        } catch (error) {
          reply = replyForError(error, id);
          fatal = error instanceof ProtocolError && error.fatal;
          if (error instanceof ProtocolError && reply.ok === false && fatal) reply.message += '; disconnecting';
        }
        if (fatal) {
          this.fail(reply);
          return;
        }
        this.send(reply);
        this.replied = true;
        if (this.retireWith !== null) {
          this.fail(this.retireWith);
          return;
        }
      }
    } catch {
      this.socket.destroy();
      return;
    } finally {
      this.busy = false;
    }
    if (this.closing || this.socket.destroyed) return;
    if (this.socket.readableEnded) {
      this.finish();
      return;
    }
    this.armTimer();
    this.socket.resume();
  }

  private send(reply: Reply): void {
    if (this.socket.destroyed) return;
    this.socket.write(encodeLine(reply));
    if (this.socket.writableLength > MAX_UNREAD_REPLY_BYTES) this.socket.destroy();
  }

  /** Sends a last error reply and closes the connection (rest of the input ignored). */
  private fail(reply: Reply): void {
    if (this.closing) return;
    this.send(reply);
    this.finish();
  }

  private finish(): void {
    this.closing = true;
    this.clearTimer();
    this.queue.length = 0;
    closeAfterLastWord(this.socket);
  }
}

export class ControlServer {
  private readonly server: Server;
  /** Connections being served or waiting for a request. */
  private readonly connections = new Map<Socket, Connection>();
  /** Every socket not yet closed, those having their last word included: close() ends them all. */
  private readonly sockets = new Set<Socket>();
  private closed = false;
  private removeEndHook: (() => void) | null = null;
  private socketIno: number | bigint | undefined;

  constructor(readonly path: string, private readonly commands: ControlCommands, private readonly limits: ServerLimits) {
    this.server = createServer({ allowHalfOpen: true, pauseOnConnect: false }, (socket) => {
      try {
        this.onConnection(socket);
      } catch {
        socket.destroy();
      }
    });
    // After listening, errors of the server (EMFILE on accept...) must not become uncaught.
    this.server.on('error', () => {});
    this.server.maxConnections = limits.maxConnections + REFUSAL_BACKLOG;
  }

  /** Binds the socket, makes it 0600, and stops it from keeping the process alive. */
  async listen(): Promise<void> {
    await this.removeStaleSocket();
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(new TracemarkError('ERR_CONTROL', `cannot listen on ${this.path}: ${error.message}`, { file: this.path, cause: error }));
      this.server.once('error', onError);
      this.server.listen(this.path, () => {
        this.server.removeListener('error', onError);
        resolve();
      });
    });
    try {
      chmodSync(this.path, 0o600);
      this.socketIno = lstatSync(this.path).ino;
    } catch (error) {
      this.server.close();
      throw new TracemarkError('ERR_CONTROL', `cannot restrict ${this.path} to its owner: ${(error as Error).message}`, { file: this.path, cause: error });
    }
    this.server.unref();
    // At exit, and on SIGTERM/SIGINT/SIGHUP that the application does not handle: no stale file.
    this.removeEndHook = onProcessEnd(() => this.removeSocketFile());
  }

  /**
   * `<pid>.sock` left by a dead process that had our pid is replaced; one that answers belongs
   * to a live listener (another copy of tracemark in this process) and is left alone.
   */
  private async removeStaleSocket(): Promise<void> {
    let isSocket = false;
    try {
      isSocket = lstatSync(this.path).isSocket();
    } catch {
      return; // nothing there
    }
    if (!isSocket) throw new TracemarkError('ERR_CONTROL', `cannot listen on ${this.path}: something that is not a socket is in the way`, { file: this.path });
    const alive = await new Promise<boolean>((resolve) => {
      const probe = createConnection(this.path);
      probe.on('connect', () => { probe.destroy(); resolve(true); });
      probe.on('error', () => resolve(false));
    });
    if (alive) throw new TracemarkError('ERR_CONTROL', `cannot listen on ${this.path}: another listener in this process already uses it`, { file: this.path });
    try {
      unlinkSync(this.path);
    } catch { /* removed meanwhile */ }
  }

  private onConnection(socket: Socket): void {
    socket.on('error', () => {}); // a peer that vanishes mid-write is not the host's problem
    socket.unref();
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    if (this.closed || (this.connections.size >= this.limits.maxConnections && !this.makeRoom())) {
      closeAfterLastWord(socket, encodeLine(errorReply(null, 'ERR_CONTROL', `too many control connections (at most ${this.limits.maxConnections}), none idle for ${EVICTABLE_IDLE_MS} ms nor open for ${this.limits.busyTurnMs} ms; disconnecting`)));
      return;
    }
    this.connections.set(socket, new Connection(socket, this.limits, this.commands));
    socket.on('close', () => this.connections.delete(socket));
  }

  /**
   * Every connection is taken: the one idle the longest, if idle for EVICTABLE_IDLE_MS, is
   * closed (with a reply saying why) and its place given to the new client; else the one open
   * the longest, if open for busyTurnMs, gives way after its reply in progress. A client holding
   * every connection cannot lock the others out, used or not (docs/control.md).
   */
  private makeRoom(): boolean {
    return this.evictIdle() || this.retireBusy();
  }

  private retireBusy(): boolean {
    const now = performance.now();
    let oldest: Connection | null = null;
    let oldestSocket: Socket | null = null;
    for (const [socket, connection] of this.connections) {
      if (connection.retiring || now - connection.openedAtMs < this.limits.busyTurnMs) continue;
      if (oldest === null || connection.openedAtMs < oldest.openedAtMs) {
        oldest = connection;
        oldestSocket = socket;
      }
    }
    if (oldest === null || oldestSocket === null) return false;
    // Its place is the new client's now; its socket lives on until its reply is written.
    this.connections.delete(oldestSocket);
    oldest.retire(now - oldest.openedAtMs, this.limits.maxConnections);
    return true;
  }

  private evictIdle(): boolean {
    const now = performance.now();
    let oldest: Connection | null = null;
    let oldestSocket: Socket | null = null;
    let longestMs = EVICTABLE_IDLE_MS;
    for (const [socket, connection] of this.connections) {
      const idle = connection.idleMs(now);
      if (idle >= longestMs) {
        longestMs = idle;
        oldest = connection;
        oldestSocket = socket;
      }
    }
    if (oldest === null || oldestSocket === null) return false;
    this.connections.delete(oldestSocket);
    oldest.evict(longestMs, this.limits.maxConnections);
    return true;
  }

  /** Removes the socket file, if it is still the one this server created. */
  private removeSocketFile(): void {
    try {
      if (lstatSync(this.path).ino === this.socketIno) unlinkSync(this.path);
    } catch { /* already gone */ }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.removeEndHook?.();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.removeSocketFile();
  }
}
