// Losses as babeltrace2 reports them: `tracemark print --json` carries one record per loss with
// the same kind, count and time range as babeltrace2's discarded-events/packets messages; the
// text output warns on stderr once per loss (-q silences it).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tracemark } from '../cli/helpers.js';
import { bt2read, sortLosses, tracemarkLosses } from './support/bt2.js';

const GOOD = join(ROOT, 'test', 'fixtures', 'ctf', 'good');
const READER = join(ROOT, 'test', 'fixtures', 'ctf', 'reader');

describe('losses as babeltrace2 reports them', () => {
  const fixtures = [GOOD, READER].flatMap((root) => readdirSync(root).filter((n) => statSync(join(root, n)).isDirectory()).map((n) => join(root, n)));
  for (const dir of fixtures) {
    const name = dir.split('/').slice(-2).join('/');
    it(`${name}: the same loss records as babeltrace2`, () => {
      assert.deepEqual(sortLosses(tracemarkLosses(dir)), sortLosses(bt2read(dir).losses));
    });
  }

  it('print warns on stderr once per loss, with the count and the range; -q silences it', () => {
    const dir = join(GOOD, 'gm-packetized-compact');
    const loud = tracemark(['print', dir]);
    assert.equal(loud.status, 0, loud.stderr);
    assert.equal(loud.stderr,
      'tracemark: warning: the tracer discarded 3 events between [2023-11-14T22:13:21.171089200Z] and [2023-11-14T22:13:21.171090300Z] in stream stream_0\n');
    const quiet = tracemark(['print', '-q', dir]);
    assert.equal(quiet.stderr, '');
    assert.equal(quiet.stdout, loud.stdout);
    const json = tracemark(['print', '--json', dir]);
    assert.equal(json.stderr, '');
    assert.ok(json.stdout.includes('{"discarded":"events","count":"3","stream":"stream_0","begin":"1700000001171089200","end":"1700000001171090300"}\n'));
  });

  it('rotated tracefiles (one stream in several files) count their losses once, across files', () => {
    const losses = sortLosses(tracemarkLosses(join(READER, 'rc-rotated')));
    assert.deepEqual(losses.map((l) => [l.discarded, l.count]), [['events', null], ['events', '3'], ['packets', '1'], ['events', '2'], ['events', '2']]);
    const text = tracemark(['print', join(READER, 'rc-rotated')]);
    assert.match(text.stderr, /may have discarded events between .* in stream chan_1_0 \(the stream's first packet counts 1\)/);
    assert.equal(text.stderr.split('\n').filter((l) => l.includes('discarded 3 events')).length, 1);
  });

  it('--json writes -0 as "-0" (JSON.stringify would make it 0)', async () => {
    const { jsonValue } = await import('../../src/integrations/json-values.js');
    assert.deepEqual(jsonValue({ a: -0, b: 0, c: [NaN, -Infinity] }), { a: '-0', b: 0, c: ['NaN', '-Infinity'] });
  });
});
