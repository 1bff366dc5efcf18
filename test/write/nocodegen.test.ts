/**
 * Under `node --disallow-code-generation-from-strings` markers fall back to the generic marker,
 * fire and encoder functions: they must record exactly what the generated ones record.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { repoRoot } from './helpers.js';

const fixture = resolve(repoRoot, 'test', 'write', 'fixtures', 'nocodegen.mjs');

interface Dumped {
  codegen: boolean;
  canGenerateCode: boolean;
  main: { name: string; stream: string; fields: Record<string, unknown> }[];
  filtered: { name: string; fields: Record<string, unknown> }[];
  throwing: unknown[];
  stats: Record<string, Record<string, Record<string, number>>>;
  counters: Record<string, number>;
  probeSeen: number[];
  timestampsIncrease: boolean;
}

function runIsolated(): Dumped {
  assert.ok(existsSync(fixture), fixture);
  const child = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', fixture], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(child.status, 0, `fixture failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as Dumped;
}

test('markers record correct events without code generation', () => {
  const out = runIsolated();
  assert.equal(out.codegen, false, 'the flag really disallowed new Function');
  assert.equal(out.canGenerateCode, false);
  assert.equal(out.timestampsIncrease, true);

  const alls = out.main.filter((e) => e.name === 'ncg:all').map((e) => e.fields);
  assert.equal(alls.length, 6, 'tracing.enabled = false stopped the seventh');
  assert.deepEqual(alls[0], {
    a: -1, b: 255, c: -1, d: 65535, e: -1, f: 4294967295, g: 0xabcdef, h: `${-(2n ** 63n)}n`, i: `${2n ** 64n - 1n}n`,
    j: '4660n', k: '3735928559n', l: -0.25, m: '€', n: 'text', o: { bytes: [7] },
  });
  assert.deepEqual(alls[1], {
    a: -128, b: 255, c: -32768, d: 65535, e: -2147483648, f: 4294967295, g: 4294967295, h: `${2n ** 60n}n`,
    i: `${2n ** 64n - 1n}n`, j: `${2n ** 53n + 2n}n`, k: '1n', l: 'NaN', m: 'A', n: 'é\ufffd😀\ufffd', o: { bytes: [1, 0, 255, 255] },
  });
  assert.deepEqual(alls[2], {
    a: 7, b: 0, c: 1, d: 0, e: 0, f: 0, g: 16, h: '0n', i: `${2n ** 64n - 1n}n`, j: '0n', k: '0n', l: 10, m: '😀', n: '(null)',
    o: { bytes: [...Buffer.from('str')] },
  });
  assert.deepEqual(alls[5], {
    a: 0, b: 0, c: 0, d: 0, e: 0, f: 0, g: 0, h: '0n', i: '0n', j: '0n', k: '0n', l: 0, m: '\ufffd', n: '(undefined)', o: { bytes: [] },
  });
  assert.deepEqual(out.main.filter((e) => e.name === 'ncg:tick').map((e) => e.fields), [{}, {}]);
  assert.deepEqual(out.main.filter((e) => e.name === 'ncg:late').map((e) => e.fields), [{ v: 42 }]);
  // Overwrite mode, 256 B × 2: 13-byte or 4-byte headers, so check the tail only.
  const small = out.main.filter((e) => e.stream === 'small').map((e) => e.fields.seq as number);
  assert.deepEqual(small, small.slice().sort((x, y) => x - y));
  assert.equal(small[small.length - 1], 29);
  assert.equal(out.stats.main.small.tooLarge, 1);
  assert.ok(out.stats.main.small.overwrittenPackets > 0);

  // Filters: e > 5 (on the argument as passed: 2 ** 31 passes, though recorded as -2 ** 31),
  // then the callback dropping n == 'drop'.
  assert.deepEqual(out.filtered.map((e) => e.fields.n), ['é\ufffd😀\ufffd', 'keep']);
  assert.deepEqual(out.throwing, []);
  assert.equal(out.counters.filterErrors, 6);
  assert.equal(out.counters.probeErrors, 7);
  assert.equal(out.counters.internalErrors, 0);
  assert.deepEqual(out.probeSeen, [15, 15, 15, 15, 15, 15, 15]);
});

test('the generic path records exactly what the generated path records', async () => {
  const isolated = runIsolated();
  const fixtureModule = (await import(pathToFileURL(fixture).href)) as { run: () => Promise<Dumped> };
  const local = await fixtureModule.run();
  assert.equal(local.codegen, true);
  assert.equal(local.canGenerateCode, true);
  const { codegen: _a, canGenerateCode: _b, ...expected } = local;
  const { codegen: _c, canGenerateCode: _d, ...actual } = isolated;
  void [_a, _b, _c, _d];
  // Packet boundaries of the small channel depend on the clock (compact or extended headers):
  // compare the default channels and the counters, and the small channel's last events.
  const stable = (d: typeof actual): unknown => ({
    ...d,
    main: d.main.filter((e) => e.stream !== 'small'),
    smallTail: d.main.filter((e) => e.stream === 'small').slice(-5),
    stats: { ...d.stats, main: { ...d.stats.main, small: { written: d.stats.main.small.written, tooLarge: d.stats.main.small.tooLarge } } },
  });
  assert.deepEqual(stable(actual), stable(expected));
});
