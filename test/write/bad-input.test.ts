/**
 * Bad input from plain JavaScript callers: never an exception, always a documented value
 * (src/ring/coerce.ts), every coercion counted in tracing.stats().coercedArguments.
 */
import { strict as assert } from 'node:assert';
import { afterEach, describe, test } from 'node:test';
import { marker } from '../../src/index.js';
import { byteList, closeAll, fieldsOf, recording, statsDelta, uniqueName } from './helpers.js';

afterEach(closeAll);

type Loose = (...args: unknown[]) => void;

/** Fires a one-field marker of `spec` with `value`: the decoded value and the counter deltas. */
function fireOne(spec: string, value: unknown): { out: unknown; coerced: number; internalErrors: number } {
  const m = marker(uniqueName('bad'), `v ${spec}`);
  const session = recording(m.name);
  const delta = statsDelta(() => assert.doesNotThrow(() => (m as unknown as Loose)(value)));
  const events = fieldsOf(session);
  assert.equal(events.length, 1, `one event for ${spec} ← ${describeValue(value)}`);
  return { out: events[0].v, coerced: delta.coercedArguments, internalErrors: delta.internalErrors };
}

/** A label for messages that runs no user code (the values may be hostile). */
function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string': return JSON.stringify(value);
    case 'bigint': return `${value}n`;
    case 'number': case 'boolean': case 'undefined': return String(value);
    default: return value === null ? 'null' : typeof value;
  }
}

// Hostile values: none of their user code may run.
const ran: string[] = [];
const hostile = {
  throwingValueOf: { valueOf() { ran.push('valueOf'); throw new Error('valueOf'); } },
  throwingToString: { toString() { ran.push('toString'); throw new Error('toString'); } },
  throwingToPrimitive: { [Symbol.toPrimitive]() { ran.push('toPrimitive'); throw new Error('toPrimitive'); } },
  throwingGetters: Object.defineProperties({}, {
    length: { get() { ran.push('length'); throw new Error('length'); } },
    buffer: { get() { ran.push('buffer'); throw new Error('buffer'); } },
    byteLength: { get() { ran.push('byteLength'); throw new Error('byteLength'); } },
  }),
  proxyWithThrowingGet: new Proxy({}, { get() { ran.push('proxy get'); throw new Error('get'); } }),
  numberObject: new Number(5),
  stringObject: new String('str'),
  date: new Date(0),
  array: [5],
  nullProto: Object.create(null) as object,
};
const hostileEntries = Object.entries(hostile);

