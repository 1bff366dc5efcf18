/**
 * Flight recorder: an overwrite session without output writes nothing until snapshot(dir).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { marker, Session } from '../../src/index.js';
import { bt2dump, ctfcheck, plain, trace } from './helpers.js';


const step = marker('snap:step', 'i %u name %s');

function traceUuid(dir: string): string {
  const bytes = readFileSync(join(dir, 'metadata')).subarray(4, 20);
  return Buffer.from(bytes).toString('hex');
}

test('snapshots of a wrapped ring hold exactly the newest events, as session.events() does', async () => {
  const session = new Session({ channels: { default: { mode: 'overwrite', subbufSize: 512, subbufCount: 4 } } });
  session.enable('snap:*');
  session.start();
  for (let i = 0; i < 1000; i++) step(i, `n${i}`);
  const held = session.events();
  assert.ok(held.length > 0 && held.length < 1000, 'the ring wrapped');
  assert.equal(held[held.length - 1].fields.i, 999);
  const first = trace('snap1');
  await session.snapshot(first);
  const check = ctfcheck(first, '--expect-events', String(held.length), '--expect-discarded', '0', '--expect-discarded-packets', '0');
  assert.equal(check.status, 0, check.output);
  const dump = bt2dump(first);
  assert.deepEqual(dump.events.map((e) => BigInt(e.ns)), held.map((e) => e.timestamp));
  assert.deepEqual(dump.events.map((e) => Number(plain(e.fields.i))), held.map((e) => e.fields.i));
  assert.deepEqual(dump.events.map((e) => plain(e.fields.name)), held.map((e) => e.fields.name));
  const ints = held.map((e) => e.fields.i as number);
  for (let k = 1; k < ints.length; k++) assert.equal(ints[k], ints[k - 1] + 1, 'no gap inside the kept window');

  // Recording goes on; a second snapshot is a new, complete trace.
  for (let i = 1000; i < 1100; i++) step(i, `n${i}`);
  const second = trace('snap2');
  await session.snapshot(second);
  const again = bt2dump(second);
  assert.equal(again.warnings, '');
  assert.equal(Number(plain(again.events[again.events.length - 1].fields.i)), 1099);
  assert.notEqual(traceUuid(first), traceUuid(second));
  assert.equal(ctfcheck(first, second).status, 0, 'two snapshots read together: distinct UUIDs');
  await session.close();
});

test('an overwrite session without output writes nothing by itself', async () => {
  const dir = trace('nothing');
  const session = new Session({ channels: { default: { mode: 'overwrite' } } });
  session.enable('snap:*');
  session.start();
  step(1, 'one');
  await session.close();
  assert.equal(existsSync(dir), false);
});

test('a snapshot refuses a directory that already holds a trace', async () => {
  const dir = trace('twice');
  const session = new Session({ channels: { default: { mode: 'overwrite' } } });
  session.enable('snap:*');
  session.start();
  step(1, 'one');
  await session.snapshot(dir);
  await assert.rejects(session.snapshot(dir), { code: 'ERR_TRACE_IO' });
  await session.close();
});
