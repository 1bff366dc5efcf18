/**
 * Export to the Chrome trace-event JSON format, for Chrome DevTools' Performance panel,
 * chrome://tracing and the Perfetto UI. Written as a stream, one event per line, so that an
 * export of any size never builds one huge string (the text of 5M events is past V8's string
 * limit), and a cut-off file still loads in Perfetto (it accepts an array without its `]`).
 *
 * Mapping (every choice is one that all three consumers accept):
 * - an event → a thread instant `{"ph":"I"}` (DevTools' engine ignores the lower-case `i`),
 *   fields as `args`: integers as JSON numbers when a double holds them exactly, else decimal
 *   strings; blobs as hex;
 * - span pairs (`<P>:begin`/`<P>:end`, src/timeline/spans.ts): nested ones → `B`/`E` named P
 *   (the `E` carries the name: DevTools matches by it); span_id ones → one complete `X` event
 *   (they may overlap) written when the end is read; a span that never ended → `X` to the last
 *   event, `args.unfinished: true`;
 * - lost events → an `X` range over the time they were lost (end of the packet before → end
 *   of the packet that reports them), on a "lost events" track beside the stream's thread;
 * - processes and threads from src/timeline/tracks.ts, named by `M` events.
 * Times are µs since an origin 1 ms before the trace's first packet or event (DevTools leaves
 * events at ts 0 out of the time range), printed from integer nanoseconds: exact.
 */
import type { DiscardedInfo, TraceEvent, TraceInfo } from '../read/index.js';
import { PendingSpans, SpanRoles, SpanStacks, spanIdOf } from '../timeline/spans.js';
import { TrackMap, earliestNs, type ThreadTrack } from '../timeline/tracks.js';
import { hex, jsonValue } from './json-values.js';

/** `ns` as microseconds, exact, without trailing zeros: 1500 → `1.5`, 2000 → `2`. */
export function microseconds(ns: bigint | number): string {
  if (typeof ns === 'number' && Number.isSafeInteger(ns)) {
    const negative = ns < 0;
    const abs = negative ? -ns : ns;
    const whole = Math.floor(abs / 1000);
    const frac = abs - whole * 1000;
    return `${negative ? '-' : ''}${whole}${fraction(frac)}`;
  }
  const big = BigInt(ns);
  const negative = big < 0n;
  const abs = negative ? -big : big;
  return `${negative ? '-' : ''}${abs / 1000n}${fraction(Number(abs % 1000n))}`;
}

