/**
 * Every argument type against every format spec (issue 12, section 4), seeded fast-check: each
 * case fires a marker of a random format (1 to 4 fields of any spec) with random arguments,
 * hostile ones included: Proxies (throwing traps, revoked), throwing getters, valueOf, toString
 * and Symbol.toPrimitive, detached ArrayBuffers and views, a 100 MB string, blobs larger than a
 * sub-buffer, BigInts far out of range, null/undefined, wrong types, too few and too many
 * arguments. Every fire must return without throwing; no user code may run; afterwards
 * written + discarded == fired exactly, no internal error, and babeltrace2 reads the trace with
 * exactly the counted events and losses.
 *
 *   node dist/bench/soak/arguments.js           # 5,000 cases
 *   node dist/bench/soak/arguments.js --soak    # 100,000 cases
 * Prints a Markdown section; exit status 1 when a check failed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { marker, Session, tracing } from '../../src/index.js';
import { SPECS } from '../../src/format/parse.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..', ...(import.meta.url.includes('/dist/') ? ['..'] : []));
const ctfcheckPath = join(repoRoot, 'test', 'support', 'ctfcheck.py');

const SUBBUF_BYTES = 16 * 1024;
/** Enough small events to close the first two sub-buffers before the first hostile case. */
const WARMUP_EVENTS = 3000;
/** Random formats to draw from (every single-spec format is added to them). */
const FORMAT_POOL = 600;

/** User code that must never run: each hostile value records here if it does. */
const ran: string[] = [];
const note = (what: string) => (): never => { ran.push(what); throw new Error(what); };

let hugeString: string | undefined;
function huge(): string {
  hugeString ??= 'x'.repeat(100 * 1024 * 1024);
  return hugeString;
}

/** `view` made on a buffer of 64 bytes, then the buffer detached (transferred away). */
function detached<T>(view: (buffer: ArrayBuffer) => T): T {
  const buffer = new ArrayBuffer(64);
  const made = view(buffer);
  structuredClone(buffer, { transfer: [buffer] });
  return made;
}

/** Fresh hostile values (a revoked Proxy or a detached buffer cannot be shared between cases). */
const HOSTILE: [string, () => unknown][] = [
  ['Proxy with throwing traps', () => new Proxy({}, { get: note('proxy get'), getPrototypeOf: note('proxy getPrototypeOf'), has: note('proxy has'), ownKeys: note('proxy ownKeys'), getOwnPropertyDescriptor: note('proxy gOPD') })],
  ['Proxy of a Uint8Array', () => new Proxy(new Uint8Array(8), { get: note('typed proxy get') })],
  ['Proxy of a function', () => new Proxy(() => 1, { apply: note('proxy apply'), get: note('fn proxy get') })],
  ['revoked Proxy', () => { const { proxy, revoke } = Proxy.revocable({}, {}); revoke(); return proxy; }],
  ['throwing valueOf', () => ({ valueOf: note('valueOf') })],
  ['throwing toString', () => ({ toString: note('toString') })],
  ['throwing Symbol.toPrimitive', () => ({ [Symbol.toPrimitive]: note('toPrimitive') })],
  ['throwing getters', () => Object.defineProperties({}, { length: { get: note('length') }, buffer: { get: note('buffer') }, byteLength: { get: note('byteLength') }, byteOffset: { get: note('byteOffset') } })],
  ['Uint8Array with throwing own getters', () => Object.defineProperty(new Uint8Array(4), 'length', { get: note('own length') })],
  ['detached ArrayBuffer', () => detached((b) => b)],
  ['Uint8Array of a detached buffer', () => detached((b) => new Uint8Array(b))],
  ['DataView of a detached buffer', () => detached((b) => new DataView(b))],
  ['Uint8Array subarray of a detached buffer', () => detached((b) => new Uint8Array(b).subarray(8, 16))],
  ['100 MB string', huge],
  ['100 MB string + 1 (a rope)', () => `${huge()}!`],
  ['blob larger than a sub-buffer', () => new Uint8Array(SUBBUF_BYTES + 1)],
  ['blob of 4 sub-buffers', () => new Uint8Array(SUBBUF_BYTES * 4)],
  ['Float64Array', () => new Float64Array([1.5, NaN])],
  ['BigInt 2^200', () => 2n ** 200n],
  ['BigInt -(2^100)', () => -(2n ** 100n)],
  ['BigInt 2^64', () => 2n ** 64n],
  ['null', () => null],
  ['undefined', () => undefined],
  ['Symbol', () => Symbol('s')],
  ['function', () => () => 1],
  ['class', () => class {}],
  ['Number object', () => new Number(3)],
  ['String object', () => new String('s')],
  ['Date', () => new Date(0)],
  ['null-prototype object', () => Object.create(null) as object],
  ['array', () => [1, 2, 3]],
  ['NaN', () => NaN],
  ['-0', () => -0],
  ['Infinity', () => -Infinity],
  ['lone surrogate', () => '\ud800'],
  ['NUL in a string', () => 'a\u0000b'],
];

