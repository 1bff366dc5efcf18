/**
 * Span pairs (the convention of docs/trace-format.md, shared with the Node core bridge): markers
 * `<P>:begin` and `<P>:end`. When both declare an integer field `span_id`, a begin and an end
 * with the same span_id in the same process are one span (async, may overlap); otherwise begins
 * and ends nest per thread. Decided from the metadata alone, so it applies to traces from disk.
 */
import type { TraceInfo } from '../read/index.js';

export interface SpanRole {
  readonly role: 'begin' | 'end';
  /** The span's name: P. */
  readonly prefix: string;
  /** Matched by span_id (async), not by nesting. */
  readonly byId: boolean;
}

const INTEGER_TYPE = /^[iu]\d+/;

export class SpanRoles {
  private readonly roles = new Map<string, SpanRole | undefined>();

  constructor(info: TraceInfo) {
    const idFields = new Map<string, boolean>();
    const names = new Set<string>();
    for (const trace of info.traces) {
      for (const c of trace.eventClasses) {
        names.add(c.name);
        const hasId = c.fields.some((f) => f.name === 'span_id' && INTEGER_TYPE.test(f.type));
        idFields.set(c.name, (idFields.get(c.name) ?? true) && hasId);
      }
    }
    for (const name of names) {
      const match = /^(.*):(begin|end)$/.exec(name);
      if (match === null) continue;
      const [, prefix, role] = match;
      const other = `${prefix}:${role === 'begin' ? 'end' : 'begin'}`;
      if (!names.has(other)) continue;
      const byId = idFields.get(name) === true && idFields.get(other) === true;
      this.roles.set(name, { role: role as 'begin' | 'end', prefix, byId });
    }
  }

  of(name: string): SpanRole | undefined {
    return this.roles.get(name);
  }

  get any(): boolean {
    return this.roles.size > 0;
  }
}

/** The span_id of an event as a map key ('' when missing or not an integer). */
export function spanIdOf(fields: Record<string, unknown>): string {
  const id = fields.span_id;
  return typeof id === 'bigint' || typeof id === 'number' ? String(id) : '';
}

/** Open nested spans per thread. */
export class SpanStacks<T extends { readonly prefix: string }> {
  private readonly stacks = new Map<unknown, T[]>();

  open(thread: unknown, value: T): void {
    let stack = this.stacks.get(thread);
    if (stack === undefined) this.stacks.set(thread, (stack = []));
    stack.push(value);
  }

  /**
   * Closes the innermost open span named `prefix` on `thread`. Returns the spans closed, innermost
   * first (spans opened inside it and never ended are closed with it, so slices stay nested), or
   * an empty array when none is open (the end is then shown as an instant).
   */
  close(thread: unknown, prefix: string): T[] {
    const stack = this.stacks.get(thread);
    if (stack === undefined) return [];
    for (let i = stack.length - 1; i >= 0; i--) {
      if (stack[i].prefix === prefix) return stack.splice(i).reverse();
    }
    return [];
  }

  /** Spans still open at the end, per thread, outermost first. */
  *remaining(): Iterable<[unknown, T[]]> {
    for (const entry of this.stacks) if (entry[1].length > 0) yield entry;
  }
}

/** Async spans waiting for their end, keyed by process, name and span_id, oldest first. */
export class PendingSpans<T> {
  private readonly pending = new Map<string, T>();

  constructor(private readonly limit = 1_000_000) {}

  static key(processIndex: number, prefix: string, spanId: string): string {
    return `${processIndex}\0${prefix}\0${spanId}`;
  }

  /** Returns a span that can no longer end (same key begun again, or too many open): unfinished. */
  begin(key: string, value: T): T | undefined {
    const displaced = this.pending.get(key);
    if (displaced !== undefined) this.pending.delete(key);
    this.pending.set(key, value);
    if (displaced !== undefined) return displaced;
    if (this.pending.size > this.limit) {
      const [oldestKey, oldest] = this.pending.entries().next().value as [string, T];
      this.pending.delete(oldestKey);
      return oldest;
    }
    return undefined;
  }

  end(key: string): T | undefined {
    const value = this.pending.get(key);
    if (value !== undefined) this.pending.delete(key);
    return value;
  }

  /** The spans that never ended, oldest first; empties the set. */
  drain(): T[] {
    const values = [...this.pending.values()];
    this.pending.clear();
    return values;
  }
}
