/**
 * Property tests (seeded, so failures reproduce): print/parse round trip, the parser on random
 * text, and the compiled predicate against a reference interpreter written here.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { compileFilter, parseFilter, printFilter, type CompareOp, type FilterContext, type FilterNode, type FilterOperand } from '../../src/filter/index.js';
import { TracemarkError } from '../../src/errors/index.js';
import { FIELDS } from './helpers.js';

const SEED = 20240611;
const RUNS = 1500;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/* ---- generators ---- */

const OPS: CompareOp[] = ['==', '!=', '<', '<=', '>', '>='];
/** Field names: all of the layout's, and rarely one it lacks (which makes the whole filter null). */
const fieldName = fc.oneof({ weight: 30, arbitrary: fc.constantFrom(...FIELDS.map((f) => f.name)) }, { weight: 1, arbitrary: fc.constant('zz') });

/** Numbers as the parser represents them: integers beyond 2^53-1 are bigints, -0 is 0. */
const numberValue: fc.Arbitrary<number | bigint> = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (d === 0 ? 0 : d)),
  fc.constantFrom(2 ** 53, 2 ** 64, -(2 ** 63), 0.5, -1.5, 1e-300),
  fc.oneof(fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }), fc.constantFrom(2n ** 53n, -(2n ** 63n), 2n ** 63n - 1n, 2n ** 64n - 1n))
    .map((b) => (b <= MAX_SAFE && b >= -MAX_SAFE ? Number(b) : b)),
);

/** Characters that stress quoting and escaping; '*' inside a segment is a literal star. */
const CHARS = ['a', 'b', '*', '\\', '"', "'", '\n', '\t', '\x01', '\x7f', 'é', '😀', '\ud800', ' '];
const segment = fc.string({ unit: fc.constantFrom(...CHARS), maxLength: 4 });
/** Segments as the tokenizer produces them: no empty middle segment. */
const segments = fc.array(segment, { minLength: 1, maxLength: 4 })
  .map((segs) => segs.filter((s, i) => s !== '' || i === 0 || i === segs.length - 1));

const operand: fc.Arbitrary<FilterOperand> = fc.oneof(
  { weight: 4, arbitrary: fieldName.map((name): FilterOperand => ({ kind: 'field', name })) },
  { weight: 1, arbitrary: fc.constantFrom('vpid', 'vtid', 'procname' as const).map((name): FilterOperand => ({ kind: 'context', name })) },
  { weight: 3, arbitrary: numberValue.map((value): FilterOperand => ({ kind: 'number', value })) },
  { weight: 3, arbitrary: segments.map((segs): FilterOperand => ({ kind: 'string', segments: segs })) },
);

const isGlobLiteral = (o: FilterOperand): boolean => o.kind === 'string' && o.segments.length > 1;

/** Comparisons the parser accepts: strings only with ==/!=, never two glob patterns. */
const compare: fc.Arbitrary<FilterNode> = fc.tuple(fc.constantFrom(...OPS), operand, operand)
  .map(([op, left, right]): FilterNode => {
    const stringy = left.kind === 'string' || right.kind === 'string';
    const safeOp = stringy && op !== '==' && op !== '!=' ? '==' : op;
    const safeRight = isGlobLiteral(left) && isGlobLiteral(right) ? { kind: 'field' as const, name: 's' } : right;
    return { kind: 'compare', op: safeOp, left, right: safeRight };
  });

const { node } = fc.letrec<{ node: FilterNode; not: FilterNode; and: FilterNode; or: FilterNode }>((tie) => ({
  node: fc.oneof({ maxDepth: 4, depthIdentifier: 'filter' }, compare, tie('not'), tie('and'), tie('or')),
  not: tie('node').map((operand): FilterNode => ({ kind: 'not', operand })),
  and: fc.array(tie('node'), { minLength: 2, maxLength: 4 }).map((operands): FilterNode => ({ kind: 'and', operands })),
  or: fc.array(tie('node'), { minLength: 2, maxLength: 4 }).map((operands): FilterNode => ({ kind: 'or', operands })),
}));

/** What the parser builds: `&&` in `&&` (and `||` in `||`) flattened. */
function normalize(n: FilterNode): FilterNode {
  if (n.kind === 'compare') return n;
  if (n.kind === 'not') return { kind: 'not', operand: normalize(n.operand) };
  const operands: FilterNode[] = [];
  for (const o of n.operands.map(normalize)) {
    if (o.kind === n.kind) operands.push(...o.operands);
    else operands.push(o);
  }
  return { kind: n.kind, operands };
}

/* ---- reference interpreter: the documented semantics, written independently ---- */

type RefValue = { t: 'num'; v: number | bigint } | { t: 'str'; v: string } | { t: 'pattern'; segs: readonly string[] } | { t: 'junk' };

