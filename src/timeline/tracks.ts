/**
 * Who wrote each event, for the exporters and the viewer: one process per trace directory (its
 * env vpid, procname, hostname) and one thread per stream file, or per `vtid` when the event
 * context carries one. Traces of two hosts (or two runs) with the same pid become two processes:
 * the second gets a free pid, and both names say which host and pid they are.
 */
import type { TraceInfo, TraceSummary } from '../read/index.js';

export interface ProcessTrack {
  /** Index in `TrackMap.processes`. */
  readonly index: number;
  /** Trace directory relative to the exported directory ('' for the directory itself). */
  readonly path: string;
  /** The pid written to the export: the trace's vpid unless another process already has it. */
  readonly pid: number;
  /** The trace's own vpid (undefined when the env has none). */
  readonly vpid: number | undefined;
  readonly hostname: string | undefined;
  readonly name: string;
}

export interface ThreadTrack {
  /** Index in `TrackMap.threads`. */
  readonly index: number;
  readonly process: ProcessTrack;
  readonly tid: number;
  readonly name: string;
  /** A track of lost-event ranges beside a thread, not a thread of the program. */
  readonly lost: boolean;
}

function envNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'bigint' && value >= 0n && value <= 0xffffffffn) return Number(value);
  return undefined;
}

function envString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function traceOfStream(stream: string): string {
  const slash = stream.lastIndexOf('/');
  return slash < 0 ? '' : stream.slice(0, slash);
}

/** `default_0` → `default`, `net_2` → `net #2`: the channel, not the file name. */
export function channelOfStream(stream: string): string {
  const file = stream.slice(stream.lastIndexOf('/') + 1);
  const match = /^(.*)_(\d+)$/.exec(file);
  if (match === null) return file;
  return match[2] === '0' ? match[1] : `${match[1]} #${match[2]}`;
}

/** Synthetic tids (stream files without a vtid, lost-event tracks) start here: far from real tids. */
const SYNTHETIC_TID_BASE = 0x7f000000;
const MAX_PID = 0xffffffff;

export class TrackMap {
  readonly processes: ProcessTrack[] = [];
  readonly threads: ThreadTrack[] = [];
  private readonly byPath = new Map<string, ProcessTrack>();
  private readonly byStream = new Map<string, ThreadTrack>();
  private readonly byVtid = new Map<string, ThreadTrack>();
  private readonly lostByThread = new Map<ThreadTrack, ThreadTrack>();
  private readonly syntheticTids = new Map<ProcessTrack, number>();
  private readonly usedTids = new Map<ProcessTrack, Set<number>>();

  constructor(info: TraceInfo) {
    const traces = info.traces.length > 0 ? info.traces : [{ path: '', env: {} } as unknown as TraceSummary];
    const hosts = new Set(traces.map((t) => envString(t.env.hostname)));
    const keyCount = new Map<string, number>();
    for (const t of traces) {
      const key = `${envString(t.env.hostname)}\0${envNumber(t.env.vpid)}`;
      keyCount.set(key, (keyCount.get(key) ?? 0) + 1);
    }
    const usedPids = new Set<number>();
    let nextFree = 1;
    traces.forEach((t, index) => {
      const vpid = envNumber(t.env.vpid);
      const hostname = envString(t.env.hostname);
      let pid = vpid ?? index + 1;
      if (usedPids.has(pid) || pid > MAX_PID) {
        while (usedPids.has(nextFree) || traces.some((o) => envNumber(o.env.vpid) === nextFree)) nextFree++;
        pid = nextFree;
      }
      usedPids.add(pid);
      const procname = envString(t.env.procname) ?? 'trace';
      const parts = [vpid === undefined ? '' : `pid ${vpid}`];
      if (hosts.size > 1 && hostname !== undefined) parts.push(hostname);
      if ((keyCount.get(`${hostname}\0${vpid}`) ?? 0) > 1 && t.path !== '') parts.push(t.path);
      const detail = parts.filter((p) => p !== '').join(', ');
      const process: ProcessTrack = { index, path: t.path, pid, vpid, hostname, name: detail === '' ? procname : `${procname} (${detail})` };
      this.processes.push(process);
      this.byPath.set(t.path, process);
    });
  }

  processOfStream(stream: string): ProcessTrack {
    return this.byPath.get(traceOfStream(stream)) ?? this.processes[0];
  }

  private addThread(process: ProcessTrack, tid: number, name: string, lost: boolean): ThreadTrack {
    let used = this.usedTids.get(process);
    if (used === undefined) this.usedTids.set(process, (used = new Set()));
    used.add(tid);
    const thread: ThreadTrack = { index: this.threads.length, process, tid, name, lost };
    this.threads.push(thread);
    return thread;
  }

  private syntheticTid(process: ProcessTrack): number {
    const used = this.usedTids.get(process);
    let tid = this.syntheticTids.get(process) ?? SYNTHETIC_TID_BASE;
    while (used?.has(tid) === true) tid++;
    this.syntheticTids.set(process, tid + 1);
    return tid;
  }

  /** The thread of an event: its vtid when the context has one, else its stream file. */
  thread(stream: string, context?: Record<string, unknown>): ThreadTrack {
    const vtid = context === undefined ? undefined : envNumber(context.vtid);
    if (vtid === undefined) {
      let thread = this.byStream.get(stream);
      if (thread === undefined) {
        const process = this.processOfStream(stream);
        // The first stream file of a process is shown as its main thread (tid = pid).
        const first = !this.threads.some((t) => t.process === process && !t.lost) && !(this.usedTids.get(process)?.has(process.pid) ?? false);
        thread = this.addThread(process, first ? process.pid : this.syntheticTid(process), channelOfStream(stream), false);
        this.byStream.set(stream, thread);
      }
      return thread;
    }
    const process = this.processOfStream(stream);
    const key = `${process.index}\0${vtid}`;
    let thread = this.byVtid.get(key);
    if (thread === undefined) {
      const threadName = envString(context?.thread_name);
      const name = threadName ?? (vtid === process.vpid ? `main (tid ${vtid})` : `thread ${vtid}`);
      thread = this.addThread(process, vtid, name, false);
      this.byVtid.set(key, thread);
    }
    return thread;
  }

  /** The track of lost-event ranges of a stream file (beside its thread, so ranges never cut slices). */
  lostTrack(stream: string): ThreadTrack {
    const owner = this.thread(stream);
    let lost = this.lostByThread.get(owner);
    if (lost === undefined) {
      lost = this.addThread(owner.process, this.syntheticTid(owner.process), `${channelOfStream(stream)}: lost events`, true);
      this.lostByThread.set(owner, lost);
    }
    return lost;
  }
}

/** Earliest time known before reading events (packet begins), or undefined without packet info. */
export function earliestNs(info: TraceInfo): bigint | undefined {
  let min: bigint | undefined;
  for (const t of info.traces) {
    for (const s of t.streams) {
      if (s.beginNs !== undefined && (min === undefined || s.beginNs < min)) min = s.beginNs;
      for (const d of s.discarded) if (d.beginNs !== undefined && (min === undefined || d.beginNs < min)) min = d.beginNs;
    }
  }
  return min;
}
