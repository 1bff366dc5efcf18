/**
 * Writes formatted events to a file descriptor, one line each, in large writes: the fast way for
 * a CLI to print a whole trace (`tracemark print`). Lines are joined into a string of about
 * 64 Ki characters, encoded into one reused buffer, and written at once.
 */
import { writeSync } from 'node:fs';
import type { TraceEvent } from '../decode/event.js';
import { formatEvent, type FormatOptions } from './format-event.js';
import { LineWriter } from './line-writer.js';

const FLUSH_CHARS = 1 << 16;

function writeText(fd: number, text: string, buffer: Buffer): Buffer {
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  let out = buffer;
  if (text.length * 3 > out.length) out = Buffer.allocUnsafe(text.length * 3);
  const length = out.write(text, 0);
  let done = 0;
  while (done < length) done += writeSync(fd, out, done, length - done);
  return out;
}

/**
 * Prints `events` to `fd` (`formatEvent` lines, `\n`-terminated) and returns how many were
 * printed. An error of the iterable (trace damage) propagates after the lines before it are written.
 * @example
 * printEvents(readTraceSync(dir), process.stdout.fd);
 */
export function printEvents(events: Iterable<TraceEvent>, fd: number, options?: FormatOptions): number {
  let count = 0;
  if (options?.stream !== true && options?.context !== true) {
    // The plain layout: bytes built in one reused buffer (the same text as formatEvent).
    const lines = new LineWriter((bytes, length) => {
      let done = 0;
      while (done < length) done += writeSync(fd, bytes, done, length - done);
    });
    try {
      for (const event of events) {
        lines.event(event);
        count++;
      }
    } finally {
      lines.flush();
    }
    return count;
  }
  let buffer: Buffer = Buffer.allocUnsafe(FLUSH_CHARS * 4);
  let pending = '';
  try {
    for (const event of events) {
      pending += `${formatEvent(event, options)}\n`;
      count++;
      if (pending.length >= FLUSH_CHARS) {
        buffer = writeText(fd, pending, buffer);
        pending = '';
      }
    }
  } finally {
    if (pending !== '') writeText(fd, pending, buffer);
  }
  return count;
}
