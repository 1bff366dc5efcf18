/**
 * The corpus: valid expressions with their canonical re-print and evaluations, and invalid
 * ones with their exact error offset and offending token.
 */
import { test, describe } from 'node:test';
import { strict as assert } from 'node:assert';
import { parseFilter, printFilter, type FilterNode } from '../../src/filter/index.js';
import { TracemarkError } from '../../src/errors/index.js';
import { evalFilter } from './helpers.js';

type Values = Record<string, unknown>;
interface Valid {
  text: string;
  /** Canonical re-print (printFilter). */
  print: string;
  fieldNames?: string[];
  /** [values by field name, expected result (null: compileFilter returned null)]. */
  cases?: [Values, boolean | null][];
}

const VALID: Valid[] = [
  { text: 'a == 1', print: 'a == 1', fieldNames: ['a'], cases: [[{ a: 1 }, true], [{ a: 2 }, false]] },
  { text: 'a==1', print: 'a == 1' },
  { text: '  a\t==\n1\r', print: 'a == 1' },
  { text: 'a != 1', print: 'a != 1', cases: [[{ a: 1 }, false], [{ a: 2 }, true]] },
  { text: 'a < 1', print: 'a < 1', cases: [[{ a: 0 }, true], [{ a: 1 }, false]] },
  { text: 'a <= 1', print: 'a <= 1', cases: [[{ a: 1 }, true], [{ a: 2 }, false]] },
  { text: 'a > 1', print: 'a > 1', cases: [[{ a: 2 }, true], [{ a: 1 }, false]] },
  { text: 'a >= 1', print: 'a >= 1', cases: [[{ a: 1 }, true], [{ a: 0 }, false]] },
  { text: '1 < a', print: '1 < a', cases: [[{ a: 2 }, true], [{ a: 1 }, false]] },
  { text: 'a >= 1.5', print: 'a >= 1.5', cases: [[{ a: 2 }, true], [{ a: 1 }, false]] },
  { text: 'c != -3', print: 'c != -3', cases: [[{ c: -3 }, false], [{ c: -3n }, false], [{ c: 3n }, true]] },
  { text: 'c != - 3', print: 'c != -3' },
  { text: 'c == +3', print: 'c == 3', cases: [[{ c: 3n }, true]] },
  { text: 'x == 0x1F', print: 'x == 31', cases: [[{ x: 31 }, true], [{ x: 0x1e }, false]] },
  { text: 'x == 0X1f', print: 'x == 31' },
  { text: 'f == .5', print: 'f == 0.5', cases: [[{ f: 0.5 }, true]] },
  { text: 'f == 5.', print: 'f == 5', cases: [[{ f: 5 }, true]] },
  { text: 'f < 1e3', print: 'f < 1000', cases: [[{ f: 999.5 }, true]] },
  { text: 'f < 1.5E-3', print: 'f < 0.0015', cases: [[{ f: 0.001 }, true], [{ f: 0.002 }, false]] },
  // An integral double beyond 2^53 re-prints in exponent form, so that it stays a float.
  { text: 'f > 200000000000000000000.0', print: 'f > 2e+20', cases: [[{ f: 2.5e20 }, true], [{ f: 2e20 }, false], [{ f: 2n * 10n ** 20n + 1n }, true]] },
  { text: 'f > 2e+20', print: 'f > 2e+20' },
  { text: 'd == 18446744073709551615', print: 'd == 18446744073709551615', cases: [[{ d: 2n ** 64n - 1n }, true], [{ d: 2n ** 64n - 2n }, false]] },
  { text: 'd == 0xFFFFFFFFFFFFFFFF', print: 'd == 18446744073709551615' },
  { text: 'c == -9223372036854775808', print: 'c == -9223372036854775808', cases: [[{ c: -(2n ** 63n) }, true]] },
  { text: 'c == 9007199254740993', print: 'c == 9007199254740993', cases: [[{ c: 9007199254740993n }, true], [{ c: 9007199254740992 }, false]] },
  { text: '-0 == a', print: '0 == a', cases: [[{ a: 0 }, true], [{ a: -0 }, true]] },
  { text: 's == "tcp"', print: 's == "tcp"', cases: [[{ s: 'tcp' }, true], [{ s: 'udp' }, false]] },
  { text: "s == 'tcp'", print: 's == "tcp"' },
  { text: 's == "get*"', print: 's == "get*"', cases: [[{ s: 'getter' }, true], [{ s: 'get' }, true], [{ s: 'forget' }, false]] },
  { text: 's == "*"', print: 's == "*"', cases: [[{ s: '' }, true], [{ s: 'x' }, true], [{ s: 1 }, false]] },
  { text: 's == "a\\*b"', print: 's == "a\\*b"', cases: [[{ s: 'a*b' }, true], [{ s: 'axb' }, false]] },
  { text: 's == "*mid*"', print: 's == "*mid*"', cases: [[{ s: 'amidst' }, true], [{ s: 'mid' }, true], [{ s: 'mdi' }, false]] },
  { text: 's == "a**b"', print: 's == "a*b"', cases: [[{ s: 'ab' }, true], [{ s: 'axxb' }, true]] },
  { text: 's == "\\"q\\" \\\\ \\n\\t\\r\\x41\\u00e9\\u{1F600}\\\'"', print: 's == "\\"q\\" \\\\ \\n\\t\\rAé😀\'"', cases: [[{ s: '"q" \\ \n\t\rAé😀\'' }, true]] },
  { text: "s == 'it\\'s \"x\"'", print: 's == "it\'s \\"x\\""', cases: [[{ s: 'it\'s "x"' }, true]] },
  { text: 's == "\\x01"', print: 's == "\\x01"' },
  { text: 's == "žluťoučký"', print: 's == "žluťoučký"', cases: [[{ s: 'žluťoučký' }, true]] },
  { text: '"tcp" == s', print: '"tcp" == s', cases: [[{ s: 'tcp' }, true]] },
  { text: 'a > 100 && s == "tcp"', print: 'a > 100 && s == "tcp"', fieldNames: ['a', 's'], cases: [[{ a: 101, s: 'tcp' }, true], [{ a: 100, s: 'tcp' }, false], [{ a: 101, s: 'udp' }, false]] },
  { text: '!(a == 1) || s == "get*"', print: '!(a == 1) || s == "get*"', cases: [[{ a: 1, s: 'get' }, true], [{ a: 1, s: 'put' }, false], [{ a: 2, s: 'put' }, true]] },
  { text: 'a == 1 || b == 2 && c == 3', print: 'a == 1 || b == 2 && c == 3', cases: [[{ a: 1 }, true], [{ a: 0, b: 2, c: 3 }, true], [{ a: 0, b: 2, c: 4 }, false]] },
  { text: '(a == 1 || b == 2) && c == 3', print: '(a == 1 || b == 2) && c == 3', cases: [[{ a: 1, c: 4 }, false], [{ a: 1, c: 3 }, true]] },
  { text: '((a == 1))', print: 'a == 1' },
  { text: 'a == 1 && (b == 2 && c == 3)', print: 'a == 1 && b == 2 && c == 3' },
  { text: 'a == 1 || (b == 2 || c == 3)', print: 'a == 1 || b == 2 || c == 3' },
  { text: '!!(a == 1)', print: '!!(a == 1)', cases: [[{ a: 1 }, true]] },
  { text: '!(!(a == 1))', print: '!!(a == 1)' },
  { text: '!(a == 1 && b == 2)', print: '!(a == 1 && b == 2)', cases: [[{ a: 1, b: 2 }, false], [{ a: 1, b: 3 }, true]] },
  { text: 'a == b', print: 'a == b', fieldNames: ['a', 'b'], cases: [[{ a: 1, b: 1 }, true], [{ a: 1, b: 2 }, false]] },
  { text: 'a == 1 && a == 2 || a == 3', print: 'a == 1 && a == 2 || a == 3', fieldNames: ['a'] },
  { text: '$ctx.vpid == 1234', print: '$ctx.vpid == 1234', fieldNames: [], cases: [[{}, true]] },
  { text: '$ctx.vtid > $ctx.vpid', print: '$ctx.vtid > $ctx.vpid', cases: [[{}, true]] },
  { text: '$ctx.procname == "node*"', print: '$ctx.procname == "node*"', cases: [[{}, true]] },
  { text: '$ctx.procname == "python"', print: '$ctx.procname == "python"', cases: [[{}, null]] },
  { text: 'missing == 1', print: 'missing == 1', cases: [[{}, null]] },
  { text: '!(missing == 1)', print: '!(missing == 1)', cases: [[{}, null]] },
  { text: 'a == 1 || missing == 1', print: 'a == 1 || missing == 1', cases: [[{ a: 1 }, null]] },
  { text: 's == 1', print: 's == 1', cases: [[{ s: '1' }, null]] },
  { text: '!(s == 1)', print: '!(s == 1)', cases: [[{ s: '1' }, true]] },
  { text: 'a == "1"', print: 'a == "1"', cases: [[{ a: 1 }, null]] },
  { text: 'p == "x"', print: 'p == "x"', cases: [[{ p: new Uint8Array([120]) }, null]] },
  { text: 'ch == "x"', print: 'ch == "x"', cases: [[{ ch: 'x' }, true], [{ ch: 120 }, false]] },
  { text: '1 == 1', print: '1 == 1', fieldNames: [], cases: [[{}, true]] },
  { text: '"ab" == "a*"', print: '"ab" == "a*"', cases: [[{}, true]] },
  { text: 'h == -128', print: 'h == -128', cases: [[{ h: -128 }, true]] },
];

