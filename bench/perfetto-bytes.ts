/**
 * Where the bytes of a Perfetto export go, per event: the export's TrackEvent packets walked
 * on the wire (tags, lengths, values) and summed by part. The byte accounting of
 * BENCHMARKS.md's "Export and view" section.
 */
import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';

interface WireField { field: number; head: number; valueStart: number; end: number }

function varint(b: Uint8Array, at: number): [number, number] {
  let v = 0;
  let scale = 1;
  let p = at;
  for (;;) {
    const x = b[p++];
    v += (x & 0x7f) * scale;
    scale *= 128;
    if (x < 128) return [v, p - at];
  }
}

function wireFields(b: Uint8Array, start: number, end: number): WireField[] {
  const out: WireField[] = [];
  let p = start;
  while (p < end) {
    const [tag, tagBytes] = varint(b, p);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    let valueStart = p + tagBytes;
    let valueEnd: number;
    if (wire === 0) valueEnd = valueStart + varint(b, valueStart)[1];
    else if (wire === 1) valueEnd = valueStart + 8;
    else if (wire === 5) valueEnd = valueStart + 4;
    else if (wire === 2) {
      const [length, lengthBytes] = varint(b, valueStart);
      valueStart += lengthBytes;
      valueEnd = valueStart + length;
    } else throw new Error(`wire type ${wire}`);
    out.push({ field, head: valueStart - p, valueStart, end: valueEnd });
    p = valueEnd;
  }
  return out;
}

const PACKET_PARTS: Record<number, string> = { 8: 'timestamp (delta on the incremental clock)', 10: 'trusted_packet_sequence_id', 13: 'sequence_flags' };
const EVENT_PARTS: Record<number, string> = { 9: 'TrackEvent.type', 10: 'TrackEvent.name_iid', 11: 'TrackEvent.track_uuid' };

/**
 * Bytes per event of each part of the event packets, and of everything else, for a .pftrace
 * file; packets deflated in compressed_packets are walked inflated (`plainBytesPerEvent`), the
 * file's own size gives `bytesPerEvent`.
 */
export function perfettoByteAccounting(file: string): { events: number; bytesPerEvent: number; plainBytesPerEvent: number; parts: [string, number][] } {
  const fileBytes = readFileSync(file);
  const chunks: Uint8Array[] = [];
  for (const packet of wireFields(fileBytes, 0, fileBytes.length)) {
    const compressed = wireFields(fileBytes, packet.valueStart, packet.end).find((f) => f.field === 50);
    chunks.push(compressed === undefined ? fileBytes.subarray(packet.valueStart - packet.head, packet.end) : inflateSync(fileBytes.subarray(compressed.valueStart, compressed.end)));
  }
  const b = Buffer.concat(chunks);
  const sums = new Map<string, number>();
  const add = (k: string, n: number): void => { sums.set(k, (sums.get(k) ?? 0) + n); };
  let events = 0;
  for (const packet of wireFields(b, 0, b.length)) {
    const inner = wireFields(b, packet.valueStart, packet.end);
    const te = inner.find((f) => f.field === 11);
    if (te === undefined || inner.some((f) => f.field === 12 || f.field === 60 || f.field === 6)) {
      add('other packets (descriptors, interning, clocks, schema), spread over all events', packet.end - packet.valueStart + packet.head);
      continue;
    }
    events++;
    add('TracePacket tag + length', packet.head);
    for (const f of inner) {
      if (f.field !== 11) { add(PACKET_PARTS[f.field] ?? `TracePacket field ${f.field}`, f.end - f.valueStart + f.head); continue; }
      add('TrackEvent tag + length', f.head);
      for (const g of wireFields(b, f.valueStart, f.end)) {
        if (g.field >= 1000) {
          add('typed fields: extension tag + length', g.head);
          for (const h of wireFields(b, g.valueStart, g.end)) {
            add('typed fields: one tag per field', tagBytes(h));
            add('typed fields: values (string: length + text)', h.end - h.valueStart + h.head - tagBytes(h));
          }
        } else if (g.field === 4) add('debug annotations (all of it)', g.end - g.valueStart + g.head);
        else add(EVENT_PARTS[g.field] ?? `TrackEvent field ${g.field}`, g.end - g.valueStart + g.head);
      }
    }
  }
  return { events, bytesPerEvent: fileBytes.length / events, plainBytesPerEvent: b.length / events, parts: [...sums].map(([k, v]) => [k, v / events]) };
}

function tagBytes(f: WireField): number {
  return f.field < 16 ? 1 : f.field < 2048 ? 2 : 3;
}
