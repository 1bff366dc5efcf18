/**
 * The encoders of src/ring/encode.ts: the generated one (`createEncoder`), the generic one
 * (`createGenericEncoder`, used without code generation) and the statements the fire functions
 * inline (`encoderStatements`) write identical bytes; the event header is compact or extended
 * exactly as docs/trace-format.md says; every value decodes to its reference conversion.
 */
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Channel, type ChannelOptions } from '../../src/ring/channel.js';
import { argumentStats } from '../../src/ring/coerce.js';
import { decodePacket, heldPackets, type RawEvent } from '../../src/ring/decode.js';
import { createEncoder, createGenericEncoder, encoderDeclarations, encoderHelpers, encoderSource, encoderStatements, type EncodeFn } from '../../src/ring/encode.js';
import { HEADER, PACKET, PACKET_MAGIC, readU64 } from '../../src/ring/layout.js';
import { parseFormat, type FieldInfo } from '../../src/format/parse.js';

const SPECS = ['%hhd', '%hhu', '%hd', '%hu', '%d', '%u', '%x', '%ld', '%lu', '%llx', '%p', '%f', '%c', '%s', '%pW'];

/** An encoder built from the statements the fire functions inline (exit by `break`). */
function createInlineEncoder(id: number, fields: readonly FieldInfo[]): EncodeFn {
  const params = ['ch', 'ts', ...fields.map((_, i) => `a${i}`)].join(', ');
  const body = encoderStatements(id, fields, 'break out;').join('\n');
  return new Function('h', `${encoderDeclarations(fields)}\nreturn function (${params}) { out: { ${body} } };`)(encoderHelpers) as EncodeFn;
}

function channelPair(options: ChannelOptions, n: number): Channel[] {
  const uuid = Uint8Array.from({ length: 16 }, (_, i) => i * 7);
  return Array.from({ length: n }, () => {
    const c = new Channel('c', options);
    c.setStreamIdentity(uuid, 3);
    return c;
  });
}

function channelState(c: Channel): unknown {
  return { stats: c.stats(), pos: c.pos, end: c.end, lastTs: c.lastTs, written: c.written, ctrl: [...c.ctrl], packet: c.currentPacket() };
}

function decodeAll(c: Channel, fields: readonly FieldInfo[], id: number): RawEvent[] {
  return heldPackets(c).flatMap((p) => decodePacket(c, p, (i) => (i === id ? fields : undefined)));
}

// --- values ------------------------------------------------------------------------------------------

const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.integer({ min: -300, max: 300 }),
  fc.double(),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 2 ** 53, 2 ** 63, 2 ** 64, -(2 ** 63), 1e20),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.constantFrom(2n ** 64n - 1n, -(2n ** 63n), 2n ** 63n - 1n),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.constantFrom('', '\u0000', '\ud800', '\udc00x', '42', ' 7 ', '0x1f', 'abc', '-1e3', '中', '😀'),
  fc.uint8Array({ maxLength: 24 }),
  fc.int16Array({ maxLength: 6 }),
  fc.constantFrom(true, false, null, undefined),
  fc.constant({}),
  fc.constant([1, 2]),
  fc.constant(Symbol('s')),
  fc.constant(() => 1),
  fc.integer({ min: 0, max: 0x10ffff }),
);
/** Mostly small values; now and then one larger than a small sub-buffer. */
const eventValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 20, arbitrary: anyValue },
  { weight: 1, arbitrary: fc.integer({ min: 150, max: 2500 }).map((n) => 'é'.repeat(n >> 1)) },
  { weight: 1, arbitrary: fc.integer({ min: 150, max: 2500 }).map((n) => new Uint8Array(n).fill(0xab)) },
);

const fieldsArb = fc.array(fc.constantFrom(...SPECS), { maxLength: 7 })
  .map((specs) => parseFormat(specs.map((s, i) => `f${i} ${s}`).join(' ')));

/** Clock steps: repeats, small steps, the compact header's limit, huge jumps, and going back. */
const tsStep = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: 5000 }),
  fc.constantFrom(HEADER.compactTimestampRange - 1, HEADER.compactTimestampRange, HEADER.compactTimestampRange + 1),
  fc.integer({ min: 1, max: 2 ** 40 }),
  fc.integer({ min: -(2 ** 30), max: -1 }),
);

