/**
 * formatEvent's lines written as bytes into one large reused buffer, for printing whole traces:
 * the timestamp's digits, names, keys and integer fields go straight into the buffer, with no
 * string built per event; other values take formatEvent's own text. The bytes are the same as
 * `${formatEvent(event)}\n` (test/read/line-writer.test.ts compares them on the corpus).
 */
import { FIELD_SPECS, type TraceEvent } from '../decode/event.js';
import { formatFieldValue, printsAsDecimal, splitTimestamp, timestampPrefix } from './format-event.js';

const BUFFER_BYTES = 1 << 20;
/** Flushed when less than this is free: room for any line of plain fields without a check per byte. */
const RESERVE_BYTES = 64 << 10;
const CHAR_0 = 0x30;

export class LineWriter {
  private buffer: Buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  private length = 0;
  private lastPrefix = '';
  private prefixBytes = 0;
  private readonly prefix = Buffer.alloc(64);

  /** @param sink takes `bytes[0..length)`; the buffer is reused after it returns. */
  constructor(private readonly sink: (bytes: Buffer, length: number) => void) {}

  /** Appends `${formatEvent(event)}\n`. */
  event(event: TraceEvent): void {
    if (this.buffer.length - this.length < RESERVE_BYTES) this.flush();
    this.byte(0x5b); // [
    const nanos = splitTimestamp(event.timestamp);
    if (nanos < 0) this.text(`${event.timestamp}ns`);
    else {
      const prefix = timestampPrefix();
      if (prefix !== this.lastPrefix) {
        this.lastPrefix = prefix;
        this.prefixBytes = this.prefix.write(prefix, 0, 'latin1');
      }
      // By hand: Buffer#copy's call costs more than these 20 bytes.
      const buffer = this.buffer;
      const from = this.prefix;
      let at = this.length;
      for (let i = 0; i < this.prefixBytes; i++) buffer[at++] = from[i];
      this.length = at;
      this.nineDigits(nanos);
      this.byte(0x5a); // Z
    }
    this.byte(0x5d); // ]
    this.byte(0x20);
    this.text(event.name);
    this.byte(0x3a); // :
    const specs = event[FIELD_SPECS];
    const fields = event.fields;
    for (const key in fields) {
      if (!Object.prototype.hasOwnProperty.call(fields, key)) continue;
      // A line may be longer than the reserve (many fields): room for the separators and an integer.
      if (this.buffer.length - this.length < 64) this.flush();
      this.byte(0x20);
      this.text(key);
      this.byte(0x3d); // =
      const value = fields[key];
      if (typeof value === 'number' && Number.isSafeInteger(value) && !Object.is(value, -0) && printsAsDecimal(specs?.[key])) this.integer(value);
      else this.text(formatFieldValue(value, key, specs, event.name));
    }
    this.byte(0x0a);
  }

  /** Hands what is buffered to the sink. */
  flush(): void {
    if (this.length === 0) return;
    const length = this.length;
    this.length = 0;
    this.sink(this.buffer, length);
  }

  private byte(b: number): void {
    this.buffer[this.length++] = b;
  }

  /** UTF-8 of `s`; ASCII copied by hand (short strings: cheaper than Buffer#write's call). */
  private text(s: string): void {
    const n = s.length;
    if (n * 3 > this.buffer.length - this.length) {
      this.flush();
      if (n * 3 > this.buffer.length) this.buffer = Buffer.allocUnsafe(n * 3);
    }
    if (n <= 32) {
      const buffer = this.buffer;
      let at = this.length;
      let i = 0;
      for (; i < n; i++) {
        const code = s.charCodeAt(i);
        if (code >= 0x80) break;
        buffer[at++] = code;
      }
      if (i === n) {
        this.length = at;
        return;
      }
    }
    this.length += this.buffer.write(s, this.length, 'utf8');
  }

  private nineDigits(value: number): void {
    const buffer = this.buffer;
    let v = value;
    for (let i = this.length + 8; i >= this.length; i--) {
      buffer[i] = CHAR_0 + (v % 10);
      v = Math.floor(v / 10);
    }
    this.length += 9;
  }

  /** A safe integer in decimal (what formatNumber gives for it). */
  private integer(value: number): void {
    let v = value;
    if (v < 0) {
      this.byte(0x2d); // -
      v = -v;
    }
    let digits = 1;
    for (let p = 10; p <= v; p *= 10) digits++;
    const buffer = this.buffer;
    for (let i = this.length + digits - 1; i >= this.length; i--) {
      buffer[i] = CHAR_0 + (v % 10);
      v = Math.floor(v / 10);
    }
    this.length += digits;
  }
}
