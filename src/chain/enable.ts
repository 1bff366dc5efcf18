/**
 * Decides, for every marker, whether it is on and where it writes: the first link of the chain.
 * Recomputed (off the hot path) whenever a session starts, stops, changes its rules or filters,
 * and whenever a probe is attached or detached or a marker is declared. A rule change recomputes
 * only the markers its pattern matches. Also here: each marker's switch, and `tracing`, the global
 * switch and counters of the chain (one module: each module the marker path loads costs start-up).
 */
import type { Registration } from '../registry/index.js';
import type { FireParts, Probe, Target } from './fire.js';
import { onFirstUse } from '../lazy/index.js';
import { processState, type ChainCounters } from '../process/state.js';

/**
 * A marker's switch: `on` and the `fire` function it calls when on.
 *
 * Each marker reads its own switch object through an immutable closure binding, in a function
 * generated for that marker alone (its own type feedback). Until the switch first changes, the
 * JIT treats `on` as a constant and the disabled marker compiles to nothing; after that, a
 * disabled call is one load and one never-taken branch.
 *
 * `fire` is the marker's one fire function (src/chain/fire.ts): set at the first enable and
 * kept when the marker is turned off, so that the marker's call to it has one target for ever.
 * Swapping it (a no-op when off, a new function per session) left that call site polymorphic,
 * then megamorphic, after a few sessions.
 *
 * Designs without any test were measured and rejected, see docs/design/zero-cost-markers.md:
 * swapping the called function leaves a megamorphic call; swapping the switch's prototype, so
 * that the JIT folds the value, turns the load megamorphic after a few cycles; global property
 * cells left the caller calling the marker out of line. Every fold-based design also deoptimises
 * each caller on every flip.
 */
export interface SwitchState {
  on: boolean;
  fire: (...args: unknown[]) => void;
}

function noop(): void {}

export function createSwitch(): SwitchState {
  return { on: false, fire: noop };
}

export function setSwitch(target: SwitchState, on: boolean, fire: ((...args: unknown[]) => void) | null): void {
  // Order matters for a marker firing from a probe during the swap: never on with a stale fire.
  target.on = false;
  if (fire !== null && target.fire !== fire) target.fire = fire;
  target.on = on && fire !== null;
}

// The process-wide switch of the enable chain, and the counters of everything the chain drops
// or survives on behalf of the application.

/** tracing.enabled, an accessor onto the switch cell that the fire functions read. */
export const globalSwitch: { enabled: boolean } = processState.globalSwitch;

/**
 * probeErrors: exceptions thrown by probes (attach callbacks), the event goes on; filterErrors:
 * thrown by filter callbacks, that event is dropped for that session; filtered: events rejected
 * by a filter; internalErrors: unexpected exceptions inside the tracer, swallowed so that the
 * caller never sees them. Shared by every copy of tracemark in the process.
 */
export const chainStats: ChainCounters = processState.chainStats;

export interface TracingStats {
  probeErrors: number;
  filterErrors: number;
  filtered: number;
  internalErrors: number;
  /** Arguments of the wrong type that were coerced or replaced by a placeholder. */
  coercedArguments: number;
}

/**
 * Process-wide tracing switch and counters.
 * @example
 * tracing.enabled = false; // stops all writing at once; probes still run
 * console.log(tracing.stats().coercedArguments);
 */
export const tracing = {
  get enabled(): boolean {
    return globalSwitch.enabled;
  },
  set enabled(value: boolean) {
    // One shared cell (src/process/state.ts): every thread's markers read it.
    globalSwitch.enabled = value === true;
  },
  stats(): TracingStats {
    return { ...chainStats, coercedArguments: processState.argumentStats.coerced };
  },
};

// The fire functions' compiler is loaded when a first marker is turned on (src/lazy).
const fireModule = onFirstUse<typeof import('./fire.js')>('chain/fire.js');

export interface TargetSource {
  targetsFor(registration: Registration): Target[];
}

export interface MarkerState {
  readonly registration: Registration;
  readonly switchState: SwitchState;
  readonly probes: Probe[];
}

/** Told when a marker turns on or off (not when only its targets change); see onEnabledChange. */
export type EnabledChangeListener = (registration: Registration, enabled: boolean) => void;

