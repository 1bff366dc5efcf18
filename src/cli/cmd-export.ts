import { closeSync, openSync } from 'node:fs';
import { TracemarkError } from '../errors/index.js';
import { ChromeTraceWriter, type ChromeTraceProcess } from '../integrations/chrome-trace.js';
import { readTraceInfoSync, readTraceSync } from '../read/index.js';
import { expectPositionals, flag, optionValue, optionValues, parseArgs, usageError } from './args.js';
import type { Command } from './command.js';
import { Output } from './output.js';
import { EventSelector } from './trace-input.js';

const HELP = `Usage: tracemark export DIR [-o FILE] [-e PATTERN]... [--filter EXPR] [--format chrome]

Exports the events of the trace(s) in DIR to the Chrome trace-event JSON format, which the
Perfetto UI (https://ui.perfetto.dev, "Open trace file") and chrome://tracing open: one instant
per event (fields as args), one thread per stream file, one process per trace (its vpid), lost
events as "events discarded" instants; times in µs from the first event, ns precision.

Options:
  -o, --output FILE       write to FILE instead of standard output
  -e, --event PATTERN     only events whose name matches PATTERN ('*' globs); repeatable
      --filter EXPR       only events whose fields match EXPR (docs/filters.md)
      --format chrome     the output format (the only one for now)
  -h, --help              this help

Exit status: 0, 1 when the trace cannot be read (the file then ends after the last event read,
still loadable), 2 on usage errors.`;

function processesOf(dir: string): ChromeTraceProcess[] {
  return readTraceInfoSync(dir, { packets: false }).traces.map((trace, index) => {
    const vpid = trace.env.vpid;
    const pid = typeof vpid === 'number' || typeof vpid === 'bigint' ? Number(vpid) : index + 1;
    const procname = typeof trace.env.procname === 'string' ? trace.env.procname : 'trace';
    return { path: trace.path, pid, name: trace.path === '' ? procname : `${procname} (${trace.path})` };
  });
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'export a trace to Chrome trace-event JSON (opens in the Perfetto UI)',
  help: HELP,
  async run(args) {
    const parsed = parseArgs(args, [
      { name: 'output', short: 'o', value: true },
      { name: 'event', short: 'e', value: true, multiple: true },
      { name: 'filter', value: true },
      { name: 'format', value: true },
    ], { command: 'export' });
    if (flag(parsed, 'help')) {
      const out = new Output();
      out.line(HELP);
      out.flush();
      return 0;
    }
    const [dir] = expectPositionals(parsed, ['DIR'], 'export');
    const format = optionValue(parsed, 'format') ?? 'chrome';
    if (format !== 'chrome') throw usageError(`unknown export format ${JSON.stringify(format)}: the format is chrome`);
    const patterns = optionValues(parsed, 'event');
    const filter = optionValue(parsed, 'filter');
    EventSelector.check(patterns, filter);
    const processes = processesOf(dir);
    const selector = new EventSelector(patterns, filter, filter === undefined ? undefined : readTraceInfoSync(dir, { packets: false }));
    const file = optionValue(parsed, 'output');
    let fd = 1;
    if (file !== undefined) {
      try {
        fd = openSync(file, 'w');
      } catch (error) {
        throw new TracemarkError('ERR_TRACE_IO', `cannot write ${file}: ${(error as Error).message}`, { file });
      }
    }
    const out = new Output(fd);
    const writer = new ChromeTraceWriter((chunk) => out.text(chunk), processes);
    try {
      const events = readTraceSync(dir, { onDiscarded: (info) => writer.discarded(info) });
      for (const event of events) {
        if (selector.selectsAll || selector.accepts(event)) writer.event(event);
      }
    } finally {
      // What was read before any damage stays a loadable trace.
      writer.close();
      out.flush();
      if (fd !== 1) closeSync(fd);
    }
    return 0;
  },
};
