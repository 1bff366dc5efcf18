/**
 * Opening the traces under a directory: discovery, metadata (parsed and compiled), one
 * StreamReader and file source per stream file; and the single error that sums up the damage.
 * Shared by readTraceSync, readTrace and the summaries.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TracemarkError } from '../../errors/index.js';
import { compileTrace, type CompileOptions, type CompiledTrace } from '../decode/compiled-trace.js';
import { discoverAsync, discoverSync, type TraceLocation } from './discover.js';
import { ioError } from '../errors.js';
import { parseMetadata } from '../metadata/metadata.js';
import { AsyncFileSource, SyncFileSource, chunkBytesFor } from './source.js';
import { StreamReader, type PacketInfo, type StreamHooks } from '../decode/stream.js';

export interface OpenedStream<S> {
  readonly reader: StreamReader;
  readonly source: S;
  /** Index of the stream's trace in `traces`/`locations`. */
  readonly traceIndex: number;
}

export interface OpenedTraces<S> {
  readonly locations: TraceLocation[];
  readonly traces: CompiledTrace[];
  readonly streams: OpenedStream<S>[];
}

/** Reads, parses and compiles the metadata of one trace. */
export function loadTraceSync(root: string, location: TraceLocation, compile: CompileOptions = {}): CompiledTrace {
  let bytes: Buffer;
  try {
    bytes = readFileSync(location.metadataPath);
  } catch (error) {
    throw ioError(join(root, location.metadataRel), error);
  }
  return compileTrace(parseMetadata(bytes, join(root, location.metadataRel)), compile);
}

export async function loadTraceAsync(root: string, location: TraceLocation): Promise<CompiledTrace> {
  let bytes: Buffer;
  try {
    bytes = await readFile(location.metadataPath);
  } catch (error) {
    throw ioError(join(root, location.metadataRel), error);
  }
  return compileTrace(parseMetadata(bytes, join(root, location.metadataRel)));
}

export function openStreamsSync(root: string, hooks: StreamHooks = {}, skipEvents = false, compile: CompileOptions = {}): OpenedTraces<SyncFileSource> {
  const locations = discoverSync(root);
  const traces = locations.map((location) => loadTraceSync(root, location, compile));
  reportWarnings(traces, hooks);
  const chunkBytes = chunkBytesFor(locations.reduce((n, l) => n + l.streams.length, 0));
  const streams: OpenedStream<SyncFileSource>[] = [];
  try {
    locations.forEach((location, i) => {
      for (const file of location.streams) {
        const source = SyncFileSource.open(file.path, chunkBytes);
        streams.push({ source, traceIndex: i, reader: new StreamReader(traces[i], file.rel, join(root, file.rel), source.size, hooks, skipEvents) });
      }
    });
    linkRotatedFilesSync(traces, streams);
  } catch (error) {
    for (const s of streams) s.source.close();
    throw error;
  }
  return { locations, traces, streams };
}

export async function openStreamsAsync(root: string, hooks: StreamHooks = {}, skipEvents = false): Promise<OpenedTraces<AsyncFileSource>> {
  const locations = await discoverAsync(root);
  const traces: CompiledTrace[] = [];
  for (const location of locations) traces.push(await loadTraceAsync(root, location));
  reportWarnings(traces, hooks);
  const chunkBytes = chunkBytesFor(locations.reduce((n, l) => n + l.streams.length, 0));
  const streams: OpenedStream<AsyncFileSource>[] = [];
  try {
    for (const [i, location] of locations.entries()) {
      for (const file of location.streams) {
        const source = await AsyncFileSource.open(file.path, chunkBytes);
        streams.push({ source, traceIndex: i, reader: new StreamReader(traces[i], file.rel, join(root, file.rel), source.size, hooks, skipEvents) });
      }
    }
    await linkRotatedFilesAsync(traces, streams);
  } catch (error) {
    for (const s of streams) await s.source.close();
    throw error;
  }
  return { locations, traces, streams };
}

/**
 * LTTng's tracefile rotation writes one stream into several files (chan_0_0, chan_0_1...), all
 * with the same stream class and stream_instance_id, as babeltrace2 groups them. Each file is
 * still read by its own reader, but a file that continues a stream starts its loss accounting
 * from the last packet of the file before it (in time order), so losses are counted once.
 */
