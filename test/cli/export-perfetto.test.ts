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

function exportPerfettoFile(from: string, extra: string[] = []): Uint8Array {
  const out = join(work.path, `out-${Math.random().toString(16).slice(2)}.pftrace`);
  const run = tracemark(['export', from, '--format', 'perfetto', '-o', out, ...extra]);
  assert.equal(run.status, 0, run.stderr);
  return readFileSync(out);
}

function exportPerfetto(from: string, extra: string[] = []): DecodedTrace {
  return decodePerfetto(exportPerfettoFile(from, extra));
}

test('packets are deflated as Perfetto writes them (compressed_packets); --uncompressed writes the same packets plain', () => {
  const compressedBytes = exportPerfettoFile(dir);
  const plainBytes = exportPerfettoFile(dir, ['--uncompressed']);
  const compressed = decodePerfetto(compressedBytes);
  const plain = decodePerfetto(plainBytes);
  assert.deepEqual(compressed.problems, []);
  assert.deepEqual(plain.problems, []);
  assert.ok(compressed.compressedPackets >= 1, 'at least one compressed_packets packet');
  assert.equal(plain.compressedPackets, 0);
  // Every top-level packet of the default output is a compressed one: nothing left plain.
  assert.equal(compressed.compressedPackets, countTopLevelPackets(compressedBytes));
  assert.equal(compressed.packets, plain.packets);
  assert.deepEqual(compressed.events, plain.events);
  assert.deepEqual([...compressed.tracks], [...plain.tracks]);
  assert.ok(compressedBytes.length < plainBytes.length / 2, `deflated ${compressedBytes.length} B, plain ${plainBytes.length} B`);
  const misuse = tracemark(['export', dir, '--uncompressed', '-o', join(work.path, 'x.json')]);
  assert.equal(misuse.status, 2);
  assert.match(misuse.stderr, /--uncompressed goes with --format perfetto/);
});

/** Top-level Trace.packet fields of a file (tag 0x0a, length varint), counted by walking them. */
function countTopLevelPackets(bytes: Uint8Array): number {
  let count = 0;
  let p = 0;
  while (p < bytes.length) {
    assert.equal(bytes[p++], 0x0a, 'a top-level TracePacket tag');
    let length = 0;
    let scale = 1;
    for (;;) {
      const b = bytes[p++];
      length += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) break;
    }
    p += length;
    count++;
  }
  assert.equal(p, bytes.length);
  return count;
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
  // Typed fields: trace processor's arg keys are <extension>.<field>, no debug annotation left.
  assert.deepEqual(instants[0].argKeys, ['pf_rx.len', 'pf_rx.proto', 'pf_rx.big', 'pf_rx.neg', 'pf_rx.ratio', 'pf_rx.payload']);
});

test('the trace carries the schema of its typed fields: one TrackEvent extension per marker, in the range for third parties', () => {
  const trace = exportPerfetto(dir);
  const byName = new Map([...trace.extensions.values()].map((e) => [e.name, e]));
  const rx = byName.get('pf_rx');
  assert.ok(rx !== undefined, [...byName.keys()].join());
  assert.equal(rx.extendee, '.perfetto.protos.TrackEvent');
  assert.deepEqual(rx.fields, { len: 'uint64', proto: 'string', big: 'uint64', neg: 'sint64', ratio: 'double', payload: 'string' });
  assert.deepEqual([...byName.keys()].sort(), ['pf_rx', 'pfreq_begin', 'pfreq_end', 'pfstep_begin', 'pfstep_end']);
  for (const e of trace.extensions.values()) assert.ok(e.number >= 9900 && e.number <= 10000, String(e.number));
  // Each schema comes before the first event that uses it (the decoder reports any other order).
  assert.deepEqual(trace.problems, []);
});

test('past 101 markers, and for exact values a type cannot hold, fields stay debug annotations: nothing is lost', async () => {
  const many = join(work.path, 'many-markers');
  const fire = Array.from({ length: 103 }, (_, i) => marker(`pfmany:m${i}`, 'i %d v %g'));
  const session = new Session({ output: many });
  session.enable('pfmany:*');
  session.start();
  fire.forEach((f, i) => f(-i, i === 0 || i === 102 ? -0 : i / 2));
  await session.close();
  const trace = exportPerfetto(many);
  assert.deepEqual(trace.problems, []);
  assert.equal(trace.extensions.size, 101);
  const events = trace.events.filter((e) => e.name?.startsWith('pfmany:'));
  assert.equal(events.length, 103);
  const read = [...readTraceSync(many)].filter((e) => e.name.startsWith('pfmany:'));
  events.forEach((e, i) => {
    assert.equal(e.name, read[i].name);
    assert.equal(e.args.i, BigInt(read[i].fields.i as number));
    // An annotation writes a whole double as an integer (the same number).
    assert.ok(Object.is(typeof e.args.v === 'bigint' ? Number(e.args.v) : e.args.v, read[i].fields.v), `${e.name}: ${String(e.args.v)}`);
  });
  for (const name of ['pfmany:m0', 'pfmany:m102']) assert.ok(Object.is(events.find((e) => e.name === name)?.args.v, -0), `${name}: -0 stays -0 (a double)`);
  const typed = events.filter((e) => e.argKeys[0].startsWith('pfmany_'));
  const annotated = events.filter((e) => e.argKeys[0].startsWith('debug.'));
  assert.equal(typed.length, 101);
  assert.equal(annotated.length, 2);
  assert.deepEqual(annotated[0].argKeys, ['debug.i', 'debug.v']);
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

test('event names are interned, field names said once (in the schema), repeated longer strings interned', async () => {
  const logDir = join(work.path, 'log');
  const log = marker('pf:log', 'n %u msg %s tag %s');
  const session = new Session({ output: logDir });
  session.enable('pf:log');
  session.start();
  for (let i = 0; i < 200; i++) log(i, i % 2 === 0 ? 'a-longer-repeated-message' : 'another-long-message', i % 2 === 0 ? 'abc' : 'cde');
  await session.close();
  const out = join(work.path, 'interned.pftrace');
  // Plain packets, so that the strings can be counted in the file's bytes.
  assert.equal(tracemark(['export', logDir, '--format', 'perfetto', '--uncompressed', '-o', out]).status, 0);
  const text = readFileSync(out).toString('latin1');
  const count = (s: string): number => text.split(s).length - 1;
  assert.equal(count('pf:log'), 1);
  assert.equal(count('a-longer-repeated-message'), 1);
  assert.equal(count('another-long-message'), 1);
  assert.equal(count('msg'), 1);
  // Short strings are cheaper inline (2 bytes and the text) than as an interned annotation (7+).
  assert.equal(count('abc'), 100);
  const trace = decodePerfetto(readFileSync(out));
  assert.deepEqual(trace.problems, []);
  const events = trace.events.filter((e) => e.name === 'pf:log');
  assert.equal(events.length, 200);
  assert.deepEqual(events[1].args, { n: 1n, msg: 'another-long-message', tag: 'cde' });
  // One key per field for every event of the marker: the choice is made once per marker.
  assert.deepEqual(events[0].argKeys, ['pf_log.n', 'pf_log.tag', 'debug.msg']);
  assert.ok(events.every((e) => e.argKeys.join() === events[0].argKeys.join()));
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
