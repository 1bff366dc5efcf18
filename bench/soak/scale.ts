/**
 * Many markers and hostile patterns (issue 12, sections 0 and 4): N distinct markers declared
 * (10,000 by default, 100,000 with --soak), then a session writing a trace starts with `*`,
 * disables one marker, toggles one marker 1,000 times, and closes. Reports time, memory and the
 * metadata size; then the glob pattern that made a backtracking regex run for 38 s. Timings are
 * of a shared, loaded machine: an order of magnitude, not a benchmark.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { marker, Session } from '../../src/index.js';
import { compilePattern } from '../../src/session/rules.js';

function ms(since: number): string {
  return (performance.now() - since).toFixed(0);
}

const mib = (bytes: number): string => (bytes / 1048576).toFixed(0);

export async function scaleRun(count: number): Promise<{ rows: [string, string][]; failures: string[] }> {
  const rows: [string, string][] = [];
  const failures: string[] = [];
  const base = mkdtempSync(join(tmpdir(), 'tracemark-scale-'));
  try {
    const heapBefore = process.memoryUsage().heapUsed;
    let t = performance.now();
    const markers: ((a: number, s: string) => void)[] = [];
    for (let i = 0; i < count; i++) markers.push(marker(`scale${i % 100}:event_${i}`, 'a %u s %s'));
    rows.push([`declare ${count} markers`, `${ms(t)} ms`]);
    rows.push(['heap used by them', `${mib(process.memoryUsage().heapUsed - heapBefore)} MiB`]);
    const dir = join(base, 'trace');
    const session = new Session({ output: dir });
    session.enable('*');
    t = performance.now();
    session.start();
    rows.push(['start() with `*` (metadata of every marker written)', `${ms(t)} ms`]);
    rows.push(['metadata size', `${mib(statSync(join(dir, 'metadata')).size)} MiB`]);
    t = performance.now();
    session.disable('scale1:event_1');
    rows.push(['disable() of one marker', `${ms(t)} ms`]);
    t = performance.now();
    for (let i = 0; i < 1000; i++) {
      session.enable('scale2:event_2');
      session.disable('scale2:event_2');
    }
    rows.push(['1,000 enable/disable toggles of one marker (total)', `${ms(t)} ms`]);
    t = performance.now();
    for (let i = 0; i < 1000; i++) markers[(i * 7919) % count](i, 'x');
    rows.push(['first fire of 1,000 markers (fire functions compiled on first use)', `${ms(t)} ms`]);
    t = performance.now();
    await session.close();
    rows.push(['close()', `${ms(t)} ms`]);
    rows.push(['RSS at the end', `${mib(process.memoryUsage().rss)} MiB`]);
    if (session.stats().channels.default.written !== 1000) failures.push(`written ${session.stats().channels.default.written}, expected 1000`);
    const rules = (session as unknown as { rules: unknown[] }).rules.length;
    rows.push(['rules kept after the toggles', String(rules)]);
    if (rules > 3) failures.push(`${rules} rules after toggling`);

    t = performance.now();
    const evil = compilePattern(`${'*a'.repeat(10)}*c`);
    const matched = evil.test(`${'a'.repeat(100_000)}b`);
    rows.push(["pattern `'*a'.repeat(10) + '*c'` against 100,000 a's (was 38 s)", `${ms(t)} ms`]);
    if (matched) failures.push('the evil pattern matched');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  return { rows, failures };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const count = process.argv.includes('--soak') ? 100_000 : 10_000;
  const { rows, failures } = await scaleRun(count);
  process.stdout.write(`## Many markers, hostile patterns\n\n| case | result |\n|---|---:|\n${rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n')}\n\n${failures.length === 0 ? 'All checks passed.' : failures.map((f) => `- **${f}**`).join('\n')}\n`);
  process.exitCode = failures.length === 0 ? 0 : 1;
}
