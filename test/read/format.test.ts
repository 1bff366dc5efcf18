/**
 * formatEvent: layout, each spec's rendering, escaping, blob shortening, blob decoders.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TracemarkError } from '../../src/errors/index.js';
import { BLOB_PREVIEW_BYTES, FIELD_SPECS, attachFieldSpecs, formatEvent, formatTimestamp, registerBlobDecoder, type TraceEvent } from '../../src/read/index.js';

const T0 = 1_700_000_000_671_087_740n;

function event(fields: Record<string, unknown>, specs?: Record<string, string>, name = 'net:rx'): TraceEvent {
  const e: TraceEvent = { name, id: 3, timestamp: T0, stream: 'default_0', fields };
  return specs === undefined ? e : attachFieldSpecs(e, specs);
}

/** The text after `name:`. */
function body(fields: Record<string, unknown>, specs?: Record<string, string>, name = 'net:rx'): string {
  const line = formatEvent(event(fields, specs, name));
  const prefix = `[2023-11-14T22:13:20.671087740Z] ${name}:`;
  assert.ok(line.startsWith(prefix), line);
  return line.slice(prefix.length).trimStart();
}

describe('formatEvent layout', () => {
  it('timestamp in UTC with nanoseconds, name, then name=value pairs', () => {
    const line = formatEvent(event({ len: 1500, proto: 'tcp', payload: new Uint8Array([0xde, 0xad, 0xbe, 0xef]) }, { len: '%u', proto: '%s', payload: '%pW' }));
    assert.equal(line, '[2023-11-14T22:13:20.671087740Z] net:rx: len=1500 proto="tcp" payload=<de ad be ef>');
  });

  it('an event without fields ends with the name and its colon', () => {
    assert.equal(formatEvent(event({})), '[2023-11-14T22:13:20.671087740Z] net:rx:');
  });

  it('stream and context on request', () => {
    const e = { ...event({ a: 1 }), context: { vpid: 42, vtid: 43 } };
    assert.equal(formatEvent(e, { stream: true, context: true }), '[2023-11-14T22:13:20.671087740Z] (default_0) net:rx: {vpid=42, vtid=43} a=1');
    assert.equal(formatEvent(e), '[2023-11-14T22:13:20.671087740Z] net:rx: a=1');
  });

  it('timestamps: epoch, before the epoch, far future, same second cached correctly', () => {
    assert.equal(formatTimestamp(0n), '1970-01-01T00:00:00.000000000Z');
    assert.equal(formatTimestamp(-1n), '1969-12-31T23:59:59.999999999Z');
    assert.equal(formatTimestamp(1n), '1970-01-01T00:00:00.000000001Z');
    assert.equal(formatTimestamp(T0 + 1n), '2023-11-14T22:13:20.671087741Z');
    assert.equal(formatTimestamp(T0 + 400_000_000n), '2023-11-14T22:13:21.071087740Z');
    assert.equal(formatTimestamp(2n ** 63n - 1n), '2262-04-11T23:47:16.854775807Z');
    assert.equal(formatTimestamp(10n ** 25n), '10000000000000000000000000ns');
  });
});

