/**
 * The resolved CTF type model that the TSDL parser produces and the decoder compiles.
 * Sizes and alignments are in bits, as in TSDL. Every node that can fail at decode or
 * compile time keeps `srcOffset` (character index in the metadata text) for error messages.
 */

export interface IntType {
  readonly kind: 'int';
  readonly sizeBits: number;
  readonly alignBits: number;
  readonly signed: boolean;
  readonly base: 2 | 8 | 10 | 16;
  readonly encoding: 'none' | 'utf8' | 'ascii';
  /** Name of the clock this integer is mapped to (`map = clock.NAME.value`). */
  readonly clock?: string;
  /** `byte_order = be` (or `native` in a big-endian trace); little-endian otherwise. */
  readonly bigEndian?: boolean;
}

export interface FloatType {
  readonly kind: 'float';
  readonly expDig: number;
  readonly mantDig: number;
  readonly alignBits: number;
  readonly bigEndian?: boolean;
}

export interface StringType {
  readonly kind: 'string';
  readonly encoding: 'none' | 'utf8' | 'ascii';
}

export interface EnumMapping {
  readonly label: string;
  readonly lo: bigint;
  readonly hi: bigint;
}

export interface EnumType {
  readonly kind: 'enum';
  readonly container: IntType;
  readonly mappings: readonly EnumMapping[];
}

export interface FieldDecl {
  readonly name: string;
  readonly type: CtfType;
  readonly srcOffset: number;
}

export interface StructType {
  readonly kind: 'struct';
  readonly fields: readonly FieldDecl[];
  readonly minAlignBits: number;
}

export interface VariantType {
  readonly kind: 'variant';
  /** Path of the tag field (`id`, `_state`, `event.fields._state`); undefined for an untagged named variant. */
  readonly tag: string | undefined;
  readonly options: readonly FieldDecl[];
  readonly srcOffset: number;
}

export interface ArrayType {
  readonly kind: 'array';
  readonly element: CtfType;
  readonly length: number;
}

export interface SequenceType {
  readonly kind: 'sequence';
  readonly element: CtfType;
  /** Path of the length field. */
  readonly lengthRef: string;
  readonly srcOffset: number;
}

export type CtfType = IntType | FloatType | StringType | EnumType | StructType | VariantType | ArrayType | SequenceType;

// Type trees are DAGs (an alias used twice is one node): walks over them are memoized, or a
// metadata of 64 aliases each using the previous one twice would take 2^64 steps.
const alignments = new WeakMap<CtfType, number>();
const minSizes = new WeakMap<CtfType, number>();
const nodeCounts = new WeakMap<CtfType, number>();

/** The alignment (bits) a field of this type starts on. Variants align on their selected option. */
export function alignmentOf(type: CtfType): number {
  const known = alignments.get(type);
  if (known !== undefined) return known;
  const align = computeAlignment(type);
  alignments.set(type, align);
  return align;
}

function computeAlignment(type: CtfType): number {
  switch (type.kind) {
    case 'int':
    case 'float':
      return type.alignBits;
    case 'string':
      return 8;
    case 'enum':
      return type.container.alignBits;
    case 'array':
    case 'sequence':
      return alignmentOf(type.element);
    case 'variant':
      return 1;
    case 'struct': {
      // A variant member does not count towards the struct's alignment (CTF 1.8 §4.2.2).
      let align = type.minAlignBits;
      for (const f of type.fields) {
        if (f.type.kind !== 'variant') align = Math.max(align, alignmentOf(f.type));
      }
      return align;
    }
  }
}

/**
 * The fewest bits a value of this type can occupy, ignoring alignment padding. Used to reject
 * sequence lengths that cannot fit in what is left of the packet before looping over them.
 */
export function minSizeBits(type: CtfType): number {
  const known = minSizes.get(type);
  if (known !== undefined) return known;
  const bits = computeMinSize(type);
  minSizes.set(type, bits);
  return bits;
}

/**
 * How many type nodes a value of this type visits once expanded (arrays count their element
 * once): what compiling it costs, and what decoding one element costs at least.
 */
export function expandedNodes(type: CtfType): number {
  const known = nodeCounts.get(type);
  if (known !== undefined) return known;
  let n = 1;
  switch (type.kind) {
    case 'enum':
      n = 2;
      break;
    case 'array':
    case 'sequence':
      n = 1 + expandedNodes(type.element);
      break;
    case 'struct':
      for (const f of type.fields) n += expandedNodes(f.type);
      break;
    case 'variant':
      for (const o of type.options) n += expandedNodes(o.type);
      break;
    default:
      break;
  }
  nodeCounts.set(type, n);
  return n;
}

function computeMinSize(type: CtfType): number {
  switch (type.kind) {
    case 'int':
      return type.sizeBits;
    case 'enum':
      return type.container.sizeBits;
    case 'float':
      return type.expDig + type.mantDig;
    case 'string':
      return 8;
    case 'sequence':
      return 0;
    case 'array':
      return type.length * minSizeBits(type.element);
    case 'struct': {
      let bits = 0;
      for (const f of type.fields) bits += minSizeBits(f.type);
      return bits;
    }
    case 'variant': {
      let bits = Infinity;
      for (const o of type.options) bits = Math.min(bits, minSizeBits(o.type));
      return bits === Infinity ? 0 : bits;
    }
  }
}

/** Readers strip exactly one leading underscore from field names (CTF 1.8 §4.2.1). */
export function displayName(name: string): string {
  return name.charCodeAt(0) === 95 /* _ */ ? name.slice(1) : name;
}

/** A raw `name = value;` attribute as written in the metadata. */
export type AttrValue =
  | { readonly kind: 'int'; readonly value: bigint; readonly offset: number }
  | { readonly kind: 'string'; readonly value: string; readonly offset: number }
  | { readonly kind: 'ident'; readonly value: string; readonly offset: number };
