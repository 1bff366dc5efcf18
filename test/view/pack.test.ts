/**
 * The view model's binary packing: times as u32 deltas when every step allows it (f64
 * otherwise), ids in u8 when few, sections aligned for zero-copy views, and the page's way of
 * adding the deltas up gives back the exact times.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SectionPacker } from '../../src/view/pack.js';

function unpack(packed: ReturnType<SectionPacker['pack']>, name: string): number[] {
  const s = packed.sections.find((x) => x.name === name)!;
  const Ctor = { f64: Float64Array, u32: Uint32Array, u16: Uint16Array, u8: Uint8Array, i32: Int32Array, i16: Int16Array, i8: Int8Array }[s.type];
  assert.equal(s.offset % 8, 0);
  const view = new Ctor(packed.data.buffer as ArrayBuffer, packed.data.byteOffset + s.offset, s.length);
  if (s.deltaFrom === undefined) return [...view];
  let v = s.deltaFrom;
  return [...view].map((d) => (v += d));
}

test('sorted integer times: u32 deltas that add up to the exact times, from a negative start too', () => {
  const times = new Float64Array([-1500, -1500, 0, 7, 7 + 0xffffffff, 7 + 2 * 0xffffffff, 8 + 2 * 0xffffffff]);
  const p = new SectionPacker();
  p.addTimes('ts', times);
  const packed = p.pack();
  assert.equal(packed.sections[0].type, 'u32');
  assert.deepEqual(unpack(packed, 'ts'), [...times]);
});

test('times a u32 delta cannot hold (a step of 2^32 ns or more, a fraction, a step back) stay f64', () => {
  for (const times of [[0, 2 ** 32], [0, 0.5], [10, 5]]) {
    const p = new SectionPacker();
    p.addTimes('ts', new Float64Array(times));
    const packed = p.pack();
    assert.equal(packed.sections[0].type, 'f64', String(times));
    assert.equal(packed.sections[0].deltaFrom, undefined);
    assert.deepEqual(unpack(packed, 'ts'), times);
  }
});

test('ids: u8 up to 256 distinct, u16 past it; every section 8-byte aligned', () => {
  const p = new SectionPacker();
  p.addIds('few', new Uint16Array([0, 255, 3]), 256);
  p.addIds('many', new Uint16Array([0, 256, 3]), 257);
  p.add('odd', new Uint8Array([1, 2, 3]), 'u8');
  p.addTimes('ts', new Float64Array([1, 2, 3]));
  const packed = p.pack();
  assert.deepEqual(packed.sections.map((s) => s.type), ['u8', 'u16', 'u8', 'u32']);
  assert.deepEqual(unpack(packed, 'few'), [0, 255, 3]);
  assert.deepEqual(unpack(packed, 'many'), [0, 256, 3]);
  assert.deepEqual(unpack(packed, 'odd'), [1, 2, 3]);
  assert.deepEqual(unpack(packed, 'ts'), [1, 2, 3]);
});
