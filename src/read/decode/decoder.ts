/**
 * Compiles CtfType trees into decoder closures, once per scope (packet header, packet context,
 * event header, contexts, payload). Decoding then runs closures over a Cursor with no per-field
 * allocation besides the decoded values themselves.
 *
 * Two modes: `value` builds JS values (objects for structs, field names with one `_` stripped);
 * `header` builds nothing and only records what the event header means: integers named `id` set
 * the event id, clock-mapped integers (or unmapped ones named `timestamp`) update the clock.
 */
import { DecodeError } from '../errors.js';
import { Cursor, type Decoder, align, byteIndex, pastEnd, readCString } from './cursor.js';
import { headerIntDecoder, intDecoder } from './decoder-int.js';
import { MetadataError } from '../metadata/tsdl-lexer.js';
import {
  alignmentOf, displayName, expandedNodes, minSizeBits,
  type ArrayType, type CtfType, type EnumType, type SequenceType, type StructType, type VariantType,
} from '../metadata/tsdl-types.js';
import { floatDecoder } from './decoder-float.js';
import { generateStructDecoder } from './struct-codegen.js';
import { fixedSizeBits, skipFixed, skipFloat, skipInt, skipString } from './decoder-skip.js';

export type { Decoder };
/** `skip` builds nothing and touches neither the event id nor the clock: counting passes. */
type Mode = 'value' | 'header' | 'skip';

interface FrameEntry {
  readonly slot: number;
  readonly type: CtfType;
  readonly frame?: Frame;
}
/** The fields of one struct compiled so far, by raw name (what sequences and variants look up). */
export type Frame = Map<string, FrameEntry>;

/** Absolute scope prefixes of CTF 1.8 §7.3.2, in decoding order. */
export const ROOT_SCOPES = ['trace.packet.header', 'stream.packet.context', 'stream.event.header', 'stream.event.context', 'event.context', 'event.fields'] as const;
export type RootScope = typeof ROOT_SCOPES[number];

export interface RootOptions {
  /** Raw field names of the struct that are decoded but left out of the value (`__x_length` of `%pW`). */
  readonly hidden?: ReadonlySet<string>;
}

export class DecoderCompiler {
  private slotCount = 0;
  private readonly chain: Frame[] = [];

  /**
   * @param refNames every name used as a sequence length or variant tag in the trace: fields with
   *   these names store their value in a cursor slot.
   */
  constructor(private readonly refNames: ReadonlySet<string>) {}

  get slots(): number {
    return this.slotCount;
  }

  /** Compiles one root scope; `roots` holds the frames of the scopes decoded before it. */
  compileRoot(type: StructType, mode: Mode, roots: Map<RootScope, Frame>, scope: RootScope, options: RootOptions = {}): Decoder {
    this.chain.length = 0;
    // Registered first: a field may refer to an earlier one by absolute path (`event.fields.n`).
    const frame: Frame = new Map();
    roots.set(scope, frame);
    return this.struct(type, mode, roots, options.hidden, frame).decode;
  }

  private type(type: CtfType, name: string, mode: Mode, roots: Map<RootScope, Frame>): { decode: Decoder; frame?: Frame } {
    switch (type.kind) {
      case 'int':
      case 'enum': {
        const int = type.kind === 'int' ? type : type.container;
        if (mode === 'skip') return { decode: this.refNames.has(name) ? intDecoder(int) : skipInt(int) };
        return { decode: mode === 'header' ? headerIntDecoder(int, name, this.refNames.has(name)) : intDecoder(int) };
      }
      case 'float':
        return { decode: mode === 'skip' ? skipFloat(type) : floatDecoder(type) };
      case 'string':
        return { decode: mode === 'skip' ? skipString : stringDecoder };
      case 'struct':
        return this.struct(type, mode, roots, undefined);
      case 'variant':
        return { decode: this.variant(type, name, mode, roots) };
      case 'array':
        return { decode: this.array(type, name, mode, roots) };
      case 'sequence':
        return { decode: this.sequence(type, name, mode, roots) };
    }
  }

