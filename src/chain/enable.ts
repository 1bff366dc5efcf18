/**
 * Decides, for every marker, whether it is on and where it writes: the first link of the chain.
 * Recomputed (off the hot path) whenever a session starts, stops, changes its rules or filters,
 * and whenever a probe is attached or detached or a marker is declared. A rule change recomputes
 * only the markers its pattern matches.
 */
import type { Registration } from '../registry/index.js';
import { setSwitch, type SwitchState } from '../marker/switch.js';
import type { FireParts, Probe, Target } from './fire.js';
import { chainStats } from './tracing.js';
import { onFirstUse } from '../lazy/index.js';
import { processState } from '../process/state.js';

// The fire functions' compiler is loaded when a first marker is turned on (src/lazy).
const fireModule = onFirstUse<typeof import('./fire.js')>(import.meta.url, './fire.js');

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