const specNames = Object.keys(SPECS);

/** A value maker: hostile, or a plain random value of any JavaScript type. */
const valueMaker: fc.Arbitrary<() => unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE).map(([, make]) => make) },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 2, withBigInt: true, withTypedArray: true, withDate: true, withMap: true, withSet: true, withBoxedValues: true, withNullPrototype: true, withSparseArray: true }).map((v) => () => v) },
  { weight: 1, arbitrary: fc.bigInt().map((v) => () => v) },
  { weight: 1, arbitrary: fc.double().map((v) => () => v) },
  { weight: 1, arbitrary: fc.integer().map((v) => () => v) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }).map((v) => () => v) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 3000 }).map((v) => () => v) },
);

export interface ArgumentFuzzResult {
  cases: number;
  formats: number;
  fired: number;
  written: number;
  discarded: number;
  tooLarge: number;
  coerced: number;
  internalErrors: number;
  maxFireMs: number;
  readBack: string;
  failures: string[];
  ms: number;
}

export async function argumentFuzz(cases: number, seed: number): Promise<ArgumentFuzzResult> {
  const started = performance.now();
  const failures: string[] = [];
  const base = mkdtempSync(join(tmpdir(), 'tracemark-argfuzz-'));
  const dir = join(base, 'trace');
  const session = new Session({ output: dir, channels: { default: { subbufSize: SUBBUF_BYTES, subbufCount: 8 } } });
  try {
    session.enable('argfuzz:*');
    session.start();
    const markers = new Map<string, (...args: unknown[]) => void>();
    const before = tracing.stats();
    let fired = 0;
    // babeltrace2 reports events lost within a stream's first packet without a count ("may have
    // discarded": it has no earlier packet to subtract from), so that an exact check of the
    // losses needs a first packet without any: plain events fill the first sub-buffers.
    const warmup = marker('argfuzz:warmup', 'i %u') as (i: number) => void;
    for (let i = 0; i < WARMUP_EVENTS; i++) warmup(i);
    fired += WARMUP_EVENTS;
    let maxFireMs = 0;
    try {
      // A pool of formats: the cases are about arguments, and every new marker declared while
      // recording costs a metadata append and a compiled fire function.
      const formats = fc.sample(fc.array(fc.constantFrom(...specNames), { minLength: 1, maxLength: 4 }), { numRuns: FORMAT_POOL, seed });
      for (const spec of specNames) formats.push([spec]);
      fc.assert(fc.property(fc.constantFrom(...formats), fc.array(valueMaker, { maxLength: 6 }), (specs, makers) => {
        const format = specs.map((spec, i) => `f${i} ${spec}`).join(' ');
        let m = markers.get(format);
        if (m === undefined) {
          m = marker(`argfuzz:m${markers.size}`, format) as unknown as (...args: unknown[]) => void;
          markers.set(format, m);
        }
        const args = makers.map((make) => make());
        ran.length = 0;
        const t = performance.now();
        try {
          m(...args);
        } catch (error) {
          failures.push(`${format} threw ${(error as Error).message}`);
        }
        const took = performance.now() - t;
        if (took > maxFireMs) maxFireMs = took;
        fired++;
        if (ran.length > 0) failures.push(`${format}: user code ran (${ran.join(', ')})`);
        return failures.length === 0;
      }), { numRuns: cases, seed, endOnFailure: true });
    } catch (error) {
      failures.push(`fast-check: ${(error as Error).message.split('\n').slice(0, 8).join(' ')}`);
    }
    const after = tracing.stats();
    await session.close();
    const stats = session.stats().channels.default;
    const result: ArgumentFuzzResult = {
      cases, formats: markers.size, fired, written: stats.written, discarded: stats.discarded, tooLarge: stats.tooLarge,
      coerced: after.coercedArguments - before.coercedArguments, internalErrors: after.internalErrors - before.internalErrors,
      maxFireMs, readBack: '', failures, ms: 0,
    };
    if (result.written + result.discarded !== fired) failures.push(`written ${result.written} + discarded ${result.discarded} != fired ${fired}`);
    if (result.internalErrors !== 0) failures.push(`${result.internalErrors} internal errors`);
    const check = spawnSync('/usr/bin/python3', [ctfcheckPath, dir, '--expect-events', String(result.written), '--expect-discarded', String(result.discarded)], { encoding: 'utf8', timeout: 600_000 });
    result.readBack = check.status === 0 ? 'yes' : `no (exit ${check.status})`;
    if (check.status !== 0) failures.push(`babeltrace2 (exit ${check.status}): ${`${check.stdout}${check.stderr}`.split('\n').filter((line) => /^(FAIL|error|babeltrace2|ctfcheck|discarded)/.test(line)).slice(0, 12).join('; ')}`);
    result.ms = performance.now() - started;
    return result;
  } finally {
    await session.close().catch(() => {});
    rmSync(base, { recursive: true, force: true });
  }
}

