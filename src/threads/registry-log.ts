/**
 * The process's marker registry as seen by every thread: an append-only log of registrations
 * (name, format) in a SharedArrayBuffer. The entry index is the registration id, so that a
 * marker declared in a worker gets an id no other thread uses, and a marker declared in two
 * threads gets one id. Appends (declarations, never the hot path) hold a lock word; readers
 * (a thread catching up, the drainer writing metadata) need no lock: an entry is complete
 * before `count` covers it.
 */
const HEADER_CELLS = 16;
/** `count` (cell 1) is also read directly by src/registry (one atomic load per look). */
const CELL = Object.freeze({ lock: 0, count: 1, usedBytes: 2, metadataLock: 3 });
/** Virtual size: the pages are touched only as entries fill them (~50 bytes per marker). */
export const REGISTRY_LOG_BYTES = 64 << 20;
const DATA_START_BYTES = HEADER_CELLS * 4;

export interface LogEntry { name: string; format: string }

export interface RegistryLog {
  readonly buffer: SharedArrayBuffer;
  readonly cells: Int32Array;
  readonly bytes: Uint8Array;
  readonly view: DataView;
}

export function createRegistryLog(): RegistryLog {
  return registryLogOf(new SharedArrayBuffer(REGISTRY_LOG_BYTES));
}

export function registryLogOf(buffer: SharedArrayBuffer): RegistryLog {
  return { buffer, cells: new Int32Array(buffer, 0, HEADER_CELLS), bytes: new Uint8Array(buffer), view: new DataView(buffer) };
}

export function logCount(log: RegistryLog): number {
  return Atomics.load(log.cells, CELL.count);
}

function acquire(cells: Int32Array, cell: number): void {
  while (Atomics.compareExchange(cells, cell, 0, 1) !== 0) Atomics.wait(cells, cell, 1, 5);
}

function release(cells: Int32Array, cell: number): void {
  Atomics.store(cells, cell, 0);
  Atomics.notify(cells, cell);
}

/** Runs `work` holding the append lock (declarations from several threads at once). */
export function withLogLock<T>(log: RegistryLog, work: () => T): T {
  acquire(log.cells, CELL.lock);
  try {
    return work();
  } finally {
    release(log.cells, CELL.lock);
  }
}

/** Runs `work` holding the metadata lock: one writer of a trace's metadata file at a time. */
export function withMetadataLock<T>(log: RegistryLog, work: () => T): T {
  acquire(log.cells, CELL.metadataLock);
  try {
    return work();
  } finally {
    release(log.cells, CELL.metadataLock);
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Appends one entry (the caller holds the lock); returns its id, or -1 when the log is full. */
export function appendEntry(log: RegistryLog, entry: LogEntry): number {
  const body = encoder.encode(JSON.stringify([entry.name, entry.format]));
  const used = Atomics.load(log.cells, CELL.usedBytes);
  const at = DATA_START_BYTES + used;
  const sizeBytes = 4 + ((body.length + 3) & ~3);
  if (at + sizeBytes > log.bytes.length) return -1;
  log.view.setUint32(at, body.length, true);
  log.bytes.set(body, at + 4);
  Atomics.store(log.cells, CELL.usedBytes, used + sizeBytes);
  // Published last: a reader that sees the count sees the whole entry.
  return Atomics.add(log.cells, CELL.count, 1);
}

/** Reads entries from id `from` on; `cursor` keeps the byte position between calls. */
export function readEntries(log: RegistryLog, cursor: { id: number; offsetBytes: number }): LogEntry[] {
  const count = logCount(log);
  const out: LogEntry[] = [];
  while (cursor.id < count) {
    const at = DATA_START_BYTES + cursor.offsetBytes;
    const length = log.view.getUint32(at, true);
    const [name, format] = JSON.parse(decoder.decode(log.bytes.slice(at + 4, at + 4 + length))) as [string, string];
    out.push({ name, format });
    cursor.offsetBytes += 4 + ((length + 3) & ~3);
    cursor.id++;
  }
  return out;
}
