/**
 * `tracemark export` (Chrome trace-event JSON), checked with Chrome DevTools' own trace engine
 * (@paulirish/trace_engine, the Performance panel's model): processes, threads, times, spans,
 * lost events, two hosts with one pid, -o/--force.
 */
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { marker, readTraceSync, Session } from '../../src/index.js';
import fc from 'fast-check';
import { argsJson, microseconds } from '../../src/integrations/chrome-trace.js';
import { jsonValue } from '../../src/integrations/json-values.js';
import { errorCodeOf, tempDir, tracemark } from './helpers.js';
import { devtoolsModel, rewriteHostname, type ChromeEvent } from './export-helpers.js';

const work = tempDir('tracemark-export-');
const dir = join(work.path, 'trace');
after(() => work.remove());

before(async () => {
  const rx = marker('exp:rx', 'len %u proto %s big %lu payload %pW');
  const tick = marker('exp:tick', 'n %d ratio %g');
  const reqBegin = marker('req:begin', 'span_id %lu path %s');
  const reqEnd = marker('req:end', 'span_id %lu status %u');
  const workBegin = marker('work:begin', 'depth %u');
  const workEnd = marker('work:end', 'depth %u');
  const session = new Session({ output: dir });
  session.enable('*');
  session.start();
  rx(1500, 'tcp', 2n ** 64n - 1n, new Uint8Array([0xde, 0xad]));
  reqBegin(1, '/a');
  reqBegin(2, '/b');
  workBegin(0);
  for (let i = 0; i < 5; i++) tick(i, i / 4);
  workBegin(1);
  workEnd(1);
  workEnd(0);
  reqEnd(1, 200);
  reqEnd(2, 404);
  rx(64, 'udp', 7, new Uint8Array(0));
  await session.close();
});

let fileCount = 0;
function exported(args: string[] = [], from = dir): { text: string; events: ChromeEvent[] } {
  const out = join(work.path, `out-${fileCount++}.json`);
  const run = tracemark(['export', from, '-o', out, ...args]);
  assert.equal(run.status, 0, run.stderr);
  const text = readFileSync(out, 'utf8');
  return { text, events: JSON.parse(text) as ChromeEvent[] };
}

test('a plain JSON array: starts as Perfetto sniffs JSON, no trailing {}, no lower-case instants', () => {
  const { text, events } = exported();
  assert.ok(text.startsWith('[{"'));
  assert.ok(!text.includes('{}'), 'no empty object (DevTools throws on it)');
  assert.ok(events.every((e) => e.ph !== 'i'), 'DevTools ignores "i"');
  assert.equal(events[0].ph, 'M');
  assert.equal(events[0].name, 'process_name');
  assert.equal(events[0].pid, process.pid);
  const thread = events.find((e) => e.name === 'thread_name');
  assert.deepEqual(thread?.args, { name: 'default' }, 'the channel, not the file name');
});

test('DevTools\' engine puts every event on its process and thread at its exact time', async () => {
  const { events } = exported();
  const model = await devtoolsModel(events);
  const read = [...readTraceSync(dir)];
  const proc = model.Renderer.processes.get(process.pid);
  assert.ok(proc !== undefined, 'the process is there, under its pid');
  const thread = proc.threads.get(process.pid);
  assert.ok(thread !== undefined);
  assert.equal(thread.name, 'default');
  const instants = thread.entries.filter((e) => e.ph === 'I');
  const plain = read.filter((e) => !/:(begin|end)$/.test(e.name));
  assert.deepEqual(instants.map((e) => e.name), plain.map((e) => e.name));
  // ts in µs, 1 µs after the origin at the earliest: inside the bounds DevTools computes.
  const bounds = model.Meta.traceBounds;
  for (const e of thread.entries) assert.ok(e.ts >= bounds.min && e.ts <= bounds.max, `${e.name} at ${e.ts} within ${bounds.min}..${bounds.max}`);
  instants.forEach((e, i) => assert.equal(Math.round((e.ts - instants[0].ts) * 1000), Number(plain[i].timestamp - plain[0].timestamp)));
  assert.deepEqual(instants[0].args, { len: 1500, proto: 'tcp', big: '18446744073709551615', payload: 'dead' });
  assert.deepEqual(instants[1].args, { n: 0, ratio: 0 });
});

