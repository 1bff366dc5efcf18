/**
 * Tracemark's own threads (the drainer, the relay sender) are not the application's: they must
 * not show up where the application watches its threads. Node announces a new Worker twice:
 * the `worker_threads` diagnostics channel, synchronously inside the constructor, and
 * `process.emit('worker', worker)` on the next tick. The first is silenced for the constructor's
 * duration (the channel's `publish` shadowed by an own no-op, removed right after: nothing else
 * runs in between), and `creatingOwnWorker()` tells our `node:worker:*` source too; the second is
 * kept from the application's `process.on('worker')` listeners. What cannot be hidden: the
 * thread id it takes.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

let creating = 0;

/** True while tracemark constructs one of its own threads. */
export function creatingOwnWorker(): boolean {
  return creating > 0;
}

export function startOwnWorker(script: URL, options: WorkerOptions): Worker {
  const channel = channelOfWorkers();
  // Someone else's own `publish` (another copy of tracemark creating its thread) is left alone.
  const silenced = channel !== null && !Object.hasOwn(channel, 'publish');
  if (silenced) Object.defineProperty(channel, 'publish', { value: silent, configurable: true, writable: true });
  creating++;
  let worker: Worker;
  try {
    worker = new Worker(script, options);
  } finally {
    creating--;
    if (silenced) delete (channel as { publish?: unknown }).publish;
  }
  hideWorkerEvent(worker);
  return worker;
}

function silent(): void {}

function channelOfWorkers(): object | null {
  try {
    return process.getBuiltinModule('node:diagnostics_channel').channel('worker_threads');
  } catch {
    return null;
  }
}

type Emit = (this: NodeJS.Process, event: string | symbol, ...args: unknown[]) => boolean;

function hideWorkerEvent(worker: Worker): void {
  const original = process.emit as unknown as Emit;
  const filtered: Emit = function (event, ...args) {
    if (event === 'worker' && args[0] === worker) {
      restore();
      return false;
    }
    return original.call(this, event, ...args);
  };
  // Put back only if nobody wrapped process.emit meanwhile; otherwise ours stays in their chain
  // and lets everything through once the event has passed.
  const restore = (): void => {
    if ((process.emit as unknown) === filtered) process.emit = original as unknown as typeof process.emit;
  };
  process.emit = filtered as unknown as typeof process.emit;
  // The event comes on the next tick; never keep the wrapper longer than this turn.
  setImmediate(restore).unref();
}

/** How much lower than the process's threads tracemark's own threads run (nice steps, Linux). */
export const OWN_THREAD_NICE_STEPS = 5;

/**
 * Run inside one of tracemark's own threads: lowers this thread's scheduling priority, so that
 * waking it (a packet committed, once per sub-buffer) never takes a core from the application's
 * threads; on an idle core it still runs at full speed. When every core is busy, it yields to
 * the application: the ring fills and drops, counted, instead of the application slowing down.
 * Linux only (a thread is a task with its own nice value); elsewhere, or when refused, nothing.
 */
export function yieldToApplication(): void {
  if (process.platform !== 'linux') return;
  try {
    const { readlinkSync } = process.getBuiltinModule('node:fs');
    const { getPriority, setPriority } = process.getBuiltinModule('node:os');
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return;
    setPriority(tid, Math.min(19, getPriority(tid) + OWN_THREAD_NICE_STEPS));
  } catch { /* no /proc, or refused: the thread keeps the process's priority */ }
}
