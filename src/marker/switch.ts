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
