/** `tracemark list`, `print` and `stats` on a trace recorded by `tracemark record`. */
import assert from 'node:assert/strict';
import { cpSync, readdirSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FIXTURES, errorCodeOf, headOf, tempDir, tracemark } from './helpers.js';

const tmp = tempDir();
const TRACE = join(tmp.path, 'trace');
const COUNT = 3000;

before(() => {
  const run = tracemark(['record', '-q', '-e', 'fx:*', '-o', TRACE, '--', 'node', join(FIXTURES, 'app.js'), String(COUNT)]);
  assert.equal(run.status, 0, run.stderr);
});
after(() => tmp.remove());

describe('tracemark list', () => {
  test('shows each event class with id, count and format', () => {
    const run = tracemark(['list', TRACE]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.match(run.stdout, /^trace .*\(tracemark 0\.1\.0, procname app\.js, vpid \d+/);
    assert.match(run.stdout, /^\s*0 {2}fx:tick\s+3,000 {2}i %u name %s$/m);
    assert.match(run.stdout, /^\s*1 {2}fx:blob\s+3,000 {2}data %pW$/m);
    assert.match(run.stdout, /^\s*2 {2}fx:done\s+1 {2}total %u$/m);
    assert.match(run.stdout, /^\s*3 {2}other:noise\s+0 {2}x %d$/m, 'registered but not enabled: no events');
  });
});

describe('tracemark print', () => {
  test('prints one line per event, oldest first', () => {
    const run = tracemark(['print', TRACE]);
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 2 * COUNT + 1);
    assert.match(lines[0], /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z\] fx:tick: i=0 name="even"$/);
    assert.match(lines[1], /\] fx:blob: data=<00 be ef>$/);
    assert.match(lines[lines.length - 1], /\] fx:done: total=3000$/);
  });

  test('--json prints JSON Lines with 64-bit values as strings and blobs as hex', () => {
    const run = tracemark(['print', TRACE, '--json', '-e', 'fx:b*']);
    assert.equal(run.status, 0, run.stderr);
    const events = run.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(events.length, COUNT);
    assert.match(events[0].timestamp as string, /^\d{19}$/);
    assert.deepEqual(events[0].fields, { data: '00beef' });
    assert.equal(events[0].name, 'fx:blob');
    // record writes one sub-directory per process (<procname>-<pid>): streams are named from there.
    assert.match(events[0].stream as string, /^app\.js-\d+\/default_0$/);
  });

  test('-e and --filter choose the events', () => {
    const run = tracemark(['print', TRACE, '-e', 'fx:tick', '-e', 'fx:done', '--filter', 'i < 3 || name == "od*" && i > 2995']);
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    // fx:done has no field i or name: the filter never matches it.
    assert.deepEqual(lines.map((l) => l.replace(/^\[[^\]]+\] /, '')), [
      'fx:tick: i=0 name="even"', 'fx:tick: i=1 name="odd"', 'fx:tick: i=2 name="even"',
      'fx:tick: i=2997 name="odd"', 'fx:tick: i=2999 name="odd"',
    ]);
  });

  test('--decoders loads a module that registers blob decoders', () => {
    const run = tracemark(['print', TRACE, '-e', 'fx:blob', '--decoders', join(FIXTURES, 'decoder.js')]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout.split('\n')[1], /\] fx:blob: data=beef:1$/);
  });

  test('stops quietly when its reader goes away (print | head)', async () => {
    const { lines, status, stderr } = await headOf(['print', TRACE], 3);
    assert.equal(lines.length, 3);
    assert.equal(stderr, '');
    assert.equal(status, 0);
  });

  test('a damaged trace: the events before the damage, then one error line and exit 1', () => {
    const damaged = join(tmp.path, 'damaged');
    cpSync(TRACE, damaged, { recursive: true });
    const processDir = join(damaged, readdirSync(damaged)[0]); // the one process's sub-directory
    const stream = join(processDir, readdirSync(processDir).find((name) => name.startsWith('default_')) as string);
    truncateSync(stream, statSync(stream).size - 7);
    const run = tracemark(['print', damaged]);
    assert.equal(run.status, 1);
    assert.match(errorCodeOf(run.stderr) ?? run.stderr, /^ERR_TRACE_CORRUPT$/);
    assert.ok(run.stdout.split('\n').length > 100, 'events before the damage are printed');
  });
});

describe('tracemark stats', () => {
  test('one line per marker, lost events and a histogram', () => {
    const run = tracemark(['stats', TRACE, '--buckets', '5']);
    assert.equal(run.status, 0, run.stderr);
    const out = run.stdout;
    assert.match(out, /^trace .*: 6,001 events over \d+\.\d{6} s \(/);
    assert.match(out, /^MARKER\s+COUNT\s+RATE\s+FIRST\s+LAST$/m);
    assert.match(out, /^fx:tick\s+3,000\s+\S+\/s\s+\+0\.000000s\s+\+\d+\.\d{6}s$/m);
    assert.match(out, /^fx:blob\s+3,000\s/m);
    assert.match(out, /^fx:done\s+1\s/m);
    assert.match(out, /^lost: 0 events, 0 packets$/m);
    const bars = out.split('\n').filter((line) => /^\s+\+\d+\.\d{6}s \|[# ]{40}\| [\d,]+$/.test(line));
    assert.equal(bars.length, 5);
    const total = bars.reduce((n, line) => n + Number((/\| ([\d,]+)$/.exec(line) as RegExpExecArray)[1].replace(/,/g, '')), 0);
    assert.equal(total, 6001, out);
  });
});
