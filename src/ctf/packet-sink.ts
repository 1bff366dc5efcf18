/**
 * Packet sinks: where the drainer hands each committed packet besides (or instead of) its stream
 * file. The port sink copies the packet to another thread (the relay sender) through a MessagePort,
 * within a byte budget shared with that thread, which gives bytes back once it is done with them.
 */
import type { MessagePort } from 'node:worker_threads';

export interface PacketSink {
  /** Takes a copy of the packet, or returns false when it cannot now (budget spent). */
  offer(bytes: Uint8Array, offsetBytes: number, lengthBytes: number): boolean;
}

/** Cells of a port sink's budget (Int32Array over a SharedArrayBuffer). */
export const SINK_BUDGET = Object.freeze({ pendingBytes: 0, refusedPackets: 1, cells: 2 });

/** What a thread needs to build port sinks: cloned into the drainer's workerData. */
export interface PortSinkSpec {
  port: MessagePort;
  budget: Int32Array;
  capacityBytes: number;
}

/** The channel index of a metadata packet posted through a sink (outside the byte budget). */
export const METADATA_SINK_INDEX = -1;

/**
 * Posts a metadata packet (a copy) through a sink's port, ahead of the packets that need it.
 * Copied by the structured clone, never transferred: this runs in the application's thread too,
 * and one detached ArrayBuffer in a thread turns off V8's "no buffer was ever detached"
 * assumption for good, which adds a detach check to every typed-array store of every optimised
 * event encoder of that thread (docs/design/zero-cost-markers.md).
 */
export function postMetadata(spec: PortSinkSpec, packet: Uint8Array): void {
  const message: SinkPacketMessage = { c: METADATA_SINK_INDEX, b: packet.slice().buffer };
  spec.port.postMessage(message);
}

/** The message a port sink posts: channel index and the packet's bytes (transferred from the drainer). */
export interface SinkPacketMessage {
  c: number;
  b: ArrayBuffer;
}

export class PortPacketSink implements PacketSink {
  private readonly spec: PortSinkSpec;
  private readonly channelIndex: number;
  /** Whether copies may be transferred: only in tracemark's own threads (see postMetadata). */
  private readonly transfer: boolean;

  constructor(spec: PortSinkSpec, channelIndex: number, where: 'own thread' | 'application thread') {
    this.spec = spec;
    this.channelIndex = channelIndex;
    this.transfer = where === 'own thread';
  }

  offer(bytes: Uint8Array, offsetBytes: number, lengthBytes: number): boolean {
    const { budget, capacityBytes, port } = this.spec;
    const pending = Atomics.load(budget, SINK_BUDGET.pendingBytes);
    // One packet always fits an empty budget, whatever its size.
    if (pending > 0 && pending + lengthBytes > capacityBytes) {
      Atomics.add(budget, SINK_BUDGET.refusedPackets, 1);
      return false;
    }
    const copy = new Uint8Array(lengthBytes);
    copy.set(bytes.subarray(offsetBytes, offsetBytes + lengthBytes));
    Atomics.add(budget, SINK_BUDGET.pendingBytes, lengthBytes);
    const message: SinkPacketMessage = { c: this.channelIndex, b: copy.buffer };
    if (this.transfer) port.postMessage(message, [copy.buffer]);
    else port.postMessage(message);
    return true;
  }
}
