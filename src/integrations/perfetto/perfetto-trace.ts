/**
 * Export to Perfetto's own trace format: a protobuf `Trace` (field 1: repeated TracePacket),
 * written packet by packet in bounded memory. Field numbers from Perfetto's published .proto
 * files (protos/perfetto/trace/...; see docs/export.md for the subset).
 *
 * Packets are flushed every 1 MiB, deflated by default (compressed-packets.ts).
 *
 * Layout:
 * - sequence 1 (absolute timestamps): a TrackDescriptor per process (ProcessDescriptor with the
 *   pid and name), per thread (ThreadDescriptor), per lost-event track and per async span lane;
 *   lost-event ranges as slices on their track.
 * - one sequence per thread: its first packet clears the incremental state, sets a
 *   sequence-scoped incremental clock (ClockSnapshot clock 64, is_incremental: each timestamp is
 *   the delta from the packet before) and TracePacketDefaults (that clock, the thread's track).
 *   Event packets then carry a delta timestamp and a TrackEvent with an interned name
 *   (EventName, defined in the InternedData of the first packet of the sequence that uses it)
 *   and the fields as one typed extension message per marker (typed-fields.ts: the schema is
 *   an ExtensionDescriptor packet before the marker's first event), or as debug annotations
 *   with interned names and string values where a field cannot be typed.
 *   They do not set SEQ_NEEDS_INCREMENTAL_STATE (2 bytes per event): the flag only tells a
 *   reader to skip the packet when the sequence's state was lost (a ring buffer that
 *   overwrote the packet that cleared it); this file is written whole, every sequence's first
 *   packet clears the state before anything uses it, so no reader ever has to skip one.
 *   Byte accounting of the benchmark event: BENCHMARKS.md, "Export and view".
 * - events → TYPE_INSTANT; nested span pairs → TYPE_SLICE_BEGIN/END on the thread track;
 *   span_id pairs → BEGIN/END on a lane track of their process (lanes keep overlapping spans
 *   apart, as Perfetto requires slices on one track to nest).
 */
import type { DiscardedInfo, TraceEvent, TraceInfo } from '../../read/index.js';
import { PendingSpans, SpanRoles, SpanStacks, spanIdOf } from '../../timeline/spans.js';
import { TrackMap, type ProcessTrack, type ThreadTrack } from '../../timeline/tracks.js';
import { hex, jsonValue } from '../json-values.js';
import {
  PACKET_TIMESTAMP, PACKET_SEQUENCE_ID, PACKET_TRACK_EVENT, PACKET_INTERNED_DATA,
  PACKET_SEQUENCE_FLAGS, PACKET_CLOCK_SNAPSHOT, PACKET_DEFAULTS, PACKET_TRACK_DESCRIPTOR,
  PACKET_EXTENSION_DESCRIPTOR, EXTENSION_SET, SEQ_INCREMENTAL_STATE_CLEARED, DEFAULTS_CLOCK_ID,
  DEFAULTS_TRACK_EVENT, TRACK_EVENT_DEFAULTS_TRACK_UUID, SNAPSHOT_CLOCKS, CLOCK_ID,
  CLOCK_TIMESTAMP, CLOCK_IS_INCREMENTAL, BUILTIN_CLOCK_BOOTTIME, INCREMENTAL_CLOCK_ID, TRACK_UUID,
  TRACK_NAME, TRACK_PROCESS, TRACK_THREAD, TRACK_PARENT_UUID, PROCESS_PID, PROCESS_NAME,
  THREAD_PID, THREAD_TID, THREAD_NAME, EVENT_DEBUG_ANNOTATIONS, EVENT_TYPE, EVENT_NAME_IID,
  EVENT_TRACK_UUID, EVENT_NAME, TYPE_SLICE_BEGIN, TYPE_SLICE_END, TYPE_INSTANT,
  INTERNED_EVENT_NAMES, INTERNED_ANNOTATION_NAMES, INTERNED_STRING_VALUES, INTERNED_IID,
  INTERNED_NAME, ANNOTATION_NAME_IID, ANNOTATION_BOOL, ANNOTATION_UINT, ANNOTATION_INT,
  ANNOTATION_DOUBLE, ANNOTATION_STRING, ANNOTATION_NAME, ANNOTATION_STRING_IID, TRACE_PACKET
} from './fields.js';
import { compressPackets } from './compressed-packets.js';
import { ProtoWriter } from './proto-writer.js';
import { TypedFields } from './typed-fields.js';


