/**
 * Following a trace while it is written. TraceFollower driven by hand (files grown a few bytes at
 * a time, cut packets, a stream file and a trace that appear late, a clock given by the test);
 * and `tracemark print --follow` on a trace that a tracemark Session in another process writes,
 * with metadata appended for a marker registered late, ended by SIGINT. Loops are bounded and
 * nothing depends on timing (waits end on what is printed; deadlines only fail the test).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, readFileSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TraceFollower, formatEvent, readTraceSync, type DiscardedInfo, type TraceEvent } from '../../src/read/index.js';
import { FIXTURES, fixture, readAllSync, scratchDir } from './helpers.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const INDEX = fileURLToPath(new URL('../../src/index.js', import.meta.url));

const lines = (events: readonly TraceEvent[]): string[] => events.map((e) => `${e.stream} ${formatEvent(e)}`);

/** Copies the trace at `from` into `to` by growing its stream files `step` bytes at a time, polling after each step. */
function followWhileCopying(from: string, to: string, step: number, order: 'round-robin' | 'one-after-the-other', onDiscarded?: (d: DiscardedInfo) => void): { events: TraceEvent[]; follower: TraceFollower } {
  const files = readdirSync(from).filter((f) => f !== 'metadata' && statSync(join(from, f)).isFile());
  const contents = new Map(files.map((f) => [f, readFileSync(join(from, f))]));
  mkdirSync(to, { recursive: true });
  let clock = 0;
  const follower = new TraceFollower(to, { now: () => clock, quietMs: 1000, ...(onDiscarded === undefined ? {} : { onDiscarded }) });
  const events: TraceEvent[] = [];
  assert.deepEqual(follower.poll(), [], 'nothing there yet');
  writeFileSync(join(to, 'metadata'), readFileSync(join(from, 'metadata')));
  const written = new Map(files.map((f) => [f, 0]));
  const grow = (file: string): boolean => {
    const all = contents.get(file) as Buffer;
    const at = written.get(file) as number;
    if (at >= all.length) return false;
    appendFileSync(join(to, file), all.subarray(at, Math.min(all.length, at + step)));
    written.set(file, Math.min(all.length, at + step));
    return true;
  };
  for (let rounds = 0; rounds < 100_000; rounds++) {
    const grew = order === 'round-robin' ? files.map(grow).some(Boolean) : files.some(grow);
    events.push(...follower.poll());
    assert.equal(follower.damage, undefined, 'a packet written halfway is not damage');
    if (!grew) break;
  }
  clock += 5000; // every stream is quiet now: what they hold back comes out
  events.push(...follower.poll(), ...follower.drain());
  follower.close();
  return { events, follower };
}

describe('TraceFollower', () => {
  for (const [trace, step] of [['tm-basic', 37], ['gm-two-streams', 100], ['gm-packetized-compact', 999]] as const) {
    it(`${trace}: grown ${step} bytes at a time, the same events in the same order as readTraceSync`, () => {
      const { dir, done } = scratchDir();
      try {
        const { events } = followWhileCopying(fixture('good', trace), join(dir, 'trace'), step, 'round-robin');
        assert.deepEqual(lines(events), lines(readAllSync(readTraceSync(fixture('good', trace))).events));
      } finally {
        done();
      }
    });
  }

  it('picks up a stream file that appears later (its older events are printed when read)', () => {
    const { dir, done } = scratchDir();
    try {
      const { events } = followWhileCopying(fixture('good', 'gm-two-streams'), join(dir, 'trace'), 512, 'one-after-the-other');
      const all = readAllSync(readTraceSync(fixture('good', 'gm-two-streams'))).events;
      assert.deepEqual(lines(events).sort(), lines(all).sort());
      assert.ok(events.some((e) => e.stream === 'stream_1') && events.some((e) => e.stream === 'stream_0'));
    } finally {
      done();
    }
  });

  it('picks up a trace directory that appears later, and reports real damage', () => {
    const { dir, done } = scratchDir();
    try {
      let clock = 0;
      const follower = new TraceFollower(dir, { now: () => clock });
      cpSync(fixture('good', 'gm-two-traces', 'a'), join(dir, 'a'), { recursive: true });
      const first = follower.poll();
      cpSync(fixture('good', 'gm-two-traces', 'b'), join(dir, 'b'), { recursive: true });
      clock += 5000;
      const events = [...first, ...follower.poll(), ...follower.drain()];
      assert.deepEqual(lines(events).sort(), lines(readAllSync(readTraceSync(fixture('good', 'gm-two-traces'))).events).sort());
      // A byte flip in the magic of a whole packet is damage, not a packet being written.
      const stream = readdirSync(join(dir, 'b')).find((f) => f !== 'metadata') as string;
      const bytes = readFileSync(join(dir, 'b', stream));
      appendFileSync(join(dir, 'b', stream), Buffer.concat([Buffer.from([0xde, 0xad, 0xbe, 0xef]), bytes.subarray(4)]));
      follower.poll();
      assert.equal(follower.damage?.code, 'ERR_TRACE_CORRUPT');
      follower.close();
    } finally {
      done();
    }
  });
});

