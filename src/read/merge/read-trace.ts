/**
 * readTrace / readTraceSync: every stream file of every trace under a directory, merged by
 * timestamp. Damage ends only the damaged stream; the other streams are read to their end and
 * then ONE TracemarkError describing the (first) damage is thrown.
 */
import { AsyncTraceIterator } from './async-reader.js';
import { asTracemarkError } from '../errors.js';
import type { TraceEvent } from '../decode/event.js';
import { MergeHeap } from './merge.js';
import { collectDamage, openStreamsSync } from '../input/open-trace.js';
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
  return { [Symbol.iterator]: () => iterateSync(dir, options) };
}

function* iterateSync(dir: string, options: ReadTraceOptions): Generator<TraceEvent, void, undefined> {
  let opened;
  try {
    opened = openStreamsSync(dir, hooksOf(options));
  } catch (error) {
    throw asTracemarkError(error, dir, 0);
  }
  const { traces, streams } = opened;
  try {
    const pull = (i: number): TraceEvent | null => streams[i].source.pull(streams[i].reader) as TraceEvent | null;
    if (streams.length === 1) {
      for (let e = pull(0); e !== null; e = pull(0)) yield e;
    } else {
      const heap = new MergeHeap();
      for (let i = 0; i < streams.length; i++) {
        const e = pull(i);
        if (e !== null) heap.push(e, i);
      }
      while (heap.size > 0) {
        const top = heap.top();
        yield top.event;
        const e = pull(top.index);
        if (e === null) heap.pop();
        else heap.replaceTop(e);
      }
    }
  } catch (error) {
    throw asTracemarkError(error, dir, 0);
  } finally {
    for (const s of streams) s.source.close();
  }
  const damage = collectDamage(traces, streams.map((s) => s.reader));
  if (damage !== undefined) throw damage;
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

function hooksOf(options: ReadTraceOptions): StreamHooks {
  const { onDiscarded, onWarning } = options;
  const hooks: StreamHooks = {};
  // A throwing user callback must not be mistaken for trace damage.
  if (onDiscarded !== undefined) hooks.onDiscarded = (info) => { try { onDiscarded(info); } catch { /* ignored */ } };
  if (onWarning !== undefined) hooks.onWarning = (warning) => { try { onWarning(warning); } catch { /* ignored */ } };
  return hooks;
}
