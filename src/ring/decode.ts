/**
 * Decodes the events held in a channel's ring (for `session.events()` and in-process dumps).
 * Trace files are read by src/read; this only needs tracemark's own fixed layout.
 */
import type { FieldInfo } from '../format/parse.js';
import type { Channel } from './channel.js';
import { CTRL, HEADER, PACKET, PACKET_MAGIC, SUBBUF, TWO_POW_32, readU64, writeU64 } from './layout.js';

export interface RawEvent {
  id: number;
  /** Clock value (ns since performance.timeOrigin). */
  ts: bigint;
  values: unknown[];
}

const decoder = new TextDecoder('utf-8');

export interface PacketRef {
  startBytes: number;
  contentBytes: number;
  seq: number;
}

/** The packets a channel holds, oldest first: committed ones and the one being written. */
export function heldPackets(channel: Channel): PacketRef[] {
  const packets: PacketRef[] = [];
  const current = channel.currentPacket();
  for (let i = 0; i < channel.subbufCount; i++) {
    const startBytes = i * channel.subbufSize;
    let contentBytes: number;
    const state = Atomics.load(channel.ctrl, CTRL.firstState + i);
    if (current !== null && current.startBytes === startBytes) contentBytes = current.contentBytes;
    else if (state === SUBBUF.committed) contentBytes = readU64(channel.view, startBytes + PACKET.contentSizeOffsetBytes) / 8;
    else continue;
    packets.push({ startBytes, contentBytes, seq: readU64(channel.view, startBytes + PACKET.seqNumOffsetBytes) });
  }
  return packets.sort((a, b) => a.seq - b.seq);
}

export function decodePacket(
  channel: Channel,
  packet: PacketRef,
  fieldsOf: (id: number) => readonly FieldInfo[] | undefined,
): RawEvent[] {
  const view = channel.view;
  const bytes = channel.bytes;
  const end = packet.startBytes + packet.contentBytes;
  let pos = packet.startBytes + PACKET.headerSizeBytes;
  let clock = BigInt(readU64(view, packet.startBytes + PACKET.timestampBeginOffsetBytes));
  const events: RawEvent[] = [];
  const mask = BigInt(HEADER.compactTimestampRange - 1);
  while (pos < end) {
    const word = view.getUint32(pos, true);
    let id = word & 0x1f;
    if (id === HEADER.extendedEscapeId) {
      id = view.getUint32(pos + 1, true);
      clock = BigInt(view.getUint32(pos + 5, true)) + BigInt(view.getUint32(pos + 9, true)) * BigInt(TWO_POW_32);
      pos += HEADER.extendedSizeBytes;
    } else {
      const low = BigInt(word >>> 5);
      if (low < (clock & mask)) clock += BigInt(HEADER.compactTimestampRange);
      clock = (clock & ~mask) | low;
      pos += HEADER.compactSizeBytes;
    }
    const fields = fieldsOf(id);
    if (fields === undefined) break;
    const values: unknown[] = [];
    for (const field of fields) {
      switch (field.type) {
        case 'i8': values.push(view.getInt8(pos)); pos += 1; break;
        case 'u8': values.push(view.getUint8(pos)); pos += 1; break;
        case 'i16': values.push(view.getInt16(pos, true)); pos += 2; break;
        case 'u16': values.push(view.getUint16(pos, true)); pos += 2; break;
        case 'i32': values.push(view.getInt32(pos, true)); pos += 4; break;
        case 'u32': values.push(view.getUint32(pos, true)); pos += 4; break;
        case 'i64': values.push(view.getBigInt64(pos, true)); pos += 8; break;
        case 'u64': values.push(view.getBigUint64(pos, true)); pos += 8; break;
        case 'f64': values.push(view.getFloat64(pos, true)); pos += 8; break;
        case 'string':
        case 'char': {
          let stop = pos;
          while (stop < end && bytes[stop] !== 0) stop++;
          values.push(decoder.decode(bytes.slice(pos, stop)));
          pos = stop + 1;
          break;
        }
        case 'blob': {
          const length = view.getUint32(pos, true);
          values.push(bytes.slice(pos + 4, pos + 4 + length));
          pos += 4 + length;
          break;
        }
      }
    }
    events.push({ id, ts: clock, values });
  }
  return events;
}

type RingBytes = { readonly view: DataView; readonly bytes: Uint8Array; readonly ctrl: Int32Array; readonly subbufSize: number; readonly subbufCount: number };

/** Makes the packet at `startBytes` an empty one (header only) at `timestampNs`, reporting `discarded`. */
function writeEmptyPacket(view: DataView, startBytes: number, timestampNs: number, discarded: number): void {
  writeU64(view, startBytes + PACKET.timestampBeginOffsetBytes, timestampNs);
  writeU64(view, startBytes + PACKET.timestampEndOffsetBytes, timestampNs);
  writeU64(view, startBytes + PACKET.contentSizeOffsetBytes, PACKET.headerSizeBytes * 8);
  writeU64(view, startBytes + PACKET.packetSizeOffsetBytes, PACKET.headerSizeBytes * 8);
  writeU64(view, startBytes + PACKET.eventsDiscardedOffsetBytes, discarded);
}

