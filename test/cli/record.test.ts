/** `tracemark record` end to end: real child processes, traces checked by babeltrace2. */
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readTraceSync } from '../../src/read/index.js';
import { FIXTURES, ctfcheck, errorCodeOf, tempDir, tracemark } from './helpers.js';

const APP = join(FIXTURES, 'app.js');
const tmp = tempDir();
after(() => tmp.remove());

function namesIn(dir: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of readTraceSync(dir)) counts.set(event.name, (counts.get(event.name) ?? 0) + 1);
  return counts;
}

describe('tracemark record', () => {
  test('records the enabled markers, including events fired in beforeExit; babeltrace2 reads the trace', () => {
    const out = join(tmp.path, 'basic');
    const run = tracemark(['record', '-e', 'fx:*', '-o', out, '--', 'node', APP, '50']);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /tracemark: 101 events in .*basic .*, 0 lost/);
    assert.match(run.stderr, /fx:tick\s+50/);
    const check = ctfcheck(out, ['--expect-events', '101', '--expect-classes', 'fx:tick=50,fx:blob=50,fx:done=1']);
    assert.equal(check.status, 0, check.stdout + check.stderr);
  });

  test('propagates the exit code of the program', () => {
    const run = tracemark(['record', '-q', '-o', join(tmp.path, 'exit3'), '--', 'node', APP, '5', '3']);
    assert.equal(run.status, 3, run.stderr);
    assert.equal(run.stderr, '', 'quiet: no summary');
    assert.equal(namesIn(join(tmp.path, 'exit3')).get('fx:done'), 1);
  });

  test('a program killed by an unhandled SIGTERM still leaves a complete trace; exit status 128+15', () => {
    const out = join(tmp.path, 'signal');
    const run = tracemark(['record', '-q', '-e', 'fx:*', '-o', out, '--', 'node', join(FIXTURES, 'signal.js'), '40']);
    assert.equal(run.status, 143, run.stderr);
    const check = ctfcheck(out, ['--expect-events', '40', '--expect-classes', 'fx:tick=40']);
    assert.equal(check.status, 0, check.stdout + check.stderr);
  });

  test('--filter applies to every pattern (a marker without the field records nothing)', () => {
    const out = join(tmp.path, 'filter');
    const run = tracemark(['record', '-q', '-e', 'fx:tick', '-e', 'fx:blob', '--filter', 'i >= 40', '-o', out, '--', 'node', APP, '50']);
    assert.equal(run.status, 0, run.stderr);
    const counts = namesIn(out);
    assert.deepEqual([...counts], [['fx:tick', 10]]);
  });

  test('without -e every marker is recorded, node:* included; a .js file may be given without node', () => {
    const out = join(tmp.path, 'all');
    const run = tracemark(['record', '-q', '-o', out, APP, '7']);
    assert.equal(run.status, 0, run.stderr);
    const names = [...namesIn(out)];
    assert.deepEqual(names.filter(([name]) => !name.startsWith('node:')).sort(), [['fx:blob', 7], ['fx:done', 1], ['fx:tick', 7], ['other:noise', 7]]);
    // GC and event-loop samples depend on timing; the exit is always there.
    assert.equal(names.find(([name]) => name === 'node:process:exit')?.[1], 1);
  });

  test('--overwrite keeps the newest events and writes them at exit', () => {
    const out = join(tmp.path, 'overwrite');
    const run = tracemark(['record', '--overwrite', '--subbuf-size', '4k', '--subbuf-count', '4', '-e', 'fx:*', '-o', out, '--', 'node', APP, '5000']);
    assert.equal(run.status, 0, run.stderr);
    const events = [...readTraceSync(out)];
    assert.ok(events.length > 0 && events.length < 10_001, `kept ${events.length} events`);
    assert.equal(events[events.length - 1].name, 'fx:done', 'the newest event is kept');
    const check = ctfcheck(out);
    assert.equal(check.status, 0, check.stdout + check.stderr);
  });

  test('the default output directory is ./tracemark-<date>-<pid>', () => {
    writeFileSync(join(tmp.path, 'unrelated-file'), '');
    const run = tracemark(['record', '-q', '--', 'node', APP, '2'], { cwd: tmp.path });
    assert.equal(run.status, 0, run.stderr);
    const made = readdirSync(tmp.path).filter((name) => /^tracemark-\d{8}-\d{6}-\d+$/.test(name));
    assert.equal(made.length, 1, `found ${readdirSync(tmp.path).join(', ')}`);
    assert.equal(namesIn(join(tmp.path, made[0])).get('fx:tick'), 2);
  });

  test('refuses a non-empty output directory before running anything', () => {
    const run = tracemark(['record', '-o', tmp.path, '--', 'node', APP, '1']);
    assert.equal(run.status, 2);
    assert.equal(errorCodeOf(run.stderr), 'ERR_USAGE', run.stderr);
    assert.match(run.stderr, /not empty/);
  });
});
