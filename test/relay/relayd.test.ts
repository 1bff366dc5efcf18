/**
 * Streaming to a real lttng-relayd (Debian's lttng-tools): live viewing with babeltrace2, several
 * processes into one relay, the stored trace against the local one, the relay restarted or absent.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Session, marker } from '../../src/index.js';
import { bt2dump } from '../ctf/helpers.js';
import { CLI, ROOT } from '../cli/helpers.js';
import { startHost } from '../control/host.js';
import { RELAYD_BIN, Relayd, babeltrace, freePort, waitFor } from './relayd.js';

const STREAMER = join(ROOT, 'test', 'relay', 'fixtures', 'streamer.js');
const WORKER_STREAMER = join(ROOT, 'test', 'relay', 'fixtures', 'worker-streamer.js');
const skip = RELAYD_BIN === undefined && process.env.TRACEMARK_TEST_RELAYD === undefined ? 'lttng-relayd is not installed (apt-get install lttng-tools)' : false;

const work = mkdtempSync(join(tmpdir(), 'tracemark-relay-test-'));
after(() => rmSync(work, { recursive: true, force: true }));

function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Running {
  const child = spawn(file, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** `tracemark record --relay URL --name NAME [-o DIR] -- node streamer.js COUNT INTERVAL [STOP]`. */
function record(relay: Relayd, name: string, streamerArgs: string[], output?: string): Running {
  return run(process.execPath, [CLI, 'record', '-q', '--relay', relay.url, '--name', name,
    ...(output === undefined ? [] : ['-o', output]), '--', 'node', STREAMER, ...streamerArgs]);
}

/** A live babeltrace2 attached to the relay session, killed after `timeoutMs` whatever happens. */
function liveViewer(relay: Relayd, name: string, timeoutMs = 45_000): Running {
  const viewer = run('babeltrace2', [relay.liveUrl(name)]);
  const timer = setTimeout(() => viewer.child.kill('SIGKILL'), timeoutMs);
  void viewer.exited.then(() => clearTimeout(timer));
  return viewer;
}

/** This process's TCP sockets in LISTEN state and its UDP sockets, from /proc (inode and local address). */
function listeningInetSockets(): Set<string> {
  const mine = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m !== null) mine.add(m[1]);
    } catch { /* closed meanwhile */ }
  }
  const found = new Set<string>();
  for (const table of ['tcp', 'tcp6', 'udp', 'udp6']) {
    let text = '';
    try { text = readFileSync(`/proc/net/${table}`, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || !mine.has(cols[9])) continue;
      if (table.startsWith('tcp') && cols[3] !== '0A') continue; // 0A: LISTEN
      found.add(`${table} ${cols[1]} inode ${cols[9]}`);
    }
  }
  return found;
}

function workerTicks(text: string): { i: number; label: string }[] {
  return [...text.matchAll(/relay:wtick: \{[^}]*\}, \{ i = (\d+), label = "([^"]*)" \}/g)].map((m) => ({ i: Number(m[1]), label: m[2] }));
}

function ticks(text: string): { i: number; pid: number; label: string }[] {
  return [...text.matchAll(/relay:tick: \{[^}]*\}, \{ i = (\d+), pid = (\d+), label = "([^"]*)" \}/g)]
    .map((m) => ({ i: Number(m[1]), pid: Number(m[2]), label: m[3] }));
}

