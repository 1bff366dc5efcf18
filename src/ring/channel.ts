import { TracemarkError } from '../errors/index.js';
import { CHANNEL_DEFAULTS } from '../lazy/index.js';
import { CTRL, PACKET, PACKET_MAGIC, SUBBUF, TWO_POW_32, writeU64 } from './layout.js';

export type ChannelMode = 'discard' | 'overwrite';

export interface ChannelOptions {
  /** Bytes per sub-buffer (= CTF packet). Default 1 MiB. */
  subbufSize?: number;
  /** Sub-buffers in the ring. Default 4. */
  subbufCount?: number;
  /** `discard` drops new events when the ring is full; `overwrite` reuses the oldest sub-buffer. */
  mode?: ChannelMode;
}

const MIN_SUBBUF_BYTES = 256;
const MAX_SUBBUF_BYTES = 1 << 30;

export interface ChannelStats {
  /** Events encoded into the ring. */
  written: number;
  /** Events lost: ring full (discard mode), or larger than a sub-buffer. */
  discarded: number;
  /** Of `discarded`, events larger than a whole sub-buffer. */
  tooLarge: number;
  /** Packets overwritten before anyone read them (overwrite mode). */
  overwrittenPackets: number;
  /** Packets closed and handed to the drainer or kept for a snapshot. */
  packets: number;
}

/**
 * One channel: a ring of sub-buffers in a SharedArrayBuffer, written by this thread and drained
 * (in discard mode with an output) by the session's drainer thread. Sub-buffers are published
 * with one Atomics operation each, never per event.
 */
export class Channel {
  readonly name: string;
  readonly subbufSize: number;
  readonly subbufCount: number;
  readonly mode: ChannelMode;
  readonly data: SharedArrayBuffer;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly ctrl: Int32Array;
  /** Channel switch of the enable chain (`session.channel(name).enabled = false`). */
  enabled = true;

  // Producer state: read and written by the encoders on the hot path.
  /** Absolute byte offset of the next event in `bytes`. */
  pos = 0;
  /** Absolute end of the current sub-buffer; 0 when none is held (ring full or not started). */
  end = 0;
  /** Clock value of the previous event (or packet start): decides compact vs extended headers. */
  lastTs = 0;
  written = 0;

  /** Index of the sub-buffer opened last; `holding` says whether it is still open. */
  private current = -1;
  private holding = false;
  private packetStart = 0;
  private nextSeq = 0;
  private discardedTotal = 0;
  /** `discardedTotal` as of the last closed packet: losses after it still need a packet. */
  private discardedReported = 0;
  private tooLarge = 0;
  private overwrittenPackets = 0;
  private packets = 0;
  private streamInstanceId = 0;
  private readonly uuid = new Uint8Array(16);
  /** Called after each packet is committed (the drainer's doorbell). */
  onCommit: (() => void) | null = null;
  /**
   * Fill each sub-buffer with 0xFF bytes when it opens (a worker's rings): if the thread is
   * terminated mid-packet, its events can then be counted (a 0xFF header is no valid event),
   * so that the trace reports them as discarded (see sealAbandonedPacket).
   */
  poisonOnOpen = false;
  /** The ring as 64-bit words, for poison(). */
  private words: BigInt64Array | null = null;

  constructor(name: string, options: ChannelOptions = {}) {
    const subbufSize = options.subbufSize ?? CHANNEL_DEFAULTS.subbufSize;
    const subbufCount = options.subbufCount ?? CHANNEL_DEFAULTS.subbufCount;
    const mode = options.mode ?? CHANNEL_DEFAULTS.mode;
    if (!Number.isInteger(subbufSize) || subbufSize < MIN_SUBBUF_BYTES || subbufSize > MAX_SUBBUF_BYTES) {
      throw new TracemarkError('ERR_CHANNEL', `channel ${JSON.stringify(name)}: subbufSize must be an integer from ${MIN_SUBBUF_BYTES} to ${MAX_SUBBUF_BYTES}, got ${String(subbufSize)}`);
    }
    if (!Number.isInteger(subbufCount) || subbufCount < 2 || subbufCount > 1024) {
      throw new TracemarkError('ERR_CHANNEL', `channel ${JSON.stringify(name)}: subbufCount must be an integer from 2 to 1024, got ${String(subbufCount)}`);
    }
    if (mode !== 'discard' && mode !== 'overwrite') {
      throw new TracemarkError('ERR_CHANNEL', `channel ${JSON.stringify(name)}: mode must be 'discard' or 'overwrite', got ${String(mode)}`);
    }
    this.name = name;
    this.subbufSize = subbufSize;
    this.subbufCount = subbufCount;
    this.mode = mode;
    this.data = new SharedArrayBuffer(subbufSize * subbufCount);
    this.bytes = new Uint8Array(this.data);
    this.view = new DataView(this.data);
    this.ctrl = new Int32Array(new SharedArrayBuffer((CTRL.firstState + subbufCount) * 4));
  }

  /** Identity written in every packet header. */
  setStreamIdentity(uuid: Uint8Array, streamInstanceId: number): void {
    this.uuid.set(uuid);
    this.streamInstanceId = streamInstanceId;
  }

  get maxEventBytes(): number {
    return this.subbufSize - PACKET.headerSizeBytes;
  }

  /**
   * Slow path of every encoder: the event (`needBytes` at most) does not fit in the current
   * sub-buffer. Closes it, opens the next one if the ring allows, and says whether to write.
   */
  makeRoom(needBytes: number, ts: number): boolean {
    if (needBytes > this.subbufSize - PACKET.headerSizeBytes) {
      this.tooLarge++;
      this.countDiscarded();
      return false;
    }
    if (this.holding) this.closePacket();
    if (!this.openPacket(ts)) {
      this.countDiscarded();
      return false;
    }
    return true;
  }

