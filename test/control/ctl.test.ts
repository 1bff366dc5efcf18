/** `tracemark ctl` against a second process: list, enable, start, snapshot, --output, errors. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readTraceSync } from '../../src/read/index.js';
import { CLI, CONTROL_FIXTURES, ctfcheck, errorCodeOf, tempDir, tracemark, waitFor, type RunResult } from '../cli/helpers.js';
import { startHost, type Host } from './host.js';

const tmp = tempDir('tm-ctl-');
const socketDir = join(tmp.path, 's');
const env = { ...process.env, TRACEMARK_CONTROL_DIR: socketDir };
let host: Host;

function ctl(...args: string[]): RunResult {
  return tracemark(['ctl', String(host.pid), ...args], { env, cwd: tmp.path });
}

function ok(run: RunResult): string {
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stderr, '');
  return run.stdout;
}

interface ListReply { markers: { name: string; enabled: boolean }[]; sessions: { role: string; events: number; recording: boolean; output?: string }[] }

function listJson(): ListReply {
  return JSON.parse(ok(ctl('list', '--json'))) as ListReply;
}

/** Waits until the control session has recorded at least `count` events. */
async function recorded(count: number): Promise<void> {
  await waitFor(`${count} recorded events`, () => {
    const session = listJson().sessions.find((s) => s.role === 'control');
    return session !== undefined && session.events >= count ? true : undefined;
  });
}

before(async () => {
  host = await startHost(socketDir);
});
after(async () => {
  await host.stop();
  tmp.remove();
});

describe('tracemark ctl', () => {
  test('the socket directory is 0700 and the socket 0600', () => {
    assert.equal(statSync(socketDir).mode & 0o777, 0o700);
    assert.equal(statSync(host.socket).mode & 0o777, 0o600);
  });

  test('list shows the registered markers, none enabled, no session', () => {
    const out = ok(ctl('list'));
    assert.match(out, new RegExp(`^pid ${host.pid}$`, 'm'));
    assert.match(out, /^\s*0 {2}ctl:tick\s+no\s+i %u label %s$/m);
    assert.match(out, /^\s*2 {2}idle:never\s+no\s+x %u$/m);
    assert.match(out, /^sessions: none$/m);
  });

  test('enable + start + snapshot DIR: a flight-recorder trace of what matched', async () => {
    assert.match(ok(ctl('enable', 'ctl:t*', '--filter', 'i >= 0 && label == "tick-*"')), /^enabled ctl:t\*: control-\d+ \(control\): not recording, flight recorder/);
    assert.match(ok(ctl('start')), /recording/);
    const listed = listJson();
    assert.deepEqual(listed.markers.map((m) => [m.name, m.enabled]), [['ctl:tick', true], ['ctl:other', false], ['idle:never', false]]);
    await recorded(20);
    // A relative DIR is resolved by the client, against its own working directory.
    assert.match(ok(ctl('snapshot', 'snap')), /^snapshot written to .*\/snap$/m);
    const events = [...readTraceSync(join(tmp.path, 'snap'))];
    assert.ok(events.length >= 20, `${events.length} events`);
    for (const event of events) {
      assert.equal(event.name, 'ctl:tick');
      assert.equal(event.fields.label, `tick-${event.fields.i as number}`);
    }
    const check = ctfcheck(join(tmp.path, 'snap'), ['--expect-classes', 'ctl:tick']);
    assert.equal(check.status, 0, check.stdout + check.stderr);
  });

  test('a refused command: its error code, one line, exit 1; the host goes on', () => {
    const again = ctl('snapshot', 'snap');
    assert.equal(again.status, 1);
    assert.equal(errorCodeOf(again.stderr), 'ERR_TRACE_IO', again.stderr);
    const exists = ctl('enable', 'x:*', '--output', 'elsewhere');
    assert.equal(errorCodeOf(exists.stderr), 'ERR_CONTROL', exists.stderr);
    assert.match(exists.stderr, /already exists/);
    assert.ok(listJson().markers.length === 3);
  });

  test('disable, stop, close', () => {
    ok(ctl('disable', 'ctl:tick'));
    assert.equal(listJson().markers[0].enabled, false);
    assert.match(ok(ctl('stop')), /not recording/);
    assert.equal(ok(ctl('close')), 'control session closed\n');
    assert.equal(ok(ctl('close')), 'there was no control session\n');
    assert.deepEqual(listJson().sessions, []);
  });

  test('enable --output DIR: the control session writes a trace while recording; close finishes it', async () => {
    ok(ctl('enable', 'ctl:other', '--output', 'live'));
    ok(ctl('start'));
    assert.equal(listJson().sessions[0].output, join(tmp.path, 'live'));
    await recorded(10);
    ok(ctl('close'));
    const events = [...readTraceSync(join(tmp.path, 'live'))];
    assert.ok(events.length >= 10, `${events.length} events`);
    assert.ok(events.every((e) => e.name === 'ctl:other' && typeof e.fields.value === 'number'));
    const check = ctfcheck(join(tmp.path, 'live'), ['--expect-classes', 'ctl:other']);
    assert.equal(check.status, 0, check.stdout + check.stderr);
  });

  test('the host removes its socket when it exits', async () => {
    assert.ok(existsSync(host.socket));
    await host.stop();
    assert.equal(existsSync(host.socket), false);
    const run = ctl('list');
    assert.equal(errorCodeOf(run.stderr), 'ERR_CONTROL', run.stderr);
  });
});

describe('tracemark record --control', () => {
  test('the recording process listens too: ctl list shows the record session', async () => {
    const dir = join(tmp.path, 'rec-sockets');
    const out = join(tmp.path, 'rec-trace');
    const record = spawn(process.execPath, [CLI, 'record', '--control', '-e', 'ctl:tick', '-o', out, '--', 'node', join(CONTROL_FIXTURES, 'host.js')], {
      env: { ...process.env, TRACEMARK_CONTROL_DIR: dir },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    record.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    const exited = new Promise<number | null>((resolve) => record.on('exit', (code) => resolve(code)));
    const socket = await waitFor('the recording process to listen', () => (existsSync(dir) ? readdirSync(dir).find((n) => n.endsWith('.sock')) : undefined));
    const pid = socket.replace('.sock', '');
    const listed = tracemark(['ctl', pid, 'list', '--json'], { env: { ...process.env, TRACEMARK_CONTROL_DIR: dir } });
    assert.equal(listed.status, 0, listed.stderr);
    const reply = JSON.parse(listed.stdout) as ListReply;
    assert.equal(reply.sessions.length, 1);
    assert.equal(reply.sessions[0].role, 'record');
    assert.equal(reply.sessions[0].recording, true);
    // record writes each process's trace into a sub-directory of its own: <procname>-<pid>.
    assert.equal(reply.sessions[0].output, join(out, `host.js-${pid}`));
    assert.deepEqual(reply.markers.filter((m) => m.enabled).map((m) => m.name), ['ctl:tick']);
    record.stdin.end(); // the host stops when its stdin closes, and exits
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /tracemark: [\d,]+ events in .*rec-trace/);
    assert.equal(existsSync(join(dir, socket)), false, 'the socket is removed at exit');
  });
});
