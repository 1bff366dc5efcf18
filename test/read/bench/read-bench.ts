/**
 * Reader speed vs babeltrace2 (not a test: no assertion, run by hand).
 *
 *   npx tsc -p tsconfig.json && node dist/test/read/bench/read-bench.js [--events 1000000] [--no-float] [--dir DIR] [--keep]
 *
 * Records a trace with tracemark's Session (two markers: integers + string + 8-byte blob, and
 * integer + double + hex u64; with --no-float, integer + integer + hex u64), unless --dir names
 * an existing trace, then times:
 *   decode  readTraceSync, every event decoded, nothing printed
 *   print   printEvents(readTraceSync(dir), /dev/null): formatEvent lines, written in 64 KiB blocks
 *   bt2     babeltrace2 DIR > /dev/null
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printEvents, readTraceSync } from '../../../src/read/index.js';

interface Api {
  marker(name: string, format: string): (...args: unknown[]) => void;
  Session: new (options: { output: string; channels?: Record<string, unknown> }) => {
    enable(pattern: string): unknown;
    start(): unknown;
    close(): Promise<void>;
    stats(): unknown;
  };
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

async function record(dir: string, count: number, withFloat: boolean): Promise<void> {
  const api = (await import('../../../src/index.js')) as unknown as Api;
  const rx = api.marker('bench:rx', 'len %u proto %s payload %pW');
  const tick = withFloat ? api.marker('bench:tick', 'n %d ratio %g id %lx') : api.marker('bench:count', 'n %d total %u id %lx');
  const session = new api.Session({ output: dir, channels: { default: { subbufCount: 64 } } });
  session.enable('bench:*');
  session.start();
  const payload = new Uint8Array([0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4]);
  for (let i = 0; i < count; i++) {
    if (i % 2 === 1) rx(1500 + (i & 1023), 'tcp', payload);
    else tick(i, withFloat ? i / 7 : i * 3, BigInt(i) * 4096n);
    // Let the drainer thread keep up so that no event is discarded.
    if (i % 20_000 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await session.close();
  process.stderr.write(`recorded: ${JSON.stringify(session.stats())}\n`);
}

function time<T>(label: string, run: () => T): T {
  const start = performance.now();
  const result = run();
  process.stderr.write(`${label}: ${(performance.now() - start).toFixed(0)} ms\n`);
  return result;
}

function rate(events: number, ms: number): string {
  return `${(events / ms / 1000).toFixed(2)} M events/s`;
}

async function main(): Promise<void> {
  const count = Number(arg('--events') ?? 1_000_000);
  let dir = arg('--dir');
  let scratch: string | undefined;
  if (dir === undefined) {
    scratch = mkdtempSync(join(tmpdir(), 'tracemark-bench-'));
    dir = join(scratch, 'trace');
    await time('record', () => record(dir as string, count, !process.argv.includes('--no-float')));
  }
  const results: string[] = [];
  for (let round = 0; round < 3; round++) {
    let start = performance.now();
    let events = 0;
    for (const event of readTraceSync(dir)) if (event.id >= 0) events++;
    const decodeMs = performance.now() - start;

    const devNull = openSync('/dev/null', 'w');
    start = performance.now();
    printEvents(readTraceSync(dir), devNull);
    const printMs = performance.now() - start;

    start = performance.now();
    const bt2 = spawnSync('babeltrace2', [dir], { stdio: ['ignore', devNull, 'ignore'] });
    const bt2Ms = performance.now() - start;
    closeSync(devNull);
    results.push(`round ${round + 1}: ${events} events | decode ${decodeMs.toFixed(0)} ms (${rate(events, decodeMs)}) | `
      + `decode+print ${printMs.toFixed(0)} ms (${rate(events, printMs)}) | `
      + (bt2.status === 0 ? `babeltrace2 ${bt2Ms.toFixed(0)} ms (${rate(events, bt2Ms)})` : `babeltrace2 failed (${String(bt2.error ?? bt2.status)})`));
    process.stderr.write(`${results.at(-1)}\n`);
  }
  if (scratch !== undefined && !process.argv.includes('--keep')) rmSync(scratch, { recursive: true, force: true });
  else process.stderr.write(`trace kept in ${dir}\n`);
}

await main();