const META_SEQUENCE = 1;
/** Strings interned as values: short ones only, and a bounded number of them. */
const MAX_INTERNED_VALUE_CHARS = 64;
const MAX_INTERNED_VALUES = 65_536;
const FLUSH_BYTES = 1 << 20;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

class Interner {
  private readonly ids = new Map<string, number>();
  constructor(private readonly limit = Infinity) {}
  /** The iid of `s` (new ones from 1), or 0 past the limit. */
  iid(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      if (this.ids.size >= this.limit) return 0;
      id = this.ids.size + 1;
      this.ids.set(s, id);
    }
    return id;
  }
}

interface Sequence {
  readonly id: number;
  lastNs: bigint;
  readonly names: Set<number>;
  readonly annotationNames: Set<number>;
  readonly values: Set<number>;
}

interface Lane {
  readonly uuid: number;
  busy: boolean;
}

interface OpenSlice {
  readonly prefix: string;
  readonly trackUuid: number;
  readonly lane?: Lane;
}

export class PerfettoTraceWriter {
  readonly tracks: TrackMap;
  private readonly roles: SpanRoles;
  private readonly out = new ProtoWriter(FLUSH_BYTES + 65_536);
  private readonly packet = new ProtoWriter();
  private readonly trackEvent = new ProtoWriter();
  private readonly annotation = new ProtoWriter();
  private readonly interned = new ProtoWriter();
  private readonly entry = new ProtoWriter();
  private readonly scratch = new ProtoWriter();
  private readonly scratch2 = new ProtoWriter();
  private readonly names = new Interner();
  private readonly annotationNames = new Interner();
  private readonly values = new Interner(MAX_INTERNED_VALUES);
  private readonly sequences = new Map<ThreadTrack, Sequence>();
  private readonly described = new Set<ProcessTrack | ThreadTrack>();
  private readonly lanes = new Map<string, Lane[]>();
  private readonly stacks = new SpanStacks<OpenSlice>();
  private readonly pending = new PendingSpans<OpenSlice>();
  private readonly typed = new TypedFields((set) => this.emit(this.metaPacket().message(PACKET_EXTENSION_DESCRIPTOR, this.scratch.reset().message(EXTENSION_SET, set))));
  private nextLaneUuid = 3_000_000_000;
  private metaStarted = false;
  private closed = false;
  /** TrackEvents written (instants, slice begins and ends, lost ranges). */
  count = 0;

  private readonly compress: boolean;

  /** `compress` (default true): every flushed chunk of packets as one `compressed_packets` packet. */
  constructor(private readonly write: (bytes: Uint8Array) => void, info: TraceInfo, options: { compress?: boolean } = {}) {
    this.compress = options.compress ?? true;
    this.tracks = new TrackMap(info);
    this.roles = new SpanRoles(info);
  }

  private emit(packet: ProtoWriter): void {
    this.out.message(TRACE_PACKET, packet);
    if (this.out.length >= FLUSH_BYTES) this.flush();
  }

  flush(): void {
    if (this.out.length === 0) return;
    const packets = this.out.finished();
    this.write(this.compress ? compressPackets(packets) : packets.slice());
    this.out.reset();
  }

  private metaPacket(): ProtoWriter {
    const p = this.packet.reset().uint(PACKET_SEQUENCE_ID, META_SEQUENCE);
    if (!this.metaStarted) {
      this.metaStarted = true;
      p.uint(PACKET_SEQUENCE_FLAGS, SEQ_INCREMENTAL_STATE_CLEARED);
    }
    return p;
  }

