/**
 * TraceClass → decoders: every scope of every stream and event class is compiled once when the
 * trace is opened, so that metadata problems surface before any event is read.
 */
import { TracemarkError } from '../../errors/index.js';
import { ClockConversion } from '../metadata/clock.js';
import { DecoderCompiler, type Decoder, type Frame, type RootScope } from './decoder.js';
import { corrupt, unsupported } from '../errors.js';
import type { FieldSpecs } from './event.js';
import { presentEvent } from './field-specs.js';
import { fastEventHeader } from './header-fast.js';
import type { ClockClass, EventClass, StreamClass, TraceClass } from '../metadata/metadata.js';
import { MetadataError } from '../metadata/tsdl-lexer.js';
import type { CtfType, IntType, StructType } from '../metadata/tsdl-types.js';

export interface CompiledEventClass {
  readonly id: number;
  readonly name: string;
  readonly decodeContext?: Decoder;
  readonly decodeFields?: Decoder;
  readonly specs: FieldSpecs;
}

export interface CompiledStreamClass {
  readonly id: number;
  readonly decodePacketContext?: Decoder;
  readonly decodeEventHeader?: Decoder;
  readonly decodeEventContext?: Decoder;
  readonly events: Map<number, CompiledEventClass>;
  /** The same by index (ids below 65536 only): one array load per event instead of a Map lookup. */
  readonly eventsById: readonly (CompiledEventClass | undefined)[];
  /** The event id used when the header has no `id` field (a stream with one event class), else -1. */
  readonly implicitEventId: number;
  readonly clock: ClockConversion;
}

export interface CompiledTrace {
  readonly trace: TraceClass;
  readonly decodePacketHeader?: Decoder;
  readonly streams: Map<number, CompiledStreamClass>;
  readonly slotCount: number;
}

export interface CompileOptions {
  /** Use the hand-written decoders of LTTng's event headers when they apply (default true; tests compare both). */
  readonly fastHeaders?: boolean;
  /**
   * Event contexts and payloads are only skipped (no value built): for passes that count events.
   * Their decoders then return undefined; packet scopes and event headers decode as usual.
   */
  readonly skipPayloads?: boolean;
}

export function compileTrace(trace: TraceClass, options: CompileOptions = {}): CompiledTrace {
  try {
    return compile(trace, options.fastHeaders !== false, options.skipPayloads === true);
  } catch (error) {
    if (!(error instanceof MetadataError)) throw error;
    const at = trace.fileOffsetOf(error.offset);
    throw error.kind === 'unsupported' ? unsupported(trace.metadataFile, at, error.message) : corrupt(trace.metadataFile, at, error.message);
  }
}

function compile(trace: TraceClass, fastHeaders: boolean, skipPayloads: boolean): CompiledTrace {
  const payloadMode = skipPayloads ? 'skip' : 'value';
  const refNames = collectRefNames(trace);
  const compiler = new DecoderCompiler(refNames);
  const traceRoots = new Map<RootScope, Frame>();
  const decodePacketHeader = trace.packetHeader && compiler.compileRoot(trace.packetHeader, 'value', traceRoots, 'trace.packet.header');
  const streams = new Map<number, CompiledStreamClass>();
  for (const stream of trace.streams.values()) {
    const roots = new Map(traceRoots);
    const scope = (type: StructType | undefined, mode: 'value' | 'header' | 'skip', name: RootScope): Decoder | undefined =>
      type && compiler.compileRoot(type, mode, roots, name);
    const decodePacketContext = scope(stream.packetContext, 'value', 'stream.packet.context');
    const genericHeader = scope(stream.eventHeader, 'header', 'stream.event.header');
    const fastHeader = fastHeaders && stream.eventHeader !== undefined ? fastEventHeader(stream.eventHeader, refNames) : undefined;
    const decodeEventHeader = fastHeader ?? genericHeader;
    const decodeEventContext = scope(stream.eventContext, payloadMode, 'stream.event.context');
    const events = new Map<number, CompiledEventClass>();
    for (const event of stream.events.values()) events.set(event.id, compileEvent(compiler, event, new Map(roots), payloadMode));
    streams.set(stream.id, {
      id: stream.id,
      ...(decodePacketContext && { decodePacketContext }),
      ...(decodeEventHeader && { decodeEventHeader }),
      ...(decodeEventContext && { decodeEventContext }),
      events,
      eventsById: eventsByIdOf(events),
      implicitEventId: stream.events.size === 1 ? (stream.events.keys().next().value as number) : -1,
      clock: new ClockConversion(streamClock(trace, stream)),
    });
  }
  return { trace, ...(decodePacketHeader && { decodePacketHeader }), streams, slotCount: compiler.slots };
}