describe('generated, generic and inlined encoders write identical bytes (fast-check, seeded)', () => {
  test('random layouts, values, clocks and geometries', () => {
    const scenario = fc.record({
      id: fc.oneof(fc.integer({ min: 0, max: 31 }), fc.integer({ min: 0, max: 5000 })),
      fields: fieldsArb,
      geometry: fc.record({
        subbufSize: fc.integer({ min: 256, max: 2048 }),
        subbufCount: fc.integer({ min: 2, max: 4 }),
        mode: fc.constantFrom<'discard' | 'overwrite'>('discard', 'overwrite'),
      }),
      start: fc.oneof(fc.integer({ min: 0, max: 2 ** 20 }), fc.integer({ min: 0, max: 2 ** 52 })),
      events: fc.array(fc.record({
        step: tsStep,
        args: fc.array(eventValue, { maxLength: 9 }),
        flush: fc.integer({ min: 0, max: 9 }).map((n) => n === 0), // stop() now and then
      }), { maxLength: 60 }),
    });
    fc.assert(fc.property(scenario, ({ id, fields, geometry, start, events }) => {
      const encoders = [createEncoder(id, fields), createGenericEncoder(id, fields), createInlineEncoder(id, fields)];
      const channels = channelPair(geometry, encoders.length);
      const coerced = [0, 0, 0];
      let ts = start;
      for (const { step, args, flush } of events) {
        ts = Math.max(0, ts + step);
        encoders.forEach((encode, k) => {
          const before = argumentStats.coerced;
          encode(channels[k], ts, ...args);
          coerced[k] += argumentStats.coerced - before;
        });
        if (flush) for (const c of channels) c.flush();
      }
      const [ref, ...others] = channels;
      others.forEach((c, k) => {
        assert.ok(Buffer.from(c.bytes).equals(Buffer.from(ref.bytes)), `bytes of encoder ${k + 1} differ from the generated one`);
        assert.deepEqual(channelState(c), channelState(ref));
      });
      assert.deepEqual(coerced.slice(1), [coerced[0], coerced[0]], 'same coercion counts');
      // The ring decodes: without a drainer, discard mode holds every event written.
      const held = decodeAll(ref, fields, id).length;
      if (geometry.mode === 'discard') assert.equal(held, ref.written);
      else assert.ok(held <= ref.written);
    }), { seed: 424242, numRuns: 400 });
  });

  test('repeated strings (the per-field cache of the last string) write the same bytes as fresh ones', () => {
    // A small pool, so that strings repeat, alternate and change length around the cache's
    // bounds (3 to 15 characters, ASCII without NUL); tiny sub-buffers put them at packet ends.
    const pool = ['', 'a', 'ab', 'abc', 'abcd', 'hello', 'seven77', 'eight888', 'nine99999', 'fifteen-chars!!', 'sixteen-chars!!!',
      'x'.repeat(40), 'é', 'hé', 'h\u0000llo', '中文字', 'abc😀', String(12345), 'hel' + 'lo'];
    const scenario = fc.record({
      fields: fc.constantFrom('s %s', 'n %d s %s t %s', 's %s c %c', 'b %pW s %s'),
      geometry: fc.record({ subbufSize: fc.integer({ min: 256, max: 600 }), subbufCount: fc.integer({ min: 2, max: 3 }), mode: fc.constantFrom<'discard' | 'overwrite'>('discard', 'overwrite') }),
      events: fc.array(fc.tuple(fc.constantFrom(...pool), fc.constantFrom(...pool), fc.boolean()), { minLength: 1, maxLength: 120 }),
    });
    fc.assert(fc.property(scenario, ({ fields: format, geometry, events }) => {
      const fields = parseFormat(format);
      const id = 7;
      const encoders = [createEncoder(id, fields), createGenericEncoder(id, fields), createInlineEncoder(id, fields)];
      const channels = channelPair(geometry, encoders.length);
      let ts = 1000;
      const fired: unknown[][] = [];
      for (const [x, y, flush] of events) {
        ts += 10;
        const args = fields.map((f, i) => (f.type === 'string' ? (i % 2 === 0 ? x : y) : f.type === 'blob' ? new Uint8Array([1, 2, 3]) : f.type === 'char' ? y : 5));
        fired.push(args);
        encoders.forEach((encode, k) => encode(channels[k], ts, ...args));
        if (flush && ts % 3 === 0) for (const c of channels) c.flush();
      }
      const [generated, generic, inline] = channels;
      assert.ok(Buffer.from(generated.bytes).equals(Buffer.from(generic.bytes)), 'generated differs from generic');
      assert.ok(Buffer.from(inline.bytes).equals(Buffer.from(generic.bytes)), 'inline differs from generic');
      if (geometry.mode === 'discard') {
        const decoded = decodeAll(generic, fields, id);
        assert.equal(decoded.length, generic.written);
        const stringField = fields.findIndex((f) => f.type === 'string');
        decoded.forEach((event, k) => assert.equal(event.values[stringField], wellFormed(String(fired[k][stringField]))));
      }
    }), { seed: 77, numRuns: 300 });
  });

  test('the generated source depends only on field types, never on names', () => {
    const a = encoderSource(3, parseFormat('x %d y %s'));
    const b = encoderSource(3, parseFormat('evil_name %d constructor %s'));
    assert.equal(a, b);
  });
});