  private static processUuid(p: ProcessTrack): number {
    return 1_000 + p.index;
  }

  private static threadUuid(t: ThreadTrack): number {
    return 1_000_000 + t.index;
  }

  private describeProcess(p: ProcessTrack): void {
    if (this.described.has(p)) return;
    this.described.add(p);
    const process = this.scratch2.reset().uint(PROCESS_PID, p.pid).string(PROCESS_NAME, p.name);
    const track = this.scratch.reset().uint(TRACK_UUID, PerfettoTraceWriter.processUuid(p)).message(TRACK_PROCESS, process);
    this.emit(this.metaPacket().message(PACKET_TRACK_DESCRIPTOR, track));
  }

  private describeThread(t: ThreadTrack): void {
    if (this.described.has(t)) return;
    this.describeProcess(t.process);
    this.described.add(t);
    const track = this.scratch.reset().uint(TRACK_UUID, PerfettoTraceWriter.threadUuid(t)).uint(TRACK_PARENT_UUID, PerfettoTraceWriter.processUuid(t.process));
    if (t.lost) {
      track.string(TRACK_NAME, t.name);
    } else {
      const thread = this.scratch2.reset().uint(THREAD_PID, t.process.pid).uint(THREAD_TID, t.tid).string(THREAD_NAME, t.name);
      track.message(TRACK_THREAD, thread);
    }
    this.emit(this.metaPacket().message(PACKET_TRACK_DESCRIPTOR, track));
  }

  private sequence(thread: ThreadTrack, firstNs: bigint): Sequence {
    let seq = this.sequences.get(thread);
    if (seq !== undefined) return seq;
    this.describeThread(thread);
    seq = { id: 2 + thread.index, lastNs: firstNs, names: new Set(), annotationNames: new Set(), values: new Set() };
    this.sequences.set(thread, seq);
    const boot = this.scratch.reset().uint(CLOCK_ID, BUILTIN_CLOCK_BOOTTIME).int64(CLOCK_TIMESTAMP, firstNs);
    const incremental = this.scratch2.reset().uint(CLOCK_ID, INCREMENTAL_CLOCK_ID).int64(CLOCK_TIMESTAMP, firstNs).bool(CLOCK_IS_INCREMENTAL, true);
    const snapshot = this.annotation.reset().message(SNAPSHOT_CLOCKS, boot).message(SNAPSHOT_CLOCKS, incremental);
    const eventDefaults = this.scratch.reset().uint(TRACK_EVENT_DEFAULTS_TRACK_UUID, PerfettoTraceWriter.threadUuid(thread));
    const defaults = this.scratch2.reset().uint(DEFAULTS_CLOCK_ID, INCREMENTAL_CLOCK_ID).message(DEFAULTS_TRACK_EVENT, eventDefaults);
    this.emit(this.packet.reset()
      .uint(PACKET_SEQUENCE_ID, seq.id)
      .uint(PACKET_SEQUENCE_FLAGS, SEQ_INCREMENTAL_STATE_CLEARED)
      .message(PACKET_CLOCK_SNAPSHOT, snapshot)
      .message(PACKET_DEFAULTS, defaults));
    return seq;
  }

  private internEntry(field: number, iid: number, text: string): void {
    this.interned.message(field, this.entry.reset().uint(INTERNED_IID, iid).string(INTERNED_NAME, text));
  }

