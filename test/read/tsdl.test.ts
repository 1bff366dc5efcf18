/**
 * TSDL lexer and parser, metadata interpretation, and decoding of the less common types with
 * small hand-built traces (one packet without header or context, so bytes are easy to write).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TracemarkError } from '../../src/errors/index.js';
import { compileTrace } from '../../src/read/decode/compiled-trace.js';
import { parseMetadata } from '../../src/read/metadata/metadata.js';
import { tokenize } from '../../src/read/metadata/tsdl-lexer.js';
import { parseTsdl } from '../../src/read/metadata/tsdl-parser.js';
import { FIELD_SPECS, formatEvent, readTraceSync, type TraceEvent } from '../../src/read/index.js';
import { readAllSync, scratchDir } from './helpers.js';

const HEAD = '/* CTF 1.8 */\ntrace { major = 1; minor = 8; byte_order = le; };\n';

function metadata(text: string): ReturnType<typeof parseMetadata> {
  return parseMetadata(Buffer.from(text), 'metadata');
}

/** Writes a trace made of `tsdl` and one stream file, reads it. */
function read(tsdl: string, bytes: number[] | Buffer): { events: TraceEvent[]; error: unknown } {
  const { dir, done } = scratchDir();
  try {
    writeFileSync(join(dir, 'metadata'), HEAD + tsdl);
    writeFileSync(join(dir, 'stream'), Buffer.from(bytes));
    return readAllSync(readTraceSync(dir));
  } finally {
    done();
  }
}

function metadataError(text: string): TracemarkError {
  try {
    compileTrace(metadata(text));
  } catch (error) {
    assert.ok(error instanceof TracemarkError);
    return error;
  }
  assert.fail('expected a metadata error');
}

describe('lexer', () => {
  it('integers, strings, punctuation and comments', () => {
    const { tokens } = tokenize('x = 0x1F; y = 017; z = 42UL; s = "a\\"b\\n\\x41\\101"; // c\n/* d */ a := b ... c;');
    assert.deepEqual(tokens.filter((t) => t.kind === 'int').map((t) => t.value), [31n, 15n, 42n]);
    assert.equal(tokens.find((t) => t.kind === 'string')?.text, 'a"b\nAA');
    assert.ok(tokens.some((t) => t.text === ':='));
    assert.ok(tokens.some((t) => t.text === '...'));
    assert.equal(tokens.at(-1)?.kind, 'eof');
  });

  it('tracemark annotations are tokens, other comments are skipped', () => {
    const { tokens } = tokenize('/* tracemark.format = "len %u s \\"%s\\"" */ /* plain */');
    assert.deepEqual(tokens.map((t) => [t.kind, t.text, t.annotationValue]), [
      ['annotation', 'format', 'len %u s "%s"'], ['eof', '<end of metadata>', undefined]]);
  });

  it('a text cut inside a comment or string is a truncation, not an error', () => {
    assert.equal(tokenize('a; /* cut').truncatedAt, 3);
    assert.equal(tokenize('a = "cut').truncatedAt, 4);
    assert.throws(() => tokenize('a @ b'), /unexpected character/);
  });
});

