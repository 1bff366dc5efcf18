/**
 * A session started by `tracemark ctl` in a running process records its worker threads too:
 * the worker's own marker (declared only there) is listed, enabled by the same pattern, and
 * written to a stream of its own, `<channel>_<threadId>`, that babeltrace2 reads.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readTraceSync } from '../../src/read/index.js';
import { ctfcheck, tempDir, tracemark, waitFor, type RunResult } from '../cli/helpers.js';
import { startHost, type Host } from './host.js';

const tmp = tempDir('tm-ctl-workers-');
const socketDir = join(tmp.path, 's');
const env = { ...process.env, TRACEMARK_CONTROL_DIR: socketDir };
let host: Host;

function ctl(...args: string[]): string {
  const run: RunResult = tracemark(['ctl', String(host.pid), ...args], { env, cwd: tmp.path });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout;
}

before(async () => {
  host = await startHost(socketDir, { fixture: 'host-worker.js' });
});
after(async () => {
  await host.stop();
  tmp.remove();
});

test('ctl enable --output + start: the worker thread\'s marker is recorded in its own stream', async () => {
  // The worker declares its marker when it starts: the registry every thread shares lists it.
  await waitFor('the worker\'s marker in ctl list', () => (ctl('list').includes('ctl:worker') ? true : undefined));
  ctl('enable', 'ctl:*', '--output', 'live');
  ctl('start');
  await waitFor('events of both threads', () => {
    const sessions = (JSON.parse(ctl('list', '--json')) as { sessions: { events: number }[] }).sessions;
    return sessions.length > 0 && sessions[0].events >= 20 ? true : undefined;
  });
  // Give the worker time to fill some of its own ring before the close hands it over.
  await new Promise((resolve) => setTimeout(resolve, 200));
  ctl('close');
  const dir = join(tmp.path, 'live');
  const streams = readdirSync(dir).filter((f) => f !== 'metadata').sort();
  assert.ok(streams.includes('default_0'), streams.join(' '));
  const workerStreams = streams.filter((f) => f !== 'default_0');
  assert.equal(workerStreams.length, 1, streams.join(' '));
  const events = [...readTraceSync(dir)];
  const fromWorker = events.filter((e) => e.name === 'ctl:worker');
  const fromMain = events.filter((e) => e.name === 'ctl:tick');
  assert.ok(fromWorker.length >= 10, `${fromWorker.length} worker events`);
  assert.ok(fromMain.length >= 10, `${fromMain.length} main-thread events`);
  // The thread is named by its stream (docs/trace-format.md): default_<threadId>.
  assert.ok(fromWorker.every((e) => e.stream === workerStreams[0]), 'the worker\'s events are in its stream');
  assert.ok(fromMain.every((e) => e.stream === 'default_0'), 'the main thread\'s in default_0');
  // Consecutive values from one worker: nothing lost between the first and the last recorded.
  const values = fromWorker.map((e) => Number(e.fields.i));
  assert.deepEqual(values, Array.from({ length: values.length }, (_, k) => values[0] + k));
  const check = ctfcheck(dir, ['--expect-classes', 'ctl:tick,ctl:worker']);
  assert.equal(check.status, 0, check.stdout + check.stderr);
});
