import { addMarkerState, recompute, type MarkerState } from '../chain/enable.js';
import type { Probe } from '../chain/fire.js';
import type { FieldInfo } from '../format/parse.js';
import type { FormatArgs } from '../format/types.js';
import { register } from '../registry/index.js';
import { canGenerateCode, codeTag } from '../ring/codegen.js';
import { createSwitch, type SwitchState } from './switch.js';
import { processState, stateIsCompatible } from '../process/state.js';

/** A marker: call it to fire the event; its properties describe the registered event. */
export type Marker<F extends string = string> = ((...args: FormatArgs<F>) => void) & {
  /** Numeric ID in the global event registry (also the CTF event class id). */
  readonly id: number;
  /** `provider:event`. */
  readonly name: string;
  readonly format: F;
  readonly fields: readonly FieldInfo[];
  /** True while some session records this marker or a probe is attached: guard costly arguments. */
  readonly enabled: boolean;
  /** Runs `probe` on every fire, recorded or not; returns a function that detaches it. */
  attach(probe: (...args: FormatArgs<F>) => void): () => void;
};

// Shared by every copy of tracemark in the process (src/process/state.ts).
const markersById = processState.markersById as Map<number, Marker>;

function markerFunctionSource(arity: number, id: number): string {
  const params = Array.from({ length: arity }, (_, i) => `a${i}`).join(', ');
  // `const` makes the switch an immutable context slot: the JIT folds it, then folds its fields.
  // The name makes the source unique to this marker (see codeTag): its own SharedFunctionInfo,
  // one closure, its own type feedback. `=== true` compiles to one comparison, where a bare
  // `if (sw.on)` of a field whose type the JIT does not track is a chain of ToBoolean tests.
  return `const sw = init;
return {
  fn: function ${codeTag('marker', id)}(${params}) { if (sw.on === true) sw.fire(${params}); },
  enabled: function () { return sw.on; },
};`;
}

function createCallable(arity: number, id: number, sw: SwitchState): { fn: (...args: unknown[]) => void; enabled: () => boolean } {
  if (canGenerateCode()) {
    return new Function('init', markerFunctionSource(arity, id))(sw) as { fn: (...args: unknown[]) => void; enabled: () => boolean };
  }
  return {
    fn: function (...args: unknown[]): void { if (sw.on) sw.fire(...args); },
    enabled: () => sw.on,
  };
}

/**
 * Declares a static instrumentation point. The format string types the arguments and is checked
 * at declaration: a bad name or format throws `TracemarkError` (`ERR_FORMAT`, with `offset`).
 * @example
 * import { marker } from 'tracemark';
 * export const rx = marker('net:rx', 'len %u proto %s payload %pW');
 * rx(1500, 'tcp', bytes);
 * if (rx.enabled) rx(costly(), 'udp', bytes);
 */
export function marker<F extends string>(name: string, format: F): Marker<F> {
  const { registration } = register(name, format);
  const existing = markersById.get(registration.id);
  if (existing !== undefined) return existing as unknown as Marker<F>;

  const switchState = createSwitch();
  const state: MarkerState = { registration, switchState, probes: [] };
  const callable = createCallable(registration.fields.length, registration.id, switchState);
  const fn = callable.fn as unknown as Marker<F>;
  Object.defineProperties(fn, {
    name: { value: registration.name },
    id: { value: registration.id, enumerable: true },
    format: { value: registration.format, enumerable: true },
    fields: { value: registration.fields, enumerable: true },
    enabled: { get: callable.enabled, enumerable: true },
    attach: {
      value(probe: (...args: FormatArgs<F>) => void): () => void {
        if (typeof probe !== 'function') return () => {};
        const entry = probe as unknown as Probe;
        state.probes.push(entry);
        recompute(state);
        let attached = true;
        return () => {
          if (!attached) return;
          attached = false;
          const index = state.probes.indexOf(entry);
          if (index >= 0) state.probes.splice(index, 1);
          recompute(state);
        };
      },
    },
  });
  markersById.set(registration.id, fn as unknown as Marker);
  // A copy that cannot share the process state keeps its markers off (one warning at import).
  if (stateIsCompatible) addMarkerState(state);
  return fn;
}

/** The marker function of a registration, when one was declared in this module instance. */
export function markerById(id: number): Marker | undefined {
  return markersById.get(id);
}
