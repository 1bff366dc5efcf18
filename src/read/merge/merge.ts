/**
 * K-way merge of stream files by timestamp: a binary min-heap holding the next event of each
 * stream. Ties go to the lower stream index, and a stream has at most one event in the heap, so
 * the merge is stable (equal timestamps keep stream order, then file order within a stream).
 */
import type { TraceEvent } from '../decode/event.js';

interface Entry {
  event: TraceEvent;
  index: number;
}

function before(a: Entry, b: Entry): boolean {
  return a.event.timestamp < b.event.timestamp || (a.event.timestamp === b.event.timestamp && a.index < b.index);
}

export class MergeHeap {
  private readonly entries: Entry[] = [];

  get size(): number {
    return this.entries.length;
  }

  push(event: TraceEvent, index: number): void {
    const entries = this.entries;
    entries.push({ event, index });
    let i = entries.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entries[i], entries[parent])) break;
      [entries[i], entries[parent]] = [entries[parent], entries[i]];
      i = parent;
    }
  }

  /** The earliest entry; the heap must not be empty. */
  top(): Entry {
    return this.entries[0];
  }

  /** Replaces the top entry's event (the next one of the same stream) and restores the order. */
  replaceTop(event: TraceEvent): void {
    this.entries[0].event = event;
    this.siftDown(0);
  }

  pop(): void {
    const last = this.entries.pop() as Entry;
    if (this.entries.length > 0) {
      this.entries[0] = last;
      this.siftDown(0);
    }
  }

  private siftDown(start: number): void {
    const entries = this.entries;
    const n = entries.length;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) return;
      const right = left + 1;
      const child = right < n && before(entries[right], entries[left]) ? right : left;
      if (!before(entries[child], entries[i])) return;
      [entries[i], entries[child]] = [entries[child], entries[i]];
      i = child;
    }
  }
}
