/**
 * Start-up cost of tracemark: whole `node` processes, paired with `node -e 0`.
 *
 *   node dist/bench/startup.js [--runs N] [--package DIR] [--hyperfine] [--compile-cache]
 *
 * Each round runs every case once, in a rotated order, and the figure of a case is the median,
 * over the rounds, of (case − baseline of the same round): a load spike hits both sides of a
 * pair, so the difference is steadier than two separately measured means. Each run is timed by
 * bash's `time` (wall clock, and user + system CPU of the process): on a loaded machine the CPU
 * time is the steadier figure, as waiting for a core does not count in it. `--package DIR`
 * measures another copy of tracemark (built, e.g. an older commit) instead of this one;
 * `--hyperfine` also runs Debian's hyperfine on the same commands (its own medians). The case of
 * an installed empty package (imported by name from a temporary app) is what Node's ES module
 * loader costs any app for its first `import 'name'`, before tracemark's own code.
 * `--compile-cache` runs every case with Node's on-disk compile cache (`NODE_COMPILE_CACHE`, a
 * temporary directory filled by the warm-up runs; Node 22.1+, ignored by Node 20): what an app or
 * CLI that turns the cache on for itself pays.
 * Prints a Markdown table; exit 0 (no target decides the exit code: the machine is shared).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Case {
  name: string;
  args: string[];
  /** The limit over `node -e 0` the issue sets, in ms (undefined: informative only). */
  targetMs?: number;
  /** Where the process runs (default: the package, so that `tracemark` resolves to it). */
  cwd?: string;
}

/**
 * An app with one installed package that exports one constant: what Node's ES module loader
 * costs for any first `import 'name'` (resolving a bare name, reading package.json, loading a
 * file), before tracemark's own code. Removed at exit.
 */
function emptyPackageApp(): string {
  const app = mkdtempSync(join(tmpdir(), 'tm-startup-app-'));
  const pkg = join(app, 'node_modules', 'empty-esm-package');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(app, 'package.json'), '{"name":"app","private":true,"type":"module"}\n');
  writeFileSync(join(pkg, 'package.json'), '{"name":"empty-esm-package","version":"1.0.0","type":"module","exports":{".":"./index.js"}}\n');
  writeFileSync(join(pkg, 'index.js'), 'export const value = 0;\n');
  process.on('exit', () => rmSync(app, { recursive: true, force: true }));
  return app;
}
const EMPTY_PACKAGE_APP = emptyPackageApp();

const MARKER_SOURCE = "import { marker } from 'tracemark'; marker('app:start', 'n %u')(1);";