function cmp3(a: number | bigint, b: number | bigint): number | undefined {
  if ((typeof a === 'number' && Number.isNaN(a)) || (typeof b === 'number' && Number.isNaN(b))) return undefined;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  // At least one bigint: compare exact integer parts, then whether a number had a fraction.
  const toParts = (x: number | bigint): [bigint, number] => {
    if (typeof x === 'bigint') return [x, 0];
    if (x === Infinity) return [2n ** 2000n, 0]; // beyond every bigint a test uses
    if (x === -Infinity) return [-(2n ** 2000n), 0];
    const fl = Math.floor(x);
    return [BigInt(fl), x === fl ? 0 : 1];
  };
  const [ia, fa] = toParts(a);
  const [ib, fb] = toParts(b);
  if (ia !== ib) return ia < ib ? -1 : 1;
  return fa < fb ? -1 : fa > fb ? 1 : 0;
}

function globToRegExp(segs: readonly string[]): RegExp {
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${segs.map(esc).join('[\\s\\S]*')}$`);
}

function refOperand(o: FilterOperand, fieldValues: ReadonlyMap<string, { type: string; value: unknown }>, ctx: FilterContext): RefValue {
  switch (o.kind) {
    case 'number': return { t: 'num', v: o.value };
    case 'string': return o.segments.length === 1 ? { t: 'str', v: o.segments[0] } : { t: 'pattern', segs: o.segments };
    case 'context': {
      const v: unknown = ctx[o.name];
      if (o.name === 'procname') return typeof v === 'string' ? { t: 'str', v } : { t: 'junk' };
      return typeof v === 'number' && Number.isFinite(v) ? { t: 'num', v } : { t: 'junk' };
    }
    case 'field': {
      const f = fieldValues.get(o.name);
      if (f === undefined) throw new Error('unreachable: missing fields are handled before');
      const numeric = ['i8', 'u8', 'i16', 'u16', 'i32', 'u32', 'i64', 'u64', 'f64'].includes(f.type);
      const stringy = f.type === 'string' || f.type === 'char';
      if (numeric && (typeof f.value === 'number' || typeof f.value === 'bigint')) return { t: 'num', v: f.value };
      if (stringy && typeof f.value === 'string') return { t: 'str', v: f.value };
      return { t: 'junk' };
    }
  }
}

function refEval(n: FilterNode, fieldValues: ReadonlyMap<string, { type: string; value: unknown }>, ctx: FilterContext): boolean {
  switch (n.kind) {
    case 'not': return !refEval(n.operand, fieldValues, ctx);
    case 'and': return n.operands.every((o) => refEval(o, fieldValues, ctx));
    case 'or': return n.operands.some((o) => refEval(o, fieldValues, ctx));
    case 'compare': {
      const a = refOperand(n.left, fieldValues, ctx);
      const b = refOperand(n.right, fieldValues, ctx);
      if (a.t === 'num' && b.t === 'num') {
        const c = cmp3(a.v, b.v);
        if (c === undefined) return false;
        return { '==': c === 0, '!=': c !== 0, '<': c < 0, '<=': c <= 0, '>': c > 0, '>=': c >= 0 }[n.op];
      }
      if (a.t === 'junk' || b.t === 'junk' || a.t === 'num' || b.t === 'num') return false;
      if (n.op !== '==' && n.op !== '!=') return false;
      let equal: boolean;
      if (a.t === 'pattern' && b.t === 'str') equal = globToRegExp(a.segs).test(b.v);
      else if (b.t === 'pattern' && a.t === 'str') equal = globToRegExp(b.segs).test(a.v);
      else if (a.t === 'str' && b.t === 'str') equal = a.v === b.v;
      else throw new Error('unreachable: two patterns');
      return n.op === '==' ? equal : !equal;
    }
  }
}

function namesIn(n: FilterNode, out: Set<string>): Set<string> {
  if (n.kind === 'compare') {
    for (const o of [n.left, n.right]) if (o.kind === 'field') out.add(o.name);
  } else if (n.kind === 'not') namesIn(n.operand, out);
  else for (const o of n.operands) namesIn(o, out);
  return out;
}

/* ---- runtime values ---- */

const junk = fc.constantFrom<unknown>(undefined, null, {}, [], new Uint8Array([97]), Symbol('j'), true, { valueOf: (): number => 1 });
const numericValue = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.double(), numberValue, fc.constantFrom(NaN, -0, Infinity, 2n ** 64n - 1n, 1n, -1n, 0n));
const stringValue = fc.oneof(fc.string({ unit: fc.constantFrom('a', 'b', '*', 'é', '😀'), maxLength: 5 }), segment, fc.constantFrom('node-app', ''));
const runtimeValue = fc.oneof({ weight: 3, arbitrary: numericValue }, { weight: 3, arbitrary: stringValue }, { weight: 1, arbitrary: junk });
const contextArb: fc.Arbitrary<FilterContext> = fc.record({
  vpid: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constant(1234)),
  vtid: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constant(NaN)),
  procname: fc.oneof(stringValue, fc.constant('node-app')),
});

/* ---- properties ---- */

test('printed ASTs parse back to the same AST', () => {
  fc.assert(
    fc.property(node, (ast) => {
      const text = printFilter(ast);
      const parsed = parseFilter(text);
      assert.deepStrictEqual(parsed.ast, normalize(ast), text);
      assert.equal(printFilter(parsed), printFilter(normalize(ast)));
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

const parseStats = { parsed: 0, failed: 0 };

function checkParse(input: string): void {
  let expr;
  try {
    expr = parseFilter(input);
  } catch (e) {
    parseStats.failed++;
    assert.ok(e instanceof TracemarkError, `not a TracemarkError for ${JSON.stringify(input)}: ${String(e)}`);
    assert.equal(e.code, 'ERR_FILTER');
    assert.ok(typeof e.offset === 'number' && e.offset >= 0 && e.offset <= input.length, `offset ${e.offset} for ${JSON.stringify(input)}`);
    assert.ok(typeof e.text === 'string' && input.startsWith(e.text, e.offset), `text ${JSON.stringify(e.text)} at ${e.offset} in ${JSON.stringify(input)}`);
    return;
  }
  parseStats.parsed++;
  // Whatever parsed re-prints to a canonical text with the same AST.
  assert.deepStrictEqual(parseFilter(printFilter(expr)).ast, expr.ast);
}

const TOKENS = [
  'a', 's', 'ch', 'zz', '$ctx.vpid', '$ctx.procname', '$ctx.x', '$', '(', ')', '!', '&&', '||', '&', '|', '==', '=', '!=', '<', '<=', '>', '>=',
  '1', '-', '+', '0', '017', '0x1F', '0x', '1.5e3', '1e', '.5', '.', '18446744073709551616', '"x*"', '"*"', "'y'", '"\\*"', '"\\q"', '"', "'", '\\', ' ', '\t', 'é', '😀',
];
const tokenSoup = fc.tuple(fc.array(fc.constantFrom(...TOKENS), { maxLength: 30 }), fc.constantFrom('', ' '))
  .map(([tokens, sep]) => tokens.join(sep));

test('random text: the parser returns or throws ERR_FILTER with a valid offset and token, and terminates', { timeout: 60_000 }, (t) => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 80 }), checkParse), { seed: SEED, numRuns: RUNS });
  fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...'()!&|=<>"\'\\*$.-+0x1eas ctx'.split('')), maxLength: 80 }), checkParse), { seed: SEED, numRuns: RUNS });
  fc.assert(fc.property(tokenSoup, checkParse), { seed: SEED, numRuns: RUNS * 2 });
  fc.assert(fc.property(node.map(printFilter).chain((text) => fc.nat(text.length).map((cut) => text.slice(0, cut))), checkParse), { seed: SEED, numRuns: RUNS });
  t.diagnostic(`${parseStats.parsed} inputs parsed, ${parseStats.failed} refused`);
  assert.ok(parseStats.parsed > 50, 'the generators should produce some valid expressions');
});

test('compiled predicates agree with the reference interpreter', (t) => {
  const stats = { missing: 0, nullPredicate: 0, true: 0, false: 0 };
  const inputs = fc.record({
    ast: node,
    values: fc.array(runtimeValue, { minLength: FIELDS.length, maxLength: FIELDS.length }),
    context: contextArb,
  });
  fc.assert(
    fc.property(inputs, ({ ast, values, context }) => {
      const text = printFilter(ast);
      const p = compileFilter(text, FIELDS, context);
      const missing = [...namesIn(ast, new Set())].some((n) => !FIELDS.some((f) => f.name === n));
      if (missing) {
        assert.equal(p, null, `${text}: a missing field must give null`);
        stats.missing++;
        return;
      }
      const fieldValues = new Map(FIELDS.map((f, i) => [f.name, { type: f.type, value: values[i] }]));
      const expected = refEval(ast, fieldValues, context);
      // null means "can never match this marker": the reference must say false.
      assert.equal(p === null ? false : p(values), expected, text);
      if (p === null) stats.nullPredicate++;
      else stats[expected ? 'true' : 'false']++;
    }),
    { seed: SEED, numRuns: RUNS * 4 },
  );
  t.diagnostic(JSON.stringify(stats));
  assert.ok(stats.true > 200 && stats.false > 200, 'both outcomes should be exercised');
});
