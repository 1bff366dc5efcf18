/**
 * Structural properties of the hot path that the benchmarks rely on (docs/design/zero-cost-markers.md),
 * read from V8's own traces in a child process, never from timings: after 100 sessions and 100
 * probes came and went while a user's loop was hot, the loop is optimised again with the marker
 * inlined into it, and no toggle left a polymorphic call behind ("wrong call target"). The
 * compilers run on the main thread so that their trace lines are not interleaved.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { repoRoot } from './helpers.js';

const fixture = resolve(repoRoot, 'test', 'write', 'fixtures', 'jit-user-loop.mjs');

test('after 100 session and attach cycles the marker is still inlined into an optimised loop', () => {
  // Compiling on the main thread keeps V8's trace lines whole and in order: a concurrent compile
  // printed its "Inlining ..." line with another thread's line spliced into it (seen in CI on Node 26).
  const v8Flags = ['--no-concurrent-recompilation', '--no-concurrent-osr', '--trace-opt', '--trace-deopt', '--trace-turbo-inlining'];
  const child = spawnSync(process.execPath, [...v8Flags, fixture], {
    encoding: 'utf8', timeout: 120_000, maxBuffer: 256 * 1024 * 1024,
  });
  assert.equal(child.status, 0, `fixture failed: ${child.stderr}`);
  const lines = child.stdout.split('\n');
  const last = (pattern: RegExp): number => {
    for (let i = lines.length - 1; i >= 0; i--) if (pattern.test(lines[i])) return i;
    return -1;
  };

  const lastLoopDeopt = last(/(deoptimizing|marking dependent code).*userLoop/);
  const lastInlining = last(/Inlining .*tracemark_marker_\d+_\w+.* into .*userLoop/);
  const lastOptimized = last(/completed (optimizing|compiling) .*userLoop.*TURBOFAN/);
  assert.ok(lastOptimized > lastLoopDeopt, 'TurboFan optimised the loop after its last deoptimisation');
  assert.ok(lastInlining > lastLoopDeopt, 'with the marker function inlined into it');

  // The marker's one call site (to its fire function) saw one target for ever.
  const wrongTarget = lines.filter((l) => l.includes('wrong call target') && /userLoop|tracemark_/.test(l));
  assert.deepEqual(wrongTarget, [], 'no deoptimisation for a changed call target');

  // Dependent-code deoptimisations of the loop: when `on` and `fire` first change (a field's
  // constness changes once), never one per cycle.
  const loopDeopts = lines.filter((l) => /marking dependent code .*userLoop/.test(l));
  assert.ok(loopDeopts.length <= 4, `a few dependent-code deoptimisations of the loop, got ${loopDeopts.length}:\n${loopDeopts.join('\n')}`);
});

test('marker functions keep fast properties, so that `marker.enabled` is an inlined getter', () => {
  // Redefining a function's `name` turns its properties into a dictionary: `if (m.enabled)` then
  // cost a dictionary lookup per call (~10 ns, BENCHMARKS.md). Markers of several arities and
  // batches, named from their creation, must stay in fast mode.
  const index = pathToFileURL(resolve(repoRoot, 'dist', 'src', 'index.js')).href;
  const script = `
    const { marker } = await import(${JSON.stringify(index)});
    const formats = ['', 'a %d', 'a %d b %s', 'a %d b %d c %ld s %s', 'p %pW'];
    const out = [];
    for (let i = 0; i < 40; i++) {
      const m = marker('jitfast:m' + i, formats[i % formats.length]);
      out.push([m.name, %HasFastProperties(m), typeof m.enabled, m.id >= 0]);
    }
    console.log(JSON.stringify(out));`;
  const child = spawnSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(child.status, 0, child.stderr);
  const rows = JSON.parse(child.stdout) as [string, boolean, string, boolean][];
  assert.equal(rows.length, 40);
  rows.forEach(([name, fast, enabledType, hasId], i) => {
    assert.equal(name, `jitfast:m${i}`, 'the marker function is named provider:event');
    assert.equal(fast, true, `${name} has fast properties`);
    assert.equal(enabledType, 'boolean');
    assert.ok(hasId);
  });
});