  private struct(
    type: StructType, mode: Mode, roots: Map<RootScope, Frame>, hidden: ReadonlySet<string> | undefined, frame: Frame = new Map(),
  ): { decode: Decoder; frame: Frame } {
    this.chain.push(frame);
    const decoders: Decoder[] = [];
    const keys: (string | null)[] = [];
    for (const field of type.fields) {
      const compiled = this.type(field.type, field.name, mode, roots);
      let decode = compiled.decode;
      let slot = -1;
      if (this.refNames.has(field.name)) {
        slot = this.slotCount++;
        const inner = decode;
        const s = slot;
        decode = (c) => {
          const v = inner(c);
          c.slots[s] = v;
          return v;
        };
      }
      frame.set(field.name, compiled.frame === undefined ? { slot, type: field.type } : { slot, type: field.type, frame: compiled.frame });
      decoders.push(decode);
      keys.push(hidden?.has(field.name) === true ? null : displayName(field.name));
    }
    this.chain.pop();
    const alignBits = alignmentOf(type);
    const n = decoders.length;
    if (mode !== 'value') {
      const walk: Decoder = (c) => {
        align(c, alignBits);
        for (let i = 0; i < n; i++) decoders[i](c);
        return undefined;
      };
      // A struct of fixed size that no sequence or variant refers into is skipped in one step.
      const sizeBits = mode === 'skip' && type.fields.every((f) => !this.refNames.has(f.name)) ? fixedSizeBits(type) : undefined;
      return { frame, decode: sizeBits === undefined ? walk : skipFixed(alignBits, sizeBits, walk) };
    }
    if (keys.includes('__proto__')) {
      // A TSDL field may be called `___proto__`: never let it set the object's prototype.
      return {
        frame,
        decode: (c) => {
          align(c, alignBits);
          const o: Record<string, unknown> = {};
          for (let i = 0; i < n; i++) {
            const v = decoders[i](c);
            const k = keys[i];
            if (k !== null) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
          }
          return o;
        },
      };
    }
    const walk: Decoder = (c) => {
      align(c, alignBits);
      const o: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const v = decoders[i](c);
        const k = keys[i];
        if (k !== null) o[k] = v;
      }
      return o;
    };
    const fields = type.fields.map((f, i) => ({ key: keys[i], type: f.type, decode: decoders[i], referenced: this.refNames.has(f.name) }));
    return { frame, decode: generateStructDecoder(fields, alignBits, walk) ?? walk };
  }

  /** Finds the field a sequence length or variant tag refers to (relative, then absolute path). */
  private resolve(path: string, roots: Map<RootScope, Frame>, srcOffset: number, what: string): FrameEntry {
    const parts = path.split('.');
    const descend = (entry: FrameEntry | undefined, rest: string[]): FrameEntry | undefined => {
      let current = entry;
      for (const part of rest) current = current?.frame?.get(part);
      return current;
    };
    for (let i = this.chain.length - 1; i >= 0; i--) {
      const found = descend(this.chain[i].get(parts[0]), parts.slice(1));
      if (found !== undefined) return found;
    }
    for (const scope of ROOT_SCOPES) {
      if (path.startsWith(`${scope}.`)) {
        const rest = path.slice(scope.length + 1).split('.');
        const found = descend(roots.get(scope)?.get(rest[0]), rest.slice(1));
        if (found !== undefined) return found;
      }
    }
    throw new MetadataError('corrupt', `${what} ${JSON.stringify(path)} does not name an earlier field`, srcOffset);
  }

  private variant(type: VariantType, name: string, mode: Mode, roots: Map<RootScope, Frame>): Decoder {
    if (type.tag === undefined) throw new MetadataError('corrupt', `variant ${name} has no tag`, type.srcOffset);
    const tag = this.resolve(type.tag, roots, type.srcOffset, 'variant tag');
    if (tag.type.kind !== 'enum' || tag.slot < 0) throw new MetadataError('corrupt', `variant tag ${type.tag} is not an enum`, type.srcOffset);
    const ranges: { lo: number | bigint; hi: number | bigint; decode: Decoder }[] = [];
    for (const mapping of (tag.type as EnumType).mappings) {
      const option = type.options.find((o) => o.name === mapping.label) ?? type.options.find((o) => displayName(o.name) === mapping.label);
      if (option === undefined) continue; // a value of this label is reported when met
      ranges.push({ lo: smallest(mapping.lo), hi: smallest(mapping.hi), decode: this.type(option.type, option.name, mode, roots).decode });
    }
    const slot = tag.slot;
    const tagPath = type.tag;
    return (c) => {
      const value = c.slots[slot] as number | bigint;
      for (let i = 0; i < ranges.length; i++) {
        const r = ranges[i];
        if (value >= r.lo && value <= r.hi) return r.decode(c);
      }
      throw new DecodeError(`variant ${name}: tag ${tagPath} = ${value} selects no option`);
    };
  }

  private array(type: ArrayType, name: string, mode: Mode, roots: Map<RootScope, Frame>): Decoder {
    const length = type.length;
    const special = byteArrayDecoder(type.element, mode);
    const alignBits = alignmentOf(type.element);
    if (special !== undefined) return (c) => special(c, length);
    const element = this.type(type.element, name, mode, roots).decode;
    const minBits = Math.max(1, minSizeBits(type.element));
    const weight = heavyWeight(type.element);
    const elementBits = mode === 'skip' && weight === 0 ? fixedSizeBits(type.element) : undefined;
    if (elementBits !== undefined && elementBits % alignBits === 0) {
      // Elements of one fixed size, each starting aligned: the array is skipped in one step
      // (and decoded element by element, for the same error, when it does not fit).
      return skipFixed(alignBits, elementBits * length, (c) => {
        align(c, alignBits);
        if (length * minBits > c.limitBits - c.posBits) throw pastEnd(c, `array ${name} of ${length} elements`, length * minBits);
        return repeat(c, element, length, mode);
      });
    }
    return (c) => {
      align(c, alignBits); // aligned even when empty (CTF 1.8 §4.2.3)
      if (length * minBits > c.limitBits - c.posBits) throw pastEnd(c, `array ${name} of ${length} elements`, length * minBits);
      return weight === 0 ? repeat(c, element, length, mode) : repeatHeavy(c, element, length, mode, weight, name);
    };
  }

  private sequence(type: SequenceType, name: string, mode: Mode, roots: Map<RootScope, Frame>): Decoder {
    const ref = this.resolve(type.lengthRef, roots, type.srcOffset, 'sequence length');
    if ((ref.type.kind !== 'int' && ref.type.kind !== 'enum') || ref.slot < 0) {
      throw new MetadataError('corrupt', `sequence length ${type.lengthRef} is not an integer`, type.srcOffset);
    }
    const slot = ref.slot;
    const special = byteArrayDecoder(type.element, mode);
    const element = special === undefined ? this.type(type.element, name, mode, roots).decode : undefined;
    const alignBits = alignmentOf(type.element);
    const minBits = Math.max(1, minSizeBits(type.element));
    const weight = special === undefined ? heavyWeight(type.element) : 0;
    return (c) => {
      const raw = c.slots[slot] as number | bigint;
      align(c, alignBits);
      // Checked before looping or allocating: a corrupt length must not cost memory or time.
      if (raw < 0 || Number(raw) * minBits > c.limitBits - c.posBits) {
        throw new DecodeError(`sequence ${name}: length ${raw} does not fit in the rest of the packet content`, true);
      }
      const length = Number(raw);
      if (special !== undefined) return special(c, length);
      return weight === 0 ? repeat(c, element as Decoder, length, mode) : repeatHeavy(c, element as Decoder, length, mode, weight, name);
    };
  }
}

