/**
 * Reads a Perfetto trace as the format defines it, with a general protobuf decoder (protobufjs)
 * and a schema written from Perfetto's .proto files: sequences, incremental state (interning,
 * TracePacketDefaults, incremental clocks), tracks, and TrackEvent extension fields read with
 * the schema the trace itself carries (ExtensionDescriptor packets, loaded with protobufjs's
 * descriptor support), as trace processor reads them. Shared by the export and bench checks.
 */
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import protobuf from 'protobufjs';
import 'protobufjs/ext/descriptor/index.js';
import { ROOT } from './helpers.js';

export interface DecodedTrackEvent {
  sequence: number;
  timestampNs: bigint;
  type: string;
  trackUuid: string;
  name: string | undefined;
  /** Field name → value, from extension fields and debug annotations alike. */
  args: Record<string, unknown>;
  /** The arg keys trace processor gives them: `<extension>.<field>` or `debug.<name>`. */
  argKeys: string[];
}

export interface DecodedExtension {
  /** The extension field's name and number on perfetto.protos.TrackEvent. */
  name: string;
  number: number;
  extendee: string;
  /** Field name → protobuf type name (sint64, uint64, double, string). */
  fields: Record<string, string>;
  type: protobuf.Type;
}

export interface DecodedTrack {
  uuid: string;
  parentUuid?: string;
  name?: string;
  process?: { pid: number; processName?: string };
  thread?: { pid: number; tid: number; threadName?: string };
}

export interface DecodedTrace {
  packets: number;
  /** Top-level packets that carried others deflated (TracePacket.compressed_packets). */
  compressedPackets: number;
  tracks: Map<string, DecodedTrack>;
  events: DecodedTrackEvent[];
  extensions: Map<number, DecodedExtension>;
  /** Problems a reader would report: an iid used before its definition, a negative delta... */
  problems: string[];
}

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface SequenceState {
  cleared: boolean;
  names: Map<string, string>;
  annotationNames: Map<string, string>;
  strings: Map<string, string>;
  clockId?: number;
  defaultTrack?: string;
  incremental: Map<number, bigint>;
}

let traceType: protobuf.Type | undefined;

/** The fields of a message's wire bytes, with protobufjs's reader: [field number, its bytes (wire type 2) or undefined]. */
function rawFields(bytes: Uint8Array): [number, Uint8Array | undefined][] {
  const reader = protobuf.Reader.create(bytes);
  const out: [number, Uint8Array | undefined][] = [];
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if ((tag & 7) === 2) out.push([tag >>> 3, reader.bytes()]);
    else {
      reader.skipType(tag & 7);
      out.push([tag >>> 3, undefined]);
    }
  }
  return out;
}

const TYPE_NAMES: Record<number, string> = { 1: 'double', 3: 'int64', 4: 'uint64', 8: 'bool', 9: 'string', 11: 'message', 12: 'bytes', 13: 'uint32', 17: 'sint32', 18: 'sint64' };

/** The TrackEvent extensions a FileDescriptorSet declares, with the protobufjs type of each. */
function extensionsOf(set: Uint8Array, into: Map<number, DecodedExtension>, problems: string[]): void {
  const descriptor = (protobuf as unknown as { descriptor: { FileDescriptorSet: protobuf.Type } }).descriptor;
  const files = descriptor.FileDescriptorSet.toObject(descriptor.FileDescriptorSet.decode(set)) as Obj;
  // The message types alone (protobufjs would look for the extendee, TrackEvent, in this root):
  // the extensions themselves are read from the descriptor below.
  const typesOnly = { file: ((files.file ?? []) as Obj[]).map((f) => ({ ...f, messageType: ((f.messageType ?? []) as Obj[]).map((m) => ({ ...m, extension: [] })) })) };
  const root = (protobuf.Root as unknown as { fromDescriptor(d: unknown): protobuf.Root }).fromDescriptor(typesOnly);
  for (const file of (files.file ?? []) as Obj[]) {
    for (const message of (file.messageType ?? []) as Obj[]) {
      for (const ext of (message.extension ?? []) as Obj[]) {
        const typeName = String(ext.typeName).replace(/^\./, '');
        const type = root.lookupType(typeName);
        const fields: Record<string, string> = {};
        for (const f of (message.field ?? []) as Obj[]) fields[f.name] = TYPE_NAMES[f.type] ?? String(f.type);
        if (into.has(ext.number)) problems.push(`extension ${ext.number} declared twice`);
        into.set(ext.number, { name: ext.name, number: ext.number, extendee: ext.extendee, fields, type });
      }
    }
  }
}

