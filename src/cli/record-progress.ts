/**
 * The progress line of `tracemark record` on a terminal: events/s, bytes on disk, lost events.
 * Each traced process writes its counters to a status file of its own every half second (an IPC
 * channel would change the application: process.send would appear and keep its event loop alive).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordStatus } from './record-config.js';
import { formatBytes, formatCount, formatRate } from './units.js';

/** Bytes of the files in `dir` and in its sub-directories (one per process), `depth` levels down. */
export function directoryBytes(dir: string, depth = 2): number {
  let total = 0;
  try {
    for (const name of readdirSync(dir)) {
      try {
        const st = statSync(join(dir, name));
        if (st.isFile()) total += st.size;
        else if (st.isDirectory() && depth > 0) total += directoryBytes(join(dir, name), depth - 1);
      } catch { /* removed meanwhile */ }
    }
  } catch { /* not created yet */ }
  return total;
}

function readStatus(file: string): RecordStatus | undefined {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as RecordStatus;
    return typeof value.events === 'number' && typeof value.pid === 'number' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The status of every process recorded so far, by pid order of appearance (file name order). */
export function readStatuses(statusDir: string): RecordStatus[] {
  let names: string[];
  try {
    names = readdirSync(statusDir).filter((name) => /^\d+\.json$/.test(name));
  } catch {
    return [];
  }
  const statuses: RecordStatus[] = [];
  for (const name of names) {
    const status = readStatus(join(statusDir, name));
    if (status !== undefined) statuses.push(status);
  }
  return statuses;
}

export class ProgressLine {
  private timer: NodeJS.Timeout | null = null;
  private lastEvents = 0;
  private lastTime = Date.now();
  private shown = false;

  constructor(private readonly statusDir: string, private readonly outputDir: string, private readonly inMemory: boolean) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), 500);
    this.timer.unref();
  }

  private tick(): void {
    const statuses = readStatuses(this.statusDir);
    if (statuses.length === 0) return;
    const status = { events: 0, lost: 0, overwritten: 0 };
    for (const one of statuses) {
      status.events += one.events;
      status.lost += one.lost;
      status.overwritten += one.overwritten;
    }
    const processes = statuses.length > 1 ? `${statuses.length} processes, ` : '';
    const now = Date.now();
    const rate = ((status.events - this.lastEvents) * 1000) / Math.max(1, now - this.lastTime);
    this.lastEvents = status.events;
    this.lastTime = now;
    const where = this.inMemory ? `flight recorder, ${formatCount(status.overwritten)} packets overwritten` : formatBytes(directoryBytes(this.outputDir));
    this.shown = true;
    process.stderr.write(`\r\x1b[Ktracemark: ${processes}${formatCount(status.events)} events (${formatRate(rate)}), ${where}, ${formatCount(status.lost)} lost`);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.shown) process.stderr.write('\r\x1b[K');
  }
}
