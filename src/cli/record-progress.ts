/**
 * The progress line of `tracemark record` on a terminal: events/s, bytes on disk, lost events.
 * The traced process writes its counters to a status file every half second (an IPC channel
 * would change the application: process.send would appear and keep its event loop alive).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordStatus } from './record-config.js';
import { formatBytes, formatCount, formatRate } from './units.js';

export function directoryBytes(dir: string): number {
  let total = 0;
  try {
    for (const name of readdirSync(dir)) {
      try {
        const st = statSync(join(dir, name));
        if (st.isFile()) total += st.size;
      } catch { /* removed meanwhile */ }
    }
  } catch { /* not created yet */ }
  return total;
}

function readStatus(file: string): RecordStatus | undefined {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as RecordStatus;
    return typeof value.events === 'number' ? value : undefined;
  } catch {
    return undefined;
  }
}

export class ProgressLine {
  private timer: NodeJS.Timeout | null = null;
  private lastEvents = 0;
  private lastTime = Date.now();
  private shown = false;

  constructor(private readonly statusFile: string, private readonly outputDir: string, private readonly inMemory: boolean) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), 500);
    this.timer.unref();
  }

  private tick(): void {
    const status = readStatus(this.statusFile);
    if (status === undefined) return;
    const now = Date.now();
    const rate = ((status.events - this.lastEvents) * 1000) / Math.max(1, now - this.lastTime);
    this.lastEvents = status.events;
    this.lastTime = now;
    const where = this.inMemory ? `flight recorder, ${formatCount(status.overwritten)} packets overwritten` : formatBytes(directoryBytes(this.outputDir));
    this.shown = true;
    process.stderr.write(`\r\x1b[Ktracemark: ${formatCount(status.events)} events (${formatRate(rate)}), ${where}, ${formatCount(status.lost)} lost`);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.shown) process.stderr.write('\r\x1b[K');
  }
}