function smallest(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Decoding work allowed per event beyond WORK_PER_BIT nodes per bit consumed. */
export const WORK_BUDGET_BASE = 1 << 16;
const WORK_PER_BIT = 8;

/**
 * 0 when one element of this type visits at most WORK_PER_BIT nodes per bit it takes (a loop
 * over them is bounded by the bytes it consumes); else the nodes one element visits.
 */
function heavyWeight(element: CtfType): number {
  const nodes = expandedNodes(element);
  return nodes <= WORK_PER_BIT * minSizeBits(element) ? 0 : nodes;
}

function repeatHeavy(c: Cursor, element: Decoder, length: number, mode: Mode, weight: number, name: string): unknown {
  const out = mode !== 'value' ? undefined : new Array<unknown>(length);
  for (let i = 0; i < length; i++) {
    c.heavyWork += weight;
    if (c.heavyWork > WORK_BUDGET_BASE + WORK_PER_BIT * (c.posBits - c.workStartBits)) {
      throw new DecodeError(`array ${name} of ${length} elements: decoding it would visit far more fields than the bytes it takes (elements of (almost) no size)`);
    }
    const v = element(c);
    if (out !== undefined) out[i] = v;
  }
  return out;
}

function repeat(c: Cursor, element: Decoder, length: number, mode: Mode): unknown {
  if (mode !== 'value') {
    for (let i = 0; i < length; i++) element(c);
    return undefined;
  }
  const out = new Array<unknown>(length);
  for (let i = 0; i < length; i++) out[i] = element(c);
  return out;
}

/**
 * Arrays and sequences of byte-aligned 8-bit unsigned integers are copied at once: a Uint8Array,
 * or a string (up to the first NUL) when the element has a text encoding (LTTng's char arrays).
 */
function byteArrayDecoder(element: CtfType, mode: Mode): ((c: Cursor, length: number) => unknown) | undefined {
  const int = element.kind === 'int' ? element : element.kind === 'enum' ? element.container : undefined;
  if (int === undefined || int.sizeBits !== 8 || int.alignBits % 8 !== 0 || int.clock !== undefined) return undefined;
  if (int.signed && int.encoding === 'none') return undefined;
  const text = int.encoding !== 'none';
  const alignBits = int.alignBits;
  return (c, length) => {
    align(c, alignBits);
    if (length * 8 > c.limitBits - c.posBits) throw pastEnd(c, `byte array of ${length} bytes`, length * 8);
    const start = byteIndex(c);
    c.posBits += length * 8;
    if (mode !== 'value') return undefined;
    if (text) {
      let end = start;
      while (end < start + length && c.bytes[end] !== 0) end++;
      return c.bytes.toString('utf8', start, end);
    }
    const out = new Uint8Array(length);
    const bytes = c.bytes;
    // A loop beats creating a subarray view for the short blobs that traces mostly hold.
    if (length <= 64) for (let i = 0; i < length; i++) out[i] = bytes[start + i];
    else out.set(bytes.subarray(start, start + length));
    return out;
  };
}

function stringDecoder(c: Cursor): string {
  align(c, 8);
  return readCString(c);
}
