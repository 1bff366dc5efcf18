/**
 * `node:gc:collection`: garbage collections, from a perf_hooks `gc` PerformanceObserver (Node 20+).
 * The observer runs after the collection: the event's own timestamp is late, `start_ns` is when
 * the collection began, in the trace clock (ns since performance.timeOrigin).
 *
 * Heap sizes: perf_hooks gives none. v8.GCProfiler (Node 19.6+) records V8's heap statistics
 * before and after each collection, but only hands them over at stop(), with no time of its own:
 * while the source is on, the profiler's records are taken (stop, start again) and paired with
 * the entries in order, by kind and duration (the two measure the same collection from V8's
 * prologue/epilogue callbacks). A collection with no record paired (one that fell between stop
 * and start) has heap sizes 0.
 *
 * Taking the records serialises V8's heap statistics (tens of µs), and a busy server collects
 * tens of times a second: the entries wait (at most TAKE_INTERVAL_MS, or MAX_PENDING of them) and
 * one take serves them all. The events are written then; `start_ns` keeps the collection's time.
 */
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import v8 from 'node:v8';
import { marker } from '../../marker/index.js';
import { num, type NodeSource } from './source.js';

function declare() {
  return {
    collection: marker('node:gc:collection', 'kind %s flags %u start_ns %lu duration_ns %lu heap_before %lu heap_after %lu'),
  };
}
let m: ReturnType<typeof declare>;

const KINDS = new Map<number, string>([
  [constants.NODE_PERFORMANCE_GC_MINOR, 'minor'],
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'major'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weakcb'],
]);

/** GCProfiler's `gcType` names for each perf_hooks kind. */
const PROFILER_TYPES = new Map<string, readonly string[]>([
  ['minor', ['Scavenge', 'MinorMarkSweep', 'MinorMarkCompact']],
  ['major', ['MarkSweepCompact']],
  ['incremental', ['IncrementalMarking']],
  ['weakcb', ['ProcessWeakCallbacks']],
]);

export interface HeapRecord { gcType: string; costUs: number; before: number; after: number }
interface Profiler { start(): void; stop(): { statistics?: unknown[] } | undefined }

/** Records not paired yet, oldest first (a record may come one callback before its entry). */
const records: HeapRecord[] = [];
const MAX_RECORDS = 64;
/**
 * How far the two durations of one collection may differ: their callbacks run one after the
 * other around the collection (the profiler's own, which reads the heap statistics, can fall
 * inside the perf_hooks measure), and a loaded host preempts between them. Pairing is in order
 * and by kind, so a loose bound cannot pair a collection with a later one of another kind.
 */
function costSlackUs(durationUs: number): number {
  return Math.max(1000, durationUs / 2);
}

let observer: PerformanceObserver | null = null;
let profiler: Profiler | null = null;

interface PendingEntry { kind: string; flags: number; startNs: number; durationNs: number; durationUs: number }
/** Entries observed, not written yet (see the module's comment). */
const pending: PendingEntry[] = [];
const TAKE_INTERVAL_MS = 100;
const MAX_PENDING = 64;
let flushTimer: ReturnType<typeof setTimeout> | null = null;

function usedHeap(side: unknown): number {
  return num((side as { heapStatistics?: { usedHeapSize?: unknown } } | undefined)?.heapStatistics?.usedHeapSize);
}

function takeRecords(): void {
  if (profiler === null) return;
  let result: ReturnType<Profiler['stop']>;
  try {
    result = profiler.stop();
    profiler.start();
  } catch {
    profiler = null;
    return;
  }
  for (const s of result?.statistics ?? []) {
    const stat = s as { gcType?: unknown; cost?: unknown; beforeGC?: unknown; afterGC?: unknown };
    records.push({ gcType: String(stat.gcType), costUs: num(stat.cost), before: usedHeap(stat.beforeGC), after: usedHeap(stat.afterGC) });
  }
  if (records.length > MAX_RECORDS) records.splice(0, records.length - MAX_RECORDS);
}

/**
 * The record of a collection of `kind` lasting `durationUs`: the first record of its kind and
 * duration, taken out of `waiting` with the older records of the same kind (collections whose
 * entries never came). Records of other kinds stay for their own entries: a minor collection
 * whose record is missing (one that fell between stop and start) pairs with a later minor
 * record, and must not take the records of the major collections in between with it.
 */
export function pairRecord(waiting: HeapRecord[], kind: string, durationUs: number): HeapRecord | undefined {
  const types = PROFILER_TYPES.get(kind);
  if (types === undefined) return undefined;
  const index = waiting.findIndex((r) => types.includes(r.gcType) && Math.abs(r.costUs - durationUs) <= costSlackUs(durationUs));
  if (index < 0) return undefined;
  const record = waiting[index];
  for (let i = index; i >= 0; i--) if (types.includes(waiting[i].gcType)) waiting.splice(i, 1);
  return record;
}

function cancelFlushTimer(): void {
  if (flushTimer !== null) clearTimeout(flushTimer);
  flushTimer = null;
}

/** Takes the profiler's records once and writes every pending entry. */
function flush(): void {
  cancelFlushTimer();
  if (pending.length === 0) return;
  takeRecords();
  for (const entry of pending.splice(0)) {
    const heap = pairRecord(records, entry.kind, entry.durationUs);
    m.collection(entry.kind, entry.flags, entry.startNs, entry.durationNs, heap?.before ?? 0, heap?.after ?? 0);
  }
}

function onEntries(list: { getEntries(): PerformanceEntry[] }): void {
  for (const entry of list.getEntries()) {
    const detail = (entry as { detail?: { kind?: number; flags?: number } }).detail ?? {};
    const kind = KINDS.get(num(detail.kind)) ?? String(num(detail.kind));
    pending.push({ kind, flags: num(detail.flags), startNs: Math.round(entry.startTime * 1e6), durationNs: Math.round(entry.duration * 1e6), durationUs: entry.duration * 1000 });
  }
  if (pending.length >= MAX_PENDING) flush();
  else if (flushTimer === null && pending.length > 0) {
    flushTimer = setTimeout(flush, TAKE_INTERVAL_MS);
    flushTimer.unref();
  }
}

function newProfiler(): Profiler | null {
  const Constructor = (v8 as unknown as { GCProfiler?: new () => Profiler }).GCProfiler;
  if (Constructor === undefined) return null;
  try {
    const created = new Constructor();
    created.start();
    return created;
  } catch {
    return null;
  }
}

export const gcSource: NodeSource = {
  name: 'gc',
  names: ['node:gc:collection'],
  available: () => ((PerformanceObserver as unknown as { supportedEntryTypes?: readonly string[] }).supportedEntryTypes ?? []).includes('gc'),
  declare() {
    m = declare();
    return Object.values(m);
  },
  start() {
    if (observer !== null) return;
    profiler = newProfiler();
    observer = new PerformanceObserver(onEntries);
    observer.observe({ entryTypes: ['gc'] });
    // Before the trace writer's own 'exit' listener, which writes out the buffers.
    process.prependListener('exit', flush);
  },
  flush,
  stop() {
    // The session flushed while its markers were on; what is left now has nowhere to go.
    pending.length = 0;
    cancelFlushTimer();
    process.removeListener('exit', flush);
    observer?.disconnect();
    observer = null;
    try { profiler?.stop(); } catch { /* already stopped */ }
    profiler = null;
    records.length = 0;
  },
};

/** Whether the heap profiler is running (for tests of the "off" state). */
export function gcProfilerRunning(): boolean {
  return profiler !== null;
}