interface Invalid {
  text: string;
  offset: number;
  /** The offending token as reported in the error's `text`. */
  token: string;
  /** A piece of the message. */
  message?: string;
}

const INVALID: Invalid[] = [
  { text: '', offset: 0, token: '', message: 'unexpected end of expression at offset 0' },
  { text: '   ', offset: 3, token: '' },
  { text: 'a', offset: 1, token: '', message: 'expected a comparison operator' },
  { text: 'a ==', offset: 4, token: '', message: 'expected an operand' },
  { text: 'a == )', offset: 5, token: ')', message: 'unexpected token ")" at offset 5, expected an operand' },
  { text: 'len > 100 && )', offset: 13, token: ')', message: 'unexpected token ")" at offset 13, expected an operand' },
  { text: 'a = 1', offset: 2, token: '=', message: 'did you mean "=="' },
  { text: 'a == 1 & b == 2', offset: 7, token: '&', message: 'did you mean "&&"' },
  { text: 'a == 1 | b == 2', offset: 7, token: '|' },
  { text: 'a === 1', offset: 4, token: '=' },
  { text: 'a == 1 b == 2', offset: 7, token: 'b', message: 'expected "&&", "||" or end of expression' },
  { text: 'a == 1)', offset: 6, token: ')' },
  { text: '(a == 1', offset: 7, token: '', message: 'expected "&&", "||" or ")"' },
  { text: '()', offset: 1, token: ')' },
  { text: '(a) == 1', offset: 2, token: ')', message: 'expected a comparison operator' },
  { text: 'a == 1 == 1', offset: 7, token: '==' },
  { text: 'a < b < c', offset: 6, token: '<' },
  { text: '!a == 1', offset: 1, token: 'a', message: 'expected "(" or "!" after "!"' },
  { text: '!', offset: 1, token: '' },
  { text: 'a == 1 &&', offset: 9, token: '' },
  { text: '&& a == 1', offset: 0, token: '&&' },
  { text: 'a == --1', offset: 6, token: '-', message: 'expected a number after "-"' },
  { text: 'a == -b', offset: 6, token: 'b' },
  { text: 'a == 017', offset: 5, token: '017', message: 'leading zeros' },
  { text: 'a == 0x', offset: 5, token: '0x' },
  { text: 'a == 0x1G', offset: 5, token: '0x1G' },
  { text: 'a == 12ab', offset: 5, token: '12ab' },
  { text: 'a == 1.2.3', offset: 5, token: '1.2.3' },
  { text: 'a == 1e', offset: 5, token: '1e' },
  { text: 'a == 1e999', offset: 5, token: '1e999', message: 'out of range' },
  { text: 'a == .', offset: 5, token: '.' },
  { text: 'a.b == 1', offset: 1, token: '.' },
  { text: 's == "abc', offset: 5, token: '"abc', message: 'unterminated string literal' },
  { text: "s == 'abc\"", offset: 5, token: "'abc\"" },
  { text: 's == "abc\\', offset: 5, token: '"abc\\' },
  { text: 's == "a\\qb"', offset: 7, token: '\\q', message: 'invalid escape' },
  { text: 's == "\\x4"', offset: 6, token: '\\x4"' },
  { text: 's == "\\u12"', offset: 6, token: '\\u12"' },
  { text: 's == "\\u{110000}"', offset: 6, token: '\\u{110000}' },
  { text: 's == "\\u{}"', offset: 6, token: '\\u{}' },
  { text: 's == "\\😀"', offset: 6, token: '\\😀' },
  { text: 's < "x"', offset: 2, token: '<', message: 'does not apply to strings' },
  { text: '"x" >= s', offset: 4, token: '>=' },
  { text: '"a*" == "*b"', offset: 8, token: '"*b"', message: 'two glob patterns' },
  { text: '$ctx.pid == 1', offset: 0, token: '$ctx.pid', message: 'unknown context field' },
  { text: 'a == 1 && $app.x == 1', offset: 10, token: '$app.x', message: 'invalid context field' },
  { text: '$ctx == 1', offset: 0, token: '$ctx' },
  { text: '$ctx.vpid.x == 1', offset: 0, token: '$ctx.vpid.x' },
  { text: 'a == 1 # comment', offset: 7, token: '#' },
  { text: 'ä == 1', offset: 0, token: 'ä' },
  { text: 'a == 1 && 😀', offset: 10, token: '😀' },
  { text: 'a\u00a0== 1', offset: 1, token: '\u00a0' },
  { text: ') "unterminated', offset: 0, token: ')' },
];

