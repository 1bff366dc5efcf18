/**
 * Decoder of one data stream file, independent of how the bytes are read (sans I/O): `next()`
 * returns an event, `null` at the end (or after damage, see `error`), or NEED_DATA after setting
 * `needOffsetBytes`/`needBytes`; the driver then loads that range and calls `setWindow()`.
 * A packet is always decoded from a window holding all of it (or all that the file has of it).
 */
import { TracemarkError } from '../../errors/index.js';
import type { CompiledEventClass, CompiledStreamClass, CompiledTrace } from './compiled-trace.js';
import { Cursor } from './cursor.js';
import { DecodeError, asTracemarkError, corrupt, unsupported } from '../errors.js';
import { DecodedEvent, type TraceEvent } from './event.js';
import type { DiscardedInfo, PacketInfo, StreamHooks } from './stream-hooks.js';

export const NEED_DATA: unique symbol = Symbol('tracemark.needData');
/** What `next()` returns for an event in counting mode (`countOnly`): see `countedClass`. */
export const COUNTED: unique symbol = Symbol('tracemark.counted');
export type Pull = TraceEvent | null | typeof NEED_DATA | typeof COUNTED;

const CTF_MAGIC = 0xc1fc1fc1;
const INITIAL_PROBE_BYTES = 4096;
/** A packet must fit in one Buffer; larger ones are refused rather than exhausting memory. */
export const MAX_PACKET_BYTES = 1 << 30;

export type { DiscardedInfo, PacketInfo, StreamHooks } from './stream-hooks.js';

type Context = Record<string, unknown>;

export class StreamReader {
  needOffsetBytes = 0;
  needBytes = 0;
  /** The damage that ended this stream, if any. */
  error: TracemarkError | undefined;

  private readonly cursor: Cursor;
  /**
   * Following a file being written (`print --follow`): a packet that the file does not hold
   * whole yet ends the reading without error, to be resumed (`resume`) when the file has grown.
   */
  follow = false;
  private window: Buffer | undefined;
  private windowOffsetBytes = 0;
  private windowBytes = 0;
  private probeBytes = INITIAL_PROBE_BYTES;
  private done = false;
  private inPacket = false;
  private packetOffsetBytes = 0;
  private packetBytes = 0;
  /** The packet goes past the end of the file: reported once its complete events are read. */
  private packetTruncated = false;
  /** packet_size of the current packet in bytes, exactly (for messages). */
  private declaredBytes = 0n;
  /** The content of the current packet is cut by the end of the file, not by content_size. */
  private limitIsEndOfFile = false;
  private streamClass: CompiledStreamClass | undefined;
  private prevDiscarded = 0n;
  private prevSeq: bigint | undefined;
  private prevEndNs: bigint | undefined;
  /** A packet came before this one in the stream (in this file, or the previous file of a rotated stream). */
  private hasPrevPacket = false;
  /** Walk only up to the first packet (summaries of rotated files): set before reading. */
  stopAfterFirstPacket = false;
  /**
   * Counting mode, set before reading (with a trace compiled with `skipPayloads`): events are
   * walked, not built; `next()` returns COUNTED and the event is `countedClass` at `clockHi/Lo`.
   */
  countOnly = false;
  countedClass: CompiledEventClass | undefined;
  private lastHi = -1;
  private lastLo = -1;
  private lastNs = 0n;
  /** Following: the error an unknown event class will be if the metadata never declares it. */
  private waitingForClass: TracemarkError | undefined;

  constructor(
    private trace: CompiledTrace,
    /** The `stream` of the events: path relative to the directory being read. */
    readonly stream: string,
    /** The file as named in errors (the directory as the caller gave it, joined with `stream`). */
    readonly file: string,
    private fileSizeBytes: number,
    private readonly hooks: StreamHooks = {},
    /** Walk the packets only (summaries): no event is decoded. */
    private readonly skipEvents = false,
  ) {
    this.cursor = new Cursor(trace.slotCount);
  }

  get fileSize(): number {
    return this.fileSizeBytes;
  }

  /** The stream's clock value (cycles) after the last event, as two unsigned 32-bit halves. */
  get clockHi(): number {
    return this.cursor.clockHi;
  }

  get clockLo(): number {
    return this.cursor.clockLo;
  }

  /** The stream class of the current packet. */
  get currentStreamClass(): CompiledStreamClass | undefined {
    return this.streamClass;
  }

