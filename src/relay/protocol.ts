/**
 * The part of LTTng's relay daemon protocol (lttng-relayd, protocol 2.11 to 2.13) that a producer
 * speaks, as LTTng's consumer daemon does: byte layouts of the control commands, their replies and
 * the data-connection header. Everything is big-endian and packed (docs/relay.md). Pure encoders
 * and decoders: the sockets live in connection.ts.
 */
import { PACKET, readU64 } from '../ring/layout.js';

/** Protocol version we announce; the relay answers with its own and both use the lower minor. */
export const RELAY_PROTOCOL = Object.freeze({ major: 2, minor: 13 });
/** Oldest minor we speak: 2.11 brought variable-length names and trace chunks. */
export const RELAY_MIN_MINOR = 11;

export const RELAYD_CMD = Object.freeze({
  addStream: 1,
  createSession: 2,
  version: 5,
  sendMetadata: 6,
  closeStream: 7,
  sendIndex: 13,
  streamsSent: 16,
  rotateStreams: 18,
  createTraceChunk: 19,
  closeTraceChunk: 20,
});

/** lttng_error_code values that matter to us. */
export const LTTNG_OK = 10;

export const CONTROL_HEADER_BYTES = 24;
export const DATA_HEADER_BYTES = 32;
const CREATE_SESSION_FIXED_BYTES = 59;
const ADD_STREAM_FIXED_BYTES = 32;
const INDEX_BYTES = 80;
const METADATA_PAYLOAD_HEADER_BYTES = 12;
const CREATE_CHUNK_FIXED_BYTES = 20;

/** Reply sizes, fixed part (create session adds a path of announced length). */
export const REPLY_BYTES = Object.freeze({ version: 8, generic: 4, addStream: 12, createSession: 16 });

function nulTerminated(text: string): Buffer {
  return Buffer.concat([Buffer.from(text, 'utf8'), Buffer.alloc(1)]);
}

function u64(buffer: Buffer, offset: number, value: number | bigint): void {
  buffer.writeBigUInt64BE(BigInt(value), offset);
}

/** One control command: the 24-byte header (circuit id 0, payload size, command, version 0) and its payload. */
export function controlMessage(cmd: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(CONTROL_HEADER_BYTES);
  u64(header, 0, 0);
  u64(header, 8, payload.length);
  header.writeUInt32BE(cmd, 16);
  header.writeUInt32BE(0, 20);
  return payload.length === 0 ? header : Buffer.concat([header, payload]);
}

export function versionMessage(major = RELAY_PROTOCOL.major, minor = RELAY_PROTOCOL.minor): Buffer {
  const payload = Buffer.alloc(8);
  payload.writeUInt32BE(major, 0);
  payload.writeUInt32BE(minor, 4);
  return controlMessage(RELAYD_CMD.version, payload);
}

export function parseVersionReply(reply: Buffer): { major: number; minor: number } {
  return { major: reply.readUInt32BE(0), minor: reply.readUInt32BE(4) };
}

export interface CreateSessionRequest {
  sessionName: string;
  hostname: string;
  /** Live timer in microseconds: non-zero makes the session visible to live viewers. */
  liveTimerUs: number;
  /** 16 bytes, never all zero (the nil UUID is reserved for producers older than 2.11). */
  producerUuid: Uint8Array;
  /** Our id for the session, unique for `producerUuid`. */
  sessionId: number;
  /** Seconds since the epoch: the relay names the output directory `<name>-<date>` after it. */
  creationTimeS: number;
}

/** RELAYD_CREATE_SESSION, 2.11 form; no base path, no current chunk (we create one right after). */
export function createSessionMessage(request: CreateSessionRequest): Buffer {
  const name = nulTerminated(request.sessionName);
  const host = nulTerminated(request.hostname);
  const fixed = Buffer.alloc(CREATE_SESSION_FIXED_BYTES);
  fixed.writeUInt32BE(name.length, 0);
  fixed.writeUInt32BE(host.length, 4);
  fixed.writeUInt32BE(0, 8); // base path length: the relay chooses <hostname>/<name>-<date>
  fixed.writeUInt32BE(request.liveTimerUs, 12);
  fixed.writeUInt8(0, 16); // snapshot
  fixed.writeUInt8(0, 17); // session name does not already contain the creation time
  Buffer.from(request.producerUuid).copy(fixed, 18, 0, 16);
  u64(fixed, 34, request.sessionId);
  u64(fixed, 42, request.creationTimeS);
  fixed.writeUInt8(0, 50); // current chunk id: not set
  u64(fixed, 51, 0);
  return controlMessage(RELAYD_CMD.createSession, Buffer.concat([fixed, name, host]));
}