describe('numbers (%d and every numeric spec)', () => {
  const CASES: [string, unknown, number][] = [
    ['numeric string', '42', 42],
    ['numeric string with spaces', ' 12 ', 12],
    ['negative numeric string', '-7', -7],
    ['hex string', '0x10', 16],
    ['exponent string', '1e3', 1000],
    ['non-numeric string', 'abc', 0],
    ['empty string', '', 0],
    ['true', true, 1],
    ['false', false, 0],
    ['null', null, 0],
    ['undefined', undefined, 0],
    ['plain object', {}, 0],
    ['array', [], 0],
    ['Symbol', Symbol('s'), 0],
    ['function', () => 1, 0],
    ['bigint', 5n, 5],
    ['negative bigint', -5n, -5],
    ...hostileEntries.map(([k, v]): [string, unknown, number] => [k, v, 0]),
  ];
  for (const [title, value, expected] of CASES) {
    test(`%d ← ${title} → ${expected}, counted once`, () => {
      ran.length = 0;
      const r = fireOne('%d', value);
      assert.equal(r.out, expected);
      assert.equal(r.coerced, 1);
      assert.equal(r.internalErrors, 0);
      assert.deepEqual(ran, [], 'no user code ran');
    });
  }

  test('the same coercions for every numeric spec, then converted like C', () => {
    const specs: [string, (n: number) => unknown][] = [
      ['%hhd', (n) => Number(BigInt.asIntN(8, BigInt(n)))], ['%hhu', (n) => Number(BigInt.asUintN(8, BigInt(n)))],
      ['%hd', (n) => Number(BigInt.asIntN(16, BigInt(n)))], ['%hu', (n) => Number(BigInt.asUintN(16, BigInt(n)))],
      ['%i', (n) => n], ['%u', (n) => Number(BigInt.asUintN(32, BigInt(n)))], ['%x', (n) => Number(BigInt.asUintN(32, BigInt(n)))],
      ['%ld', (n) => BigInt(n)], ['%lld', (n) => BigInt(n)], ['%lu', (n) => BigInt.asUintN(64, BigInt(n))],
      ['%llx', (n) => BigInt.asUintN(64, BigInt(n))], ['%p', (n) => BigInt.asUintN(64, BigInt(n))],
      ['%f', (n) => n], ['%g', (n) => n], ['%e', (n) => n], ['%lf', (n) => n],
    ];
    for (const [spec, convert] of specs) {
      for (const [value, n] of [['-1', -1], [true, 1], [null, 0], [Symbol('x'), 0], [hostile.throwingValueOf, 0], ['300', 300]] as [unknown, number][]) {
        const r = fireOne(spec, value);
        assert.equal(r.out, convert(n), `${spec} ← ${describeValue(value)}`);
        assert.equal(r.coerced, 1, `${spec} ← ${describeValue(value)} counted`);
      }
    }
  });

  test('64-bit specs take numbers and bigints without coercion', () => {
    for (const spec of ['%ld', '%lu', '%p']) {
      assert.equal(fireOne(spec, 7).coerced, 0);
      assert.equal(fireOne(spec, 7n).coerced, 0);
    }
  });

  test('numbers of the right type are never counted, even NaN or out of range', () => {
    for (const spec of ['%d', '%hhu', '%f']) {
      for (const value of [NaN, Infinity, -0, 1e300, 3.5]) assert.equal(fireOne(spec, value).coerced, 0);
    }
  });

  test('non-numeric strings become 0 in floats too (not NaN); numeric ones are exact', () => {
    assert.equal(fireOne('%f', 'abc').out, 0);
    assert.equal(fireOne('%f', '1.5').out, 1.5);
    assert.equal(fireOne('%f', '-Infinity').out, -Infinity);
  });

  test('a bigint in a 32-bit or smaller field keeps its low bits, as a C cast does', () => {
    const big = 2n ** 60n + 3n; // beyond 2^53: must not go through a rounded double
    assert.equal(fireOne('%d', big).out, 3);
    assert.equal(fireOne('%u', -1n).out, 4294967295);
    assert.equal(fireOne('%x', 2n ** 64n - 1n).out, 0xffffffff);
    assert.equal(fireOne('%hhd', 2n ** 62n + 255n).out, -1);
    assert.equal(fireOne('%hu', 2n ** 100n + 65535n).out, 65535);
    assert.equal(fireOne('%d', 2n ** 31n).out, -(2 ** 31));
  });

  test('a bigint in a double field is its value, not wrapped to 64 bits', () => {
    assert.equal(fireOne('%f', 10n).out, 10);
    assert.equal(fireOne('%f', -(2n ** 63n)).out, -(2 ** 63));
    assert.equal(fireOne('%f', 2n ** 63n).out, 2 ** 63);
    assert.equal(fireOne('%g', 2n ** 64n - 1n).out, 2 ** 64);
    assert.equal(fireOne('%e', 2n ** 70n).out, 2 ** 70);
  });
});

describe('strings (%s)', () => {
  const CASES: [string, unknown, string][] = [
    ['number', 42, '42'],
    ['negative float', -1.5, '-1.5'],
    ['-0', -0, '0'],
    ['NaN', NaN, 'NaN'],
    ['Infinity', Infinity, 'Infinity'],
    ['bigint', 12345678901234567890n, '12345678901234567890'],
    ['true', true, 'true'],
    ['false', false, 'false'],
    ['null', null, '(null)'],
    ['undefined', undefined, '(undefined)'],
    ['plain object', {}, '(object)'],
    ['array', ['a'], '(object)'],
    ['Uint8Array', new Uint8Array([65]), '(object)'],
    ['Symbol', Symbol('desc'), '(symbol)'],
    ['arrow function', () => 1, '(function)'],
    ['class', class X {}, '(function)'],
    ...hostileEntries.map(([k, v]): [string, unknown, string] => [k, v, '(object)']),
  ];
  for (const [title, value, expected] of CASES) {
    test(`%s ← ${title} → ${JSON.stringify(expected)}, counted once`, () => {
      ran.length = 0;
      const r = fireOne('%s', value);
      assert.equal(r.out, expected);
      assert.equal(r.coerced, 1);
      assert.equal(r.internalErrors, 0);
      assert.deepEqual(ran, []);
    });
  }

  test('a revoked proxy is "(object)"', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    assert.equal(fireOne('%s', proxy).out, '(object)');
  });
});