  /**
   * Following: the file has grown to `fileSizeBytes` (and the metadata may have: `trace`); reading
   * goes on from the packet it stopped before. Only after `next()` returned null without error.
   */
  resume(fileSizeBytes: number, trace: CompiledTrace = this.trace): void {
    if (this.error !== undefined || !this.done || (this.inPacket && this.waitingForClass === undefined)) return;
    if (trace !== this.trace) {
      this.trace = trace;
      while (this.cursor.slots.length < trace.slotCount) this.cursor.slots.push(0);
      // Inside a packet (waiting for an event class): the same stream class, from the new metadata.
      if (this.inPacket && this.streamClass !== undefined) this.streamClass = trace.streams.get(this.streamClass.id) ?? this.streamClass;
    }
    if (!this.inPacket) {
      this.fileSizeBytes = fileSizeBytes;
      this.probeBytes = INITIAL_PROBE_BYTES;
    }
    this.waitingForClass = undefined;
    this.done = false;
  }

  /**
   * Following: the next event's class is not in the metadata read so far (a writer may append the
   * metadata after the events that use it). Reading stopped before that event; `resume` with newer
   * metadata tries it again, `stopWaiting` makes it the damage it would be without following.
   */
  get waitingForMetadata(): boolean {
    return this.waitingForClass !== undefined;
  }

  stopWaiting(): void {
    if (this.waitingForClass === undefined) return;
    this.fail(this.waitingForClass);
    this.waitingForClass = undefined;
  }

  /** `lengthBytes` bytes of the file starting at `fileOffsetBytes` are in `bytes[0..lengthBytes)`. */
  setWindow(bytes: Buffer, fileOffsetBytes: number, lengthBytes: number): void {
    this.window = bytes;
    this.windowOffsetBytes = fileOffsetBytes;
    this.windowBytes = lengthBytes;
    this.cursor.setBytes(bytes);
    // A short read means the file shrank while being read: the data ends here.
    if (fileOffsetBytes + lengthBytes < Math.min(this.fileSizeBytes, this.needOffsetBytes + this.needBytes)) this.fileSizeBytes = fileOffsetBytes + lengthBytes;
  }

  next(): Pull {
    const c = this.cursor;
    for (;;) {
      if (this.done) return null;
      if (!this.inPacket) {
        const opened = this.openPacket();
        if (opened !== true) return opened;
      }
      if (c.posBits < c.limitBits && !this.skipEvents) return this.decodeEvent();
      if (this.packetTruncated) {
        return this.fail(corrupt(this.file, this.fileSizeBytes,
          `the file ends at byte ${this.fileSizeBytes} inside the packet at byte ${this.packetOffsetBytes} (declared ${this.declaredBytes} bytes)`));
      }
      this.inPacket = false;
      this.packetOffsetBytes += this.packetBytes;
    }
  }

  private covers(offsetBytes: number, lengthBytes: number): boolean {
    return this.window !== undefined && offsetBytes >= this.windowOffsetBytes && offsetBytes + lengthBytes <= this.windowOffsetBytes + this.windowBytes;
  }

  private request(offset: number, length: number): typeof NEED_DATA {
    this.needOffsetBytes = offset;
    this.needBytes = length;
    return NEED_DATA;
  }

  private fail(error: TracemarkError): null {
    this.error = error;
    this.done = true;
    return null;
  }