/**
 * Claims sub-buffer `index` if it is free (state `writing`, left for the caller to commit, after
 * any older packet) and makes it the empty packet that follows the one at `afterIndex` (its
 * header, the next sequence number), reporting `discarded`. Readers count a packet's losses
 * against the packet before it, so this is how losses that no packet carries get reported.
 * Returns false when that sub-buffer is not free.
 */
function claimEmptyPacketAfter(ring: RingBytes, afterIndex: number, index: number, timestampNs: number, discarded: number): boolean {
  const cell = CTRL.firstState + index;
  if (Atomics.compareExchange(ring.ctrl, cell, SUBBUF.free, SUBBUF.writing) !== SUBBUF.free) return false;
  const afterStart = afterIndex * ring.subbufSize;
  const startBytes = index * ring.subbufSize;
  const seq = readU64(ring.view, afterStart + PACKET.seqNumOffsetBytes);
  if (index !== afterIndex) ring.bytes.copyWithin(startBytes, afterStart, afterStart + PACKET.headerSizeBytes);
  writeU64(ring.view, startBytes + PACKET.seqNumOffsetBytes, seq + 1);
  writeEmptyPacket(ring.view, startBytes, timestampNs, discarded);
  return true;
}

/**
 * The sub-buffer a dead producer left open (state `writing`), if any: its events are counted,
 * and it becomes an empty packet that reports them as discarded, so the trace says what was lost.
 * Only for rings with `poisonOnOpen` (a worker's), whose producer thread has ended.
 */
export function sealAbandonedPacket(ring: RingBytes, fieldsOf: (id: number) => readonly FieldInfo[] | undefined): number {
  let sealed = 0;
  for (let i = 0; i < ring.subbufCount; i++) {
    const cell = CTRL.firstState + i;
    if (Atomics.load(ring.ctrl, cell) !== SUBBUF.writing) continue;
    const startBytes = i * ring.subbufSize;
    let lost = 0;
    try {
      lost = decodePacket(ring as unknown as Channel, { startBytes, contentBytes: ring.subbufSize, seq: 0 }, fieldsOf).length;
    } catch {
      lost = 1; // an event cut by the thread's end
    }
    const view = ring.view;
    const begin = readU64(view, startBytes + PACKET.timestampBeginOffsetBytes);
    const discardedBefore = readU64(view, startBytes + PACKET.eventsDiscardedOffsetBytes);
    // The open one becomes an empty packet with the count as of its opening, and a packet after
    // it (a free sub-buffer, when the ring has one) carries the events lost with it.
    const next = (i + 1) % ring.subbufCount;
    const carried = lost > 0 && claimEmptyPacketAfter(ring, i, next, begin, discardedBefore + lost);
    writeEmptyPacket(view, startBytes, begin, carried ? discardedBefore : discardedBefore + lost);
    // In sequence order: a drainer running meanwhile takes the older one first.
    Atomics.store(ring.ctrl, cell, SUBBUF.committed);
    if (carried) Atomics.store(ring.ctrl, CTRL.firstState + next, SUBBUF.committed);
    sealed += lost;
  }
  return sealed;
}

/**
 * Losses a producer counted after its last packet (its ring was full) that no packet carries:
 * for a ring whose producer no longer records and is drained (every sub-buffer free), one empty
 * packet after the newest one reports them, so that readers count every event lost. Returns
 * whether a packet was added (committed, to be drained). `discardedTotal`: the producer's count
 * (CTRL.discardedLow/High) plus what sealAbandonedPacket counted.
 */
export function appendLossPacket(ring: RingBytes, discardedTotal: number): boolean {
  const view = ring.view;
  let newest = -1;
  let newestSeq = -1;
  for (let i = 0; i < ring.subbufCount; i++) {
    const startBytes = i * ring.subbufSize;
    if (view.getUint32(startBytes + PACKET.magicOffsetBytes, true) !== PACKET_MAGIC) continue;
    const seq = readU64(view, startBytes + PACKET.seqNumOffsetBytes);
    if (seq > newestSeq) { newest = i; newestSeq = seq; }
  }
  if (newest < 0) return false; // never a packet: nothing was recorded, nothing discarded
  const newestStart = newest * ring.subbufSize;
  if (readU64(view, newestStart + PACKET.eventsDiscardedOffsetBytes) >= discardedTotal) return false;
  const endTs = readU64(view, newestStart + PACKET.timestampEndOffsetBytes);
  for (let k = 1; k <= ring.subbufCount; k++) {
    const index = (newest + k) % ring.subbufCount;
    if (!claimEmptyPacketAfter(ring, newest, index, endTs, discardedTotal)) continue;
    Atomics.store(ring.ctrl, CTRL.firstState + index, SUBBUF.committed);
    return true;
  }
  return false;
}
