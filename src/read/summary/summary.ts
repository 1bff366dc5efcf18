/**
 * Trace summaries for `tracemark list` and `stats`: env, clocks, event classes (with their
 * fields' types and printf specs) and, per stream file, packets, time range and lost events.
 * Walking the packets reads packet headers only, no event.
 */
import type { TracemarkError } from '../../errors/index.js';
import type { CompiledTrace } from '../decode/compiled-trace.js';
import { asTracemarkError } from '../errors.js';
import { presentEvent } from '../decode/field-specs.js';
import type { ClockClass, EnvValue } from '../metadata/metadata.js';
import { openStreamsAsync, openStreamsSync, type OpenedTraces } from '../input/open-trace.js';
import { NEED_DATA, type DiscardedInfo, type PacketInfo, type StreamHooks, type StreamReader } from '../decode/stream.js';
import { displayName, type CtfType } from '../metadata/tsdl-types.js';

export interface FieldSummary {
  /** As in TraceEvent.fields (one leading `_` stripped). */
  readonly name: string;
  /** Short type description: `u32`, `i64 hex`, `f64`, `string`, `u8[__blob_length]`, `struct {...}`. */
  readonly type: string;
  readonly spec?: string;
  /** Decoded but not shown in events (the length of a `%pW` blob). */
  readonly hidden?: boolean;
}

export interface EventClassSummary {
  readonly id: number;
  readonly name: string;
  readonly streamClassId: number;
  readonly loglevel?: number;
  /** The marker format string (tracemark traces). */
  readonly format?: string;
  readonly fields: readonly FieldSummary[];
}

export interface StreamSummary {
  /** Relative to the directory given (as TraceEvent.stream). */
  readonly file: string;
  readonly sizeBytes: number;
  readonly packets: number;
  readonly streamClassId?: number;
  readonly streamInstanceId?: bigint;
  /** ns since the epoch: first packet's timestamp_begin, last packet's timestamp_end. */
  readonly beginNs?: bigint;
  readonly endNs?: bigint;
  /** Sum of the events_discarded increases (counted from 0, as Trace Compass does). */
  readonly eventsDiscarded: bigint;
  /** Sum of the packet_seq_num gaps. */
  readonly packetsDiscarded: bigint;
  readonly discarded: readonly DiscardedInfo[];
  /** Damage that stopped the packet walk (the packets before it are counted). */
  readonly damage?: TracemarkError;
}

export interface TraceSummary {
  /** Trace directory relative to the directory given ('' for that directory itself). */
  readonly path: string;
  readonly uuid?: string;
  readonly packetized: boolean;
  readonly env: Readonly<Record<string, EnvValue>>;
  readonly clocks: readonly ClockClass[];
  readonly eventClasses: readonly EventClassSummary[];
  readonly streams: readonly StreamSummary[];
  /** A cut-off metadata file (its complete declarations were used). */
  readonly metadataDamage?: TracemarkError;
}

export interface TraceInfo {
  readonly dir: string;
  readonly traces: readonly TraceSummary[];
}

export interface TraceInfoOptions {
  /** Walk the stream files' packets (counts, time range, lost events). Default true. */
  readonly packets?: boolean;
}

export function typeName(type: CtfType): string {
  switch (type.kind) {
    case 'int':
      return `${type.signed ? 'i' : 'u'}${type.sizeBits}${type.base === 16 ? ' hex' : ''}${type.encoding === 'none' ? '' : ` ${type.encoding}`}`;
    case 'enum':
      return `enum ${typeName(type.container)} { ${type.mappings.map((m) => (m.lo === m.hi ? `${m.label} = ${m.lo}` : `${m.label} = ${m.lo}...${m.hi}`)).join(', ')} }`;
    case 'float':
      return type.mantDig === 24 ? 'f32' : 'f64';
    case 'string':
      return 'string';
    case 'array':
      return `${typeName(type.element)}[${type.length}]`;
    case 'sequence':
      return `${typeName(type.element)}[${type.lengthRef}]`;
    case 'struct':
      return `struct { ${type.fields.map((f) => `${displayName(f.name)}: ${typeName(f.type)}`).join(', ')} }`;
    case 'variant':
      return `variant <${type.tag ?? '?'}> { ${type.options.map((o) => `${o.name}: ${typeName(o.type)}`).join(', ')} }`;
  }
}

