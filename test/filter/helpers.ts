/** Shared marker layout and helpers for the filter tests. */
import { compileFilter, type FilterContext } from '../../src/filter/index.js';
import { parseFormat } from '../../src/format/parse.js';

/** One field of every kind the filter distinguishes. */
export const FORMAT = 'a %d b %u c %ld d %lu h %hhd x %x f %f s %s ch %c p %pW';
export const FIELDS = parseFormat(FORMAT);
export const CONTEXT: FilterContext = Object.freeze({ vpid: 1234, vtid: 1240, procname: 'node-app' });

/** Values by field name, in declaration order; unnamed fields are left undefined (junk). */
export function valuesOf(named: Readonly<Record<string, unknown>>): unknown[] {
  return FIELDS.map((f) => named[f.name]);
}

/** Compiles and runs: true/false, or null when compileFilter says the filter cannot match. */
export function evalFilter(text: string, named: Readonly<Record<string, unknown>>, context: FilterContext = CONTEXT): boolean | null {
  const p = compileFilter(text, FIELDS, context);
  return p === null ? null : p(valuesOf(named));
}
