/**
 * Reads a Perfetto trace as the format defines it, with a general protobuf decoder (protobufjs)
 * and a schema written from Perfetto's .proto files: sequences, incremental state (interning,
 * TracePacketDefaults, incremental clocks), tracks. Shared by the export and bench checks.
 */
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { ROOT } from './helpers.js';

export interface DecodedTrackEvent {
  sequence: number;
  timestampNs: bigint;
  type: string;
  trackUuid: string;
  name: string | undefined;
  args: Record<string, unknown>;
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
  tracks: Map<string, DecodedTrack>;
  events: DecodedTrackEvent[];
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

export function decodePerfetto(bytes: Uint8Array): DecodedTrace {
  traceType ??= protobuf.loadSync(join(ROOT, 'test', 'fixtures', 'perfetto', 'perfetto-subset.proto')).lookupType('perfetto.protos.Trace');
  const trace = traceType.toObject(traceType.decode(bytes), { longs: String, enums: String, bytes: String }) as Obj;
  const packets = (trace.packet ?? []) as Obj[];
  const tracks = new Map<string, DecodedTrack>();
  const events: DecodedTrackEvent[] = [];
  const problems: string[] = [];
  const states = new Map<number, SequenceState>();
  for (const p of packets) {
    const seqId = p.trustedPacketSequenceId as number | undefined;
    if (seqId === undefined) { problems.push('packet without trusted_packet_sequence_id'); continue; }
    let state = states.get(seqId);
    if (state === undefined || ((p.sequenceFlags ?? 0) & 1) !== 0) {
      state = { cleared: ((p.sequenceFlags ?? 0) & 1) !== 0, names: new Map(), annotationNames: new Map(), strings: new Map(), incremental: new Map() };
      states.set(seqId, state);
    }
    if (((p.sequenceFlags ?? 0) & 2) !== 0 && !state.cleared) problems.push(`sequence ${seqId} needs incremental state before it was cleared`);
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
    for (const a of (te.debugAnnotations ?? []) as Obj[]) {
      const key: string | undefined = a.name ?? state.annotationNames.get(a.nameIid);
      if (key === undefined) { problems.push(`annotation name iid ${a.nameIid} undefined`); continue; }
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
    events.push({ sequence: seqId, timestampNs: ts, type: te.type, trackUuid, name, args });
  }
  return { packets: packets.length, tracks, events, problems };
}