export function decodePerfetto(bytes: Uint8Array): DecodedTrace {
  traceType ??= protobuf.loadSync(join(ROOT, 'test', 'fixtures', 'perfetto', 'perfetto-subset.proto')).lookupType('perfetto.protos.Trace');
  const packetType = traceType.lookup('TracePacket') as protobuf.Type;
  const problems: string[] = [];
  // As trace processor tokenizes: a packet with compressed_packets is replaced by the packets
  // its inflated bytes hold (a Trace again: field 1 each), which may not nest further.
  let compressedPackets = 0;
  const rawPackets: Uint8Array[] = [];
  for (const [n, b] of rawFields(bytes)) {
    if (n !== 1 || b === undefined) continue;
    const compressed = rawFields(b).find(([f]) => f === 50)?.[1];
    if (compressed === undefined) { rawPackets.push(b); continue; }
    compressedPackets++;
    const inner = inflateSync(compressed);
    if (inner[0] !== 0x0a) problems.push('compressed packets that do not start with a TracePacket tag');
    for (const [m, c] of rawFields(inner)) {
      if (m !== 1 || c === undefined) { problems.push(`field ${m} inside compressed packets`); continue; }
      if (rawFields(c).some(([f]) => f === 50)) problems.push('compressed packets nested in compressed packets');
      rawPackets.push(c);
    }
  }
  const packets = rawPackets.map((raw) => packetType.toObject(packetType.decode(raw), { longs: String, enums: String, bytes: String }) as Obj);
  const extensions = new Map<number, DecodedExtension>();
  const tracks = new Map<string, DecodedTrack>();
  const events: DecodedTrackEvent[] = [];
  const states = new Map<number, SequenceState>();
  for (let k = 0; k < packets.length; k++) {
    const p = packets[k];
    const seqId = p.trustedPacketSequenceId as number | undefined;
    if (seqId === undefined) { problems.push('packet without trusted_packet_sequence_id'); continue; }
    let state = states.get(seqId);
    if (state === undefined || ((p.sequenceFlags ?? 0) & 1) !== 0) {
      state = { cleared: ((p.sequenceFlags ?? 0) & 1) !== 0, names: new Map(), annotationNames: new Map(), strings: new Map(), incremental: new Map() };
      states.set(seqId, state);
    }
    if (((p.sequenceFlags ?? 0) & 2) !== 0 && !state.cleared) problems.push(`sequence ${seqId} needs incremental state before it was cleared`);
    if (p.extensionDescriptor?.extensionSet !== undefined) extensionsOf(Buffer.from(p.extensionDescriptor.extensionSet, 'base64'), extensions, problems);
    if (p.tracePacketDefaults !== undefined) {
      state.clockId = p.tracePacketDefaults.timestampClockId;
      state.defaultTrack = p.tracePacketDefaults.trackEventDefaults?.trackUuid;
    }
    for (const c of (p.clockSnapshot?.clocks ?? []) as Obj[]) if (c.isIncremental === true) state.incremental.set(c.clockId, BigInt(c.timestamp));
    for (const n of (p.internedData?.eventNames ?? []) as Obj[]) state.names.set(n.iid, n.name);
    for (const n of (p.internedData?.debugAnnotationNames ?? []) as Obj[]) state.annotationNames.set(n.iid, n.name);
    for (const n of (p.internedData?.debugAnnotationStringValues ?? []) as Obj[]) state.strings.set(n.iid, Buffer.from(n.str, 'base64').toString('utf8'));
    if (p.trackDescriptor !== undefined) {
      const d = p.trackDescriptor as Obj;
      tracks.set(d.uuid, { uuid: d.uuid, ...(d.parentUuid === undefined ? {} : { parentUuid: d.parentUuid }), ...(d.name === undefined ? {} : { name: d.name }), ...(d.process === undefined ? {} : { process: d.process }), ...(d.thread === undefined ? {} : { thread: d.thread }) });
    }
    const te = p.trackEvent as Obj | undefined;
    if (te === undefined) continue;
    const clock = p.timestampClockId ?? state.clockId;
    let ts = BigInt(p.timestamp ?? '0');
    // A packet that uses the sequence's state (defaults, interning, its clock) after a clear only.
    if (!state.cleared) problems.push(`sequence ${seqId} uses incremental state before it was cleared`);
    if (clock !== undefined && state.incremental.has(clock)) {
      ts = state.incremental.get(clock)! + ts;
      state.incremental.set(clock, ts);
    }
    let name: string | undefined = te.name;
    if (te.nameIid !== undefined) {
      name = state.names.get(te.nameIid);
      if (name === undefined) problems.push(`name iid ${te.nameIid} undefined on sequence ${seqId}`);
    }
    const args: Record<string, unknown> = {};
    const argKeys: string[] = [];
    const rawEvent = rawFields(rawPackets[k]).find(([n]) => n === 11)?.[1];
    for (const [n, b] of rawEvent === undefined ? [] : rawFields(rawEvent)) {
      if (n < 1000) continue;
      const ext = extensions.get(n);
      if (ext === undefined || b === undefined) { problems.push(`TrackEvent field ${n} with no extension declared before it`); continue; }
      const values = ext.type.toObject(ext.type.decode(b), { longs: String }) as Obj;
      for (const [key, value] of Object.entries(values)) {
        const kind = ext.fields[key];
        args[key] = kind === 'sint64' || kind === 'uint64' || kind === 'int64' ? BigInt(value as string) : value;
        argKeys.push(`${ext.name}.${key}`);
      }
    }
    for (const a of (te.debugAnnotations ?? []) as Obj[]) {
      const key: string | undefined = a.name ?? state.annotationNames.get(a.nameIid);
      if (key === undefined) { problems.push(`annotation name iid ${a.nameIid} undefined`); continue; }
      argKeys.push(`debug.${key}`);
      if (a.stringValueIid !== undefined) {
        const s = state.strings.get(a.stringValueIid);
        if (s === undefined) problems.push(`string iid ${a.stringValueIid} undefined`);
        args[key] = s;
      } else if (a.intValue !== undefined) args[key] = BigInt(a.intValue);
      else if (a.uintValue !== undefined) args[key] = BigInt(a.uintValue);
      else if (a.doubleValue !== undefined) args[key] = a.doubleValue;
      else if (a.boolValue !== undefined) args[key] = a.boolValue;
      else args[key] = a.stringValue;
    }
    const trackUuid = te.trackUuid ?? state.defaultTrack;
    if (trackUuid === undefined) problems.push('track event without a track');
    else if (!tracks.has(trackUuid)) problems.push(`track ${trackUuid} used before its descriptor`);
    events.push({ sequence: seqId, timestampNs: ts, type: te.type, trackUuid, name, args, argKeys });
  }
  return { packets: packets.length, compressedPackets, tracks, events, extensions, problems };
}