const CASES: Case[] = [
  { name: '`node -e 0` (baseline)', args: ['-e', '0'] },
  { name: '`node --input-type=module -e 0` (ES module baseline)', args: ['--input-type=module', '-e', '0'] },
  { name: "`import 'empty-esm-package'`, an installed package of one constant (Node's loader alone)", args: ['--input-type=module', '-e', "import 'empty-esm-package';"], cwd: EMPTY_PACKAGE_APP },
  { name: "`import { marker } from 'tracemark'`, one marker declared and fired (off)", args: ['--input-type=module', '-e', MARKER_SOURCE], targetMs: 5 },
  { name: '`node --import tracemark/preload -e 0`, nothing to record', args: ['--import', 'tracemark/preload', '-e', '0'], targetMs: 5 },
];

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const runs = Number(option('--runs') ?? 30);
const packageDir = resolve(option('--package') ?? fileURLToPath(new URL('../../', import.meta.url)));
const version = (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
// Bare `tracemark` resolves from inside the package (self-reference through its `exports`).
const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
delete env.TRACEMARK_RECORD;
delete env.TRACEMARK_CONTROL;
delete env.NODE_COMPILE_CACHE;
const compileCache = process.argv.includes('--compile-cache');
if (compileCache) {
  const cacheDir = mkdtempSync(join(tmpdir(), 'tm-startup-compile-cache-'));
  env.NODE_COMPILE_CACHE = cacheDir;
  process.on('exit', () => rmSync(cacheDir, { recursive: true, force: true }));
}

interface Run { wallMs: number; cpuMs: number }

const TIMED = 'TIMEFORMAT="%3R %3U %3S"; time "$@" >/dev/null 2>&1';

function runOnce(c: Case): Run {
  const result = spawnSync('bash', ['-c', TIMED, 'bash', process.execPath, ...c.args], { cwd: c.cwd ?? packageDir, env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (result.error !== undefined) throw result.error;
  if (result.status !== 0) {
    const again = spawnSync(process.execPath, c.args, { cwd: c.cwd ?? packageDir, env, encoding: 'utf8' });
    throw new Error(`${c.name} failed (exit ${String(result.status)}): ${again.stderr}`);
  }
  const [real, user, system] = result.stderr.toString().trim().split(/\s+/).map(Number);
  return { wallMs: real * 1000, cpuMs: (user + system) * 1000 };
}

function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

const sortedOf = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);
const fmt = (ms: number): string => ms.toFixed(1);

for (const c of CASES) runOnce(c); // warm the page cache
const runsOf: Run[][] = CASES.map(() => []);
for (let round = 0; round < runs; round++) {
  for (let k = 0; k < CASES.length; k++) {
    const index = (round + k) % CASES.length;
    runsOf[index].push(runOnce(CASES[index]));
  }
}

console.log(`## Start-up — tracemark ${version}, node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${runs} rounds${compileCache ? ', with NODE_COMPILE_CACHE' : ''}`);
console.log('');
console.log('| case | wall: median ms | wall: median of (case − baseline) ms [p25, p75] | wall ratio | CPU: median ms | CPU: median of (case − baseline) ms [p25, p75] | CPU ratio | target (over the baseline) |');
console.log('|---|---|---|---|---|---|---|---|');
const column = (pick: (r: Run) => number, i: number): string[] => {
  const values = runsOf[i].map(pick);
  const median = quantile(sortedOf(values), 0.5);
  const baseMedian = quantile(sortedOf(runsOf[0].map(pick)), 0.5);
  if (i === 0) return [fmt(median), '', '1.00'];
  const diffs = sortedOf(values.map((v, round) => v - pick(runsOf[0][round])));
  return [fmt(median), `${fmt(quantile(diffs, 0.5))} [${fmt(quantile(diffs, 0.25))}, ${fmt(quantile(diffs, 0.75))}]`, (median / baseMedian).toFixed(2)];
};
CASES.forEach((c, i) => {
  let verdict = '';
  if (c.targetMs !== undefined) {
    const diffOf = (pick: (r: Run) => number): number => quantile(sortedOf(runsOf[i].map((r, round) => pick(r) - pick(runsOf[0][round]))), 0.5);
    const wall = diffOf((r) => r.wallMs) <= c.targetMs ? 'met' : 'missed';
    const cpu = diffOf((r) => r.cpuMs) <= c.targetMs ? 'met' : 'missed';
    verdict = `≤ ${c.targetMs} ms: wall ${wall}, CPU ${cpu}`;
  }
  console.log(`| ${c.name} | ${column((r) => r.wallMs, i).join(' | ')} | ${column((r) => r.cpuMs, i).join(' | ')} | ${verdict} |`);
});

if (process.argv.includes('--hyperfine')) {
  const dir = mkdtempSync(join(tmpdir(), 'tm-startup-'));
  try {
    const json = join(dir, 'hyperfine.json');
    const quote = (arg: string): string => `'${arg.replace(/'/g, `'\\''`)}'`;
    // hyperfine runs every command in one directory: the cases that need another are left out.
    const inPackage = CASES.filter((c) => c.cwd === undefined);
    const commands = inPackage.map((c) => [process.execPath, ...c.args].map(quote).join(' '));
    const result = spawnSync('hyperfine', ['-N', '--warmup', '3', '--runs', String(runs), '--export-json', json, ...commands], { cwd: packageDir, env, stdio: ['ignore', 'ignore', 'inherit'] });
    if (result.error !== undefined || result.status !== 0) {
      console.log('\nhyperfine did not run:', result.error?.message ?? `exit ${String(result.status)}`);
    } else {
      const results = (JSON.parse(readFileSync(json, 'utf8')) as { results: { median: number }[] }).results;
      const base = results[0].median * 1000;
      console.log('\nhyperfine (not interleaved: each command its own block of runs):\n');
      console.log('| case | median ms | median − baseline ms | ratio |');
      console.log('|---|---|---|---|');
      results.forEach((r, i) => {
        const ms = r.median * 1000;
        console.log(`| ${inPackage[i].name} | ${fmt(ms)} | ${i === 0 ? '' : fmt(ms - base)} | ${(ms / base).toFixed(2)} |`);
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
