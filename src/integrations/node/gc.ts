/**
 * `node:gc:collection`: garbage collections, from a perf_hooks `gc` PerformanceObserver (Node 20+).
 * The observer runs after the collection: the event's own timestamp is late, `start_ns` is when
 * the collection began, in the trace clock (ns since performance.timeOrigin). perf_hooks gives no
 * heap sizes per collection, so there are none here.
 */
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { marker } from '../../marker/index.js';
import { num, type NodeSource } from './source.js';

function declare() {
  return {
    collection: marker('node:gc:collection', 'kind %s flags %u start_ns %lu duration_ns %lu'),
  };
}
let m: ReturnType<typeof declare>;

const KINDS = new Map<number, string>([
  [constants.NODE_PERFORMANCE_GC_MINOR, 'minor'],
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'major'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weakcb'],
]);

let observer: PerformanceObserver | null = null;

function onEntries(list: { getEntries(): PerformanceEntry[] }): void {
  for (const entry of list.getEntries()) {
    const detail = (entry as { detail?: { kind?: number; flags?: number } }).detail ?? {};
    const kind = KINDS.get(num(detail.kind)) ?? String(num(detail.kind));
    m.collection(kind, num(detail.flags), Math.round(entry.startTime * 1e6), Math.round(entry.duration * 1e6));
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
    observer = new PerformanceObserver(onEntries);
    observer.observe({ entryTypes: ['gc'] });
  },
  stop() {
    observer?.disconnect();
    observer = null;
  },
};
