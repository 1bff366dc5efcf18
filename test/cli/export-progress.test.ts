/**
 * The progress line of `export` and `view`: on a terminal (a real pseudo-terminal from
 * util-linux's `script`) stderr shows it, rewritten with \r, and ends with the totals; through
 * a pipe there is none. The line's rhythm (every 16384 events, at most 4 a second) with an
 * injected terminal and clock.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { marker, Session } from '../../src/index.js';
import { ProgressReporter } from '../../src/cli/cmd-export.js';
import { CLI, tempDir, tracemark } from './helpers.js';

const work = tempDir('tracemark-progress-');
const dir = join(work.path, 'trace');
const EVENTS = 100_000;
after(() => work.remove());

before(async () => {
  const ev = marker('prog:ev', 'i %u s %s');
  const session = new Session({ output: dir });
  session.enable('prog:ev');
  session.start();
  for (let i = 0; i < EVENTS; i++) ev(i, 'x');
  await session.close();
});

const SCRIPT = '/usr/bin/script';
const skip = existsSync(SCRIPT) ? false : 'no /usr/bin/script (util-linux)';

/** Runs the CLI on a pseudo-terminal; what the terminal showed (stdout and stderr both). */
function onTerminal(args: string[]): { status: number | null; screen: string } {
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, CLI, ...args].map(quote).join(' ');
  const run = spawnSync(SCRIPT, ['-q', '-e', '-c', command, '/dev/null'], { encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, screen: run.stdout };
}

// eslint-disable-next-line no-control-regex
const FINAL = (label: string): RegExp => new RegExp(`\\r\\x1b\\[Ktracemark ${label.replace(/[()]/g, '\\$&')}: 100,000 events, [0-9.]+ [KMG]?i?B\\r?\\n`);

test('export on a terminal: a progress line on stderr that ends with the totals', { skip }, () => {
  for (const format of ['chrome', 'perfetto']) {
    const out = join(work.path, `out-${format}`);
    const { status, screen } = onTerminal(['export', dir, '--format', format, '-o', out]);
    assert.equal(status, 0, screen);
    assert.match(screen, FINAL(`export (${format})`), JSON.stringify(screen));
    // Any line before the last one is a running count, rewritten in place.
    for (const m of screen.matchAll(/\r\x1b\[Ktracemark [^\r\n]*/g)) assert.match(m[0], /: [0-9,]+ events( read, [0-9.]+ [KMG]?i?B written|, [0-9.]+ [KMG]?i?B)$/);
    assert.ok(statSync(out).size > 0);
  }
});

test('view on a terminal shows the same line', { skip }, () => {
  const { status, screen } = onTerminal(['view', dir, '-o', join(work.path, 'view.html')]);
  assert.equal(status, 0, screen);
  assert.match(screen, FINAL('view'), JSON.stringify(screen));
});

test('through a pipe: no progress line, stderr stays clean', () => {
  const run = tracemark(['export', dir, '-o', join(work.path, 'piped.json')]);
  assert.equal(run.status, 0, run.stderr);
  assert.doesNotMatch(run.stderr, /\x1b\[K|events read/);
});

test('the line: every 16384 events, at most every 250 ms, \\r-rewritten, a newline at the end', () => {
  let now = 1_000;
  const written: string[] = [];
  const p = new ProgressReporter('export (chrome)', true, { write: (t) => written.push(t) }, () => now);
  p.tick(16_384, 10);
  assert.deepEqual(written, [], 'not before 250 ms');
  now += 300;
  p.tick(16_383, 10);
  assert.deepEqual(written, [], 'only on multiples of 16384');
  p.tick(32_768, 2048);
  assert.deepEqual(written, ['\r\x1b[Ktracemark export (chrome): 32,768 events read, 2.00 KiB written']);
  p.tick(49_152, 4096);
  assert.equal(written.length, 1, 'at most 4 a second');
  p.done(50_000, 1 << 20);
  assert.equal(written[1], '\r\x1b[Ktracemark export (chrome): 50,000 events, 1.00 MiB\n');
  const off: string[] = [];
  const quiet = new ProgressReporter('x', false, { write: (t) => off.push(t) }, () => now);
  now += 1000;
  quiet.tick(16_384, 1);
  quiet.done(1, 1);
  assert.deepEqual(off, []);
});
