/** Evaluation semantics of compiled filters: operators, types, globs, context, junk values. */
import { test, describe } from 'node:test';
import { strict as assert } from 'node:assert';
import { compileFilter, parseFilter } from '../../src/filter/index.js';
import { TracemarkError } from '../../src/errors/index.js';
import { CONTEXT, FIELDS, evalFilter, valuesOf } from './helpers.js';

const OPS = ['==', '!=', '<', '<=', '>', '>='] as const;
type Op = (typeof OPS)[number];

/** Exact three-way comparison of number/bigint, written independently of the implementation. */
function exact(a: number | bigint, b: number | bigint): -1 | 0 | 1 | undefined {
  if (typeof a === 'number' && Number.isNaN(a)) return undefined;
  if (typeof b === 'number' && Number.isNaN(b)) return undefined;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'bigint') {
    const r = exact(b, a);
    return r === undefined ? undefined : r === 0 ? 0 : r === 1 ? -1 : 1;
  }
  // a number, b bigint
  const n = a as number;
  const B = b as bigint;
  if (n === Infinity) return 1;
  if (n === -Infinity) return -1;
  const fl = BigInt(Math.floor(n));
  if (Number.isInteger(n)) return fl < B ? -1 : fl > B ? 1 : 0;
  return fl < B ? -1 : 1; // a non-integer is never equal to a bigint; n < B iff floor(n) < B
}

function holds(op: Op, c: -1 | 0 | 1 | undefined): boolean {
  if (c === undefined) return false;
  switch (op) {
    case '==': return c === 0;
    case '!=': return c !== 0;
    case '<': return c < 0;
    case '<=': return c <= 0;
    case '>': return c > 0;
    case '>=': return c >= 0;
  }
}

const show = (x: unknown): string => (typeof x === 'bigint' ? `${x}n` : Object.is(x, -0) ? '-0' : String(x));

const NUMERIC_VALUES: (number | bigint)[] = [
  -(2n ** 63n), -(2n ** 63n) + 1n, -(2 ** 53), -1.5, -1, -1n, -0, 0, 0n, 0.5, 1, 1n, 2, 5, 7n,
  2 ** 53, 2n ** 53n, 2n ** 53n + 1n, 2 ** 63, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n, 2 ** 64,
  1e300, Number.MIN_VALUE, Infinity, -Infinity, NaN,
];
const NUMERIC_LITERALS: [string, number | bigint][] = [
  ['-9223372036854775808', -(2n ** 63n)], ['-9007199254740992', -(2n ** 53n)], ['-1.5', -1.5], ['-1', -1], ['0', 0],
  ['0.5', 0.5], ['1', 1], ['5', 5], ['9007199254740992', 2n ** 53n], ['9007199254740993', 2n ** 53n + 1n],
  ['9223372036854775807', 2n ** 63n - 1n], ['9223372036854775808', 2n ** 63n], ['18446744073709551615', 2n ** 64n - 1n],
  ['1.8446744073709552e19', 2 ** 64], ['1e300', 1e300], ['5e-324', Number.MIN_VALUE],
];