// --- reference conversions ----------------------------------------------------------------------------

function wellFormed(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += text[i] + text[i + 1];
        i++;
        continue;
      }
    }
    out += (c >= 0xd800 && c <= 0xdfff) || c === 0 ? '\ufffd' : text[i];
  }
  return out;
}

/** Number from a non-number argument, per issue 2: strings, booleans; anything else 0. */
function numberOf(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const n = Number(v);
    return Number.isNaN(n) ? 0 : n;
  }
  return 0;
}

function integerOf(v: unknown, bits: number, signed: boolean): bigint {
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else {
    const n = numberOf(v);
    b = Number.isFinite(n) ? BigInt(Math.trunc(n)) : 0n;
  }
  return signed ? BigInt.asIntN(bits, b) : BigInt.asUintN(bits, b);
}

function reference(field: FieldInfo, v: unknown): unknown {
  switch (field.type) {
    case 'i8': return Number(integerOf(v, 8, true));
    case 'u8': return Number(integerOf(v, 8, false));
    case 'i16': return Number(integerOf(v, 16, true));
    case 'u16': return Number(integerOf(v, 16, false));
    case 'i32': return Number(integerOf(v, 32, true));
    case 'u32': return Number(integerOf(v, 32, false));
    case 'i64': return integerOf(v, 64, true);
    case 'u64': return integerOf(v, 64, false);
    case 'f64': return typeof v === 'bigint' ? Number(v) : numberOf(v);
    case 'string':
      switch (typeof v) {
        case 'string': return wellFormed(v);
        case 'number': case 'bigint': case 'boolean': return String(v);
        case 'undefined': return '(undefined)';
        case 'symbol': return '(symbol)';
        case 'function': return '(function)';
        default: return v === null ? '(null)' : '(object)';
      }
    case 'char': {
      if (typeof v === 'string') return v === '' ? '' : wellFormed(String.fromCodePoint(v.codePointAt(0)!));
      if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0x10ffff) return wellFormed(String.fromCodePoint(v));
      return '\ufffd';
    }
    case 'blob':
      if (ArrayBuffer.isView(v)) return [...new Uint8Array(v.buffer, v.byteOffset, v.byteLength)];
      if (v instanceof ArrayBuffer || v instanceof SharedArrayBuffer) return [...new Uint8Array(v)];
      if (typeof v === 'string') return [...new TextEncoder().encode(v)];
      return [];
  }
}

function comparable(field: FieldInfo, v: unknown): unknown {
  if (field.type === 'blob') return [...(v as Uint8Array)];
  if (field.type === 'f64') return Object.is(v, -0) ? '-0' : Number.isNaN(v) ? 'NaN' : v;
  return v;
}

describe('encode → decode gives the reference conversion of every value (fast-check, seeded)', () => {
  for (const [name, make] of [['generated', createEncoder], ['generic', createGenericEncoder]] as const) {
    test(name, () => {
      fc.assert(fc.property(fc.integer({ min: 0, max: 40 }), fieldsArb, fc.array(fc.array(anyValue, { maxLength: 8 }), { minLength: 1, maxLength: 10 }), (id, fields, rows) => {
        const encode = make(id, fields);
        const [ch] = channelPair({ subbufSize: 1 << 16, subbufCount: 2 }, 1);
        let ts = 1000;
        for (const row of rows) encode(ch, ts += 17, ...row);
        const decoded = decodeAll(ch, fields, id);
        assert.equal(decoded.length, rows.length);
        decoded.forEach((event, r) => {
          assert.equal(event.id, id);
          assert.equal(event.ts, BigInt(1000 + 17 * (r + 1)));
          fields.forEach((field, i) => {
            assert.deepEqual(comparable(field, event.values[i]), comparable(field, reference(field, rows[r][i])), `${field.spec} ← row ${r} arg ${i}`);
          });
        });
      }), { seed: 99, numRuns: 400 });
    });
  }
});

// --- event headers --------------------------------------------------------------------------------------

