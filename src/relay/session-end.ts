/**
 * The end of a producer's session on the relay, as LTTng's session daemon does it at
 * `lttng destroy`: every stream rotates to no trace chunk after its last packet, then each stream
 * is closed with its last sequence number, then the connection ends. A stream that ends before
 * the session (a worker thread's) rotates out and closes the same way, alone.
 */
import type { RelayConnection } from './connection.js';
import { closeStreamMessage, NO_NET_SEQ, rotateStreamsToNoChunkMessage, type RotationPosition } from './protocol.js';

/** A relay stream of one connection, as the producer tracks it. */
export interface StreamState {
  handle: bigint;
  nextNetSeq: bigint;
  /** packet_seq_num of the last packet sent on this connection; -1n: none. */
  lastPacketSeq: bigint;
}

/** CLOSE_STREAM's last sequence number: -1 (all ones) when no packet was sent, as the consumer does. */
export function lastNetSeq(stream: StreamState): bigint {
  return stream.nextNetSeq === 0n ? NO_NET_SEQ : stream.nextNetSeq - 1n;
}

function rotationOf(stream: StreamState): RotationPosition {
  return { streamHandle: stream.handle, rotateAtSeqNum: stream.lastPacketSeq + 1n };
}

/**
 * Rotates one stream out of the trace chunk after its last packet, then closes it: a live
 * viewer still behind on it reads it to its end (see endRelayStreams), where a bare close
 * made it skip the packets it had not read yet (a worker thread's last ones).
 */
export async function endRelayStream(connection: RelayConnection, stream: StreamState): Promise<void> {
  if (stream.lastPacketSeq >= 0n) {
    await connection.command(rotateStreamsToNoChunkMessage([rotationOf(stream)]), 'to end a stream\'s trace chunk').catch(() => {});
  }
  await connection.command(closeStreamMessage(stream.handle, lastNetSeq(stream)), 'to close a stream');
}

/**
 * Rotates `streams` and the metadata stream out of their trace chunk, closes them, and ends the
 * connection. The rotation is why a live viewer still behind reads to the end: lttng-relayd keeps
 * a viewer one rotation behind a stream that left its chunk on that chunk; without it, the
 * stream's close moves the viewer off at once and it loses the packets it had not read yet. A
 * stream that sent nothing has no position the relay could reach: it is only closed.
 */
export async function endRelayStreams(connection: RelayConnection, streams: readonly StreamState[], metadataHandle: bigint): Promise<void> {
  const positions: RotationPosition[] = streams.filter((stream) => stream.lastPacketSeq >= 0n).map(rotationOf);
  positions.push({ streamHandle: metadataHandle, rotateAtSeqNum: 0n });
  await connection.command(rotateStreamsToNoChunkMessage(positions), 'to end the trace chunk').catch(() => {});
  const closes = streams.map((stream) => connection.command(closeStreamMessage(stream.handle, lastNetSeq(stream)), 'to close a stream'));
  // The metadata stream has no data-connection packets: "none" (all ones), as LTTng's consumer
  // sends; 0 would leave it waiting forever for packet 0, and a live viewer with it.
  closes.push(connection.command(closeStreamMessage(metadataHandle, NO_NET_SEQ), 'to close the metadata stream'));
  await Promise.allSettled(closes);
  await connection.end();
}
