/**
 * Every error tracemark throws on purpose is a `TracemarkError` with a stable `code`.
 * The codes are listed in docs/errors.md; tests and callers match on `code`, never on the message.
 */
export type TracemarkErrorCode =
  | 'ERR_FORMAT'
  | 'ERR_FORMAT_MISMATCH'
  | 'ERR_INVALID_ARG'
  | 'ERR_SESSION_STATE'
  | 'ERR_CHANNEL'
  | 'ERR_TRACE_CORRUPT'
  | 'ERR_TRACE_UNSUPPORTED'
  | 'ERR_TRACE_IO'
  | 'ERR_FILTER'
  | 'ERR_CONTROL'
  | 'ERR_USAGE'
  | 'ERR_RELAY'
  | 'ERR_NODE_SOURCE';

export interface TracemarkErrorDetails {
  /** 0-based index in the offending text (format string or filter expression). */
  offset?: number;
  /** The offending piece of text (a `name %spec` pair, a token). */
  text?: string;
  /** File the error is about (trace reading and writing). */
  file?: string;
  /** Byte offset inside `file` where the damage starts. */
  byteOffset?: number;
  cause?: unknown;
}

export class TracemarkError extends Error {
  readonly code: TracemarkErrorCode;
  declare readonly offset?: number;
  declare readonly text?: string;
  declare readonly file?: string;
  declare readonly byteOffset?: number;

  constructor(code: TracemarkErrorCode, message: string, details: TracemarkErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'TracemarkError';
    this.code = code;
    if (details.offset !== undefined) this.offset = details.offset;
    if (details.text !== undefined) this.text = details.text;
    if (details.file !== undefined) this.file = details.file;
    if (details.byteOffset !== undefined) this.byteOffset = details.byteOffset;
  }
}