test('span pairs: nested ones as B/E, span_id ones as complete events; DevTools sees their durations', async () => {
  const { events } = exported();
  const read = [...readTraceSync(dir)];
  const at = (name: string, pick = (_: (typeof read)[number]) => true): bigint => read.find((e) => e.name === name && pick(e))!.timestamp;
  assert.deepEqual(events.filter((e) => e.ph === 'B').map((e) => e.name), ['work', 'work']);
  assert.deepEqual(events.filter((e) => e.ph === 'E').map((e) => e.name), ['work', 'work']);
  const model = await devtoolsModel(events);
  const entries = model.Renderer.processes.get(process.pid)!.threads.get(process.pid)!.entries;
  const req = entries.filter((e) => e.name === 'req').sort((a, b) => a.ts - b.ts);
  assert.equal(req.length, 2);
  assert.deepEqual(req.map((e) => e.args), [{ span_id: 1, path: '/a', status: 200 }, { span_id: 2, path: '/b', status: 404 }]);
  const reqNs = Number(at('req:end', (e) => e.fields.span_id === 1n) - at('req:begin', (e) => e.fields.span_id === 1n));
  assert.equal(Math.round(req[0].dur! * 1000), reqNs);
  const work = entries.filter((e) => e.name === 'work').sort((a, b) => a.ts - b.ts);
  assert.equal(work.length, 2);
  assert.ok(work[0].dur! >= work[1].dur!, 'the outer slice holds the inner one');
  assert.equal(Math.round(work[0].dur! * 1000), Number(at('work:end', (e) => e.fields.depth === 0) - at('work:begin', (e) => e.fields.depth === 0)));
});

test('-e and --filter choose events as print does', () => {
  assert.equal(exported(['-e', 'exp:tick']).events.filter((e) => e.ph === 'I').length, 5);
  assert.deepEqual(exported(['--filter', 'n >= 3']).events.filter((e) => e.ph === 'I').map((e) => e.args?.n), [3, 4]);
});

test('-o keeps an existing file unless --force; usage errors are one line with a code', () => {
  const out = join(work.path, 'existing.json');
  writeFileSync(out, 'keep me');
  const refused = tracemark(['export', dir, '-o', out]);
  assert.equal(refused.status, 2);
  assert.equal(errorCodeOf(refused.stderr), 'ERR_USAGE');
  assert.match(refused.stderr, /--force/);
  assert.equal(readFileSync(out, 'utf8'), 'keep me');
  const forced = tracemark(['export', dir, '-o', out, '--force']);
  assert.equal(forced.status, 0, forced.stderr);
  assert.ok(readFileSync(out, 'utf8').startsWith('[{"'));
  const run = tracemark(['export', dir, '--format', 'protobuf']);
  assert.equal(run.status, 2);
  assert.equal(errorCodeOf(run.stderr), 'ERR_USAGE');
});

test('microseconds() keeps nanoseconds exactly, compactly', () => {
  assert.equal(microseconds(0n), '0');
  assert.equal(microseconds(1n), '0.001');
  assert.equal(microseconds(1500), '1.5');
  assert.equal(microseconds(1_230), '1.23');
  assert.equal(microseconds(1_234_567n), '1234.567');
  assert.equal(microseconds(1_795_000_000_123_456_789n), '1795000000123456.789');
  assert.equal(microseconds(-1500n), '-1.5');
});

