/**
 * Tracemark's own threads (the drainer, the relay sender) are not the application's: they must
 * not show up where the application watches its threads. Node announces a new Worker twice:
 * the `worker_threads` diagnostics channel, synchronously inside the constructor, and
 * `process.emit('worker', worker)` on the next tick. The first is told apart by
 * `creatingOwnWorker()` (our `node:worker:*` source skips it); the second is kept from the
 * application's `process.on('worker')` listeners. What cannot be hidden: the thread id it takes.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

let creating = 0;

/** True while tracemark constructs one of its own threads. */
export function creatingOwnWorker(): boolean {
  return creating > 0;
}

export function startOwnWorker(script: URL, options: WorkerOptions): Worker {
  creating++;
  let worker: Worker;
  try {
    worker = new Worker(script, options);
  } finally {
    creating--;
  }
  hideWorkerEvent(worker);
  return worker;
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
