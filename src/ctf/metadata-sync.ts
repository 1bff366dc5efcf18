/**
 * Appends the event classes of markers registered in any thread to a trace's metadata, from the
 * process's registry log (src/threads/registry-log.ts). Called by the session's thread when a
 * marker registers, and by the drainer thread before it writes each packet: a packet is
 * committed after its events, which come after their marker's log entry, so the drainer that
 * sees the packet sees the entry and writes the event class first, even when the thread that
 * declared the marker is a worker and the main thread is busy in a synchronous loop.
 */
import { parseFormat } from '../format/parse.js';
import { logCount, readEntries, withMetadataLock, type RegistryLog } from '../threads/registry-log.js';
import { writeWhole } from './drain.js';
import { eventBlock, metadataPacket } from './metadata.js';

/** Cells of the trace's shared metadata array: entries written so far, their end in the log. */
export const METADATA_CELLS = Object.freeze({ entriesWritten: 0, offsetBytes: 1 });
/** Same array: rings of other threads announced to the drainer so far (trace-writer.ts). */
export const FOREIGN_RINGS_CELL = 2;

export interface MetadataTarget {
  /** The trace's metadata file, or -1 (packets to `emit` only). */
  readonly fd: number;
  /** Also gets each metadata packet, before it counts as written (the relay sender). */
  readonly emit?: (packet: Uint8Array) => void;
  readonly uuidBytes: Uint8Array;
  readonly log: RegistryLog;
  /** Shared by the session's thread and its drainer (METADATA_CELLS). */
  readonly cells: Int32Array;
}

/** Writes `head` (when given) and every event class not yet in the metadata, as one packet. */
export function syncMetadata(target: MetadataTarget, head = ''): void {
  const { log, cells } = target;
  if (head === '' && Atomics.load(cells, METADATA_CELLS.entriesWritten) === logCount(log)) return;
  withMetadataLock(log, () => {
    const cursor = { id: Atomics.load(cells, METADATA_CELLS.entriesWritten), offsetBytes: Atomics.load(cells, METADATA_CELLS.offsetBytes) };
    const first = cursor.id;
    const entries = readEntries(log, cursor);
    if (head === '' && entries.length === 0) return;
    const text = head + entries.map((entry, i) => eventBlock({
      id: first + i, name: entry.name, format: entry.format, fields: parseFormat(entry.format),
    })).join('');
    const packet = metadataPacket(text, target.uuidBytes);
    // Whole or not at all (a full disk): never a partial metadata packet.
    if (target.fd >= 0) writeWhole(target.fd, packet, 0, packet.length);
    target.emit?.(packet);
    Atomics.store(cells, METADATA_CELLS.offsetBytes, cursor.offsetBytes);
    Atomics.store(cells, METADATA_CELLS.entriesWritten, cursor.id);
  });
}
