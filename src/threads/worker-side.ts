/**
 * A worker thread's side: the sessions of the main thread, seen from here. Each one gets rings
 * of this thread (no lock, no message on the hot path: this thread is their only producer),
 * handed once to the main thread, whose drainer writes them as streams `<channel>_<threadId>`.
 * Rules and filters come as messages (applied when this thread next yields); the recording
 * switches are shared cells, read by the fire functions at every event.
 */
import { BroadcastChannel, getEnvironmentData, threadId } from 'node:worker_threads';
import { addTargetSource, recomputeAll, removeTargetSource, type TargetSource } from '../chain/enable.js';
import type { Target } from '../chain/fire.js';
import { chainStats } from '../chain/enable.js';
import { uuidToBytes } from '../ctf/metadata.js';
import { compileFilter, parseFilter, type FilterExpression } from '../filter/index.js';
import { processState } from '../process/state.js';
import type { Registration } from '../registry/index.js';
import { Channel } from '../ring/channel.js';
import { clockNowNs } from '../ring/clock.js';
import { compilePattern, decidingRule, type Rule } from '../session/rules.js';
import { CONFIG_ENV_KEY, HUB_CHANNEL, type ConfigMessage, type HubMessage, type SessionDescriptor } from './messages.js';

/** Bits of stream_instance_id below the thread id: the channel's index. */
const INSTANCE_CHANNEL_BITS = 12;

function rejectAll(): boolean {
  // A predicate or callback of the main thread cannot run here: its events stay out, counted.
  chainStats.filtered++;
  return false;
}

class RemoteSession implements TargetSource {
  readonly uuid: string;
  private readonly channels: Channel[] = [];
  private rules: Rule[] = [];
  private callbacks = false;
  /** The main thread's cell of the session's recording switch, read by the fire functions. */
  private readonly recording: Int32Array;
  private readonly post: (message: HubMessage) => void;
  private flushTimer: NodeJS.Timeout | null = null;
  private flushIntervalMs = 0;

  constructor(descriptor: SessionDescriptor, post: (message: HubMessage) => void) {
    this.uuid = descriptor.uuid;
    this.post = post;
    // A view of the cell itself, as the main thread's targets have: the fire function is the
    // same in every thread (no accessor, one typed-array load).
    this.recording = new Int32Array(processState.threads!.flags.buffer, descriptor.recordingCell * 4, 1);
    const doorbell = new Int32Array(descriptor.doorbell);
    const uuidBytes = uuidToBytes(descriptor.uuid);
    for (const c of descriptor.channels) {
      const channel = new Channel(c.name, { subbufSize: c.subbufSize, subbufCount: c.subbufCount, mode: c.mode });
      channel.setStreamIdentity(uuidBytes, threadId * 2 ** INSTANCE_CHANNEL_BITS + c.index);
      channel.poisonOnOpen = true;
      channel.onCommit = () => {
        Atomics.add(doorbell, 0, 1);
        Atomics.notify(doorbell, 0);
      };
      this.channels.push(channel);
    }
    this.update(descriptor);
    post({
      type: 'rings', uuid: this.uuid, vtid: threadId,
      channels: this.channels.map((c) => ({ name: c.name, data: c.data, ctrl: c.ctrl, subbufSize: c.subbufSize, subbufCount: c.subbufCount })),
    });
  }

  update(descriptor: SessionDescriptor): void {
    this.callbacks = descriptor.callbacks;
    this.setFlushInterval(descriptor.flushIntervalMs ?? 0);
    this.rules = descriptor.rules.map((r) => {
      let filter: Rule['filter'];
      if (r.filter === null) filter = undefined;
      else if (typeof r.filter === 'string') filter = parseFilter(r.filter);
      else filter = rejectAll;
      return { pattern: r.pattern, matcher: compilePattern(r.pattern), on: r.on, channel: r.channel ?? undefined, filter };
    });
  }

  targetsFor(registration: Registration): Target[] {
    const targets: Target[] = [];
    for (const channel of this.channels) {
      const rule = decidingRule(this.rules, registration.name, channel.name);
      if (rule === undefined || !rule.on) continue;
      let expression: Target['expression'] = null;
      let accept: Target['accept'] = null;
      if (typeof rule.filter === 'function' || this.callbacks) {
        accept = rejectAll;
      } else if (rule.filter !== undefined) {
        expression = compileFilter(rule.filter as FilterExpression, registration.fields, {
          vpid: process.pid, vtid: threadId, procname: process.title,
        }, { valuesAreArrays: true });
        if (expression === null) continue;
      }
      targets.push({ recording: this.recording, channel, expression, accept });
    }
    return targets;
  }

