/**
 * The protobuf wire format, as much as the Perfetto export needs: varints (wire type 0), 64-bit
 * values (1), length-delimited bytes and sub-messages (2). A message is built in a growable
 * buffer; a sub-message is built in its own writer and appended with its length.
 */
const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;

const encoder = new TextEncoder();

export class ProtoWriter {
  bytes: Uint8Array;
  length = 0;
  private view: DataView;

  constructor(initialBytes = 256) {
    this.bytes = new Uint8Array(initialBytes);
    this.view = new DataView(this.bytes.buffer);
  }

  reset(): this {
    this.length = 0;
    return this;
  }

  private room(bytes: number): void {
    if (this.length + bytes <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + bytes) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  /** A non-negative integer below 2^53 as a varint. */
  rawVarint(value: number): void {
    this.room(10);
    let v = value;
    while (v >= 0x80) {
      this.bytes[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.bytes[this.length++] = v;
  }

  /** Any 64-bit integer (negative: two's complement, 10 bytes). */
  rawVarint64(value: bigint): void {
    this.room(10);
    let v = BigInt.asUintN(64, value);
    while (v >= 0x80n) {
      this.bytes[this.length++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.bytes[this.length++] = Number(v);
  }

  private tag(field: number, wire: number): void {
    this.rawVarint(field * 8 + wire);
  }

  uint(field: number, value: number): this {
    this.tag(field, WIRE_VARINT);
    this.rawVarint(value);
    return this;
  }

  /** int64/uint64 from a bigint, or from a safe integer number. */
  int64(field: number, value: bigint | number): this {
    this.tag(field, WIRE_VARINT);
    if (typeof value === 'number' && value >= 0) this.rawVarint(value);
    else this.rawVarint64(BigInt(value));
    return this;
  }

  /** sint64 (zigzag: small negative numbers stay short), from a bigint or a safe integer. */
  sint64(field: number, value: bigint | number): this {
    this.tag(field, WIRE_VARINT);
    // 2|v| + 1 is exact in a double only below 2^53: larger magnitudes go through bigint.
    if (typeof value === 'number' && value < 2 ** 52 && value > -(2 ** 52)) this.rawVarint(value >= 0 ? value * 2 : -value * 2 - 1);
    else {
      const v = BigInt(value);
      this.rawVarint64(BigInt.asUintN(64, (v << 1n) ^ (v >> 63n)));
    }
    return this;
  }

  bool(field: number, value: boolean): this {
    return this.uint(field, value ? 1 : 0);
  }

  double(field: number, value: number): this {
    this.tag(field, WIRE_I64);
    this.room(8);
    this.view.setFloat64(this.length, value, true);
    this.length += 8;
    return this;
  }

  string(field: number, value: string): this {
    this.tag(field, WIRE_LEN);
    // At most 3 bytes per UTF-16 unit.
    this.room(10 + value.length * 3);
    if (value.length < 64 && /^[\x00-\x7f]*$/.test(value)) {
      this.rawVarint(value.length);
      for (let i = 0; i < value.length; i++) this.bytes[this.length++] = value.charCodeAt(i);
      return this;
    }
    const encoded = encoder.encode(value);
    this.rawVarint(encoded.length);
    this.bytes.set(encoded, this.length);
    this.length += encoded.length;
    return this;
  }

  /** A bytes field. */
  lengthDelimited(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.rawVarint(value.length);
    this.room(value.length);
    this.bytes.set(value, this.length);
    this.length += value.length;
    return this;
  }

  message(field: number, sub: ProtoWriter): this {
    this.tag(field, WIRE_LEN);
    this.rawVarint(sub.length);
    this.room(sub.length);
    const n = sub.length;
    if (n < 128) {
      // A byte loop: no subarray object per (small, frequent) sub-message.
      const from = sub.bytes;
      const to = this.bytes;
      let at = this.length;
      for (let i = 0; i < n; i++) to[at++] = from[i];
    } else {
      this.bytes.set(sub.bytes.subarray(0, n), this.length);
    }
    this.length += n;
    return this;
  }

  finished(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}
