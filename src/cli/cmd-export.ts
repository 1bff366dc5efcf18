import { closeSync, openSync, writeSync } from 'node:fs';
import { TracemarkError } from '../errors/index.js';
import { ChromeTraceWriter } from '../integrations/chrome-trace.js';
import { PerfettoTraceWriter } from '../integrations/perfetto/perfetto-trace.js';
import { readTraceInfoSync, readTraceSync, type DiscardedInfo, type TraceEvent } from '../read/index.js';
import { expectPositionals, flag, optionValue, optionValues, parseArgs, usageError } from './args.js';
import type { Command } from './command.js';
import { Output, OutputClosed } from './output.js';
import { withDocReferences } from './help.js';
import { EventSelector } from './trace-input.js';
import { formatBytes, formatCount } from './units.js';

const HELP = `Usage: tracemark export DIR [-o FILE [--force]] [-e PATTERN]... [--filter EXPR] [--format chrome|perfetto [--uncompressed]]

Exports the events of the trace(s) in DIR for other viewers:
  chrome    (default) Chrome trace-event JSON: Chrome DevTools' Performance panel ("Load profile"),
            chrome://tracing and the Perfetto UI open it. Events are instants (fields as args),
            span pairs (<P>:begin / <P>:end) slices, lost events ranges on a "lost events" track.
  perfetto  Perfetto's protobuf trace (TrackEvents, interned names, packets deflated as
            Perfetto's own service writes them; a tenth of the size of the JSON or less, and much
            faster to load): https://ui.perfetto.dev, "Open trace file", or trace processor.
One process per trace (its vpid; traces of two hosts with the same pid are kept apart), one
thread per stream file (or per vtid); times in µs (chrome) or ns (perfetto), exact.

Options:
  -o, --output FILE       write to FILE instead of standard output (an existing FILE is kept
                          unless --force)
      --force             overwrite FILE
  -e, --event PATTERN     only events whose name matches PATTERN ('*' globs); repeatable
      --filter EXPR       only events whose fields match EXPR (docs/filters.md)
      --format FORMAT     chrome (default) or perfetto
      --uncompressed      perfetto: plain packets, not deflated (for tools that do not inflate
                          TracePacket.compressed_packets)
  -h, --help              this help

A progress line is shown on a terminal (stderr). Exit status: 0, 1 when the trace cannot be read
(the file then ends after the last event read, still loadable), 2 on usage errors.`;

const FORMATS = ['chrome', 'perfetto'] as const;
type Format = (typeof FORMATS)[number];

interface Sink {
  event(event: TraceEvent): void;
  discarded(info: DiscardedInfo): void;
  close(): void;
  readonly count: number;
}

function writeBytesSync(fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EPIPE') throw new OutputClosed();
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      throw error;
    }
  }
}

/** Opens `-o FILE`: refuses to replace an existing file unless `force`. */
export function openOutputFile(file: string, force: boolean): number {
  try {
    return openSync(file, force ? 'w' : 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw usageError(`${file} exists: use --force to overwrite it`);
    throw new TracemarkError('ERR_TRACE_IO', `cannot write ${file}: ${(error as Error).message}`, { file });
  }
}

/** `\r`-rewritten status line on a terminal's stderr, at most 4 times a second. */
export class ProgressReporter {
  private lastMs: number;
  private shown = false;
  private readonly enabled: boolean;

  /** `out` and `now` are the terminal and the clock (the tests give their own). */
  constructor(
    private readonly label: string,
    enabled = process.stderr.isTTY === true,
    private readonly out: { write(text: string): unknown } = process.stderr,
    private readonly now: () => number = Date.now,
  ) {
    this.enabled = enabled;
    this.lastMs = now();
  }

  tick(events: number, bytes: number): void {
    if (!this.enabled || (events & 0x3fff) !== 0) return;
    const now = this.now();
    if (now - this.lastMs < 250) return;
    this.lastMs = now;
    this.shown = true;
    this.out.write(`\r\x1b[Ktracemark ${this.label}: ${formatCount(events)} events read, ${formatBytes(bytes)} written`);
  }

  done(events: number, bytes: number): void {
    if (!this.enabled) return;
    if (this.shown || events > 0) this.out.write(`\r\x1b[Ktracemark ${this.label}: ${formatCount(events)} events, ${formatBytes(bytes)}\n`);
  }
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'export a trace to Chrome trace JSON (DevTools, Perfetto UI) or Perfetto protobuf',
  help: HELP,
  async run(args) {
    const parsed = parseArgs(args, [
      { name: 'output', short: 'o', value: true },
      { name: 'force' },
      { name: 'event', short: 'e', value: true, multiple: true },
      { name: 'filter', value: true },
      { name: 'format', value: true },
      { name: 'uncompressed' },
    ], { command: 'export' });
    if (flag(parsed, 'help')) {
      const out = new Output();
      out.line(withDocReferences(HELP));
      out.flush();
      return 0;
    }
    const [dir] = expectPositionals(parsed, ['DIR'], 'export');
    const format = (optionValue(parsed, 'format') ?? 'chrome') as Format;
    if (!FORMATS.includes(format)) throw usageError(`unknown export format ${JSON.stringify(format)}: the formats are ${FORMATS.join(', ')}`);
    const uncompressed = flag(parsed, 'uncompressed');
    if (uncompressed && format !== 'perfetto') throw usageError('--uncompressed goes with --format perfetto');
    const patterns = optionValues(parsed, 'event');
    const filter = optionValue(parsed, 'filter');
    EventSelector.check(patterns, filter);
    const info = readTraceInfoSync(dir);
    const selector = new EventSelector(patterns, filter, filter === undefined ? undefined : info);
    const file = optionValue(parsed, 'output');
    if (flag(parsed, 'force') && file === undefined) throw usageError('--force goes with -o FILE');
    const fd = file === undefined ? 1 : openOutputFile(file, flag(parsed, 'force'));
    let bytes = 0;
    let sink: Sink;
    let finish: () => void;
    if (format === 'perfetto') {
      sink = new PerfettoTraceWriter((chunk) => { bytes += chunk.length; writeBytesSync(fd, chunk); }, info, { compress: !uncompressed });
      finish = () => undefined;
    } else {
      const out = new Output(fd);
      sink = new ChromeTraceWriter((chunk) => { bytes += chunk.length; out.text(chunk); }, info);
      finish = () => out.flush();
    }
    const progress = new ProgressReporter(`export (${format})`);
    let read = 0;
    try {
      const events = readTraceSync(dir, { onDiscarded: (lost) => sink.discarded(lost) });
      for (const event of events) {
        if (selector.selectsAll || selector.accepts(event)) sink.event(event);
        progress.tick(++read, bytes);
      }
    } finally {
      // What was read before any damage stays a loadable trace.
      sink.close();
      finish();
      if (fd !== 1) closeSync(fd);
      progress.done(read, bytes);
    }
    return 0;
  },
};
