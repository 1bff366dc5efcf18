/**
 * The streaming readers: readTraceBatches (arrays of events, one promise per batch) and readTrace
 * (one event per next(), built on the same batches).
 *
 * Both are hand-written rather than async generators. The merge runs in AsyncBatchSource: it
 * decodes events from bytes already loaded synchronously, in batches, and goes through a slow
 * path (await) only to open the files, read more of them, or end. Calls made while a slow path
 * runs wait for it, in order.
 *
 * readTrace's next() hands out events of the current batch without allocating: one result object
 * and one already-resolved promise of it, reused, as long as the caller has read the previous
 * result's `value` (for await...of reads it before calling next() again). When next() is called
 * again before that (`Promise.all([it.next(), it.next()])`), it returns a fresh result and promise,
 * so results that are all pending at once stay distinct. A promise and a result object per event
 * were ~30 % of the streaming reader's time (GC).
 */
import type { TracemarkError } from '../../errors/index.js';
import { asTracemarkError } from '../errors.js';
import type { TraceEvent } from '../decode/event.js';
import { MergeHeap } from './merge.js';
import { collectDamage, openStreamsAsync, type OpenedTraces } from '../input/open-trace.js';
import type { AsyncFileSource } from '../input/source.js';
import { NEED_DATA, type StreamHooks } from '../decode/stream.js';

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/**
 * readTraceBatches' default: a promise per 256 events costs nothing measurable, and larger
 * batches keep more events alive across scavenges (promoted, old space grows: max RSS 76 MB at 1024).
 */
export const DEFAULT_BATCH_EVENTS = 256;
/** readTrace decodes this many events ahead: enough to amortize the batch loop, few enough to die young (1024: +25 MB RSS). */
const READ_AHEAD_EVENTS = 32;

/** Serializes the slow-path calls of an iterator; `idle` tells when the fast path may run. */
class CallQueue {
  /** Slow-path calls not finished yet. */
  private inFlight = 0;
  /** Settles after the last queued call: the next one runs after it. */
  private tail: Promise<unknown> = Promise.resolve();

  get idle(): boolean {
    return this.inFlight === 0;
  }

  /** Runs `task` after the calls queued before it. */
  run<T>(task: () => Promise<T>): Promise<T> {
    this.inFlight++;
    const run = this.tail.then(async () => {
      try {
        return await task();
      } finally {
        // Before the caller resumes: its next call may take the fast path.
        this.inFlight--;
      }
    });
    this.tail = run.then(() => undefined, () => undefined);
    return run;
  }
}

/** The merge of every stream of a directory, produced in batches. */
class AsyncBatchSource {
  private opened: OpenedTraces<AsyncFileSource> | undefined;
  private readonly heap = new MergeHeap();
  /** Stream whose event was taken last: its next event goes into the heap before the next one is taken. */
  private refill = -1;
  private finished = false;
  /** An error met while a batch was being filled, thrown once the events before it are handed out. */
  private pending: unknown;
  private hasPending = false;

  constructor(private readonly dir: string, private readonly hooks: StreamHooks) {}

  /** True when fillSync may be called (files open, not at the end, no error waiting). */
  get ready(): boolean {
    return this.opened !== undefined && !this.finished && !this.hasPending;
  }

  /**
   * Appends up to `max` events to `out` from bytes already loaded; stops early when a read (or the
   * end) needs `fill`. Returns how many were appended. Never throws: an error is kept for `fill`.
   */
  fillSync(out: TraceEvent[], max: number): number {
    const streams = (this.opened as OpenedTraces<AsyncFileSource>).streams;
    const heap = this.heap;
    let n = 0;
    try {
      while (n < max) {
        if (this.refill >= 0) {
          const e = streams[this.refill].reader.next();
          if (e === NEED_DATA) break;
          if (e === null) heap.pop();
          else heap.replaceTop(e as TraceEvent);
          this.refill = -1;
        }
        if (heap.size === 0) break;
        const top = heap.top();
        this.refill = top.index;
        out.push(top.event);
        n++;
      }
    } catch (error) {
      this.pending = error;
      this.hasPending = true;
    }
    return n;
  }

