/**
 * One pass over a trace's events for `list`, `stats` and the `record` summary: counts and first/
 * last time per event class, and (given the time range) a histogram of all events over time.
 */
import { TracemarkError } from '../errors/index.js';
import { countEventsSync, readTraceSync, type TraceInfo } from '../read/index.js';
import { traceOfStream, type EventSelector } from './trace-input.js';

export interface ClassCount {
  /** Trace directory relative to the directory read ('' for itself). */
  readonly trace: string;
  readonly id: number;
  readonly name: string;
  count: number;
  first: bigint;
  last: bigint;
}

export interface ScanResult {
  /** Key: trace, id and name (ids repeat across traces). */
  readonly classes: Map<string, ClassCount>;
  total: number;
  first: bigint | undefined;
  last: bigint | undefined;
  /** Events per time bucket over [range.begin, range.end], when a range was given. */
  readonly buckets: number[] | undefined;
  /** Damage met while reading: the counts cover the events before it. */
  damage: TracemarkError | undefined;
}

export function classKey(trace: string, id: number, name: string): string {
  return `${trace}\u0000${id}\u0000${name}`;
}

/** The time range the streams' packets cover, from the summary; undefined if unknown. */
export function traceRange(info: TraceInfo): { begin: bigint; end: bigint } | undefined {
  let begin: bigint | undefined;
  let end: bigint | undefined;
  for (const trace of info.traces) {
    for (const stream of trace.streams) {
      if (stream.beginNs !== undefined && (begin === undefined || stream.beginNs < begin)) begin = stream.beginNs;
      if (stream.endNs !== undefined && (end === undefined || stream.endNs > end)) end = stream.endNs;
    }
  }
  return begin === undefined || end === undefined || end < begin ? undefined : { begin, end };
}

export interface ScanOptions {
  selector?: EventSelector;
  range?: { begin: bigint; end: bigint };
  bucketCount?: number;
}

export function scanTrace(dir: string, options: ScanOptions = {}): ScanResult {
  const { selector, range } = options;
  if (selector === undefined || selector.selectsAll) return countTrace(dir, options);
  const bucketCount = options.bucketCount ?? 10;
  const buckets = range === undefined ? undefined : new Array<number>(bucketCount).fill(0);
  const span = range === undefined ? 0n : range.end - range.begin;
  const result: ScanResult = { classes: new Map(), total: 0, first: undefined, last: undefined, buckets, damage: undefined };
  // Per stream, its classes by id: no key string built per event (the stream and the id of
  // consecutive events repeat; names are per id within a stream's trace).
  const byStream = new Map<string, Map<number, ClassCount>>();
  let lastStream: string | undefined;
  let lastClasses: Map<number, ClassCount> | undefined;
  // The histogram in doubles: ns offsets within a trace's span are exact enough for a bucket index.
  const rangeBegin = range === undefined ? 0n : range.begin;
  const bucketsPerNs = range === undefined ? 0 : bucketCount / (Number(span) + 1);
  try {
    for (const event of readTraceSync(dir)) {
      if (selector !== undefined && !selector.selectsAll && !selector.accepts(event)) continue;
      const ts = event.timestamp;
      if (event.stream !== lastStream) {
        lastStream = event.stream;
        lastClasses = byStream.get(event.stream);
        if (lastClasses === undefined) byStream.set(event.stream, (lastClasses = new Map()));
      }
      let entry = (lastClasses as Map<number, ClassCount>).get(event.id);
      if (entry === undefined || entry.name !== event.name) {
        const trace = traceOfStream(event.stream);
        const key = classKey(trace, event.id, event.name);
        entry = result.classes.get(key);
        if (entry === undefined) {
          entry = { trace, id: event.id, name: event.name, count: 0, first: ts, last: ts };
          result.classes.set(key, entry);
        }
        (lastClasses as Map<number, ClassCount>).set(event.id, entry);
      }
      entry.count++;
      if (ts < entry.first) entry.first = ts;
      if (ts > entry.last) entry.last = ts;
      result.total++;
      if (result.first === undefined || ts < result.first) result.first = ts;
      if (result.last === undefined || ts > result.last) result.last = ts;
      if (buckets !== undefined) {
        const offset = ts < rangeBegin ? 0 : Number(ts - rangeBegin);
        const index = span === 0n ? 0 : Math.floor(offset * bucketsPerNs);
        buckets[Math.min(index, bucketCount - 1)]++;
      }
    }
  } catch (error) {
    if (!(error instanceof TracemarkError)) throw error;
    result.damage = error;
  }
  return result;
}

/** scanTrace for every event: the reader's counting pass, which skips payloads. */
function countTrace(dir: string, options: ScanOptions): ScanResult {
  const counted = countEventsSync(dir, {
    ...(options.range === undefined ? {} : { range: options.range }),
    ...(options.bucketCount === undefined ? {} : { bucketCount: options.bucketCount }),
  });
  const result: ScanResult = { classes: new Map(), total: counted.total, first: undefined, last: undefined, buckets: counted.buckets, damage: counted.damage };
  for (const c of counted.classes) {
    const trace = traceOfStream(c.stream);
    const key = classKey(trace, c.id, c.name);
    const entry = result.classes.get(key);
    if (entry === undefined) result.classes.set(key, { trace, id: c.id, name: c.name, count: c.count, first: c.firstNs, last: c.lastNs });
    else {
      entry.count += c.count;
      if (c.firstNs < entry.first) entry.first = c.firstNs;
      if (c.lastNs > entry.last) entry.last = c.lastNs;
    }
    if (result.first === undefined || c.firstNs < result.first) result.first = c.firstNs;
    if (result.last === undefined || c.lastNs > result.last) result.last = c.lastNs;
  }
  return result;
}
