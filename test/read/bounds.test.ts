// Every loop of the reader is bounded by the bytes it consumes, and metadata size bounds the
// work of parsing it: reader bombs (arrays of empty structs, aliases that double at each
// level, 100k event classes) end quickly with a clear error, or are read in linear time.
// No timing assertion: the bombs would take minutes and gigabytes without the bounds, so a
// test that ends at all (under node --test's default timeout) shows they hold.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TracemarkError } from '../../src/errors/index.js';
import { compileTrace } from '../../src/read/decode/compiled-trace.js';
import { parseMetadata } from '../../src/read/metadata/metadata.js';
import { readTraceSync, type TraceWarning } from '../../src/read/index.js';
import { readAllSync, scratchDir } from './helpers.js';

const HEAD = '/* CTF 1.8 */\ntrace { major = 1; minor = 8; byte_order = le; };\n';
const HEADER8 = 'stream { event.header := struct { integer { size = 8; align = 8; } id; }; };\n';

function readWith(metadataText: string, stream: Buffer): ReturnType<typeof readAllSync> & { warnings: TraceWarning[] } {
  const { dir, done } = scratchDir();
  try {
    writeFileSync(join(dir, 'metadata'), metadataText);
    writeFileSync(join(dir, 'stream'), stream);
    const warnings: TraceWarning[] = [];
    return { ...readAllSync(readTraceSync(dir, { onWarning: (w) => warnings.push(w) })), warnings };
  } finally {
    done();
  }
}

describe('reader bombs', () => {
  it('an array of a million empty structs stops with a clear error, not 650 MB', () => {
    const tsdl = `${HEAD}${HEADER8}event { name = "bomb"; id = 0; fields := struct { struct { } _e[1000000]; integer { size = 8; } after; }; };`;
    const before = process.memoryUsage().rss;
    const stream = Buffer.alloc(135_000); // id 0 events (one byte each), the bomb in every one
    const { events, error } = readWith(tsdl, stream);
    assert.equal(events.length, 0);
    assert.ok(error instanceof TracemarkError);
    assert.equal(error.code, 'ERR_TRACE_CORRUPT');
    assert.match(error.message, /array _e of 1000000 elements: .* far more fields than the bytes/);
    assert.equal(error.byteOffset, 0);
    assert.ok(process.memoryUsage().rss - before < 200 * 1024 * 1024);
  });

  it('nested arrays of empty structs share one budget', () => {
    const tsdl = `${HEAD}${HEADER8}event { name = "bomb"; id = 0; fields := struct { struct { } _e[1000][1000][1000]; }; };`;
    const { error } = readWith(tsdl, Buffer.alloc(200_000));
    assert.ok(error instanceof TracemarkError);
    assert.match(error.message, /far more fields than the bytes/);
  });

  it('small arrays of empty structs still decode (a bounded amount of zero-size work is fine)', () => {
    const tsdl = `${HEAD}${HEADER8}event { name = "ok"; id = 0; fields := struct { struct { } _e[3]; integer { size = 8; } n; }; };`;
    const { events, error } = readWith(tsdl, Buffer.from([0, 7]));
    assert.equal(error, undefined);
    assert.deepEqual(events[0].fields, { e: [{}, {}, {}], n: 7 });
  });

  it('aliases that double at each level are refused by the size of their expansion', () => {
    let tsdl = `${HEAD}typealias integer { size = 8; } := t0;\n`;
    for (let i = 1; i <= 60; i++) tsdl += `typealias struct { t${i - 1} a; t${i - 1} b; } := t${i};\n`;
    tsdl += `${HEADER8}event { name = "x"; id = 0; fields := struct { t60 v; }; };\n`;
    assert.throws(() => compileTrace(parseMetadata(Buffer.from(tsdl), 'metadata')), (error: unknown) => {
      assert.ok(error instanceof TracemarkError);
      assert.equal(error.code, 'ERR_TRACE_UNSUPPORTED');
      assert.match(error.message, /expand to \d.* nodes/);
      return true;
    });
  });

  it('declared sequence lengths of 2^32 and packet sizes of 2^63 cost nothing', () => {
    const seq = `${HEAD}${HEADER8}event { name = "s"; id = 0; fields := struct { integer { size = 32; } n; struct { integer { size = 8; } x; } items[n]; }; };`;
    const r1 = readWith(seq, Buffer.from([0, 0xff, 0xff, 0xff, 0xff, 1, 2]));
    assert.ok(r1.error instanceof TracemarkError);
    assert.match(r1.error.message, /length 4294967295 does not fit/);
    const ctx = `${HEAD}stream { packet.context := struct { integer { size = 64; } packet_size; integer { size = 64; } content_size; }; event.header := struct { integer { size = 8; } id; }; };\nevent { name = "e"; id = 0; fields := struct { integer { size = 8; } v; }; };`;
    const stream = Buffer.alloc(18);
    stream.writeBigUInt64LE(1n << 63n, 0);
    stream.writeBigUInt64LE(144n, 8);
    const r2 = readWith(ctx, stream);
    assert.ok(r2.error instanceof TracemarkError);
  });

  it('100k event classes: metadata parsed and compiled in linear time (once per class)', () => {
    const parts = [HEAD, HEADER8.replace('size = 8; align = 8; } id', 'size = 32; align = 8; } id')];
    for (let i = 0; i < 100_000; i++) {
      parts.push(`event {\n\tname = "m:e${i}";\n\tid = ${i};\n\tfields := struct { integer { size = 32; align = 8; } len; string text; };\n};\n`);
    }
    const text = parts.join('');
    const compiled = compileTrace(parseMetadata(Buffer.from(text), 'metadata'));
    const stream = compiled.streams.get(0);
    assert.equal(stream?.events.size, 100_000);
    assert.equal(stream?.events.get(99_999)?.name, 'm:e99999');
  });
});