/** The follower's damage now (a call: TypeScript would keep an earlier check's narrowing). */
const damageOf = (follower: TraceFollower): TraceFollower['damage'] => follower.damage;

/** Loss reports without the stream-independent order in which they come. */
const lossKeys = (losses: readonly DiscardedInfo[]): string[] => losses.map((d) => `${d.stream} ${d.kind} ${d.count} ${d.uncounted === true ? 'uncounted' : ''} ${d.beginNs} ${d.endNs}`).sort();

describe('TraceFollower losses and late metadata', () => {
  const rotated = join(FIXTURES, 'reader', 'rc-rotated');
  const wanted: DiscardedInfo[] = [];
  readAllSync(readTraceSync(rotated, { onDiscarded: (d) => wanted.push(d) }));

  for (const order of ['one-after-the-other', 'all at once'] as const) {
    it(`rotated tracefiles (${order}): each loss once, as without following (a loss at a file boundary too)`, () => {
      assert.ok(wanted.length >= 4, 'the fixture has losses');
      const { dir, done } = scratchDir();
      try {
        const got: DiscardedInfo[] = [];
        const { events } = followWhileCopying(rotated, join(dir, 'trace'), order === 'all at once' ? 1 << 30 : 200, 'one-after-the-other', (d) => got.push(d));
        assert.deepEqual(lossKeys(got), lossKeys(wanted));
        assert.deepEqual(lines(events).sort(), lines(readAllSync(readTraceSync(rotated)).events).sort());
      } finally {
        done();
      }
    });
  }

  it('--tracefile-count wrap-around: the oldest file removed and created again under its name is read as the next file', () => {
    const { dir, done } = scratchDir();
    try {
      const to = join(dir, 'trace');
      mkdirSync(to, { recursive: true });
      let clock = 0;
      const got: DiscardedInfo[] = [];
      const follower = new TraceFollower(to, { now: () => clock, quietMs: 1000, onDiscarded: (d) => got.push(d) });
      for (const f of ['metadata', 'chan_1_0', 'chan_0_0', 'chan_0_1']) cpSync(join(rotated, f), join(to, f));
      const events = [...follower.poll()];
      // As LTTng with --tracefile-count 2: chan_0_0 goes, and the third file takes its name.
      unlinkSync(join(to, 'chan_0_0'));
      events.push(...follower.poll());
      const third = readFileSync(join(rotated, 'chan_0_2'));
      for (let at = 0; at < third.length; at += 200) {
        appendFileSync(join(to, 'chan_0_0'), third.subarray(at, Math.min(third.length, at + 200)));
        events.push(...follower.poll());
        assert.equal(follower.damage, undefined, 'a packet written halfway is not damage');
      }
      clock += 5000;
      events.push(...follower.poll(), ...follower.drain());
      follower.close();
      const text = (list: readonly TraceEvent[]): string[] => list.map((e) => formatEvent(e)).sort();
      assert.deepEqual(text(events), text(readAllSync(readTraceSync(rotated)).events));
      // The same losses as reading the three files, each once (the third file's are reported under its new name).
      const unnamed = (list: readonly DiscardedInfo[]): string[] => lossKeys(list.map((d) => ({ ...d, stream: d.stream.startsWith('chan_0_') ? 'chan_0' : d.stream })));
      assert.deepEqual(unnamed(got), unnamed(wanted));
    } finally {
      done();
    }
  });

  /** gm-text-compact with its metadata cut before the event class declared last (used mid-stream). */
  function lateMetadataCopy(to: string): { head: string; tail: string } {
    const from = fixture('good', 'gm-text-compact');
    const text = readFileSync(join(from, 'metadata'), 'utf8');
    const cut = text.indexOf('/* appended after packet 0');
    assert.ok(cut > 0);
    mkdirSync(to, { recursive: true });
    writeFileSync(join(to, 'metadata'), text.slice(0, cut));
    cpSync(join(from, 'stream_0'), join(to, 'stream_0'));
    return { head: text.slice(0, cut), tail: text.slice(cut) };
  }

  it('an event class declared after its events: the stream waits for the metadata, then reads on', () => {
    const { dir, done } = scratchDir();
    try {
      const trace = join(dir, 'trace');
      const { tail } = lateMetadataCopy(trace);
      let clock = 0;
      const follower = new TraceFollower(trace, { now: () => clock, quietMs: 1000 });
      const events = [...follower.poll()];
      clock += 900;
      events.push(...follower.poll());
      assert.equal(follower.damage, undefined, 'not damage while the metadata may still grow');
      const all = readAllSync(readTraceSync(fixture('good', 'gm-text-compact'))).events;
      assert.ok(events.length < all.length);
      appendFileSync(join(trace, 'metadata'), tail);
      clock += 900; // 1800 ms since the stream began to wait, but the metadata just grew
      events.push(...follower.poll());
      clock += 5000;
      events.push(...follower.poll(), ...follower.drain());
      assert.equal(follower.damage, undefined);
      follower.close();
      assert.deepEqual(lines(events), lines(all));
    } finally {
      done();
    }
  });

  it('an event class the metadata never declares: damage once the metadata is quiet for quietMs', () => {
    const { dir, done } = scratchDir();
    try {
      const trace = join(dir, 'trace');
      lateMetadataCopy(trace);
      const unfollowed = readAllSync(readTraceSync(trace));
      assert.equal((unfollowed.error as { code?: string }).code, 'ERR_TRACE_CORRUPT');
      let clock = 0;
      const follower = new TraceFollower(trace, { now: () => clock, quietMs: 1000 });
      const events = [...follower.poll()];
      clock += 999;
      events.push(...follower.poll());
      assert.equal(follower.damage, undefined);
      clock += 1;
      events.push(...follower.poll(), ...follower.drain());
      const damage = damageOf(follower);
      assert.equal(damage?.code, 'ERR_TRACE_CORRUPT');
      assert.equal(damage?.message, (unfollowed.error as Error).message);
      assert.equal(damage?.byteOffset, (unfollowed.error as { byteOffset?: number }).byteOffset);
      follower.close();
      assert.deepEqual(lines(events), lines(unfollowed.events));
    } finally {
      done();
    }
  });
});

