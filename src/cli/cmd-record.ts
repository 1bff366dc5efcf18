import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { constants, hostname, tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { TracemarkError } from '../errors/index.js';
import { flag, integerOption, optionValue, optionValues, parseArgs, usageError } from './args.js';
import type { Command } from './command.js';
import { Output } from './output.js';
import { withDocReferences } from './help.js';
import { CONTROL_ENV, RECORD_CONFIG_VERSION, RECORD_ENV, type RecordConfig, type RecordStatus } from './record-config.js';
import { ProgressLine, readStatuses } from './record-progress.js';
import { CLOCK_EPOCH_ENV, epochMinusMonotonicNs } from '../ring/clock.js';
import { recordSummary } from './record-summary.js';
import { recordWarnings } from './record-warnings.js';
import { EventSelector } from './trace-input.js';
import { probeRelay } from '../relay/probe.js';
import { parseRelayUrl } from '../relay/url.js';

const HELP = `Usage: tracemark record [options] -- COMMAND [arguments]

Runs COMMAND (node app.js, npm start, npm run SCRIPT, npx ..., node --test, a shell script...)
with tracemark preloaded in every Node.js process it starts, and in the processes those start
(fork, spawn, exec, cluster), through NODE_OPTIONS (--import .../preload.js, added to the
NODE_OPTIONS already set); other programs run untouched. Each process records the markers it
fires into a sub-directory of the trace directory (<procname>-<pid>), on one clock: tracemark
print/list/stats/export/view and babeltrace2 read the directory as one trace, merged in time
order. On a terminal a progress line shows events/s, bytes and lost events; at the end a summary
(processes, events per marker, lost events, size, path) goes to stderr.

Options:
  -e, --event PATTERN     enable the markers matching PATTERN ('*' matches any run of
                          characters: 'http:*'); repeatable; default: all ('*'), which
                          includes Node's own node:* markers: -e 'app:*' leaves them out
      --no-node           leave Node's own node:* markers out, whatever -e matches
                          (record everything else: the default '*' without node:*)
      --sample-interval MS
                          node:eventloop:* sampling interval, 10..3600000 ms (default 1000)
      --request-context   track the HTTP request being handled across await (node:*
                          events and \$ctx.request in filters; docs/node.md); off by default
      --filter EXPR       record only events whose fields match EXPR (docs/filters.md);
                          applies to every -e pattern
  -o, --output DIR        trace directory, new or empty (default ./tracemark-<date>-<pid>)
      --overwrite         flight recorder: each process keeps only its newest events in memory
                          and writes them into its sub-directory of DIR when it exits
      --subbuf-size BYTES size of a ring sub-buffer (= CTF packet); k/m suffixes; default 1m
      --subbuf-count N    sub-buffers per ring; default 4
      --control           let tracemark ctl PID control each process too (TRACEMARK_CONTROL=1)
      --relay URL         stream the trace to LTTng's relay daemon too, net://host[:ctrl[:data]]
                          (docs/relay.md); without -o, to the relay only
      --name NAME         session name (on the relay: live viewers attach to
                          net://host:5344/host/HOSTNAME/NAME); default with --relay:
                          tracemark, otherwise session-PID-1
  -q, --quiet             no progress line, no summary
  -h, --help              this help

The command ends the recording by exiting; Ctrl-C (SIGINT), SIGTERM and SIGHUP also finish the
trace unless the program handles them itself. A process that sets its own NODE_OPTIONS (or
starts node with an environment of its own) is not traced. 'node' may be omitted before a .js
file: tracemark record app.js. tracemark's options go before the command: one of them after it
(record app.js -o t) is refused, unless -- stands before the command, which passes every word
after it to the command as it is.
Exit status: the command's own (128 + n when killed by signal n); 127 when the command cannot be
run (not found, not executable); 1 when tracemark fails, 2 on usage errors (including an output
directory that is not empty).`;

const SCRIPT = /\.(?:c|m)?js$/;

/** `YYYYmmdd-HHMMSS` in local time, for default directory names. */
function stamp(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
}

/**
 * The executable and its arguments: any command; a .js file without `node` runs with this Node.js.
 * The preload reaches every Node.js process through NODE_OPTIONS (nodeOptions), not through the
 * command line, so that the processes the command starts inherit it.
 */
function commandLine(words: readonly string[]): { file: string; args: string[] } {
  const [first, ...rest] = words;
  if (first === undefined || first === '') throw usageError('record: missing the command to run: tracemark record -- node app.js');
  if (SCRIPT.test(first) && !/^node(?:js)?(?:\.exe)?$/.test(basename(first))) {
    if (!existsSync(first)) throw new CommandNotRunError(first, Object.assign(new Error('no such file'), { code: 'ENOENT' }), 'no such file');
    return { file: process.execPath, args: [first, ...rest] };
  }
  return { file: first, args: rest };
}

/** NODE_OPTIONS with the preload added after what is already there (Node's own quoting rules). */
export function nodeOptions(existing: string | undefined, preloadUrl: string): string {
  const preload = `--import ${JSON.stringify(preloadUrl)}`;
  return existing === undefined || existing.trim() === '' ? preload : `${existing} ${preload}`;
}

/** A command that could not be started: exit status 127, as a shell says "command not found". */
export class CommandNotRunError extends TracemarkError {
  readonly exitStatus = 127;
  constructor(file: string, cause: NodeJS.ErrnoException, reason?: string) {
    const why = reason ?? (cause.code === 'ENOENT' ? 'command not found' : cause.code === 'EACCES' ? 'permission denied (not executable?)' : cause.message);
    super('ERR_USAGE', `record: cannot run ${JSON.stringify(file)}: ${why}`);
  }
}

function checkOutputDir(dir: string): void {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) throw usageError(`output ${dir} exists and is not a directory`);
    entries = readdirSync(dir);
  } catch (error) {
    if (error instanceof TracemarkError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw usageError(`cannot use output directory ${dir}: ${(error as Error).message}`);
  }
  if (entries.some((name) => !name.startsWith('.'))) {
    throw usageError(`output directory ${dir} is not empty: choose a new directory for each trace`);
  }
}

