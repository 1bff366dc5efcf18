/** What session.events() decodes for every field type: extremes, wrap-around like C, floats, text, blobs. */
import { strict as assert } from 'node:assert';
import { afterEach, describe, test } from 'node:test';
import { marker } from '../../src/index.js';
import { byteList, closeAll, fieldsOf, recording, statsDelta, uniqueName } from './helpers.js';

afterEach(closeAll);

/** Records `values` through a one-field marker of `spec`; returns the decoded values. */
function roundTrip(spec: string, values: readonly unknown[], options: Parameters<typeof recording>[1] = {}): unknown[] {
  const m = marker(uniqueName('val'), `v ${spec}`) as unknown as ((v: unknown) => void) & { name: string };
  const session = recording(m.name, options);
  for (const v of values) m(v);
  const out = fieldsOf(session).map((f) => f.v);
  assert.equal(out.length, values.length, `every ${spec} event recorded`);
  return out;
}

/** C conversion of a double to an integer of `bits` (truncation, then modulo; NaN/±Inf → 0). */
function cInt(value: number, bits: number, signed: boolean): number {
  if (!Number.isFinite(value)) return 0;
  const t = BigInt(Math.trunc(value));
  return Number(signed ? BigInt.asIntN(bits, t) : BigInt.asUintN(bits, t));
}

const SMALL_INTS: [string, number, boolean][] = [
  ['%hhd', 8, true], ['%hhu', 8, false], ['%hd', 16, true], ['%hu', 16, false],
  ['%d', 32, true], ['%i', 32, true], ['%u', 32, false], ['%x', 32, false],
];
const INT_INPUTS = [
  0, 1, -1, 127, 128, -128, -129, 255, 256, 32767, 32768, -32768, -32769, 65535, 65536,
  2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 5,
  2 ** 53, 2 ** 53 + 2, -(2 ** 53), 2 ** 60 + 2 ** 12, 1e20, -1e20,
  1.9, -1.9, 0.5, -0.5, -0, NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE,
];

describe('integers up to 32 bits: exact in range, truncated and wrapped like C outside', () => {
  for (const [spec, bits, signed] of SMALL_INTS) {
    test(spec, () => {
      const expected = INT_INPUTS.map((v) => cInt(v, bits, signed));
      const out = roundTrip(spec, INT_INPUTS);
      assert.deepEqual(out, expected);
      for (const v of out) assert.equal(typeof v, 'number');
      // -0 and anything that wraps to zero decode as +0.
      assert.ok(Object.is(out[INT_INPUTS.indexOf(-0)], 0));
    });
  }

  test('extremes of each width', () => {
    assert.deepEqual(roundTrip('%hhd', [-128, 127]), [-128, 127]);
    assert.deepEqual(roundTrip('%hhu', [0, 255]), [0, 255]);
    assert.deepEqual(roundTrip('%hd', [-32768, 32767]), [-32768, 32767]);
    assert.deepEqual(roundTrip('%hu', [0, 65535]), [0, 65535]);
    assert.deepEqual(roundTrip('%d', [-2147483648, 2147483647]), [-2147483648, 2147483647]);
    assert.deepEqual(roundTrip('%u', [0, 4294967295]), [0, 4294967295]);
    assert.deepEqual(roundTrip('%x', [0xdeadbeef, 0xffffffff]), [0xdeadbeef, 0xffffffff]);
  });
});

const I64 = ['%ld', '%li', '%lld'];
const U64 = ['%lu', '%llu', '%lx', '%llx', '%p'];
const BIG_INPUTS: bigint[] = [
  0n, 1n, -1n, -(2n ** 63n), 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 64n, -(2n ** 64n), 2n ** 100n + 7n,
  0xdeadbeefcafef00dn, 2n ** 53n + 1n, -(2n ** 53n) - 1n,
];
const NUMBER_INPUTS: number[] = [
  0, 1, -1, 2 ** 32, 2 ** 32 + 1, -(2 ** 32), 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 2 ** 60, 2 ** 62 + 2 ** 20,
  -(2 ** 63), 2 ** 63, 2 ** 64, 2 ** 64 + 2 ** 12, 1e20, -1e20, -(2 ** 40) - 7, 1.5, -1.5, 0.9, -0.9, -0,
  NaN, Infinity, -Infinity,
];
/** C conversion of a double to a 64-bit integer, as the encoders do it: truncate, then modulo 2^64. */
function c64(value: number, signed: boolean): bigint {
  if (!Number.isFinite(value)) return 0n;
  const t = BigInt(Math.trunc(value));
  return signed ? BigInt.asIntN(64, t) : BigInt.asUintN(64, t);
}

