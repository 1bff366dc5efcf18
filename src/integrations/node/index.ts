/**
 * Node.js core as `node:*` markers. A source's markers are declared when a recording session's
 * rules first match one of them (not at import), and a source subscribes to Node only while one
 * of its markers is on: with no session recording a `node:*` marker, nothing is subscribed,
 * observed or sampled.
 */
import { onEnabledChange } from '../../chain/enable.js';
import { TracemarkError } from '../../errors/index.js';
import { claimRequestContext, setRequestContext } from './context.js';
import { childProcessSource } from './child-process.js';
import { eventLoopSource, setSampleInterval } from './event-loop.js';
import { fetchSource } from './fetch.js';
import { gcSource } from './gc.js';
import { httpClient } from './http-client.js';
import { httpServer } from './http-server.js';
import { netSource } from './net.js';
import { processSource } from './process.js';
import type { NodeSource } from './source.js';
import { udpSource } from './udp.js';
import { workerSource } from './worker.js';


/** Session options of the Node.js integration (`new Session({ node: { ... } })`). */
export interface NodeSessionOptions {
  /** Event-loop sampling interval in ms (`node:eventloop:*`), 10..3600000; default 1000. */
  sampleIntervalMs?: number;
  /**
   * Track the HTTP server request being handled through AsyncLocalStorage, for `$ctx.request`
   * in filters and `currentRequest()`. Also turned on by a rule whose filter uses `$ctx.request`.
   */
  requestContext?: boolean;
}

const SOURCES: readonly NodeSource[] = [
  httpServer, httpClient, fetchSource, netSource, udpSource, childProcessSource, workerSource,
  gcSource, eventLoopSource, processSource,
];

interface SourceState {
  readonly source: NodeSource;
  declared: boolean;
  /** How many of its markers are on. */
  enabledMarkers: number;
  running: boolean;
}

/** What one recording session asks of the integration. */
interface Wish {
  requestContext: boolean;
  readonly sampleIntervalMs: number | undefined;
  /** Whether one of the session's rules enables this marker name. */
  readonly matches: (name: string) => boolean;
}

const DEFAULT_SAMPLE_INTERVAL_MS = 1000;
const states: SourceState[] = [];
const sourceOfMarker = new Map<number, SourceState>();
const wishes = new Set<Wish>();
let listening = false;

function contextWanted(): boolean {
  for (const wish of wishes) if (wish.requestContext) return true;
  return false;
}

function update(state: SourceState): void {
  const wanted = state.declared && (state.enabledMarkers > 0 || (state.source === httpServer && contextWanted()));
  if (wanted === state.running) return;
  state.running = wanted;
  try {
    if (wanted) state.source.start();
    else state.source.stop();
  } catch (error) {
    // A source that fails is left out; tracing goes on (the application must not see it).
    state.running = false;
    process.emitWarning(`tracemark: node source ${state.source.name} failed: ${(error as Error).message}`, { code: 'ERR_NODE_SOURCE' });
  }
}

function declare(state: SourceState): void {
  state.declared = true;
  for (const m of state.source.declare()) {
    sourceOfMarker.set(m.id, state);
    // A marker declared while a session matches it is on at once (before it was in the map).
    if (m.enabled) state.enabledMarkers++;
  }
}

/**
 * Declares the markers of the sources that some session's rules match, and of `http.server`
 * when the request context is wanted. Sources nobody asks for stay undeclared: their event
 * classes do not fill every trace's metadata, nor take the small ids (ids up to 30 get the
 * compact 4-byte event header) from the application's markers.
 */
function declareWanted(): void {
  if (!listening) {
    listening = true;
    onEnabledChange((registration, enabled) => {
      const state = sourceOfMarker.get(registration.id);
      if (state === undefined) return;
      state.enabledMarkers = Math.max(0, state.enabledMarkers + (enabled ? 1 : -1));
      update(state);
    });
    for (const source of SOURCES) {
      let available = false;
      try { available = source.available(); } catch { /* absent */ }
      if (available) states.push({ source, declared: false, enabledMarkers: 0, running: false });
    }
  }
  const context = contextWanted();
  for (const state of states) {
    if (state.declared) continue;
    const asked = (context && state.source === httpServer)
      || state.source.names.some((name) => [...wishes].some((wish) => wish.matches(name)));
    if (asked) declare(state);
  }
}

