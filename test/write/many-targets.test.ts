/**
 * Beyond 8 targets the fire function loops instead of unrolling: same chain, same copies.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { marker, Session } from '../../src/index.js';

test('ten sessions recording one marker each get their own filtered copy', async () => {
  const m = marker('manytargets:ev', 'n %d s %s');
  const sessions = Array.from({ length: 10 }, (_, k) =>
    new Session().enable('manytargets:*', { filter: `n > ${k % 3}` }).start());
  sessions[4].channel('default').enabled = false;
  for (let i = 0; i < 5; i++) m(i, `x${i}`);
  sessions.forEach((session, k) => {
    const expected = k === 4 ? [] : [0, 1, 2, 3, 4].filter((n) => n > k % 3);
    assert.deepEqual(session.events().map((e) => e.fields.n), expected, `session ${k}`);
    assert.deepEqual(session.events().map((e) => e.fields.s), expected.map((n) => `x${n}`));
  });
  await Promise.all(sessions.map((s) => s.close()));
  assert.equal(m.enabled, false);
});
