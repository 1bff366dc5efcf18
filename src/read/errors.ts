/**
 * Error helpers of the reader. Everything the reader throws is a TracemarkError: damage is
 * ERR_TRACE_CORRUPT with `file` and `byteOffset`, features outside the supported subset are
 * ERR_TRACE_UNSUPPORTED, file-system failures are ERR_TRACE_IO.
 */
import { TracemarkError } from '../errors/index.js';

export function corrupt(file: string, byteOffset: number, message: string, cause?: unknown): TracemarkError {
  return new TracemarkError('ERR_TRACE_CORRUPT', `${file}: byte ${byteOffset}: ${message}`,
    cause === undefined ? { file, byteOffset } : { file, byteOffset, cause });
}

export function unsupported(file: string, byteOffset: number, message: string): TracemarkError {
  return new TracemarkError('ERR_TRACE_UNSUPPORTED', `${file}: byte ${byteOffset}: not supported: ${message}`, { file, byteOffset });
}

export function ioError(path: string, cause: unknown): TracemarkError {
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? ` (${String((cause as { code: unknown }).code)})` : '';
  const why = cause instanceof Error ? cause.message : String(cause);
  return new TracemarkError('ERR_TRACE_IO', `cannot read ${path}${code}: ${why}`, { file: path, cause });
}

/** Keeps TracemarkErrors, wraps anything else (a bug or an unexpected runtime error) as corruption of `file`. */
export function asTracemarkError(error: unknown, file: string, byteOffset: number): TracemarkError {
  if (error instanceof TracemarkError) return error;
  const why = error instanceof Error ? error.message : String(error);
  return corrupt(file, byteOffset, `unexpected decoding failure: ${why}`, error);
}

/**
 * Thrown by the compiled decoders, caught by the stream reader which adds the file and the byte
 * offset of the event. Cheaper than building a TracemarkError deep inside the decoders.
 */
export class DecodeError extends Error {
  constructor(message: string, readonly pastEnd = false) {
    super(message);
    this.name = 'DecodeError';
  }
}
