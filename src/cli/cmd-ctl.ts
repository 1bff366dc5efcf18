import { resolve } from 'node:path';
import { controlRequest } from '../control/client.js';
import type { Reply } from '../control/protocol.js';
import type { SessionInfo } from '../control/sessions.js';
import { TracemarkError, type TracemarkErrorCode } from '../errors/index.js';
import { parseFilter } from '../filter/index.js';
import { flag, integerOption, optionValue, parseArgs, usageError } from './args.js';
import type { Command } from './command.js';
import { Output } from './output.js';
import { withDocReferences } from './help.js';
import { formatCount, table } from './units.js';

const HELP = `Usage: tracemark ctl PID COMMAND [ARGUMENT] [options]

Controls a running Node.js process that listens for tracemark (it called listen(), or runs with
tracemark preloaded and TRACEMARK_CONTROL=1), through its Unix socket <dir>/PID.sock.

Commands:
  list                     registered markers (id, name, enabled, format) and sessions
  enable PATTERN           enable the markers matching PATTERN ('*' globs) in the control
                           session, created on first use: a flight recorder (memory only)
                           unless --output is given
  disable PATTERN          disable the markers matching PATTERN
  start                    start recording
  stop                     stop recording
  snapshot DIR             write what the control session holds as a trace in DIR (new or empty)
  close                    close the control session (flushing its trace, with --output)

Options:
      --filter EXPR        enable: record only events whose fields match EXPR (docs/filters.md)
      --output DIR         enable: the control session writes a trace into DIR while recording
      --relay URL          enable: the control session streams to lttng-relayd at URL,
                           net://host[:ctrl[:data]] (docs/relay.md), with --output too if given
      --name NAME          enable, with --relay: the session name on the relay
      --json               print the reply as JSON instead of text
      --timeout MS         give up after MS milliseconds without a reply (default 30000)
  -h, --help               this help

Typical use:  tracemark ctl 1234 enable 'http:*' && tracemark ctl 1234 start
              ... && tracemark ctl 1234 snapshot ./trace && tracemark print ./trace
Exit status: 0, 1 when the process cannot be reached or refuses the command, 2 on usage errors.
Paths are resolved here, against this working directory, before they are sent.`;

const ARGUMENTS: Record<string, string | null> = {
  list: null, enable: 'PATTERN', disable: 'PATTERN', start: null, stop: null, snapshot: 'DIR', close: null,
};

function describeSession(s: SessionInfo): string {
  const local = s.output === undefined ? (s.relay === undefined ? `flight recorder (${s.mode})` : '') : `writing to ${s.output}`;
  const kind = s.relay === undefined ? local : `${local === '' ? '' : `${local}, `}streaming to ${s.relay}`;
  return `${s.name} (${s.role}): ${s.recording ? 'recording' : 'not recording'}, ${kind}, ${formatCount(s.events)} events, ${formatCount(s.lost)} lost`;
}

function printReply(out: Output, cmd: string, reply: Record<string, unknown>, argument: string | undefined): void {
  const session = reply.session as SessionInfo | null | undefined;
  switch (cmd) {
    case 'list': {
      out.line(`pid ${String(reply.pid)}`);
      const markers = (reply.markers ?? []) as { id: number; name: string; format: string; enabled: boolean }[];
      const rows = [['ID', 'NAME', 'ENABLED', 'FORMAT'], ...markers.map((m) => [String(m.id), m.name, m.enabled ? 'yes' : 'no', m.format])];
      if (markers.length === 0) out.line('no markers registered');
      else for (const line of table(rows, new Set([0]))) out.line(line);
      const sessions = (reply.sessions ?? []) as SessionInfo[];
      out.line(sessions.length === 0 ? 'sessions: none' : 'sessions:');
      for (const s of sessions) out.line(`  ${describeSession(s)}`);
      return;
    }
    case 'enable':
      out.line(`enabled ${argument ?? ''}: ${session === null || session === undefined ? '' : describeSession(session)}`);
      return;
    case 'disable':
      out.line(`disabled ${argument ?? ''}`);
      return;
    case 'start':
    case 'stop':
      out.line(session === null || session === undefined ? 'no control session' : describeSession(session));
      for (const line of (reply.warnings ?? []) as string[]) process.stderr.write(`tracemark: ${withDocReferences(line)}\n`);
      return;
    case 'snapshot':
      out.line(`snapshot written to ${String(reply.dir)}`);
      return;
    case 'close':
      out.line(reply.closed === true ? 'control session closed' : 'there was no control session');
      return;
  }
}

