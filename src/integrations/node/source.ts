/**
 * What every Node.js core source of `node:*` markers shares: the shape the integration drives,
 * ids, and safe reads of foreign objects (an integration must never throw into Node's code).
 */
import dc from 'node:diagnostics_channel';

/** One Node.js facility (a diagnostics channel family, a perf_hooks observer, a sampler). */
export interface NodeSource {
  /** Short name used in docs and errors: `http.server`, `gc`, `eventloop`. */
  readonly name: string;
  /** The names of its markers (what declare() declares): rules are matched against these first. */
  readonly names: readonly string[];
  /** False when the running Node has no such facility: its markers are then not declared. */
  available(): boolean;
  /** Declares the source's markers (called once) and returns them. */
  declare(): readonly DeclaredMarker[];
  /** Subscribes / observes / samples. Called when the first of its markers turns on. */
  start(): void;
  /** Undoes everything start() did. Called when the last of its markers turns off. */
  stop(): void;
  /** Writes the events it holds back (called before a session stops recording). */
  flush?(): void;
}

/** What the integration needs of a declared marker. */
export interface DeclaredMarker {
  readonly id: number;
  readonly enabled: boolean;
}

/**
 * A source that is a set of diagnostics channels, subscribed together (Node 20+ has them all);
 * `afterStop` forgets what the source kept of the messages.
 */
export function channelSource(
  name: string,
  names: readonly string[],
  declare: () => readonly DeclaredMarker[],
  channels: readonly (readonly [string, (message: unknown) => void])[],
  afterStop: () => void = () => {},
): NodeSource {
  return {
    name,
    names,
    available: () => true,
    declare,
    start() {
      for (const [channel, onMessage] of channels) dc.subscribe(channel, onMessage);
    },
    stop() {
      for (const [channel, onMessage] of channels) dc.unsubscribe(channel, onMessage);
      afterStop();
    },
  };
}

let lastId = 0;

/**
 * Process-wide ids for requests, sockets and processes (one counter: an id names one thing in
 * the whole trace of this thread). 0 means "none".
 */
export function nextId(): number {
  lastId = lastId >= Number.MAX_SAFE_INTEGER ? 1 : lastId + 1;
  return lastId;
}

/** Per-object state kept on Node's own objects under symbols (no WeakMap entry per request). */
export type Tagged = Record<symbol, unknown>;

export function tagNumber(object: unknown, key: symbol): number {
  const value = (object as Tagged)[key];
  return typeof value === 'number' ? value : 0;
}

/** A string property, or '' (undefined, a number, an object). */
export function str(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

/**
 * `socket.bytesWritten`, without its cost when nothing waits in the socket's buffer: Node's
 * getter copies the write buffer into a fresh array (and walks it) on every read; with nothing
 * buffered it returns `_bytesDispatched`, read here directly. Anything else (buffered or pending
 * data, a socket without these fields) goes through the getter.
 */
export function socketBytesWritten(socket: unknown): number {
  if (typeof socket !== 'object' || socket === null) return 0;
  const s = socket as { _bytesDispatched?: unknown; writableLength?: unknown; _pendingData?: unknown; bytesWritten?: unknown };
  const dispatched = s._bytesDispatched;
  if (typeof dispatched === 'number' && s.writableLength === 0 && s._pendingData == null) return dispatched;
  return num(s.bytesWritten);
}

/** A finite number, or 0. */
export function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

export interface ErrorParts {
  name: string;
  code: string;
  message: string;
  /** The first `at ...` line of the stack, trimmed; '' when there is none. */
  stackLine: string;
}

/** What an `error` marker of a client span takes: `span_id name code message duration_ns`. */
type ErrorMarker = ((id: number, name: string, code: string, message: string, durationNs: number) => void) & { readonly enabled: boolean };

/** Fires `marker` for `error` of span `id` (reading the error only when the marker is on). */
export function emitError(marker: ErrorMarker, id: number, error: unknown, durationNs: number): void {
  if (!marker.enabled) return;
  const e = errorParts(error);
  marker(id, e.name, e.code, e.message, durationNs);
}

/** Reads an error's parts without letting a hostile getter reach the caller. */
export function errorParts(error: unknown): ErrorParts {
  const parts: ErrorParts = { name: typeof error, code: '', message: '', stackLine: '' };
  try {
    if (typeof error !== 'object' || error === null) {
      parts.message = typeof error === 'string' ? error : String(error);
      return parts;
    }
    const e = error as { name?: unknown; code?: unknown; message?: unknown; stack?: unknown };
    parts.name = str(e.name) || 'Error';
    parts.code = str(e.code);
    parts.message = str(e.message);
    const stack = str(e.stack);
    const at = stack.indexOf('\n    at ');
    if (at >= 0) {
      const end = stack.indexOf('\n', at + 1);
      parts.stackLine = stack.slice(at + 1, end < 0 ? undefined : end).trim();
    }
  } catch { /* a throwing getter: keep what was read */ }
  return parts;
}