interface Peek {
  first?: PacketInfo;
  last?: PacketInfo;
}

function peekReader<S>(traces: readonly CompiledTrace[], s: OpenedStream<S>, firstOnly: boolean, peek: Peek): StreamReader {
  const reader = new StreamReader(traces[s.traceIndex], s.reader.stream, s.reader.file, s.reader.fileSize, {
    onPacket(info) {
      peek.first ??= info;
      peek.last = info;
    },
  }, true);
  reader.stopAfterFirstPacket = firstOnly;
  return reader;
}

function chains<S>(streams: readonly OpenedStream<S>[], firsts: readonly Peek[]): OpenedStream<S>[][] {
  const groups = new Map<string, { stream: OpenedStream<S>; first: PacketInfo }[]>();
  streams.forEach((stream, i) => {
    const first = firsts[i].first;
    if (first?.streamInstanceId === undefined) return;
    const key = `${stream.traceIndex}/${first.streamClassId}/${first.streamInstanceId}`;
    const group = groups.get(key) ?? [];
    group.push({ stream, first });
    groups.set(key, group);
  });
  const out: OpenedStream<S>[][] = [];
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    group.sort((a, b) => {
      const ta = a.first.beginNs ?? 0n;
      const tb = b.first.beginNs ?? 0n;
      return ta < tb ? -1 : ta > tb ? 1 : a.stream.reader.stream < b.stream.reader.stream ? -1 : 1;
    });
    out.push(group.map((g) => g.stream));
  }
  return out;
}

function linkRotatedFilesSync(traces: readonly CompiledTrace[], streams: readonly OpenedStream<SyncFileSource>[]): void {
  if (streams.length < 2) return;
  const firsts = streams.map((s) => {
    const peek: Peek = {};
    s.source.pull(peekReader(traces, s, true, peek));
    return peek;
  });
  for (const chain of chains(streams, firsts)) {
    for (let k = 1; k < chain.length; k++) {
      const peek: Peek = {};
      chain[k - 1].source.pull(peekReader(traces, chain[k - 1], false, peek));
      if (peek.last !== undefined) chain[k].reader.continueAfter(peek.last);
    }
  }
}

async function linkRotatedFilesAsync(traces: readonly CompiledTrace[], streams: readonly OpenedStream<AsyncFileSource>[]): Promise<void> {
  if (streams.length < 2) return;
  const firsts: Peek[] = [];
  for (const s of streams) {
    const peek: Peek = {};
    await s.source.pull(peekReader(traces, s, true, peek));
    firsts.push(peek);
  }
  for (const chain of chains(streams, firsts)) {
    for (let k = 1; k < chain.length; k++) {
      const peek: Peek = {};
      await chain[k - 1].source.pull(peekReader(traces, chain[k - 1], false, peek));
      if (peek.last !== undefined) chain[k].reader.continueAfter(peek.last);
    }
  }
}

function reportWarnings(traces: readonly CompiledTrace[], hooks: StreamHooks): void {
  for (const t of traces) for (const w of t.trace.warnings) hooks.onWarning?.(w);
}

/** The damage found while reading, as one error: metadata damage first, then streams in file order. */
export function collectDamage(traces: readonly CompiledTrace[], readers: readonly StreamReader[]): TracemarkError | undefined {
  const errors: TracemarkError[] = [];
  for (const t of traces) if (t.trace.damage !== undefined) errors.push(t.trace.damage);
  for (const r of readers) if (r.error !== undefined) errors.push(r.error);
  if (errors.length <= 1) return errors[0];
  const [first, ...rest] = errors;
  const others = rest.map((e) => (e.file === undefined ? e.message : `${e.file} at byte ${e.byteOffset ?? '?'}`)).join(', ');
  return new TracemarkError(first.code, `${first.message} (also damaged: ${others})`, {
    ...(first.file === undefined ? {} : { file: first.file }),
    ...(first.byteOffset === undefined ? {} : { byteOffset: first.byteOffset }),
    cause: rest,
  });
}
