/**
 * Issue 2 benchmarks: the marker's cost disabled, enabled into an overwrite ring, behind a
 * rejecting filter, next to an empty loop, diagnostics_channel, clock reads and pino. Each group
 * runs in a process of its own (bench/hot-case.ts), its peers beside it in that process.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { printTable, type Measure } from './harness.js';

const caseScript = fileURLToPath(new URL('./hot-case.js', import.meta.url));

function runGroup(name: string): Measure[] {
  const result = spawnSync(process.execPath, [caseScript, name], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`benchmark group ${name} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Measure[];
}

/** Each row of a group next to the group's first measure, taken in the same process. */
function withReference(group: Measure[]): { row: Measure; reference: Measure }[] {
  return group.map((row) => ({ row, reference: group[0] }));
}

export async function hotPathBenchmarks(): Promise<void> {
  printTable('Disabled marker', ['disabled', 'cycles'].map(runGroup).flatMap(withReference));
  printTable('Enabled marker `a %d b %d c %ld s %s` fired with (i, i, i, "hello")',
    ['enabled', 'callback', 'expression', 'peers'].map(runGroup).flatMap(withReference));
}