describe('parser', () => {
  it('aliases (multi-word), typedef, named struct/variant/enum, nested arrays', () => {
    const parsed = parseTsdl(`
      typealias integer { size = 64; align = 64; signed = false; } := unsigned long;
      typedef integer { size = 16; } u16, pair_t[2];
      struct point { u16 x; u16 y; } align(32);
      enum color : unsigned long { RED, GREEN = 5, BLUE, "light blue" = 10 ... 12 };
      event { name = ev; fields := struct { struct point p; enum color c; pair_t pairs[3]; unsigned long m[2][4]; }; };`);
    const fields = parsed.blocks[0].types.get('fields')?.type;
    assert.ok(fields?.kind === 'struct');
    const [p, c, pairs, m] = fields.fields;
    assert.ok(p.type.kind === 'struct' && p.type.minAlignBits === 32);
    assert.ok(c.type.kind === 'enum');
    assert.deepEqual(c.type.mappings.map((x) => [x.label, x.lo, x.hi]), [['RED', 0n, 0n], ['GREEN', 5n, 5n], ['BLUE', 6n, 6n], ['light blue', 10n, 12n]]);
    assert.ok(pairs.type.kind === 'array' && pairs.type.length === 3 && pairs.type.element.kind === 'array' && pairs.type.element.length === 2);
    assert.ok(m.type.kind === 'array' && m.type.length === 2 && m.type.element.kind === 'array' && m.type.element.length === 4);
  });

  it('reports the offset of a syntax error', () => {
    const text = `${HEAD}event { name = "x"; fields := struct { integer { size = 8; } a b; }; };`;
    const error = metadataError(text);
    assert.equal(error.code, 'ERR_TRACE_CORRUPT');
    assert.equal(error.byteOffset, text.indexOf(' b;') + 1);
  });

  it('corrupt vs unsupported metadata', () => {
    const cases: [string, string, RegExp][] = [
      ['typealias integer { size = 8; } := a; typealias integer { size = 8; } := a;', 'ERR_TRACE_CORRUPT', /defined twice/],
      ['event { name = "x"; fields := struct { nosuch_t a; }; };', 'ERR_TRACE_CORRUPT', /unknown type "nosuch_t"/],
      ['event { name = "x"; fields := struct { integer { size = 0; } a; }; };', 'ERR_TRACE_CORRUPT', /integer size 0/],
      ['event { name = "x"; fields := struct { integer { size = 65; } a; }; };', 'ERR_TRACE_UNSUPPORTED', /integer size 65/],
      ['event { name = "x"; fields := struct { integer { size = 8; align = 3; } a; }; };', 'ERR_TRACE_CORRUPT', /power of two/],
      ['event { name = "x"; fields := struct { floating_point { exp_dig = 15; mant_dig = 113; } a; }; };', 'ERR_TRACE_UNSUPPORTED', /binary32 and binary64/],
      ['event { name = "x"; fields := struct { enum : integer { size = 8; } { } a; }; };', 'ERR_TRACE_CORRUPT', /at least one mapping/],
      ['event { name = "x"; fields := struct { integer { size = 8; } a[n]; }; };', 'ERR_TRACE_CORRUPT', /sequence length "n" does not name an earlier field/],
      ['event { name = "x"; fields := struct { integer { size = 8; } t; variant <t> { string a; } v; }; };', 'ERR_TRACE_CORRUPT', /not an enum/],
      ['trace { major = 1; minor = 8; byte_order = le; };', 'ERR_TRACE_CORRUPT', /duplicate trace block/],
      ['clock { name = c; freq = 0; };', 'ERR_TRACE_CORRUPT', /freq 0/],
      ['stream { event.header := struct { integer { size = 64; map = clock.nope.value; } timestamp; }; };', 'ERR_TRACE_CORRUPT', /unknown clock "nope"/],
      ['event { name = "x"; stream_id = 4; };', 'ERR_TRACE_CORRUPT', /unknown stream class 4/],
      ['event { name = "x"; id = 1; }; event { name = "y"; id = 1; };', 'ERR_TRACE_CORRUPT', /duplicate event class id 1/],
    ];
    for (const [tsdl, code, message] of cases) {
      const error = metadataError(HEAD + tsdl);
      assert.equal(error.code, code, `${tsdl}: ${error.message}`);
      assert.match(error.message, message);
      assert.equal(error.file, 'metadata');
      assert.ok((error.byteOffset as number) >= 0);
    }
    assert.equal(metadataError('/* CTF 1.8 */ trace { major = 2; minor = 0; byte_order = le; };').code, 'ERR_TRACE_UNSUPPORTED');
    assert.match(metadataError('/* CTF 1.8 */ env { a = 1; };').message, /no trace block/);
    assert.match(metadataError('trace { major = 1; };').message, /CTF 1\.8/);
  });

  it('env values, clocks, loglevel, model.emf.uri, callsite blocks', () => {
    const trace = metadata(`${HEAD}
      env { hostname = "h"; vpid = 12; big = 123456789012345678901; neg = -3; word = ust; };
      clock { name = "monotonic"; freq = 1000; offset_s = -10; offset = 5; absolute = TRUE; precision = 2; description = "d"; };
      callsite { name = "x"; func = "f"; file = "a.c"; line = 3; ip = 0x10; };
      event { name = "e"; loglevel = 13; model.emf.uri = "u"; };`);
    assert.deepEqual(trace.env, { hostname: 'h', vpid: 12, big: 123456789012345678901n, neg: -3, word: 'ust' });
    assert.deepEqual(trace.clocks.get('monotonic'), { name: 'monotonic', freq: 1000n, offsetS: -10n, offset: 5n, absolute: true, precision: 2n, description: 'd' });
    const event = trace.streams.get(0)?.events.get(0);
    assert.equal(event?.loglevel, 13);
    assert.equal(event?.modelEmfUri, 'u');
  });
});