test('the args fast path writes what jsonValue writes: -0 as "-0", NaN and ±Infinity as strings, big integers as strings', () => {
  const samples: unknown[] = [0, -0, 1.5, -2, Number.NaN, Infinity, -Infinity, 2 ** 53, 'x"y', 5n, 2n ** 64n, -(2n ** 60n), new Uint8Array([1, 255]), [1, -0], { a: -0 }];
  const fields = Object.fromEntries(samples.map((v, i) => [`f${i}`, v]));
  assert.equal(argsJson(fields), JSON.stringify(jsonValue(fields, true)));
  assert.match(argsJson({ z: -0 }), /^\{"z":"-0"\}$/);
  fc.assert(fc.property(fc.dictionary(fc.string(), fc.oneof(fc.double(), fc.bigInt(), fc.string(), fc.uint8Array(), fc.constant(-0))), (f) => {
    assert.equal(argsJson(f), JSON.stringify(jsonValue(f, true)));
  }), { seed: 9, numRuns: 300 });
});

test('a -0 field comes out of export as "-0", as print shows it', async () => {
  const zeroDir = join(work.path, 'zero');
  const zero = marker('exp:zero', 'v %g n %d');
  const session = new Session({ output: zeroDir });
  session.enable('exp:zero');
  session.start();
  zero(-0, 1);
  zero(0, 2);
  await session.close();
  const events = exported([], zeroDir).events.filter((e) => e.name === 'exp:zero');
  assert.deepEqual(events.map((e) => e.args), [{ v: '-0', n: 1 }, { v: 0, n: 2 }]);
  assert.match(tracemark(['print', zeroDir]).stdout, /exp:zero: v=-0 n=1/);
});

test('two hosts with the same pid stay two processes, each named after its host', async () => {
  const both = join(work.path, 'hosts');
  cpSync(dir, join(both, 'a'), { recursive: true });
  cpSync(dir, join(both, 'b'), { recursive: true });
  rewriteHostname(join(both, 'b', 'metadata'));
  const { events } = exported([], both);
  const names = events.filter((e) => e.name === 'process_name');
  assert.equal(names.length, 2);
  assert.notEqual(names[0].pid, names[1].pid);
  assert.notEqual(names[0].args?.name, names[1].args?.name);
  const model = await devtoolsModel(events);
  for (const p of names) {
    const proc = model.Renderer.processes.get(p.pid!);
    assert.ok(proc !== undefined);
    const count = [...proc.threads.values()].reduce((n, t) => n + t.entries.filter((e) => e.ph === 'I').length, 0);
    assert.equal(count, 7, `${String(p.args?.name)} has its own events`);
  }
});

test('lost events: ranges at their own time on a lost-events track, DevTools keeps them', async () => {
  const lossy = join(work.path, 'lossy');
  const burst = marker('exp:burst', 'i %u pad %s');
  const session = new Session({ output: lossy, channels: { default: { subbufSize: 512, subbufCount: 2 } } });
  session.enable('exp:burst');
  session.start();
  for (let i = 0; i < 100_000; i++) burst(i, 'padding-padding-padding');
  await session.close();
  const lost = session.stats().channels.default.discarded;
  assert.ok(lost > 0, 'a 1 KiB ring overflows under 100k events');
  const { events } = exported([], lossy);
  const ranges = events.filter((e) => e.ph === 'X' && e.args?.kind === 'events');
  assert.ok(ranges.length > 0);
  assert.equal(ranges.reduce((sum, e) => sum + Number(e.args?.count), 0), lost);
  const lostTid = ranges[0].tid;
  const trackName = events.find((e) => e.name === 'thread_name' && e.tid === lostTid)?.args?.name;
  assert.equal(trackName, 'default: lost events');
  const model = await devtoolsModel(events);
  const entries = model.Renderer.processes.get(process.pid)!.threads.get(lostTid!)!.entries;
  assert.equal(entries.length, ranges.length);
  const bounds = model.Meta.traceBounds;
  for (const r of entries) assert.ok(r.ts >= bounds.min && r.ts + (r.dur ?? 0) <= bounds.max);
  const starts = ranges.map((r) => r.ts!);
  assert.ok(ranges.length === 1 || Math.min(...starts) < Math.max(...starts), 'each range at its own time');
});
