/**
 * What tracemark does when the process ends. One 'exit' listener serves every trace writer and
 * control socket (not one each: eleven sessions must not trip MaxListenersExceededWarning). While
 * some hook is registered on the main thread, SIGTERM, SIGINT and SIGHUP are watched too: when the
 * application has no listener of its own for the signal, the hooks run (buffered events reach the
 * disk, the socket file goes) and the signal is raised again with its default action, so that
 * the process ends exactly as the signal would have ended it. A listener of the application's own
 * is left to decide; 'exit' finishes the trace if it exits.
 *
 * Like any JavaScript signal listener, ours runs when the event loop turns: a synchronous loop
 * that never yields defers the end of the process until it yields (SIGKILL does not wait).
 */
import { writeSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

export type EndHook = () => void;

export const FATAL_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type FatalSignal = typeof FATAL_SIGNALS[number];

/**
 * Marks tracemark's own signal listeners (of any copy of tracemark in the process), so that they
 * never count as the application's: 'flush' for this module's, 'exit' for the `record` preload's,
 * which ends the process through process.exit() (then 'exit' flushes).
 */
export const TRACEMARK_LISTENER = Symbol.for('tracemark.signal-listener');
type ListenerKind = 'flush' | 'exit';

const hooks = new Set<EndHook>();
let ending = false;
let installed = false;

function runHooks(): void {
  for (const hook of [...hooks]) {
    hooks.delete(hook);
    try {
      hook();
    } catch { /* one hook's failure must not keep the others from finishing */ }
  }
}

const onExit = (): void => {
  ending = true;
  runHooks();
};

/** Marks `fn` as tracemark's own signal listener (see foreignListenerCount). */
export function markTracemarkListener<T extends (...args: never[]) => void>(fn: T, kind: ListenerKind = 'exit'): T {
  Object.defineProperty(fn, TRACEMARK_LISTENER, { value: kind });
  return fn;
}

function kindOf(fn: unknown): ListenerKind | undefined {
  return (fn as Record<symbol, ListenerKind | undefined>)[TRACEMARK_LISTENER];
}

/** Listeners of `signal` that are not tracemark's: the application's own. */
export function foreignListenerCount(signal: NodeJS.Signals): number {
  return process.listeners(signal).filter((fn) => kindOf(fn) === undefined).length;
}

const signalListeners = new Map<FatalSignal, () => void>(FATAL_SIGNALS.map((signal) => [signal, markTracemarkListener(() => {
  // Only when every listener is of this kind (this copy's or another copy's): the application's
  // handler, or the `record` preload's (which exits with 128 + n through 'exit'), decides otherwise.
  if (process.listeners(signal).some((fn) => kindOf(fn) !== 'flush')) return;
  ending = true;
  runHooks();
  uninstall();
  process.kill(process.pid, signal);
}, 'flush')]));

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', onExit);
  if (!isMainThread) return; // signals reach the main thread only
  for (const [signal, listener] of signalListeners) process.on(signal, listener);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.removeListener('exit', onExit);
  for (const [signal, listener] of signalListeners) process.removeListener(signal, listener);
}

/** Runs `hook` once, synchronously, when the process ends; returns a function that removes it. */
export function onProcessEnd(hook: EndHook): () => void {
  hooks.add(hook);
  install();
  return () => {
    hooks.delete(hook);
    if (hooks.size === 0) uninstall();
  };
}

/** True from the moment the process started ending: asynchronous work will not run any more. */
export function processEnding(): boolean {
  return ending;
}

/** A warning that must be seen even when the process is ending (emitWarning prints on a later tick). */
export function warnNow(message: string, code: string): void {
  if (!ending) {
    process.emitWarning(message, { code });
    return;
  }
  try {
    writeSync(2, `(node:${process.pid}) [${code}] Warning: ${message}\n`);
  } catch { /* no stderr: nothing more to do */ }
}
