#!/usr/bin/env node
/**
 * The tracemark command line: record, list, print, stats, ctl (docs/cli.md).
 * Every failure is one line on stderr, `tracemark: CODE: message`, and a non-zero exit status.
 */
import { readFileSync } from 'node:fs';
import { usageError } from './args.js';
import type { Command } from './command.js';
import { withDocReferences } from './help.js';
import { Output, OutputClosed, exitCodeFor, reportError } from './output.js';

/**
 * Each command's module, loaded only when that command runs: the reader, the writer, the
 * exporters and the control client each cost start-up time (on a 1M-event trace, loading every
 * command was half of what `stats` took).
 */
const COMMAND_LOADERS: Readonly<Record<string, () => Promise<Command>>> = {
  record: async () => (await import('./cmd-record.js')).recordCommand,
  list: async () => (await import('./cmd-list.js')).listCommand,
  print: async () => (await import('./cmd-print.js')).printCommand,
  stats: async () => (await import('./cmd-stats.js')).statsCommand,
  export: async () => (await import('./cmd-export.js')).exportCommand,
  view: async () => (await import('./cmd-view.js')).viewCommand,
  ctl: async () => (await import('./cmd-ctl.js')).ctlCommand,
};
const COMMAND_NAMES = Object.keys(COMMAND_LOADERS);

function loadCommand(name: string | undefined): Promise<Command> | undefined {
  return name !== undefined && Object.hasOwn(COMMAND_LOADERS, name) ? COMMAND_LOADERS[name]() : undefined;
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

async function overview(): Promise<string> {
  const commands = await Promise.all(COMMAND_NAMES.map((name) => COMMAND_LOADERS[name]()));
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: tracemark COMMAND [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'tracemark COMMAND --help describes each command; tracemark --version prints the version.',
    'Documentation: docs/cli.md (every command), docs/api.md (the library).',
    'Exit status: 0 on success, 1 on failure, 2 on usage errors; record returns the program\'s own.',
  ].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    const command = await loadCommand(topic);
    if (topic !== undefined && command === undefined) throw usageError(`unknown command ${JSON.stringify(topic)}; commands: ${COMMAND_NAMES.join(', ')}`);
    const out = new Output();
    out.line(withDocReferences(command?.help ?? await overview()));
    out.flush();
    return 0;
  }
  if (name === '--version' || name === '-V') {
    const out = new Output();
    out.line(version());
    out.flush();
    return 0;
  }
  if (name === undefined) throw usageError(`missing command: ${COMMAND_NAMES.join(', ')} (see tracemark --help)`);
  const command = await loadCommand(name);
  if (command === undefined) {
    const what = name.startsWith('-') ? `unknown option ${name}` : `unknown command ${JSON.stringify(name)}`;
    throw usageError(`${what}; commands: ${COMMAND_NAMES.join(', ')} (see tracemark --help)`);
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    if (error instanceof OutputClosed) {
      process.exitCode = 0;
      return;
    }
    reportError(error);
    process.exitCode = exitCodeFor(error);
  },
);
