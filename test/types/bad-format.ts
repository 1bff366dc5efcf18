// Compiled only by test/write/type-errors.test.ts, which expects exactly these errors from tsc.
import { marker } from '../../src/index.js';

export function neverCalled(): void {
  const unknownSpec = marker('t:bad', 'len %u payload %q');
  unknownSpec(1, 2);
  const notPairs = marker('t:bad2', 'oops');
  notPairs(1);
}
