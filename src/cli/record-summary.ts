/**
 * The summary `tracemark record` prints when the command has exited, read from the trace (one
 * sub-directory per process) and from the status file each process wrote at its exit.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { readTraceInfoSync } from '../read/index.js';
import type { RecordStatus } from './record-config.js';
import { errorLine } from './output.js';
import { directoryBytes } from './record-progress.js';
import { scanTrace } from './trace-scan.js';
import { formatBytes, formatCount, table } from './units.js';

const COMMAND_WIDTH = 60;

/** `node app.js 50` from a process's argv (executable and script by their base names). */
export function commandText(argv: readonly string[]): string {
  const [exe, script, ...rest] = argv;
  const words = [exe === undefined ? 'node' : basename(exe), ...(script === undefined ? [] : [basename(script)]), ...rest];
  const text = words.map((word) => (/^[\w./:=@%+,-]+$/.test(word) ? word : JSON.stringify(word))).join(' ');
  return text.length > COMMAND_WIDTH ? `${text.slice(0, COMMAND_WIDTH - 3)}...` : text;
}

interface ProcessRow {
  pid: number;
  command: string;
  events: number;
  lost: bigint;
}

/** One row per process: from its trace (events, lost) and its status file (pid, command). */
function processRows(classes: Iterable<{ trace: string; count: number }>, traces: readonly { path: string; env: Readonly<Record<string, unknown>>; streams: readonly { eventsDiscarded: bigint }[] }[], statuses: readonly RecordStatus[]): ProcessRow[] {
  const events = new Map<string, number>();
  for (const entry of classes) events.set(entry.trace, (events.get(entry.trace) ?? 0) + entry.count);
  const byTrace = new Map(statuses.map((status) => [status.trace, status]));
  const rows: ProcessRow[] = [];
  for (const trace of traces) {
    const status = byTrace.get(trace.path);
    let lost = 0n;
    for (const stream of trace.streams) lost += stream.eventsDiscarded;
    const pid = status?.pid ?? Number(trace.env.vpid ?? 0);
    const command = status === undefined ? String(trace.env.procname ?? trace.path) : commandText(status.argv);
    rows.push({ pid, command, events: events.get(trace.path) ?? 0, lost });
  }
  return rows.sort((a, b) => a.pid - b.pid);
}

/**
 * The lines of the summary. `exitCode`, `commandWords`: the command's; a command that failed says
 * so first, with the error that ended a process before it ran (a main module not found).
 */
export function recordSummary(dir: string, shownDir: string, statuses: readonly RecordStatus[] = [], exitCode = 0, commandWords: readonly string[] = []): string[] {
  const lines: string[] = [];
  if (exitCode !== 0) {
    const root = statuses.find((status) => status.error !== undefined);
    const why = root?.error === undefined ? '' : `: ${root.error}`;
    lines.push(`tracemark: the command failed (exit status ${exitCode}): ${commandText(commandWords)}${why}`);
  }
  let hasTrace = existsSync(dir);
  try {
    hasTrace = hasTrace && readdirSync(dir).length > 0;
  } catch { /* reported below */ }
  if (!hasTrace) return [...lines, `tracemark: no trace was written in ${shownDir}`];
  try {
    const info = readTraceInfoSync(dir);
    if (info.traces.length === 0) return [...lines, `tracemark: no trace was written in ${shownDir}`];
    const scan = scanTrace(dir);
    let lost = 0n;
    for (const trace of info.traces) for (const stream of trace.streams) lost += stream.eventsDiscarded;
    const processes = info.traces.length === 1 ? '' : `${info.traces.length} processes, `;
    lines.push(`tracemark: ${processes}${formatCount(scan.total)} events in ${shownDir} (${formatBytes(directoryBytes(dir))}), ${formatCount(lost)} lost`);
    const rows = processRows(scan.classes.values(), info.traces, statuses);
    const processTable = [['pid', 'command', 'events', 'lost'], ...rows.map((row) => [String(row.pid), row.command, formatCount(row.events), formatCount(row.lost)])];
    for (const line of table(processTable.map((row) => [row[0], row[2], row[3], row[1]]), new Set([0, 1, 2]))) lines.push(`  ${line}`);
    const counts = new Map<string, number>();
    for (const entry of scan.classes.values()) counts.set(entry.name, (counts.get(entry.name) ?? 0) + entry.count);
    const classRows = [...counts.keys()].sort().map((name) => [name, formatCount(counts.get(name) as number)]);
    if (classRows.length > 0) lines.push('  events per marker:');
    for (const line of table(classRows, new Set([1]))) lines.push(`    ${line}`);
    if (scan.damage !== undefined) lines.push(errorLine(scan.damage));
    lines.push(`tracemark: read it with: tracemark print ${shownDir}  (or: babeltrace2 ${shownDir})`);
  } catch (error) {
    lines.push(errorLine(error));
  }
  return lines;
}
