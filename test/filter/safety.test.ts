/** Hostile input: no code generation from user text, length and nesting limits. */
import { test, describe } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileFilter, parseFilter, MAX_FILTER_DEPTH, MAX_FILTER_LENGTH } from '../../src/filter/index.js';
import { TracemarkError } from '../../src/errors/index.js';
import { CONTEXT, FIELDS, valuesOf } from './helpers.js';

function filterError(text: string): TracemarkError {
  try {
    parseFilter(text);
  } catch (e) {
    assert.ok(e instanceof TracemarkError && e.code === 'ERR_FILTER', String(e));
    return e;
  }
  throw new Error('expected ERR_FILTER');
}

describe('no code generation', () => {
  test('filters parse, compile and run under --disallow-code-generation-from-strings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tracemark-filter-'));
    try {
      const script = join(dir, 'check.mjs');
      const filterUrl = new URL('../../src/filter/index.js', import.meta.url).href;
      writeFileSync(script, `
        import { compileFilter } from ${JSON.stringify(filterUrl)};
        const blocked = (f) => { try { f(); return false; } catch (e) { return e instanceof EvalError; } };
        const fields = [{ name: 'a', type: 'i32' }, { name: 'c', type: 'u64' }, { name: 's', type: 'string' }];
        const ctx = { vpid: 7, vtid: 8, procname: 'app' };
        const p = compileFilter('a > 100 && s == "tcp*" || !(c == 18446744073709551615) && $ctx.vpid == 7 && s != "*x*"', fields, ctx);
        const results = [
          p([101, 0n, 'tcp4']), p([100, 0n, 'tcp4']), p([0, 18446744073709551615n, 'udp']), p([0, 1n, 'udp']), p([0, 1n, 'uxp']),
          p([undefined, null, {}]),
        ];
        // A filter text that would do damage if it were ever evaluated as code.
        let refused = false;
        try { compileFilter('process.exit(3) == 1 || (() => 1)() == 1', fields, ctx); } catch (e) { refused = e.code === 'ERR_FILTER'; }
        console.log(JSON.stringify({ eval: blocked(() => eval('1')), fn: blocked(() => new Function('return 1')), results, refused }));
      `);
      const r = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', script], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.deepStrictEqual(JSON.parse(r.stdout), {
        eval: true, // the flag is in effect: code generation from strings throws
        fn: true,
        results: [true, true, false, true, false, false],
        refused: true,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('limits', () => {
  test(`an expression of ${MAX_FILTER_LENGTH} characters is accepted, one more is refused`, () => {
    const base = 'a == 1';
    const fits = base + ' '.repeat(MAX_FILTER_LENGTH - base.length);
    assert.equal(parseFilter(fits).text.length, MAX_FILTER_LENGTH);
    const e = filterError(fits + ' ');
    assert.equal(e.offset, MAX_FILTER_LENGTH);
    assert.equal(e.text, ' ');
    assert.match(e.message, /too long/);
  });

  test(`${MAX_FILTER_DEPTH} levels of parentheses are accepted, one more is refused at the offending "("`, () => {
    const nested = (n: number): string => '('.repeat(n) + 'a == 1' + ')'.repeat(n);
    const p = compileFilter(nested(MAX_FILTER_DEPTH), FIELDS, CONTEXT);
    assert.ok(p);
    assert.equal(p(valuesOf({ a: 1 })), true);
    const e = filterError(nested(MAX_FILTER_DEPTH + 1));
    assert.equal(e.offset, MAX_FILTER_DEPTH);
    assert.equal(e.text, '(');
    assert.match(e.message, /nested too deeply/);
  });

  test('! counts as a level too, so a wall of ! is refused, not a stack overflow', () => {
    const e = filterError('!'.repeat(4000) + '(a == 1)');
    assert.equal(e.offset, MAX_FILTER_DEPTH);
    assert.equal(e.text, '!');
    const p = compileFilter('!'.repeat(MAX_FILTER_DEPTH - 1) + '(a == 1)', FIELDS, CONTEXT);
    assert.ok(p);
    assert.equal(p(valuesOf({ a: 1 })), false); // 63 negations
    assert.equal(filterError('('.repeat(4000)).offset, MAX_FILTER_DEPTH);
    assert.equal(filterError('(!'.repeat(2000)).offset, MAX_FILTER_DEPTH);
  });

  test('a long flat chain is one n-ary node: no deep recursion to parse, compile or run it', () => {
    const terms = Array.from({ length: 300 }, (_, i) => `a == ${i}`);
    const or = terms.join(' || ');
    assert.ok(or.length <= MAX_FILTER_LENGTH);
    const expr = parseFilter(or);
    assert.equal(expr.ast.kind, 'or');
    assert.equal(expr.ast.kind === 'or' && expr.ast.operands.length, 300);
    const p = compileFilter(expr, FIELDS, CONTEXT);
    assert.ok(p);
    assert.equal(p(valuesOf({ a: 299 })), true);
    assert.equal(p(valuesOf({ a: 300 })), false);
    const andText = terms.map((t) => `!(${t})`).join('&&');
    assert.ok(andText.length <= MAX_FILTER_LENGTH);
    const and = compileFilter(andText, FIELDS, CONTEXT);
    assert.ok(and);
    assert.equal(and(valuesOf({ a: 300 })), true);
    assert.equal(and(valuesOf({ a: 3 })), false);
  });

  test('pathological globs stay cheap and correct', () => {
    const many = compileFilter(`s == "${'a*'.repeat(1000)}"`, FIELDS, CONTEXT);
    assert.ok(many);
    assert.equal(many(valuesOf({ s: 'a'.repeat(1000) })), true);
    assert.equal(many(valuesOf({ s: 'a'.repeat(999) })), false);
    assert.equal(many(valuesOf({ s: 'ab'.repeat(100_000) })), true);
    assert.equal(many(valuesOf({ s: 'b'.repeat(100_000) + 'a'.repeat(999) })), false);
    // Needs 1000 "x"s after the leading "a": the greedy scan fails in one pass, no backtracking.
    const middle = compileFilter(`s == "a*${'x*'.repeat(1000)}b"`, FIELDS, CONTEXT);
    assert.ok(middle);
    assert.equal(middle(valuesOf({ s: 'a' + 'x'.repeat(999) + 'y'.repeat(200_000) + 'b' })), false);
    assert.equal(middle(valuesOf({ s: 'a' + 'xy'.repeat(1000) + 'b' })), true);
    const stars = parseFilter(`s == "${'*'.repeat(4000)}"`);
    assert.deepStrictEqual(stars.ast.kind === 'compare' && stars.ast.right, { kind: 'string', segments: ['', ''] });
  });

  test('long tokens are shortened in messages but reported whole in `text`', () => {
    const long = '"' + 'x'.repeat(3000);
    const e = filterError(`s == ${long}`);
    assert.equal(e.offset, 5);
    assert.equal(e.text, long);
    assert.ok(e.message.length < 200, e.message);
  });
});