function summarizeClasses(compiled: CompiledTrace): EventClassSummary[] {
  const out: EventClassSummary[] = [];
  for (const stream of compiled.trace.streams.values()) {
    for (const event of stream.events.values()) {
      const { specs, hidden } = presentEvent(event);
      const fields = (event.fields?.fields ?? []).map((f): FieldSummary => {
        const name = displayName(f.name);
        const base: FieldSummary = { name, type: typeName(f.type) };
        const spec = specs[name];
        return { ...base, ...(spec === undefined ? {} : { spec }), ...(hidden.has(f.name) ? { hidden: true } : {}) };
      });
      out.push({
        id: event.id, name: event.name, streamClassId: event.streamId,
        ...(event.loglevel === undefined ? {} : { loglevel: event.loglevel }),
        ...(event.format === undefined ? {} : { format: event.format }),
        fields,
      });
    }
  }
  return out.sort((a, b) => a.streamClassId - b.streamClassId || a.id - b.id);
}

class StreamStats {
  packets = 0;
  first: PacketInfo | undefined;
  last: PacketInfo | undefined;
  readonly discarded: DiscardedInfo[] = [];

  onPacket(info: PacketInfo): void {
    this.packets++;
    this.first ??= info;
    this.last = info;
  }

  onDiscarded(info: DiscardedInfo): void {
    this.discarded.push(info);
  }

  summary(file: string, sizeBytes: number, reader: StreamReader | undefined): StreamSummary {
    const sum = (kind: DiscardedInfo['kind']): bigint => this.discarded.filter((d) => d.kind === kind).reduce((n, d) => n + d.count, 0n);
    const opt = <K extends string, V>(k: K, v: V | undefined): { [P in K]?: V } => (v === undefined ? {} : { [k]: v }) as { [P in K]?: V };
    return {
      file, sizeBytes, packets: this.packets,
      ...opt('streamClassId', this.first?.streamClassId),
      ...opt('streamInstanceId', this.first?.streamInstanceId),
      ...opt('beginNs', this.first?.beginNs),
      ...opt('endNs', this.last?.endNs),
      eventsDiscarded: sum('events'),
      packetsDiscarded: sum('packets'),
      discarded: this.discarded,
      ...opt('damage', reader?.error),
    };
  }
}

function traceSummary(compiled: CompiledTrace, path: string, streams: StreamSummary[]): TraceSummary {
  const t = compiled.trace;
  return {
    path,
    ...(t.uuid === undefined ? {} : { uuid: t.uuid }),
    packetized: t.packetized,
    env: t.env,
    clocks: [...t.clocks.values()],
    eventClasses: summarizeClasses(compiled),
    streams,
    ...(t.damage === undefined ? {} : { metadataDamage: t.damage }),
  };
}

/** Routes the shared hooks of all readers to one StreamStats per stream file. */
class StatsByStream implements StreamHooks {
  private readonly stats = new Map<string, StreamStats>();

  get(stream: string): StreamStats {
    let s = this.stats.get(stream);
    if (s === undefined) this.stats.set(stream, (s = new StreamStats()));
    return s;
  }

  onPacket(info: PacketInfo): void {
    this.get(info.stream).onPacket(info);
  }

  onDiscarded(info: DiscardedInfo): void {
    this.get(info.stream).onDiscarded(info);
  }
}

function build(dir: string, opened: OpenedTraces<{ readonly size: number }>, stats: StatsByStream): TraceInfo {
  const byTrace = opened.traces.map(() => [] as StreamSummary[]);
  for (const { reader, source, traceIndex } of opened.streams) {
    byTrace[traceIndex].push(stats.get(reader.stream).summary(reader.stream, source.size, reader));
  }
  return { dir, traces: opened.traces.map((t, i) => traceSummary(t, opened.locations[i].rel, byTrace[i])) };
}

/** Summary of the trace(s) in `dir`. Throws TracemarkError on unreadable or corrupt metadata only. */
export function readTraceInfoSync(dir: string, options: TraceInfoOptions = {}): TraceInfo {
  const stats = new StatsByStream();
  let opened;
  try {
    opened = openStreamsSync(dir, stats, true);
  } catch (error) {
    throw asTracemarkError(error, dir, 0);
  }
  try {
    if (options.packets !== false) for (const { reader, source } of opened.streams) source.pull(reader);
  } catch (error) {
    throw asTracemarkError(error, dir, 0);
  } finally {
    for (const s of opened.streams) s.source.close();
  }
  return build(dir, opened, stats);
}

export async function readTraceInfo(dir: string, options: TraceInfoOptions = {}): Promise<TraceInfo> {
  const stats = new StatsByStream();
  let opened;
  try {
    opened = await openStreamsAsync(dir, stats, true);
  } catch (error) {
    throw asTracemarkError(error, dir, 0);
  }
  try {
    if (options.packets !== false) {
      for (const { reader, source } of opened.streams) {
        while (reader.next() === NEED_DATA) await source.fill(reader);
      }
    }
  } catch (error) {
    throw asTracemarkError(error, dir, 0);
  } finally {
    for (const s of opened.streams) await s.source.close();
  }
  return build(dir, opened, stats);
}
