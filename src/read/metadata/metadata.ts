/**
 * Metadata bytes → TraceClass: decodes the file (metadata-file.ts), parses the TSDL
 * (tsdl-parser.ts) and interprets the trace/env/clock/stream/event blocks with CTF's defaults.
 */
import { TracemarkError } from '../../errors/index.js';
import { corrupt, unsupported } from '../errors.js';
import { decodeMetadataFile } from './metadata-file.js';
import { MetadataError } from './tsdl-lexer.js';
import { parseTsdl, type AttrValue, type Block } from './tsdl-parser.js';
import { expandedNodes, type StructType } from './tsdl-types.js';

export type EnvValue = string | number | bigint;

export interface ClockClass {
  readonly name: string;
  /** Hz. */
  readonly freq: bigint;
  /** Seconds from the Unix epoch to the clock's origin. */
  readonly offsetS: bigint;
  /** Cycles added to `offsetS`. */
  readonly offset: bigint;
  readonly absolute: boolean;
  readonly precision?: bigint;
  readonly description?: string;
  readonly uuid?: string;
}

export interface EventClass {
  readonly id: number;
  readonly name: string;
  readonly streamId: number;
  readonly loglevel?: number;
  readonly context?: StructType;
  readonly fields?: StructType;
  /** The marker format string of `/* tracemark.format = "..." *\/`, when present. */
  readonly format?: string;
  readonly modelEmfUri?: string;
  /** Byte offset of the `event` block in the metadata file. */
  readonly metadataOffset: number;
}

export interface StreamClass {
  readonly id: number;
  readonly packetContext?: StructType;
  readonly eventHeader?: StructType;
  readonly eventContext?: StructType;
  readonly events: Map<number, EventClass>;
  readonly metadataOffset: number;
}

/** A metadata problem babeltrace2 only warns about: the trace is read, the warning reported. */
export interface TraceWarning {
  readonly file: string;
  readonly byteOffset: number;
  readonly message: string;
}

export interface TraceClass {
  /** Display path of the metadata file (relative to the directory given to the reader). */
  readonly metadataFile: string;
  readonly packetized: boolean;
  readonly bigEndian: boolean;
  readonly warnings: readonly TraceWarning[];
  readonly uuid?: string;
  readonly packetHeader?: StructType;
  readonly env: Readonly<Record<string, EnvValue>>;
  readonly clocks: ReadonlyMap<string, ClockClass>;
  readonly streams: ReadonlyMap<number, StreamClass>;
  /** A cut-off metadata file whose complete declarations were kept: reported after the events. */
  readonly damage?: TracemarkError;
  /** Maps a `srcOffset` of the type model (a metadata text index) to a metadata file byte offset. */
  readonly fileOffsetOf: (srcOffset: number) => number;
}

/** Parses metadata bytes. Throws TracemarkError (CORRUPT or UNSUPPORTED) naming `file` and the byte offset. */
export function parseMetadata(bytes: Buffer, file: string): TraceClass {
  const decoded = decodeMetadataFile(bytes, file);
  let truncatedAt: number | undefined;
  try {
    const parsed = parseTsdl(decoded.text);
    truncatedAt = parsed.truncatedAt;
    let damage: TracemarkError | undefined;
    if (truncatedAt !== undefined) {
      const at = decoded.fileOffsetOf(truncatedAt);
      damage = corrupt(file, at, 'the metadata ends inside a declaration (truncated file?); the declarations before it were used');
    } else if (decoded.truncation !== undefined) {
      damage = corrupt(file, decoded.truncation.byteOffset, decoded.truncation.message);
    }
    const trace = interpret(parsed.blocks, file, decoded.packetized, decoded.uuid, damage, decoded.fileOffsetOf);
    checkExpansion(trace, decoded.text.length);
    const warnings = [...parsed.warnings, ...unknownClockAttributes(parsed.blocks)]
      .sort((a, b) => a.offset - b.offset)
      .map((w) => ({ file, byteOffset: decoded.fileOffsetOf(w.offset), message: w.message }));
    return { ...trace, warnings };
  } catch (error) {
    if (!(error instanceof MetadataError)) throw error;
    const at = decoded.fileOffsetOf(error.offset);
    const why = truncatedAt === undefined ? error.message : `${error.message} (the metadata is also truncated)`;
    throw error.kind === 'unsupported' ? unsupported(file, at, why) : corrupt(file, at, why);
  }
}

/**
 * Aliases let a small metadata describe types that expand exponentially (each alias using the
 * previous one twice). Compiling, describing and decoding visit the expanded tree, so its size
 * is bounded by the metadata's own size (real traces stay far below: an expanded node takes
 * more than one character to declare, except through aliases used a few times).
 */