export interface CreateSessionReply {
  relaySessionId: bigint;
  retCode: number;
  outputPathLength: number;
}

export function parseCreateSessionReply(reply: Buffer): CreateSessionReply {
  return { relaySessionId: reply.readBigUInt64BE(0), retCode: reply.readUInt32BE(8), outputPathLength: reply.readUInt32BE(12) };
}

/** RELAYD_CREATE_TRACE_CHUNK without an override name: the first chunk lives in the session directory. */
export function createTraceChunkMessage(chunkId: number, creationTimeS: number): Buffer {
  const payload = Buffer.alloc(CREATE_CHUNK_FIXED_BYTES);
  u64(payload, 0, chunkId);
  u64(payload, 8, creationTimeS);
  payload.writeUInt32BE(0, 16);
  return controlMessage(RELAYD_CMD.createTraceChunk, payload);
}

/** RELAYD_CLOSE_TRACE_CHUNK with no close command (the chunk stays where it is). */
export function closeTraceChunkMessage(chunkId: number, closeTimeS: number): Buffer {
  const payload = Buffer.alloc(21);
  u64(payload, 0, chunkId);
  u64(payload, 8, closeTimeS);
  payload.writeUInt8(0, 16);
  payload.writeUInt32BE(0, 17);
  return controlMessage(RELAYD_CMD.closeTraceChunk, payload);
}

/** CLOSE_STREAM's last sequence number for a stream that sent no packet (the metadata stream's always). */
export const NO_NET_SEQ = 0xffffffffffffffffn;

export interface RotationPosition {
  streamHandle: bigint;
  /** packet_seq_num of the first packet that would belong to the next chunk (ignored for metadata). */
  rotateAtSeqNum: bigint;
}

/**
 * RELAYD_ROTATE_STREAMS (2.11+) to no trace chunk, what LTTng's session daemon does at `lttng
 * destroy` ("rotated to a 'null' trace chunk before it is destroyed"): the relay then counts a
 * completed rotation per stream, and a live viewer that is behind keeps reading the chunk it was
 * in until its last index instead of hanging up at once. Layout: stream count u32, then the
 * optional new chunk id as lttng-relayd 2.11-2.13 reads it on x86-64 (is_set u8, 7 bytes of
 * alignment, value u64: the struct is not packed inside), then 16 bytes per stream.
 */
export function rotateStreamsToNoChunkMessage(positions: readonly RotationPosition[]): Buffer {
  const payload = Buffer.alloc(4 + 16 + 16 * positions.length);
  payload.writeUInt32BE(positions.length, 0);
  payload.writeUInt8(0, 4); // new_chunk_id.is_set = 0: no next chunk
  positions.forEach((position, k) => {
    payload.writeBigUInt64BE(position.streamHandle, 20 + 16 * k);
    payload.writeBigUInt64BE(position.rotateAtSeqNum, 28 + 16 * k);
  });
  return controlMessage(RELAYD_CMD.rotateStreams, payload);
}

/**
 * RELAYD_ADD_STREAM, 2.11 form. A channel named `metadata` is the metadata stream; `pathname` is
 * relative to the session's directory on the relay; the file is `<pathname>/<channelName>`.
 */
export function addStreamMessage(channelName: string, pathname: string, traceChunkId: number): Buffer {
  const channel = nulTerminated(channelName);
  const path = nulTerminated(pathname);
  const fixed = Buffer.alloc(ADD_STREAM_FIXED_BYTES);
  fixed.writeUInt32BE(channel.length, 0);
  fixed.writeUInt32BE(path.length, 4);
  u64(fixed, 8, 0); // tracefile size: no rotation of stream files
  u64(fixed, 16, 0); // tracefile count
  u64(fixed, 24, traceChunkId);
  return controlMessage(RELAYD_CMD.addStream, Buffer.concat([fixed, channel, path]));
}

export function parseAddStreamReply(reply: Buffer): { handle: bigint; retCode: number } {
  return { handle: reply.readBigUInt64BE(0), retCode: reply.readUInt32BE(8) };
}

export function parseGenericReply(reply: Buffer): number {
  return reply.readUInt32BE(0);
}

export function streamsSentMessage(): Buffer {
  return controlMessage(RELAYD_CMD.streamsSent);
}

/** RELAYD_SEND_METADATA: no reply. `metadata` is packetized TSDL (what the metadata file holds). */
export function sendMetadataMessage(streamHandle: bigint, metadata: Uint8Array): Buffer {
  const header = Buffer.alloc(METADATA_PAYLOAD_HEADER_BYTES);
  header.writeBigUInt64BE(streamHandle, 0);
  header.writeUInt32BE(0, 8); // padding
  return controlMessage(RELAYD_CMD.sendMetadata, Buffer.concat([header, metadata]));
}

