/**
 * Every way a process ends (issue 12, section 2), for a session created by the application:
 * SIGTERM, SIGINT and SIGHUP without a handler of the application's own flush what is buffered
 * and then end the process as the signal would have (killed by that signal); with a handler of
 * its own, the application decides. The control socket file goes too. SIGKILL keeps exactly the
 * packets the drainer had written.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ctfcheck, repoRoot, trace } from '../ctf/helpers.js';

const signalApp = join(repoRoot, 'test', 'reliability', 'fixtures', 'signal-app.mjs');

interface Ended { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

function runUntilReady(args: string[], signal: NodeJS.Signals): Promise<Ended> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [signalApp, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!sent && stdout.includes('ready')) {
        sent = true;
        child.kill(signal);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('close', (code, sig) => resolve({ code, signal: sig, stdout, stderr }));
  });
}

const COUNT = 20_000;

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  test(`${signal} with no handler of the app's own: every event on disk, killed by ${signal}, no stale socket`, async () => {
    const dir = trace(`sig-${signal}`);
    const controlDir = mkdtempSync(join(tmpdir(), 'tmctl-'));
    try {
      const sockets = join(controlDir, 'sockets');
      mkdirSync(sockets, { mode: 0o700 });
      const ended = await runUntilReady([dir, String(COUNT), 'no-handler', sockets], signal);
      assert.equal(ended.signal, signal, `exit code ${ended.code}\n${ended.stderr}`);
      const check = ctfcheck(dir, '--expect-events', String(COUNT), '--expect-discarded', '0');
      assert.equal(check.status, 0, check.output);
      assert.deepEqual(readdirSync(sockets), [], 'the control socket file is left behind');
    } finally {
      rmSync(controlDir, { recursive: true, force: true });
    }
  });
}

test('SIGTERM with a handler of the app\'s own: the handler decides; exit finishes the trace', async () => {
  const dir = trace('sig-own');
  const ended = await runUntilReady([dir, String(COUNT), 'own-handler'], 'SIGTERM');
  assert.equal(ended.signal, null);
  assert.equal(ended.code, 7, ended.stderr);
  assert.match(ended.stdout, /own handler SIGTERM/);
  const check = ctfcheck(dir, '--expect-events', String(COUNT), '--expect-discarded', '0');
  assert.equal(check.status, 0, check.output);
});

test('SIGKILL: the trace holds exactly the packets written before, and babeltrace2 reads it', async () => {
  const dir = trace('sig-kill');
  const ended = await runUntilReady([dir, String(COUNT), 'no-handler'], 'SIGKILL');
  assert.equal(ended.signal, 'SIGKILL');
  assert.ok(existsSync(join(dir, 'metadata')));
  // The partly filled packet was never closed: what is there is whole packets, read cleanly.
  const check = ctfcheck(dir);
  assert.equal(check.status, 0, check.output);
});
