/**
 * Following a trace while it is written (`tracemark print --follow`), like `tail -f`: each
 * poll() reads what the files gained since the last one (new packets, metadata appended, new
 * stream files and trace directories) and returns the events that are ready, in time order.
 *
 * - A packet that a file does not hold whole yet is waited for (not damage): the stream stops
 *   before it and goes on from it once the file is longer.
 * - The metadata is parsed again whenever its file grows; a declaration cut by the end of the
 *   file is not damage either (the rest comes later). An event whose class the metadata does not
 *   declare yet stops its stream until the metadata grows (a writer may append it after the
 *   events); it is damage only once the metadata has not grown for `quietMs` since the stream
 *   began to wait.
 * - Tracefile rotation (one stream in several files, same stream class and stream_instance_id):
 *   a file's losses are counted from the last packet of the file before it, as without following,
 *   so a loss at a file boundary is reported once. A new file is read once its first packet is whole.
 *   With --tracefile-count, LTTng removes the oldest file and creates a new one under its name:
 *   the old file is read to its end from the handle held open, then let go; the new one is a
 *   stream file of its own, chained like any other.
 * - Order: every stream keeps its decoded events until they are ready. An event is ready once
 *   every stream that is still active has read past its time (each stream's events come in
 *   time order), so that events are printed in time order across streams. A stream that has
 *   gained no data for `quietMs` no longer holds the others back (it may have nothing to say);
 *   an event that it writes later, older than what was printed, is printed when read.
 * - Losses are reported (onDiscarded) when the packet that records them is read.
 * - Real damage (bad magic, a cut event inside a whole packet...) ends that stream; `damage`
 *   holds it, and the other streams go on.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TracemarkError } from '../../errors/index.js';
import { compileTrace, type CompiledTrace } from '../decode/compiled-trace.js';
import type { TraceEvent } from '../decode/event.js';
import { StreamReader, type PacketInfo, type StreamHooks } from '../decode/stream.js';
import { asTracemarkError } from '../errors.js';
import { discoverSync, type TraceLocation } from '../input/discover.js';
import { SyncFileSource } from '../input/source.js';
import { parseMetadata } from '../metadata/metadata.js';

export interface FollowOptions extends StreamHooks {
  /** A stream without new data for this long no longer holds the others back. Default 1000 ms. */
  readonly quietMs?: number;
  /** The clock, in ms (tests give their own). Default Date.now. */
  readonly now?: () => number;
}

interface FollowedTrace {
  readonly location: TraceLocation;
  metadataBytes: number;
  compiled: CompiledTrace | undefined;
  /** Size of the metadata file at the last look, and when it last changed (ms). */
  metadataSeenBytes: number;
  metadataChangedMs: number;
}

interface FollowedStream {
  readonly rel: string;
  readonly reader: StreamReader;
  readonly source: SyncFileSource;
  readonly trace: FollowedTrace;
  /** Decoded, not yet returned (time order: a stream's events come in order). */
  pending: TraceEvent[];
  /** Time of the last event read (ns). */
  lastEventNs: bigint | undefined;
  /** timestamp_end of the last packet opened (ns). */
  packetEndNs: bigint | undefined;
  /** The last read went to the end of what the file holds (not stopped by the batch limit). */
  caughtUp: boolean;
  lastGrowthMs: number;
  sizeBytes: number;
  /** The file's first packet, once whole (rotated tracefiles are chained by it). */
  first: PacketInfo | undefined;
  /** Its loss accounting is chained to the file before it (or it has none): it may be read. */
  linked: boolean;
  /** When the reader began to wait for an event class (ms), or undefined. */
  waitingSinceMs: number | undefined;
  /** Its path names a new file now: it is read to its end, then dropped. */
  replaced: boolean;
}

/** Events one stream may hold back: memory stays bounded however much the files hold. */
const MAX_PENDING_EVENTS = 20_000;

/**
 * ns before which a stream will produce no more events: its last event; once it has read all
 * its file holds (packets are then read whole), the end of its last packet if later.
 */
function knownUntil(s: FollowedStream): bigint | undefined {
  const event = s.lastEventNs;
  const packet = s.caughtUp ? s.packetEndNs : undefined;
  if (event === undefined) return packet;
  return packet !== undefined && packet > event ? packet : event;
}

export class TraceFollower {
  private readonly traces = new Map<string, FollowedTrace>();
  private readonly streams: FollowedStream[] = [];
  private readonly byRel = new Map<string, FollowedStream>();
  private readonly quietMs: number;
  private readonly now: () => number;
  /** The hooks every stream's reader gets (onPacket is wrapped per stream). */
  private readonly hooks: StreamHooks;
  private readonly onPacket: StreamHooks['onPacket'];
  private closed = false;

