import { jsonValue } from '../integrations/json-values.js';
import { LineWriter, TraceFollower, formatTimestamp, readTraceInfoSync, readTraceSync, type DiscardedInfo, type FollowOptions, type TraceEvent, type TraceWarning } from '../read/index.js';
import { expectPositionals, flag, optionValue, optionValues, parseArgs } from './args.js';
import type { Command } from './command.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { Output, writeAllSync } from './output.js';
import { withDocReferences } from './help.js';
import { EventSelector, loadDecoderModules } from './trace-input.js';

const HELP = `Usage: tracemark print DIR [-e PATTERN]... [--filter EXPR] [--json] [-q] [--decoders MODULE]... [-f]

Prints the events of the trace(s) in DIR, oldest first, one line each:
  [2025-01-02T03:04:05.123456789Z] http:request: method="GET" url="/"

Options:
  -e, --event PATTERN     only events whose name matches PATTERN ('*' matches any run of
                          characters, e.g. 'http:*'); repeatable: any of them
      --filter EXPR       only events whose fields match EXPR (docs/filters.md),
                          e.g. 'status >= 500 && url == "/api/*"'
      --json              JSON Lines: {"timestamp":"<ns since epoch>","name",...,"fields":{...}};
                          64-bit integers as decimal strings, blobs as hex strings, NaN,
                          ±Infinity and -0 as strings; losses as records of their own:
                          {"discarded":"events"|"packets","count","stream","begin","end"}
  -q, --quiet             no warnings on stderr (lost events and packets, metadata that
                          babeltrace2 also only warns about)
  -d, --decoders MODULE   import MODULE first: it may call registerBlobDecoder() so that
                          %pW blobs are shown decoded; repeatable
  -f, --follow            keep printing the events written to DIR after its current end (a
                          running session or LTTng writing it), like tail -f, until Ctrl-C
                          (exit 0); packets written halfway are waited for, new stream files
                          and metadata are picked up (time order: docs/cli.md)
  -h, --help              this help

Each loss the trace records (lost events, lost packets) is a warning on stderr, as babeltrace2
prints them, with the same counts and time ranges.

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

/** A `--json` record of lost events or packets (times in ns since the epoch, as strings). */
export function discardedToJson(info: DiscardedInfo): string {
  return JSON.stringify({
    discarded: info.kind,
    count: info.uncounted === true ? null : info.count.toString(),
    stream: info.stream,
    ...(info.beginNs === undefined ? {} : { begin: info.beginNs.toString() }),
    ...(info.endNs === undefined ? {} : { end: info.endNs.toString() }),
  });
}

/** The stderr line for a loss, after babeltrace2's `Tracer discarded N events between [...] and [...]`. */
export function discardedWarning(info: DiscardedInfo): string {
  const range = info.beginNs !== undefined && info.endNs !== undefined
    ? ` between [${formatTimestamp(info.beginNs)}] and [${formatTimestamp(info.endNs)}]` : '';
  if (info.uncounted === true) return `tracemark: warning: the tracer may have discarded events${range} in stream ${info.stream} (the stream's first packet counts ${info.count})`;
  return `tracemark: warning: the tracer discarded ${info.count} ${info.kind === 'events' ? 'event' : 'packet'}${info.count === 1n ? '' : 's'}${range} in stream ${info.stream}`;
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
      { name: 'quiet', short: 'q' },
      { name: 'decoders', short: 'd', value: true, multiple: true },
      { name: 'follow', short: 'f' },
    ], { command: 'print' });
    const out = new Output();
    if (flag(parsed, 'help')) {
      out.line(withDocReferences(HELP));
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
    const json = flag(parsed, 'json');
    const quiet = flag(parsed, 'quiet');
    // Text lines go to stdout as bytes built in one reused buffer (the same text as formatEvent).
    const lines = new LineWriter((bytes, length) => writeAllSync(1, bytes.subarray(0, length)));
    const print = json ? (event: TraceEvent): void => out.line(eventToJson(event)) : (event: TraceEvent): void => lines.event(event);
    const warnings = new Output(2);
    const onDiscarded = (info: DiscardedInfo): void => {
      if (json) out.line(discardedToJson(info));
      else if (!quiet) {
        lines.flush(); // the warning after the events printed before the loss
        warnings.line(discardedWarning(info));
        warnings.flush();
      }
    };
    const onWarning = (w: TraceWarning): void => {
      if (quiet) return;
      warnings.line(`tracemark: warning: ${w.file}: byte ${w.byteOffset}: ${w.message}`);
      warnings.flush();
    };
    if (flag(parsed, 'follow')) {
      const select = (event: TraceEvent): void => {
        if (selector.selectsAll || selector.accepts(event)) print(event);
      };
      await followTrace(dir, { onDiscarded, onWarning }, select, () => {
        lines.flush();
        out.flush();
      });
      return 0;
    }
    try {
      for (const event of readTraceSync(dir, { onDiscarded, onWarning })) {
        if (selector.selectsAll || selector.accepts(event)) print(event);
      }
    } finally {
      // The events read before damage are printed before the damage is reported.
      lines.flush();
      out.flush();
    }
    return 0;
  },
};

const FOLLOW_POLL_MS = 200;

/**
 * `print --follow`: polls the trace until SIGINT or SIGTERM, printing the events that are ready
 * (TraceFollower's order rule); at the end, what was read and not printed yet. The damage that
 * ended a stream is thrown after that (exit status 1).
 */
async function followTrace(dir: string, hooks: FollowOptions, print: (event: TraceEvent) => void, flush: () => void): Promise<void> {
  const follower = new TraceFollower(dir, hooks);
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    while (!stop.signal.aborted) {
      for (const event of follower.poll()) print(event);
      flush();
      try {
        // Behind (a large trace being caught up with): on at once, but through the event loop,
        // so that a signal is seen.
        await sleep(follower.behind ? 0 : FOLLOW_POLL_MS, undefined, { signal: stop.signal });
      } catch {
        break; // aborted
      }
    }
    for (const event of follower.poll()) print(event);
    for (const event of follower.drain()) print(event);
    flush();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    follower.close();
  }
  const damage = follower.damage;
  if (damage !== undefined) throw damage;
}
