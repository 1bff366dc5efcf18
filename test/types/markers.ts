/**
 * Compile-time typing of marker arguments (issue 2). Checked by `npm run typetest`
 * (`tsc -p test/types/tsconfig.json`): every `@ts-expect-error` line must fail to compile
 * (tsc reports an unused directive otherwise) and every plain line must compile.
 * Nothing here runs: the calls sit in a function that is never called.
 */
import { marker, type FormatArgs, type Marker, type SpecArg } from '../../src/index.js';

/** Compile-time equality of two types. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
function assertType<T extends true>(): T | undefined { return undefined; }

declare const bytes: Uint8Array;
declare const buffer: Buffer;
declare const num: number;
declare const big: bigint;
declare const str: string;
declare const anyFormat: string;

export function neverCalled(): void {
  // --- the example --------------------------------------------------------------
  const rx = marker('net:rx', 'len %u proto %s payload %pW');
  rx(1500, 'tcp', bytes);
  rx(0, '', buffer); // a Buffer is a Uint8Array
  // @ts-expect-error too few arguments
  rx(1500, 'tcp');
  // @ts-expect-error too many arguments
  rx(1500, 'tcp', bytes, 1);
  // @ts-expect-error no arguments at all
  rx();
  // @ts-expect-error a string where %u wants a number
  rx('1500', 'tcp', bytes);
  // @ts-expect-error a number where %s wants a string
  rx(1500, 6, bytes);
  // @ts-expect-error %pW takes only a Uint8Array, not a string
  rx(1500, 'tcp', 'payload');
  // @ts-expect-error %pW takes only a Uint8Array, not an ArrayBuffer
  rx(1500, 'tcp', new ArrayBuffer(4));
  // @ts-expect-error %pW takes only a Uint8Array, not a number[]
  rx(1500, 'tcp', [1, 2, 3]);
  // @ts-expect-error a bigint where %u (32-bit) wants a number
  rx(1500n, 'tcp', bytes);
  // @ts-expect-error null is not a number
  rx(null, 'tcp', bytes);
  // @ts-expect-error undefined is not a string
  rx(1, undefined, bytes);

  // --- marker properties are typed ---------------------------------------------------------
  const id: number = rx.id;
  const name: string = rx.name;
  const format: 'len %u proto %s payload %pW' = rx.format;
  const enabled: boolean = rx.enabled;
  const fieldName: string = rx.fields[0].name;
  void [id, name, format, enabled, fieldName];
  const detach: () => void = rx.attach((len, proto, payload) => {
    const l: number = len;
    const p: string = proto;
    const b: Uint8Array = payload;
    void [l, p, b];
  });
  detach();
  // @ts-expect-error a probe's parameters have the marker's types
  rx.attach((len: string) => { void len; });
  // @ts-expect-error id is read-only
  rx.id = 3;
  // @ts-expect-error enabled is read-only
  rx.enabled = true;

  // --- "" takes no arguments ------------------------------------------------------------------
  const tick = marker('app:tick', '');
  tick();
  // @ts-expect-error "" takes no arguments
  tick(1);
  // @ts-expect-error "" takes no arguments, not even undefined
  tick(undefined);

  // --- 32-bit and smaller integers, floats: number only ---------------------------------------
  const small = marker('t:small', 'a %d b %i c %u d %hhd e %hhu f %hd g %hu h %x');
  small(1, -2, 3, -4, 5, -6, 7, 0xff);
  small(num, num, num, num, num, num, num, num);
  // @ts-expect-error %d does not take a bigint
  small(1n, 2, 3, 4, 5, 6, 7, 8);
  // @ts-expect-error %x does not take a bigint
  small(1, 2, 3, 4, 5, 6, 7, 8n);
  // @ts-expect-error %hhd does not take a string
  small(1, 2, 3, '4', 5, 6, 7, 8);
  // @ts-expect-error seven arguments for eight fields
  small(1, 2, 3, 4, 5, 6, 7);

  const reals = marker('t:reals', 'f %f lf %lf g %g e %e');
  reals(1.5, NaN, Infinity, -0);
  // @ts-expect-error %f does not take a bigint
  reals(1n, 1, 1, 1);
  // @ts-expect-error %e does not take a boolean
  reals(1, 1, 1, true);

  // --- 64-bit integers and pointers: number | bigint --------------------------------------------
  const wide = marker('t:wide', 'a %ld b %li c %lld d %lu e %llu f %lx g %llx p %p');
  wide(1, 2, 3, 4, 5, 6, 7, 8);
  wide(-(2n ** 63n), 2n, 3n, 2n ** 64n - 1n, 5n, 6n, 7n, 0xdeadbeefn);
  wide(num, big, num, big, num, big, num, big);
  // @ts-expect-error %ld does not take a string
  wide('1', 2, 3, 4, 5, 6, 7, 8);
  // @ts-expect-error %p does not take a string
  wide(1, 2, 3, 4, 5, 6, 7, '0x8');
  const ld = marker('t:ld', 'v %ld');
  ld(1);
  ld(1n);
  ld(num);
  ld(big);
  // @ts-expect-error %ld takes one value
  ld(1, 1n);

  // --- characters and strings ---------------------------------------------------------------------
  const text = marker('t:text', 'c %c s %s');
  text('x', 'hello');
  text(str, str);
  // @ts-expect-error %c takes a string, not a number
  text(65, 'hello');
  // @ts-expect-error %s does not take a Uint8Array
  text('x', bytes);

  // --- blobs ----------------------------------------------------------------------------------------
  const blob = marker('t:blob', 'data %pW');
  blob(bytes);
  blob(new Uint8Array(0));
  blob(buffer);
  // @ts-expect-error %pW does not take a string
  blob('abc');
  // @ts-expect-error %pW does not take a DataView
  blob(new DataView(new ArrayBuffer(1)));
  // @ts-expect-error %pW does not take an Int16Array
  blob(new Int16Array(2));

  // --- formats the parser refuses cannot be called with anything ----------------------------------
  const unknownSpec = marker('t:bad', 'a %q');
  // @ts-expect-error an unknown spec types its argument as a message naming it
  unknownSpec(1);
  // @ts-expect-error an unknown spec types its argument as a message naming it
  unknownSpec('x');

  // --- a format only known at run time: any arguments ------------------------------------------------
  const dynamic = marker('t:dynamic', anyFormat);
  dynamic();
  dynamic(1, 'x', bytes, null);
}

// --- the exported helper types ----------------------------------------------------------------------
assertType<Equal<FormatArgs<'len %u proto %s payload %pW'>, [number, string, Uint8Array]>>();
assertType<Equal<FormatArgs<''>, []>>();
assertType<Equal<FormatArgs<'a %ld'>, [number | bigint]>>();
assertType<Equal<FormatArgs<'a %p b %pW'>, [number | bigint, Uint8Array]>>();
assertType<Equal<FormatArgs<'a %c'>, [string]>>();
assertType<Equal<FormatArgs<string>, unknown[]>>();
assertType<Equal<SpecArg<'%hhu'>, number>>();
assertType<Equal<SpecArg<'%llx'>, number | bigint>>();
assertType<Equal<SpecArg<'%q'>, never>>();
assertType<Equal<Parameters<Marker<'x %d y %s'>>, [number, string]>>();
// @ts-expect-error the check above really checks: these differ
assertType<Equal<FormatArgs<'a %d'>, [number | bigint]>>();

// --- a bad format names its bad conversion in the parameter type tsc reports -------------------------
assertType<Equal<FormatArgs<'a %q'>, ["tracemark: bad conversion '%q' for field 'a'"]>>();
assertType<Equal<FormatArgs<'a %d b %z'>, [number, "tracemark: bad conversion '%z' for field 'b'"]>>();
assertType<Equal<FormatArgs<'oops'>, ["tracemark: bad format 'oops': expected 'name %conversion' pairs separated by spaces"]>>();
