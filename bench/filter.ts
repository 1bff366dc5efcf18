/**
 * Filter predicate cost, per event: `node dist/bench/filter.js [iterations] [runs]`.
 *
 * Marker `a %d b %d c %ld s %s` called with (i, i, i, "hello"); the filter `a > 1000000000`
 * rejects every event. Side by side in one process: the compiled predicate, a hand-written
 * closure doing the same comparison, and the empty loop (the same stores into the reused
 * argument array, no call). Each loop has its own function so that V8's type feedback for
 * one call site is not shared between the contenders. Prints the median of several runs.
 */
import { compileFilter, type FilterPredicate } from '../src/filter/index.js';
import { parseFormat } from '../src/format/parse.js';

const iterations = Number(process.argv[2] ?? 20_000_000);
const runs = Number(process.argv[3] ?? 9);

const fields = parseFormat('a %d b %d c %ld s %s');
const context = { vpid: process.pid, vtid: 0, procname: 'bench' };

function compile(text: string): FilterPredicate {
  const p = compileFilter(text, fields, context);
  if (p === null) throw new Error(`${text} compiled to null`);
  return p;
}

const compiled = compile('a > 1000000000');
const hand: FilterPredicate = (v) => (v[0] as number) > 1000000000;
const extras: [string, FilterPredicate][] = [
  ['s == "hel*"', compile('s == "hel*"')],
  ['a > 5 && c < 100', compile('a > 5 && c < 100')],
  ['!(b == 3) || $ctx.vtid == 1', compile('!(b == 3) || $ctx.vtid == 1')],
];

const values: unknown[] = [0, 0, 0, 'hello'];

function loopCompiled(n: number): number {
  const p = compiled;
  let hits = 0;
  for (let i = 0; i < n; i++) {
    values[0] = i; values[1] = i; values[2] = i;
    if (p(values)) hits++;
  }
  return hits;
}

function loopHand(n: number): number {
  const p = hand;
  let hits = 0;
  for (let i = 0; i < n; i++) {
    values[0] = i; values[1] = i; values[2] = i;
    if (p(values)) hits++;
  }
  return hits;
}

function loopEmpty(n: number): number {
  let hits = 0;
  for (let i = 0; i < n; i++) {
    values[0] = i; values[1] = i; values[2] = i;
    if (values[3] === undefined) hits++; // a cheap data-dependent test so the loop is not dropped
  }
  return hits;
}

// Extras are measured with a fresh loop function per filter (new Function is not used: the
// loop body is the same for all, so feedback sharing only makes them look slightly worse).
function loopWith(p: FilterPredicate, n: number): number {
  let hits = 0;
  for (let i = 0; i < n; i++) {
    values[0] = i; values[1] = i; values[2] = i;
    if (p(values)) hits++;
  }
  return hits;
}

function time(fn: () => number): { ns: number; hits: number } {
  const t0 = process.hrtime.bigint();
  const hits = fn();
  const t1 = process.hrtime.bigint();
  return { ns: Number(t1 - t0) / iterations, hits };
}

function median(xs: number[]): number {
  const s = xs.slice().sort((x, y) => x - y);
  return s[s.length >> 1];
}

const results: Record<string, number[]> = { compiled: [], hand: [], empty: [] };
let sink = 0;
// One untimed warm-up round so every loop reaches optimised code before measuring.
sink += loopCompiled(iterations) + loopHand(iterations) + loopEmpty(iterations);
for (let r = 0; r < runs; r++) {
  // Rotate the order so that no contender always runs right after GC or another's deopt.
  const order = [
    ['compiled', () => loopCompiled(iterations)],
    ['hand', () => loopHand(iterations)],
    ['empty', () => loopEmpty(iterations)],
  ] as const;
  for (let k = 0; k < order.length; k++) {
    const [name, fn] = order[(k + r) % order.length];
    const { ns, hits } = time(fn);
    sink += hits;
    results[name].push(ns);
  }
}

const compiledNs = median(results.compiled);
const handNs = median(results.hand);
const emptyNs = median(results.empty);
const fmt = (x: number): string => x.toFixed(2).padStart(6);
console.log(`node ${process.version}, ${iterations} events x ${runs} runs, medians; filter "a > 1000000000" on "a %d b %d c %ld s %s"`);
console.log(`  empty loop            ${fmt(emptyNs)} ns/event`);
console.log(`  hand-written closure  ${fmt(handNs)} ns/event  (net ${fmt(handNs - emptyNs)})`);
console.log(`  compiled predicate    ${fmt(compiledNs)} ns/event  (net ${fmt(compiledNs - emptyNs)})`);
console.log(`  ratio compiled/hand   ${(compiledNs / handNs).toFixed(2)}   net ratio ${((compiledNs - emptyNs) / Math.max(handNs - emptyNs, 0.01)).toFixed(2)}`);

for (const [text, p] of extras) {
  const xs: number[] = [];
  for (let r = 0; r < Math.max(3, runs >> 1); r++) {
    const { ns, hits } = time(() => loopWith(p, iterations));
    sink += hits;
    xs.push(ns);
  }
  console.log(`  compiled ${JSON.stringify(text).padEnd(32)} ${fmt(median(xs))} ns/event  (net ${fmt(median(xs) - emptyNs)})`);
}
console.log(`  (checksum ${sink})`);