describe('TraceFollower read-ahead', () => {
  it('holds a bounded number of events per stream: a large trace comes in several polls', async () => {
    const api = (await import(INDEX)) as unknown as {
      marker(name: string, format: string): (...args: unknown[]) => void;
      Session: new (options: { output: string }) => { enable(p: string): unknown; start(): unknown; close(): Promise<void> };
    };
    const big = api.marker('follow:big', 'n %u');
    const { dir: root, done } = scratchDir();
    const dir = join(root, 'trace');
    try {
      const session = new api.Session({ output: dir });
      session.enable('follow:big');
      session.start();
      for (let i = 0; i < 70_000; i++) big(i);
      await session.close();
      let clock = 0;
      const follower = new TraceFollower(dir, { now: () => clock });
      clock += 5000;
      const events: TraceEvent[] = [];
      let polls = 0;
      do {
        const got = follower.poll();
        assert.ok(got.length <= 20_000 * 2, `one poll returned ${got.length} events`);
        events.push(...got);
        polls++;
      } while (follower.behind && polls < 1000);
      events.push(...follower.poll(), ...follower.drain());
      follower.close();
      assert.ok(polls > 1, 'read in several polls');
      assert.deepEqual(lines(events), lines(readAllSync(readTraceSync(dir)).events));
      assert.equal(events.filter((e) => e.name === 'follow:big').length, 70_000);
    } finally {
      done();
    }
  });
});