describe('specs', () => {
  it('integers: decimal, hex with 0x, bigint and number alike', () => {
    assert.equal(body({ a: -5, b: 4294967295, c: -(2n ** 63n), d: 2n ** 64n - 1n }, { a: '%d', b: '%u', c: '%ld', d: '%lu' }),
      'a=-5 b=4294967295 c=-9223372036854775808 d=18446744073709551615');
    assert.equal(body({ x: 0xabcd, lx: 0xdeadbeefcafef00dn, p: 0x1000n, z: 0, n: -255 }, { x: '%x', lx: '%lx', p: '%p', z: '%x', n: '%x' }),
      'x=0xabcd lx=0xdeadbeefcafef00d p=0x1000 z=0x0 n=-0xff');
    assert.equal(body({ a: 1, b: 2, c: 3, d: 4, e: 5n, f: 6n }, { a: '%hhd', b: '%hhu', c: '%hd', d: '%hu', e: '%lld', f: '%llx' }),
      'a=1 b=2 c=3 d=4 e=5 f=0x6');
  });

  it('floats: shortest round-trip form, NaN, Infinity, -Infinity, -0', () => {
    const values = [0.1, 1e300, 5e-324, -0, 0, NaN, Infinity, -Infinity, 1 / 3, 2];
    const fields = Object.fromEntries(values.map((v, i) => [`f${i}`, v]));
    const specs = Object.fromEntries(values.map((_, i) => [`f${i}`, ['%f', '%g', '%e', '%lf'][i % 4]]));
    const text = body(fields, specs);
    assert.equal(text, 'f0=0.1 f1=1e+300 f2=5e-324 f3=-0 f4=0 f5=NaN f6=Infinity f7=-Infinity f8=0.3333333333333333 f9=2');
    for (const [i, v] of values.entries()) {
      const shown = new RegExp(`f${i}=(\\S+)`).exec(text)?.[1] as string;
      assert.ok(Object.is(Number(shown), v), `${shown} round-trips to ${v}`);
    }
  });

  it('%s: JSON-style quoting keeps one event on one line', () => {
    const nasty = 'a "q" \\ \n\r\t \u0000 \u0001 \u007f \u0085 \u2028 \u2029 é ✓ 😀';
    const text = body({ s: nasty }, { s: '%s' });
    assert.equal(text, 's="a \\"q\\" \\\\ \\n\\r\\t \\u0000 \\u0001 \\u007f \\u0085 \\u2028 \\u2029 é ✓ 😀"');
    assert.ok(!/[\n\r\u2028\u2029]/.test(formatEvent(event({ s: nasty }, { s: '%s' }))));
    assert.equal(JSON.parse(text.slice(2).replace(/\\u007f|\\u0085|\\u2028|\\u2029/g, (m) => m)), nasty);
    assert.equal(body({ s: '' }, { s: '%s' }), 's=""');
    assert.equal(body({ s: 'lone \ud800' }, { s: '%s' }), 's="lone \\ud800"');
  });

  it('%c: a quoted character', () => {
    assert.equal(body({ a: 'x', b: "'", c: '"', d: '\n', e: 'é' }, { a: '%c', b: '%c', c: '%c', d: '%c', e: '%c' }),
      `a='x' b='\\'' c='"' d='\\n' e='é'`);
  });

  it('%pW: hex bytes, shortened past the preview length', () => {
    assert.equal(body({ b: new Uint8Array([]) }, { b: '%pW' }), 'b=<>');
    assert.equal(body({ b: new Uint8Array([0, 1, 0xff]) }, { b: '%pW' }), 'b=<00 01 ff>');
    const long = Uint8Array.from({ length: 300 }, (_, i) => i % 256);
    const text = body({ b: long }, { b: '%pW' });
    assert.equal(BLOB_PREVIEW_BYTES, 32);
    assert.equal(text, `b=<${Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, '0')).join(' ')} …> (300 bytes)`);
    const exact = Uint8Array.from({ length: 32 }, () => 0xaa);
    assert.ok(!body({ b: exact }, { b: '%pW' }).includes('…'));
  });

  it('nested values: structs with dotted specs, arrays with the element spec', () => {
    const text = body({ point: { x: -1, y: 255 }, pair: [7, 65535], tags: ['a', 'b'], none: null, flag: true },
      { 'point.x': '%d', 'point.y': '%x', pair: '%hu', tags: '%s' });
    assert.equal(text, 'point={x=-1, y=0xff} pair=[7, 65535] tags=["a", "b"] none=null flag=true');
  });

  it('without FIELD_SPECS, values are shown by their JS type', () => {
    assert.equal(body({ n: 3, f: 2.5, big: 10n, s: 'x', b: new Uint8Array([1]), u: undefined, o: {} }),
      'n=3 f=2.5 big=10 s="x" b=<01> u=undefined o={}');
  });

  it('a value that does not fit its spec is shown by its type', () => {
    assert.equal(body({ a: 'text', b: 1.5, c: 7 }, { a: '%d', b: '%x', c: '%s' }), 'a="text" b=1.5 c=7');
  });

  it('FIELD_SPECS is the registry symbol and is not enumerable', () => {
    assert.equal(FIELD_SPECS, Symbol.for('tracemark.fieldSpecs'));
    const e = event({ a: 1 }, { a: '%x' });
    assert.deepEqual(Object.keys(e), ['name', 'id', 'timestamp', 'stream', 'fields']);
    assert.deepEqual(e[FIELD_SPECS], { a: '%x' });
  });
});

