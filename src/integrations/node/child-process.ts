/** `node:child_process:*`: processes started by `child_process` (channel `child_process`, Node 20+). */
import dc from 'node:diagnostics_channel';
import { marker } from '../../marker/index.js';
import { nextId, num, str, tagNumber, type NodeSource, type Tagged } from './source.js';

const CHANNEL = 'child_process';
const kId = Symbol('tracemark.child.id');
/** Long command lines are cut: an event must fit in a sub-buffer. */
const MAX_ARGS_CHARS = 1024;

function declare() {
  return {
    begin: marker('node:child_process:begin', 'span_id %lu pid %d file %s args %s'),
    end: marker('node:child_process:end', 'span_id %lu pid %d code %d signal %s'),
  };
}
let m: ReturnType<typeof declare>;

interface ChildLike {
  pid?: number;
  spawnfile?: string;
  spawnargs?: unknown;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
}

function onExit(this: ChildLike, code: unknown, signal: unknown): void {
  const id = tagNumber(this, kId);
  if (id === 0) return;
  (this as unknown as Tagged)[kId] = 0;
  // code is null when a signal ended the process: -1 then, and the signal is named.
  m.end(id, num(this.pid), typeof code === 'number' ? code : -1, str(signal));
}

function argsOf(child: ChildLike): string {
  const args = child.spawnargs;
  if (!Array.isArray(args)) return '';
  // spawnargs[0] is argv0, the file again.
  const text = args.slice(1).map(str).join(' ');
  return text.length > MAX_ARGS_CHARS ? `${text.slice(0, MAX_ARGS_CHARS)}...` : text;
}

/** 'spawn': the process runs and has its pid (the channel is published before it starts). */
function onSpawned(this: ChildLike): void {
  const id = nextId();
  (this as unknown as Tagged)[kId] = id;
  m.begin(id, num(this.pid), str(this.spawnfile), argsOf(this));
}

function onChild(message: unknown): void {
  const { process: child } = message as { process: ChildLike };
  // A process that fails to start emits neither: no span.
  child.once('spawn', onSpawned);
  child.once('exit', onExit);
}

export const childProcessSource: NodeSource = {
  name: 'child_process',
  names: ['node:child_process:begin', 'node:child_process:end'],
  available: () => true,
  declare() {
    m = declare();
    return Object.values(m);
  },
  start() { dc.subscribe(CHANNEL, onChild); },
  stop() { dc.unsubscribe(CHANNEL, onChild); },
};
