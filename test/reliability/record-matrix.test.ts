/**
 * Every way a process ends (issue 12, section 2), with a session made by the application and
 * through `tracemark record`: the exit status is the program's (record: 128 + n for a signal),
 * and babeltrace2 reads the trace without a warning, with every event fired (SIGKILL: the
 * packets written before it, fewer or all; read cleanly all the same).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ctfcheck, tempDir, tracemark } from '../cli/helpers.js';
import { repoRoot } from '../ctf/helpers.js';

const APP = join(repoRoot, 'test', 'reliability', 'fixtures', 'end-app.mjs');
const COUNT = 5000;
const tmp = tempDir('tm-matrix-');
after(() => tmp.remove());

interface End { mode: string; code?: number; signal?: NodeJS.Signals; events: number | 'some' }

const ENDS: End[] = [
  { mode: 'normal', code: 0, events: COUNT },
  { mode: 'exit', code: 3, events: COUNT },
  { mode: 'throw', code: 1, events: COUNT },
  { mode: 'reject', code: 1, events: COUNT },
  { mode: 'SIGTERM', signal: 'SIGTERM', events: COUNT },
  { mode: 'SIGINT', signal: 'SIGINT', events: COUNT },
  { mode: 'SIGHUP', signal: 'SIGHUP', events: COUNT },
  { mode: 'own-handler', code: 7, events: COUNT },
  { mode: 'SIGKILL', signal: 'SIGKILL', events: 'some' },
  { mode: 'child-crash', code: 0, events: COUNT + 1 },
];

function checkTrace(dir: string, end: End): void {
  const args = end.events === 'some' ? [] : ['--expect-events', String(end.events), '--expect-discarded', '0'];
  const check = ctfcheck(dir, args);
  assert.equal(check.status, 0, `${end.mode}: babeltrace2 (exit 3 = a warning): ${check.stdout}${check.stderr}`);
}

describe('every end, session made by the app', () => {
  for (const end of ENDS) {
    test(`${end.mode}: ${end.signal === undefined ? `exit ${end.code}` : `killed by ${end.signal}`}, trace read cleanly`, () => {
      const dir = join(tmp.path, `api-${end.mode}`);
      const run = spawnSync(process.execPath, [APP, end.mode, String(COUNT), dir], { encoding: 'utf8', timeout: 60_000 });
      if (end.signal === undefined) assert.equal(run.status, end.code, run.stderr);
      else assert.equal(run.signal, end.signal, `status ${run.status}: ${run.stderr}`);
      if (end.mode === 'child-crash') assert.match(run.stdout, /child ended by SIGABRT/);
      if (end.mode === 'reject') assert.match(run.stderr, /unhandled rejection, on purpose/);
      checkTrace(dir, end);
    });
  }
});

describe('every end, through tracemark record', () => {
  for (const end of ENDS) {
    const status = end.signal === undefined ? end.code as number : 128 + constants.signals[end.signal];
    test(`${end.mode}: record exits ${status}, trace read cleanly`, () => {
      const dir = join(tmp.path, `record-${end.mode}`);
      const run = tracemark(['record', '-q', '-e', 'end:*', '-o', dir, '--', 'node', APP, end.mode, String(COUNT)], { timeoutMs: 60_000 });
      assert.equal(run.status, status, run.stderr);
      if (end.mode === 'child-crash') assert.match(run.stdout, /child ended by SIGABRT/);
      checkTrace(dir, end);
    });
  }
});
