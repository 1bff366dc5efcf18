/**
 * Issue 9 benchmarks: `tracemark export` (chrome, perfetto) and `tracemark view` on 1M- and
 * 10M-event traces of the benchmark event — wall time, max RSS, output bytes per event, each
 * beside `tracemark print > /dev/null` (reading and formatting the same trace: the ratio says what
 * the export costs over reading) — and the load time of the view page in headless Chromium.
 * Runs the CLI as child processes (`/usr/bin/time` gives their max RSS), one after the other.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { recordToDisk } from './disk.js';
import { perfettoByteAccounting } from './perfetto-bytes.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

interface Run {
  seconds: number;
  maxRssMiB: number;
  bytes: number;
}

function timed(args: string[], out: string | undefined): Run {
  const result = spawnSync('/usr/bin/time', ['-f', '%e %M', process.execPath, CLI, ...args], {
    encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 24,
  });
  const last = result.stderr.trim().split('\n').pop() ?? '';
  const [seconds, rssKiB] = last.split(' ').map(Number);
  if (result.status !== 0 || !Number.isFinite(seconds)) throw new Error(`tracemark ${args.join(' ')} failed: ${result.stderr}`);
  return { seconds, maxRssMiB: rssKiB / 1024, bytes: out === undefined ? 0 : statSync(out).size };
}

interface PageLoad { firstFrameMs: number; readyMs: number; drawMs: number; errors: number }

/** One load in a fresh browser: ms from navigation start to the first frame and to everything loaded. */
async function pageLoad(file: string): Promise<PageLoad> {
  const { openBrowser } = await import('../test/view/browser.js');
  const b = await openBrowser();
  try {
    await b.page.goto(`file://${file}`, { timeout: 300_000, waitUntil: 'commit' });
    await b.page.waitForSelector('body[data-ready="true"]', { timeout: 300_000 });
    const t = await b.page.evaluate(() => {
      const v = (globalThis as unknown as { tracemarkView: { firstFrameMs: number; readyAtMs: number; lastDrawMs(): number } }).tracemarkView;
      return { firstFrameMs: v.firstFrameMs, readyMs: v.readyAtMs, drawMs: v.lastDrawMs() };
    });
    return { ...t, errors: b.errors.length };
  } finally {
    await b.close();
  }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const LOADS = 3;

export async function viewBenchmarks(counts: readonly number[] = [1_000_000, 10_000_000]): Promise<void> {
  console.log('\n## Export and view of the benchmark event (`a %d b %d c %ld s %s`)');
  console.log('Child processes, one at a time; max RSS from /usr/bin/time; "ratio" = time / time of `tracemark print DIR > /dev/null` on the same trace.');
  console.log('| events | command | wall s | ratio to print | max RSS MiB | output bytes/event |');
  console.log('|---|---|---|---|---|---|');
  const loads: string[] = [];
  const accounting: [number, ReturnType<typeof perfettoByteAccounting>][] = [];
  for (const count of counts) {
    const recorded = await recordToDisk(count, true);
    const dir = recorded.dir;
    const n = recorded.written;
    const work = dirname(dir);
    try {
      const print = timed(['print', dir], undefined);
      console.log(`| ${n.toLocaleString('en')} | print > /dev/null | ${print.seconds.toFixed(2)} | 1.00 | ${print.maxRssMiB.toFixed(0)} | — |`);
      const cases: [string, string[], string][] = [
        ['export --format chrome', ['export', dir, '-o', join(work, 'out.json')], join(work, 'out.json')],
        ['export --format perfetto', ['export', dir, '--format', 'perfetto', '-o', join(work, 'out.pftrace')], join(work, 'out.pftrace')],
        ['view', ['view', dir, '-o', join(work, 'view.html')], join(work, 'view.html')],
      ];
      for (const [label, args, out] of cases) {
        const r = timed(args, out);
        console.log(`| ${n.toLocaleString('en')} | ${label} | ${r.seconds.toFixed(2)} | ${(r.seconds / print.seconds).toFixed(2)} | ${r.maxRssMiB.toFixed(0)} | ${(r.bytes / n).toFixed(1)} |`);
        if (label === 'export --format perfetto') accounting.push([n, perfettoByteAccounting(out)]);
        if (label !== 'view') rmSync(out, { force: true });
      }
      const page = join(work, 'view.html');
      if (existsSync('/usr/bin/chromium')) {
        const runs: PageLoad[] = [];
        for (let i = 0; i < LOADS; i++) runs.push(await pageLoad(page));
        const list = (pick: (r: PageLoad) => number): string => `**${median(runs.map(pick)).toFixed(0)}** (${runs.map((r) => pick(r).toFixed(0)).join(', ')})`;
        loads.push(`| ${n.toLocaleString('en')} | ${(statSync(page).size / 1e6).toFixed(1)} MB | ${list((r) => r.firstFrameMs)} | ${list((r) => r.readyMs)} | ${median(runs.map((r) => r.drawMs)).toFixed(0)} | ${runs.reduce((e, r) => e + r.errors, 0)} | ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} |`);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  console.log('\n## Perfetto export: bytes per event, by part (the event packets walked on the wire, inflated)');
  console.log(`| part | ${accounting.map(([n]) => n.toLocaleString('en')).join(' | ')} |`);
  console.log(`|---|${accounting.map(() => '---|').join('')}`);
  const partNames = [...new Set(accounting.flatMap(([, a]) => a.parts.map(([k]) => k)))];
  for (const name of partNames) console.log(`| ${name} | ${accounting.map(([, a]) => (a.parts.find(([k]) => k === name)?.[1] ?? 0).toFixed(2)).join(' | ')} |`);
  console.log(`| **total, plain packets** | ${accounting.map(([, a]) => `**${a.plainBytesPerEvent.toFixed(2)}**`).join(' | ')} |`);
  console.log(`| **the file: packets deflated in compressed_packets (the default)** | ${accounting.map(([, a]) => `**${a.bytesPerEvent.toFixed(2)}**`).join(' | ')} |`);
  console.log(`\n## View page in headless Chromium (Debian chromium, playwright-core), ${LOADS} loads, median (each load)`);
  console.log('ms from navigation start: first frame = every kept event drawn (zoom and pan work); loaded = field columns decoded too (hover, search).');
  console.log('| events | page size | first frame, ms | loaded, ms | one redraw of the whole trace, ms | console errors | load average |');
  console.log('|---|---|---|---|---|---|---|');
  for (const line of loads) console.log(line);
}