export function markdown(r: ArgumentFuzzResult): string {
  return [
    '## Every argument type against every spec (fast-check, seeded)',
    '',
    `${HOSTILE.length} kinds of hostile values (${HOSTILE.map(([name]) => name).join(', ')}) and random values of every type, 0 to 6 arguments, against ${FORMAT_POOL} random formats of 1 to 4 fields and the ${specNames.length} one-field formats of every spec; one session writing a trace with ${SUBBUF_BYTES / 1024} KiB sub-buffers (discard mode). "fired" includes ${WARMUP_EVENTS} plain events fired first: babeltrace2 reports losses in a stream's first packet without a count, so the first packets are filled before the first hostile case. "longest fire" is wall time on a shared, loaded machine (scheduling included).`,
    '',
    '| cases | formats (markers) | fired | written | discarded (of which too large) | coerced arguments | thrown | user code run | internal errors | written + discarded == fired | babeltrace2 read it, as counted | longest fire | time |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|',
    `| ${r.cases} | ${r.formats} | ${r.fired} | ${r.written} | ${r.discarded} (${r.tooLarge}) | ${r.coerced} | ${r.failures.filter((f) => / threw /.test(f)).length} | ${r.failures.filter((f) => /user code ran/.test(f)).length} | ${r.internalErrors} | ${r.written + r.discarded === r.fired ? 'yes' : '**no**'} | ${r.readBack} | ${r.maxFireMs.toFixed(1)} ms | ${(r.ms / 1000).toFixed(1)} s |`,
    '',
    r.failures.length === 0 ? 'All checks passed.' : r.failures.slice(0, 20).map((f) => `- **${f}**`).join('\n'),
    '',
  ].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const result = await argumentFuzz(process.argv.includes('--soak') ? 100_000 : 5_000, 2026);
  process.stdout.write(markdown(result));
  process.exitCode = result.failures.length === 0 ? 0 : 1;
}