  flush(): void {
    for (const channel of this.channels) channel.flush();
  }

  /** Stops the periodic flush (the session is gone). */
  detach(): void {
    this.setFlushInterval(0);
  }

  /**
   * A session streaming to a relay: this thread closes its own partly filled packets at the
   * live timer (the main thread cannot: it does not write these rings), and says which of its
   * channels are idle, so that live viewers get beacons instead of waiting on its streams.
   */
  private setFlushInterval(intervalMs: number): void {
    if (intervalMs === this.flushIntervalMs) return;
    this.flushIntervalMs = intervalMs;
    if (this.flushTimer !== null) clearInterval(this.flushTimer);
    this.flushTimer = null;
    if (intervalMs <= 0) return;
    this.flushTimer = setInterval(() => this.tick(), intervalMs);
    this.flushTimer.unref();
  }

  private tick(): void {
    if (this.recording[0] !== 1) return;
    this.flush();
    const ts = clockNowNs();
    const idle: { index: number; packets: number }[] = [];
    this.channels.forEach((channel, index) => {
      if (channel.currentPacket() === null) idle.push({ index, packets: channel.stats().packets });
    });
    if (idle.length > 0) this.post({ type: 'idle', uuid: this.uuid, vtid: threadId, ts, idle });
  }

  /**
   * This thread ends: close the open packets, and when a ring is full of packets the drainer
   * has not written yet, wait for it (a bounded while, on this ending thread only) so that the
   * losses get the packet that reports them.
   */
  finalFlush(): void {
    const deadline = Date.now() + FINAL_FLUSH_TIMEOUT_MS;
    const pause = new Int32Array(new SharedArrayBuffer(4));
    for (const channel of this.channels) {
      channel.flush();
      while (channel.hasUnreportedLosses && Date.now() < deadline) {
        Atomics.wait(pause, 0, 0, 5);
        channel.flush();
      }
    }
  }
}

/** How long an ending worker waits for the drainer to make room for its last packet. */
const FINAL_FLUSH_TIMEOUT_MS = 2000;

class WorkerSide {
  private readonly sessions = new Map<string, RemoteSession>();
  private readonly channel = new BroadcastChannel(HUB_CHANNEL);

  constructor() {
    this.channel.onmessage = (event: unknown) => {
      try {
        this.receive((event as { data: HubMessage }).data);
      } catch {
        chainStats.internalErrors++;
      }
    };
    this.channel.unref();
    // Normal end and uncaught exception: the partly filled packets go to the drainer.
    // (worker.terminate() runs no code here: the main thread counts what that loses.)
    process.on('exit', () => { for (const session of this.sessions.values()) session.finalFlush(); });
    const initial = getEnvironmentData(CONFIG_ENV_KEY) as ConfigMessage | undefined;
    if (initial !== undefined) this.apply(initial);
    // A session may have started between this worker's creation and now.
    this.post({ type: 'hello', vtid: threadId });
  }

  private post(message: HubMessage): void {
    try { this.channel.postMessage(message); } catch { chainStats.internalErrors++; }
  }

  private receive(message: HubMessage): void {
    if (message === null || typeof message !== 'object') return;
    if (message.type === 'config') this.apply(message);
    else if (message.type === 'flush') {
      const session = this.sessions.get(message.uuid);
      if (session === undefined) return;
      session.flush();
      this.post({ type: 'flushed', uuid: message.uuid, vtid: threadId });
    }
  }

  private apply(config: ConfigMessage): void {
    const seen = new Set<string>();
    for (const descriptor of config.sessions) {
      seen.add(descriptor.uuid);
      const existing = this.sessions.get(descriptor.uuid);
      if (existing !== undefined) {
        existing.update(descriptor);
        continue;
      }
      const session = new RemoteSession(descriptor, (m) => this.post(m));
      this.sessions.set(descriptor.uuid, session);
      addTargetSource(session);
    }
    for (const [uuid, session] of this.sessions) {
      if (seen.has(uuid)) continue;
      session.flush();
      session.detach();
      this.sessions.delete(uuid);
      removeTargetSource(session);
    }
    recomputeAll();
  }
}

/** Starts this worker's side once per thread, when the main thread shares its state. */
export function startWorkerSide(): void {
  const threads = processState.threads;
  if (threads === null || threads.isMain || threads.hub !== null) return;
  threads.hub = new WorkerSide();
}