  /** true when a packet is ready; null at the end of the file or on damage; NEED_DATA. */
  private openPacket(): true | null | typeof NEED_DATA {
    const start = this.packetOffsetBytes;
    if (start >= this.fileSizeBytes) {
      this.done = true;
      return null;
    }
    const remaining = this.fileSizeBytes - start;
    const probe = Math.min(remaining, this.probeBytes);
    if (!this.covers(start, probe)) return this.request(start, probe);
    const available = Math.min(remaining, this.windowOffsetBytes + this.windowBytes - start);
    const c = this.cursor;
    c.baseByte = start - this.windowOffsetBytes;
    c.posBits = 0;
    c.limitBits = available * 8;
    c.startWork();
    let header: Context | undefined;
    let context: Context | undefined;
    try {
      header = this.trace.decodePacketHeader?.(c) as Context | undefined;
      this.streamClass = this.streamOf(header, start);
      context = this.streamClass.decodePacketContext?.(c) as Context | undefined;
    } catch (error) {
      if (error instanceof DecodeError && error.pastEnd) {
        if (this.follow && available >= remaining) return this.waitForMore();
        if (available < remaining) {
          this.probeBytes = Math.min(remaining, Math.max(available * 2, INITIAL_PROBE_BYTES));
          return this.request(start, this.probeBytes);
        }
        return this.fail(corrupt(this.file, start, `the file ends inside the header of the packet at byte ${start}`));
      }
      return this.fail(asTracemarkError(error, this.file, start));
    }
    const headerBits = c.posBits;
    const packetBits = uintField(context, 'packet_size') ?? BigInt(remaining) * 8n;
    const contentBits = uintField(context, 'content_size') ?? packetBits;
    const problem = packetBits % 8n !== 0n ? `packet_size ${packetBits} bits is not a whole number of bytes`
      : packetBits < BigInt(headerBits) ? `packet_size ${packetBits} bits is smaller than the packet header and context (${headerBits} bits)`
        : contentBits > packetBits ? `content_size ${contentBits} bits is larger than packet_size ${packetBits} bits`
          : contentBits < BigInt(headerBits) ? `content_size ${contentBits} bits is smaller than the packet header and context (${headerBits} bits)`
            : undefined;
    if (problem !== undefined) return this.fail(corrupt(this.file, start, problem));
    const truncated = packetBits / 8n > BigInt(remaining);
    if (truncated && this.follow) return this.waitForMore();
    const needBytes = truncated ? remaining : Number(packetBits / 8n);
    if (needBytes > MAX_PACKET_BYTES) {
      return this.fail(unsupported(this.file, start, `packet of ${needBytes} bytes (more than ${MAX_PACKET_BYTES})`));
    }
    if (!this.covers(start, needBytes)) return this.request(start, needBytes);
    this.packetBytes = truncated ? Number(packetBits / 8n) : needBytes;
    this.declaredBytes = packetBits / 8n;
    this.packetTruncated = truncated;
    this.limitIsEndOfFile = truncated && BigInt(remaining) * 8n < contentBits;
    c.limitBits = this.limitIsEndOfFile ? remaining * 8 : Number(contentBits);
    this.inPacket = true;
    this.startPacket(header, context, start, Number(contentBits));
    if (this.stopAfterFirstPacket) {
      this.done = true;
      return null;
    }
    return true;
  }

  /** Following: the packet at packetOffsetBytes is not all written yet. */
  private waitForMore(): null {
    this.done = true;
    return null;
  }

  private streamOf(header: Context | undefined, start: number): CompiledStreamClass {
    const magic = header?.magic;
    if (magic !== undefined && magic !== CTF_MAGIC) {
      throw corrupt(this.file, start, `bad packet magic 0x${Number(magic).toString(16)} (expected 0xc1fc1fc1)`);
    }
    const id = header?.stream_id;
    if (id === undefined) {
      if (this.trace.streams.size === 1) return this.trace.streams.values().next().value as CompiledStreamClass;
      throw corrupt(this.file, start, 'the packet header has no stream_id and the trace has several stream classes');
    }
    const stream = this.trace.streams.get(Number(id));
    if (stream === undefined) throw corrupt(this.file, start, `unknown stream class id ${String(id)}`);
    return stream;
  }

  /** Seeds the clock from timestamp_begin and reports lost events and packets. */
  private startPacket(header: Context | undefined, context: Context | undefined, start: number, contentBits: number): void {
    const stream = this.streamClass as CompiledStreamClass;
    const begin = uintField(context, 'timestamp_begin');
    const end = uintField(context, 'timestamp_end');
    if (begin !== undefined) this.cursor.setClock(begin);
    const beginNs = begin === undefined ? undefined : stream.clock.cyclesToNs(begin);
    const endNs = end === undefined ? undefined : stream.clock.cyclesToNs(end);
    const seq = uintField(context, 'packet_seq_num');
    const discarded = uintField(context, 'events_discarded');
    const report = (kind: DiscardedInfo['kind'], count: bigint): void => {
      const from = this.prevEndNs ?? beginNs;
      const to = kind === 'packets' ? beginNs : endNs;
      this.hooks.onDiscarded?.({
        stream: this.stream, kind, count,
        ...(this.hasPrevPacket ? {} : { uncounted: true as const }),
        ...(from === undefined ? {} : { beginNs: from }),
        ...(to === undefined ? {} : { endNs: to }),
      });
    };
    if (seq !== undefined && this.prevSeq !== undefined && seq > this.prevSeq + 1n) report('packets', seq - this.prevSeq - 1n);
    if (discarded !== undefined) {
      // A free-running counter: the difference with the previous packet (unsigned 64-bit), from 0.
      const lost = BigInt.asUintN(64, discarded - this.prevDiscarded);
      if (lost !== 0n) report('events', lost);
      this.prevDiscarded = discarded;
    }
    this.hooks.onPacket?.({
      stream: this.stream, offsetBytes: start, packetBytes: this.packetBytes, contentBits, streamClassId: stream.id,
      ...optional('streamInstanceId', uintField(header, 'stream_instance_id')),
      ...optional('seq', seq), ...optional('beginNs', beginNs), ...optional('endNs', endNs),
      ...optional('eventsDiscardedTotal', discarded),
    });
    if (seq !== undefined) this.prevSeq = seq;
    if (endNs !== undefined) this.prevEndNs = endNs;
    this.hasPrevPacket = true;
  }