describe('event headers (docs/trace-format.md)', () => {
  const fields = parseFormat('v %u');
  for (const [name, make] of [['generated', createEncoder], ['generic', createGenericEncoder]] as const) {
    test(`${name}: compact below 2^27 ns and id ≤ 30, extended otherwise, exact bytes`, () => {
      const T = 5 * 2 ** 32 + 123456789; // beyond 32 bits: the high word matters
      const [ch] = channelPair({ subbufSize: 1024, subbufCount: 2 }, 1);
      const e7 = make(7, fields);
      const e30 = make(30, fields);
      const e31 = make(31, fields);
      const e300 = make(300, fields);
      e7(ch, T, 1); // first event: timestamp_begin = T, compact
      e30(ch, T + HEADER.compactTimestampRange - 1, 2); // still compact
      e7(ch, T + 2 * HEADER.compactTimestampRange - 1, 3); // 2^27 after the previous one: extended
      e31(ch, T + 2 * HEADER.compactTimestampRange, 4); // id 31: extended
      e300(ch, T + 2 * HEADER.compactTimestampRange, 5); // id 300: extended
      e7(ch, T, 6); // clock went back: written at the last timestamp, compact
      const start = 0;
      const view = ch.view;
      assert.equal(view.getUint32(start + PACKET.magicOffsetBytes, true), PACKET_MAGIC);
      assert.equal(readU64(view, start + PACKET.timestampBeginOffsetBytes), T);
      let pos = PACKET.headerSizeBytes;
      const compact = (id: number, ts: number, value: number): void => {
        assert.equal(view.getUint32(pos, true), (id | ((ts % HEADER.compactTimestampRange) << 5)) >>> 0, `compact header at ${pos}`);
        assert.equal(view.getUint32(pos + 4, true), value);
        pos += 8;
      };
      const extended = (id: number, ts: number, value: number): void => {
        assert.equal(view.getUint8(pos), 31);
        assert.equal(view.getUint32(pos + 1, true), id);
        assert.equal(readU64(view, pos + 5), ts);
        assert.equal(view.getUint32(pos + 13, true), value);
        pos += 17;
      };
      compact(7, T, 1);
      compact(30, T + HEADER.compactTimestampRange - 1, 2);
      extended(7, T + 2 * HEADER.compactTimestampRange - 1, 3);
      extended(31, T + 2 * HEADER.compactTimestampRange, 4);
      extended(300, T + 2 * HEADER.compactTimestampRange, 5);
      compact(7, T + 2 * HEADER.compactTimestampRange, 6);
      assert.equal(ch.pos, pos);
      assert.equal(ch.written, 6);
      const decoded = heldPackets(ch).flatMap((p) => decodePacket(ch, p, () => fields));
      assert.deepEqual(decoded.map((e) => [e.id, e.ts, e.values[0]]), [
        [7, BigInt(T), 1],
        [30, BigInt(T + HEADER.compactTimestampRange - 1), 2],
        [7, BigInt(T + 2 * HEADER.compactTimestampRange - 1), 3],
        [31, BigInt(T + 2 * HEADER.compactTimestampRange), 4],
        [300, BigInt(T + 2 * HEADER.compactTimestampRange), 5],
        [7, BigInt(T + 2 * HEADER.compactTimestampRange), 6],
      ]);
    });

    test(`${name}: compact timestamps crossing 27-bit boundaries decode exactly`, () => {
      const [ch] = channelPair({ subbufSize: 1 << 16, subbufCount: 2 }, 1);
      const encode = make(1, fields);
      const stamps: number[] = [];
      let ts = HEADER.compactTimestampRange - 10;
      for (let i = 0; i < 200; i++) {
        ts += (i * 7919) % (HEADER.compactTimestampRange - 1);
        stamps.push(ts);
        encode(ch, ts, i);
      }
      const decoded = heldPackets(ch).flatMap((p) => decodePacket(ch, p, () => fields));
      assert.deepEqual(decoded.map((e) => e.ts), stamps.map(BigInt));
      assert.equal(ch.pos, PACKET.headerSizeBytes + 200 * 8, 'all compact');
    });

    test(`${name}: an event that fits a fresh sub-buffer with a compact header is not too large`, () => {
      // 256-byte sub-buffer: 172 bytes for events. A %s event of id ≤ 30 in a fresh packet is
      // 4 + length + 1 bytes: 167 characters fit exactly; with id 31 (13-byte header), 158.
      const text = parseFormat('s %s');
      const [ch] = channelPair({ subbufSize: 256, subbufCount: 4 }, 1);
      const compactEncoder = make(2, text);
      const extendedEncoder = make(31, text);
      compactEncoder(ch, 100, 'a'.repeat(167));
      compactEncoder(ch, 101, 'b'.repeat(168));
      extendedEncoder(ch, 102, 'c'.repeat(158));
      extendedEncoder(ch, 103, 'd'.repeat(159));
      assert.deepEqual(ch.stats(), { written: 2, discarded: 2, tooLarge: 2, overwrittenPackets: 0, packets: 1 });
      const decoded = heldPackets(ch).flatMap((p) => decodePacket(ch, p, () => text));
      assert.deepEqual(decoded.map((e) => [e.id, (e.values[0] as string).length]), [[2, 167], [31, 158]]);
    });
  }
});
