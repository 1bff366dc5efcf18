#!/usr/bin/env node
/**
 * The tracemark command line: record, list, print, stats, ctl (docs/cli.md).
 * Every failure is one line on stderr, `tracemark: CODE: message`, and a non-zero exit status.
 */
import { readFileSync } from 'node:fs';
import { usageError } from './args.js';
import { ctlCommand } from './cmd-ctl.js';
import { exportCommand } from './cmd-export.js';
import { listCommand } from './cmd-list.js';
import { printCommand } from './cmd-print.js';
import { recordCommand } from './cmd-record.js';
import { statsCommand } from './cmd-stats.js';
import { viewCommand } from './cmd-view.js';
import type { Command } from './command.js';
import { withDocReferences } from './help.js';
import { Output, OutputClosed, exitCodeFor, reportError } from './output.js';

const COMMANDS: readonly Command[] = [recordCommand, listCommand, printCommand, statsCommand, exportCommand, viewCommand, ctlCommand];

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: tracemark COMMAND [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
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
    const command = COMMANDS.find((c) => c.name === topic);
    if (topic !== undefined && command === undefined) throw usageError(`unknown command ${JSON.stringify(topic)}; commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
    const out = new Output();
    out.line(withDocReferences(command?.help ?? overview()));
    out.flush();
    return 0;
  }
  if (name === '--version' || name === '-V') {
    const out = new Output();
    out.line(version());
    out.flush();
    return 0;
  }
  if (name === undefined) throw usageError(`missing command: ${COMMANDS.map((c) => c.name).join(', ')} (see tracemark --help)`);
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    const what = name.startsWith('-') ? `unknown option ${name}` : `unknown command ${JSON.stringify(name)}`;
    throw usageError(`${what}; commands: ${COMMANDS.map((c) => c.name).join(', ')} (see tracemark --help)`);
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