// Shared by every copy of tracemark in the process: a session of one copy enables the markers
// of all (src/process/state.ts).
const markers: MarkerState[] = processState.markerStates;
const sources: Set<TargetSource> = processState.targetSources;
/** Name index of `markers` (which only grows, also from other copies): filled up to `indexed`. */
const byName = new Map<string, MarkerState>();
let indexed = 0;

/**
 * Beyond this many markers turned on at once for the first time (a session starting with 100k
 * markers declared), a marker's fire function is compiled at its first fire instead of all at
 * once: compiling one costs tens of microseconds, and most markers of a huge registry never
 * fire. (The marker's call site then sees two functions, the stub and the real one, instead of
 * one; registries this large are rare enough for that trade.)
 */
const EAGER_BATCH_MAX = 512;
// Process-wide too, since any copy may recompute any marker: an optional field of the shared
// state, added by the first copy that needs it (older copies of the same state version ignore it).
const shared = processState as unknown as { enabledListeners?: Set<EnabledChangeListener> };
const enabledListeners: Set<EnabledChangeListener> = shared.enabledListeners ??= new Set();

/**
 * Calls `listener` whenever a marker turns on (a session's rule or a probe starts to match it)
 * or off. Listeners run off the hot path, during recomputation; an exception is swallowed.
 * Returns a function that removes the listener.
 */
export function onEnabledChange(listener: EnabledChangeListener): () => void {
  enabledListeners.add(listener);
  return () => { enabledListeners.delete(listener); };
}

function notifyEnabled(registration: Registration, enabled: boolean): void {
  for (const listener of enabledListeners) {
    try { listener(registration, enabled); } catch { /* a listener must not break the chain */ }
  }
}

export function addMarkerState(state: MarkerState): void {
  markers.push(state);
  recompute(state);
}

export function addTargetSource(source: TargetSource): void {
  sources.add(source);
  recomputeAll();
}

export function removeTargetSource(source: TargetSource): void {
  sources.delete(source);
  recomputeAll();
}

export function recomputeAll(): void {
  const lazy = markers.length > EAGER_BATCH_MAX;
  for (const state of markers) recompute(state, lazy);
}

/** Recomputes the markers a pattern matches (a rule about those names changed). */
export function recomputeMatching(pattern: { readonly literal: string | undefined; test(name: string): boolean }): void {
  if (pattern.literal !== undefined) {
    for (; indexed < markers.length; indexed++) byName.set(markers[indexed].registration.name, markers[indexed]);
    const state = byName.get(pattern.literal);
    if (state !== undefined) recompute(state);
    return;
  }
  const matching = markers.filter((state) => pattern.test(state.registration.name));
  const lazy = matching.length > EAGER_BATCH_MAX;
  for (const state of matching) recompute(state, lazy);
}

/** A fire function that compiles the real one on its first call and puts it in its place. */
function compileOnFirstFire(state: MarkerState, parts: FireParts): (...args: unknown[]) => void {
  let real: ((...args: unknown[]) => void) | null = null;
  const stub = (...args: unknown[]): void => {
    if (real === null) {
      try {
        real = fireModule().createFire(parts);
      } catch {
        chainStats.internalErrors++;
        return;
      }
      if (state.switchState.fire === stub) setSwitch(state.switchState, true, real);
    }
    real(...args);
  };
  return stub;
}

export function recompute(state: MarkerState, lazy = false): void {
  const targets: Target[] = [];
  for (const source of sources) targets.push(...source.targetsFor(state.registration));
  const on = targets.length > 0 || state.probes.length > 0;
  if (!on) {
    if (state.switchState.on) {
      setSwitch(state.switchState, false, null);
      notifyEnabled(state.registration, false);
    }
    return;
  }
  const wasOn = state.switchState.on;
  const parts: FireParts = {
    id: state.registration.id,
    fields: state.registration.fields,
    arity: state.registration.fields.length,
    targets,
    probes: state.probes,
    owner: state.switchState,
  };
  // A marker whose fire function exists is only re-routed (cheap); only a first build may wait.
  const fire = lazy && !fireModule().hasFire(state.switchState) ? compileOnFirstFire(state, { ...parts, probes: state.probes.slice() }) : fireModule().createFire(parts);
  setSwitch(state.switchState, true, fire);
  if (!wasOn) notifyEnabled(state.registration, true);
}