describe('numeric comparisons', () => {
  test('every operator, field vs literal, exact across number and bigint (both sides)', () => {
    for (const op of OPS) {
      for (const [lit, k] of NUMERIC_LITERALS) {
        const right = compileFilter(`c ${op} ${lit}`, FIELDS, CONTEXT);
        const left = compileFilter(`${lit} ${op} c`, FIELDS, CONTEXT);
        assert.ok(right && left);
        for (const x of NUMERIC_VALUES) {
          const values = valuesOf({ c: x });
          assert.equal(right(values), holds(op, exact(x, k)), `${show(x)} ${op} ${lit}`);
          assert.equal(left(values), holds(op, exact(k, x)), `${lit} ${op} ${show(x)}`);
        }
      }
    }
  });

  test('every operator, field vs field', () => {
    for (const op of OPS) {
      const p = compileFilter(`c ${op} d`, FIELDS, CONTEXT);
      assert.ok(p);
      for (const x of NUMERIC_VALUES) {
        for (const y of NUMERIC_VALUES) {
          assert.equal(p(valuesOf({ c: x, d: y })), holds(op, exact(x, y)), `${show(x)} ${op} ${show(y)}`);
        }
      }
    }
  });

  test('bigint values against small literals: c > 5 with c = 7n', () => {
    assert.equal(evalFilter('c > 5', { c: 7n }), true);
    assert.equal(evalFilter('c > 5', { c: 5n }), false);
    assert.equal(evalFilter('c == 5', { c: 5n }), true);
    assert.equal(evalFilter('c != 5', { c: 5n }), false);
    assert.equal(evalFilter('c < 5.5', { c: 5n }), true);
    assert.equal(evalFilter('c == 5.5', { c: 5n }), false);
  });

  test('int64 / uint64 extremes', () => {
    assert.equal(evalFilter('c == -9223372036854775808', { c: -(2n ** 63n) }), true);
    assert.equal(evalFilter('c == 9223372036854775807', { c: 2n ** 63n - 1n }), true);
    assert.equal(evalFilter('c < 9223372036854775807', { c: 2n ** 63n - 1n }), false);
    assert.equal(evalFilter('d == 18446744073709551615', { d: 2n ** 64n - 1n }), true);
    assert.equal(evalFilter('d == 0xffffffffffffffff', { d: 2n ** 64n - 1n }), true);
    assert.equal(evalFilter('d > 18446744073709551614', { d: 2n ** 64n - 1n }), true);
    // 2^64 - 1 is not a double; the nearest double is 2^64.
    assert.equal(evalFilter('d == 18446744073709551615', { d: 2 ** 64 }), false);
    assert.equal(evalFilter('d < 18446744073709551615', { d: 2 ** 64 }), false);
    assert.equal(evalFilter('d > 18446744073709551615', { d: 2 ** 64 }), true);
    assert.equal(evalFilter('c == 9007199254740993', { c: 2 ** 53 }), false);
    assert.equal(evalFilter('c == 9007199254740992', { c: 2 ** 53 }), true);
  });

  test('NaN: every comparison is false, including !=', () => {
    for (const op of OPS) {
      assert.equal(evalFilter(`f ${op} 1`, { f: NaN }), false, op);
      assert.equal(evalFilter(`f ${op} 18446744073709551615`, { f: NaN }), false, op);
      assert.equal(evalFilter(`f ${op} f`, { f: NaN }), false, op);
      assert.equal(evalFilter(`!(f ${op} 1)`, { f: NaN }), true, op);
    }
  });

  test('floats vs integers', () => {
    assert.equal(evalFilter('f == 1', { f: 1.0 }), true);
    assert.equal(evalFilter('a < 1.5', { a: 1 }), true);
    assert.equal(evalFilter('a >= 1.5', { a: 1 }), false);
    assert.equal(evalFilter('f > a', { f: 1.5, a: 1 }), true);
    assert.equal(evalFilter('f == c', { f: 3, c: 3n }), true);
    assert.equal(evalFilter('f < 0', { f: -0 }), false);
    assert.equal(evalFilter('f == 0', { f: -0 }), true);
    assert.equal(evalFilter('f > 1e308', { f: Infinity }), true);
    assert.equal(evalFilter('f < -1e308', { f: -Infinity }), true);
  });

  test('all numeric field types compare numerically', () => {
    for (const name of ['a', 'b', 'c', 'd', 'h', 'x', 'f']) {
      assert.equal(evalFilter(`${name} == 3`, { [name]: 3 }), true, name);
      assert.equal(evalFilter(`${name} == 3`, { [name]: 3n }), true, name);
    }
  });
});

