/**
 * Compile-time typing of marker arguments from the format string (template literal types).
 * `marker('net:rx', 'len %u proto %s payload %pW')` is callable as
 * `(len: number, proto: string, payload: Uint8Array) => void`.
 */
type Int64Spec = '%ld' | '%li' | '%lld' | '%lu' | '%llu' | '%lx' | '%llx' | '%p';
type NumberSpec =
  | '%d' | '%i' | '%u' | '%hhd' | '%hhu' | '%hd' | '%hu' | '%x'
  | '%f' | '%lf' | '%g' | '%e';

/** The argument type one spec accepts; `never` for an unknown spec, so a bad format cannot be called. */
export type SpecArg<S extends string> =
  S extends '%s' | '%c' ? string
  : S extends '%pW' ? Uint8Array
  : S extends Int64Spec ? number | bigint
  : S extends NumberSpec ? number
  : never;

/**
 * The argument of a conversion no spec accepts: a message that tsc prints as the parameter type
 * (`Argument of type 'number' is not assignable to parameter of type '"tracemark: bad
 * conversion '%q' for field 'a'"'`). Such a marker cannot be declared anyway: marker() throws
 * ERR_FORMAT at run time.
 */
type ArgOf<Name extends string, Spec extends string> =
  [SpecArg<Spec>] extends [never] ? `tracemark: bad conversion '${Spec}' for field '${Name}'` : SpecArg<Spec>;

/** The argument tuple of a format string: `'a %d s %s'` gives `[number, string]`. */
export type FormatArgs<F extends string> =
  string extends F ? unknown[]
  : F extends '' ? []
  : F extends `${infer Name} ${infer Spec} ${infer Rest}` ? [ArgOf<Name, Spec>, ...FormatArgs<Rest>]
  : F extends `${infer Name} ${infer Spec}` ? [ArgOf<Name, Spec>]
  : [`tracemark: bad format '${F}': expected 'name %conversion' pairs separated by spaces`];
