import { closeSync } from 'node:fs';
import { readTraceInfoSync } from '../read/index.js';
import { buildViewModel, DEFAULT_MAX_EVENTS } from '../view/model.js';
import { writeViewPage } from '../view/page.js';
import { servePage } from '../view/serve.js';
import { expectPositionals, flag, integerOption, optionValue, optionValues, parseArgs, usageError } from './args.js';
import { openOutputFile, ProgressReporter } from './cmd-export.js';
import type { Command } from './command.js';
import { Output } from './output.js';
import { EventSelector } from './trace-input.js';
import { formatBytes, formatCount } from './units.js';

const HELP = `Usage: tracemark view DIR [-o FILE [--force]] [--serve [--port N]] [-e PATTERN]... [--filter EXPR] [--max-events N]

Writes a timeline of the trace(s) in DIR as one self-contained HTML page (no network: it opens
from file://): a track per process and thread with its events on a time axis, span pairs as bars,
lost-event ranges on their track, zoom (wheel, drag a range), pan (shift-drag, arrows), the
formatted fields of an event on hover or click, a table of markers (count, rate, first, last)
whose checkboxes filter the timeline, an events-over-time histogram, and search by marker name
or field value.

Options:
  -o, --output FILE       the page's file (default: view.html); an existing FILE is kept unless --force
      --force             overwrite FILE
      --serve             serve the page on http://127.0.0.1 instead (prints the URL; Ctrl-C stops)
      --port N            the port for --serve (default: any free one)
  -e, --event PATTERN     only events whose name matches PATTERN ('*' globs); repeatable
      --filter EXPR       only events whose fields match EXPR (docs/filters.md)
      --max-events N      events kept for the timeline (default ${DEFAULT_MAX_EVENTS}); past it, 1 in 2^k is
                          kept and the page says so (counts, histogram and losses stay exact)
  -h, --help              this help

Exit status: 0, 1 when the trace cannot be read, 2 on usage errors. A damaged trace is shown up
to the damage, and the page says so.`;

export const viewCommand: Command = {
  name: 'view',
  summary: 'write a timeline of a trace as one HTML page (or serve it on 127.0.0.1)',
  help: HELP,
  async run(args) {
    const parsed = parseArgs(args, [
      { name: 'output', short: 'o', value: true },
      { name: 'force' },
      { name: 'serve' },
      { name: 'port', value: true },
      { name: 'event', short: 'e', value: true, multiple: true },
      { name: 'filter', value: true },
      { name: 'max-events', value: true },
    ], { command: 'view' });
    if (flag(parsed, 'help')) {
      const out = new Output();
      out.line(HELP);
      out.flush();
      return 0;
    }
    const [dir] = expectPositionals(parsed, ['DIR'], 'view');
    const serve = flag(parsed, 'serve');
    const file = optionValue(parsed, 'output');
    if (serve && file !== undefined) throw usageError('--serve and -o exclude each other');
    if (!serve && optionValue(parsed, 'port') !== undefined) throw usageError('--port goes with --serve');
    const port = integerOption(parsed, 'port', 0, 65535) ?? 0;
    const maxEvents = integerOption(parsed, 'max-events', 1000, 100_000_000) ?? DEFAULT_MAX_EVENTS;
    const patterns = optionValues(parsed, 'event');
    const filter = optionValue(parsed, 'filter');
    EventSelector.check(patterns, filter);
    const info = readTraceInfoSync(dir);
    const selector = new EventSelector(patterns, filter, filter === undefined ? undefined : info);
    const target = file ?? 'view.html';
    // Refuse before reading a big trace, not after.
    const fd = serve ? -1 : openOutputFile(target, flag(parsed, 'force'));
    const progress = new ProgressReporter('view');
    const model = buildViewModel(dir, info, { maxEvents, title: dir, onProgress: (n) => progress.tick(n & ~0x3fff, 0) }, selector.selectsAll ? undefined : (e) => selector.accepts(e));
    progress.done(model.meta.totalEvents, model.data.length);
    const sampled = model.meta.sampleEvery > 1 ? `, timeline sampled 1 in ${model.meta.sampleEvery}` : '';
    if (serve) {
      const chunks: string[] = [];
      writeViewPage(model, (chunk) => chunks.push(chunk));
      const page = Buffer.from(chunks.join(''), 'utf8');
      const { server, url } = await servePage(page, port);
      process.stdout.write(`tracemark view: ${formatCount(model.meta.totalEvents)} events${sampled}, page ${formatBytes(page.length)}: ${url}\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => { server.close(); resolve(); };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      return 0;
    }
    const out = new Output(fd);
    let bytes = 0;
    try {
      writeViewPage(model, (chunk) => { bytes += chunk.length; out.text(chunk); });
      out.flush();
    } finally {
      closeSync(fd);
    }
    process.stderr.write(`tracemark view: ${formatCount(model.meta.totalEvents)} events${sampled}, ${formatBytes(bytes)} written to ${target}${model.meta.damage === undefined ? '' : ` (damaged trace: ${model.meta.damage})`}\n`);
    return model.meta.damage === undefined ? 0 : 1;
  },
};
