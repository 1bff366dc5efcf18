/**
 * Every value type written to a CTF trace and read back by the real babeltrace2, exactly.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { marker, Session } from '../../src/index.js';
import { bt2dump, ctfcheck, plain, trace } from './helpers.js';

const ints = marker('ctfv:ints', 'i8 %hhd u8 %hhu i16 %hd u16 %hu i32 %d u32 %u x %x');
const wide = marker('ctfv:wide', 'i64 %ld u64 %lu hex %llx ptr %p');
const reals = marker('ctfv:reals', 'f %f g %g e %e');
const texts = marker('ctfv:texts', 's %s c %c');
const blobs = marker('ctfv:blobs', 'n %u payload %pW');


test('integers of every size, signedness and base decode to the values written', async () => {
  const dir = trace('ints');
  const session = new Session({ output: dir });
  session.enable('ctfv:ints');
  session.start();
  const rows: number[][] = [
    [-128, 0, -32768, 0, -2147483648, 0, 0],
    [127, 255, 32767, 65535, 2147483647, 4294967295, 0xdeadbeef],
    [0, 1, -1, 1, -1, 1, 1],
  ];
  for (const r of rows) ints(r[0], r[1], r[2], r[3], r[4], r[5], r[6]);
  await session.close();
  assert.equal(ctfcheck(dir, '--expect-events', '3', '--expect-classes', 'ctfv:ints=3').status, 0);
  const dump = bt2dump(dir);
  assert.equal(dump.warnings, '');
  const names = ['i8', 'u8', 'i16', 'u16', 'i32', 'u32', 'x'];
  dump.events.forEach((event, i) => {
    names.forEach((name, k) => assert.equal(plain(event.fields[name]), BigInt(rows[i][k]), `${name} of event ${i}`));
  });
});

test('64-bit integers: extremes as bigint, numbers beyond 2^53, negatives wrapping like C', async () => {
  const dir = trace('wide');
  const session = new Session({ output: dir });
  session.enable('ctfv:wide');
  session.start();
  const cases: [bigint | number, bigint | number, bigint | number, bigint | number][] = [
    [-(2n ** 63n), 0n, 0n, 0n],
    [2n ** 63n - 1n, 2n ** 64n - 1n, 2n ** 64n - 1n, 0xdeadbeefcafef00dn],
    [2 ** 60, 2 ** 62, 2 ** 53 + 2, 0x1000],
    [-1, -1, -2, 12345],
    [-(2 ** 40) - 7, 9007199254740991, 0, 1],
  ];
  for (const c of cases) wide(c[0], c[1], c[2], c[3]);
  const held = session.events().map((e) => e.fields); // before close: drained packets leave the ring
  await session.close();
  assert.equal(ctfcheck(dir, '--expect-events', String(cases.length)).status, 0);
  const dump = bt2dump(dir);
  const asI64 = (v: bigint | number): bigint => BigInt.asIntN(64, BigInt(v));
  const asU64 = (v: bigint | number): bigint => BigInt.asUintN(64, BigInt(v));
  dump.events.forEach((event, i) => {
    assert.equal(plain(event.fields.i64), asI64(cases[i][0]), `i64 #${i}`);
    assert.equal(plain(event.fields.u64), asU64(cases[i][1]), `u64 #${i}`);
    assert.equal(plain(event.fields.hex), asU64(cases[i][2]), `hex #${i}`);
    assert.equal(plain(event.fields.ptr), asU64(cases[i][3]), `ptr #${i}`);
  });
  // The in-memory decoder agrees with babeltrace2.
  assert.deepEqual(held.map((f) => f.i64), cases.map((c) => asI64(c[0])));
  assert.deepEqual(held.map((f) => f.u64), cases.map((c) => asU64(c[1])));
});

test('doubles: NaN, ±Infinity, -0, extremes and subnormals are exact', async () => {
  const dir = trace('reals');
  const session = new Session({ output: dir });
  session.enable('ctfv:reals');
  session.start();
  const values = [0, -0, 1.5, -0.1, Number.MAX_VALUE, Number.MIN_VALUE, NaN, Infinity, -Infinity, Math.PI, 1e-310];
  for (const v of values) reals(v, v / 3, -v);
  await session.close();
  assert.equal(ctfcheck(dir, '--expect-events', String(values.length)).status, 0);
  const dump = bt2dump(dir);
  dump.events.forEach((event, i) => {
    assert.ok(Object.is(plain(event.fields.f), values[i]), `f #${i}: ${String(plain(event.fields.f))} vs ${values[i]}`);
    assert.ok(Object.is(plain(event.fields.g), values[i] / 3), `g #${i}`);
    assert.ok(Object.is(plain(event.fields.e), -values[i]), `e #${i}`);
  });
});

test('strings: empty, CJK, emoji, lone surrogates and NUL become valid UTF-8', async () => {
  const dir = trace('texts');
  const session = new Session({ output: dir });
  session.enable('ctfv:texts');
  session.start();
  const cases: [string, string, string, string][] = [
    ['', '', '', ''],
    ['hello', 'h', 'hello', 'h'],
    ['日本語のテキスト', '日', '日本語のテキスト', '日'],
    ['emoji 😀👍🏽 done', '😀', 'emoji 😀👍🏽 done', '😀'],
    ['lone \ud800 high, lone \udc00 low', 'é', 'lone \ufffd high, lone \ufffd low', 'é'],
    ['nul\u0000inside', 'xyz', 'nul\ufffdinside', 'x'],
    ['x'.repeat(10000), '\u0000', 'x'.repeat(10000), '\ufffd'],
  ];
  for (const [s, c] of cases) texts(s, c);
  await session.close();
  assert.equal(ctfcheck(dir, '--expect-events', String(cases.length)).status, 0);
  const dump = bt2dump(dir);
  dump.events.forEach((event, i) => {
    assert.equal(plain(event.fields.s), cases[i][2], `s #${i}`);
    assert.equal(plain(event.fields.c), cases[i][3], `c #${i}`);
  });
});

test('blobs: empty, small and 1 MiB', async () => {
  const dir = trace('blobs');
  const session = new Session({ output: dir, channels: { default: { subbufSize: 2 << 20, subbufCount: 2 } } });
  session.enable('ctfv:blobs');
  session.start();
  const big = new Uint8Array(1 << 20);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + 3) & 0xff;
  const payloads = [new Uint8Array(0), new Uint8Array([0xde, 0xad, 0xbe, 0xef]), big];
  payloads.forEach((p, i) => blobs(i, p));
  await session.close();
  assert.equal(ctfcheck(dir, '--expect-events', '3').status, 0);
  const dump = bt2dump(dir);
  dump.events.forEach((event, i) => {
    assert.equal(plain(event.fields._payload_length), BigInt(payloads[i].length));
    const bytes = plain(event.fields.payload);
    const expected = payloads[i].length === 0 ? [] : payloads[i];
    if (Array.isArray(bytes)) assert.deepEqual(bytes, []);
    else assert.ok(Buffer.from(bytes as Uint8Array).equals(Buffer.from(expected)), `blob #${i} bytes`);
  });
});

test('timestamps: wall-clock nanoseconds, non-decreasing, equal to session.events()', async (t) => {
  const dir = trace('time');
  const session = new Session({ output: dir });
  session.enable('ctfv:ints');
  session.start();
  // The trace maps its monotonic clock to the epoch once per process, through
  // performance.timeOrigin, as LTTng does at session start. A step of the system clock since
  // then (NTP on a fresh CI machine) moves Date.now() but not the trace: measure that step and
  // compare with both wall clocks.
  const performanceEpochNs = (): bigint => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
  const stepNs = (): bigint => BigInt(Date.now()) * 1_000_000n - performanceEpochNs();
  const stepBeforeNs = stepNs();
  const before = performanceEpochNs();
  for (let i = 0; i < 100; i++) ints(i, i, i, i, i, i, i);
  await new Promise((resolve) => setTimeout(resolve, 200)); // a gap beyond 2^27 ns: extended header
  ints(1, 1, 1, 1, 1, 1, 1);
  const held = session.events().map((e) => e.timestamp);
  const after = performanceEpochNs();
  const stepAfterNs = stepNs();
  await session.close();
  const dump = bt2dump(dir);
  const read = dump.events.map((e) => BigInt(e.ns));
  assert.deepEqual(read, held);
  assert.ok(read[0] >= before - 1_000_000n && read[read.length - 1] <= after + 1_000_000n, 'times are timeOrigin + performance.now()');
  const abs = (n: bigint): bigint => (n < 0n ? -n : n);
  const stepMaxNs = abs(stepBeforeNs) > abs(stepAfterNs) ? abs(stepBeforeNs) : abs(stepAfterNs);
  if (stepMaxNs > 5_000_000n) t.diagnostic(`the system clock moved ${stepMaxNs / 1000n} us from performance.timeOrigin since start`);
  const slackNs = 5_000_000n + stepMaxNs;
  const wallBefore = before + stepBeforeNs;
  const wallAfter = after + stepAfterNs;
  assert.ok(read[0] >= wallBefore - slackNs && read[read.length - 1] <= wallAfter + slackNs, 'times are wall-clock (Date.now())');
  for (let i = 1; i < read.length; i++) assert.ok(read[i] >= read[i - 1]);
  assert.ok(read[100] - read[99] >= 150_000_000n, 'the 200 ms gap survives the compact header');
});
