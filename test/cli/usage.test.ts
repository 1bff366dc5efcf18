/** `--help` for every command, and usage errors: one line on stderr with a code, exit != 0. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FIXTURES, errorCodeOf, tempDir, tracemark } from './helpers.js';

const COMMANDS = ['record', 'list', 'print', 'stats', 'ctl'];
const tmp = tempDir();
after(() => tmp.remove());

describe('help', () => {
  for (const command of COMMANDS) {
    test(`tracemark ${command} --help`, () => {
      for (const flag of ['--help', '-h']) {
        const run = tracemark([command, flag]);
        assert.equal(run.status, 0, run.stderr);
        assert.equal(run.stderr, '');
        assert.match(run.stdout, new RegExp(`^Usage: tracemark ${command} `));
        assert.match(run.stdout, /Exit status:/);
      }
    });
  }

  test('tracemark --help lists every command; help COMMAND shows its help; --version', () => {
    const run = tracemark(['--help']);
    assert.equal(run.status, 0);
    for (const command of COMMANDS) assert.match(run.stdout, new RegExp(`^  ${command} +\\S`, 'm'));
    assert.match(tracemark(['help', 'stats']).stdout, /^Usage: tracemark stats DIR/);
    assert.match(tracemark(['--version']).stdout, /^\d+\.\d+\.\d+\n$/);
  });
});

describe('usage errors', () => {
  const app = join(FIXTURES, 'app.js');
  const cases: [string, string[], string, number][] = [
    ['no command', [], 'ERR_USAGE', 2],
    ['unknown command', ['frobnicate'], 'ERR_USAGE', 2],
    ['unknown top-level option', ['--foo'], 'ERR_USAGE', 2],
    ['help for an unknown command', ['help', 'frobnicate'], 'ERR_USAGE', 2],
    ['print without DIR', ['print'], 'ERR_USAGE', 2],
    ['print with two DIRs', ['print', 'a', 'b'], 'ERR_USAGE', 2],
    ['unknown option', ['print', 'dir', '--foo'], 'ERR_USAGE', 2],
    ['option without its value', ['print', 'dir', '--filter'], 'ERR_USAGE', 2],
    ['flag with a value', ['print', 'dir', '--json=yes'], 'ERR_USAGE', 2],
    ['bad filter expression', ['print', 'dir', '--filter', 'len >'], 'ERR_FILTER', 1],
    ['empty event pattern', ['print', 'dir', '-e', ''], 'ERR_USAGE', 2],
    ['missing decoder module', ['print', 'dir', '--decoders', './no-such-module.js'], 'ERR_USAGE', 2],
    ['stats with a bad --buckets', ['stats', 'dir', '--buckets', '0'], 'ERR_USAGE', 2],
    ['list of a directory without a trace', ['list', FIXTURES], 'ERR_TRACE_IO', 1],
    ['list of a missing directory', ['list', '/nonexistent/trace'], 'ERR_TRACE_IO', 1],
    ['record without a program', ['record', '-e', 'fx:*'], 'ERR_USAGE', 2],
    ['record of a command that does not exist', ['record', '--', 'no-such-command-tracemark', 'x'], 'ERR_USAGE', 127],
    ['record of a .js file that does not exist', ['record', 'no-such-file.js'], 'ERR_USAGE', 127],
    ['record with a bad filter', ['record', '--filter', '!x', '--', 'node', app], 'ERR_FILTER', 1],
    ['record with -o given twice', ['record', '-o', 'a', '-o', 'b', '--', 'node', app], 'ERR_USAGE', 2],
    ['record with its own option after the program', ['record', app, '-o', 'out'], 'ERR_USAGE', 2],
    ['record with its own --long=value after node', ['record', 'node', app, '--output=out'], 'ERR_USAGE', 2],
    ['record with -e after node', ['record', 'node', '-e', '0'], 'ERR_USAGE', 2],
    ['record with a bad --subbuf-size', ['record', '--subbuf-size', '12', '--', 'node', app], 'ERR_USAGE', 2],
    ['ctl without PID', ['ctl'], 'ERR_USAGE', 2],
    ['ctl with a bad PID', ['ctl', 'abc', 'list'], 'ERR_USAGE', 2],
    ['ctl without command', ['ctl', '1'], 'ERR_USAGE', 2],
    ['ctl with an unknown command', ['ctl', '1', 'frobnicate'], 'ERR_USAGE', 2],
    ['ctl enable without a pattern', ['ctl', '1', 'enable'], 'ERR_USAGE', 2],
    ['ctl list with an argument', ['ctl', '1', 'list', 'extra'], 'ERR_USAGE', 2],
    ['ctl --filter on start', ['ctl', '1', 'start', '--filter', 'a == 1'], 'ERR_USAGE', 2],
    ['ctl enable with a bad filter', ['ctl', '1', 'enable', 'x:*', '--filter', 'a =='], 'ERR_FILTER', 1],
  ];
  for (const [title, args, code, status] of cases) {
    test(`${title}: ${code}, exit ${status}`, () => {
      const run = tracemark(args, { cwd: tmp.path });
      assert.equal(errorCodeOf(run.stderr), code, `stderr: ${JSON.stringify(run.stderr)}`);
      assert.equal(run.status, status);
      assert.equal(run.stdout, '');
    });
  }

  test('ctl to a process that does not listen: ERR_CONTROL, exit 1', () => {
    const run = tracemark(['ctl', String(process.pid), 'list'], { env: { ...process.env, TRACEMARK_CONTROL_DIR: tmp.path } });
    assert.equal(errorCodeOf(run.stderr), 'ERR_CONTROL', run.stderr);
    assert.equal(run.status, 1);
  });
});

test('record: with -- before the program, words that look like record options are the program\'s', () => {
  const out = join(tmp.path, 'dash-dash-trace');
  const run = tracemark(['record', '-q', '-o', out, '--', 'node', '-e', 'process.stdout.write(process.argv.slice(1).join(" "))', '--', '-o', 'x']);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, '-o x');
});