describe('streaming to lttng-relayd', { skip, timeout: 240_000 }, () => {
  let relay: Relayd;
  before(async () => { relay = await Relayd.shared(); });
  after(async () => { await relay?.stop(); });

  test('a live babeltrace2 sees the events, with their values, while the program still runs', { timeout: 90_000 }, async () => {
    const name = uniqueName('live');
    const stop = join(work, `${name}.stop`);
    const app = record(relay, name, ['100000', '50', stop]);
    const viewer = liveViewer(relay, name);
    try {
      await waitFor('live events', () => ticks(viewer.stdout()).length >= 5 || app.child.exitCode !== null, 40_000);
      assert.equal(app.child.exitCode, null, `the program is still running (stderr: ${app.stderr()})`);
      const seen = ticks(viewer.stdout());
      assert.ok(seen.length >= 5, `live events: ${viewer.stdout()} ${viewer.stderr()}`);
      assert.equal(seen[0].i, 0);
      for (const [k, event] of seen.entries()) {
        assert.equal(event.i, k, 'in order, none missing');
        assert.equal(event.label, `tick-${k}`);
        assert.equal(event.pid, app.child.pid === undefined ? event.pid : event.pid);
      }
    } finally {
      writeFileSync(stop, '');
    }
    assert.equal(await app.exited, 0, app.stderr());
    // This viewer started before the session existed, with babeltrace2's default
    // session-not-found-action=continue: it never ends by itself (it waits for a next session of
    // that name, babeltrace2-source.ctf.lttng-live(7)). It must still get every event, to the
    // last: the relay's stored trace says how many there are.
    await waitFor('the stored trace', () => relay.traces(name).length === 1 && Relayd.dataBytes(relay.traces(name)[0]) > 0, 20_000);
    const stored = (): number => ticks(babeltrace(relay.traces(name)[0])).length;
    await waitFor('every event in the live viewer', () => ticks(viewer.stdout()).length >= stored() || viewer.child.exitCode !== null, 30_000, 500)
      .catch(() => { /* compared below */ });
    viewer.child.kill('SIGKILL');
    await viewer.exited;
    const all = ticks(viewer.stdout());
    assert.deepEqual(all.map((e) => e.i), [...Array(stored()).keys()], 'the viewer got every event, in order, to the last');
  });

  test('a session that ends: a live babeltrace2 gets every event and exits by itself', { timeout: 90_000 }, async () => {
    // A relay of its own, with its debug log: the test waits until the viewer has attached.
    const own = await Relayd.start({ verbose: true });
    try {
      const name = uniqueName('end');
      const go = join(work, `${name}.go`);
      const count = 300;
      const app = run(process.execPath, [CLI, 'record', '-q', '--relay', own.url, '--name', name, '--', 'node', STREAMER, String(count), '5'],
        { ...process.env, TRACEMARK_TEST_GO: go });
      await waitFor('the relay session', () => own.traces(name).length === 1 || app.child.exitCode !== null, 30_000);
      // session-not-found-action=end: the viewer ends when the session it read is gone.
      const viewer = run('babeltrace2', [own.liveUrl(name), '--params=session-not-found-action="end"']);
      const timer = setTimeout(() => viewer.child.kill('SIGKILL'), 60_000);
      try {
        // babeltrace2 attaches at the streams' current end (SEEK_LAST): the first event waits
        // until it is attached and asking for indexes.
        await waitFor('the live viewer attached', () => /Viewer get next index/.test(own.log()) || viewer.child.exitCode !== null, 30_000);
      } finally {
        writeFileSync(go, '');
      }
      assert.equal(await app.exited, 0, app.stderr());
      const code = await viewer.exited;
      clearTimeout(timer);
      assert.equal(viewer.child.signalCode, null, `the viewer ended by itself, not killed at the timeout (${viewer.stderr()})`);
      assert.equal(code, 0, viewer.stderr());
      assert.deepEqual(ticks(viewer.stdout()).map((e) => e.i), [...Array(count).keys()], 'every event, in order, to the last');
    } finally {
      await own.stop();
    }
  });

  test('three processes into one relay: one live viewer sees them all; the relay stores each', { timeout: 120_000 }, async () => {
    const name = uniqueName('fleet');
    const stop = join(work, `${name}.stop`);
    const apps = [0, 1, 2].map(() => record(relay, name, ['100000', '40', stop]));
    let viewer: Running | undefined;
    try {
      // A live viewer attaches to the sessions that exist when it starts (as with LTTng's own).
      await waitFor('three relay sessions with data', () => relay.traces(name).filter((t) => Relayd.dataBytes(t) > 0).length === 3, 40_000);
      viewer = liveViewer(relay, name, 60_000);
      const seen = viewer;
      await waitFor('events of three processes in one live viewer', () => new Set(ticks(seen.stdout()).map((e) => e.pid)).size >= 3
        || apps.some((a) => a.child.exitCode !== null), 40_000);
      assert.ok(apps.every((a) => a.child.exitCode === null), 'all still running');
      assert.equal(new Set(ticks(seen.stdout()).map((e) => e.pid)).size, 3, seen.stdout().slice(0, 2000) + seen.stderr());
    } finally {
      writeFileSync(stop, '');
    }
    for (const app of apps) assert.equal(await app.exited, 0, app.stderr());
    viewer?.child.kill('SIGKILL');
    await waitFor('three stored traces', () => relay.traces(name).length === 3, 10_000);
    for (const trace of relay.traces(name)) {
      const events = ticks(babeltrace(trace));
      assert.ok(events.length > 0);
      assert.deepEqual(events.map((e) => e.i), events.map((_, k) => k), `${trace}: every event of its process, in order`);
      assert.equal(new Set(events.map((e) => e.pid)).size, 1);
    }
  });

  test('the trace the relay stores equals the local one (record -o DIR --relay URL)', { timeout: 60_000 }, async () => {
    const name = uniqueName('same');
    const local = join(work, name);
    const app = record(relay, name, ['300', '1'], local);
    assert.equal(await app.exited, 0, app.stderr());
    await waitFor('the stored trace', () => relay.traces(name).length === 1 && Relayd.dataBytes(relay.traces(name)[0]) > 0, 10_000);
    const stored = bt2dump(relay.traces(name)[0]);
    const mine = bt2dump(local);
    // record's default pattern also records node:* (docs/node.md): count the streamer's own.
    assert.equal(mine.events.filter((e) => !e.name.startsWith('node:')).length, 300);
    assert.equal(stored.warnings, '');
    assert.deepEqual(stored.events, mine.events);
    assert.deepEqual(stored.discarded, mine.discarded);
  });

  test('record -- a process tree: each process streams its own trace into the one relay session', { timeout: 90_000 }, async () => {
    const name = uniqueName('tree');
    const local = join(work, name);
    const tree = join(ROOT, 'test', 'process', 'fixtures', 'tree.mjs');
    const app = run(process.execPath, [CLI, 'record', '-q', '-e', 'app:*', '--relay', relay.url, '--name', name, '-o', local, '--', 'node', tree]);
    assert.equal(await app.exited, 0, app.stderr());
    // The relay writes the last packets a little after the processes exit: wait for all 7 events.
    let stored: ReturnType<typeof bt2dump>[] = [];
    await waitFor('the 7 events in three stored traces', () => {
      if (relay.traces(name).length !== 3 || !relay.traces(name).every((t) => Relayd.dataBytes(t) > 0)) return false;
      stored = relay.traces(name).map((t) => bt2dump(t));
      return stored.reduce((sum, d) => sum + d.events.length, 0) === 7;
    }, 20_000, 500);
    assert.deepEqual(stored.map((d) => d.events.length).sort(), [1, 3, 3]);
    for (const dump of stored) assert.equal(dump.warnings, '');
    // Merged by time, the relay's three traces are the local directory's one trace.
    const merged = stored.flatMap((d) => d.events).sort((a, b) => (BigInt(a.ns) < BigInt(b.ns) ? -1 : BigInt(a.ns) > BigInt(b.ns) ? 1 : 0));
    assert.deepEqual(merged, bt2dump(local).events);
  });

  test('tracemark ctl PID enable --relay: a running process starts streaming; a live viewer sees it', { timeout: 60_000 }, async () => {
    const name = uniqueName('ctl');
    const socketDir = mkdtempSync(join(work, 'sock-'));
    const host = await startHost(socketDir);
    let viewer: Running | undefined;
    try {
      const ctl = (...args: string[]): Running => run(process.execPath, [CLI, 'ctl', String(host.pid), ...args], { ...process.env, TRACEMARK_CONTROL_DIR: socketDir });
      const enable = ctl('enable', 'ctl:tick', '--relay', relay.url, '--name', name);
      assert.equal(await enable.exited, 0, enable.stderr());
      const start = ctl('start');
      assert.equal(await start.exited, 0, start.stderr());
      assert.match(start.stdout(), new RegExp(`streaming to ${relay.url.replace(/[.]/g, '\\.')}`));
      viewer = liveViewer(relay, name);
      const seen = viewer;
      await waitFor('ctl:tick events in the live viewer', () => /ctl:tick: \{[^}]*\}, \{ i = \d+, label = "tick-\d+" \}/.test(seen.stdout()), 40_000);
      const close = ctl('close');
      assert.equal(await close.exited, 0, close.stderr());
      await seen.exited;
    } finally {
      viewer?.child.kill('SIGKILL');
      await host.stop();
    }
  });

  test('a worker thread started after the session: its stream reaches the live viewer and the stored trace', { timeout: 90_000 }, async () => {
    const name = uniqueName('worker');
    const stop = join(work, `${name}.stop`);
    const local = join(work, name);
    const app = run(process.execPath, [CLI, 'record', '-q', '--relay', relay.url, '--name', name, '-o', local, '--',
      'node', WORKER_STREAMER, '100000', '40', stop, '10']);
    let viewer: Running | undefined;
    try {
      await waitFor('the relay session', () => relay.traces(name).length === 1 || app.child.exitCode !== null, 30_000);
      viewer = liveViewer(relay, name, 60_000);
      const seen = viewer;
      await waitFor('worker events in the live viewer', () => workerTicks(seen.stdout()).length >= 5 || app.child.exitCode !== null, 40_000);
      assert.equal(app.child.exitCode, null, `the program is still running (stderr: ${app.stderr()})`);
      const live = workerTicks(seen.stdout());
      assert.ok(live.length >= 5, `live worker events: ${seen.stdout().slice(0, 2000)} ${seen.stderr()}`);
      for (const [k, event] of live.entries()) {
        assert.equal(event.i, live[0].i + k, 'in order, none missing');
        assert.equal(event.label, `w-${event.i}`);
      }
      assert.ok(ticks(seen.stdout()).length > 0, 'and the main thread\'s, merged');
    } finally {
      writeFileSync(stop, '');
    }
    assert.equal(await app.exited, 0, app.stderr());
    viewer?.child.kill('SIGKILL');
    // The relay writes the worker stream's last packets a little after the process exits (seen
    // in CI: the stored trace read too early lacked the last worker events): wait until it holds
    // as many events as the local trace, then compare them.
    const mine = bt2dump(local);
    let stored: ReturnType<typeof bt2dump> | undefined;
    await waitFor('the stored trace, whole', () => {
      if (relay.traces(name).length !== 1 || Relayd.dataBytes(relay.traces(name)[0]) === 0) return false;
      stored = bt2dump(relay.traces(name)[0]);
      return stored.events.length >= mine.events.length;
    }, 20_000, 500).catch(() => { /* compared below, with the difference shown */ });
    const storedDir = relay.traces(name)[0];
    assert.ok(readdirSync(storedDir).some((file) => /^default_[1-9]\d*$/.test(file)), `a stream of the worker: ${readdirSync(storedDir).join(' ')}`);
    stored ??= bt2dump(storedDir);
    assert.equal(stored.warnings, '');
    const storedWorker = stored.events.filter((e) => e.name === 'relay:wtick');
    assert.ok(storedWorker.length >= 5, 'the relay stored the worker\'s events');
    assert.deepEqual(storedWorker.map((e) => e.fields), storedWorker.map((_, k) => ({ i: { i: String(k) }, label: { s: `w-${k}` } })));
    assert.deepEqual(stored.events, mine.events, 'the stored trace equals the local one, event by event');
    assert.deepEqual(stored.discarded, mine.discarded);
  });

  test('a live viewer behind when a worker thread ends mid-session still reads that thread\'s stream to its end', { timeout: 90_000 }, async () => {
    const name = uniqueName('lagging');
    const count = 3000;
    // The worker fires `count` events 1 ms apart and ends; the main thread goes on for 400 more.
    const app = run(process.execPath, [CLI, 'record', '-q', '--relay', relay.url, '--name', name, '--', 'node', WORKER_STREAMER, String(count), '1', '-', '400']);
    await waitFor('the relay session', () => relay.traces(name).length === 1 || app.child.exitCode !== null, 30_000);
    // A viewer whose output is not read: once the pipe is full it stops reading the relay, and
    // stays behind until the program has ended (its worker's stream closed long before).
    const viewer = spawn('babeltrace2', [relay.liveUrl(name), '--params=session-not-found-action="end"'], { stdio: ['ignore', 'pipe', 'pipe'] });
    viewer.stdout.pause();
    let stderr = '';
    viewer.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const exited = new Promise<void>((resolve) => viewer.once('exit', () => resolve()));
    const timer = setTimeout(() => viewer.kill('SIGKILL'), 60_000);
    try {
      assert.equal(await app.exited, 0, app.stderr());
      let out = '';
      viewer.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
      viewer.stdout.resume();
      await exited;
      assert.equal(viewer.signalCode, null, `the viewer ended by itself (${stderr})`);
      const seen = workerTicks(out).map((e) => e.i);
      assert.equal(seen.length, count, `every worker event (${seen.length} seen, the last ${String(seen.at(-1))})`);
      assert.deepEqual(seen, [...Array(count).keys()]);
    } finally {
      clearTimeout(timer);
      viewer.kill('SIGKILL');
    }
  });

  test('in the API: events fired by a late marker, and the stats', { timeout: 60_000 }, async () => {
    const name = uniqueName('api');
    const session = new Session({ relay: relay.url, name });
    // Not node:* (docs/node.md): the idle wait below would record event-loop samples.
    const listeningBefore = listeningInetSockets();
    session.enable('*').disable('node:*').start();
    const late = marker(`relay_api_${randomBytes(3).toString('hex')}:late`, 'value %d text %s');
    for (let i = 0; i < 50; i++) late(-i, `t${i}`);
    // Idle for a few packet-close ticks: live beacons tell viewers the stream has nothing new.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    // The sender only connects out: no TCP socket of this process listens, no UDP socket is bound,
    // beyond those it had before (docs/relay.md, "Security").
    assert.deepEqual([...listeningInetSockets()].filter((s) => !listeningBefore.has(s)), [], 'no listening network socket while streaming');
    await session.close();
    const stats = session.stats();
    assert.ok((stats.relay?.beacons ?? 0) >= 1, `beacons: ${JSON.stringify(stats.relay)}`);
    assert.equal(stats.relay?.connections, 1);
    assert.ok((stats.relay?.packetsSent ?? 0) >= 1);
    assert.equal(stats.relay?.packetsDropped, 0);
    await waitFor('the stored trace', () => relay.traces(name).length === 1 && Relayd.dataBytes(relay.traces(name)[0]) > 0, 10_000);
    const stored = bt2dump(relay.traces(name)[0]);
    assert.equal(stored.events.length, 50);
    assert.deepEqual(stored.events[49].fields, { value: { i: '-49' }, text: { s: 't49' } });
  });
});

