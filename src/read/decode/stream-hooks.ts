/** What a stream's decoding reports besides events: losses, packets, metadata warnings. */
import type { TraceWarning } from '../metadata/metadata.js';

/** Lost events (events_discarded grew) or lost packets (a packet_seq_num gap) before a packet. */
export interface DiscardedInfo {
  readonly stream: string;
  readonly kind: 'events' | 'packets';
  /** For `uncounted` losses, the first packet's events_discarded counter. */
  readonly count: bigint;
  /**
   * The stream's first packet already counts lost events: babeltrace2 reports that the tracer
   * "may have discarded" events there, without a count (an earlier packet may be gone, e.g. a
   * rotated-away tracefile), over that packet's time range.
   */
  readonly uncounted?: true;
  /** ns since the epoch: end of the previous packet (or start of this one for the first packet). */
  readonly beginNs?: bigint;
  /**
   * ns since the epoch, as babeltrace2's messages: for lost events, the end of the packet that
   * reports them; for lost packets, the beginning of the packet after the gap.
   */
  readonly endNs?: bigint;
}

export interface PacketInfo {
  readonly stream: string;
  readonly offsetBytes: number;
  readonly packetBytes: number;
  readonly contentBits: number;
  readonly streamClassId: number;
  readonly streamInstanceId?: bigint;
  readonly seq?: bigint;
  readonly beginNs?: bigint;
  readonly endNs?: bigint;
  readonly eventsDiscardedTotal?: bigint;
}

export interface StreamHooks {
  onDiscarded?(info: DiscardedInfo): void;
  /** A metadata problem babeltrace2 only warns about (unknown attribute, character literal). */
  onWarning?(warning: TraceWarning): void;
  onPacket?(info: PacketInfo): void;
}