  constructor(private readonly dir: string, options: FollowOptions = {}) {
    this.quietMs = options.quietMs ?? 1000;
    this.now = options.now ?? Date.now;
    const { onDiscarded, onWarning, onPacket } = options;
    this.hooks = {
      ...(onDiscarded === undefined ? {} : { onDiscarded }),
      ...(onWarning === undefined ? {} : { onWarning }),
    };
    this.onPacket = onPacket;
  }

  /** The damage that ended streams so far (the first of them, in discovery order), if any. */
  get damage(): TracemarkError | undefined {
    for (const s of this.streams) if (s.reader.error !== undefined) return s.reader.error;
    return undefined;
  }

  /** Reads what was written since the last poll; returns the events that are ready, in time order. */
  poll(): TraceEvent[] {
    if (this.closed) return [];
    this.discover();
    const now = this.now();
    for (const stream of this.streams) this.read(stream, now);
    // The horizon: no active stream will produce an event older than what it has read.
    let horizon: bigint | undefined;
    let blocked = false;
    for (const s of this.streams) {
      if (s.reader.error !== undefined || now - s.lastGrowthMs >= this.quietMs) continue;
      const known = knownUntil(s);
      if (known === undefined) {
        blocked = true; // an active stream that has shown no event yet: wait for it (or for quiet)
        continue;
      }
      if (horizon === undefined || known < horizon) horizon = known;
    }
    if (blocked) return [];
    const ready = this.take(horizon);
    this.dropFinished();
    return ready;
  }

  /** Some stream has more to read now: poll again without waiting. */
  get behind(): boolean {
    return this.streams.some((s) => !s.caughtUp && s.reader.error === undefined && s.pending.length < MAX_PENDING_EVENTS);
  }