const MIN_EXPANSION_BUDGET = 1 << 20;
const EXPANSION_PER_CHAR = 4;

function checkExpansion(trace: Omit<TraceClass, 'warnings'>, textLength: number): void {
  const budget = Math.max(MIN_EXPANSION_BUDGET, textLength * EXPANSION_PER_CHAR);
  let total = 0;
  const add = (type: StructType | undefined): void => {
    if (type !== undefined) total += expandedNodes(type);
  };
  add(trace.packetHeader);
  for (const stream of trace.streams.values()) {
    add(stream.packetContext);
    add(stream.eventHeader);
    add(stream.eventContext);
    for (const event of stream.events.values()) {
      add(event.context);
      add(event.fields);
    }
  }
  if (total > budget) {
    throw new MetadataError('unsupported', `the metadata's types expand to ${total} nodes (more than ${budget} for ${textLength} characters of metadata: nested aliases?)`, 0);
  }
}

function fail(at: { offset: number }, message: string): never {
  throw new MetadataError('corrupt', message, at.offset);
}

function intValue(v: AttrValue, what: string): bigint {
  if (v.kind !== 'int') fail(v, `${what} must be an integer`);
  return v.value;
}

function smallInt(v: AttrValue, what: string): number {
  const value = intValue(v, what);
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) throw new MetadataError('unsupported', `${what} ${value}`, v.offset);
  return Number(value);
}

function textValue(v: AttrValue): string {
  return v.kind === 'int' ? String(v.value) : v.value;
}

function structType(block: Block, name: string): StructType | undefined {
  const entry = block.types.get(name);
  if (entry === undefined) return undefined;
  if (entry.type.kind !== 'struct') fail(entry, `${name} must be a struct`);
  return entry.type;
}

function boolValue(v: AttrValue): boolean {
  const t = textValue(v);
  if (t === 'true' || t === 'TRUE' || t === '1') return true;
  if (t === 'false' || t === 'FALSE' || t === '0') return false;
  return fail(v, `invalid boolean ${JSON.stringify(t)}`);
}

function interpret(
  blocks: Block[], file: string, packetized: boolean, packetUuid: string | undefined,
  damage: TracemarkError | undefined, fileOffsetOf: (charOffset: number) => number,
): Omit<TraceClass, 'warnings'> {
  const traces = blocks.filter((b) => b.kind === 'trace');
  if (traces.length === 0) throw new MetadataError('corrupt', 'no trace block', blocks[0]?.offset ?? 0);
  if (traces.length > 1) fail(traces[1], 'duplicate trace block');
  const trace = traces[0];
  const major = trace.attrs.get('major');
  const minor = trace.attrs.get('minor');
  if (major === undefined || minor === undefined) fail(trace, 'the trace block needs major and minor');
  if (intValue(major, 'major') !== 1n || intValue(minor, 'minor') !== 8n) {
    throw new MetadataError('unsupported', `CTF version ${textValue(major)}.${textValue(minor)} (only 1.8)`, major.offset);
  }
  const byteOrder = trace.attrs.get('byte_order');
  if (byteOrder === undefined) fail(trace, 'the trace block needs byte_order');
  const order = textValue(byteOrder);
  const bigEndian = order === 'be' || order === 'network' || order === 'big';
  if (!bigEndian && order !== 'le' && order !== 'little') fail(byteOrder, `invalid trace byte_order ${JSON.stringify(order)}`);
  const uuidAttr = trace.attrs.get('uuid');

  const env: Record<string, EnvValue> = {};
  for (const block of blocks.filter((b) => b.kind === 'env')) {
    for (const [name, v] of block.attrs) {
      env[name] = v.kind !== 'int' ? v.value : v.value >= BigInt(Number.MIN_SAFE_INTEGER) && v.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v.value) : v.value;
    }
  }

  const clocks = new Map<string, ClockClass>();
  for (const block of blocks.filter((b) => b.kind === 'clock')) {
    const clock = interpretClock(block);
    if (clocks.has(clock.name)) fail(block, `duplicate clock ${JSON.stringify(clock.name)}`);
    clocks.set(clock.name, clock);
  }

  const streams = new Map<number, StreamClass>();
  for (const block of blocks.filter((b) => b.kind === 'stream')) {
    const idAttr = block.attrs.get('id');
    const id = idAttr === undefined ? 0 : smallInt(idAttr, 'stream id');
    if (streams.has(id)) fail(block, `duplicate stream class id ${id}`);
    streams.set(id, {
      id,
      packetContext: structType(block, 'packet.context'),
      eventHeader: structType(block, 'event.header'),
      eventContext: structType(block, 'event.context'),
      events: new Map(),
      metadataOffset: fileOffsetOf(block.offset),
    });
  }
  // A trace without stream block has one implicit stream class 0 with no header or context.
  if (streams.size === 0) streams.set(0, { id: 0, events: new Map(), metadataOffset: fileOffsetOf(trace.offset) });

  for (const block of blocks.filter((b) => b.kind === 'event')) {
    const event = interpretEvent(block, streams, fileOffsetOf(block.offset));
    const stream = streams.get(event.streamId) as StreamClass;
    if (stream.events.has(event.id)) fail(block, `duplicate event class id ${event.id} in stream class ${event.streamId}`);
    stream.events.set(event.id, event);
  }

  const result: Omit<TraceClass, 'warnings'> = {
    metadataFile: file,
    packetized,
    bigEndian,
    packetHeader: structType(trace, 'packet.header'),
    env,
    clocks,
    streams,
    fileOffsetOf,
  };
  const uuid = uuidAttr === undefined ? packetUuid : textValue(uuidAttr);
  return { ...result, ...(uuid === undefined ? {} : { uuid }), ...(damage === undefined ? {} : { damage }) };
}

