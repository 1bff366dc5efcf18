/**
 * Issue 10 §3: tracemark against babeltrace2 on the same real LTTng-UST trace, recorded here by
 * the C program of test/lttng (tick events, per-uid buffers, large sub-buffers so nothing is lost).
 * Each side runs as its own process under /usr/bin/time (wall time and max RSS), the sides
 * interleaved, each pair repeated; the table gives medians and ratios (babeltrace2 / tracemark
 * wall time, and of CPU time, user + sys: > 1 means tracemark is faster). Max RSS: the largest of the runs.
 *
 *   node dist/bench/read-lttng.js [--events N] [--runs R]     (default 1M events, 3 runs)
 *   node dist/bench/read-lttng.js --events 1000000,10000000   (one table per size)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp, lttngUnavailable, runApp, sessionName, startLttng } from '../test/lttng/support.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');
const DECODE = join(dirname(fileURLToPath(import.meta.url)), 'read-lttng-decode.js');

interface Measure { wallS: number; cpuS: number; maxRssKb: number }

function measure(cmd: string, args: string[]): Measure {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.slice(-2000)}`);
  const last = r.stderr.trim().split('\n').pop() as string;
  const [wall, rss, user, sys] = last.split(' ').map(Number);
  return { wallS: wall, cpuS: user + sys, maxRssKb: rss };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function lttngReadBenchmarks(events: number, runs: number): void {
  const why = lttngUnavailable();
  if (why !== undefined) {
    console.log(`\n## Reading a real LTTng-UST trace: skipped (${why})`);
    return;
  }
  const lttng = startLttng();
  const work = mkdtempSync(join(tmpdir(), 'tracemark-bench-lttng-'));
  try {
    const app = buildApp(work);
    const name = sessionName();
    const dir = join(work, 'trace');
    lttng.run(['create', name, `--output=${dir}`]);
    lttng.run(['enable-channel', '-u', '-s', name, 'ch0', '--subbuf-size=4M', '--num-subbuf=8', '--blocking-timeout=inf']);
    lttng.run(['enable-event', '-u', '-s', name, '-c', 'ch0', 'tmtest:tick']);
    lttng.run(['start', name]);
    runApp(lttng, app, ['0', String(events)]);
    lttng.run(['stop', name]);
    lttng.run(['destroy', name]);
    const du = spawnSync('du', ['-sm', dir], { encoding: 'utf8' }).stdout.split('\t')[0];
    const node = process.execPath;
    const sides: [string, string, string[]][] = [
      ['babeltrace2 DIR (text)', 'babeltrace2', [dir]],
      ['tracemark print DIR', node, [CLI, 'print', '-q', dir]],
      ['babeltrace2 -c sink.utils.counter', 'babeltrace2', ['-c', 'sink.utils.counter', dir]],
      ['tracemark stats DIR', node, [CLI, 'stats', dir]],
      ['readTraceSync (library decode)', node, [DECODE, dir]],
      ['readTrace (streaming library decode)', node, [DECODE, dir, '--async']],
      ['readTraceBatches (streaming, batches)', node, [DECODE, dir, '--batches']],
    ];
    const results = new Map<string, Measure[]>(sides.map(([label]) => [label, []]));
    for (let run = 0; run < runs; run++) {
      // Interleaved: each run measures every side once, in turn, so load changes hit all sides.
      for (const [label, cmd, args] of sides) (results.get(label) as Measure[]).push(measure(cmd, args));
    }
    const med = (label: string): Measure => {
      const list = results.get(label) as Measure[];
      return { wallS: median(list.map((m) => m.wallS)), cpuS: median(list.map((m) => m.cpuS)), maxRssKb: Math.max(...list.map((m) => m.maxRssKb)) };
    };
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log(`\n## Reading a real LTTng-UST trace: ${events} events (${du} MB), ${runs} interleaved runs, medians`);
    console.log(`Load average at the end: ${load} (2 cores; other work may share the machine: figures are noisy, CPU time less so).\n`);
    console.log('| side | wall s | CPU s (user+sys) | max RSS MB (max of runs) | runs (wall s) |');
    console.log('|---|---:|---:|---:|---|');
    for (const [label] of sides) {
      const m = med(label);
      console.log(`| ${label} | ${m.wallS.toFixed(2)} | ${m.cpuS.toFixed(2)} | ${(m.maxRssKb / 1024).toFixed(0)} | ${(results.get(label) as Measure[]).map((x) => x.wallS.toFixed(2)).join(', ')} |`);
    }
    const ratio = (a: string, b: string, key: 'wallS' | 'cpuS'): string => (med(a)[key] / med(b)[key]).toFixed(2);
    console.log('\n| comparison (babeltrace2 / tracemark) | wall-time ratio | CPU-time ratio | target |');
    console.log('|---|---:|---:|---:|');
    const row = (what: string, a: string, b: string, target: string): void => {
      console.log(`| ${what} | ${ratio(a, b, 'wallS')} | ${ratio(a, b, 'cpuS')} | ${target} |`);
    };
    row('print vs babeltrace2 text', 'babeltrace2 DIR (text)', 'tracemark print DIR', '>= 2');
    row('stats vs sink.utils.counter', 'babeltrace2 -c sink.utils.counter', 'tracemark stats DIR', '>= 1.5');
    row('library decode vs sink.utils.counter', 'babeltrace2 -c sink.utils.counter', 'readTraceSync (library decode)', '>= 1.5');
    row('streaming decode vs sink.utils.counter', 'babeltrace2 -c sink.utils.counter', 'readTrace (streaming library decode)', '>= 1.5');
    row('streaming batches vs sink.utils.counter', 'babeltrace2 -c sink.utils.counter', 'readTraceBatches (streaming, batches)', '>= 1.5');
  } finally {
    lttng.close();
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name: string, fallback: number): number => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const i = process.argv.indexOf('--events');
  const sizes = i >= 0 ? (process.argv[i + 1] as string).split(',').map(Number) : [1_000_000];
  for (const events of sizes) lttngReadBenchmarks(events, arg('--runs', 3));
}
