// LTTng crash-extracted traces: a session whose ring buffers live in files (`lttng create
// --shm-path DIR`), the traced app and the whole session daemon (with its consumer daemons)
// killed with SIGKILL mid-trace, then `lttng-crash -x OUT DIR` rebuilds a CTF trace from the
// buffers left behind. tracemark must read OUT as babeltrace2 does, event by event, loss by loss
// (test/lttng/compare.ts): discard and overwrite channels, normal and snapshot (flight recorder)
// sessions, per-uid and per-pid buffers.
//
// Killing a session daemon is only allowed for one of our own: as root the daemon lives in
// /var/run/lttng whatever LTTNG_HOME says (one per machine, shared by every test), so as root
// the scenario runs as a user created for the test, whose daemon lives in its own LTTNG_HOME;
// as another user it runs as that user with a private LTTNG_HOME.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTraceSync } from '../../src/read/index.js';
import { HAVE_BT2 } from '../read/support/bt2.js';
import { compare } from './compare.js';
import { buildApp, lttngUnavailable } from './support.js';

const isRoot = process.getuid?.() === 0;

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

const unavailable = lttngUnavailable()
  ?? (HAVE_BT2 ? undefined : 'python3-bt2 is not installed')
  ?? (which('lttng-crash') ? undefined : 'lttng-crash is not installed (apt: lttng-tools)')
  ?? (!isRoot || (which('useradd') && which('userdel')) ? undefined : 'as root the test needs useradd/userdel to run its own session daemon');

