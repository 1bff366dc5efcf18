/**
 * Perfetto's own compression: `TracePacket.compressed_packets` (field 50) holds a zlib stream
 * whose inflated bytes are again a `Trace` (each packet as field 1 with its length). Perfetto's
 * tracing service writes it this way (src/tracing/service/zlib_compressor.cc: deflateInit, one
 * stream per compressed packet) and trace processor, hence the Perfetto UI, inflates it while
 * tokenizing, then reads the inner packets as if they were top-level.
 */
import { deflateSync } from 'node:zlib';
import { PACKET_COMPRESSED_PACKETS, TRACE_PACKET } from './fields.js';

const WIRE_LEN = 2;
/** Perfetto itself uses 6; 3 was measured on the benchmark export: 1 % larger, a quarter of the time. */
const COMPRESSION_LEVEL = 3;

function varintBytes(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/**
 * Whole top-level packets (the bytes of a `Trace`) → one top-level packet that carries them
 * deflated: `Trace.packet { compressed_packets: zlib(packets) }`.
 */
export function compressPackets(traceBytes: Uint8Array): Uint8Array {
  const deflated = deflateSync(traceBytes, { level: COMPRESSION_LEVEL });
  const field = [...varintBytes((PACKET_COMPRESSED_PACKETS << 3) | WIRE_LEN), ...varintBytes(deflated.length)];
  const packetBytes = field.length + deflated.length;
  const head = [...varintBytes((TRACE_PACKET << 3) | WIRE_LEN), ...varintBytes(packetBytes)];
  const out = new Uint8Array(head.length + packetBytes);
  out.set(head, 0);
  out.set(field, head.length);
  out.set(deflated, head.length + field.length);
  return out;
}
