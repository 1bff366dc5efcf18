/**
 * `tracemark export --format perfetto`: decoded with protobufjs against a schema written from
 * Perfetto's .proto files, and read as the format defines (sequences, interning, defaults,
 * incremental clocks): every event on its thread track at its exact time, with its fields.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { marker, readTraceSync, Session } from '../../src/index.js';
import { tempDir, tracemark } from './helpers.js';
import { decodePerfetto, type DecodedTrace } from './perfetto-decode.js';

const work = tempDir('tracemark-perfetto-');
const dir = join(work.path, 'trace');
after(() => work.remove());

before(async () => {
  const rx = marker('pf:rx', 'len %u proto %s big %lu neg %d ratio %g payload %pW');
  const reqBegin = marker('pfreq:begin', 'span_id %lu path %s');
  const reqEnd = marker('pfreq:end', 'span_id %lu status %u');
  const stepBegin = marker('pfstep:begin', 'n %u');
  const stepEnd = marker('pfstep:end', 'n %u');
  const session = new Session({ output: dir });
  session.enable('*');
  session.start();
  rx(1500, 'tcp', 2n ** 64n - 1n, -5, 0.5, new Uint8Array([0xde, 0xad]));
  reqBegin(1, '/a');
  reqBegin(2, '/b');
  stepBegin(1);
  for (let i = 0; i < 300; i++) rx(i, i % 2 === 0 ? 'tcp' : 'udp', BigInt(i), -i, i / 8, new Uint8Array(0));
  stepEnd(1);
  reqEnd(1, 200);
  reqEnd(2, 404);
  await session.close();
});

function exportPerfetto(from: string): DecodedTrace {
  const out = join(work.path, `out-${Math.random().toString(16).slice(2)}.pftrace`);
  const run = tracemark(['export', from, '--format', 'perfetto', '-o', out]);
  assert.equal(run.status, 0, run.stderr);
  return decodePerfetto(readFileSync(out));
}

test('descriptors for the process and its thread; every event on the thread track at its exact time, with its fields', () => {
  const trace = exportPerfetto(dir);
  assert.deepEqual(trace.problems, []);
  const tracks = [...trace.tracks.values()];
  const proc = tracks.find((t) => t.process !== undefined);
  assert.equal(proc?.process?.pid, process.pid);
  const thread = tracks.find((t) => t.thread !== undefined);
  assert.equal(thread?.thread?.tid, process.pid);
  assert.equal(thread?.thread?.threadName, 'default');
  assert.equal(thread?.parentUuid, proc?.uuid);
  const read = [...readTraceSync(dir)].filter((e) => e.name === 'pf:rx');
  const instants = trace.events.filter((e) => e.type === 'TYPE_INSTANT');
  assert.equal(instants.length, read.length);
  instants.forEach((e, i) => {
    assert.equal(e.name, 'pf:rx');
    assert.equal(e.trackUuid, thread?.uuid);
    assert.equal(e.timestampNs, read[i].timestamp, `event ${i}: incremental timestamps add up to the exact time`);
  });
  assert.deepEqual(instants[0].args, { len: 1500n, proto: 'tcp', big: 2n ** 64n - 1n, neg: -5n, ratio: 0.5, payload: 'dead' });
  assert.deepEqual(instants[2].args, { len: 1n, proto: 'udp', big: 1n, neg: -1n, ratio: 0.125, payload: '' });
});

test('span pairs: nested slices on the thread track, span_id slices on lanes of the process', () => {
  const trace = exportPerfetto(dir);
  const begins = trace.events.filter((e) => e.type === 'TYPE_SLICE_BEGIN');
  const ends = trace.events.filter((e) => e.type === 'TYPE_SLICE_END');
  assert.deepEqual(begins.map((e) => e.name), ['pfreq', 'pfreq', 'pfstep']);
  assert.equal(ends.length, 3);
  const [a, b] = begins;
  assert.notEqual(a.trackUuid, b.trackUuid, 'overlapping async spans on two lanes');
  const lane = trace.tracks.get(a.trackUuid);
  assert.equal(lane?.name, 'pfreq');
  const proc = [...trace.tracks.values()].find((t) => t.process !== undefined);
  assert.equal(lane?.parentUuid, proc?.uuid);
  assert.deepEqual(a.args, { span_id: 1n, path: '/a' });
  assert.equal(ends.find((e) => e.trackUuid === a.trackUuid)?.args.status, 200n);
  assert.equal(ends.find((e) => e.trackUuid === b.trackUuid)?.args.status, 404n);
});

test('names, field names and short strings are interned once per sequence', () => {
  const out = join(work.path, 'interned.pftrace');
  assert.equal(tracemark(['export', dir, '--format', 'perfetto', '-o', out]).status, 0);
  const text = readFileSync(out).toString('latin1');
  assert.equal(text.split('pf:rx').length - 1, 1);
  assert.equal(text.split('proto').length - 1, 1);
  assert.equal(text.split('udp').length - 1, 1);
});

test('lost events: slices over the lost time on a lost-events track', async () => {
  const lossy = join(work.path, 'lossy');
  const burst = marker('pf:burst', 'i %u pad %s');
  const session = new Session({ output: lossy, channels: { default: { subbufSize: 512, subbufCount: 2 } } });
  session.enable('pf:burst');
  session.start();
  for (let i = 0; i < 50_000; i++) burst(i, 'padding-padding-padding');
  await session.close();
  const lost = session.stats().channels.default.discarded;
  assert.ok(lost > 0);
  const trace = exportPerfetto(lossy);
  assert.deepEqual(trace.problems, []);
  const lostTrack = [...trace.tracks.values()].find((t) => t.name === 'default: lost events');
  assert.ok(lostTrack !== undefined);
  const ranges = trace.events.filter((e) => e.trackUuid === lostTrack.uuid && e.type === 'TYPE_SLICE_BEGIN');
  assert.equal(ranges.reduce((n, e) => n + Number(e.args.count), 0), lost);
  const ends = trace.events.filter((e) => e.trackUuid === lostTrack.uuid && e.type === 'TYPE_SLICE_END');
  assert.equal(ends.length, ranges.length);
  ranges.forEach((r, i) => assert.ok(ends[i].timestampNs >= r.timestampNs));
});
