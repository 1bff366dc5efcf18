/**
 * `node:worker:*`: worker threads started by this thread (channel `worker_threads`, Node 20+).
 * The channel gives the Worker object, which does not expose its script: the thread id names it.
 */
import dc from 'node:diagnostics_channel';
import { marker } from '../../marker/index.js';
import { creatingOwnWorker } from '../../threads/own-worker.js';
import { nextId, num, tagNumber, type NodeSource, type Tagged } from './source.js';

const CHANNEL = 'worker_threads';
const kId = Symbol('tracemark.worker.id');
const kThread = Symbol('tracemark.worker.thread');

function declare() {
  return {
    begin: marker('node:worker:begin', 'span_id %lu thread_id %d'),
    end: marker('node:worker:end', 'span_id %lu thread_id %d code %d'),
  };
}
let m: ReturnType<typeof declare>;

interface WorkerLike {
  threadId?: number;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
}

function onExit(this: WorkerLike, code: unknown): void {
  const id = tagNumber(this, kId);
  if (id === 0) return;
  (this as unknown as Tagged)[kId] = 0;
  // threadId reads -1 once the thread is gone: the begin event has it.
  m.end(id, tagNumber(this, kThread), num(code));
}


function onWorker(message: unknown): void {
  // Tracemark's own drainer or relay sender: never recorded.
  if (creatingOwnWorker()) return;
  const { worker } = message as { worker: WorkerLike };
  const id = nextId();
  const threadId = num(worker.threadId);
  (worker as unknown as Tagged)[kId] = id;
  (worker as unknown as Tagged)[kThread] = threadId;
  worker.once('exit', onExit);
  m.begin(id, threadId);
}

export const workerSource: NodeSource = {
  name: 'worker',
  names: ['node:worker:begin', 'node:worker:end'],
  available: () => true,
  declare() {
    m = declare();
    return Object.values(m);
  },
  start() { dc.subscribe(CHANNEL, onWorker); },
  stop() { dc.unsubscribe(CHANNEL, onWorker); },
};
