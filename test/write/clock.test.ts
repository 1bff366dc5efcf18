/**
 * The trace clock as the fire functions read it: Node's own `performance.now`, bound at load,
 * called outside every try block of the generated code (on Node 22 a fast API call inside one is
 * compiled as a slow call that allocates: docs/design/zero-cost-markers.md).
 */
import { strict as assert } from 'node:assert';
import { performance } from 'node:perf_hooks';
import { afterEach, test } from 'node:test';
import { createFire } from '../../src/chain/fire.js';
import { parseFormat } from '../../src/format/parse.js';
import { marker } from '../../src/index.js';
import { closeAll, fieldsOf, recording, statsDelta, uniqueName } from './helpers.js';

afterEach(closeAll);

/** The try-block depth at each `clock()` call of a generated function's source. */
function tryDepthsAtClockCalls(source: string): number[] {
  const stack: boolean[] = [];
  const depths: number[] = [];
  for (let i = 0; i < source.length; i++) {
    if (source.startsWith('clock()', i) && !/[\w$.]/.test(source[i - 1] ?? ' ')) depths.push(stack.filter(Boolean).length);
    if (source[i] === '{') stack.push(/\btry\s*$/.test(source.slice(Math.max(0, i - 8), i)));
    else if (source[i] === '}') stack.pop();
  }
  return depths;
}

test('the scanner of this file sees a clock() call inside a try block', () => {
  assert.deepEqual(tryDepthsAtClockCalls('function f() { try { if (x) { ts = clock(); } } catch {} ts = clock(); }'), [1, 0]);
});

test('a fire function reads the clock once, outside its try blocks', () => {
  for (const format of ['', 'a %d b %d c %ld s %s', 'blob %pW name %s x %f']) {
    const fire = createFire({ id: 1, fields: parseFormat(format), arity: parseFormat(format).length, targets: [], probes: [] });
    const depths = tryDepthsAtClockCalls(fire.toString());
    assert.deepEqual(depths, [0], `clock() calls of the fire function of '${format}': ${fire.toString()}`);
  }
});

test('a replaced performance.now or globalThis.performance (fake timers) changes neither timestamps nor safety', () => {
  const name = uniqueName('clock');
  const m = marker(name, 'step %u');
  const session = recording(name);
  const globalDescriptor = Object.getOwnPropertyDescriptor(globalThis, 'performance');
  const startNs = BigInt(Date.now() - 1) * 1_000_000n;
  m(1);
  const delta = statsDelta(() => {
    Object.defineProperty(performance, 'now', { value: () => { throw new Error('a fake clock'); }, configurable: true, writable: true });
    Object.defineProperty(globalThis, 'performance', { value: { now: () => 0, timeOrigin: 0 }, configurable: true, writable: true });
    try {
      m(2);
      m(3);
    } finally {
      delete (performance as { now?: unknown }).now;
      if (globalDescriptor !== undefined) Object.defineProperty(globalThis, 'performance', globalDescriptor);
    }
  });
  m(4);
  const endNs = BigInt(Date.now() + 1) * 1_000_000n;
  assert.equal(typeof performance.now(), 'number', 'the real performance.now is back');
  assert.equal(delta.internalErrors, 0);
  assert.deepEqual(fieldsOf(session, name).map((f) => f.step), [1, 2, 3, 4]);
  const timestamps = session.events().filter((e) => e.name === name).map((e) => e.timestamp);
  for (let i = 0; i < timestamps.length; i++) {
    // Epoch time of the real clock: a fake's 0 would put the events at the process's start.
    assert.ok(timestamps[i] >= startNs && timestamps[i] <= endNs, `event ${i + 1} at ${timestamps[i]}, outside [${startNs}, ${endNs}]`);
    if (i > 0) assert.ok(timestamps[i] >= timestamps[i - 1], `event ${i + 1} before event ${i}`);
  }
});
