/**
 * `tracemark export`: Chrome trace-event JSON for the Perfetto UI, from a real trace.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { marker, readTraceSync, Session } from '../../src/index.js';
import { microseconds } from '../../src/integrations/chrome-trace.js';
import { errorCodeOf, tempDir, tracemark } from './helpers.js';

interface ChromeEvent {
  ph: string;
  name?: string;
  cat?: string;
  s?: string;
  pid?: number;
  tid?: number;
  ts?: number;
  args?: Record<string, unknown>;
}

const work = tempDir('tracemark-export-');
const dir = join(work.path, 'trace');
after(() => work.remove());

before(async () => {
  const rx = marker('exp:rx', 'len %u proto %s big %lu payload %pW');
  const tick = marker('exp:tick', 'n %d ratio %g');
  const session = new Session({ output: dir });
  session.enable('exp:*');
  session.start();
  rx(1500, 'tcp', 2n ** 64n - 1n, new Uint8Array([0xde, 0xad]));
  for (let i = 0; i < 5; i++) tick(i, i / 4);
  rx(64, 'udp', 7, new Uint8Array(0));
  await session.close();
});

function exported(args: string[] = []): { text: string; events: ChromeEvent[] } {
  const out = join(work.path, `out-${args.length}-${Math.random().toString(16).slice(2)}.json`);
  const run = tracemark(['export', dir, '-o', out, ...args]);
  assert.equal(run.status, 0, run.stderr);
  const text = readFileSync(out, 'utf8');
  return { text, events: JSON.parse(text) as ChromeEvent[] };
}

test('the file starts as Perfetto sniffs JSON, names the process and thread, ends with {}]', () => {
  const { text, events } = exported();
  assert.ok(text.startsWith('[{"'));
  assert.ok(text.trimEnd().endsWith('{}]'));
  assert.equal(events[0].ph, 'M');
  assert.equal(events[0].name, 'process_name');
  assert.equal(events[0].pid, process.pid);
  const thread = events.find((e) => e.name === 'thread_name');
  assert.deepEqual(thread?.args, { name: 'default_0' });
  assert.equal(thread?.tid, process.pid);
});

test('one thread-scoped instant per event, fields as args, times in µs from the first event', () => {
  const { events } = exported();
  const instants = events.filter((e) => e.ph === 'i');
  const read = [...readTraceSync(dir)];
  assert.equal(instants.length, read.length);
  assert.deepEqual(instants.map((e) => e.name), read.map((e) => e.name));
  assert.ok(instants.every((e) => e.s === 't' && e.cat === 'exp' && e.pid === process.pid));
  const origin = read[0].timestamp;
  instants.forEach((e, i) => {
    // Three decimals of µs: the nanoseconds survive (parse back from the printed text).
    assert.equal(Math.round(e.ts! * 1000), Number(read[i].timestamp - origin));
  });
  assert.deepEqual(instants[0].args, { len: 1500, proto: 'tcp', big: '18446744073709551615', payload: 'dead' });
  assert.deepEqual(instants[1].args, { n: 0, ratio: 0 });
  assert.deepEqual(instants[instants.length - 1].args, { len: 64, proto: 'udp', big: '7', payload: '' });
});

test('-e and --filter choose events as print does', () => {
  assert.equal(exported(['-e', 'exp:tick']).events.filter((e) => e.ph === 'i').length, 5);
  assert.deepEqual(exported(['--filter', 'n >= 3']).events.filter((e) => e.ph === 'i').map((e) => e.args?.n), [3, 4]);
});

test('usage errors are one line with a code', () => {
  const run = tracemark(['export', dir, '--format', 'protobuf']);
  assert.equal(run.status, 2);
  assert.equal(errorCodeOf(run.stderr), 'ERR_USAGE');
});

test('microseconds() keeps nanoseconds exactly', () => {
  assert.equal(microseconds(0n), '0.000');
  assert.equal(microseconds(1n), '0.001');
  assert.equal(microseconds(1_234_567n), '1234.567');
  assert.equal(microseconds(1_795_000_000_123_456_789n), '1795000000123456.789');
  assert.equal(microseconds(-1500n), '-1.500');
});

test('lost events become process-scoped "events discarded" instants with their exact count', async () => {
  const lossy = join(work.path, 'lossy');
  const burst = marker('exp:burst', 'i %u pad %s');
  const session = new Session({ output: lossy, channels: { default: { subbufSize: 512, subbufCount: 2 } } });
  session.enable('exp:burst');
  session.start();
  for (let i = 0; i < 100_000; i++) burst(i, 'padding-padding-padding');
  await session.close();
  const lost = session.stats().channels.default.discarded;
  assert.ok(lost > 0, 'a 1 KiB ring overflows under 100k events');
  const out = join(work.path, 'lossy.json');
  const run = tracemark(['export', lossy, '-o', out]);
  assert.equal(run.status, 0, run.stderr);
  const events = JSON.parse(readFileSync(out, 'utf8')) as ChromeEvent[];
  const discarded = events.filter((e) => e.name === 'events discarded');
  assert.ok(discarded.every((e) => e.ph === 'i' && e.s === 'p'));
  assert.equal(discarded.reduce((sum, e) => sum + Number(e.args?.count), 0), lost);
});
