/**
 * The main thread's side: publishes the sessions' configuration to every worker (environment
 * data for workers created later, a broadcast for the running ones) and routes what workers
 * send back (their rings, their flush acknowledgements) to the session they belong to.
 */
import { BroadcastChannel, setEnvironmentData, type Worker } from 'node:worker_threads';
import { processState } from '../process/state.js';
import { CONFIG_ENV_KEY, HUB_CHANNEL, type HubMessage, type RingsMessage, type SessionDescriptor } from './messages.js';

export interface HubSession {
  readonly uuid: string;
  describe(): SessionDescriptor;
  adoptRings(message: RingsMessage): void;
  /** A thread that handed it rings has ended. */
  threadEnded(vtid: number): void;
  /** A worker's channels with nothing open at `timestampNs`. */
  foreignIdle(vtid: number, idle: readonly { index: number; packets: number }[], timestampNs: number): void;
}

interface PendingFlush { uuid: string; waiting: Set<number>; done: () => void }

export class MainHub {
  private readonly sessions = new Map<string, HubSession>();
  private readonly channel = new BroadcastChannel(HUB_CHANNEL);
  /** vtids that handed rings to a session, by session uuid. */
  private readonly writers = new Map<string, Set<number>>();
  private readonly ended = new Set<number>();
  private readonly pending = new Set<PendingFlush>();

  constructor() {
    this.channel.onmessage = (event: unknown) => this.receive((event as { data: HubMessage }).data);
    // Never keeps the application alive.
    this.channel.unref();
    // Workers created by this thread: their end settles the flushes that wait for them.
    process.on('worker', (worker: Worker) => {
      const vtid = worker.threadId;
      worker.once('exit', () => this.threadEnded(vtid));
    });
  }

  add(session: HubSession): void {
    this.sessions.set(session.uuid, session);
    this.publish();
  }

  remove(session: HubSession): void {
    if (!this.sessions.delete(session.uuid)) return;
    this.writers.delete(session.uuid);
    this.publish();
  }

  publish(): void {
    const sessions = [...this.sessions.values()].map((s) => s.describe());
    try {
      setEnvironmentData(CONFIG_ENV_KEY, { type: 'config', sessions });
      this.channel.postMessage({ type: 'config', sessions } satisfies HubMessage);
    } catch { /* a closed channel at exit: nothing to tell */ }
  }

  /**
   * Asks every worker to close its partly filled packets of `uuid`; resolves once each worker
   * that writes for it answered or ended, or after `timeoutMs` (a worker busy in a synchronous
   * loop answers when it yields).
   */
  flush(uuid: string, timeoutMs: number): Promise<void> {
    const waiting = new Set([...(this.writers.get(uuid) ?? [])].filter((vtid) => !this.ended.has(vtid)));
    try {
      this.channel.postMessage({ type: 'flush', uuid } satisfies HubMessage);
    } catch { return Promise.resolve(); }
    if (waiting.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const entry: PendingFlush = { uuid, waiting, done: () => { clearTimeout(timer); this.pending.delete(entry); resolve(); } };
      const timer = setTimeout(entry.done, timeoutMs);
      this.pending.add(entry);
    });
  }

  private threadEnded(vtid: number): void {
    this.ended.add(vtid);
    for (const [uuid, vtids] of this.writers) {
      if (vtids.has(vtid)) this.sessions.get(uuid)?.threadEnded(vtid);
    }
    for (const entry of [...this.pending]) {
      entry.waiting.delete(vtid);
      if (entry.waiting.size === 0) entry.done();
    }
  }

  private receive(message: HubMessage): void {
    if (message === null || typeof message !== 'object') return;
    if (message.type === 'rings') {
      const session = this.sessions.get(message.uuid);
      if (session === undefined) return;
      let vtids = this.writers.get(message.uuid);
      if (vtids === undefined) this.writers.set(message.uuid, vtids = new Set());
      vtids.add(message.vtid);
      session.adoptRings(message);
    } else if (message.type === 'hello') {
      // A worker created before the last change (its environment data is older) or whose side
      // started after the last broadcast.
      this.publish();
    } else if (message.type === 'idle') {
      this.sessions.get(message.uuid)?.foreignIdle(message.vtid, message.idle, message.ts);
    } else if (message.type === 'flushed') {
      for (const entry of [...this.pending]) {
        if (entry.uuid !== message.uuid) continue;
        entry.waiting.delete(message.vtid);
        if (entry.waiting.size === 0) entry.done();
      }
    }
  }
}

/** The main thread's hub, created with the first session that records (null in a worker). */
export function mainHub(): MainHub | null {
  const threads = processState.threads;
  if (threads === null || !threads.isMain) return null;
  if (threads.hub === null) threads.hub = new MainHub();
  return threads.hub as MainHub;
}
