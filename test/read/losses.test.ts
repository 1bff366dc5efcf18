// Losses as babeltrace2 reports them: `tracemark print --json` carries one record per loss with
// the same kind, count and time range as babeltrace2's discarded-events/packets messages; the
// text output warns on stderr once per loss (-q silences it).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tracemark } from '../cli/helpers.js';

const GOOD = join(ROOT, 'test', 'fixtures', 'ctf', 'good');
const BT2READ = join(ROOT, 'test', 'read', 'support', 'bt2read.py');

interface Loss { discarded: string; count: string | null; begin: string | null; end: string | null }

/** babeltrace2's discarded-events and discarded-packets messages for DIR. */
export function bt2Losses(dir: string): Loss[] {
  const r = spawnSync('/usr/bin/python3', [BT2READ, dir], { encoding: 'utf8', timeout: 60_000, maxBuffer: 256 * 1024 * 1024 });
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as { losses: Loss[] }).losses;
}

/** The loss records of `tracemark print --json DIR`, sorted as babeltrace2's (by range, then kind). */
export function tracemarkLosses(dir: string): Loss[] {
  const r = tracemark(['print', '--json', dir], { timeoutMs: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l.startsWith('{"discarded"')).map((l) => {
    const o = JSON.parse(l) as { discarded: string; count: string; begin?: string; end?: string };
    return { discarded: o.discarded, count: o.count, begin: o.begin ?? null, end: o.end ?? null };
  });
}

export function sortLosses(losses: Loss[]): Loss[] {
  const key = (l: Loss): string => `${(l.begin ?? '').padStart(24, '0')} ${(l.end ?? '').padStart(24, '0')} ${l.discarded} ${l.count}`;
  return [...losses].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

describe('losses as babeltrace2 reports them', () => {
  const fixtures = readdirSync(GOOD).filter((n) => statSync(join(GOOD, n)).isDirectory());
  for (const name of fixtures) {
    it(`${name}: the same loss records as babeltrace2`, () => {
      const dir = join(GOOD, name);
      assert.deepEqual(sortLosses(tracemarkLosses(dir)), sortLosses(bt2Losses(dir)));
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

  it('--json writes -0 as "-0" (JSON.stringify would make it 0)', async () => {
    const { jsonValue } = await import('../../src/integrations/json-values.js');
    assert.deepEqual(jsonValue({ a: -0, b: 0, c: [NaN, -Infinity] }), { a: '-0', b: 0, c: ['NaN', '-Infinity'] });
  });
});
