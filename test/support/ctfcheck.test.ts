// The babeltrace2-based checker that every trace-format test relies on: it must pass what
// babeltrace2 reads, with the right counts, and fail what it cannot read (never hang).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ctfcheck, repoRoot } from '../ctf/helpers.js';

const corpus = join(repoRoot, 'test', 'fixtures', 'ctf');

interface Expected {
  events: { name: string }[];
  /** Absent where the corpus did not record the losses. */
  discarded_events?: { count: number }[];
}

function classCounts(expected: Expected): string {
  const counts = new Map<string, number>();
  for (const event of expected.events) counts.set(event.name, (counts.get(event.name) ?? 0) + 1);
  return [...counts].map(([name, count]) => `${name}=${count}`).join(',');
}

const good = readdirSync(join(corpus, 'good')).filter((name) => !name.includes('.'));
for (const name of good) {
  test(`ctfcheck passes the good trace ${name} with its expected counts`, () => {
    // Written by Python's json: NaN and Infinity are bare tokens there, not JSON.
    const text = readFileSync(join(corpus, 'good', `${name}.expected.json`), 'utf8').replace(/-?\b(?:NaN|Infinity)\b/g, 'null');
    const expected = JSON.parse(text) as Expected;
    const losses = expected.discarded_events === undefined ? []
      : ['--expect-discarded', String(expected.discarded_events.reduce((sum, d) => sum + d.count, 0))];
    const check = ctfcheck(join(corpus, 'good', name),
      '--expect-events', String(expected.events.length),
      '--expect-classes', classCounts(expected), ...losses);
    assert.equal(check.status, 0, check.output);
  });
}

test('ctfcheck fails a wrong expectation (exit 1) and says which', () => {
  const check = ctfcheck(join(corpus, 'good', 'tm-basic'), '--expect-events', '3', '--expect-classes', 'net:rx');
  assert.equal(check.status, 1, check.output);
  assert.match(check.output, /expected 3 events, read 12/);
  assert.match(check.output, /expected event classes \['net:rx'\]/);
});

test('ctfcheck fails every damaged trace of the corpus, within its timeout', () => {
  const damaged = readdirSync(join(corpus, 'damaged')).filter((name) => !name.includes('.'));
  assert.ok(damaged.length >= 10);
  for (const name of damaged) {
    const check = ctfcheck(join(corpus, 'damaged', name), '--timeout', '5');
    // 2: read error, 3: warnings; null: killed by its own alarm (babeltrace2 2.0.4 spins on some).
    assert.notEqual(check.status, 0, `${name} passed: ${check.output}`);
  }
});
