/**
 * Worker threads record into the main thread's sessions (src/threads): per-thread streams
 * `<channel>_<threadId>`, exact accounting per thread (written + discarded == fired, read back
 * by babeltrace2 stream by stream), a worker created before the session started, a marker
 * declared only in workers, a worker that throws, a worker terminated mid-packet.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bt2dump, plain, repoRoot, trace } from '../ctf/helpers.js';

const app = join(repoRoot, 'test', 'threads', 'fixtures', 'workers-app.mjs');

interface StreamCount { events: number; discarded: number; names: Set<string>; tids: Set<bigint>; warnings: string }

/** babeltrace2's view of each stream file on its own (the trace's metadata beside it). */
function perStream(dir: string): Map<number, StreamCount> {
  const out = new Map<number, StreamCount>();
  for (const file of readdirSync(dir)) {
    if (file === 'metadata') continue;
    const match = /^default_(\d+)$/.exec(file);
    assert.ok(match, `stream file named <channel>_<vtid>: ${file}`);
    const one = mkdtempSync(join(tmpdir(), 'tracemark-stream-'));
    try {
      copyFileSync(join(dir, 'metadata'), join(one, 'metadata'));
      copyFileSync(join(dir, file), join(one, file));
      const dump = bt2dump(one);
      assert.equal(dump.error, undefined, dump.error);
      out.set(Number(match[1]), {
        events: dump.events.length,
        discarded: dump.discarded.reduce((sum, n) => sum + n, 0),
        names: new Set(dump.events.map((e) => e.name)),
        tids: new Set(dump.events.filter((e) => e.fields.tid !== undefined).map((e) => plain(e.fields.tid) as bigint)),
        warnings: dump.warnings,
      });
    } finally {
      rmSync(one, { recursive: true, force: true });
    }
  }
  return out;
}

