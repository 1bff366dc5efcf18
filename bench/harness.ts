/**
 * Tiny benchmark harness: ns per iteration of a loop function, median of several runs, with
 * the GC count and heap growth seen during the runs. Timings are for BENCHMARKS.md, never tests.
 */
import { PerformanceObserver } from 'node:perf_hooks';

export interface Measure {
  name: string;
  nsPerOp: number;
  gcCount: number;
  heapGrowthBytes: number;
}

let gcCount = 0;
const observer = new PerformanceObserver((list) => { gcCount += list.getEntries().length; });
observer.observe({ entryTypes: ['gc'] });

/** Lets pending GC entries reach the observer. */
export async function settle(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

export async function measure(name: string, loop: (n: number) => unknown, iterations: number, runs = 7): Promise<Measure> {
  loop(Math.min(iterations, 200_000));
  loop(Math.min(iterations, 200_000));
  const samples: number[] = [];
  await settle();
  const gcBefore = gcCount;
  const heapBefore = process.memoryUsage().heapUsed;
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint();
    loop(iterations);
    samples.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  const heapGrowthBytes = process.memoryUsage().heapUsed - heapBefore;
  await settle();
  samples.sort((a, b) => a - b);
  return { name, nsPerOp: samples[Math.floor(samples.length / 2)], gcCount: gcCount - gcBefore, heapGrowthBytes };
}

/** Rows with the measure each is compared to (its process's empty loop or clock). */
export function printTable(title: string, rows: { row: Measure; reference: Measure }[]): void {
  console.log(`\n## ${title}`);
  console.log('| case | ns/op | ratio | to | GCs during runs | heap growth |');
  console.log('|---|---|---|---|---|---|');
  for (const { row, reference } of rows) {
    console.log(`| ${row.name} | ${row.nsPerOp.toFixed(2)} | ${(row.nsPerOp / reference.nsPerOp).toFixed(2)} | ${reference.name} | ${row.gcCount} | ${(row.heapGrowthBytes / 1024).toFixed(0)} KiB |`);
  }
}