describe('metadata babeltrace2 only warns about', () => {
  it('a character literal is read as a string, with a warning', () => {
    const tsdl = `${HEAD}env { flag = 'x'; }; ${HEADER8}event { name = 'quoted'; id = 0; fields := struct { integer { size = 8; } v; }; };`;
    const { events, error, warnings } = readWith(tsdl, Buffer.from([0, 9]));
    assert.equal(error, undefined);
    assert.equal(events[0].name, 'quoted');
    assert.deepEqual(events[0].fields, { v: 9 });
    assert.deepEqual(warnings.map((w) => [w.message, w.byteOffset]), [
      ['character literal read as a string', tsdl.indexOf("'x'")],
      ['character literal read as a string', tsdl.indexOf("'quoted'")],
    ]);
  });

  it('an unknown integer attribute is a warning with its byte offset; the field decodes', () => {
    const tsdl = `${HEAD}${HEADER8}event { name = "e"; id = 0; fields := struct { integer { size = 16; bogus = 1; } v; }; };`;
    const { events, error, warnings } = readWith(tsdl, Buffer.from([0, 0x34, 0x12]));
    assert.equal(error, undefined);
    assert.deepEqual(events[0].fields, { v: 0x1234 });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0].message, /unknown integer attribute "bogus"/);
  });
});

describe('big-endian bit fields', () => {
  it('start at the most significant bit of their byte (CTF 1.8 §4.1.5), native = the trace order', () => {
    const head = '/* CTF 1.8 */\ntypealias integer { size = 16; align = 8; } := u16;\ntrace { major = 1; minor = 8; byte_order = be; };\n';
    const tsdl = `${head}${HEADER8}event { name = "e"; id = 0; fields := struct {
      integer { size = 3; align = 1; } a; integer { size = 13; align = 1; signed = true; } b;
      u16 c; integer { size = 16; align = 8; byte_order = le; } d; integer { size = 40; align = 1; } w; }; };`;
    // a = 0b101, b = -2 (13 bits 1111111111110): 101 11111 11111110; c = 0x1234 BE; d = 0x1234 LE; w 5 bytes BE
    const { events, error } = readWith(tsdl, Buffer.from([0, 0b10111111, 0b11111110, 0x12, 0x34, 0x34, 0x12, 1, 2, 3, 4, 5]));
    assert.equal(error, undefined);
    assert.deepEqual(events[0].fields, { a: 5, b: -2, c: 0x1234, d: 0x1234, w: 0x0102030405n });
  });
});
