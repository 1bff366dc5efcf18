/**
 * Runs bench/user-loop.ts many times per Node version and prints the distribution of the ratios.
 *
 *   node dist/bench/user-loop-runs.js [--runs 10] [--node /path/to/node ...] [--groups a,b]
 *
 * Every run of every group is a fresh process (no JIT history across runs or cases); the runs
 * of the groups are interleaved (run 1 of every group, then run 2, ...), so that a burst of load
 * on the machine spreads over the groups instead of hitting one. Prints a Markdown table per
 * Node version: min / median / max over the runs of each run's median pair ratio, and the GC
 * counts of the case next to its reference's.
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./user-loop.js', import.meta.url));
const ALL_GROUPS = ['fresh', 'cycles', 'guarded', 'enabledFresh', 'enabled', 'filtered', 'disk'];

interface PairedResult {
  name: string;
  reference: string;
  ratio: number;
  minRatio: number;
  maxRatio: number;
  caseNs: number;
  referenceNs: number;
  caseGcs: number;
  referenceGcs: number;
  caseHeapGrowthKiB: number;
}

function parseArgs(argv: string[]): { runs: number; nodes: string[]; groups: string[] } {
  let runs = 10;
  const nodes: string[] = [];
  let groups = ALL_GROUPS;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--runs') runs = Number(argv[++i]);
    else if (arg === '--node') nodes.push(argv[++i]);
    else if (arg === '--groups') groups = argv[++i].split(',');
    else throw new Error(`unknown argument ${arg}`);
  }
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive integer');
  return { runs, nodes: nodes.length > 0 ? nodes : [process.execPath], groups };
}

function version(node: string): string {
  return spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
}

function runOnce(node: string, group: string): PairedResult {
  const result = spawnSync(node, [script, group], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${node} user-loop ${group} failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop() ?? '') as PairedResult;
}

const fmt = (x: number): string => x.toFixed(2);
const spread = (xs: number[]): string => {
  const s = [...xs].sort((a, b) => a - b);
  return `${fmt(s[0])} / **${fmt(s[Math.floor(s.length / 2)])}** / ${fmt(s[s.length - 1])}`;
};

const { runs, nodes, groups } = parseArgs(process.argv.slice(2));
for (const node of nodes) {
  const results = new Map<string, PairedResult[]>(groups.map((g) => [g, []]));
  const loads: number[] = [];
  for (let run = 0; run < runs; run++) {
    for (const group of groups) {
      loads.push(loadavg()[0]);
      results.get(group)!.push(runOnce(node, group));
    }
  }
  console.log(`\n### Node ${version(node)}: ${runs} runs per case, ${new Date().toISOString()}, load average ${fmt(Math.min(...loads))}–${fmt(Math.max(...loads))}`);
  console.log('| case | to | ratio min / **median** / max over runs | ns/iteration (median run) | GCs case / reference (all runs) |');
  console.log('|---|---|---|---|---|');
  for (const group of groups) {
    const rs = results.get(group)!;
    const ns = [...rs].sort((a, b) => a.ratio - b.ratio)[Math.floor(rs.length / 2)];
    const gcs = rs.reduce((n, r) => n + r.caseGcs, 0);
    const refGcs = rs.reduce((n, r) => n + r.referenceGcs, 0);
    console.log(`| ${rs[0].name.replace(/; lost.*/, '')} | ${rs[0].reference} | ${spread(rs.map((r) => r.ratio))} | ${fmt(ns.caseNs)} vs ${fmt(ns.referenceNs)} | ${gcs} / ${refGcs} |`);
  }
  const lost = results.get('disk')?.map((r) => /lost (\d+) of (\d+)/.exec(r.name)).filter((m) => m !== null) ?? [];
  if (lost.length > 0) console.log(`\nTo disk: events lost per run ${lost.map((m) => m![1]).join(', ')} (of ${lost[0]![2]} each).`);
}