function apply(): void {
  declareWanted();
  setRequestContext(contextWanted());
  for (const state of states) update(state);
  let interval: number | undefined;
  for (const wish of wishes) if (wish.sampleIntervalMs !== undefined) interval = Math.min(interval ?? Infinity, wish.sampleIntervalMs);
  setSampleInterval(interval ?? DEFAULT_SAMPLE_INTERVAL_MS);
}

/** Names of the `node:*` markers the running Node has, declared or not (docs/node.md). */
export function nodeMarkerNames(): string[] {
  return SOURCES.filter((source) => { try { return source.available(); } catch { return false; } }).flatMap((source) => source.names);
}

export function checkNodeSessionOptions(options: unknown): NodeSessionOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) throw new TracemarkError('ERR_INVALID_ARG', 'session option "node" must be an object');
  const { sampleIntervalMs, requestContext } = options as Record<string, unknown>;
  if (sampleIntervalMs !== undefined && (!Number.isInteger(sampleIntervalMs) || (sampleIntervalMs as number) < 10 || (sampleIntervalMs as number) > 3_600_000)) {
    throw new TracemarkError('ERR_INVALID_ARG', `node.sampleIntervalMs must be an integer from 10 to 3600000, got ${String(sampleIntervalMs)}`);
  }
  if (requestContext !== undefined && typeof requestContext !== 'boolean') {
    throw new TracemarkError('ERR_INVALID_ARG', 'node.requestContext must be a boolean');
  }
  return options as NodeSessionOptions;
}

/** A recording session's link to the integration; returned by attachNodeSession. */
export interface NodeAttachment {
  /** The session's rules changed: declare what they now match; `requestContext` as they now need. */
  rulesChanged(requestContext: boolean): void;
  /** Has the running sources write what they hold back, while the session still records. */
  flush(): void;
  detach(): void;
}

function attachLocal(options: NodeSessionOptions, requestContext: boolean, matches: (name: string) => boolean): NodeAttachment {
  const wish: Wish = { requestContext: requestContext || options.requestContext === true, sampleIntervalMs: options.sampleIntervalMs, matches };
  wishes.add(wish);
  apply();
  let attached = true;
  return {
    rulesChanged(on) {
      if (!attached) return;
      wish.requestContext = on || options.requestContext === true;
      apply();
    },
    flush() {
      for (const state of states) {
        if (!state.running) continue;
        try { state.source.flush?.(); } catch { /* the events held back are lost; tracing goes on */ }
      }
    },
    detach() {
      if (!attached) return;
      attached = false;
      wishes.delete(wish);
      apply();
    },
  };
}

/** The sources subscribed to Node right now (for tests of the "off" state). */
export function runningNodeSources(): string[] {
  return states.filter((state) => state.running).map((state) => state.source.name);
}

/**
 * One integration per process: every copy of tracemark loaded in a thread shares the registry
 * and the enable chain (src/process/state.ts), so two copies subscribing to Node would write
 * every node:* event twice. The first copy's integration serves every copy's sessions.
 */
const SHARED_KEY = Symbol.for('tracemark.node-integration.v1');
let sharedAttach: typeof attachLocal | undefined;

/**
 * Called by a session when it starts recording, before its rules are matched; `matches` tells
 * whether its rules enable a marker name. detach() when it stops.
 */
export function attachNodeSession(options: NodeSessionOptions, requestContext: boolean, matches: (name: string) => boolean): NodeAttachment {
  if (sharedAttach === undefined) {
    const holder = globalThis as unknown as Record<symbol, typeof attachLocal | undefined>;
    sharedAttach = holder[SHARED_KEY];
    if (sharedAttach === undefined) {
      sharedAttach = attachLocal;
      Object.defineProperty(globalThis, SHARED_KEY, { value: attachLocal, enumerable: false, writable: false, configurable: true });
      claimRequestContext();
    }
  }
  return sharedAttach(options, requestContext, matches);
}

export { currentRequest } from './context.js';