function errorOf(text: string): TracemarkError {
  try {
    parseFilter(text);
  } catch (e) {
    assert.ok(e instanceof TracemarkError, `not a TracemarkError: ${String(e)}`);
    return e;
  }
  throw new Error(`no error for ${JSON.stringify(text)}`);
}

describe('filter corpus: valid expressions', () => {
  for (const v of VALID) {
    test(JSON.stringify(v.text), () => {
      const expr = parseFilter(v.text);
      assert.equal(expr.text, v.text);
      assert.equal(printFilter(expr), v.print);
      // The canonical print parses back to the same tree.
      assert.deepStrictEqual(parseFilter(v.print).ast, expr.ast);
      if (v.fieldNames) assert.deepStrictEqual(expr.fieldNames, v.fieldNames);
      for (const [values, expected] of v.cases ?? []) {
        assert.equal(evalFilter(v.text, values), expected, `${v.text} with ${String(JSON.stringify(values, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x)))}`);
      }
    });
  }
});

describe('filter corpus: invalid expressions', () => {
  for (const v of INVALID) {
    test(JSON.stringify(v.text), () => {
      const e = errorOf(v.text);
      assert.equal(e.code, 'ERR_FILTER');
      assert.equal(e.offset, v.offset, e.message);
      assert.equal(e.text, v.token, e.message);
      assert.ok(e.message.includes(`offset ${v.offset}`), e.message);
      if (v.message) assert.ok(e.message.includes(v.message), e.message);
    });
  }
});

