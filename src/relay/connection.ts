/**
 * One producer connection to lttng-relayd: the control socket (commands, replies in order) and
 * the data socket (packets). Commands are pipelined: the relay handles them in order and answers
 * each in order, so replies are matched first-in first-out. A reply that does not come within
 * `replyTimeoutMs` means a stalled relay or network: the connection is destroyed.
 */
import { Socket, connect } from 'node:net';
import { TracemarkError } from '../errors/index.js';
import {
  LTTNG_OK, RELAY_MIN_MINOR, RELAY_PROTOCOL, REPLY_BYTES, parseCreateSessionReply, parseVersionReply, versionMessage,
} from './protocol.js';
import type { RelayAddress } from './url.js';

interface PendingReply {
  fixedBytes: number;
  /** Bytes that follow the fixed part, read from it (create session's output path). */
  extraBytes?: (fixed: Buffer) => number;
  resolve: (reply: Buffer) => void;
  reject: (error: Error) => void;
}

export interface ConnectionOptions {
  connectTimeoutMs: number;
  replyTimeoutMs: number;
}

function relayError(message: string, cause?: unknown): TracemarkError {
  return new TracemarkError('ERR_RELAY', message, cause === undefined ? {} : { cause });
}

function openSocket(host: string, port: number, timeoutMs: number, what: string, url: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(relayError(`cannot reach the relay daemon at ${url}: no answer on the ${what} port ${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 5000);
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const hint = error.code === 'ECONNREFUSED' ? ' (is lttng-relayd running? lttng-relayd -d)' : '';
      reject(relayError(`cannot reach the relay daemon at ${url}: ${what} port ${port}: ${error.code ?? error.message}${hint}`, error));
    });
  });
}

export class RelayConnection {
  readonly control: Socket;
  readonly data: Socket;
  /** Protocol minor both sides use. */
  minor: number = RELAY_PROTOCOL.minor;
  private readonly pending: PendingReply[] = [];
  private received: Buffer = Buffer.alloc(0);
  private readonly replyTimeoutMs: number;
  private replyTimer: NodeJS.Timeout | null = null;
  private closedError: Error | null = null;
  private readonly closeListeners: ((error: Error) => void)[] = [];

  private constructor(control: Socket, data: Socket, options: ConnectionOptions) {
    this.control = control;
    this.data = data;
    this.replyTimeoutMs = options.replyTimeoutMs;
    control.on('data', (chunk: Buffer) => this.onData(chunk));
    for (const [socket, name] of [[control, 'control'], [data, 'data']] as const) {
      socket.on('error', (error) => this.fail(relayError(`relay ${name} connection: ${error.message}`, error)));
      socket.on('close', () => this.fail(relayError(`the relay daemon closed the ${name} connection`)));
    }
    // The relay never writes on the data connection; reading keeps 'close' coming.
    data.resume();
  }

  /** Connects both sockets and negotiates the protocol version. */
  static async open(address: RelayAddress, options: ConnectionOptions): Promise<RelayConnection> {
    const control = await openSocket(address.host, address.controlPort, options.connectTimeoutMs, 'control', address.url);
    let data: Socket;
    try {
      data = await openSocket(address.host, address.dataPort, options.connectTimeoutMs, 'data', address.url);
    } catch (error) {
      control.destroy();
      throw error;
    }
    const connection = new RelayConnection(control, data, options);
    try {
      const reply = parseVersionReply(await connection.request(versionMessage(), REPLY_BYTES.version));
      if (reply.major !== RELAY_PROTOCOL.major || Math.min(reply.minor, RELAY_PROTOCOL.minor) < RELAY_MIN_MINOR) {
        throw relayError(`the relay daemon at ${address.url} speaks protocol ${reply.major}.${reply.minor}; tracemark needs ${RELAY_PROTOCOL.major}.${RELAY_MIN_MINOR} or later (lttng-relayd 2.11+)`);
      }
      connection.minor = Math.min(reply.minor, RELAY_PROTOCOL.minor);
    } catch (error) {
      connection.destroy();
      throw error;
    }
    return connection;
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  onClose(listener: (error: Error) => void): void {
    if (this.closedError !== null) listener(this.closedError);
    else this.closeListeners.push(listener);
  }

  /** Sends a command and resolves with its reply (`fixedBytes`, plus what `extraBytes` says). */
  request(message: Buffer, fixedBytes: number, extraBytes?: (fixed: Buffer) => number): Promise<Buffer> {
    if (this.closedError !== null) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      this.pending.push({ fixedBytes, ...(extraBytes === undefined ? {} : { extraBytes }), resolve, reject });
      if (this.replyTimer === null) this.armReplyTimer();
      this.control.write(message);
    });
  }

  /** A command with a generic reply; rejects unless the relay says LTTNG_OK. */
  async command(message: Buffer, what: string): Promise<void> {
    const code = (await this.request(message, REPLY_BYTES.generic)).readUInt32BE(0);
    if (code !== LTTNG_OK) throw relayError(`the relay daemon refused ${what} (code ${code})`);
  }

  async createSession(message: Buffer): Promise<{ relaySessionId: bigint; outputPath: string }> {
    const reply = await this.request(message, REPLY_BYTES.createSession, (fixed) => parseCreateSessionReply(fixed).outputPathLength);
    const parsed = parseCreateSessionReply(reply);
    if (parsed.retCode !== LTTNG_OK) throw relayError(`the relay daemon refused to create the session (code ${parsed.retCode})`);
    const path = reply.subarray(REPLY_BYTES.createSession, REPLY_BYTES.createSession + parsed.outputPathLength);
    return { relaySessionId: parsed.relaySessionId, outputPath: path.toString('utf8').replace(/\0+$/, '') };
  }

  /** A command the relay does not answer (metadata). */
  post(message: Buffer): void {
    if (this.closedError === null) this.control.write(message);
  }

  get pendingReplies(): number {
    return this.pending.length;
  }

  private armReplyTimer(): void {
    this.replyTimer = setTimeout(() => {
      this.replyTimer = null;
      this.fail(relayError(`the relay daemon did not answer within ${this.replyTimeoutMs} ms (stalled relay or network)`));
    }, this.replyTimeoutMs);
  }

  private onData(chunk: Buffer): void {
    this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
    for (;;) {
      const next = this.pending[0];
      if (next === undefined) {
        if (this.received.length > 0) this.fail(relayError('the relay daemon sent an unexpected reply'));
        return;
      }
      if (this.received.length < next.fixedBytes) return;
      const total = next.fixedBytes + (next.extraBytes === undefined ? 0 : next.extraBytes(this.received.subarray(0, next.fixedBytes)));
      if (this.received.length < total) return;
      const reply = Buffer.from(this.received.subarray(0, total));
      this.received = this.received.subarray(total);
      this.pending.shift();
      if (this.replyTimer !== null) clearTimeout(this.replyTimer);
      this.replyTimer = null;
      if (this.pending.length > 0) this.armReplyTimer();
      next.resolve(reply);
    }
  }

  private fail(error: Error): void {
    if (this.closedError !== null) return;
    this.closedError = error;
    if (this.replyTimer !== null) clearTimeout(this.replyTimer);
    this.replyTimer = null;
    this.control.destroy();
    this.data.destroy();
    for (const pending of this.pending.splice(0)) pending.reject(error);
    for (const listener of this.closeListeners.splice(0)) listener(error);
  }

  /** Closes both sockets at once (what is written is flushed by the kernel, not waited for). */
  destroy(): void {
    this.fail(relayError('connection closed by tracemark'));
  }

  /** Ends both sockets once what is queued is written. */
  end(): Promise<void> {
    return new Promise((resolve) => {
      if (this.closedError !== null) { resolve(); return; }
      let open = 2;
      const done = (): void => { if (--open === 0) resolve(); };
      this.control.end(done);
      this.data.end(done);
      setTimeout(resolve, 2000).unref();
    });
  }
}