describe('logical operators and precedence', () => {
  test('truth tables of !, &&, || and their precedence', () => {
    const bool = [false, true];
    for (const p of bool) {
      for (const q of bool) {
        for (const r of bool) {
          const named = { a: p ? 1 : 0, b: q ? 1 : 0, x: r ? 1 : 0 };
          const at = (t: string): boolean | null => evalFilter(t, named);
          assert.equal(at('a == 1 || b == 1 && x == 1'), p || (q && r));
          assert.equal(at('a == 1 && b == 1 || x == 1'), (p && q) || r);
          assert.equal(at('(a == 1 || b == 1) && x == 1'), (p || q) && r);
          assert.equal(at('!(a == 1) && b == 1'), !p && q);
          assert.equal(at('!(a == 1 && b == 1) || x == 1'), !(p && q) || r);
          assert.equal(at('!!(a == 1) || !(b == 1 || x == 1)'), p || !(q || r));
          assert.equal(at('a == 1 && b == 1 && x == 1 && a == 1'), p && q && r);
          assert.equal(at('a == 1 || b == 1 || x == 1 || a == 1'), p || q || r);
          assert.equal(at('a == 0 || b == 0 || x == 0 || a == 0'), !p || !q || !r);
          assert.equal(at('!(a == 1) && !(b == 1) && !(x == 1) && !(a == 1)'), !p && !q && !r);
        }
      }
    }
  });
});

describe('strings and globs', () => {
  const globs: [string, string, boolean][] = [
    ['get*', 'get', true], ['get*', 'getter', true], ['get*', 'ge', false], ['get*', 'forget', false],
    ['*', '', true], ['*', 'anything', true],
    ['a\\*b', 'a*b', true], ['a\\*b', 'ab', false], ['a\\*b', 'axb', false],
    ['*mid*', 'mid', true], ['*mid*', 'amidb', true], ['*mid*', 'mi', false],
    ['*.js', 'x.js', true], ['*.js', 'x.jsx', false], ['*.js', '.js', true],
    ['ab*ba', 'aba', false], ['ab*ba', 'abba', true], ['ab*ba', 'abxba', true],
    ['a*b*c', 'abc', true], ['a*b*c', 'aXbYc', true], ['a*b*c', 'acb', false], ['a*b*c', 'abbc', true], ['a*b*c', 'ab', false],
    ['a*bc*bc', 'abcbc', true], ['a*bc*bc', 'abcXbc', true], ['a*bc*bc', 'abc', false],
    ['*a*a*', 'aa', true], ['*a*a*', 'a', false],
    ['\\\\*', '\\x', true], ['\\"*\\"', '"quoted"', true],
    ['ž*ý', 'žluťoučký', true], ['*😀', 'smile 😀', true], ['😀*', '😀', true], ['é', 'e\u0301', false],
    ['', '', true], ['', 'x', false],
  ];
  for (const [pattern, s, expected] of globs) {
    test(`"${pattern}" vs ${JSON.stringify(s)}`, () => {
      // (`s != "*"` can never be true, so it compiles to null: compare with `=== true`.)
      assert.equal(evalFilter(`s == "${pattern}"`, { s }) === true, expected);
      assert.equal(evalFilter(`s != "${pattern}"`, { s }) === true, !expected);
      assert.equal(evalFilter(`"${pattern}" == s`, { s }) === true, expected);
      // Also folded at compile time against $ctx.procname.
      assert.equal(evalFilter(`$ctx.procname == "${pattern}"`, {}, { ...CONTEXT, procname: s }), expected ? true : null);
    });
  }

  test('string fields compare only with == and != (field vs field)', () => {
    assert.equal(evalFilter('s == ch', { s: 'x', ch: 'x' }), true);
    assert.equal(evalFilter('s != ch', { s: 'x', ch: 'y' }), true);
    assert.equal(evalFilter('s == ch', { s: 'x*', ch: 'xy' }), false); // no globbing between fields
    assert.equal(evalFilter('s < ch', { s: 'a', ch: 'b' }), null);
    assert.equal(evalFilter('!(s < ch)', { s: 'a', ch: 'b' }), true);
  });

  test('a string containing * in the value is matched literally', () => {
    assert.equal(evalFilter('s == "a*"', { s: 'a*' }), true);
    assert.equal(evalFilter('s == "a\\*"', { s: 'a*' }), true);
    assert.equal(evalFilter('s == "a\\*"', { s: 'ab' }), false);
  });
});