/** Pids of the processes of `uid` (the test user: all of them were started by this test). */
function processesOf(uid: number): number[] {
  const r = spawnSync('ps', ['-o', 'pid=', '-u', String(uid)], { encoding: 'utf8' });
  return r.stdout.split('\n').map((l) => Number(l.trim())).filter((n) => n > 0);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function processGroup(pid: number): number | undefined {
  try {
    // /proc/PID/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces, so split after ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}

function waitGone(pids: readonly number[]): void {
  for (let i = 0; i < 100 && pids.some(alive); i++) spawnSync('sleep', ['0.1']);
}

describe('LTTng crash-extracted traces (lttng-crash): tracemark reads what babeltrace2 reads', { skip: unavailable }, () => {
  let base: string;
  let home: string;
  let app: string;
  let user: { name: string; uid: number; gid: number } | undefined;
  let daemonPid: number | undefined;

  function as(): Pick<SpawnSyncOptions, 'uid' | 'gid' | 'env'> {
    const env = { ...process.env, HOME: home, LTTNG_HOME: home };
    return user === undefined ? { env } : { env, uid: user.uid, gid: user.gid };
  }

  function run(cmd: string, args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): ReturnType<typeof spawnSync> {
    const opts = as();
    return spawnSync(cmd, args, { ...opts, env: { ...opts.env, ...extraEnv }, encoding: 'utf8', timeout: 120_000 });
  }

  function lttng(args: readonly string[]): string {
    const r = run('lttng', args);
    if (r.status !== 0) throw new Error(`lttng ${args.join(' ')} failed (${r.status}): ${String(r.stdout)}${String(r.stderr)}`);
    return String(r.stdout);
  }

  /** SIGKILLs our session daemon's process group (daemon, its helper, its consumer daemons). */
  function killDaemon(): void {
    if (daemonPid === undefined) return;
    const pid = daemonPid;
    daemonPid = undefined;
    const group = processGroup(pid);
    try {
      if (group === pid) process.kill(-pid, 'SIGKILL');
      else process.kill(pid, 'SIGKILL');
    } catch { /* already gone */ }
    const left = user === undefined ? [pid] : processesOf(user.uid);
    waitGone(left);
  }

  /** Starts our own session daemon (each test kills it). */
  function startDaemon(): void {
    const pidFile = join(home, '.lttng', 'lttng-sessiond.pid');
    rmSync(pidFile, { force: true });
    const started = run('lttng-sessiond', ['--daemonize', '--no-kernel']);
    if (started.status !== 0 || !existsSync(pidFile)) throw new Error(`our lttng-sessiond did not start (${started.status}): ${String(started.stderr)}`);
    daemonPid = Number(readFileSync(pidFile, 'utf8').trim());
  }

  before(() => {
    base = mkdtempSync(join(tmpdir(), 'tracemark-lttng-crash-'));
    home = join(base, 'home');
    mkdirSync(home);
    app = buildApp(base);
    if (isRoot) {
      const name = `tmcrash${process.pid % 100000}`;
      spawnSync('userdel', [name]);
      const made = spawnSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', name], { encoding: 'utf8' });
      if (made.status !== 0) throw new Error(`useradd ${name} failed: ${made.stderr}`);
      const id = (flag: string): number => Number(spawnSync('id', [flag, name], { encoding: 'utf8' }).stdout.trim());
      user = { name, uid: id('-u'), gid: id('-g') };
      for (const p of [base, home, ...readdirSync(base).map((n) => join(base, n))]) chownSync(p, user.uid, user.gid);
    }
  });

  after(() => {
    killDaemon();
    if (user !== undefined) {
      // Anything of the test user still there was started by this test (its daemon, its app).
      for (const pid of processesOf(user.uid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch { /* gone */ }
      }
      waitGone(processesOf(user.uid));
      spawnSync('userdel', [user.name]);
    }
    if (base !== undefined) rmSync(base, { recursive: true, force: true });
  });

  let runs = 0;
  /** Records into a --shm-path session, SIGKILLs the app then the daemons, extracts, compares. */
  interface Scenario {
    /** App arguments: all_types events, ticks. */
    readonly counts?: readonly [number, number];
    /** The shell command the app runs half-way through its ticks (it must end the app, or let it go on). */
    readonly hook?: (shm: string, consumers: readonly number[]) => string;
  }

  /** Our daemon's consumer daemons (its children named lttng-consumerd). */
  function consumersOf(pid: number): number[] {
    const r = spawnSync('ps', ['-o', 'pid=,comm=', '--ppid', String(pid)], { encoding: 'utf8' });
    return r.stdout.split('\n').map((l) => l.trim().split(/\s+/)).filter(([p, comm]) => Number(p) > 0 && comm === 'lttng-consumerd').map(([p]) => Number(p));
  }

  function crashAndCompare(create: readonly string[], channel: readonly string[], scenario: Scenario = {}): { events: number; losses: number; counted: number; ticks: number[] } {
    killDaemon(); // a test that failed half-way may have left its daemon
    startDaemon();
    const name = `tmcrash-${process.pid}-${runs}`;
    const shm = join(base, `shm${runs}`);
    const extracted = join(base, `extracted${runs}`);
    runs++;
    lttng(['create', name, `--shm-path=${shm}`, ...create]);
    lttng(['enable-channel', '-u', '-s', name, 'ch0', ...channel]);
    lttng(['enable-event', '-u', '-s', name, '-c', 'ch0', 'tmtest:*']);
    lttng(['enable-event', '-u', '-s', name, '-c', 'ch0', 'lttng_ust_tracef:*']);
    lttng(['add-context', '-u', '-s', name, '-c', 'ch0', '-t', 'vpid', '-t', 'vtid', '-t', 'procname']);
    lttng(['start', name]);
    // Half-way through its ticks the app waits (bounded) for its stream files, then SIGKILLs itself.
    const streams = `${shm}/*/ust/*/*/*/ch0_0`;
    const hook = scenario.hook?.(shm, consumersOf(daemonPid as number))
      ?? `for i in $(seq 100); do ls ${streams} >/dev/null 2>&1 && break; sleep 0.1; done; kill -KILL $PPID`;
    const [count, tickCount] = scenario.counts ?? [300, 20000];
    const ran = run(app, [String(count), String(tickCount), hook], { LTTNG_UST_REGISTER_TIMEOUT: '-1' });
    assert.equal(ran.signal, 'SIGKILL', `the app should have been killed: status ${ran.status}, ${String(ran.stderr)}`);
    killDaemon();
    const crash = run('lttng-crash', ['-x', extracted, shm]);
    assert.equal(crash.status, 0, `lttng-crash: ${String(crash.stdout)}${String(crash.stderr)}`);
    const compared = compare(extracted);
    const ticks = [...readTraceSync(extracted)].filter((e) => e.name === 'tmtest:tick').map((e) => Number((e.fields as { n: unknown }).n));
    return { ...compared, ticks };
  }

  // The app's last event before it kills itself is tick 10000 (of 20000).
  const LAST_TICK = 10000;

  it('discard mode: app and session daemon killed with SIGKILL mid-trace, lttng-crash -x', () => {
    // The consumer daemon had consumed most packets: what is extracted is what it had not, which
    // is nothing when the crash fell just after a packet was consumed (seen in CI): tracemark and
    // babeltrace2 must then agree on an empty trace (compare() checks it either way).
    const { events, ticks } = crashAndCompare([`--output=${base}/o`], ['--subbuf-size=4096', '--num-subbuf=4']);
    assert.equal(ticks.length <= events, true);
    if (ticks.length > 0) assert.ok(Math.max(...ticks) <= LAST_TICK, 'nothing after the crash');
  });

  it('overwrite mode, not a snapshot session: the current sub-buffers at the crash', () => {
    const { ticks } = crashAndCompare([`--output=${base}/o`], ['--overwrite', '--subbuf-size=4096', '--num-subbuf=4']);
    assert.equal(Math.max(...ticks), LAST_TICK, 'the last event before the crash is in the extracted trace');
  });

  it('flight recorder (--snapshot session, overwrite): every sub-buffer, up to the last event', () => {
    const { ticks } = crashAndCompare(['--snapshot', `--output=${base}/s`], ['--overwrite', '--subbuf-size=4096', '--num-subbuf=4']);
    assert.equal(Math.max(...ticks), LAST_TICK, 'the last event before the crash is in the extracted trace');
    assert.ok(ticks.length > 200, `4 sub-buffers of 4 KiB hold a few hundred ticks, got ${ticks.length}`);
  });

  it('flight recorder with --buffers-pid: the dead app\'s own buffers', () => {
    const { ticks } = crashAndCompare(['--snapshot', `--output=${base}/s`], ['--buffers-pid', '--overwrite', '--subbuf-size=4096', '--num-subbuf=4']);
    assert.equal(Math.max(...ticks), LAST_TICK, 'the last event before the crash is in the extracted trace');
  });

  it('discard mode with a real loss: the consumer stopped during a burst, resumed, then the crash', (t) => {
    // Half-way, the app's hook stops our consumer daemons (SIGSTOP) and returns: the app's burst
    // of ticks fills the 4 tiny sub-buffers and the rest is discarded. 0.3 s later a background
    // shell resumes them (the packets written after that count the lost events), a moment after
    // that stops them again (else they would consume what the dead app left) and SIGKILLs the
    // app, still in its burst (20M ticks); then the test kills the daemons. The extracted packets
    // are those not consumed yet: a counted loss lies between two of them when the burst outran
    // the consumer there, which depends on scheduling, so up to 8 crashes are tried with
    // resume windows from 10 to 200 ms; each one is compared with babeltrace2 event by event and
    // loss by loss (crashAndCompare asserts it), whatever losses it has.
    const resumeWindowsS = ['0.2', '0.05', '0.02', '0.1', '0.01', '0.2', '0.05', '0.02'];
    let counted = 0;
    let losses = 0;
    let tried = 0;
    for (const windowS of resumeWindowsS) {
      tried++;
      const result = crashAndCompare([`--output=${base}/o`], ['--discard', '--subbuf-size=4096', '--num-subbuf=4'], {
        counts: [10, 20_000_000],
        hook: (_shm, consumers) => {
          assert.ok(consumers.length > 0, 'our session daemon has a consumer daemon');
          const pids = consumers.join(' ');
          return `kill -STOP ${pids}; (sleep 0.3; kill -CONT ${pids}; sleep ${windowS}; kill -STOP ${pids}; kill -KILL $PPID) >/dev/null 2>&1 &`;
        },
      });
      counted = result.counted;
      losses = result.losses;
      if (counted > 0) break;
    }
    // Every extracted trace above was compared with babeltrace2; only the case of a counted loss
    // between two extracted packets may not have come up on this machine's scheduling.
    if (counted === 0) t.skip(`no counted loss came up in ${tried} crash-extracted traces (${losses} loss records in the last); each was read as babeltrace2 reads it`);
  });

  it('snapshot session in discard mode: full buffers keep the first events', () => {
    const { events } = crashAndCompare(['--snapshot', `--output=${base}/s`], ['--discard', '--subbuf-size=4096', '--num-subbuf=4']);
    assert.ok(events > 0);
  });
});
