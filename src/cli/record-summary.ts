/** The summary `tracemark record` prints when the application has exited, read from the trace. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readTraceInfoSync } from '../read/index.js';
import { errorLine } from './output.js';
import { directoryBytes } from './record-progress.js';
import { scanTrace } from './trace-scan.js';
import { formatBytes, formatCount, table } from './units.js';

export function recordSummary(dir: string, shownDir: string): string[] {
  if (!existsSync(join(dir, 'metadata'))) return [`tracemark: no trace was written in ${shownDir}`];
  const lines: string[] = [];
  try {
    const info = readTraceInfoSync(dir);
    const scan = scanTrace(dir);
    let lost = 0n;
    for (const trace of info.traces) for (const stream of trace.streams) lost += stream.eventsDiscarded;
    lines.push(`tracemark: ${formatCount(scan.total)} events in ${shownDir} (${formatBytes(directoryBytes(dir))}), ${formatCount(lost)} lost`);
    const counts = new Map<string, number>();
    for (const entry of scan.classes.values()) counts.set(entry.name, (counts.get(entry.name) ?? 0) + entry.count);
    const rows = [...counts.keys()].sort().map((name) => [name, formatCount(counts.get(name) as number)]);
    for (const line of table(rows, new Set([1]))) lines.push(`  ${line}`);
    if (scan.damage !== undefined) lines.push(errorLine(scan.damage));
    lines.push(`tracemark: read it with: tracemark print ${shownDir}  (or: babeltrace2 ${shownDir})`);
  } catch (error) {
    lines.push(errorLine(error));
  }
  return lines;
}