describe('characters (%c)', () => {
  const CASES: [string, unknown, string][] = [
    ['a number is a code point', 65, 'A'],
    ['an astral code point', 0x1f600, '😀'],
    ['the highest code point', 0x10ffff, '\u{10ffff}'],
    ['code point 0 (NUL)', 0, '\ufffd'],
    ['a surrogate code point', 0xd800, '\ufffd'],
    ['negative', -1, '\ufffd'],
    ['not an integer', 65.5, '\ufffd'],
    ['beyond Unicode', 0x110000, '\ufffd'],
    ['NaN', NaN, '\ufffd'],
    ['Infinity', Infinity, '\ufffd'],
    ['bigint', 65n, '\ufffd'],
    ['true', true, '\ufffd'],
    ['null', null, '\ufffd'],
    ['undefined', undefined, '\ufffd'],
    ['object', {}, '\ufffd'],
    ['Symbol', Symbol('c'), '\ufffd'],
    ['function', () => 'A', '\ufffd'],
    ...hostileEntries.map(([k, v]): [string, unknown, string] => [k, v, '\ufffd']),
  ];
  for (const [title, value, expected] of CASES) {
    test(`%c ← ${title} → ${JSON.stringify(expected)}, counted once`, () => {
      ran.length = 0;
      const r = fireOne('%c', value);
      assert.equal(r.out, expected);
      assert.equal(r.coerced, 1);
      assert.equal(r.internalErrors, 0);
      assert.deepEqual(ran, []);
    });
  }
});

describe('blobs (%pW)', () => {
  const sab = new SharedArrayBuffer(3);
  new Uint8Array(sab).set([7, 8, 9]);
  const CASES: [string, unknown, number[]][] = [
    ['Int16Array (its bytes, little endian)', new Int16Array([1, -1]), [1, 0, 255, 255]],
    ['Uint8ClampedArray', new Uint8ClampedArray([300, 5]), [255, 5]],
    ['Float64Array', new Float64Array([1]), [0, 0, 0, 0, 0, 0, 0xf0, 0x3f]],
    ['BigInt64Array', new BigInt64Array([-1n]), [255, 255, 255, 255, 255, 255, 255, 255]],
    ['DataView over part of a buffer', new DataView(Uint8Array.from([1, 2, 3, 4, 5]).buffer, 1, 3), [2, 3, 4]],
    ['Int32Array subarray', new Int32Array([1, 2, 3]).subarray(1, 2), [2, 0, 0, 0]],
    ['ArrayBuffer', Uint8Array.from([4, 5]).buffer, [4, 5]],
    ['SharedArrayBuffer', sab, [7, 8, 9]],
    ['string (UTF-8)', 'hé😀', [...Buffer.from('hé😀')]],
    ['empty string', '', []],
    ['string with a lone surrogate', 'a\ud800', [0x61, 0xef, 0xbf, 0xbd]],
    ['null', null, []],
    ['undefined', undefined, []],
    ['number', 42, []],
    ['bigint', 42n, []],
    ['true', true, []],
    ['array of numbers', [1, 2, 3], []],
    ['plain object', {}, []],
    ['Symbol', Symbol('b'), []],
    ['function', () => new Uint8Array([1]), []],
    ...hostileEntries.map(([k, v]): [string, unknown, number[]] => [k, v, []]),
  ];
  for (const [title, value, expected] of CASES) {
    test(`%pW ← ${title} → ${JSON.stringify(expected)}, counted once`, () => {
      ran.length = 0;
      const r = fireOne('%pW', value);
      assert.deepEqual(byteList(r.out), expected);
      assert.equal(r.coerced, 1);
      assert.equal(r.internalErrors, 0);
      assert.deepEqual(ran, []);
    });
  }

  test('Uint8Array and Buffer are not coercions', () => {
    assert.equal(fireOne('%pW', new Uint8Array([1])).coerced, 0);
    assert.equal(fireOne('%pW', Buffer.from('x')).coerced, 0);
  });

  test('a Proxy whose getPrototypeOf throws is an empty blob', () => {
    const proxy = new Proxy({}, { getPrototypeOf() { throw new Error('trap'); } });
    const r = fireOne('%pW', proxy);
    assert.deepEqual(byteList(r.out), []);
  });

  test('a revoked Proxy is an empty blob', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    assert.deepEqual(byteList(fireOne('%pW', proxy).out), []);
  });

  test('a Uint8Array whose own length property throws is recorded from its real bytes', () => {
    const u8 = new Uint8Array([1, 2, 3]);
    Object.defineProperty(u8, 'length', { get() { throw new Error('length'); } });
    assert.deepEqual(byteList(fireOne('%pW', u8).out), [1, 2, 3]);
  });

  test('a Uint8Array whose own length lies is recorded from its real bytes', () => {
    const m = marker(uniqueName('bad'), 'v %pW after %u');
    const session = recording(m.name);
    const u8 = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    Object.defineProperty(u8, 'length', { value: 1 });
    m(u8, 0xabcdef);
    const [f] = fieldsOf(session);
    assert.deepEqual(byteList(f.v), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(f.after, 0xabcdef);
  });
});