describe('64-bit integers decode as bigint', () => {
  for (const spec of I64) {
    test(`${spec}: bigints wrap to int64, numbers beyond 2^53 are exact`, () => {
      assert.deepEqual(roundTrip(spec, BIG_INPUTS), BIG_INPUTS.map((v) => BigInt.asIntN(64, v)));
      assert.deepEqual(roundTrip(spec, NUMBER_INPUTS), NUMBER_INPUTS.map((v) => c64(v, true)));
    });
  }
  for (const spec of U64) {
    test(`${spec}: bigints wrap to uint64, negative numbers wrap like C`, () => {
      assert.deepEqual(roundTrip(spec, BIG_INPUTS), BIG_INPUTS.map((v) => BigInt.asUintN(64, v)));
      assert.deepEqual(roundTrip(spec, NUMBER_INPUTS), NUMBER_INPUTS.map((v) => c64(v, false)));
    });
  }

  test('the named extremes', () => {
    assert.deepEqual(roundTrip('%ld', [-(2n ** 63n), 2n ** 63n - 1n, -(2 ** 63)]), [-(2n ** 63n), 2n ** 63n - 1n, -(2n ** 63n)]);
    assert.deepEqual(roundTrip('%lu', [2n ** 64n - 1n, -1, -1n, 2 ** 63]), [2n ** 64n - 1n, 2n ** 64n - 1n, 2n ** 64n - 1n, 2n ** 63n]);
    assert.deepEqual(roundTrip('%lu', [9007199254740993n]), [9007199254740993n], '2^53+1 as a bigint is exact');
  });
});

describe('doubles', () => {
  for (const spec of ['%f', '%lf', '%g', '%e']) {
    test(`${spec}: NaN, ±Infinity, -0, extremes and subnormals are exact`, () => {
      const values = [0, -0, 1.5, -0.1, Math.PI, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 1e-310,
        Number.MAX_SAFE_INTEGER, 2 ** 64, NaN, Infinity, -Infinity];
      const out = roundTrip(spec, values);
      out.forEach((v, i) => assert.ok(Object.is(v, values[i]), `${String(values[i])} decoded as ${String(v)}`));
    });
  }
});

describe('strings (%s) and characters (%c)', () => {
  const TEXTS: [string, string, string][] = [
    ['empty', '', ''],
    ['ASCII', 'hello, world', 'hello, world'],
    ['Latin-1', 'héllo ñ ü ÿ', 'héllo ñ ü ÿ'],
    ['CJK', '日本語の文字列', '日本語の文字列'],
    ['emoji (surrogate pairs)', '👍🏽 🎉 😀', '👍🏽 🎉 😀'],
    ['ZWJ sequence', '👩‍👩‍👧', '👩‍👩‍👧'],
    ['ASCII then non-ASCII (fast path, then slow path)', `${'a'.repeat(50)}é${'b'.repeat(5)}😀`, `${'a'.repeat(50)}é${'b'.repeat(5)}😀`],
    ['NUL becomes U+FFFD', 'a\u0000b', 'a\ufffdb'],
    ['only NUL', '\u0000', '\ufffd'],
    ['NUL after non-ASCII', 'é\u0000', 'é\ufffd'],
    ['lone high surrogate', 'x\ud800y', 'x\ufffdy'],
    ['lone high surrogate at the end', 'x\ud83d', 'x\ufffd'],
    ['lone low surrogate', '\udc00x', '\ufffdx'],
    ['reversed pair', '\ude00\ud83d', '\ufffd\ufffd'],
    ['high + high + low', '\ud83d\ud83d\ude00', '\ufffd😀'],
    ['U+FFFD itself and the highest code points', '\ufffd\uffff\u{10ffff}', '\ufffd\uffff\u{10ffff}'],
    ['control characters and DEL', '\t\n\r\u0001\u007f\u0080', '\t\n\r\u0001\u007f\u0080'],
    ['long text', 'lorem ipsum '.repeat(2000), 'lorem ipsum '.repeat(2000)],
  ];
  for (const [title, input, expected] of TEXTS) {
    test(`%s: ${title}`, () => {
      const delta = statsDelta(() => assert.deepEqual(roundTrip('%s', [input]), [expected]));
      assert.equal(delta.coercedArguments, 0, 'a string is never a coercion');
    });
  }

  test('%s: the string is followed by the next field intact', () => {
    const m = marker(uniqueName('val'), 'a %s b %d c %s');
    const session = recording(m.name);
    m('é\u0000😀', -5, '');
    m('', 7, '\ud800');
    assert.deepEqual(fieldsOf(session), [{ a: 'é\ufffd😀', b: -5, c: '' }, { a: '', b: 7, c: '\ufffd' }]);
  });

  test('%c: one character, in any plane; NUL and lone surrogates become U+FFFD', () => {
    const inputs = ['A', 'é', '中', '😀', '\u0000', '\ud800', '\udfff', '\u{10ffff}', ''];
    const expected = ['A', 'é', '中', '😀', '\ufffd', '\ufffd', '\ufffd', '\u{10ffff}', ''];
    const delta = statsDelta(() => assert.deepEqual(roundTrip('%c', inputs), expected));
    assert.equal(delta.coercedArguments, 0);
  });

  test('%c: a longer string keeps its first code point', () => {
    assert.deepEqual(roundTrip('%c', ['abc', '😀x', 'éa', '\ud800\ud800']), ['a', '😀', 'é', '\ufffd']);
  });
});