export function closeStreamMessage(streamHandle: bigint, lastNetSeqNum: bigint): Buffer {
  const payload = Buffer.alloc(16);
  payload.writeBigUInt64BE(streamHandle, 0);
  payload.writeBigUInt64BE(lastNetSeqNum, 8);
  return controlMessage(RELAYD_CMD.closeStream, payload);
}

/** What the relay's index (and a live viewer) knows of one packet; sizes in bits, as in the packet context. */
export interface PacketIndex {
  packetSizeBits: number;
  contentSizeBits: number;
  timestampBegin: number;
  timestampEnd: number;
  eventsDiscarded: number;
  /** CTF stream class id. */
  streamClassId: number;
  streamInstanceId: number;
  packetSeqNum: number;
}

/** The index of one of our packets, read from its header and context (src/ring/layout.ts). */
export function packetIndexOf(bytes: Uint8Array): PacketIndex {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    packetSizeBits: readU64(view, PACKET.packetSizeOffsetBytes),
    contentSizeBits: readU64(view, PACKET.contentSizeOffsetBytes),
    timestampBegin: readU64(view, PACKET.timestampBeginOffsetBytes),
    timestampEnd: readU64(view, PACKET.timestampEndOffsetBytes),
    eventsDiscarded: readU64(view, PACKET.eventsDiscardedOffsetBytes),
    streamClassId: view.getUint32(PACKET.streamIdOffsetBytes, true),
    streamInstanceId: readU64(view, PACKET.streamInstanceIdOffsetBytes),
    packetSeqNum: readU64(view, PACKET.seqNumOffsetBytes),
  };
}

/**
 * RELAYD_SEND_INDEX for the packet sent with `netSeqNum` on the data connection. A packet size of
 * 0 makes it a live beacon: "nothing in this stream until `timestampEnd`".
 */
export function sendIndexMessage(streamHandle: bigint, netSeqNum: bigint, index: PacketIndex): Buffer {
  const payload = Buffer.alloc(INDEX_BYTES);
  payload.writeBigUInt64BE(streamHandle, 0);
  payload.writeBigUInt64BE(netSeqNum, 8);
  u64(payload, 16, index.packetSizeBits);
  u64(payload, 24, index.contentSizeBits);
  u64(payload, 32, index.timestampBegin);
  u64(payload, 40, index.timestampEnd);
  u64(payload, 48, index.eventsDiscarded);
  u64(payload, 56, index.streamClassId);
  u64(payload, 64, index.streamInstanceId);
  u64(payload, 72, index.packetSeqNum);
  return controlMessage(RELAYD_CMD.sendIndex, payload);
}

/** A live beacon for an idle stream (an index with a packet size of 0). */
export function beaconMessage(streamHandle: bigint, netSeqNum: bigint, timestampEnd: number, streamClassId: number): Buffer {
  return sendIndexMessage(streamHandle, netSeqNum, {
    packetSizeBits: 0, contentSizeBits: 0, timestampBegin: 0, timestampEnd, eventsDiscarded: 0,
    streamClassId, streamInstanceId: 0, packetSeqNum: 0,
  });
}

/** The 32-byte header that precedes each packet on the data connection. */
export function dataHeader(streamHandle: bigint, netSeqNum: bigint, dataSizeBytes: number, paddingBytes = 0): Buffer {
  const header = Buffer.alloc(DATA_HEADER_BYTES);
  header.writeBigUInt64BE(0n, 0);
  header.writeBigUInt64BE(streamHandle, 8);
  header.writeBigUInt64BE(netSeqNum, 16);
  header.writeUInt32BE(dataSizeBytes, 24);
  header.writeUInt32BE(paddingBytes, 28);
  return header;
}

/** Decodes a control header (for tests and the fake relay of the test suite). */
export function parseControlHeader(bytes: Buffer): { dataSize: number; cmd: number; cmdVersion: number } {
  return { dataSize: Number(bytes.readBigUInt64BE(8)), cmd: bytes.readUInt32BE(16), cmdVersion: bytes.readUInt32BE(20) };
}

export function parseDataHeader(bytes: Buffer): { streamHandle: bigint; netSeqNum: bigint; dataSize: number; paddingSize: number } {
  return { streamHandle: bytes.readBigUInt64BE(8), netSeqNum: bytes.readBigUInt64BE(16), dataSize: bytes.readUInt32BE(24), paddingSize: bytes.readUInt32BE(28) };
}
