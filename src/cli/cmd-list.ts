import { readTraceInfoSync, type EventClassSummary, type TraceSummary } from '../read/index.js';
import { expectPositionals, flag, parseArgs } from './args.js';
import type { Command } from './command.js';
import { Output } from './output.js';
import { withDocReferences } from './help.js';
import { classKey, scanTrace } from './trace-scan.js';
import { formatBytes, formatCount, table } from './units.js';

const HELP = `Usage: tracemark list DIR

Lists the event classes of the trace(s) in DIR: id, name, how many events of each the trace
holds, and the marker format (or, for traces not written by tracemark, the field types).

Options:
  -h, --help   this help

Exit status: 0, 1 when the trace cannot be read (after listing what could be), 2 on usage errors.`;

function describeFields(eventClass: EventClassSummary): string {
  if (eventClass.format !== undefined) return eventClass.format === '' ? '(no fields)' : eventClass.format;
  const shown = eventClass.fields.filter((f) => f.hidden !== true);
  return shown.length === 0 ? '(no fields)' : shown.map((f) => `${f.name}:${f.type}`).join(' ');
}

function traceHeader(dir: string, trace: TraceSummary): string {
  const where = trace.path === '' ? dir : `${dir}/${trace.path}`;
  const env = trace.env;
  const facts = [
    env.tracer_name === undefined ? undefined : `${String(env.tracer_name)} ${[env.tracer_major, env.tracer_minor, env.tracer_patchlevel].filter((v) => v !== undefined).join('.')}`,
    env.procname === undefined ? undefined : `procname ${String(env.procname)}`,
    env.vpid === undefined ? undefined : `vpid ${String(env.vpid)}`,
    env.hostname === undefined ? undefined : `host ${String(env.hostname)}`,
  ].filter((f): f is string => f !== undefined);
  return `trace ${where}${facts.length > 0 ? ` (${facts.join(', ')})` : ''}`;
}

export const listCommand: Command = {
  name: 'list',
  summary: 'list the event classes of a trace with their counts and formats',
  help: HELP,
  async run(args) {
    const parsed = parseArgs(args, [], { command: 'list' });
    const out = new Output();
    if (flag(parsed, 'help')) {
      out.line(withDocReferences(HELP));
      out.flush();
      return 0;
    }
    const [dir] = expectPositionals(parsed, ['DIR'], 'list');
    const info = readTraceInfoSync(dir);
    const scan = scanTrace(dir);
    info.traces.forEach((trace, index) => {
      if (index > 0) out.line();
      out.line(traceHeader(dir, trace));
      const size = trace.streams.reduce((n, s) => n + s.sizeBytes, 0);
      out.line(`streams: ${trace.streams.map((s) => `${s.file} (${formatCount(s.packets)} packets)`).join(', ') || 'none'}; ${formatBytes(size)}`);
      const rows = [['ID', 'NAME', 'COUNT', 'FORMAT']];
      for (const eventClass of trace.eventClasses) {
        const count = scan.classes.get(classKey(trace.path, eventClass.id, eventClass.name))?.count ?? 0;
        rows.push([String(eventClass.id), eventClass.name, formatCount(count), describeFields(eventClass)]);
      }
      for (const line of table(rows, new Set([0, 2]))) out.line(line);
    });
    out.flush();
    if (scan.damage !== undefined) throw scan.damage;
    return 0;
  },
};
