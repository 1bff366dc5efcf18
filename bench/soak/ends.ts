/**
 * Every way a process ends (issue 12, section 2), as figures: the matrix of
 * test/reliability/record-matrix.test.ts (normal end, process.exit() in the hot loop, uncaught
 * exception, unhandled rejection, SIGTERM/SIGINT/SIGHUP without a handler, the app's own
 * handler, SIGKILL, a child that aborts), with the application's own session and through
 * `tracemark record`, repeated for some rounds. Per end: the exit status must be the
 * program's, babeltrace2 must read the trace without a warning, and it must hold every event
 * fired (SIGKILL: the packets written before it), none lost.
 *
 *   node dist/bench/soak/ends.js           # 1 round (20 runs)
 *   node dist/bench/soak/ends.js --soak    # 3 rounds (~2 min on a loaded host)
 * Prints a Markdown section; exit status 1 when a check failed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..', ...(import.meta.url.includes('/dist/') ? ['..'] : []));
const ctfcheckPath = join(repoRoot, 'test', 'support', 'ctfcheck.py');
const app = join(repoRoot, 'test', 'reliability', 'fixtures', 'end-app.mjs');
const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const COUNT = 5000;

interface End { mode: string; what: string; code?: number; signal?: NodeJS.Signals; events: number | 'some' }

const ENDS: End[] = [
  { mode: 'normal', what: 'normal end', code: 0, events: COUNT },
  { mode: 'exit', what: '`process.exit(3)` in the hot loop', code: 3, events: COUNT },
  { mode: 'throw', what: 'uncaught exception', code: 1, events: COUNT },
  { mode: 'reject', what: 'unhandled rejection', code: 1, events: COUNT },
  { mode: 'SIGTERM', what: 'SIGTERM, no handler', signal: 'SIGTERM', events: COUNT },
  { mode: 'SIGINT', what: 'SIGINT, no handler', signal: 'SIGINT', events: COUNT },
  { mode: 'SIGHUP', what: 'SIGHUP, no handler', signal: 'SIGHUP', events: COUNT },
  { mode: 'own-handler', what: 'SIGTERM, the app\'s handler exits 7', code: 7, events: COUNT },
  { mode: 'SIGKILL', what: 'SIGKILL', signal: 'SIGKILL', events: 'some' },
  { mode: 'child-crash', what: 'a child process aborts (SIGABRT)', code: 0, events: COUNT + 1 },
];

export interface EndRow {
  end: string;
  way: 'app session' | 'record';
  runs: number;
  statusOk: number;
  expectedStatus: string;
  readCleanly: number;
  eventsMin: number;
  eventsMax: number;
  expectedEvents: number | 'some';
  lost: number;
}

export interface EndsResult { rows: EndRow[]; failures: string[]; ms: number }

function check(dir: string): { ok: boolean; events: number; discarded: number; output: string } {
  const run = spawnSync('/usr/bin/python3', [ctfcheckPath, dir, '--json'], { encoding: 'utf8', timeout: 120_000 });
  const output = `${run.stdout}${run.stderr}`;
  try {
    const summary = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as { events: number; discarded_events: { count: number | null }[] };
    return { ok: run.status === 0, events: summary.events, discarded: summary.discarded_events.reduce((sum, d) => sum + (d.count ?? 1), 0), output };
  } catch {
    return { ok: false, events: 0, discarded: 0, output };
  }
}

export function processEnds(rounds: number): EndsResult {
  const started = performance.now();
  const base = mkdtempSync(join(tmpdir(), 'tracemark-ends-'));
  const failures: string[] = [];
  const rows: EndRow[] = [];
  try {
    for (const way of ['app session', 'record'] as const) {
      for (const end of ENDS) {
        const status = end.signal === undefined ? end.code! : way === 'record' ? 128 + constants.signals[end.signal] : end.signal;
        const row: EndRow = { end: end.what, way, runs: 0, statusOk: 0, expectedStatus: String(status), readCleanly: 0, eventsMin: Infinity, eventsMax: 0, expectedEvents: end.events, lost: 0 };
        for (let round = 0; round < rounds; round++) {
          const dir = join(base, `${way === 'record' ? 'rec' : 'app'}-${end.mode}-${round}`);
          const run = way === 'record'
            ? spawnSync(process.execPath, [cli, 'record', '-q', '-e', 'end:*', '-o', dir, '--', process.execPath, app, end.mode, String(COUNT)], { encoding: 'utf8', timeout: 60_000 })
            : spawnSync(process.execPath, [app, end.mode, String(COUNT), dir], { encoding: 'utf8', timeout: 60_000 });
          row.runs++;
          const got = run.signal ?? run.status;
          if (String(got) === String(status)) row.statusOk++;
          else failures.push(`${end.what} (${way}): exit ${String(got)}, expected ${String(status)}: ${run.stderr.slice(0, 300)}`);
          const read = check(dir);
          row.eventsMin = Math.min(row.eventsMin, read.events);
          row.eventsMax = Math.max(row.eventsMax, read.events);
          row.lost += read.discarded;
          const eventsOk = end.events === 'some' ? read.events <= COUNT : read.events === end.events;
          if (read.ok && eventsOk && read.discarded === 0) row.readCleanly++;
          else failures.push(`${end.what} (${way}): babeltrace2 read ${read.events} events, ${read.discarded} discarded (expected ${end.events}, 0)${read.ok ? '' : `; ${read.output.slice(0, 300)}`}`);
          rmSync(dir, { recursive: true, force: true });
        }
        rows.push(row);
      }
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  return { rows, failures, ms: performance.now() - started };
}

export function endsMarkdown(r: EndsResult): string {
  return [
    '## Every way a process ends',
    '',
    `${COUNT} events fired, then the end; the application's own session (exit status: the program's; "SIGTERM" = killed by it) and \`tracemark record\` (128 + n for a signal). "read cleanly": babeltrace2 read the trace without a warning, with every event fired (SIGKILL: the packets written before it, up to all) and none discarded. ${(r.ms / 1000).toFixed(0)} s in all.`,
    '',
    '| end | with | runs | exit status as expected | expected | read cleanly | events read (min-max) | expected events | events lost |',
    '|---|---|---:|---:|---|---:|---:|---:|---:|',
    ...r.rows.map((row) => `| ${row.end} | ${row.way} | ${row.runs} | ${row.statusOk} | ${row.expectedStatus} | ${row.readCleanly} | ${row.eventsMin}-${row.eventsMax} | ${row.expectedEvents === 'some' ? `≤ ${COUNT}` : row.expectedEvents} | ${row.lost} |`),
    '',
    r.failures.length === 0 ? 'All checks passed.' : r.failures.slice(0, 20).map((f) => `- **${f}**`).join('\n'),
    '',
  ].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const result = processEnds(process.argv.includes('--soak') ? 3 : 1);
  process.stdout.write(endsMarkdown(result));
  process.exitCode = result.failures.length === 0 ? 0 : 1;
}