  /** Every event read and not returned yet, in time order (at the end of following). */
  drain(): TraceEvent[] {
    return this.take(undefined);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams) s.source.close();
  }

  /** Pending events at or before `horizon` (all when undefined), merged by time, then stream order. */
  private take(horizon: bigint | undefined): TraceEvent[] {
    const ready: { event: TraceEvent; stream: number; index: number }[] = [];
    this.streams.forEach((s, streamIndex) => {
      let n = 0;
      while (n < s.pending.length && (horizon === undefined || s.pending[n].timestamp < horizon)) n++;
      for (let i = 0; i < n; i++) ready.push({ event: s.pending[i], stream: streamIndex, index: i });
      s.pending = n === s.pending.length ? [] : s.pending.slice(n);
    });
    ready.sort((a, b) => (a.event.timestamp < b.event.timestamp ? -1 : a.event.timestamp > b.event.timestamp ? 1 : a.stream - b.stream || a.index - b.index));
    return ready.map((r) => r.event);
  }

  private discover(): void {
    let locations: TraceLocation[];
    try {
      locations = discoverSync(this.dir);
    } catch {
      return; // no trace there yet (or the directory is being created): the next poll looks again
    }
    for (const location of locations) {
      let trace = this.traces.get(location.rel);
      if (trace === undefined) {
        trace = { location, metadataBytes: -1, compiled: undefined, metadataSeenBytes: -1, metadataChangedMs: this.now() };
        this.traces.set(location.rel, trace);
      }
      this.loadMetadata(trace);
      if (trace.compiled === undefined) continue;
      for (const file of location.streams) {
        const known = this.byRel.get(file.rel);
        if (known !== undefined) {
          if (!this.isReplaced(known, file.path)) continue;
          known.replaced = true;
          this.byRel.delete(file.rel);
        }
        let source: SyncFileSource;
        try {
          source = SyncFileSource.open(file.path);
        } catch {
          continue;
        }
        // The reader reports its packets' ends to its own stream (a replaced file shares the name).
        let stream: FollowedStream | undefined;
        const hooks: StreamHooks = {
          ...this.hooks,
          onPacket: (info) => {
            if (stream !== undefined && info.endNs !== undefined) stream.packetEndNs = info.endNs;
            this.onPacket?.(info);
          },
        };
        const reader = new StreamReader(trace.compiled, file.rel, join(this.dir, file.rel), source.size, hooks);
        reader.follow = true;
        stream = { rel: file.rel, reader, source, trace, pending: [], lastEventNs: undefined, packetEndNs: undefined, caughtUp: false, lastGrowthMs: this.now(), sizeBytes: source.size, first: undefined, linked: false, waitingSinceMs: undefined, replaced: false };
        this.byRel.set(file.rel, stream);
        this.streams.push(stream);
      }
    }
  }

  /** The path now names another file than the one the stream holds open (LTTng recreated it). */
  private isReplaced(stream: FollowedStream, path: string): boolean {
    try {
      return statSync(path).ino !== stream.source.inode();
    } catch {
      return false; // removed and not created again yet: the next poll looks again
    }
  }

  /** Replaced files read to their end, with nothing held back, once their successor is chained. */
  private dropFinished(): void {
    for (let i = this.streams.length - 1; i >= 0; i--) {
      const s = this.streams[i];
      if (!s.replaced || s.pending.length > 0 || !(s.caughtUp || s.reader.error !== undefined)) continue;
      if (this.byRel.get(s.rel)?.linked === false) continue;
      s.source.close();
      this.streams.splice(i, 1);
    }
  }

  private loadMetadata(trace: FollowedTrace): void {
    let size: number;
    try {
      size = statSync(trace.location.metadataPath).size;
    } catch {
      return;
    }
    if (size !== trace.metadataSeenBytes) {
      trace.metadataSeenBytes = size;
      trace.metadataChangedMs = this.now();
    }
    if (size === trace.metadataBytes) return;
    let compiled: CompiledTrace;
    try {
      const bytes = readFileSync(trace.location.metadataPath);
      compiled = compileTrace(parseMetadata(bytes, join(this.dir, trace.location.metadataRel)));
    } catch {
      return; // cut in the middle of a declaration, or being rewritten: the next poll tries again
    }
    if (trace.compiled === undefined) for (const w of compiled.trace.warnings) this.hooks.onWarning?.(w);
    trace.metadataBytes = size;
    trace.compiled = compiled;
  }

  private read(stream: FollowedStream, now: number): void {
    if (stream.reader.error !== undefined) return;
    let size: number;
    try {
      size = stream.source.currentSize();
    } catch {
      return;
    }
    if (size > stream.sizeBytes) {
      stream.sizeBytes = size;
      stream.lastGrowthMs = now;
      stream.source.grow(size);
    }
    if (!stream.linked && !this.link(stream)) return;
    stream.reader.resume(stream.sizeBytes, stream.trace.compiled);
    stream.caughtUp = false;
    try {
      // Bounded read-ahead: a stream holding many events back is not read further until they go.
      while (stream.pending.length < MAX_PENDING_EVENTS) {
        const event = stream.source.pull(stream.reader) as TraceEvent | null;
        if (event === null) {
          stream.caughtUp = true;
          break;
        }
        stream.pending.push(event);
        stream.lastEventNs = event.timestamp;
      }
    } catch (error) {
      if (stream.reader.error === undefined) (stream.reader as { error: TracemarkError | undefined }).error = asTracemarkError(error, stream.rel, 0);
    }
    if (!stream.reader.waitingForMetadata) {
      stream.waitingSinceMs = undefined;
      return;
    }
    stream.waitingSinceMs ??= now;
    const quietSince = Math.max(stream.waitingSinceMs, stream.trace.metadataChangedMs);
    if (now - quietSince >= this.quietMs) stream.reader.stopWaiting();
  }

  /**
   * Chains a new file to the file before it in its rotated stream, if any (see the header).
   * False while its first packet is not whole yet.
   */
  private link(stream: FollowedStream): boolean {
    const first = this.firstPacket(stream);
    if (first === undefined) return false;
    stream.linked = true;
    if (first.streamInstanceId === undefined) return true;
    const beginOf = (p: PacketInfo): bigint => p.beginNs ?? 0n;
    let before: { stream: FollowedStream; first: PacketInfo } | undefined;
    for (const other of this.streams) {
      if (other === stream || other.trace !== stream.trace) continue;
      const f = this.firstPacket(other);
      if (f === undefined || f.streamClassId !== first.streamClassId || f.streamInstanceId !== first.streamInstanceId) continue;
      const earlier = beginOf(f) < beginOf(first) || (beginOf(f) === beginOf(first) && other.rel < stream.rel);
      if (earlier && (before === undefined || beginOf(f) > beginOf(before.first))) before = { stream: other, first: f };
    }
    if (before !== undefined) {
      const last = this.walkPackets(before.stream, false);
      if (last !== undefined) stream.reader.continueAfter(last);
    }
    return true;
  }

  private firstPacket(stream: FollowedStream): PacketInfo | undefined {
    stream.first ??= this.walkPackets(stream, true);
    return stream.first;
  }

  /**
   * The first (or last) whole packet of a stream file, walked by a reader of its own on a file
   * handle of its own (the stream's reader keeps its window in the stream's buffer).
   */
  private walkPackets(stream: FollowedStream, firstOnly: boolean): PacketInfo | undefined {
    const compiled = stream.trace.compiled as CompiledTrace;
    let found: PacketInfo | undefined;
    let source: SyncFileSource | undefined;
    try {
      // The stream's own open file (its path may name a newer one by now), read apart.
      source = stream.source.share();
      const reader = new StreamReader(compiled, stream.rel, stream.reader.file, source.size, {
        onPacket(info) {
          if (!firstOnly || found === undefined) found = info;
        },
      }, true);
      reader.follow = true;
      reader.stopAfterFirstPacket = firstOnly;
      source.pull(reader);
    } catch {
      return undefined; // unreadable now: the next poll tries again
    } finally {
      source?.close();
    }
    return found;
  }
}