  /**
   * Appends at least one event to `out` (up to `max`), reading the files as needed; appends none
   * at the end. Throws the damage after the last event, or an error met on the way (files closed).
   */
  async fill(out: TraceEvent[], max: number): Promise<void> {
    if (this.finished) return;
    if (this.hasPending) return this.abort(this.pending);
    try {
      if (this.opened === undefined) {
        this.opened = await openStreamsAsync(this.dir, this.hooks);
        for (let i = 0; i < this.opened.streams.length; i++) {
          const e = await this.pull(i);
          if (e !== null) this.heap.push(e, i);
        }
      }
      if (this.refill >= 0) {
        const e = await this.pull(this.refill);
        if (e === null) this.heap.pop();
        else this.heap.replaceTop(e);
        this.refill = -1;
      }
    } catch (error) {
      return this.abort(error);
    }
    if (this.heap.size > 0) {
      this.fillSync(out, max);
      return;
    }
    // The end: close the files, then report the damage met on the way, if any.
    await this.close();
    const opened = this.opened as OpenedTraces<AsyncFileSource>;
    const damage: TracemarkError | undefined = collectDamage(opened.traces, opened.streams.map((s) => s.reader));
    if (damage !== undefined) throw damage;
  }

  private async pull(index: number): Promise<TraceEvent | null> {
    const { reader, source } = (this.opened as OpenedTraces<AsyncFileSource>).streams[index];
    let e = reader.next();
    while (e === NEED_DATA) {
      await source.fill(reader);
      e = reader.next();
    }
    return e as TraceEvent | null;
  }

  private async abort(error: unknown): Promise<never> {
    this.hasPending = false;
    await this.close();
    throw asTracemarkError(error, this.dir, 0);
  }

  async close(): Promise<void> {
    this.finished = true;
    const streams = this.opened?.streams ?? [];
    for (const s of streams) await s.source.close();
  }
}

/** readTraceBatches' iterator: each next() is one batch (a new array), at least one event long. */
export class AsyncBatchIterator implements AsyncIterableIterator<TraceEvent[]> {
  private readonly source: AsyncBatchSource;
  private readonly calls = new CallQueue();

  constructor(dir: string, hooks: StreamHooks, private readonly batchEvents: number) {
    this.source = new AsyncBatchSource(dir, hooks);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<TraceEvent[], undefined>> {
    return this.calls.run(async () => {
      const batch: TraceEvent[] = [];
      await this.source.fill(batch, this.batchEvents);
      return batch.length > 0 ? { value: batch, done: false } : DONE;
    });
  }

  return(): Promise<IteratorResult<TraceEvent[], undefined>> {
    return this.calls.run(async () => {
      await this.source.close();
      return DONE;
    });
  }
}

/** The result object readTrace reuses; reading `value` marks it free for the next event. */
class ReusedResult {
  readonly done = false;
  event: TraceEvent | undefined;
  /** The caller has read `value`: the object may carry the next event. */
  taken = true;

  get value(): TraceEvent {
    this.taken = true;
    return this.event as TraceEvent;
  }
}

export class AsyncTraceIterator implements AsyncIterableIterator<TraceEvent> {
  private readonly source: AsyncBatchSource;
  private readonly calls = new CallQueue();
  private readonly batch: TraceEvent[] = [];
  /** Next event of `batch` to hand out. */
  private position = 0;
  private readonly result = new ReusedResult();
  private readonly resolvedResult = Promise.resolve(this.result as unknown as IteratorResult<TraceEvent, undefined>);

  constructor(dir: string, hooks: StreamHooks, private readonly batchEvents = READ_AHEAD_EVENTS) {
    this.source = new AsyncBatchSource(dir, hooks);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<TraceEvent, undefined>> {
    if (this.calls.idle) {
      if (this.position === this.batch.length && this.source.ready) {
        this.batch.length = 0;
        this.position = 0;
        this.source.fillSync(this.batch, this.batchEvents);
      }
      if (this.position < this.batch.length) return this.handOut();
    }
    return this.calls.run(() => this.slowNext());
  }

  return(): Promise<IteratorResult<TraceEvent, undefined>> {
    return this.calls.run(async () => {
      this.batch.length = 0;
      this.position = 0;
      await this.source.close();
      return DONE;
    });
  }

  private handOut(): Promise<IteratorResult<TraceEvent, undefined>> {
    const event = this.batch[this.position++];
    const result = this.result;
    if (result.taken) {
      result.taken = false;
      result.event = event;
      return this.resolvedResult;
    }
    // The previous result has not been read yet: it must keep its event.
    return Promise.resolve({ value: event, done: false });
  }

  private async slowNext(): Promise<IteratorResult<TraceEvent, undefined>> {
    if (this.position === this.batch.length) {
      this.batch.length = 0;
      this.position = 0;
      await this.source.fill(this.batch, this.batchEvents);
      if (this.batch.length === 0) return DONE;
    }
    const event = this.batch[this.position++];
    // A queued call: others may be pending at the same time, so its result is its own.
    return { value: event, done: false };
  }
}
