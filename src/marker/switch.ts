/**
 * The JavaScript analogue of the kernel's static keys. A marker reads `on` and `fire` from a
 * switch object whose prototype is replaced, never mutated: the JIT folds the value of a property
 * of a constant object with a stable map into the caller's code, so a disabled marker compiles to
 * nothing. Swapping the prototype gives the object a fresh map, which deoptimises the dependent
 * code; the fresh map is stable again, so after any number of enable/disable cycles the disabled
 * cost returns to the empty loop's (BENCHMARKS.md). Mutating a field instead would mark it
 * mutable forever and leave a load and a test in every caller.
 */
export interface SwitchState {
  readonly on: boolean;
  readonly fire: (...args: unknown[]) => void;
}

function noop(): void {}

export function createSwitch(): SwitchState {
  return Object.create({ on: false, fire: noop }) as SwitchState;
}

export function setSwitch(target: SwitchState, on: boolean, fire: ((...args: unknown[]) => void) | null): void {
  Object.setPrototypeOf(target, { on, fire: on && fire !== null ? fire : noop });
}