/** Event classes by id below 65536 (no spread: 100k event classes would overflow the call stack). */
function eventsByIdOf(events: Map<number, CompiledEventClass>): (CompiledEventClass | undefined)[] {
  let maxId = 0;
  for (const id of events.keys()) if (id > maxId) maxId = id;
  const byId = new Array<CompiledEventClass | undefined>(Math.min(65536, maxId + 1)).fill(undefined);
  for (const [id, ec] of events) if (id < byId.length) byId[id] = ec;
  return byId;
}

function compileEvent(compiler: DecoderCompiler, event: EventClass, roots: Map<RootScope, Frame>, mode: 'value' | 'skip'): CompiledEventClass {
  const { specs, hidden } = presentEvent(event);
  const decodeContext = event.context && compiler.compileRoot(event.context, mode, roots, 'event.context');
  const decodeFields = event.fields && compiler.compileRoot(event.fields, mode, roots, 'event.fields', { hidden });
  const frozen = Object.freeze(specs);
  return {
    id: event.id,
    name: event.name,
    ...(decodeContext && { decodeContext }),
    ...(decodeFields && { decodeFields }),
    specs: frozen,
  };
}

/** Every name used as a variant tag or a sequence length (all components of the path). */
function collectRefNames(trace: TraceClass): Set<string> {
  const names = new Set<string>();
  const seen = new Set<CtfType>();
  const visit = (type: CtfType | undefined): void => {
    if (type === undefined || seen.has(type)) return;
    seen.add(type);
    switch (type.kind) {
      case 'struct':
        for (const f of type.fields) visit(f.type);
        break;
      case 'variant':
        for (const part of type.tag?.split('.') ?? []) names.add(part);
        for (const o of type.options) visit(o.type);
        break;
      case 'sequence':
        for (const part of type.lengthRef.split('.')) names.add(part);
        visit(type.element);
        break;
      case 'array':
        visit(type.element);
        break;
      default:
        break;
    }
  };
  visit(trace.packetHeader);
  for (const stream of trace.streams.values()) {
    visit(stream.packetContext);
    visit(stream.eventHeader);
    visit(stream.eventContext);
    for (const event of stream.events.values()) {
      visit(event.context);
      visit(event.fields);
    }
  }
  return names;
}

function clockFields(type: CtfType | undefined, out: IntType[]): IntType[] {
  if (type === undefined) return out;
  switch (type.kind) {
    case 'int':
      if (type.clock !== undefined) out.push(type);
      break;
    case 'enum':
      clockFields(type.container, out);
      break;
    case 'struct':
      for (const f of type.fields) clockFields(f.type, out);
      break;
    case 'variant':
      for (const o of type.options) clockFields(o.type, out);
      break;
    case 'array':
    case 'sequence':
      clockFields(type.element, out);
      break;
    default:
      break;
  }
  return out;
}

/**
 * The clock of a stream class: the one its packet context or event header maps to; else the
 * trace's only clock; else none (1 GHz from the epoch, as babeltrace2 does).
 */
function streamClock(trace: TraceClass, stream: StreamClass): ClockClass | undefined {
  const mapped = [...clockFields(stream.packetContext, []), ...clockFields(stream.eventHeader, [])];
  for (const field of mapped) {
    if (!trace.clocks.has(field.clock as string)) {
      throw new TracemarkError('ERR_TRACE_CORRUPT',
        `${trace.metadataFile}: byte ${stream.metadataOffset}: stream class ${stream.id} maps a field to unknown clock ${JSON.stringify(field.clock)}`,
        { file: trace.metadataFile, byteOffset: stream.metadataOffset });
    }
  }
  if (mapped.length > 0) return trace.clocks.get(mapped[0].clock as string);
  return trace.clocks.size === 1 ? trace.clocks.values().next().value : undefined;
}