export const ctlCommand: Command = {
  name: 'ctl',
  summary: 'control a running process: list, enable, disable, start, stop, snapshot',
  help: HELP,
  async run(args) {
    const parsed = parseArgs(args, [
      { name: 'filter', value: true },
      { name: 'output', value: true },
      { name: 'relay', value: true },
      { name: 'name', value: true },
      { name: 'json' },
      { name: 'timeout', value: true },
    ], { command: 'ctl' });
    const out = new Output();
    if (flag(parsed, 'help')) {
      out.line(withDocReferences(HELP));
      out.flush();
      return 0;
    }
    const [pidText, cmd, argument, extra] = parsed.positionals;
    if (pidText === undefined) throw usageError('ctl: missing PID (see tracemark ctl --help)');
    if (!/^[1-9]\d{0,9}$/.test(pidText)) throw usageError(`ctl: PID must be a process id, got ${JSON.stringify(pidText)}`);
    if (cmd === undefined) throw usageError(`ctl: missing COMMAND: ${Object.keys(ARGUMENTS).join(', ')}`);
    if (!(cmd in ARGUMENTS)) throw usageError(`ctl: unknown command ${JSON.stringify(cmd)}; commands: ${Object.keys(ARGUMENTS).join(', ')}`);
    const needs = ARGUMENTS[cmd];
    if (needs !== null && argument === undefined) throw usageError(`ctl ${cmd}: missing ${needs}`);
    const unexpected = needs === null ? argument : extra;
    if (unexpected !== undefined) throw usageError(`ctl ${cmd}: unexpected argument ${JSON.stringify(unexpected)}`);
    const filter = optionValue(parsed, 'filter');
    const output = optionValue(parsed, 'output');
    const relay = optionValue(parsed, 'relay');
    const name = optionValue(parsed, 'name');
    if (cmd !== 'enable' && (filter !== undefined || output !== undefined || relay !== undefined || name !== undefined)) {
      throw usageError(`ctl ${cmd}: --filter, --output, --relay and --name go with enable only`);
    }
    if (name !== undefined && relay === undefined) throw usageError('ctl enable: --name goes with --relay');
    if (filter !== undefined) parseFilter(filter); // report ERR_FILTER here, with its position
    const timeoutMs = integerOption(parsed, 'timeout', 1, 3_600_000) ?? 30_000;

    const body: Record<string, unknown> = { cmd };
    if (cmd === 'enable' || cmd === 'disable') body.pattern = argument;
    if (cmd === 'snapshot') body.dir = resolve(argument as string);
    if (filter !== undefined) body.filter = filter;
    if (output !== undefined) body.output = resolve(output);
    if (relay !== undefined) body.relay = relay;
    if (name !== undefined) body.name = name;

    const reply: Reply = await controlRequest(Number(pidText), body, { timeoutMs });
    if (flag(parsed, 'json')) {
      out.line(JSON.stringify(reply));
      out.flush();
    }
    if (reply.ok !== true) {
      const failed = reply as { code?: unknown; message?: unknown };
      const code = typeof failed.code === 'string' && /^ERR_[A-Z_]+$/.test(failed.code) ? failed.code : 'ERR_CONTROL';
      throw new TracemarkError(code as TracemarkErrorCode, `pid ${pidText}: ${String(failed.message)}`);
    }
    if (!flag(parsed, 'json')) {
      printReply(out, cmd, reply, argument);
      out.flush();
    }
    return 0;
  },
};