describe('type mismatches, missing fields, blobs', () => {
  test('a string field vs a number (or a number field vs a string) is false', () => {
    assert.equal(compileFilter('s == 1', FIELDS, CONTEXT), null);
    assert.equal(compileFilter('a == "1"', FIELDS, CONTEXT), null);
    assert.equal(compileFilter('s == a', FIELDS, CONTEXT), null);
    assert.equal(evalFilter('!(s == 1)', { s: '1' }), true);
    assert.equal(evalFilter('!(a != "1")', { a: 1 }), true);
  });

  test('a blob field compares false with anything', () => {
    const p = new Uint8Array([1, 2]);
    for (const t of ['p == "x"', 'p != "x"', 'p == 1', 'p != 1', 'p == p', 'p == s', 'p == "*"']) {
      assert.equal(evalFilter(t, { p, s: 'x' }), null, t);
      assert.equal(evalFilter(`!(${t})`, { p, s: 'x' }), true, t);
    }
  });

  test('a field of an unknown type compares false', () => {
    const p = compileFilter('!(w == 1)', [{ name: 'w', type: 'weird' }], CONTEXT);
    assert.ok(p);
    assert.equal(p([1]), true);
    assert.equal(compileFilter('w == 1', [{ name: 'w', type: 'weird' }], CONTEXT), null);
  });

  test('a filter naming a missing field never matches, whatever ! or || surround it', () => {
    for (const t of ['zz == 1', '!(zz == 1)', 'a == 1 || zz == 1', '!(a == 1 && zz == 1)', '$ctx.vpid == 1234 || !(zz == 1)', 'zz == zz']) {
      assert.equal(compileFilter(t, FIELDS, CONTEXT), null, t);
      assert.equal(compileFilter(t, [], CONTEXT), null, t);
    }
  });

  test('fields are resolved by name, in declaration order; a duplicate name resolves to the first', () => {
    const fields = [{ name: 'q', type: 'i32' }, { name: 'r', type: 'string' }, { name: 'q', type: 'string' }];
    const p = compileFilter('q == 1 && r == "x"', fields, CONTEXT);
    assert.ok(p);
    assert.equal(p([1, 'x', 'junk']), true);
    assert.equal(p([2, 'x', 1]), false);
  });
});

describe('context fields', () => {
  test('fold to constants at compile time', () => {
    // Folds to true: the predicate ignores the values, even a missing container.
    const always = compileFilter('$ctx.vpid == 1234 && $ctx.vtid == 1240 && $ctx.procname == "node-app"', FIELDS, CONTEXT);
    assert.ok(always);
    assert.equal(always(null as unknown as unknown[]), true);
    assert.equal(compileFilter('$ctx.vpid == 1', FIELDS, CONTEXT), null);
    assert.equal(compileFilter('$ctx.vpid == 1 && a == 1', FIELDS, CONTEXT), null);
    const onlyA = compileFilter('$ctx.vpid == 1 || a == 1', FIELDS, CONTEXT);
    assert.ok(onlyA);
    assert.equal(onlyA(valuesOf({ a: 1 })), true);
    assert.equal(onlyA(valuesOf({ a: 2 })), false);
    assert.equal(evalFilter('!($ctx.procname == "node*")', {}), null);
    assert.equal(evalFilter('$ctx.vtid > 1000 && a == 1', { a: 1 }), true);
  });

  test('compare with fields', () => {
    assert.equal(evalFilter('a == $ctx.vpid', { a: 1234 }), true);
    assert.equal(evalFilter('$ctx.vtid > c', { c: 1239n }), true);
    assert.equal(evalFilter('s == $ctx.procname', { s: 'node-app' }), true);
    assert.equal(evalFilter('s == $ctx.procname', { s: 'node-ap' }), false);
    // The process name is a value, not a pattern: its stars are literal.
    assert.equal(evalFilter('s == $ctx.procname', { s: 'xx' }, { ...CONTEXT, procname: 'x*' }), false);
    assert.equal(evalFilter('s == $ctx.procname', { s: 'x*' }, { ...CONTEXT, procname: 'x*' }), true);
    assert.equal(compileFilter('$ctx.procname == 1 || $ctx.vpid == "1"', FIELDS, CONTEXT), null);
  });

  test('a junk context value compares false', () => {
    const ctx = { vpid: NaN, vtid: '7' as unknown as number, procname: 5 as unknown as string };
    for (const t of ['$ctx.vpid == $ctx.vpid', '$ctx.vtid == 7', '$ctx.procname == "*"', 'a == $ctx.vpid', 's != $ctx.procname']) {
      assert.equal(evalFilter(t, { a: NaN, s: 'x' }, ctx), null, t);
    }
  });
});

