/**
 * The iterator behind readTrace. Hand-written rather than an async generator: when the next event
 * can be decoded from bytes already loaded, next() returns an already-resolved promise without
 * the generator's suspend/resume machinery (about twice as fast per event). Reads, opening and
 * closing go through a slow path; calls made while it runs wait for it, in order.
 */
import type { TracemarkError } from '../../errors/index.js';
import { asTracemarkError } from '../errors.js';
import type { TraceEvent } from '../decode/event.js';
import { MergeHeap } from './merge.js';
import { collectDamage, openStreamsAsync, type OpenedTraces } from '../input/open-trace.js';
import type { AsyncFileSource } from '../input/source.js';
import { NEED_DATA, type StreamHooks } from '../decode/stream.js';

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

export class AsyncTraceIterator implements AsyncIterableIterator<TraceEvent> {
  private opened: OpenedTraces<AsyncFileSource> | undefined;
  private readonly heap = new MergeHeap();
  /** Stream whose event was returned last: its next event goes into the heap before the next result. */
  private refill = -1;
  private finished = false;
  /** Slow-path calls not finished yet; the fast path runs only when there is none. */
  private inFlight = 0;
  /** Settles after the last queued slow-path call: the next one runs after it. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly dir: string, private readonly hooks: StreamHooks) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<TraceEvent, undefined>> {
    if (this.inFlight === 0 && this.opened !== undefined && !this.finished) {
      let result: IteratorResult<TraceEvent, undefined> | undefined;
      try {
        result = this.step();
      } catch (error) {
        return this.queue(() => this.abort(error));
      }
      if (result !== undefined) return Promise.resolve(result);
    }
    return this.queue(() => this.slowNext());
  }

  return(): Promise<IteratorResult<TraceEvent, undefined>> {
    return this.queue(async () => {
      await this.close();
      return DONE;
    });
  }

  /** Runs `task` after the slow-path calls queued before it. */
  private queue<T>(task: () => Promise<T>): Promise<T> {
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

  /** The next result without any I/O, or undefined when a read, or the end, needs the slow path. */
  private step(): IteratorResult<TraceEvent, undefined> | undefined {
    const streams = (this.opened as OpenedTraces<AsyncFileSource>).streams;
    if (this.refill >= 0) {
      const e = streams[this.refill].reader.next();
      if (e === NEED_DATA) return undefined;
      if (e === null) this.heap.pop();
      else this.heap.replaceTop(e as TraceEvent);
      this.refill = -1;
    }
    if (this.heap.size === 0) return undefined;
    const top = this.heap.top();
    this.refill = top.index;
    return { value: top.event, done: false };
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

  private async slowNext(): Promise<IteratorResult<TraceEvent, undefined>> {
    if (this.finished) return DONE;
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
      const top = this.heap.top();
      this.refill = top.index;
      return { value: top.event, done: false };
    }
    // The end: close the files, then report the damage met on the way, if any.
    await this.close();
    const opened = this.opened as OpenedTraces<AsyncFileSource>;
    const damage: TracemarkError | undefined = collectDamage(opened.traces, opened.streams.map((s) => s.reader));
    if (damage !== undefined) throw damage;
    return DONE;
  }

  private async abort(error: unknown): Promise<never> {
    await this.close();
    throw asTracemarkError(error, this.dir, 0);
  }

  private async close(): Promise<void> {
    this.finished = true;
    const streams = this.opened?.streams ?? [];
    for (const s of streams) await s.source.close();
  }
}