const CLOCK_ATTRIBUTES = new Set(['name', 'freq', 'offset_s', 'offset', 'absolute', 'precision', 'description', 'uuid']);

/** babeltrace2 warns about an unknown clock attribute and reads on: so does this reader. */
function unknownClockAttributes(blocks: readonly Block[]): { message: string; offset: number }[] {
  const out: { message: string; offset: number }[] = [];
  for (const block of blocks) {
    if (block.kind !== 'clock') continue;
    for (const [name, v] of block.attrs) if (!CLOCK_ATTRIBUTES.has(name)) out.push({ message: `unknown clock attribute ${JSON.stringify(name)} ignored`, offset: v.offset });
  }
  return out;
}

function interpretClock(block: Block): ClockClass {
  const name = block.attrs.get('name');
  if (name === undefined) fail(block, 'clock without name');
  const freqAttr = block.attrs.get('freq');
  const freq = freqAttr === undefined ? 1_000_000_000n : intValue(freqAttr, 'clock freq');
  if (freq <= 0n) fail(freqAttr ?? block, `clock freq ${freq} must be positive`);
  const get = (key: string): bigint | undefined => {
    const v = block.attrs.get(key);
    return v === undefined ? undefined : intValue(v, `clock ${key}`);
  };
  const absolute = block.attrs.get('absolute');
  const clock: ClockClass = {
    name: textValue(name),
    freq,
    offsetS: get('offset_s') ?? 0n,
    offset: get('offset') ?? 0n,
    absolute: absolute === undefined ? false : boolValue(absolute),
  };
  const precision = get('precision');
  const description = block.attrs.get('description');
  const uuid = block.attrs.get('uuid');
  return {
    ...clock,
    ...(precision === undefined ? {} : { precision }),
    ...(description === undefined ? {} : { description: textValue(description) }),
    ...(uuid === undefined ? {} : { uuid: textValue(uuid) }),
  };
}

function interpretEvent(block: Block, streams: Map<number, StreamClass>, metadataOffset: number): EventClass {
  const name = block.attrs.get('name');
  if (name === undefined) fail(block, 'event without name');
  const idAttr = block.attrs.get('id');
  const streamAttr = block.attrs.get('stream_id');
  let streamId: number;
  if (streamAttr !== undefined) {
    streamId = smallInt(streamAttr, 'stream_id');
    if (!streams.has(streamId)) fail(streamAttr, `event refers to unknown stream class ${streamId}`);
  } else {
    if (streams.size > 1) fail(block, 'event without stream_id in a trace with several stream classes');
    streamId = streams.keys().next().value as number;
  }
  const loglevel = block.attrs.get('loglevel');
  const uri = block.attrs.get('model.emf.uri');
  const format = block.annotations.get('format');
  const event: EventClass = {
    id: idAttr === undefined ? 0 : smallInt(idAttr, 'event id'),
    name: textValue(name),
    streamId,
    context: structType(block, 'context'),
    fields: structType(block, 'fields'),
    metadataOffset,
  };
  return {
    ...event,
    ...(loglevel === undefined ? {} : { loglevel: Number(intValue(loglevel, 'loglevel')) }),
    ...(format === undefined ? {} : { format }),
    ...(uri === undefined ? {} : { modelEmfUri: textValue(uri) }),
  };
}
