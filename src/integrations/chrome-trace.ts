/**
 * Export to the Chrome trace-event JSON format, which the Perfetto UI (ui.perfetto.dev) and
 * chrome://tracing open. Written as a stream (one event per line, `{}]` at the end), so that an
 * export of any size never builds one huge string, and a cut-off file still loads in Perfetto.
 *
 * Mapping: every event is a thread-scoped instant (`ph: "i"`) named after the marker, with its
 * provider as category and its fields as `args` (64-bit integers as decimal strings, blobs as
 * hex); each stream file is a thread of the process whose pid is the trace's `vpid` (the first
 * stream its main thread, tid = pid; the next ones pid + 1, pid + 2...); lost events
 * are process-scoped instants named "events discarded". Times are microseconds since the first
 * exported event, with nanosecond precision (3 decimals, from BigInt arithmetic: an epoch-based
 * double would keep only about 0.25 µs).
 */
import type { DiscardedInfo, TraceEvent } from '../read/index.js';
import { jsonValue } from './json-values.js';

export interface ChromeTraceProcess {
  /** Trace directory relative to the exported directory ('' for the directory itself). */
  path: string;
  pid: number;
  name: string;
}

interface ThreadTrack {
  pid: number;
  tid: number;
}

function traceOfStream(stream: string): string {
  const slash = stream.lastIndexOf('/');
  return slash < 0 ? '' : stream.slice(0, slash);
}

/** `ns` as microseconds with exactly three decimals. */
export function microseconds(ns: bigint): string {
  const negative = ns < 0n;
  const abs = negative ? -ns : ns;
  return `${negative ? '-' : ''}${abs / 1000n}.${(abs % 1000n).toString().padStart(3, '0')}`;
}

export class ChromeTraceWriter {
  private readonly write: (chunk: string) => void;
  private readonly processes: Map<string, ChromeTraceProcess>;
  private readonly threads = new Map<string, ThreadTrack>();
  private originNs: bigint | undefined;
  /** Streams already seen per process: the first is the process's main thread (tid = pid). */
  private readonly streamsPerPid = new Map<number, number>();
  private closed = false;
  /** Events and lost-event markers written. */
  count = 0;

  constructor(write: (chunk: string) => void, processes: readonly ChromeTraceProcess[]) {
    this.write = write;
    this.processes = new Map(processes.map((p) => [p.path, p]));
    // Perfetto sniffs a JSON trace by its first bytes: `[{"`. A process_name event comes first.
    const lines = processes.map((p) => `{"ph":"M","name":"process_name","pid":${p.pid},"tid":${p.pid},"args":{"name":${JSON.stringify(p.name)}}}`);
    if (lines.length === 0) lines.push('{"ph":"M","name":"process_name","pid":0,"tid":0,"args":{"name":"trace"}}');
    this.write(`[${lines.join(',\n')},\n`);
  }

  private thread(stream: string): ThreadTrack {
    let track = this.threads.get(stream);
    if (track === undefined) {
      const pid = this.processes.get(traceOfStream(stream))?.pid ?? 0;
      const seen = this.streamsPerPid.get(pid) ?? 0;
      this.streamsPerPid.set(pid, seen + 1);
      track = { pid, tid: pid + seen };
      this.threads.set(stream, track);
      const name = stream.slice(stream.lastIndexOf('/') + 1);
      this.write(`{"ph":"M","name":"thread_name","pid":${pid},"tid":${track.tid},"args":{"name":${JSON.stringify(name)}}},\n`);
    }
    return track;
  }

  private ts(ns: bigint): string {
    this.originNs ??= ns;
    const relative = ns - this.originNs;
    return microseconds(relative < 0n ? 0n : relative);
  }

  event(event: TraceEvent): void {
    const { pid, tid } = this.thread(event.stream);
    const colon = event.name.indexOf(':');
    const category = colon < 0 ? event.name : event.name.slice(0, colon);
    this.write(`{"ph":"i","s":"t","name":${JSON.stringify(event.name)},"cat":${JSON.stringify(category)},"pid":${pid},"tid":${tid},"ts":${this.ts(event.timestamp)},"args":${JSON.stringify(jsonValue(event.fields))}},\n`);
    this.count++;
  }

  discarded(info: DiscardedInfo): void {
    const { pid } = this.thread(info.stream);
    const at = info.endNs ?? info.beginNs ?? this.originNs ?? 0n;
    this.write(`{"ph":"i","s":"p","name":"${info.kind} discarded","cat":"tracemark","pid":${pid},"tid":${pid},"ts":${this.ts(at)},"args":{"count":${JSON.stringify(info.count.toString())},"stream":${JSON.stringify(info.stream)}}},\n`);
    this.count++;
  }

  /** Ends the array; Perfetto skips the empty object that absorbs the last comma. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.write('{}]\n');
  }
}
