/**
 * readTrace / readTraceSync: every stream file of every trace under a directory, merged by
 * timestamp. Damage ends only the damaged stream; the other streams are read to their end and
 * then ONE TracemarkError describing the (first) damage is thrown.
 */
import { AsyncBatchIterator, AsyncTraceIterator, DEFAULT_BATCH_EVENTS } from './async-reader.js';
import { TracemarkError } from '../../errors/index.js';
import { asTracemarkError } from '../errors.js';
import type { TraceEvent } from '../decode/event.js';
import { MergeHeap } from './merge.js';
import { collectDamage, openStreamsSync, type OpenedStream, type OpenedTraces } from '../input/open-trace.js';
import type { SyncFileSource } from '../input/source.js';
import type { DiscardedInfo, StreamHooks } from '../decode/stream.js';
import type { TraceWarning } from '../metadata/metadata.js';

export interface ReadTraceOptions {
  /**
   * Called when a packet reports lost events (its `events_discarded` grew) or lost packets (a
   * `packet_seq_num` gap), when that packet is opened: before its events come out of the merge.
   */
  onDiscarded?: (info: DiscardedInfo) => void;
  /** Called once per metadata problem that babeltrace2 only warns about, before the first event. */
  onWarning?: (warning: TraceWarning) => void;
}

/**
 * Synchronous reader: same events and errors as readTrace, without a promise per event (for the
 * CLI's print and stats). Files are opened when iteration starts and closed when it ends or stops.
 */
export function readTraceSync(dir: string, options: ReadTraceOptions = {}): Iterable<TraceEvent> {
  return { [Symbol.iterator]: () => new SyncTraceIterator(dir, hooksOf(options)) };
}

/**
 * A hand-written iterator rather than a generator: no generator frame resumed and no fresh
 * result object per event (for...of reads `value` and `done` before asking for the next one).
 * As a generator would, it opens the files at the first next(), closes them at the end, on
 * return() (a loop left early) or when an error is thrown, and throws the damage after the last event.
 */
class SyncTraceIterator implements Iterator<TraceEvent, undefined> {
  private readonly result: { value: TraceEvent | undefined; done: boolean } = { value: undefined, done: false };
  private opened: OpenedTraces<SyncFileSource> | undefined;
  private heap: MergeHeap | undefined;
  /** The stream whose event was handed out last (its next one is read at the next call), or -1. */
  private refill = -1;
  private finished = false;

  constructor(private readonly dir: string, private readonly hooks: StreamHooks) {}

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<TraceEvent, undefined> {
    const result = this.result;
    if (this.finished) {
      result.value = undefined;
      result.done = true;
      return result as IteratorResult<TraceEvent, undefined>;
    }
    try {
      const streams = this.opened === undefined ? this.open() : this.opened.streams;
      let event: TraceEvent | null;
      if (streams.length === 1) {
        event = streams[0].source.pull(streams[0].reader) as TraceEvent | null;
      } else {
        const heap = this.heap as MergeHeap;
        if (this.refill >= 0) {
          const e = streams[this.refill].source.pull(streams[this.refill].reader) as TraceEvent | null;
          if (e === null) heap.pop();
          else heap.replaceTop(e);
        }
        if (heap.size === 0) event = null;
        else {
          const top = heap.top();
          this.refill = top.index;
          event = top.event;
        }
      }
      if (event !== null) {
        result.value = event;
        result.done = false;
        return result as IteratorResult<TraceEvent, undefined>;
      }
    } catch (error) {
      this.close();
      throw asTracemarkError(error, this.dir, 0);
    }
    const opened = this.opened as OpenedTraces<SyncFileSource>;
    this.close();
    const damage = collectDamage(opened.traces, opened.streams.map((s) => s.reader));
    if (damage !== undefined) throw damage;
    result.value = undefined;
    result.done = true;
    return result as IteratorResult<TraceEvent, undefined>;
  }

  return(): IteratorResult<TraceEvent, undefined> {
    this.close();
    return { value: undefined, done: true };
  }

  private open(): OpenedStream<SyncFileSource>[] {
    let opened;
    try {
      opened = openStreamsSync(this.dir, this.hooks);
    } catch (error) {
      this.finished = true;
      throw error;
    }
    this.opened = opened;
    const { streams } = opened;
    if (streams.length !== 1) {
      const heap = new MergeHeap();
      this.heap = heap;
      for (let i = 0; i < streams.length; i++) {
        const e = streams[i].source.pull(streams[i].reader) as TraceEvent | null;
        if (e !== null) heap.push(e, i);
      }
    }
    return streams;
  }

  private close(): void {
    if (this.finished) return;
    this.finished = true;
    for (const s of this.opened?.streams ?? []) s.source.close();
  }
}

/**
 * Reads every event of the trace(s) in `dir`, merged by timestamp. Damaged data ends its stream;
 * after the last event, one TracemarkError('ERR_TRACE_CORRUPT') names the file and byte offset.
 * @example
 * for await (const event of readTrace('./traces/run-1')) console.log(formatEvent(event));
 */
export function readTrace(dir: string, options: ReadTraceOptions = {}): AsyncIterable<TraceEvent> {
  return { [Symbol.asyncIterator]: () => new AsyncTraceIterator(dir, hooksOf(options)) };
}

export interface ReadTraceBatchesOptions extends ReadTraceOptions {
  /** Most events per batch (default 256). */
  batchSize?: number;
}

/**
 * The events of readTrace, in the same order, as arrays of up to `batchSize` events: one promise
 * per batch instead of one per event (the streaming reader's cost per event is then that of
 * readTraceSync). Each batch is a new array, at least one event long; the same hooks are called,
 * and the same damage error is thrown after the last batch.
 * @example
 * for await (const batch of readTraceBatches('./traces/run-1')) for (const event of batch) count++;
 */
export function readTraceBatches(dir: string, options: ReadTraceBatchesOptions = {}): AsyncIterable<TraceEvent[]> {
  const size = options.batchSize ?? DEFAULT_BATCH_EVENTS;
  if (!Number.isSafeInteger(size) || size < 1) throw new TracemarkError('ERR_INVALID_ARG', `batchSize must be a positive integer (got ${String(size)})`);
  return { [Symbol.asyncIterator]: () => new AsyncBatchIterator(dir, hooksOf(options), size) };
}

function hooksOf(options: ReadTraceOptions): StreamHooks {
  const { onDiscarded, onWarning } = options;
  const hooks: StreamHooks = {};
  // A throwing user callback must not be mistaken for trace damage.
  if (onDiscarded !== undefined) hooks.onDiscarded = (info) => { try { onDiscarded(info); } catch { /* ignored */ } };
  if (onWarning !== undefined) hooks.onWarning = (warning) => { try { onWarning(warning); } catch { /* ignored */ } };
  return hooks;
}