  /** Counts an event lost for a reason found by the encoder (too large once its size is exact). */
  dropTooLarge(): void {
    this.tooLarge++;
    this.countDiscarded();
  }

  private countDiscarded(): void {
    const total = ++this.discardedTotal;
    // Plain stores, no fence: a full ring drops every event through here, and the count is read
    // only after this thread stopped recording (process exit, close).
    const ctrl = this.ctrl;
    ctrl[CTRL.discardedLow] = total % TWO_POW_32;
    if (total >= TWO_POW_32) ctrl[CTRL.discardedHigh] = Math.floor(total / TWO_POW_32);
  }

  private openPacket(ts: number): boolean {
    const next = (this.current + 1) % this.subbufCount;
    if (!this.claim(CTRL.firstState + next)) return false;
    this.current = next;
    this.holding = true;
    const start = next * this.subbufSize;
    this.packetStart = start;
    const view = this.view;
    view.setUint32(start + PACKET.magicOffsetBytes, PACKET_MAGIC, true);
    this.bytes.set(this.uuid, start + PACKET.uuidOffsetBytes);
    view.setUint32(start + PACKET.streamIdOffsetBytes, 0, true);
    writeU64(view, start + PACKET.streamInstanceIdOffsetBytes, this.streamInstanceId);
    writeU64(view, start + PACKET.timestampBeginOffsetBytes, ts);
    writeU64(view, start + PACKET.seqNumOffsetBytes, this.nextSeq++);
    view.setUint32(start + PACKET.cpuIdOffsetBytes, 0, true);
    // The losses before this packet, should its producer die before closing it.
    writeU64(view, start + PACKET.eventsDiscardedOffsetBytes, this.discardedTotal);
    if (this.poisonOnOpen) this.poison(start + PACKET.headerSizeBytes, start + this.subbufSize);
    this.lastTs = ts;
    this.pos = start + PACKET.headerSizeBytes;
    this.end = start + this.subbufSize;
    return true;
  }

  /**
   * Fills [fromBytes, toBytes) with 0xFF. Uint8Array.fill on shared memory stores one byte at a
   * time (~0.6 ns a byte: ~7 ns per 12-byte event); eight at a time costs a tenth of that.
   */
  private poison(fromBytes: number, toBytes: number): void {
    const bytes = this.bytes;
    const firstWord = Math.min(Math.ceil(fromBytes / 8), Math.floor(toBytes / 8));
    const lastWord = Math.floor(toBytes / 8);
    bytes.fill(0xff, fromBytes, firstWord * 8);
    if (lastWord > firstWord) (this.words ??= new BigInt64Array(this.data, 0, this.data.byteLength >>> 3)).fill(-1n, firstWord, lastWord);
    bytes.fill(0xff, Math.max(lastWord * 8, fromBytes), toBytes);
  }

  private claim(stateCell: number): boolean {
    const ctrl = this.ctrl;
    if (Atomics.compareExchange(ctrl, stateCell, SUBBUF.free, SUBBUF.writing) === SUBBUF.free) return true;
    if (this.mode === 'overwrite' &&
      Atomics.compareExchange(ctrl, stateCell, SUBBUF.committed, SUBBUF.writing) === SUBBUF.committed) {
      this.overwrittenPackets++;
      return true;
    }
    return false;
  }

  /** Patches the packet context and publishes the sub-buffer. */
  closePacket(): void {
    if (!this.holding) return;
    this.holding = false;
    const start = this.packetStart;
    const view = this.view;
    const contentBits = (this.pos - start) * 8;
    writeU64(view, start + PACKET.timestampEndOffsetBytes, this.lastTs);
    writeU64(view, start + PACKET.contentSizeOffsetBytes, contentBits);
    writeU64(view, start + PACKET.packetSizeOffsetBytes, contentBits);
    writeU64(view, start + PACKET.eventsDiscardedOffsetBytes, this.discardedTotal);
    this.discardedReported = this.discardedTotal;
    Atomics.store(this.ctrl, CTRL.firstState + this.current, SUBBUF.committed);
    this.packets++;
    // The next event opens the following sub-buffer through makeRoom().
    this.pos = 0;
    this.end = 0;
    this.onCommit?.();
  }

  /**
   * Closes the partly filled sub-buffer (session.stop(), exit), so that readers get its events;
   * the next event opens a new packet. Losses not yet carried by a packet get an empty packet of
   * their own when the ring has room, so that readers report them.
   */
  flush(ts: number = this.lastTs): void {
    if (this.holding) {
      this.closePacket();
      return;
    }
    if (this.discardedTotal !== this.discardedReported && this.openPacket(Math.max(ts, this.lastTs))) this.closePacket();
  }

  /** Losses that no packet carries yet (the last flush found the ring full). */
  get hasUnreportedLosses(): boolean {
    return this.discardedTotal !== this.discardedReported;
  }

  stats(): ChannelStats {
    return {
      written: this.written,
      discarded: this.discardedTotal,
      tooLarge: this.tooLarge,
      overwrittenPackets: this.overwrittenPackets,
      packets: this.packets,
    };
  }

  /** Start offset and content length of the packet being written, or null. */
  currentPacket(): { startBytes: number; contentBytes: number } | null {
    if (!this.holding) return null;
    return { startBytes: this.packetStart, contentBytes: this.pos - this.packetStart };
  }
}
