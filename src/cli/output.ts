/**
 * Standard output for data (events, tables) and one-line error reports on stderr.
 *
 * Data goes through writeSync on fd 1 in 64 KiB batches rather than process.stdout: a synchronous
 * write reports EPIPE at once, so `tracemark print DIR | head` stops reading the trace as soon as
 * head exits, and ends quietly (exit 0), instead of decoding everything into a closed pipe.
 */
import { writeSync } from 'node:fs';
import { TracemarkError } from '../errors/index.js';

/** Thrown when the reader of stdout went away; main.ts exits quietly with 0. */
export class OutputClosed extends Error {
  constructor() {
    super('standard output closed');
    this.name = 'OutputClosed';
  }
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Writes all of `bytes` to `fd`; OutputClosed when the reader went away. */
export function writeAllSync(fd: number, bytes: Buffer): void {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // A pipe gives EPIPE; a socket pair (a parent's stdio pipe) may give ECONNRESET instead.
      if (code === 'EPIPE' || code === 'ECONNRESET') throw new OutputClosed();
      // fd 1 may have been made non-blocking by someone else: wait for the reader, then retry.
      if (code === 'EAGAIN') {
        Atomics.wait(sleepCell, 0, 0, 2);
        continue;
      }
      throw error;
    }
  }
}

const FLUSH_BYTES = 64 * 1024;

export class Output {
  private parts: string[] = [];
  private length = 0;

  constructor(private readonly fd = 1) {}

  line(text = ''): void {
    this.parts.push(text, '\n');
    this.length += text.length + 1;
    if (this.length >= FLUSH_BYTES) this.flush();
  }

  /** Text that carries its own line ends (exporters). */
  text(chunk: string): void {
    this.parts.push(chunk);
    this.length += chunk.length;
    if (this.length >= FLUSH_BYTES) this.flush();
  }

  flush(): void {
    if (this.length === 0) return;
    const bytes = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    this.length = 0;
    writeAllSync(this.fd, bytes);
  }
}

/** Codes for errors that are not TracemarkErrors (bugs, unexpected system errors). */
const INTERNAL = 'ERR_INTERNAL';

export function errorCode(error: unknown): string {
  return error instanceof TracemarkError ? error.code : INTERNAL;
}

/** `tracemark: CODE: message` on one line. */
export function errorLine(error: unknown): string {
  const raw = error instanceof Error ? error.message : String(error);
  const message = raw.replace(/^tracemark:\s*/, '').replace(/\s*[\r\n]+\s*/g, ' ');
  return `tracemark: ${errorCode(error)}: ${message}`;
}

export function reportError(error: unknown): void {
  try {
    process.stderr.write(`${errorLine(error)}\n`);
  } catch { /* stderr gone too: nothing left to tell */ }
}

/** 2 for usage errors (bad command line), 1 for everything else. */
export function exitCodeFor(error: unknown): number {
  // A command that record could not run: 127, as a shell reports "command not found".
  const own = (error as { exitStatus?: unknown } | null)?.exitStatus;
  if (typeof own === 'number') return own;
  return errorCode(error) === 'ERR_USAGE' ? 2 : 1;
}

/** A warning that does not stop the command: same one-line shape as an error. */
export function warn(error: unknown): void {
  reportError(error);
}
