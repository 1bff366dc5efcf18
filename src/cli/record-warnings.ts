/**
 * The warnings `tracemark record` prints at the end (src/session/warnings.ts): the markers the
 * program declared are read from the trace's metadata, which lists every declared marker,
 * recorded or not.
 */
import { existsSync } from 'node:fs';
import { readTraceInfoSync } from '../read/index.js';
import { zeroResultWarnings, type DeclaredMarker } from '../session/warnings.js';
import { withDocReferences } from './help.js';

/** `tracemark: warning: ...` lines (none when all is well, or when no trace was written). */
export function recordWarnings(dir: string, patterns: readonly string[], filter: string | undefined): string[] {
  if (!existsSync(dir)) return [];
  let declared: DeclaredMarker[];
  try {
    const info = readTraceInfoSync(dir, { packets: false });
    declared = info.traces.flatMap((trace) => trace.eventClasses.map((c) => ({
      name: c.name,
      fields: c.fields.filter((f) => f.hidden !== true).map((f) => f.name),
    })));
  } catch {
    return []; // the summary reports an unreadable trace
  }
  const rules = patterns.map((pattern) => (filter === undefined ? { pattern } : { pattern, filter }));
  return zeroResultWarnings(declared, rules).map((line) => `tracemark: ${withDocReferences(line)}`);
}
