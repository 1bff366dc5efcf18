import { formatTimestamp, readTraceInfoSync } from '../read/index.js';
import { expectPositionals, flag, integerOption, parseArgs } from './args.js';
import type { Command } from './command.js';
import { Output } from './output.js';
import { withDocReferences } from './help.js';
import { scanTrace, traceRange } from './trace-scan.js';
import { formatCount, formatOffset, formatRate, formatSeconds, table } from './units.js';

const HELP = `Usage: tracemark stats DIR [--buckets N]

Summarizes the trace(s) in DIR: one line per marker with its count, its rate over the whole
trace, and the time of its first and last event (offsets from the start of the trace); the
events lost (ring buffer full, or packets missing); a text histogram of all events over time.

Options:
      --buckets N   rows of the histogram (1 to 100; default 10)
  -h, --help        this help

Exit status: 0, 1 when the trace cannot be read (after showing what could be), 2 on usage errors.`;

const BAR_WIDTH = 40;

export const statsCommand: Command = {
  name: 'stats',
  summary: 'per-marker counts, rates, first/last times, lost events and a histogram',
  help: HELP,
  async run(args) {
    const parsed = parseArgs(args, [{ name: 'buckets', value: true }], { command: 'stats' });
    const out = new Output();
    if (flag(parsed, 'help')) {
      out.line(withDocReferences(HELP));
      out.flush();
      return 0;
    }
    const [dir] = expectPositionals(parsed, ['DIR'], 'stats');
    const bucketCount = integerOption(parsed, 'buckets', 1, 100) ?? 10;
    const info = readTraceInfoSync(dir);
    const packetRange = traceRange(info);
    const scan = scanTrace(dir, { ...(packetRange === undefined ? {} : { range: packetRange }), bucketCount });
    const begin = packetRange?.begin ?? scan.first ?? 0n;
    const end = packetRange?.end ?? scan.last ?? begin;
    const spanNs = end - begin;
    const seconds = Number(spanNs) / 1e9;

    const byName = new Map<string, { count: number; first: bigint; last: bigint }>();
    for (const entry of scan.classes.values()) {
      const known = byName.get(entry.name);
      if (known === undefined) byName.set(entry.name, { count: entry.count, first: entry.first, last: entry.last });
      else {
        known.count += entry.count;
        if (entry.first < known.first) known.first = entry.first;
        if (entry.last > known.last) known.last = entry.last;
      }
    }
    out.line(`trace ${dir}: ${formatCount(scan.total)} events over ${formatSeconds(spanNs)}` +
      (scan.total > 0 ? ` (${formatTimestamp(begin)} to ${formatTimestamp(end)})` : ''));
    const rows = [['MARKER', 'COUNT', 'RATE', 'FIRST', 'LAST']];
    const names = [...byName.keys()].sort();
    for (const name of names) {
      const m = byName.get(name)!;
      rows.push([name, formatCount(m.count), seconds > 0 ? formatRate(m.count / seconds) : '-', formatOffset(m.first - begin), formatOffset(m.last - begin)]);
    }
    if (names.length === 0) out.line('no events');
    else for (const line of table(rows, new Set([1, 2]))) out.line(line);

    let lostEvents = 0n;
    let lostPackets = 0n;
    for (const trace of info.traces) {
      for (const stream of trace.streams) {
        lostEvents += stream.eventsDiscarded;
        lostPackets += stream.packetsDiscarded;
      }
    }
    out.line(`lost: ${formatCount(lostEvents)} events, ${formatCount(lostPackets)} packets`);

    if (scan.buckets !== undefined && scan.total > 0) {
      const max = Math.max(...scan.buckets);
      const width = spanNs / BigInt(scan.buckets.length);
      out.line(`events over time (${scan.buckets.length} buckets of ${formatSeconds(width)}):`);
      const labels = scan.buckets.map((_, i) => formatOffset(width * BigInt(i)));
      const labelWidth = Math.max(...labels.map((l) => l.length));
      scan.buckets.forEach((count, i) => {
        const bar = max === 0 ? 0 : Math.round((count / max) * BAR_WIDTH);
        out.line(`  ${labels[i].padStart(labelWidth)} |${'#'.repeat(bar).padEnd(BAR_WIDTH)}| ${formatCount(count)}`);
      });
    }
    out.flush();
    if (scan.damage !== undefined) throw scan.damage;
    return 0;
  },
};