describe('wrong argument counts', () => {
  test('missing arguments are undefined: each one coerced and counted', () => {
    const m = marker(uniqueName('bad'), 'a %d s %s c %c b %pW l %ld') as unknown as Loose & { name: string };
    const session = recording(m.name);
    const d0 = statsDelta(() => m());
    const d1 = statsDelta(() => m(1, 'x'));
    assert.equal(d0.coercedArguments, 5);
    assert.equal(d1.coercedArguments, 3);
    const events = session.events().map((e) => ({ ...e.fields, b: byteList(e.fields.b) }));
    assert.deepEqual(events, [
      { a: 0, s: '(undefined)', c: '\ufffd', b: [], l: 0n },
      { a: 1, s: 'x', c: '\ufffd', b: [], l: 0n },
    ]);
  });

  test('extra arguments are ignored and not counted', () => {
    const m = marker(uniqueName('bad'), 'a %d') as unknown as Loose & { name: string };
    const e = marker(uniqueName('bad'), '') as unknown as Loose & { name: string };
    const session = recording('bad:*');
    const delta = statsDelta(() => { m(1, 2, 'three', {}); e(1, null, hostile.throwingValueOf); });
    assert.equal(delta.coercedArguments, 0);
    assert.deepEqual(session.events().map((x) => x.fields), [{ a: 1 }, {}]);
  });

  test('a bad event does not disturb the next ones', () => {
    const m = marker(uniqueName('bad'), 'a %d s %s b %pW') as unknown as Loose & { name: string };
    const session = recording(m.name);
    m(Symbol('x'), hostile.throwingToString, hostile.throwingGetters);
    m(2, 'ok', new Uint8Array([2]));
    const events = session.events().map((e) => ({ ...e.fields, b: byteList(e.fields.b) }));
    assert.deepEqual(events, [{ a: 0, s: '(object)', b: [] }, { a: 2, s: 'ok', b: [2] }]);
  });

  test('bad input reaches probes and filters as given, and the event as coerced', () => {
    const m = marker(uniqueName('bad'), 'a %d s %s') as unknown as Loose & { name: string; attach: (p: (...a: unknown[]) => void) => () => void };
    const seen: unknown[][] = [];
    m.attach((...a) => seen.push(['probe', ...a]));
    const session = recording(m.name);
    session.addFilter((_, values) => { seen.push(['filter', ...values]); return true; });
    m('3', null);
    assert.deepEqual(seen, [['probe', '3', null], ['filter', '3', null]]);
    assert.deepEqual(fieldsOf(session), [{ a: 3, s: '(null)' }]);
  });
});