const WRITER = `
import { marker, Session } from ${JSON.stringify(INDEX)};
import { createInterface } from 'node:readline';
const tick = marker('follow:tick', 'n %u');
const session = new Session({ output: process.argv[2], flushIntervalMs: 20 });
session.enable('follow:*');
session.start();
let n = 0;
const batch = (count) => { for (let i = 0; i < count; i++) tick(n++); };
batch(100);
process.stdout.write('batch\\n');
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'late') {
    const late = marker('follow:late', 'text %s');
    session.enable('follow:*');
    late('registered after the start');
    batch(50);
    process.stdout.write('batch\\n');
  } else if (line === 'end') {
    await session.close();
    process.stdout.write('closed\\n');
    process.exit(0);
  }
}
`;

/** Resolves when `text()` satisfies `ready`; rejects after `ms` (a deadline, not a timing assertion). */
async function until(what: string, ready: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('tracemark print --follow', () => {
  it('prints what a running session writes, metadata appended late included, until SIGINT (exit 0)', { timeout: 120_000 }, async () => {
    const { dir: root, done } = scratchDir();
    const dir = join(root, 'trace');
    const script = join(root, 'writer.mjs');
    writeFileSync(script, WRITER);
    const writer = spawn(process.execPath, [script, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
    let writerOut = '';
    writer.stdout.on('data', (chunk: Buffer) => { writerOut += chunk.toString(); });
    let followed = '';
    let followErr = '';
    let follower: ReturnType<typeof spawn> | undefined;
    try {
      await until('the first batch', () => writerOut.includes('batch'));
      follower = spawn(process.execPath, [CLI, 'print', '--follow', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
      follower.stdout?.on('data', (chunk: Buffer) => { followed += chunk.toString(); });
      follower.stderr?.on('data', (chunk: Buffer) => { followErr += chunk.toString(); });
      const exited = new Promise<number | null>((resolve) => follower?.on('exit', (code) => resolve(code)));
      await until('event 99 printed while the session runs', () => followed.includes(' follow:tick: n=99\n'));
      writer.stdin.write('late\n');
      await until('the late marker and event 149', () => followed.includes('follow:late: text="registered after the start"') && followed.includes(' n=149\n'));
      writer.stdin.write('end\n');
      await until('the session closed', () => writerOut.includes('closed'));
      follower.kill('SIGINT');
      assert.equal(await exited, 0, followErr);
      assert.equal(followErr, '');
      // Everything the trace holds, once, in order: what `print` shows of the finished trace.
      const complete = readAllSync(readTraceSync(dir)).events.map((e) => formatEvent(e));
      assert.deepEqual(followed.trimEnd().split('\n'), complete);
      assert.equal(complete.filter((l) => l.includes('follow:tick')).length, 150);
    } finally {
      writer.kill();
      follower?.kill();
      done();
    }
  });
});