describe('blobs (%pW)', () => {
  test('empty, small, every byte value', () => {
    const every = Uint8Array.from({ length: 256 }, (_, i) => i);
    const out = roundTrip('%pW', [new Uint8Array(0), new Uint8Array([0]), every, Buffer.from('hi')]);
    assert.deepEqual(out.map(byteList), [[], [0], [...every], [104, 105]]);
    for (const v of out) assert.equal(Object.getPrototypeOf(v), Uint8Array.prototype);
  });

  test('a large blob (700 KB) in the default 1 MiB sub-buffer', () => {
    const big = Uint8Array.from({ length: 700_000 }, (_, i) => (i * 31) & 0xff);
    const [out] = roundTrip('%pW', [big]);
    assert.ok(Buffer.from(out as Uint8Array).equals(Buffer.from(big)));
  });

  test('only the bytes of the view are written, not its whole buffer', () => {
    const backing = Uint8Array.from([9, 9, 1, 2, 3, 9, 9]);
    const pooled = Buffer.from('pooled');
    assert.deepEqual(roundTrip('%pW', [backing.subarray(2, 5), pooled]).map(byteList), [[1, 2, 3], [...Buffer.from('pooled')]]);
  });

  test('the decoded blob is a copy: changing it or the argument changes nothing recorded', () => {
    const m = marker(uniqueName('val'), 'b %pW');
    const session = recording(m.name);
    const arg = new Uint8Array([1, 2, 3]);
    m(arg);
    arg[0] = 42;
    const first = session.events()[0].fields.b as Uint8Array;
    first[1] = 42;
    assert.deepEqual(byteList(session.events()[0].fields.b), [1, 2, 3]);
  });

  test('blob between other fields', () => {
    const m = marker(uniqueName('val'), 'a %hhu b %pW c %s d %pW e %ld');
    const session = recording(m.name);
    m(255, new Uint8Array([1, 2]), 'x', new Uint8Array(0), -1n);
    const [f] = fieldsOf(session);
    assert.equal(f.a, 255);
    assert.deepEqual(byteList(f.b), [1, 2]);
    assert.equal(f.c, 'x');
    assert.deepEqual(byteList(f.d), []);
    assert.equal(f.e, -1n);
  });
});

test('every type in one event, and a "" marker', () => {
  const m = marker(uniqueName('val'), 'a %hhd b %hhu c %hd d %hu e %d f %u g %x h %ld i %lu j %lx k %p l %f m %c n %s o %pW');
  const empty = marker(uniqueName('val'), '');
  const session = recording('val:*');
  m(-1, 255, -1, 65535, -1, 4294967295, 0xabcdef, -(2n ** 63n), 2n ** 64n - 1n, 0x1234n, 0xdeadbeef, -0.25, '€', 'text', new Uint8Array([7]));
  empty();
  const events = session.events();
  assert.deepEqual(events.map((e) => e.name), [m.name, empty.name]);
  const f = events[0].fields;
  assert.deepEqual({ ...f, o: byteList(f.o) }, {
    a: -1, b: 255, c: -1, d: 65535, e: -1, f: 4294967295, g: 0xabcdef, h: -(2n ** 63n), i: 2n ** 64n - 1n,
    j: 0x1234n, k: 0xdeadbeefn, l: -0.25, m: '€', n: 'text', o: [7],
  });
  assert.deepEqual(Object.keys(f), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o']);
  assert.deepEqual(events[1].fields, {});
});

test('field names that are Object.prototype members are plain own fields', () => {
  const m = marker(uniqueName('val'), '__proto__ %pW constructor %d toString %s hasOwnProperty %u');
  const session = recording(m.name);
  m(new Uint8Array([1]), 2, 'three', 4);
  const [f] = fieldsOf(session);
  assert.deepEqual(Object.keys(f), ['__proto__', 'constructor', 'toString', 'hasOwnProperty']);
  assert.equal(Object.getPrototypeOf(f), Object.prototype);
  assert.deepEqual(byteList(Object.getOwnPropertyDescriptor(f, '__proto__')!.value), [1]);
  assert.equal(f.constructor, 2);
  assert.equal(f.toString, 'three');
  assert.equal(f.hasOwnProperty, 4);
});

test('a marker with 100 fields', () => {
  const m = marker(uniqueName('val'), Array.from({ length: 100 }, (_, i) => `f${i} ${['%d', '%s', '%ld', '%pW'][i % 4]}`).join(' '));
  const session = recording(m.name);
  const args = Array.from({ length: 100 }, (_, i) => [i, `s${i}`, BigInt(-i), new Uint8Array([i])][i % 4]);
  (m as unknown as (...a: unknown[]) => void)(...args);
  const [f] = fieldsOf(session);
  assert.equal(Object.keys(f).length, 100);
  args.forEach((a, i) => {
    const v = f[`f${i}`];
    if (a instanceof Uint8Array) assert.deepEqual(byteList(v), [...a]);
    else assert.equal(v, a);
  });
});
