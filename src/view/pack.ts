/**
 * Packing the view model into one binary buffer: each column in the smallest typed array that
 * holds it exactly, times as deltas, strings as one UTF-8 block with offsets, sections aligned
 * to 8 bytes so that the page makes typed-array views on the buffer without copying.
 */
export type ColumnKind = 'num' | 'text';

export interface ViewSection {
  readonly name: string;
  readonly type: 'f64' | 'u32' | 'u16' | 'u8' | 'i32' | 'i16' | 'i8';
  readonly offset: number;
  readonly length: number;
  /** Delta-coded: value i is `deltaFrom` plus the sum of elements 0..i (the page adds them up). */
  readonly deltaFrom?: number;
}

export type Packable = ArrayBufferView & { length: number };

interface Part {
  readonly name: string;
  readonly array: Packable;
  readonly type: ViewSection['type'];
  readonly deltaFrom?: number;
}

export class SectionPacker {
  private readonly parts: Part[] = [];

  add(name: string, array: Packable, type: ViewSection['type'], deltaFrom?: number): string {
    this.parts.push({ name, array, type, ...(deltaFrom === undefined ? {} : { deltaFrom }) });
    return name;
  }

  /** Unsigned ids (tracks, markers) in u8 when `count` allows, else u16. */
  addIds(name: string, ids: Uint16Array, count: number): string {
    return count <= 0x100 ? this.add(name, Uint8Array.from(ids), 'u8') : this.add(name, ids, 'u16');
  }

  /**
   * Sorted times (ns from the origin): as u32 deltas when every step is a whole number of ns
   * below 2^32 (a few bytes per event that compress well), else as f64 values.
   */
  addTimes(name: string, times: Float64Array): string {
    const n = times.length;
    if (n > 0) {
      const deltas = new Uint32Array(n);
      let prev = times[0];
      let ok = Number.isSafeInteger(prev);
      for (let i = 1; i < n && ok; i++) {
        const d = times[i] - prev;
        if (!(d >= 0 && d <= 0xffffffff && Number.isInteger(d))) ok = false;
        deltas[i] = d;
        prev = times[i];
      }
      if (ok) return this.add(name, deltas, 'u32', times[0]);
    }
    return this.add(name, times, 'f64');
  }

  pack(): { sections: ViewSection[]; data: Uint8Array } {
    let size = 0;
    const sections: ViewSection[] = this.parts.map((p) => {
      const offset = size;
      size += Math.ceil(p.array.byteLength / 8) * 8;
      return { name: p.name, type: p.type, offset, length: p.array.length, ...(p.deltaFrom === undefined ? {} : { deltaFrom: p.deltaFrom }) };
    });
    const data = new Uint8Array(size);
    this.parts.forEach((p, i) => data.set(new Uint8Array(p.array.buffer, p.array.byteOffset, p.array.byteLength), sections[i].offset));
    return { sections, data };
  }
}

export class StringTable {
  private readonly ids = new Map<string, number>();
  readonly list: string[] = [];
  id(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.list.length;
      this.list.push(s);
      this.ids.set(s, id);
    }
    return id;
  }

  /** The strings as one UTF-8 block and the offset of each (plus the end). */
  encoded(): { offsets: Uint32Array; utf8: Uint8Array } {
    const encoder = new TextEncoder();
    const encoded = this.list.map((s) => encoder.encode(s));
    const offsets = new Uint32Array(encoded.length + 1);
    let total = 0;
    encoded.forEach((e, i) => { offsets[i] = total; total += e.length; });
    offsets[encoded.length] = total;
    const utf8 = new Uint8Array(total);
    encoded.forEach((e, i) => utf8.set(e, offsets[i]));
    return { offsets, utf8 };
  }
}

/** The smallest typed array that holds a column exactly (NaN, a missing value, needs f64 or text). */
export function compactColumn(values: Float64Array, kind: ColumnKind): { array: Packable; type: ViewSection['type']; missing?: number } {
  if (kind === 'text') {
    // String ids in the smallest unsigned type; its largest value marks a missing field.
    let max = 0;
    for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i];
    const [Kind, type, missing] = max < 0xff ? [Uint8Array, 'u8', 0xff] as const : max < 0xffff ? [Uint16Array, 'u16', 0xffff] as const : [Uint32Array, 'u32', 0xffffffff] as const;
    const out = new Kind(values.length);
    for (let i = 0; i < values.length; i++) out[i] = Number.isNaN(values[i]) ? missing : values[i];
    return { array: out, type, missing };
  }
  let min = Infinity;
  let max = -Infinity;
  let integers = true;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || Object.is(v, -0)) { integers = false; break; }
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (integers && values.length > 0) {
    if (min >= -128 && max <= 127) return { array: Int8Array.from(values), type: 'i8' };
    if (min >= -32768 && max <= 32767) return { array: Int16Array.from(values), type: 'i16' };
    if (min >= -2147483648 && max <= 2147483647) return { array: Int32Array.from(values), type: 'i32' };
    if (min >= 0 && max <= 0xffffffff) return { array: Uint32Array.from(values), type: 'u32' };
  }
  return { array: values, type: 'f64' };
}
