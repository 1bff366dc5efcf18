/**
 * `tracemark record -- <any command>`: every Node.js process of the command (fork, exec through a
 * shell, npm run, node --test, a shell script) records into its own sub-directory of one trace
 * directory, on one time base; babeltrace2 reads the directory as one trace in time order.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readTraceInfoSync, readTraceSync } from '../../src/read/index.js';
import { ROOT, ctfcheck, errorCodeOf, tempDir, tracemark } from '../cli/helpers.js';
import { bt2dump, plain } from '../ctf/helpers.js';

const FIXTURES = join(ROOT, 'test', 'process', 'fixtures');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const tmp = tempDir('tracemark-children-');
after(() => tmp.remove());

/** The running node first on PATH: `node` in npm scripts and shell scripts is this one. */
const ENV: NodeJS.ProcessEnv = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` };
delete ENV.NODE_OPTIONS;
delete ENV.TRACEMARK_RECORD;
delete ENV.TRACEMARK_CLOCK_EPOCH_NS;
// Set by the test runner that runs this file: a `node --test` started with it would not start its own processes.
delete ENV.NODE_TEST_CONTEXT;

function npmAvailable(): boolean {
  return spawnSync('npm', ['--version'], { env: ENV, encoding: 'utf8', timeout: 30_000 }).status === 0;
}

interface Line { vpid: number; procname: string; name: string; fields: string }

/** babeltrace2's own text output: each event with its process context (procname, vpid). */
function babeltraceLines(dir: string): Line[] {
  const run = spawnSync('babeltrace2', [dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stderr, '', 'babeltrace2 warns about nothing');
  return run.stdout.trim().split('\n').filter((line) => line !== '').map((line) => {
    const match = /^\[[^\]]+\] \([^)]+\) [^:]*:([^:]+):\((\d+)\) (\S+): \{ cpu_id = 0 \}(?:, \{ (.*) \})?$/.exec(line);
    assert.ok(match !== null, `unexpected babeltrace2 line: ${line}`);
    return { procname: match[1], vpid: Number(match[2]), name: match[3], fields: match[4] ?? '' };
  });
}

function classCounts(dir: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of readTraceSync(dir)) if (!event.name.startsWith('node:')) counts[event.name] = (counts[event.name] ?? 0) + 1;
  return counts;
}

describe('record -- any command: one trace for every Node.js process', () => {
  test('a fork two levels deep (fork, then exec through a shell): three processes, in the order things happened', () => {
    const out = join(tmp.path, 'tree');
    const run = tracemark(['record', '-e', 'app:*', '-o', out, '--', 'node', join(FIXTURES, 'tree.mjs')], { env: ENV, timeoutMs: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(readdirSync(out).length, 3, readdirSync(out).join(' '));
    for (const sub of readdirSync(out)) assert.match(sub, /^tree\.mjs-\d+$/);
    const check = ctfcheck(out, ['--expect-events', '7', '--expect-classes', 'app:log=7']);
    assert.equal(check.status, 0, check.stdout + check.stderr);

    // babeltrace2 merges the three traces by time: causality must show in that order.
    const dump = bt2dump(out);
    assert.equal(dump.warnings, '');
    const story = dump.events.map((e) => `${String(plain(e.fields.msg))}@${String(plain(e.fields.depth))}`);
    assert.deepEqual(story, ['started@0', 'before fork@0', 'started@1', 'before fork@1', 'started@2', 'child exited@1', 'child exited@0']);
    const ns = dump.events.map((e) => BigInt(e.ns));
    for (let i = 1; i < ns.length; i++) assert.ok(ns[i - 1] <= ns[i], `time order at ${i}`);

    // Every event carries its process: babeltrace2's vpid is the pid the process logged itself.
    const lines = babeltraceLines(out);
    assert.equal(lines.length, 7);
    const pids = new Set<number>();
    for (const line of lines) {
      assert.equal(line.procname, 'tree.mjs');
      assert.match(line.fields, new RegExp(`pid = ${line.vpid}$`));
      pids.add(line.vpid);
    }
    assert.equal(pids.size, 3);

    // The summary lists the processes: pid, events, lost, command.
    assert.match(run.stderr, /tracemark: 3 processes, 7 events in .*tree .*, 0 lost/);
    for (const pid of pids) assert.match(run.stderr, new RegExp(`\\n\\s+${pid}\\s+\\d+\\s+0\\s+node tree\\.mjs`));
    assert.match(run.stderr, /node tree\.mjs 2\n/);
  });

  test('worker threads of every process: record -- node app that starts workers and forks a child that does too', () => {
    const out = join(tmp.path, 'workers-tree');
    const run = tracemark(['record', '-q', '-e', 'app:*', '-o', out, '--', 'node', join(FIXTURES, 'workers-tree.mjs')], { env: ENV, timeoutMs: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    const subs = readdirSync(out);
    assert.equal(subs.length, 2, subs.join(' '));
    for (const sub of subs) {
      const dir = join(out, sub);
      // One stream per worker, named after its thread id; each holds that worker's 1000 events.
      const workerStreams = readdirSync(dir).map((f) => /^default_(\d+)$/.exec(f)).filter((m) => m !== null && m[1] !== '0').map((m) => Number(m![1]));
      assert.equal(workerStreams.length, 2, readdirSync(dir).join(' '));
      const dump = bt2dump(dir);
      assert.equal(dump.warnings, '');
      const byTid = new Map<number, number>();
      for (const event of dump.events) byTid.set(Number(plain(event.fields.tid)), (byTid.get(Number(plain(event.fields.tid))) ?? 0) + 1);
      assert.deepEqual([...byTid.keys()].sort((a, b) => a - b), workerStreams.sort((a, b) => a - b));
      for (const count of byTid.values()) assert.equal(count, 1000);
    }
    const check = ctfcheck(out, ['--expect-events', '4000', '--expect-classes', 'app:w=4000']);
    assert.equal(check.status, 0, check.stdout + check.stderr);
  });

  test('--filter and --overwrite apply to every process: each keeps its own flight recorder and writes it at its exit', () => {
    const out = join(tmp.path, 'tree-overwrite');
    const run = tracemark(['record', '-q', '--overwrite', '-e', 'app:*', '--filter', 'depth >= 1', '-o', out, '--', 'node', join(FIXTURES, 'tree.mjs')], { env: ENV, timeoutMs: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(readdirSync(out).length, 3);
    const story = bt2dump(out).events.map((e) => `${String(plain(e.fields.msg))}@${String(plain(e.fields.depth))}`);
    assert.deepEqual(story, ['started@1', 'before fork@1', 'started@2', 'child exited@1']);
    const check = ctfcheck(out, ['--expect-events', '4']);
    assert.equal(check.status, 0, check.stdout + check.stderr);
  });

  test('record -- npm run SCRIPT in a package: npm and the node it starts are both traced', { skip: npmAvailable() ? false : 'npm is not on PATH' }, () => {
    const out = join(tmp.path, 'npm');
    const run = tracemark(['record', '-o', out, '--', 'npm', 'run', '--silent', 'go'], { cwd: join(FIXTURES, 'pkg'), env: ENV, timeoutMs: 120_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(classCounts(out), { 'app:n': 5 });
    const check = ctfcheck(out);
    assert.equal(check.status, 0, check.stdout + check.stderr);
    const traces = readTraceInfoSync(out).traces;
    // npm itself is a Node.js process: it has its trace (node:* events only), app.mjs has its own.
    assert.equal(traces.length, 2, traces.map((t) => t.path).join(' '));
    assert.ok(traces.some((t) => t.env.procname === 'app.mjs'));
    const lines = babeltraceLines(out).filter((line) => line.name === 'app:n');
    assert.equal(lines.length, 5);
    assert.ok(lines.every((line) => line.procname === 'app.mjs'));
  });

  test('record -- npx tsx app.ts: the TypeScript app that tsx runs is traced, with npx and tsx', { skip: existsSync(TSX) ? false : 'tsx (a devDependency) is not installed' }, () => {
    const out = join(tmp.path, 'tsx');
    const app = join(FIXTURES, 'ts-app', 'app.ts');
    const run = tracemark(['record', '-e', 'tsx:*', '-o', out, '--', 'npx', '--no-install', 'tsx', app, '6'], { cwd: ROOT, env: ENV, timeoutMs: 120_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(classCounts(out), { 'tsx:request': 6 });
    const check = ctfcheck(out);
    assert.equal(check.status, 0, check.stdout + check.stderr);
    const lines = babeltraceLines(out);
    assert.deepEqual(lines.map((line) => line.fields), [0, 1, 2, 3, 4, 5].map((id) => `id = ${id}, kind = ${id % 2 === 0 ? 1 : 2}`));
    assert.ok(lines.every((line) => line.procname === 'app.ts'), lines.map((line) => line.procname).join(' '));
    // npx, the tsx command and the node process it starts: each a traced Node.js process.
    assert.ok(readTraceInfoSync(out).traces.length >= 2);
  });

  test('record -- node --test: each test file is a process of its own, all in one trace', () => {
    const out = join(tmp.path, 'node-test');
    const files = ['one', 'two'].map((name) => join(FIXTURES, 'tests', `${name}.test.mjs`));
    const run = tracemark(['record', '-e', 'app:*', '-o', out, '--', 'node', '--test', ...files], { env: ENV, timeoutMs: 120_000 });
    assert.equal(run.status, 0, run.stderr);
    const lines = babeltraceLines(out);
    assert.deepEqual(lines.map((line) => line.fields).sort(), ['name = "one"', 'name = "two"']);
    assert.deepEqual(lines.map((line) => line.procname).sort(), ['one.test.mjs', 'two.test.mjs']);
    assert.notEqual(lines[0].vpid, lines[1].vpid);
  });

  test('record -- a shell script that starts node twice; the exit status is the script\'s', () => {
    const out = join(tmp.path, 'script');
    const run = tracemark(['record', '-e', 'app:*', '-o', out, '--', join(FIXTURES, 'run.sh')], { env: ENV, timeoutMs: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(classCounts(out), { 'app:n': 5 });
    const perProcess = new Map<number, number>();
    for (const line of babeltraceLines(out)) perProcess.set(line.vpid, (perProcess.get(line.vpid) ?? 0) + 1);
    assert.deepEqual([...perProcess.values()].sort(), [2, 3]);
    assert.match(run.stderr, /tracemark: 2 processes, 5 events/);

    const failing = tracemark(['record', '-q', '-o', join(tmp.path, 'script-fails'), '--', 'sh', '-c', 'node -e "process.exitCode = 5"; exit 9'], { env: ENV, timeoutMs: 60_000 });
    assert.equal(failing.status, 9, failing.stderr);
  });

  test('an existing NODE_OPTIONS is kept (the preload is added after it)', () => {
    const out = join(tmp.path, 'node-options');
    const env = { ...ENV, NODE_OPTIONS: '--no-deprecation' };
    const script = 'process.stdout.write(process.env.NODE_OPTIONS + " " + process.noDeprecation)';
    const run = tracemark(['record', '-q', '-o', out, '--', 'node', '-e', script], { env, timeoutMs: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    // The earlier option still applies (process.noDeprecation), the preload comes after it.
    assert.match(run.stdout, /^--no-deprecation --import "file:\/\/.*preload\.js" true$/);
    assert.equal(readTraceInfoSync(out).traces.length, 1);
  });

  test('a command that cannot start: a clear error, exit status 127, no trace and no summary', () => {
    const out = join(tmp.path, 'missing-command');
    const run = tracemark(['record', '-o', out, '--', 'no-such-command-for-tracemark', 'x'], { env: ENV });
    assert.equal(run.status, 127);
    assert.equal(errorCodeOf(run.stderr), 'ERR_USAGE', run.stderr);
    assert.match(run.stderr, /cannot run "no-such-command-for-tracemark": command not found/);
    assert.equal(existsSync(out), false);
  });

  test('a main module that is not found: node\'s status, and the summary says the command failed and why', () => {
    const out = join(tmp.path, 'missing-file');
    const run = tracemark(['record', '-o', out, '--', 'node', join(tmp.path, 'no-such-app.js')], { env: ENV });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /tracemark: the command failed \(exit status 1\): node no-such-app\.js: Cannot find module .*no-such-app\.js/);
    assert.doesNotMatch(run.stderr, /note: the program declared no marker/);
  });
});