describe('decoding less common types', () => {
  const HEADER8 = 'stream { event.header := struct { integer { size = 8; align = 8; } id; }; };\n';

  it('bit-packed fields, 33..63-bit integers, natural alignment from the packet start', () => {
    const { events, error } = read(`${HEADER8}event { name = "e"; id = 1; fields := struct {
        integer { size = 3; align = 1; } a;
        integer { size = 5; align = 1; signed = true; } b;
        integer { size = 40; align = 1; } wide;
        integer { size = 48; align = 1; signed = true; } swide;
        integer { size = 8; align = 8; } byte;
        integer { size = 16; align = 32; signed = false; } aligned;
      }; };`, [
      1, 0, 0, 0,                           // id, then padding: the payload struct aligns on 32 bits
      0b11111_101,                          // a = 5 (3 bits), b = -1 (5 bits)
      0xff, 0xff, 0xff, 0xff, 0x80,         // wide
      0xfe, 0xff, 0xff, 0xff, 0xff, 0xff,   // swide
      7, 0, 0, 0,                           // byte, then padding to bit 160
      0x34, 0x12]);                         // aligned
    assert.equal(error, undefined);
    assert.deepEqual(events[0].fields, { a: 5, b: -1, wide: 0x80ffffffffn, swide: -2n, byte: 7, aligned: 0x1234 });
    assert.equal(events[0].timestamp, 0n);
  });

  it('variants with ranges and absolute-path tags, sequences with absolute lengths, char arrays', () => {
    const { events, error } = read(`${HEADER8}event { name = "e"; id = 2; fields := struct {
        enum : integer { size = 8; } { A = 0, B = 1 ... 9 } tag;
        integer { size = 8; } n;
        struct { variant <event.fields.tag> { integer { size = 8; } A; string B; } v; } inner;
        integer { size = 8; } seq[event.fields.n];
        integer { size = 8; encoding = UTF8; } name[4];
        integer { size = 16; signed = true; } list[n];
      }; };`, [2, 5, 2, 0x61, 0x62, 0, 7, 8, 0x68, 0x69, 0, 0, 0xff, 0xff, 0x02, 0x00]);
    assert.equal(error, undefined);
    assert.deepEqual(events[0].fields, { tag: 5, n: 2, inner: { v: 'ab' }, seq: new Uint8Array([7, 8]), name: 'hi', list: [-1, 2] });
    assert.deepEqual(events[0][FIELD_SPECS], { tag: '%hhu', n: '%hhu', seq: '%pW', name: '%s', list: '%hd' });
  });

  it('a variant tag value without option ends the stream with ERR_TRACE_CORRUPT', () => {
    const { events, error } = read(`${HEADER8}event { name = "e"; id = 3; fields := struct {
        enum : integer { size = 8; } { A = 0, B = 1 } t; variant <t> { integer { size = 8; } A; } v; }; };`, [3, 0, 9, 3, 1, 0]);
    assert.equal(events.length, 1);
    assert.ok(error instanceof TracemarkError);
    assert.equal(error.byteOffset, 3);
    assert.match(error.message, /selects no option/);
  });

  it('an unmapped enum value is kept as its integer', () => {
    const { events } = read(`${HEADER8}event { name = "e"; id = 4; fields := struct { enum : integer { size = 8; } { A = 0 } e; }; };`, [4, 200]);
    assert.deepEqual(events[0].fields, { e: 200 });
  });

  it('floats: binary32 and binary64, byte-aligned or not', () => {
    const b = Buffer.alloc(1 + 1 + 4 + 8);
    b[0] = 5;
    b[1] = 0b1;                 // 1-bit flag, then the float starts at bit 9
    const f32 = Buffer.alloc(4);
    f32.writeFloatLE(-1.5);
    const packed = (BigInt(f32.readUInt32LE(0)) << 1n) | 1n;
    for (let i = 0; i < 5; i++) b[1 + i] = Number((packed >> BigInt(8 * i)) & 0xffn);
    b.writeDoubleLE(NaN, 6);
    const { events, error } = read(`${HEADER8}event { name = "e"; id = 5; fields := struct {
        integer { size = 1; align = 1; } flag; floating_point { exp_dig = 8; mant_dig = 24; align = 1; } f; floating_point { exp_dig = 11; mant_dig = 53; align = 8; } d; }; };`, b);
    assert.equal(error, undefined);
    assert.equal(events[0].fields.flag, 1);
    assert.equal(events[0].fields.f, -1.5);
    assert.ok(Number.isNaN(events[0].fields.d));
  });

  it('clock conversion with another frequency and an unmapped `timestamp` header field', () => {
    const tsdl = `clock { name = c; freq = 1000; offset_s = 10; offset = 500; };
      stream { event.header := struct { integer { size = 8; } id; integer { size = 64; align = 8; } timestamp; }; };
      event { name = "e"; id = 1; };`;
    const ts = Buffer.alloc(9);
    ts[0] = 1;
    ts.writeBigUInt64LE(1234n, 1);
    const { events, error } = read(tsdl, ts);
    assert.equal(error, undefined);
    // 10 s + (500 + 1234) ms
    assert.equal(events[0].timestamp, 11_734_000_000n);
    assert.equal(formatEvent(events[0]), '[1970-01-01T00:00:11.734000000Z] e:');
  });

  it('a stream with a single event class needs no id in the header', () => {
    const { events } = read('event { name = "only"; fields := struct { integer { size = 8; } x; }; };', [1, 2, 3]);
    assert.deepEqual(events.map((e) => [e.name, e.fields.x]), [['only', 1], ['only', 2], ['only', 3]]);
  });

  it('an event that takes no space is corruption, not an endless loop', () => {
    const { events, error } = read('stream { }; event { name = "nothing"; };', [1, 2, 3]);
    assert.equal(events.length, 0);
    assert.ok(error instanceof TracemarkError && /size 0/.test(error.message));
  });

  it('field names: one underscore stripped, __proto__ cannot change the prototype', () => {
    const { events } = read(`${HEADER8}event { name = "e"; id = 6; fields := struct { integer { size = 8; } ___proto__; integer { size = 8; } __x; }; };`, [6, 1, 2]);
    const fields = events[0].fields;
    assert.equal(Object.getPrototypeOf(fields), Object.prototype);
    assert.deepEqual(Object.keys(fields), ['__proto__', '_x']);
    assert.equal(Object.getOwnPropertyDescriptor(fields, '__proto__')?.value, 1);
  });
});