function waitForChild(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, { stdio: 'inherit', env });
    // Ctrl-C reaches the program directly (same process group): stay alive to report on its
    // trace. Termination sent to tracemark alone is passed on.
    const ignore = (): void => {};
    const forward = (signal: NodeJS.Signals) => (): void => { child.kill(signal); };
    const handlers: [NodeJS.Signals, () => void][] = [['SIGINT', ignore], ['SIGTERM', forward('SIGTERM')], ['SIGHUP', forward('SIGHUP')]];
    for (const [signal, handler] of handlers) process.on(signal, handler);
    const cleanup = (): void => { for (const [signal, handler] of handlers) process.removeListener(signal, handler); };
    child.on('error', (error) => {
      cleanup();
      reject(new CommandNotRunError(file, error as NodeJS.ErrnoException));
    });
    child.on('exit', (code, signal) => {
      cleanup();
      resolvePromise(code ?? 128 + (signal === null ? 0 : constants.signals[signal] ?? 0));
    });
  });
}

export const recordCommand: Command = {
  name: 'record',
  summary: 'run a command with tracemark in its Node.js processes and record their markers into one trace',
  help: HELP,
  async run(args) {
    const parsed = parseArgs(args, [
      { name: 'event', short: 'e', value: true, multiple: true },
      { name: 'filter', value: true },
      { name: 'output', short: 'o', value: true },
      { name: 'overwrite' },
      { name: 'subbuf-size', value: true },
      { name: 'subbuf-count', value: true },
      { name: 'control' },
      { name: 'relay', value: true },
      { name: 'name', value: true },
      { name: 'no-node' },
      { name: 'sample-interval', value: true },
      { name: 'request-context' },
      { name: 'quiet', short: 'q' },
    ], { command: 'record', stopAtPositional: true });
    if (flag(parsed, 'help')) {
      const out = new Output();
      out.line(withDocReferences(HELP));
      out.flush();
      return 0;
    }
    const patterns = optionValues(parsed, 'event');
    const filter = optionValue(parsed, 'filter');
    EventSelector.check(patterns, filter);
    const subbufSize = integerOption(parsed, 'subbuf-size', 256, 1 << 30);
    const subbufCount = integerOption(parsed, 'subbuf-count', 2, 1024);
    // Node's own markers (docs/node.md): the session's `node` options.
    const sampleIntervalMs = integerOption(parsed, 'sample-interval', 10, 3_600_000);
    const requestContext = flag(parsed, 'request-context');
    const nodeSession = sampleIntervalMs === undefined && !requestContext ? undefined
      : { ...(sampleIntervalMs === undefined ? {} : { sampleIntervalMs }), ...(requestContext ? { requestContext } : {}) };
    const preloadUrl = new URL('./preload.js', import.meta.url).href;
    const commandWords = parsed.rest ?? [];
    const { file, args: childArgs } = commandLine(commandWords);

    // --- relay (docs/relay.md): checked before the program runs, so that a typo costs no run.
    const relay = optionValue(parsed, 'relay');
    // One name for every process recorded into a relay, so that one live viewer sees them all.
    const name = optionValue(parsed, 'name') ?? (relay === undefined ? undefined : 'tracemark');
    if (relay !== undefined) {
      if (flag(parsed, 'overwrite')) throw usageError('record: --overwrite keeps events in memory; it cannot stream to a relay (--relay)');
      try { parseRelayUrl(relay); } catch (error) { throw usageError(`record --relay: ${(error as Error).message}`); }
      await probeRelay(relay);
    }
    const outputGiven = optionValue(parsed, 'output');
    const output = relay !== undefined && outputGiven === undefined ? undefined : resolve(outputGiven ?? `tracemark-${stamp(new Date())}-${process.pid}`);
    // --- end relay
    if (output !== undefined) checkOutputDir(output);
    const shownDir = output === undefined ? '' : relative(process.cwd(), output).startsWith('..') ? output : relative(process.cwd(), output) || '.';
    const quiet = flag(parsed, 'quiet');
    const progressWanted = !quiet && process.stderr.isTTY === true;
    // Each process writes <pid>.json there: its command for the summary, its counters for the
    // progress line.
    const statusDir = quiet ? undefined : mkdtempSync(join(tmpdir(), 'tracemark-record-'));

    const config: RecordConfig = {
      v: RECORD_CONFIG_VERSION,
      ...(output === undefined ? {} : { output }),
      ...(relay === undefined ? {} : { relay }),
      ...(name === undefined ? {} : { name }),
      patterns: patterns.length > 0 ? patterns : ['*'],
      ...(flag(parsed, 'no-node') ? { noNode: true } : {}),
      ...(nodeSession === undefined ? {} : { node: nodeSession }),
      overwrite: flag(parsed, 'overwrite'),
      ...(filter === undefined ? {} : { filter }),
      ...(subbufSize === undefined ? {} : { subbufSize }),
      ...(subbufCount === undefined ? {} : { subbufCount }),
      ...(statusDir === undefined ? {} : { statusDir }),
      ...(progressWanted ? { progress: true } : {}),
    };
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      [RECORD_ENV]: JSON.stringify(config),
      NODE_OPTIONS: nodeOptions(process.env.NODE_OPTIONS, preloadUrl),
      // One clock for every process (src/ring/clock.ts), unless an outer record set it already.
      [CLOCK_EPOCH_ENV]: process.env[CLOCK_EPOCH_ENV] ?? String(epochMinusMonotonicNs()),
    };
    if (flag(parsed, 'control')) env[CONTROL_ENV] = '1';

    const progress = statusDir === undefined || !progressWanted ? undefined : new ProgressLine(statusDir, output ?? '', config.overwrite);
    progress?.start();
    let exitCode: number;
    let statuses: RecordStatus[] = [];
    try {
      exitCode = await waitForChild(file, childArgs, env);
    } finally {
      progress?.stop();
      if (statusDir !== undefined) {
        statuses = readStatuses(statusDir);
        rmSync(statusDir, { recursive: true, force: true });
      }
    }
    if (!quiet && output !== undefined) process.stderr.write(`${recordSummary(output, shownDir, statuses, exitCode, commandWords).join('\n')}\n`);
    if (!quiet && output === undefined && exitCode !== 0) process.stderr.write(`tracemark: the command failed (exit status ${exitCode})\n`);
    // A process that ended on an error before it ran (a main module not found) declared nothing:
    // the failure line says so, the zero-result warnings would only add noise.
    const failedEarly = statuses.some((status) => status.error !== undefined);
    if (!quiet && output !== undefined && !failedEarly) for (const line of recordWarnings(output, patterns.length > 0 ? patterns : ['*'], filter)) process.stderr.write(`${line}\n`);
    if (!quiet && relay !== undefined) process.stderr.write(`tracemark: streamed to ${relay} as session ${name as string}; live: babeltrace2 net://RELAYHOST:5344/host/${hostname()}/${name as string}\n`);
    return exitCode;
  },
};
