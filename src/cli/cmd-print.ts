import { jsonValue } from '../integrations/json-values.js';
import { formatEvent, readTraceInfoSync, readTraceSync, type TraceEvent } from '../read/index.js';
import { expectPositionals, flag, optionValue, optionValues, parseArgs } from './args.js';
import type { Command } from './command.js';
import { Output } from './output.js';
import { EventSelector, loadDecoderModules } from './trace-input.js';

const HELP = `Usage: tracemark print DIR [-e PATTERN]... [--filter EXPR] [--json] [--decoders MODULE]...

Prints the events of the trace(s) in DIR, oldest first, one line each:
  [2025-01-02T03:04:05.123456789Z] http:request: method="GET" url="/"

Options:
  -e, --event PATTERN     only events whose name matches PATTERN ('*' matches any run of
                          characters, e.g. 'http:*'); repeatable: any of them
      --filter EXPR       only events whose fields match EXPR (docs/filters.md),
                          e.g. 'status >= 500 && url == "/api/*"'
      --json              JSON Lines: {"timestamp":"<ns since epoch>","name",...,"fields":{...}};
                          64-bit integers as decimal strings, blobs as hex strings
  -d, --decoders MODULE   import MODULE first: it may call registerBlobDecoder() so that
                          %pW blobs are shown decoded; repeatable
  -h, --help              this help

Stops quietly when the reader of its output goes away (tracemark print DIR | head).
Exit status: 0, 1 when the trace cannot be read (after printing what could be), 2 on usage errors.`;

export function eventToJson(event: TraceEvent): string {
  return JSON.stringify({
    timestamp: event.timestamp.toString(),
    name: event.name,
    id: event.id,
    stream: event.stream,
    fields: jsonValue(event.fields),
    ...(event.context === undefined ? {} : { context: jsonValue(event.context) }),
  });
}

export const printCommand: Command = {
  name: 'print',
  summary: 'print the events of a trace, one line each (or JSON Lines)',
  help: HELP,
  async run(args) {
    const parsed = parseArgs(args, [
      { name: 'event', short: 'e', value: true, multiple: true },
      { name: 'filter', value: true },
      { name: 'json' },
      { name: 'decoders', short: 'd', value: true, multiple: true },
    ], { command: 'print' });
    const out = new Output();
    if (flag(parsed, 'help')) {
      out.line(HELP);
      out.flush();
      return 0;
    }
    const [dir] = expectPositionals(parsed, ['DIR'], 'print');
    const patterns = optionValues(parsed, 'event');
    const filter = optionValue(parsed, 'filter');
    EventSelector.check(patterns, filter);
    await loadDecoderModules(optionValues(parsed, 'decoders'));
    // The filter needs each event class's field types, which only the metadata has.
    const info = filter === undefined ? undefined : readTraceInfoSync(dir, { packets: false });
    const selector = new EventSelector(patterns, filter, info);
    const render = flag(parsed, 'json') ? eventToJson : formatEvent;
    try {
      for (const event of readTraceSync(dir)) {
        if (selector.selectsAll || selector.accepts(event)) out.line(render(event));
      }
    } finally {
      // The events read before damage are printed before the damage is reported.
      out.flush();
    }
    return 0;
  },
};
