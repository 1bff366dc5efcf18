/**
 * The control protocol: newline-delimited JSON over a Unix domain socket (docs/control.md).
 * Request:  {"v":1,"id":1,"cmd":"enable","pattern":"net:*"}
 * Replies:  {"v":1,"id":1,"ok":true,...}  or  {"v":1,"id":1,"ok":false,"code":"ERR_CONTROL","message":"..."}
 */
import { TracemarkError } from '../errors/index.js';

export const PROTOCOL_VERSION = 1;
/** A request longer than this (newline excluded) gets an error reply and the connection is closed. */
export const MAX_REQUEST_BYTES = 64 * 1024;
/** Replies can list every marker: the client accepts more than the server does. */
export const MAX_REPLY_BYTES = 16 * 1024 * 1024;
/** A client must complete each request within this time of the previous reply. */
export const IDLE_TIMEOUT_MS = 10_000;
/**
 * ... and its first request within this time of connecting (never more than the idle timeout):
 * `tracemark ctl` writes its request at once, so a connection silent for longer is not a client
 * that needs its place.
 */
export const FIRST_REQUEST_TIMEOUT_MS = 2_000;
export const MAX_CONNECTIONS = 16;
/**
 * When every connection is taken, a new client takes the place of the one idle the longest
 * (no request being served or queued) if it has been idle at least this long.
 */
export const EVICTABLE_IDLE_MS = 1_000;
/**
 * When every connection is taken and none is idle that long, the one open the longest gives way
 * (after the reply it is working on) if it has been open at least this long: a client keeping
 * every connection busy gets them in turn with the others, it cannot keep them out.
 */
export const BUSY_TURN_MS = 2_000;

export const COMMANDS = ['list', 'enable', 'disable', 'start', 'stop', 'snapshot', 'close'] as const;
export type CommandName = typeof COMMANDS[number];

export type RequestId = number | string | null;

export interface ControlRequest {
  v: number;
  id: RequestId;
  cmd: CommandName;
  /** enable, disable */
  pattern?: string;
  /** enable: filter expression */
  filter?: string;
  /** enable: absolute trace directory; the control session then writes to disk instead of memory */
  output?: string;
  /** snapshot: absolute directory */
  dir?: string;
  /** enable: relay daemon URL; the control session then streams there (docs/relay.md) */
  relay?: string;
  /** enable, with relay: session name on the relay */
  name?: string;
}

export interface ErrorReply {
  v: number;
  id: RequestId;
  ok: false;
  code: string;
  message: string;
}

export type Reply = ({ v: number; id: RequestId; ok: true } & Record<string, unknown>) | ErrorReply;

/** A request that cannot be served. `fatal`: the stream itself is broken, so the connection ends. */
export class ProtocolError extends Error {
  constructor(message: string, readonly id: RequestId = null, readonly fatal = false, readonly code = 'ERR_CONTROL') {
    super(message);
    this.name = 'ProtocolError';
  }
}

export function errorReply(id: RequestId, code: string, message: string): ErrorReply {
  return { v: PROTOCOL_VERSION, id, ok: false, code, message };
}

/** One line of JSON; bigints (never expected, but never fatal either) become strings. */
export function encodeLine(value: unknown): string {
  return `${JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`;
}

/** Splits a byte stream into lines, refusing to buffer more than `maxBytes` of one line. */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** The complete lines in `chunk` (with what was pending); throws RangeError when a line is too long. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
      const lineBytes = this.pendingBytes + (nl - start);
      if (lineBytes > this.maxBytes) throw new RangeError('line too long');
      const piece = chunk.subarray(start, nl);
      const line = this.pendingBytes === 0 ? piece : Buffer.concat([...this.pending, piece]);
      lines.push(line.toString('utf8'));
      this.pending = [];
      this.pendingBytes = 0;
      start = nl + 1;
    }
    if (start < chunk.length) {
      this.pendingBytes += chunk.length - start;
      if (this.pendingBytes > this.maxBytes) throw new RangeError('line too long');
      this.pending.push(chunk.subarray(start));
    }
    return lines;
  }

  get hasPartialLine(): boolean {
    return this.pendingBytes > 0;
  }
}

function optionalString(body: Record<string, unknown>, key: string, id: RequestId): string | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new ProtocolError(`"${key}" must be a non-empty string`, id);
  return value;
}

/**
 * Parses and validates one request line. Broken JSON or a non-object is fatal (the peer does not
 * speak the protocol); a well-formed request with bad fields only fails that request.
 */
export function parseRequest(line: string): ControlRequest {
  let body: unknown;
  try {
    body = JSON.parse(line);
  } catch {
    throw new ProtocolError('malformed JSON', null, true);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ProtocolError('a request must be a JSON object', null, true);
  }
  const record = body as Record<string, unknown>;
  const rawId = record.id;
  const id: RequestId = (typeof rawId === 'number' && Number.isFinite(rawId)) || (typeof rawId === 'string' && rawId.length <= 256) ? rawId : null;
  if (record.v !== PROTOCOL_VERSION) {
    throw new ProtocolError(`unsupported protocol version ${JSON.stringify(record.v ?? null)}; this process speaks v${PROTOCOL_VERSION}`, id, true);
  }
  if (rawId !== undefined && id === null) throw new ProtocolError('"id" must be a number or a short string', null);
  const cmd = record.cmd;
  if (typeof cmd !== 'string' || !(COMMANDS as readonly string[]).includes(cmd)) {
    throw new ProtocolError(`unknown command ${JSON.stringify(cmd ?? null)}; commands: ${COMMANDS.join(', ')}`, id);
  }
  const request: ControlRequest = { v: PROTOCOL_VERSION, id, cmd: cmd as CommandName };
  const pattern = optionalString(record, 'pattern', id);
  const filter = optionalString(record, 'filter', id);
  const output = optionalString(record, 'output', id);
  const dir = optionalString(record, 'dir', id);
  const relay = optionalString(record, 'relay', id);
  const name = optionalString(record, 'name', id);
  if ((cmd === 'enable' || cmd === 'disable') && pattern === undefined) throw new ProtocolError(`${cmd} needs "pattern"`, id);
  if (cmd === 'snapshot' && dir === undefined) throw new ProtocolError('snapshot needs "dir"', id);
  if (pattern !== undefined) request.pattern = pattern;
  if (filter !== undefined) request.filter = filter;
  if (output !== undefined) request.output = output;
  if (dir !== undefined) request.dir = dir;
  if (relay !== undefined) request.relay = relay;
  if (name !== undefined) request.name = name;
  return request;
}

/** The reply for an error thrown while serving `id`: TracemarkErrors keep their own code. */
export function replyForError(error: unknown, id: RequestId): ErrorReply {
  if (error instanceof ProtocolError) return errorReply(error.id ?? id, error.code, error.message);
  if (error instanceof TracemarkError) return errorReply(id, error.code, error.message);
  const message = error instanceof Error ? error.message : String(error);
  return errorReply(id, 'ERR_CONTROL', `internal error: ${message}`);
}
