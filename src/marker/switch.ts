/**
 * A marker's switch: `on` and the `fire` function it calls when on.
 *
 * Each marker reads its own switch object through an immutable closure binding, in a function
 * generated for that marker alone (its own type feedback). Until the switch first changes, the
 * JIT treats `on` as a constant and the disabled marker compiles to nothing; after that, a
 * disabled call is one load and one never-taken branch, which the CPU absorbs: the disabled cost
 * stays at the empty loop's after any number of enable/disable cycles (BENCHMARKS.md), and a
 * flip never deoptimises the application's code again.
 *
 * Designs without any test were measured and rejected on Node 20 (V8 11.3), see
 * docs/design/zero-cost-markers.md: swapping the called function leaves a megamorphic call
 * (+2.6 ns per call, forever); swapping the switch's prototype, so that the JIT folds the value,
 * turns the load megamorphic after a few cycles (+3.5 ns); global property cells stop the marker
 * from being inlined after one cycle (+2.6 ns). Every fold-based design also deoptimises each
 * caller on every flip.
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
  target.fire = on && fire !== null ? fire : noop;
  target.on = on && fire !== null;
}
