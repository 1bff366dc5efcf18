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

// The realistic case: a tracer calls every marker's predicate from one call site, which V8
// then cannot inline. These two loops are fed several different predicates before timing, so
// their call sites are megamorphic; extras are measured through loopMega too.
function loopMega(p: FilterPredicate, n: number): number {
  let hits = 0;
  for (let i = 0; i < n; i++) {
    values[0] = i; values[1] = i; values[2] = i;
    if (p(values)) hits++;
  }
  return hits;
}

function loopMegaHand(p: FilterPredicate, n: number): number {
  let hits = 0;
  for (let i = 0; i < n; i++) {
    values[0] = i; values[1] = i; values[2] = i;
    if (p(values)) hits++;
  }
  return hits;
}

const pollutersCompiled = ['a < 0', 'b == 7', 'c >= 3', 's != "x"', 's == "*ll*"', 'a > 1 && b > 2', '!(a == 1)', 'c == 18446744073709551615'].map(compile);
const pollutersHand: FilterPredicate[] = [
  (v) => (v[0] as number) < 0, (v) => v[1] === 7, (v) => (v[2] as number) >= 3, (v) => v[3] !== 'x',
  (v) => String(v[3]).includes('ll'), (v) => (v[0] as number) > 1 && (v[1] as number) > 2, (v) => !(v[0] === 1), (v) => v[2] === 2n ** 64n - 1n,
];

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

const results: Record<string, number[]> = { compiled: [], hand: [], empty: [], compiledMega: [], handMega: [] };
let sink = 0;
// One untimed warm-up round so every loop reaches optimised code before measuring.
sink += loopCompiled(iterations) + loopHand(iterations) + loopEmpty(iterations);
for (const p of pollutersCompiled) sink += loopMega(p, iterations >> 4);
for (const p of pollutersHand) sink += loopMegaHand(p, iterations >> 4);
sink += loopMega(compiled, iterations) + loopMegaHand(hand, iterations);
for (let r = 0; r < runs; r++) {
  // Rotate the order so that no contender always runs right after GC or another's deopt.
  const order = [
    ['compiled', () => loopCompiled(iterations)],
    ['hand', () => loopHand(iterations)],
    ['empty', () => loopEmpty(iterations)],
    ['compiledMega', () => loopMega(compiled, iterations)],
    ['handMega', () => loopMegaHand(hand, iterations)],
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
console.log(`  ratio compiled/hand   ${(compiledNs / handNs).toFixed(2)}`);
const compiledMegaNs = median(results.compiledMega);
const handMegaNs = median(results.handMega);
console.log('megamorphic call site (the predicate is not inlined into the caller, as in a tracer):');
console.log(`  hand-written closure  ${fmt(handMegaNs)} ns/event  (net ${fmt(handMegaNs - emptyNs)})`);
console.log(`  compiled predicate    ${fmt(compiledMegaNs)} ns/event  (net ${fmt(compiledMegaNs - emptyNs)})`);
console.log(`  ratio compiled/hand   ${(compiledMegaNs / handMegaNs).toFixed(2)}`);
console.log('other compiled filters, megamorphic call site:');

for (const [text, p] of extras) {
  const xs: number[] = [];
  for (let r = 0; r < Math.max(3, runs >> 1); r++) {
    const { ns, hits } = time(() => loopMega(p, iterations));
    sink += hits;
    xs.push(ns);
  }
  console.log(`  ${JSON.stringify(text).padEnd(32)} ${fmt(median(xs))} ns/event  (net ${fmt(median(xs) - emptyNs)})`);
}
console.log(`  (checksum ${sink})`);
