/**
 * Moves committed sub-buffers from a channel's ring to its stream file, oldest packet first.
 * Runs in the session's drainer thread, and on the main thread at exit. A lock word in the
 * shared control array keeps the two from writing the same file at once.
 */
import { fstatSync, ftruncateSync, writeSync } from 'node:fs';
import { CTRL, PACKET, SUBBUF, readU64 } from '../ring/layout.js';
import type { PacketSink } from './packet-sink.js';

export interface RingView {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly ctrl: Int32Array;
  readonly subbufSize: number;
  readonly subbufCount: number;
  /** Stream file, or -1 when the packets go to the sink only. */
  readonly fd: number;
  /**
   * Also gets every packet (the relay sender). Without a file, a packet it refuses stays in the
   * ring until it takes it: the ring fills and the tracer counts the events it drops.
   */
  readonly sink: PacketSink | null;
}

export function ringView(data: SharedArrayBuffer, ctrl: Int32Array, subbufSize: number, subbufCount: number, fd: number, sink: PacketSink | null = null): RingView {
  return { bytes: new Uint8Array(data), view: new DataView(data), ctrl, subbufSize, subbufCount, fd, sink };
}

function seqOf(ring: RingView, index: number): number {
  return readU64(ring.view, index * ring.subbufSize + PACKET.seqNumOffsetBytes);
}

/** The committed sub-buffer with the lowest packet_seq_num, or -1; `below`: only seqs under it. */
function oldestCommitted(ring: RingView, below = Infinity, except = -1): number {
  let best = -1;
  let bestSeq = below;
  for (let i = 0; i < ring.subbufCount; i++) {
    if (i === except || Atomics.load(ring.ctrl, CTRL.firstState + i) !== SUBBUF.committed) continue;
    const seq = seqOf(ring, i);
    if (seq < bestSeq) {
      bestSeq = seq;
      best = i;
    }
  }
  return best;
}

/**
 * Writes `lengthBytes` at the end of the file, all or nothing: after a short write or an error
 * (a full disk), the file is cut back to where it was, so that it always ends on a whole packet.
 */
export function writeWhole(fd: number, bytes: Uint8Array, offsetBytes: number, lengthBytes: number): void {
  let written = 0;
  try {
    while (written < lengthBytes) {
      written += writeSync(fd, bytes, offsetBytes + written, lengthBytes - written);
    }
  } catch (error) {
    if (written > 0) {
      try {
        ftruncateSync(fd, fstatSync(fd).size - written);
      } catch { /* the file is gone or read-only: nothing more to save */ }
    }
    throw error;
  }
}

/**
 * Takes the oldest committed packet for writing (state `draining`), or returns -1. The producer
 * commits packets in sequence order, but the scan can see a packet committed after it looked at
 * an older one still being written: once a candidate is held, a second scan makes sure that no
 * older packet has been committed since (an older one can no longer be `writing` then).
 */
function takeOldest(ring: RingView): number {
  for (;;) {
    const index = oldestCommitted(ring);
    if (index < 0) return -1;
    const cell = CTRL.firstState + index;
    if (Atomics.compareExchange(ring.ctrl, cell, SUBBUF.committed, SUBBUF.draining) !== SUBBUF.committed) continue;
    // Read again under `draining`: in overwrite mode the producer may have reused it meanwhile.
    const seq = seqOf(ring, index);
    if (oldestCommitted(ring, seq, index) < 0) return index;
    Atomics.store(ring.ctrl, cell, SUBBUF.committed);
  }
}

/**
 * Writes every committed packet (holding the lock); returns how many. Throws on a write error.
 * `beforePacket` runs before each packet is written (the metadata catches up with the registry).
 */
export function drainLocked(ring: RingView, beforePacket?: () => void): number {
  let count = 0;
  for (;;) {
    const index = takeOldest(ring);
    if (index < 0) return count;
    // Writes to a removed file succeed and go nowhere: say so instead (one fstat per batch).
    if (count === 0 && ring.fd >= 0 && fstatSync(ring.fd).nlink === 0) {
      Atomics.store(ring.ctrl, CTRL.firstState + index, SUBBUF.committed);
      throw new Error('the stream file was removed (trace directory deleted?)');
    }
    const start = index * ring.subbufSize;
    const packetBytes = readU64(ring.view, start + PACKET.packetSizeOffsetBytes) / 8;
    let kept = false;
    try {
      beforePacket?.();
      if (ring.fd >= 0) writeWhole(ring.fd, ring.bytes, start, packetBytes);
      if (ring.sink !== null && !ring.sink.offer(ring.bytes, start, packetBytes) && ring.fd < 0) kept = true;
    } finally {
      Atomics.store(ring.ctrl, CTRL.firstState + index, kept ? SUBBUF.committed : SUBBUF.free);
    }
    if (kept) return count;
    count++;
  }
}

/** Drains if the lock is free right now; never waits (the drainer thread's loop). */
export function tryDrain(ring: RingView, beforePacket?: () => void): number {
  if (Atomics.compareExchange(ring.ctrl, CTRL.lock, 0, 1) !== 0) return 0;
  try {
    return drainLocked(ring, beforePacket);
  } finally {
    Atomics.store(ring.ctrl, CTRL.lock, 0);
    Atomics.notify(ring.ctrl, CTRL.lock);
  }
}

/**
 * Takes the lock for good, waiting up to `timeoutMs` for the drainer thread to finish the packet
 * it is writing, then drains everything (process exit, close). Returns false on timeout.
 */
export function drainFinal(ring: RingView, timeoutMs: number, beforePacket?: () => void): boolean {
  const deadline = Date.now() + timeoutMs;
  while (Atomics.compareExchange(ring.ctrl, CTRL.lock, 0, 1) !== 0) {
    if (Date.now() > deadline) return false;
    Atomics.wait(ring.ctrl, CTRL.lock, 1, 20);
  }
  drainLocked(ring, beforePacket);
  return true;
}