describe('registerBlobDecoder', () => {
  const payload = new Uint8Array([0x47, 0x45, 0x54, 0x20, 0x2f]);

  it('string results are printed as is (kept on one line), other results JSON-style', () => {
    const off = registerBlobDecoder('net:rx', 'payload', (b) => new TextDecoder().decode(b));
    try {
      assert.equal(body({ payload }, { payload: '%pW' }), 'payload=GET /');
      assert.equal(body({ payload: new Uint8Array([0x61, 0x0a, 0x62]) }, { payload: '%pW' }), 'payload=a\\nb');
      // Only that event and field.
      assert.equal(body({ payload }, { payload: '%pW' }, 'net:tx'), 'payload=<47 45 54 20 2f>');
      assert.equal(body({ other: payload }, { other: '%pW' }), 'other=<47 45 54 20 2f>');
    } finally {
      off();
    }
    assert.equal(body({ payload }, { payload: '%pW' }), 'payload=<47 45 54 20 2f>');
  });

  it('objects, bigints, NaN, byte arrays and cycles render JSON-ish', () => {
    const cyclic: Record<string, unknown> = { n: 1 };
    cyclic.self = cyclic;
    const off = registerBlobDecoder('net:rx', 'payload', (b) => ({ len: b.length, big: 2n ** 64n, nan: NaN, raw: b.subarray(0, 2), list: [1, 'two'], cyclic }));
    try {
      assert.equal(body({ payload }, { payload: '%pW' }),
        'payload={"len":5,"big":18446744073709551616,"nan":NaN,"raw":<47 45>,"list":[1,"two"],"cyclic":{"n":1,"self":[circular]}}');
    } finally {
      off();
    }
  });

  it('a throwing decoder falls back to hex with a note', () => {
    const off = registerBlobDecoder('net:rx', 'payload', () => { throw new Error('bad\nframe'); });
    try {
      assert.equal(body({ payload }, { payload: '%pW' }), 'payload=<47 45 54 20 2f> (decoder error: bad\\nframe)');
      const long = new Uint8Array(100);
      assert.equal(body({ payload: long }, { payload: '%pW' }), `payload=<${Array(32).fill('00').join(' ')} …> (100 bytes) (decoder error: bad\\nframe)`);
    } finally {
      off();
    }
  });

  it('decoders apply to events read from traces, registered at any time', async () => {
    const { readTraceSync } = await import('../../src/read/index.js');
    const { fixture } = await import('./helpers.js');
    const events = [...readTraceSync(fixture('good', 'tm-basic'))];
    const before = formatEvent(events[0]);
    const off = registerBlobDecoder('net:rx', 'payload', (b) => `${b.length} bytes`);
    try {
      assert.ok(before.endsWith('payload=<de ad be ef>'));
      assert.ok(formatEvent(events[0]).endsWith('payload=4 bytes'));
    } finally {
      off();
    }
  });

  it('the unregister function removes only its own registration', () => {
    const off1 = registerBlobDecoder('net:rx', 'payload', () => 'one');
    const off2 = registerBlobDecoder('net:rx', 'payload', () => 'two');
    off1();
    assert.equal(body({ payload }, { payload: '%pW' }), 'payload=two');
    off2();
    off2();
    assert.equal(body({ payload }, { payload: '%pW' }), 'payload=<47 45 54 20 2f>');
  });

  it('rejects a decoder that is not a function', () => {
    assert.throws(() => registerBlobDecoder('a:b', 'c', 42 as unknown as () => void), (e: unknown) => e instanceof TracemarkError && e.code === 'ERR_INVALID_ARG');
  });
});

describe('printEvents', () => {
  it('writes one line per event to a file descriptor and returns the count', async () => {
    const { openSync, closeSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { printEvents, readTraceSync } = await import('../../src/read/index.js');
    const { fixture, scratchDir } = await import('./helpers.js');
    const { dir, done } = scratchDir();
    try {
      const out = join(dir, 'out.txt');
      const fd = openSync(out, 'w');
      try {
        assert.equal(printEvents(readTraceSync(fixture('good', 'tm-basic')), fd), 12);
      } finally {
        closeSync(fd);
      }
      assert.equal(readFileSync(out, 'utf8'), readFileSync(fixture('good', 'tm-basic.expected.txt'), 'utf8'));
      // Lines before the damage are written, then the error propagates.
      const fd2 = openSync(out, 'w');
      try {
        assert.throws(() => printEvents(readTraceSync(fixture('damaged', 'tm-truncated')), fd2), { code: 'ERR_TRACE_CORRUPT' });
      } finally {
        closeSync(fd2);
      }
      assert.equal(readFileSync(out, 'utf8').split('\n').length - 1, 9);
    } finally {
      done();
    }
  });
});
