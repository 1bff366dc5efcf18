// Reader mutation fuzzing, CI size (bench/soak/reader.ts runs >= 100k cases with --soak):
// bit flips, truncation, zeroed pages, inserted bytes and big integers written over fields, in
// stream files and metadata of the committed corpus, from fixed seeds. No crash (only
// TracemarkError escapes), no hang, no allocation out of bounds; every mutation kind and both
// targets are exercised.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MUTATIONS, loadCorpus, markdown, mutate, prng, runReaderFuzz } from '../../bench/soak/reader.js';

describe('reader mutation fuzzing (CI counts)', () => {
  const corpus = loadCorpus();

  it('the corpus holds the good and reader traces', () => {
    assert.ok(corpus.length >= 12, `only ${corpus.length} traces`);
    assert.ok(corpus.some((t) => t.name.startsWith('reader/rc-types-be')));
  });

  it('mutations are deterministic for a seed and change the bytes', () => {
    const bytes = Buffer.alloc(10_000, 0x5a);
    for (const m of MUTATIONS) {
      const a = mutate(bytes, m, prng(7));
      const b = mutate(bytes, m, prng(7));
      assert.deepEqual(a, b, m);
      if (m !== 'truncation') assert.ok(!a.equals(bytes) || m === 'big-integer', `${m} changed nothing`);
    }
  });

  for (const seed of [1, 2]) {
    it(`1500 mutated traces (seed ${seed}): 0 crashes, 0 hangs, 0 out-of-bound allocations`, { timeout: 600_000 }, () => {
      // Bounds generous for a loaded CI machine: a hang would be minutes, a bomb gigabytes.
      const options = { cases: 1500, seed, caseLimitMs: 20_000, caseHeapLimitBytes: 512 * 1024 * 1024 };
      const stats = runReaderFuzz(options, corpus);
      assert.deepEqual(stats.failures, [], markdown(stats, options));
      assert.equal(stats.cases, 1500);
      for (const m of MUTATIONS) {
        const s = stats.byMutation[m];
        assert.ok(s.cases > 0 && s.metadata > 0 && s.stream > 0, `${m} not exercised on both targets`);
      }
      assert.ok(stats.tracemarkErrors > 0 && stats.cleanReads > 0);
    });
  }
});