function fraction(ns: number): string {
  if (ns === 0) return '';
  if (ns % 100 === 0) return `.${ns / 100}`;
  if (ns % 10 === 0) return `.${String(ns / 10).padStart(2, '0')}`;
  return `.${String(ns).padStart(3, '0')}`;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const keyCache = new Map<string, string>();

/**
 * `JSON.stringify(jsonValue(fields, true))` without the copy: the fields of an event are mostly
 * numbers and strings, written straight; anything else goes through jsonValue.
 */
export function argsJson(fields: Record<string, unknown>): string {
  let out = '{';
  let first = true;
  for (const key in fields) {
    let quoted = keyCache.get(key);
    if (quoted === undefined) {
      quoted = JSON.stringify(key);
      if (keyCache.size < 10_000) keyCache.set(key, quoted);
    }
    const v = fields[key];
    let text: string;
    // -0 as "-0" (as jsonValue does): JSON.stringify would write it as 0.
    if (typeof v === 'number') text = Number.isFinite(v) ? (v === 0 && 1 / v < 0 ? '"-0"' : JSON.stringify(v)) : `"${String(v)}"`;
    else if (typeof v === 'string') text = JSON.stringify(v);
    else if (typeof v === 'bigint') text = v <= MAX_SAFE && v >= -MAX_SAFE ? v.toString() : `"${v.toString()}"`;
    else if (v instanceof Uint8Array) text = `"${hex(v)}"`;
    else text = JSON.stringify(jsonValue(v, true)) ?? 'null';
    out += first ? `${quoted}:${text}` : `,${quoted}:${text}`;
    first = false;
  }
  return `${out}}`;
}

/**
 * The origin is 1 ms before the first packet: DevTools' engine leaves events at ts 0 out of the
 * trace bounds, and an event's clock may be read a little before its packet's timestamp_begin.
 */
const ORIGIN_LEAD_NS = 1_000_000n;

interface OpenSpan {
  readonly prefix: string;
  readonly thread: ThreadTrack;
  readonly beginNs: bigint;
  readonly args: Record<string, unknown>;
}

export class ChromeTraceWriter {
  private readonly write: (chunk: string) => void;
  readonly tracks: TrackMap;
  private readonly roles: SpanRoles;
  private readonly stacks = new SpanStacks<OpenSpan>();
  private readonly pending = new PendingSpans<OpenSpan>();
  private readonly named = new Set<ThreadTrack>();
  private readonly quotedNames = new Map<string, string>();
  private originNs: bigint | undefined;
  private lastNs: bigint | undefined;
  private closed = false;
  /** Trace events and lost-event ranges written. */
  count = 0;

  constructor(write: (chunk: string) => void, info: TraceInfo) {
    this.write = write;
    this.tracks = new TrackMap(info);
    this.roles = new SpanRoles(info);
    const earliest = earliestNs(info);
    if (earliest !== undefined) this.originNs = earliest - ORIGIN_LEAD_NS;
    // Perfetto sniffs a JSON trace by its first bytes, `[{"`: the process names come first.
    this.write(`[${this.tracks.processes.map((p) => `{"ph":"M","name":"process_name","pid":${p.pid},"tid":${p.pid},"args":{"name":${JSON.stringify(p.name)}}}`).join(',\n')}`);
  }

  private ts(ns: bigint): string {
    this.originNs ??= ns - ORIGIN_LEAD_NS;
    if (this.lastNs === undefined || ns > this.lastNs) this.lastNs = ns;
    return microseconds(Number(ns - this.originNs));
  }

  private named_(thread: ThreadTrack): ThreadTrack {
    if (!this.named.has(thread)) {
      this.named.add(thread);
      this.write(`,\n{"ph":"M","name":"thread_name","pid":${thread.process.pid},"tid":${thread.tid},"args":{"name":${JSON.stringify(thread.name)}}}`);
    }
    return thread;
  }

  private line(ph: string, name: string, thread: ThreadTrack, atNs: bigint, extra: string): void {
    this.named_(thread);
    let quoted = this.quotedNames.get(name);
    if (quoted === undefined) {
      quoted = JSON.stringify(name);
      this.quotedNames.set(name, quoted);
    }
    this.write(`,\n{"ph":"${ph}","name":${quoted},"pid":${thread.process.pid},"tid":${thread.tid},"ts":${this.ts(atNs)}${extra}}`);
    this.count++;
  }

  private complete(span: OpenSpan, endNs: bigint, args: Record<string, unknown>): void {
    const dur = endNs > span.beginNs ? microseconds(Number(endNs - span.beginNs)) : '0';
    this.line('X', span.prefix, span.thread, span.beginNs, `,"dur":${dur},"args":${JSON.stringify(args)}`);
  }

  event(event: TraceEvent): void {
    const thread = this.tracks.thread(event.stream, event.context);
    const role = this.roles.of(event.name);
    if (role === undefined) {
      this.line('I', event.name, thread, event.timestamp, `,"args":${argsJson(event.fields)}`);
      return;
    }
    const args = jsonValue(event.fields, true) as Record<string, unknown>;
    if (role.byId) {
      const key = PendingSpans.key(thread.process.index, role.prefix, spanIdOf(event.fields));
      if (role.role === 'begin') {
        this.ts(event.timestamp);
        const displaced = this.pending.begin(key, { prefix: role.prefix, thread, beginNs: event.timestamp, args });
        if (displaced !== undefined) this.complete(displaced, displaced.beginNs, { ...displaced.args, unfinished: true });
        return;
      }
      const span = this.pending.end(key);
      if (span === undefined) this.line('I', event.name, thread, event.timestamp, `,"args":${JSON.stringify(args)}`);
      else this.complete(span, event.timestamp, { ...span.args, ...args });
      return;
    }
    if (role.role === 'begin') {
      this.stacks.open(thread, { prefix: role.prefix, thread, beginNs: event.timestamp, args });
      this.line('B', role.prefix, thread, event.timestamp, `,"args":${JSON.stringify(args)}`);
      return;
    }
    const closed = this.stacks.close(thread, role.prefix);
    if (closed.length === 0) {
      this.line('I', event.name, thread, event.timestamp, `,"args":${JSON.stringify(args)}`);
      return;
    }
    for (let i = 0; i < closed.length; i++) {
      const last = i === closed.length - 1;
      this.line('E', closed[i].prefix, thread, event.timestamp, last ? `,"args":${JSON.stringify(args)}` : ',"args":{"unfinished":true}');
    }
  }

  discarded(info: DiscardedInfo): void {
    const track = this.tracks.lostTrack(info.stream);
    const endNs = info.endNs ?? info.beginNs ?? this.lastNs ?? 0n;
    const beginNs = info.beginNs ?? endNs;
    const count = info.count <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(info.count) : JSON.stringify(String(info.count));
    const dur = endNs > beginNs ? microseconds(Number(endNs - beginNs)) : '0';
    this.line('X', `${info.count} ${info.kind} lost`, track, beginNs, `,"dur":${dur},"args":{"count":${count},"kind":"${info.kind}","stream":${JSON.stringify(info.stream)}}`);
  }

  /** Async spans that never ended become X events to the last event; then the array ends. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const span of this.pending.drain()) this.complete(span, this.lastNs ?? span.beginNs, { ...span.args, unfinished: true });
    this.write('\n]\n');
  }
}