describe('relay faults', { skip, timeout: 240_000 }, () => {
  test('relay killed and restarted mid-trace: the local trace is whole, the sender reconnects', { timeout: 120_000 }, async () => {
    const relay = await Relayd.start();
    try {
      const name = uniqueName('restart');
      const stop = join(work, `${name}.stop`);
      const local = join(work, name);
      const app = run(process.execPath, [STREAMER, '100000', '10', stop], {
        ...process.env, TRACEMARK_TEST_SESSION: JSON.stringify({ relay: relay.url, name, output: local }),
      });
      try {
        await waitFor('data on the relay', () => relay.traces(name).length === 1 && Relayd.dataBytes(relay.traces(name)[0]) > 0, 30_000);
        await relay.kill('SIGKILL');
        await new Promise((resolve) => setTimeout(resolve, 500));
        await relay.launch();
        await waitFor('a second relay session after the restart', () => relay.traces(name).length === 2 && Relayd.dataBytes(relay.traces(name)[1]) > 0, 40_000);
        assert.equal(app.child.exitCode, null, app.stderr());
      } finally {
        writeFileSync(stop, '');
      }
      assert.equal(await app.exited, 0, app.stderr());
      assert.match(app.stderr(), /lost the relay daemon/);
      const stats = JSON.parse(app.stdout()) as { relay: { connections: number }; channels: { default: { discarded: number } } };
      assert.ok(stats.relay.connections >= 2, app.stdout());
      const mine = ticks(babeltrace(local));
      assert.deepEqual(mine.map((e) => e.i), mine.map((_, k) => k), 'the local trace has every event');
      // The relay writes the last packets a little after the program exits: wait for the last event.
      const storedTicks = (): { i: number }[][] => relay.traces(name).map((trace) => ticks(babeltrace(trace)));
      await waitFor('the end of the trace on the relay', () => storedTicks()[1]?.at(-1)?.i === mine.at(-1)?.i, 20_000, 500).catch(() => { /* asserted below */ });
      const [before, afterRestart] = storedTicks();
      assert.ok(before.length > 0 && afterRestart.length > 0);
      assert.ok(afterRestart[0].i > before[before.length - 1].i, 'the second relay session continues the first');
      assert.deepEqual(afterRestart.map((e) => e.i), afterRestart.map((_, k) => afterRestart[0].i + k), 'nothing missing after the reconnection');
      assert.equal(afterRestart[afterRestart.length - 1].i, mine[mine.length - 1].i, 'the relay got the end of the trace');
    } finally {
      await relay.stop();
    }
  });

  test('relay killed and restarted while a worker thread streams: both streams go on in the new relay session', { timeout: 120_000 }, async () => {
    const relay = await Relayd.start();
    try {
      const name = uniqueName('wrestart');
      const stop = join(work, `${name}.stop`);
      const local = join(work, name);
      const workerStream = (trace: string): string | undefined => readdirSync(trace).find((file) => /^default_[1-9]\d*$/.test(file));
      const workerBytes = (trace: string): number => {
        const file = workerStream(trace);
        return file === undefined ? 0 : statSync(join(trace, file)).size;
      };
      const app = run(process.execPath, [CLI, 'record', '-q', '--relay', relay.url, '--name', name, '-o', local, '--',
        'node', WORKER_STREAMER, '100000', '10', stop, '5']);
      try {
        await waitFor('worker data on the relay', () => relay.traces(name).length === 1 && workerBytes(relay.traces(name)[0]) > 0 || app.child.exitCode !== null, 30_000);
        await relay.kill('SIGKILL');
        await relay.launch();
        await waitFor('worker data in a second relay session', () => relay.traces(name).length === 2 && workerBytes(relay.traces(name)[1]) > 0 || app.child.exitCode !== null, 40_000);
        assert.equal(app.child.exitCode, null, app.stderr());
      } finally {
        writeFileSync(stop, '');
      }
      assert.equal(await app.exited, 0, app.stderr());
      const mine = bt2dump(local);
      const localWorker = mine.events.filter((e) => e.name === 'relay:wtick').map((e) => Number((e.fields.i as { i: string }).i));
      assert.deepEqual(localWorker, localWorker.map((_, k) => k), 'the local trace has every worker event');
      const workerTicksOf = (trace: string): number[] => workerTicks(babeltrace(trace)).map((e) => e.i);
      await waitFor('the worker\'s last event on the relay', () => relay.traces(name).length === 2 && workerTicksOf(relay.traces(name)[1]).at(-1) === localWorker.at(-1), 20_000, 500)
        .catch(() => { /* asserted below */ });
      const [first, second] = relay.traces(name);
      assert.ok(workerStream(second) !== undefined, 'the worker stream was added again to the new relay session');
      const before = workerTicksOf(first);
      const after = workerTicksOf(second);
      assert.ok(before.length > 0 && after.length > 0, `worker events in both relay sessions: ${before.length}, ${after.length}`);
      assert.ok(after[0] > before[before.length - 1], 'the second relay session continues the first');
      assert.deepEqual(after, after.map((_, k) => after[0] + k), 'nothing missing after the reconnection');
      assert.equal(after.at(-1), localWorker.at(-1), 'the relay got the worker\'s last event');
      const mainAfter = ticks(babeltrace(second));
      assert.ok(mainAfter.some((e) => e.label.startsWith('after-')), 'and the main thread\'s events after the worker ended');
    } finally {
      await relay.stop();
    }
  });

  test('network stall (relay stopped): the program goes on; what could not be sent is counted as discarded in the relay trace', { timeout: 240_000 }, async () => {
    const relay = await Relayd.start();
    try {
      const name = uniqueName('stall');
      const stop = join(work, `${name}.stop`);
      // Relay only, about 20 MB/s into 4 × 64 KiB: a stalled relay soon fills budget and ring.
      const app = run(process.execPath, [STREAMER, '100000000', '1', stop], {
        ...process.env,
        TRACEMARK_TEST_BURST: '20',
        TRACEMARK_TEST_PAD: '1000',
        TRACEMARK_TEST_SESSION: JSON.stringify({ relay: relay.url, name, channels: { default: { subbufSize: 65536, subbufCount: 4 } } }),
      });
      try {
        await waitFor('data on the relay', () => relay.traces(name).length === 1 && Relayd.dataBytes(relay.traces(name)[0]) > 0, 30_000);
        relay.signal('SIGSTOP');
        await new Promise((resolve) => setTimeout(resolve, 4000));
        assert.equal(app.child.exitCode, null, 'the program runs through the stall');
        relay.signal('SIGCONT');
        await new Promise((resolve) => setTimeout(resolve, 1500));
      } finally {
        relay.signal('SIGCONT');
        writeFileSync(stop, '');
      }
      assert.equal(await app.exited, 0, app.stderr());
      const stats = JSON.parse(app.stdout()) as { relay: { connections: number; packetsSent: number; packetsDropped: number }; channels: { default: { written: number; discarded: number } } };
      assert.ok(stats.channels.default.discarded > 0, `the ring overflowed during the stall: ${app.stdout()}`);
      assert.equal(stats.relay.packetsDropped, 0, 'relay only: packets wait, events are dropped instead');
      const fired = stats.channels.default.written + stats.channels.default.discarded;
      // The relay may still be writing what queued during the stall after the program exits:
      // wait until it has stored every packet sent (its index entries), then read its traces once.
      // (A loaded host has taken over 30 s here; reading the traces is the expensive part.)
      const stored = (): number => relay.traces(name).reduce((sum, trace) => sum + Relayd.indexedPackets(trace), 0);
      await waitFor(`the relay storing ${stats.relay.packetsSent} packets`, () => stored() >= stats.relay.packetsSent, 120_000, 200)
        .catch(() => { /* compared below */ });
      const dumps = relay.traces(name).map((trace) => bt2dump(trace));
      const events = dumps.reduce((sum, d) => sum + d.events.length, 0);
      const discarded = dumps.reduce((sum, d) => sum + d.discarded.reduce((a, b) => a + b, 0), 0);
      const progress = `${stored()} of ${stats.relay.packetsSent} packets stored`;
      if (stats.relay.connections === 1) {
        assert.equal(events + discarded, fired, `reached the relay + reported discarded = fired (${progress})`);
        assert.equal(events, stats.channels.default.written, 'every event written into the ring reached the relay');
        assert.equal(discarded, stats.channels.default.discarded, 'babeltrace2 reports the events the ring dropped');
      } else {
        assert.ok(discarded > 0, 'babeltrace2 reports discarded events');
      }
    } finally {
      relay.signal('SIGCONT');
      await relay.stop();
    }
  });

  test('relay absent: record fails clearly before running the program', { timeout: 30_000 }, async () => {
    const port = await freePort();
    const marker = join(work, 'ran');
    const result = run(process.execPath, [CLI, 'record', '--relay', `net://127.0.0.1:${port}:${port}`, '--', 'node', '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`]);
    assert.equal(await result.exited, 1);
    assert.match(result.stderr(), /ERR_RELAY: cannot reach the relay daemon at net:\/\/127\.0\.0\.1:\d+:\d+: control port \d+: ECONNREFUSED/);
    assert.equal(existsSync(marker), false, 'the program did not run');
  });

  test('relay absent in the API: an error without output; local recording with one', { timeout: 30_000 }, async () => {
    const port = await freePort();
    const url = `net://127.0.0.1:${port}:${port}`;
    assert.throws(() => new Session({ relay: url }).start(), { code: 'ERR_RELAY', message: /ECONNREFUSED/ });
    assert.throws(() => new Session({ relay: 'tcp//x' }), { code: 'ERR_INVALID_ARG' });

    const warnings: string[] = [];
    const onWarning = (warning: Error): void => { warnings.push(warning.message); };
    process.on('warning', onWarning);
    const local = join(work, 'absent-local');
    const session = new Session({ relay: url, output: local });
    const tick = marker('relay:absent', 'i %u');
    session.enable('relay:absent').start();
    for (let i = 0; i < 20; i++) tick(i);
    await session.close();
    await new Promise((resolve) => setImmediate(resolve));
    process.removeListener('warning', onWarning);
    assert.ok(warnings.some((w) => /recording into .*absent-local/.test(w)), warnings.join('\n'));
    assert.equal(session.stats().relay?.connections, 0);
    assert.equal(bt2dump(local).events.length, 20);
  });
});
