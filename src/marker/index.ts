import { addMarkerState, createSwitch, recompute, type MarkerState, type SwitchState } from '../chain/enable.js';
import type { Probe } from '../chain/fire.js';
import type { FieldInfo } from '../format/parse.js';
import type { FormatArgs } from '../format/types.js';
import { register } from '../registry/index.js';
import { canGenerateCode, codeTag, processState, stateIsCompatible } from '../process/state.js';

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

/**
 * Gives the marker function a hidden class of its own before its properties are defined. Each
 * marker's `enabled` getter is its own function, reading its own switch (which the JIT folds: a
 * data field or a getter shared by all markers, reading the marker, left `if (m.enabled)` at
 * 4 ns and boxing the caller's numbers on Node 24). Two markers defining the same accessor
 * property with different getters from one hidden class make V8 turn the second one's
 * properties into a dictionary (a lookup per `m.enabled`, ~10 ns). A prototype of its own (an
 * empty object inheriting Function.prototype) is a hidden class of its own.
 */
function ownHiddenClass(fn: object): void {
  Object.setPrototypeOf(fn, Object.create(Function.prototype) as object);
}

// Shared by every copy of tracemark in the process (src/process/state.ts).
const markersById = processState.markersById as Map<number, Marker>;

interface Callable {
  /** Creates the marker function, its `name` a data property (see markerBatchSource). */
  make: () => (...args: unknown[]) => void;
  enabled: () => boolean;
  sw: SwitchState;
}

/**
 * Source of a batch of `count` marker functions of one arity. Each marker still gets its own
 * function literal (its own SharedFunctionInfo, closure and type feedback: the name makes every
 * literal unique, see codeTag) reading its own `const` switch, an immutable context slot that
 * the JIT folds, then folds its fields. `=== true` compiles to one comparison, where a bare
 * `if (sw.on)` of a field whose type the JIT does not track is a chain of ToBoolean tests.
 * Batching is only about declaration time: one `new Function` call costs ~20 µs of fixed work
 * (compile, cache), a function literal in a batch ~3 µs (100,000 markers: 5 s -> see BENCHMARKS).
 *
 * The marker function is anonymous in the source and defined under a computed key, which makes
 * its `name` an ordinary data property: redefining the built-in `name` of a function declared
 * by name turns its properties into a dictionary, and then `marker.enabled`, the guard the docs
 * recommend, costs a lookup (~10 ns) instead of a field read (BENCHMARKS.md). The key is the
 * same for every marker (a new key per marker would add a hidden class per marker to the object
 * literal's).
 */
function markerBatchSource(arity: number, firstSerial: number, count: number): string {
  const params = Array.from({ length: arity }, (_, i) => `a${i}`).join(', ');
  let source = '';
  for (let k = 0; k < count; k++) {
    // The tag makes this batch's text unique (V8 caches `new Function` by text) and is the name
    // V8 infers for the marker function: profiles and V8's traces show it.
    const tag = codeTag('marker', firstSerial + k);
    source += `const sw${k} = init[${k}];
out[${k}] = {
  make: function () { const key = 'marker'; const ${tag} = { [key]: function (${params}) { if (sw${k}.on === true) sw${k}.fire(${params}); } }[key]; return ${tag}; },
  enabled: function () { return sw${k}.on; },
};
`;
  }
  return source;
}

/** Marker functions generated ahead, by arity; batches grow so that a few markers cost little. */
const prepared = new Map<number, Callable[]>();
const batchSizeByArity = new Map<number, number>();
const MAX_BATCH = 256;
let nextSerial = 0;

function preparedCallable(arity: number): Callable {
  let pool = prepared.get(arity);
  if (pool === undefined || pool.length === 0) {
    const count = batchSizeByArity.get(arity) ?? 1;
    batchSizeByArity.set(arity, Math.min(count * 4, MAX_BATCH));
    const switches = Array.from({ length: count }, createSwitch);
    const out = new Array<{ make: () => (...args: unknown[]) => void; enabled: () => boolean }>(count);
    new Function('init', 'out', markerBatchSource(arity, nextSerial, count))(switches, out);
    nextSerial += count;
    // Handed out in source order, so that serials follow declaration order.
    pool = out.map((c, k) => ({ make: c.make, enabled: c.enabled, sw: switches[k] })).reverse();
    prepared.set(arity, pool);
  }
  return pool.pop() as Callable;
}

function createCallable(arity: number): Callable {
  if (canGenerateCode()) return preparedCallable(arity);
  const sw = createSwitch();
  return {
    make: () => ({ ['marker']: function (...args: unknown[]): void { if (sw.on) sw.fire(...args); } })['marker'],
    enabled: () => sw.on,
    sw,
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

  const callable = createCallable(registration.fields.length);
  const switchState = callable.sw;
  const state: MarkerState = { registration, switchState, probes: [] };
  const fn = callable.make() as unknown as Marker<F>;
  ownHiddenClass(fn);
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
