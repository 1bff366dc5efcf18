/**
 * Tracemark's own threads (a session's drainer) stay out of the application's sight: its
 * `process.on('worker')` listeners and `worker_threads` channel subscribers see only the
 * application's Workers, and `node:worker:*`
 * records only those, even when a second session starts its drainer while the first records.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bt2dump, repoRoot } from '../ctf/helpers.js';
import { OWN_THREAD_NICE_STEPS } from '../../src/threads/own-worker.js';

test("a session's drainer thread is announced neither to the app's process.on('worker') nor to its worker_threads channel subscriber, nor recorded by node:worker:*", () => {
  const work = mkdtempSync(join(tmpdir(), 'tracemark-own-workers-'));
  try {
    const [dirA, dirB] = [join(work, 'a'), join(work, 'b')];
    const child = spawnSync(process.execPath, [join(repoRoot, 'test', 'threads', 'fixtures', 'own-workers-app.mjs'), dirA, dirB], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(child.status, 0, child.stderr);
    const seen = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { processEvents: number[]; channelEvents: number[]; channelSubscribed: boolean };
    // One Worker announced: the app's own (two drainers were started before it).
    assert.equal(seen.processEvents.length, 1, JSON.stringify(seen));
    const appThreadId = seen.processEvents[0];
    assert.deepEqual(seen.channelEvents, [appThreadId], 'the app\'s worker_threads subscriber sees its own Worker only');
    assert.equal(seen.channelSubscribed, false, 'the worker_threads channel is unsubscribed after the sessions closed');
    for (const dir of [dirA, dirB]) {
      const begins = bt2dump(dir).events.filter((e) => e.name === 'node:worker:begin');
      assert.deepEqual(begins.map((e) => e.fields.thread_id), [{ i: String(appThreadId) }], `${dir}: only the app's worker`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test("a session's drainer thread runs at a lower priority than the application's threads (Linux nice + OWN_THREAD_NICE_STEPS)", { skip: process.platform === 'linux' ? false : 'Linux only' }, () => {
  const work = mkdtempSync(join(tmpdir(), 'tracemark-own-nice-'));
  try {
    // In a process of its own: this test runner has threads of its own to tell apart.
    const script = `
      import { readdirSync, readFileSync } from 'node:fs';
      import { Session, marker } from ${JSON.stringify(join(repoRoot, 'dist', 'src', 'index.js'))};
      const niceOf = (tid) => { const stat = readFileSync('/proc/self/task/' + tid + '/stat', 'utf8'); return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]); };
      const niceValues = () => readdirSync('/proc/self/task').map(niceOf);
      const before = niceValues();
      const session = new Session({ output: ${JSON.stringify(join(work, 't'))} });
      session.enable('*').start();
      marker('nice:e', 'x %u')(1);
      const during = niceValues();
      await session.close();
      console.log(JSON.stringify({ main: niceOf(process.pid), before, during }));`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(child.status, 0, child.stderr);
    const { main, before, during } = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { main: number; before: number[]; during: number[] };
    assert.ok(before.every((nice) => nice === main), `no thread lowered before the session: ${before.join(' ')}`);
    const lowered = during.filter((nice) => nice === Math.min(19, main + OWN_THREAD_NICE_STEPS));
    assert.equal(lowered.length, 1, `one thread (the drainer) at nice ${main + OWN_THREAD_NICE_STEPS}: ${during.join(' ')}`);
    assert.equal(during.filter((nice) => nice === main).length, during.length - 1, 'every other thread keeps the process\'s priority');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
