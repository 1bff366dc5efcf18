/**
 * Traces on disk across the life of a process: normal end, process.exit(), an uncaught
 * exception, a synchronous loop that never yields, markers declared mid-trace, discarded events.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { marker, Session } from '../../src/index.js';
import { bt2dump, ctfcheck, plain, repoRoot, trace } from './helpers.js';


const exitApp = join(repoRoot, 'test', 'ctf', 'fixtures', 'exit-app.mjs');

for (const how of ['end', 'exit', 'throw']) {
  test(`a child that ends by '${how}' loses nothing already written`, () => {
    const dir = trace(`exit-${how}`);
    const child = spawnSync(process.execPath, [exitApp, dir, how, '50000'], { encoding: 'utf8' });
    assert.equal(child.status, how === 'throw' ? 1 : 0, child.stderr);
    const check = ctfcheck(dir, '--expect-events', '50000', '--expect-classes', 'exitapp:tick=50000', '--expect-discarded', '0');
    assert.equal(check.status, 0, `${check.output}\nchild stderr:\n${child.stderr}`);
  });
}

test('a marker declared mid-trace: its event class is appended before its events', () => {
  const dir = trace('late');
  const child = spawnSync(process.execPath, [exitApp, dir, 'late-marker', '10'], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  assert.equal(ctfcheck(dir, '--expect-events', '11', '--expect-classes', 'exitapp:tick=10,exitapp:late=1').status, 0);
  const dump = bt2dump(dir);
  assert.equal(dump.events[10].name, 'exitapp:late');
  assert.equal(plain(dump.events[10].fields.v), -42n);
});

test('a synchronous loop that never yields keeps being drained (the drainer is another thread)', async () => {
  const dir = trace('sync');
  const hot = marker('life:hot', 'a %d b %d c %ld s %s');
  const subbufSize = 16384;
  const subbufCount = 4;
  const session = new Session({ output: dir, channels: { default: { subbufSize, subbufCount } } });
  session.enable('life:hot');
  session.start();
  // Without a drainer running during the loop, at most one ring's worth (~2,500 events of 26 B)
  // could have been kept. Losses depend on the machine's load, so they are counted, not banned;
  // the loop (never yielding) runs until the drainer has kept 10 rings' worth, however long
  // that takes on a loaded machine, within a bound.
  const ringCapacityEvents = Math.floor((subbufSize - 84) / 26) * subbufCount;
  let count = 0;
  for (let i = 0; ; i++) {
    hot(i, -i, i * 3, 'hello');
    if (i % 10_000 === 9_999 && (i >= 5_000_000 || (i >= 150_000 && session.stats().channels.default.written > 10 * ringCapacityEvents))) {
      count = i + 1;
      break;
    }
  }
  await session.close();
  const stats = session.stats().channels.default;
  assert.equal(stats.written + stats.discarded, count);
  assert.ok(stats.written > 10 * ringCapacityEvents, `written ${stats.written}, ring holds ${ringCapacityEvents}`);
  const check = ctfcheck(dir, '--expect-events', String(stats.written), '--expect-discarded', String(stats.discarded));
  assert.equal(check.status, 0, check.output);
});

test('a ring too small for a burst: babeltrace2 reports exactly the events we counted as lost', async () => {
  const dir = trace('lost');
  const burst = marker('life:burst', 'i %u pad %s');
  const session = new Session({ output: dir, channels: { default: { subbufSize: 512, subbufCount: 2 } } });
  session.enable('life:burst');
  session.start();
  const count = 200_000;
  for (let i = 0; i < count; i++) burst(i, 'padding-padding-padding');
  await session.close();
  const stats = session.stats().channels.default;
  assert.equal(stats.written + stats.discarded, count);
  assert.ok(stats.discarded > 0, 'a 1 KiB ring must overflow under 200k events');
  const check = ctfcheck(dir, '--expect-events', String(stats.written), '--expect-discarded', String(stats.discarded));
  assert.equal(check.status, 0, check.output);
  // What survived is in order, without duplicates.
  const seen = bt2dump(dir).events.map((e) => Number(plain(e.fields.i)));
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i] > seen[i - 1]);
});

test('stop() flushes the partial packet; start() again continues the same trace', async () => {
  const dir = trace('restart');
  const tick = marker('life:tick', 'i %u');
  const session = new Session({ output: dir });
  session.enable('life:tick');
  session.start();
  tick(1);
  tick(2);
  session.stop();
  tick(99); // not recorded: the session is stopped
  session.start();
  tick(3);
  await session.close();
  const dump = bt2dump(dir);
  assert.deepEqual(dump.events.map((e) => plain(e.fields.i)), [1n, 2n, 3n]);
  assert.equal(dump.warnings, '');
});