describe('filter corpus: AST structure', () => {
  const cmp = (op: string, left: unknown, right: unknown): unknown => ({ kind: 'compare', op, left, right });
  const field = (name: string): unknown => ({ kind: 'field', name });
  const num = (value: number | bigint): unknown => ({ kind: 'number', value });
  const str = (...segments: string[]): unknown => ({ kind: 'string', segments });
  const cases: [string, unknown][] = [
    ['a == 1', cmp('==', field('a'), num(1))],
    ['-3 > c', cmp('>', num(-3), field('c'))],
    ['d == 18446744073709551615', cmp('==', field('d'), num(18446744073709551615n))],
    ['d == 9007199254740991', cmp('==', field('d'), num(9007199254740991))],
    ['d == -9007199254740992', cmp('==', field('d'), num(-9007199254740992n))],
    ['f == 1.0', cmp('==', field('f'), num(1))],
    ['s == "get*"', cmp('==', field('s'), str('get', ''))],
    ['s == "*"', cmp('==', field('s'), str('', ''))],
    ['s == "a\\*b"', cmp('==', field('s'), str('a*b'))],
    ['s == "*m*d*"', cmp('==', field('s'), str('', 'm', 'd', ''))],
    ['s == ""', cmp('==', field('s'), str(''))],
    ['$ctx.procname != "x"', cmp('!=', { kind: 'context', name: 'procname' }, str('x'))],
    ['!(a == 1) || a == 2 && a == 3', {
      kind: 'or',
      operands: [
        { kind: 'not', operand: cmp('==', field('a'), num(1)) },
        { kind: 'and', operands: [cmp('==', field('a'), num(2)), cmp('==', field('a'), num(3))] },
      ],
    }],
    ['(a == 1 && a == 2) && (a == 3 && a == 4)', { kind: 'and', operands: [1, 2, 3, 4].map((n) => cmp('==', field('a'), num(n))) }],
  ];
  for (const [text, ast] of cases) {
    test(JSON.stringify(text), () => {
      assert.deepStrictEqual(parseFilter(text).ast as FilterNode, ast);
    });
  }

  test('parsed expressions are deeply frozen', () => {
    const expr = parseFilter('!(a == 1) || s == "x*" && b > 2');
    const visit = (o: unknown): void => {
      if (typeof o !== 'object' || o === null) return;
      assert.ok(Object.isFrozen(o), JSON.stringify(o));
      for (const v of Object.values(o)) visit(v);
    };
    visit(expr);
  });
});
