/**
 * Zero results explained (issue 11): `record` and `ctl stop` say which pattern matched no marker,
 * which filter names a field no enabled marker has, and when the program declared no marker.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { zeroResultWarnings } from '../../src/session/warnings.js';
import { FIXTURES, tempDir, tracemark } from './helpers.js';
import { startHost } from '../control/host.js';

const tmp = tempDir('tm-warn-');
after(() => tmp.remove());

const DECLARED = [
  { name: 'net:rx', fields: ['len', 'proto'] },
  { name: 'net:tx', fields: ['len'] },
  { name: 'db:query', fields: ['sql'] },
];

describe('zeroResultWarnings', () => {
  test('nothing to say when every pattern matches and every filter field exists', () => {
    assert.deepEqual(zeroResultWarnings(DECLARED, [{ pattern: 'net:*', filter: 'len > 10' }, { pattern: 'db:query' }]), []);
  });

  test('a pattern that matches no marker, with the declared markers', () => {
    assert.deepEqual(zeroResultWarnings(DECLARED, [{ pattern: 'http:*' }, { pattern: 'net:*' }]), [
      'warning: pattern "http:*" matched no marker; declared: db:query, net:rx, net:tx',
    ]);
  });

  test('a filter field that no marker of its pattern has, with the enabled markers and their fields', () => {
    const [line, ...rest] = zeroResultWarnings(DECLARED, [{ pattern: 'net:*', filter: 'len > 1 && sql == "x"' }]);
    assert.deepEqual(rest, []);
    assert.match(line, /^warning: filter "len > 1 && sql == \\"x\\"" names field "sql", which no marker enabled by "net:\*" has/);
    assert.match(line, /enabled: net:rx \(len, proto\), net:tx \(len\)$/);
    // a field one enabled marker has is no reason to warn
    assert.deepEqual(zeroResultWarnings(DECLARED, [{ pattern: 'net:*', filter: 'proto == "tcp"' }]), []);
  });

  test('no marker declared at all: one note, pointing at marker() and node:* markers', () => {
    const lines = zeroResultWarnings([], [{ pattern: '*' }, { pattern: 'x:*', filter: 'a > 1' }]);
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^note: the program declared no marker/);
    assert.match(lines[0], /marker\(\) from 'tracemark'/);
    assert.match(lines[0], /node:\*/);
  });

  test('long marker lists are cut', () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ name: `m:${String(i).padStart(2, '0')}`, fields: [] }));
    const [line] = zeroResultWarnings(many, [{ pattern: 'none' }]);
    assert.match(line, /m:11 and 18 more$/);
  });
});

describe('tracemark record warns about zero results', () => {
  test('a pattern without marker and a filter on a missing field: one warning each, exit status unchanged', () => {
    const out = join(tmp.path, 'a');
    const run = tracemark(['record', '-e', 'nope:*', '-e', 'fx:*', '--filter', 'len > 3', '-o', out, '--', process.execPath, join(FIXTURES, 'app.js'), '5']);
    assert.equal(run.status, 0, run.stderr);
    const warnings = run.stderr.split('\n').filter((l) => l.startsWith('tracemark: warning:'));
    assert.equal(warnings.length, 2, run.stderr);
    assert.match(warnings[0], /pattern "nope:\*" matched no marker; declared: fx:blob, fx:done, fx:tick, other:noise$/);
    assert.match(warnings[1], /filter "len > 3" names field "len", which no marker enabled by "fx:\*" has.*enabled: .*fx:tick \(i, name\)/);
  });

  test('a program that declares no marker gets the note', () => {
    const app = join(tmp.path, 'plain.mjs');
    writeFileSync(app, 'console.log("no markers here");\n');
    // -e app:* : record's default also turns on node:* markers, which would then be declared.
    const run = tracemark(['record', '-e', 'app:*', '-o', join(tmp.path, 'b'), '--', process.execPath, app]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /^tracemark: note: the program declared no marker.*node:\*/m);
  });

  test('nothing matched wrongly: no warning', () => {
    const run = tracemark(['record', '-e', 'fx:tick', '--filter', 'i > 2', '-o', join(tmp.path, 'c'), '--', process.execPath, join(FIXTURES, 'app.js'), '5']);
    assert.equal(run.status, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /warning|note:/);
  });
});

describe('tracemark ctl stop warns about zero results', () => {
  test('the rules given with ctl enable, checked against the process registry', async () => {
    const socketDir = join(tmp.path, 's');
    const host = await startHost(socketDir);
    const env = { ...process.env, TRACEMARK_CONTROL_DIR: socketDir };
    const ctl = (...args: string[]) => tracemark(['ctl', String(host.pid), ...args], { env, cwd: tmp.path });
    try {
      assert.equal(ctl('enable', 'ctl:*', '--filter', 'size > 1').status, 0);
      assert.equal(ctl('enable', 'missing:*').status, 0);
      assert.equal(ctl('start').status, 0);
      const run = ctl('stop');
      assert.equal(run.status, 0, run.stderr);
      const warnings = run.stderr.split('\n').filter((l) => l !== '');
      assert.equal(warnings.length, 2, run.stderr);
      assert.match(warnings[0], /^tracemark: warning: filter "size > 1" names field "size", which no marker enabled by "ctl:\*" has.*ctl:tick \(i, label\)/);
      assert.match(warnings[1], /^tracemark: warning: pattern "missing:\*" matched no marker; declared: ctl:other, ctl:tick, idle:never$/);
      assert.equal(ctl('close').status, 0);
    } finally {
      await host.stop();
    }
  });
});