  private annotate(seq: Sequence, name: string, value: unknown): void {
    if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array) && !Array.isArray(value) && !ArrayBuffer.isView(value)) {
      for (const [k, v] of Object.entries(value)) this.annotate(seq, `${name}.${k}`, v);
      return;
    }
    const a = this.annotation.reset();
    const nameIid = this.annotationNames.iid(name);
    if (!seq.annotationNames.has(nameIid)) {
      seq.annotationNames.add(nameIid);
      this.internEntry(INTERNED_ANNOTATION_NAMES, nameIid, name);
    }
    a.uint(ANNOTATION_NAME_IID, nameIid);
    this.value(a, seq, value);
    this.trackEvent.message(EVENT_DEBUG_ANNOTATIONS, a);
  }

  private value(a: ProtoWriter, seq: Sequence | undefined, value: unknown): void {
    switch (typeof value) {
      case 'number':
        // -0 is a double (an integer field would make it 0).
        if (Number.isSafeInteger(value) && !Object.is(value, -0)) a.int64(ANNOTATION_INT, value);
        else a.double(ANNOTATION_DOUBLE, value);
        return;
      case 'bigint':
        if (value >= 0n) a.int64(ANNOTATION_UINT, value <= MAX_SAFE ? Number(value) : value);
        else a.int64(ANNOTATION_INT, value);
        return;
      case 'boolean':
        a.bool(ANNOTATION_BOOL, value);
        return;
      case 'string': {
        const iid = seq === undefined || value.length > MAX_INTERNED_VALUE_CHARS ? 0 : this.values.iid(value);
        if (iid === 0 || seq === undefined) {
          a.string(ANNOTATION_STRING, value);
          return;
        }
        if (!seq.values.has(iid)) {
          seq.values.add(iid);
          this.internEntry(INTERNED_STRING_VALUES, iid, value);
        }
        a.uint(ANNOTATION_STRING_IID, iid);
        return;
      }
      default:
        if (value instanceof Uint8Array) a.string(ANNOTATION_STRING, hex(value));
        else a.string(ANNOTATION_STRING, JSON.stringify(jsonValue(value, true)) ?? String(value));
    }
  }

  /** One TrackEvent packet on the thread's sequence. */
  private trackEventPacket(thread: ThreadTrack, atNs: bigint, type: number, name: string | undefined, fields: Record<string, unknown> | undefined, trackUuid?: number, source?: TraceEvent): void {
    const seq = this.sequence(thread, atNs);
    // The schema of the event's fields (its own packet, once per marker) comes before the event.
    const layout = source !== undefined && source.fields === fields ? this.typed.layout(source) : null;
    this.interned.reset();
    const te = this.trackEvent.reset().uint(EVENT_TYPE, type);
    if (trackUuid !== undefined) te.uint(EVENT_TRACK_UUID, trackUuid);
    if (name !== undefined) {
      const iid = this.names.iid(name);
      if (!seq.names.has(iid)) {
        seq.names.add(iid);
        this.internEntry(INTERNED_EVENT_NAMES, iid, name);
      }
      te.uint(EVENT_NAME_IID, iid);
    }
    if (fields !== undefined && layout !== null) this.typed.write(te, layout, fields, (key, value) => this.annotate(seq, key, value));
    else if (fields !== undefined) for (const key in fields) this.annotate(seq, key, fields[key]);
    // Times on a sequence only grow (one stream file's events are in order); never a negative delta.
    const delta = atNs > seq.lastNs ? atNs - seq.lastNs : 0n;
    seq.lastNs += delta;
    const p = this.packet.reset()
      .int64(PACKET_TIMESTAMP, Number(delta))
      .uint(PACKET_SEQUENCE_ID, seq.id);
    if (this.interned.length > 0) p.message(PACKET_INTERNED_DATA, this.interned);
    p.message(PACKET_TRACK_EVENT, te);
    this.emit(p);
    this.count++;
  }

  private lane(process: ProcessTrack, prefix: string): Lane {
    const key = `${process.index}\0${prefix}`;
    let lanes = this.lanes.get(key);
    if (lanes === undefined) this.lanes.set(key, (lanes = []));
    let lane = lanes.find((l) => !l.busy);
    if (lane === undefined) {
      this.describeProcess(process);
      lane = { uuid: this.nextLaneUuid++, busy: false };
      lanes.push(lane);
      const track = this.scratch.reset().uint(TRACK_UUID, lane.uuid).uint(TRACK_PARENT_UUID, PerfettoTraceWriter.processUuid(process)).string(TRACK_NAME, prefix);
      this.emit(this.metaPacket().message(PACKET_TRACK_DESCRIPTOR, track));
    }
    lane.busy = true;
    return lane;
  }

  event(event: TraceEvent): void {
    const thread = this.tracks.thread(event.stream, event.context);
    const role = this.roles.of(event.name);
    if (role === undefined) {
      this.trackEventPacket(thread, event.timestamp, TYPE_INSTANT, event.name, event.fields, undefined, event);
      return;
    }
    if (role.byId) {
      const key = PendingSpans.key(thread.process.index, role.prefix, spanIdOf(event.fields));
      if (role.role === 'begin') {
        const lane = this.lane(thread.process, role.prefix);
        // A span begun again under the same id, or past the bound, never ends: its lane stays taken.
        this.pending.begin(key, { prefix: role.prefix, trackUuid: lane.uuid, lane });
        this.trackEventPacket(thread, event.timestamp, TYPE_SLICE_BEGIN, role.prefix, event.fields, lane.uuid, event);
        return;
      }
      const span = this.pending.end(key);
      if (span === undefined) {
        this.trackEventPacket(thread, event.timestamp, TYPE_INSTANT, event.name, event.fields, undefined, event);
        return;
      }
      this.trackEventPacket(thread, event.timestamp, TYPE_SLICE_END, undefined, event.fields, span.trackUuid, event);
      if (span.lane !== undefined) span.lane.busy = false;
      return;
    }
    if (role.role === 'begin') {
      this.stacks.open(thread, { prefix: role.prefix, trackUuid: PerfettoTraceWriter.threadUuid(thread) });
      this.trackEventPacket(thread, event.timestamp, TYPE_SLICE_BEGIN, role.prefix, event.fields, undefined, event);
      return;
    }
    const closed = this.stacks.close(thread, role.prefix);
    if (closed.length === 0) {
      this.trackEventPacket(thread, event.timestamp, TYPE_INSTANT, event.name, event.fields, undefined, event);
      return;
    }
    for (let i = 0; i < closed.length; i++) {
      this.trackEventPacket(thread, event.timestamp, TYPE_SLICE_END, undefined, i === closed.length - 1 ? event.fields : { unfinished: true }, undefined, event);
    }
  }

  /** A lost-event range: a slice on the stream's lost-events track (sequence 1, absolute times). */
  discarded(info: DiscardedInfo): void {
    const track = this.tracks.lostTrack(info.stream);
    this.describeThread(track);
    const endNs = info.endNs ?? info.beginNs ?? 0n;
    const beginNs = info.beginNs ?? endNs;
    const uuid = PerfettoTraceWriter.threadUuid(track);
    const begin = this.trackEvent.reset().uint(EVENT_TYPE, TYPE_SLICE_BEGIN).uint(EVENT_TRACK_UUID, uuid).string(EVENT_NAME, `${info.count} ${info.kind} lost`);
    for (const [name, value] of [['count', info.count], ['kind', info.kind], ['stream', info.stream]] as const) {
      const a = this.annotation.reset().string(ANNOTATION_NAME, name);
      this.value(a, undefined, value);
      begin.message(EVENT_DEBUG_ANNOTATIONS, a);
    }
    this.emit(this.metaPacket().int64(PACKET_TIMESTAMP, beginNs).message(PACKET_TRACK_EVENT, begin));
    const end = this.trackEvent.reset().uint(EVENT_TYPE, TYPE_SLICE_END).uint(EVENT_TRACK_UUID, uuid);
    this.emit(this.metaPacket().int64(PACKET_TIMESTAMP, endNs).message(PACKET_TRACK_EVENT, end));
    this.count += 2;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Slices still open stay open: Perfetto shows them as "did not end".
    if (!this.metaStarted && this.sequences.size === 0) for (const p of this.tracks.processes) this.describeProcess(p);
    this.flush();
  }
}