  /**
   * This file continues a stream whose previous packet is `last` (LTTng's tracefile rotation:
   * one stream in several files): losses are counted from it, once, across the boundary.
   */
  continueAfter(last: PacketInfo): void {
    this.prevDiscarded = last.eventsDiscardedTotal ?? 0n;
    this.prevSeq = last.seq;
    this.prevEndNs = last.endNs;
    this.hasPrevPacket = true;
  }

  private decodeEvent(): Pull {
    const c = this.cursor;
    const stream = this.streamClass as CompiledStreamClass;
    const startBits = c.posBits;
    const startHi = c.clockHi;
    const startLo = c.clockLo;
    // The class once known, for the error message (built only on error: no string per event).
    let known: CompiledEventClass | undefined;
    try {
      c.startWork();
      c.eventId = stream.implicitEventId;
      stream.decodeEventHeader?.(c);
      const id = c.eventId;
      const ec = id < stream.eventsById.length ? stream.eventsById[id] : stream.events.get(id);
      if (ec === undefined) {
        const why = `unknown event class id ${c.eventId} in stream class ${stream.id}`;
        if (!this.follow) throw new DecodeError(why);
        // Before the event, as if it had not been read: its header is decoded again after `resume`.
        c.posBits = startBits;
        c.clockHi = startHi;
        c.clockLo = startLo;
        this.waitingForClass = corrupt(this.file, this.packetOffsetBytes + Math.floor(startBits / 8), `event: ${why}`);
        this.done = true;
        return null;
      }
      known = ec;
      if (this.countOnly) {
        stream.decodeEventContext?.(c);
        ec.decodeContext?.(c);
        ec.decodeFields?.(c);
        if (c.posBits === startBits) throw new DecodeError('event of size 0');
        this.countedClass = ec;
        return COUNTED;
      }
      let context = stream.decodeEventContext?.(c) as Context | undefined;
      if (ec.decodeContext !== undefined) context = { ...context, ...(ec.decodeContext(c) as Context) };
      const fields = ec.decodeFields === undefined ? {} : (ec.decodeFields(c) as Context);
      // CTF forbids empty events; without this check one would be read forever.
      if (c.posBits === startBits) throw new DecodeError('event of size 0');
      if (c.clockHi !== this.lastHi || c.clockLo !== this.lastLo) {
        this.lastHi = c.clockHi;
        this.lastLo = c.clockLo;
        this.lastNs = stream.clock.toNs(c.clockHi, c.clockLo);
      }
      return new DecodedEvent(ec.name, ec.id, ec.specs, this.lastNs, this.stream, fields, context);
    } catch (error) {
      const what = known === undefined ? 'event' : `${known.name} event`;
      const at = this.packetOffsetBytes + Math.floor(startBits / 8);
      if (!(error instanceof DecodeError)) return this.fail(asTracemarkError(error, this.file, at));
      const cutByFile = error.pastEnd && this.limitIsEndOfFile;
      const why = cutByFile
        ? `the file ends at byte ${this.fileSizeBytes} inside this ${what} (packet at byte ${this.packetOffsetBytes} declares ${this.declaredBytes} bytes)`
        : `${what}: ${error.message}`;
      return this.fail(corrupt(this.file, at, why));
    }
  }
}

function uintField(context: Context | undefined, name: string): bigint | undefined {
  const v = context?.[name];
  return typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : undefined;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
