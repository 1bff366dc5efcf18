/**
 * Decides, for every marker, whether it is on and where it writes: the first link of the chain.
 * Recomputed (off the hot path) whenever a session starts, stops, changes its rules or filters,
 * and whenever a probe is attached or detached or a marker is declared.
 */
import type { Registration } from '../registry/index.js';
import { setSwitch, type SwitchState } from '../marker/switch.js';
import { createFire, type Probe, type Target } from './fire.js';
import { processState } from '../process/state.js';

export interface TargetSource {
  targetsFor(registration: Registration): Target[];
}

export interface MarkerState {
  readonly registration: Registration;
  readonly switchState: SwitchState;
  readonly probes: Probe[];
}

// Shared by every copy of tracemark in the process: a session of one copy enables the markers
// of all (src/process/state.ts).
const markers: MarkerState[] = processState.markerStates;
const sources: Set<TargetSource> = processState.targetSources;

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
  for (const state of markers) recompute(state);
}

export function recompute(state: MarkerState): void {
  const targets: Target[] = [];
  for (const source of sources) targets.push(...source.targetsFor(state.registration));
  const on = targets.length > 0 || state.probes.length > 0;
  if (!on) {
    if (state.switchState.on) setSwitch(state.switchState, false, null);
    return;
  }
  const fire = createFire({
    id: state.registration.id,
    fields: state.registration.fields,
    arity: state.registration.fields.length,
    targets,
    probes: state.probes,
    owner: state.switchState,
  });
  setSwitch(state.switchState, true, fire);
}