describe('junk runtime values', () => {
  const throwing = { valueOf(): never { throw new Error('valueOf'); }, toString(): never { throw new Error('toString'); } };
  const JUNK: unknown[] = [
    undefined, null, {}, [], [1], throwing, Symbol('s'), () => 1, new Uint8Array([49]), new String('x'), Object(5n), new Date(0), true, '5', 5, 5n, NaN,
  ];
  const exprs = [
    ...OPS.map((op) => `a ${op} 5`), ...OPS.map((op) => `d ${op} 18446744073709551615`), ...OPS.map((op) => `c ${op} d`),
    's == "5"', 's != "5"', 's == "5*"', 's != "*5"', 's == "*5*"', 's == "5*5*5"', 's == "*"', 's == ch', 's != ch', 'p == 5',
  ];

  test('never throw, and a value of the wrong type compares false', () => {
    for (const text of exprs) {
      const p = compileFilter(text, FIELDS, CONTEXT);
      const notP = compileFilter(`!(${text})`, FIELDS, CONTEXT);
      for (const junk of JUNK) {
        const values = FIELDS.map(() => junk);
        // Only numbers/bigints on numeric fields and strings on string fields are comparable.
        const comparable = typeof junk === 'number' || typeof junk === 'bigint' ? /^[acd] /.test(text) : typeof junk === 'string' && /^s /.test(text);
        if (comparable) continue;
        assert.equal(p === null ? false : p(values), false, `${text} with ${typeof junk}`);
        assert.ok(notP !== null, `!(${text})`);
        assert.equal(notP(values), true, `!(${text}) with ${typeof junk}`);
      }
    }
  });

  test('a broken values container makes the predicate return false, not throw', () => {
    const p = compileFilter('a > 5 && s == "x*"', FIELDS, CONTEXT);
    assert.ok(p);
    const hostile = new Proxy([], { get(): never { throw new Error('boom'); } });
    for (const v of [null, undefined, 5, 'abc', {}, hostile]) {
      assert.equal(p(v as unknown as unknown[]), false);
    }
  });
});

describe('compileFilter inputs', () => {
  test('accepts a string or a parsed expression, and reuses one expression across markers', () => {
    const expr = parseFilter('n == 1');
    const p1 = compileFilter(expr, [{ name: 'n', type: 'i32' }], CONTEXT);
    const p2 = compileFilter(expr, [{ name: 'z', type: 'string' }, { name: 'n', type: 'u64' }], CONTEXT);
    assert.ok(p1 && p2);
    assert.equal(p1([1]), true);
    assert.equal(p2(['x', 1n]), true);
    assert.equal(compileFilter(expr, [{ name: 'm', type: 'i32' }], CONTEXT), null);
  });

  test('a bad string throws ERR_FILTER; a hand-made expression object is refused', () => {
    assert.throws(() => compileFilter('a ==', FIELDS, CONTEXT), (e: unknown) => e instanceof TracemarkError && e.code === 'ERR_FILTER' && e.offset === 4);
    const fake = { text: 'a == 1', ast: { kind: 'bogus' }, fieldNames: [] } as never;
    assert.throws(() => compileFilter(fake, FIELDS, CONTEXT), (e: unknown) => e instanceof TracemarkError && e.code === 'ERR_INVALID_ARG');
  });

  test('parseFilter refuses non-strings with ERR_FILTER', () => {
    for (const junk of [undefined, null, 5, {}, Symbol('x')]) {
      assert.throws(() => parseFilter(junk as never), (e: unknown) => e instanceof TracemarkError && e.code === 'ERR_FILTER' && e.offset === 0);
    }
  });
});