function run(mode: string, dir: string, count: number): { fired: Record<string, number>; error: string | null } {
  const child = spawnSync(process.execPath, [app, mode, dir, String(count)], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { fired: Record<string, number>; error: string | null };
}

test('three workers (one created before the session started) and the main thread: exact counts per thread', () => {
  const dir = trace('workers-counts');
  const { fired, error } = run('counts', dir, 20_000);
  assert.equal(error, null);
  const streams = perStream(dir);
  assert.deepEqual([...streams.keys()].sort((a, b) => a - b), Object.keys(fired).map(Number).sort((a, b) => a - b));
  for (const [vtid, stream] of streams) {
    // Tiny rings: some threads lose events, and every loss is counted.
    assert.equal(stream.events + stream.discarded, fired[String(vtid)], `thread ${vtid}: ${stream.events} written + ${stream.discarded} discarded`);
    if (vtid === 0) {
      assert.deepEqual([...stream.names], ['app:main']);
    } else {
      // A marker declared only in the workers: its event class reached the metadata first.
      if (stream.events > 0) assert.deepEqual([...stream.names], ['worker:only']);
      assert.ok([...stream.tids].every((tid) => tid === BigInt(vtid)), `thread ${vtid} writes only its own events`);
    }
  }
  // The whole directory is one trace for babeltrace2, merged in time order.
  const all = bt2dump(dir);
  assert.equal(all.error, undefined);
  const total = [...streams.values()].reduce((sum, s) => sum + s.events, 0);
  assert.equal(all.events.length, total);
  const times = all.events.map((e) => BigInt(e.ns));
  assert.ok(times.every((t, i) => i === 0 || t >= times[i - 1]));
});

test('a worker that throws after firing loses nothing', () => {
  const dir = trace('workers-throw');
  const { fired } = run('throw', dir, 20_000);
  const streams = perStream(dir);
  const vtid = Number(Object.keys(fired).find((k) => k !== '0'));
  assert.equal(streams.get(vtid)?.events, 20_000);
  assert.equal(streams.get(vtid)?.discarded, 0);
  assert.equal(streams.get(vtid)?.warnings.includes('discarded') ?? true, false);
});

test('a terminated worker: what it left in its open sub-buffer is counted as discarded', () => {
  const dir = trace('workers-terminate');
  const { fired } = run('terminate', dir, 0);
  const streams = perStream(dir);
  const vtid = Number(Object.keys(fired).find((k) => k !== '0'));
  const stream = streams.get(vtid)!;
  assert.equal(fired[String(vtid)], 20_000);
  // All of them were in the packet it held open (one 1 MiB sub-buffer holds them): none written,
  // every one counted as discarded.
  assert.equal(stream.events, 0);
  assert.equal(stream.discarded, 20_000);
});

test('process.exit() in the main thread while workers run with packets open: every event of theirs is written or counted', () => {
  const dir = trace('workers-exit');
  const { fired } = run('exit', dir, 5_000);
  const streams = perStream(dir);
  const workers = Object.keys(fired).filter((k) => k !== '0');
  assert.equal(workers.length, 2);
  let discarded = 0;
  for (const vtid of workers) {
    const stream = streams.get(Number(vtid));
    assert.ok(stream !== undefined, `a stream for thread ${vtid}`);
    assert.equal(fired[vtid], 5_000);
    assert.equal(stream.events + stream.discarded, 5_000, `thread ${vtid}: ${stream.events} written + ${stream.discarded} discarded`);
    assert.equal(stream.warnings.includes('rror'), false, stream.warnings);
    discarded += stream.discarded;
  }
  // At least the packets they left open were lost, and counted.
  assert.ok(discarded > 0);
});

test('session.close() while a worker is busy in a synchronous loop: its open packet is counted as discarded', () => {
  const dir = trace('workers-close-busy');
  const { fired } = run('close-busy', dir, 5_000);
  const streams = perStream(dir);
  const vtid = Object.keys(fired).find((k) => k !== '0')!;
  const stream = streams.get(Number(vtid))!;
  assert.equal(fired[vtid], 5_000);
  // One default sub-buffer holds them all: the packet it left open, none written, all counted.
  assert.equal(stream.events, 0);
  assert.equal(stream.discarded, 5_000);
});

test('a busy worker sees tracing.enabled and session.stop() of the main thread at its next event; its targets are the main thread\'s', () => {
  const dir = trace('workers-switch');
  const child = spawnSync(process.execPath, [join(repoRoot, 'test', 'threads', 'fixtures', 'switch-app.mjs'), dir], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(child.status, 0, child.stderr);
  const { shapes } = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { shapes: { main: unknown[]; worker: unknown[] } };
  // The fire function is the same in both threads and reads the same kind of object: a data
  // property holding a one-cell shared Int32Array (no accessor call on the enabled path).
  const expected = [{ keys: ['recording', 'channel', 'expression', 'accept'], recording: 'shared Int32 cell' }];
  assert.deepEqual(shapes.main, expected);
  assert.deepEqual(shapes.worker, expected);
  const all = bt2dump(dir);
  assert.equal(all.error, undefined, all.error);
  const perPhase = [0, 0, 0, 0];
  for (const event of all.events) if (event.name === 'switch:w') perPhase[Number(plain(event.fields.phase)) - 1]++;
  assert.equal(all.discarded.reduce((sum, n) => sum + n, 0), 0);
  // 1: on; 2: tracing.enabled = false; 3: true again; 4: session stopped. The worker fired each
  // phase after it saw the main thread's step, without yielding in between.
  assert.deepEqual(perPhase, [5000, 0, 5000, 0]);
});

test('filters in a worker: an expression is compiled there for its fields and $ctx.vtid; a filter function cannot run there and its events are counted as filtered', () => {
  const dir = trace('workers-filter');
  const child = spawnSync(process.execPath, [join(repoRoot, 'test', 'threads', 'fixtures', 'filter-app.mjs'), dir], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(child.status, 0, child.stderr);
  const { vtid, workerFiltered } = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { vtid: number; workerFiltered: number };
  const streams = perStream(dir);
  // Main thread: `$ctx.vtid == <worker>` is false there (0), the function keeps i < 10.
  assert.deepEqual([...streams.get(0)!.names], ['flt:fn']);
  assert.equal(streams.get(0)!.events, 10);
  // The worker: the expression keeps i >= 600 (400 events); the function's 1000 are dropped.
  assert.deepEqual([...streams.get(vtid)!.names], ['flt:expr']);
  assert.equal(streams.get(vtid)!.events, 400);
  assert.equal(streams.get(vtid)!.discarded, 0);
  // Counted in the worker: 600 rejected by the expression, 1000 for the function it cannot run.
  assert.equal(workerFiltered, 1600);
});
