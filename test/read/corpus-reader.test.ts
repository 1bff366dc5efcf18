// The reader corpus (test/fixtures/ctf/make_reader_corpus.py): CTF that LTTng-UST does not
// write but babeltrace2 reads — big-endian and mixed byte orders, bit-packed fields, variants,
// no clock, no packet context, several clocks and stream classes, metadata babeltrace2 only
// warns about. Each trace decodes to the values its writer recorded, and to what babeltrace2
// decodes, event by event and field by field.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readTraceSync, type TraceEvent, type TraceWarning } from '../../src/read/index.js';
import { FIXTURES, assertSameValue, parseJsonLossless, readAllSync } from './helpers.js';
import { HAVE_BT2, assertSameAsBt2, bt2read } from './support/bt2.js';

const CORPUS = join(FIXTURES, 'reader');

interface Expected { events: { name: string; ns: string | null; stream: string; fields: Record<string, unknown> }[] }

function read(dir: string): { events: TraceEvent[]; warnings: TraceWarning[]; error: unknown } {
  const warnings: TraceWarning[] = [];
  const { events, error } = readAllSync(readTraceSync(dir, { onWarning: (w) => warnings.push(w) }));
  return { events, warnings, error };
}

describe('reader corpus: what babeltrace2 reads', () => {
  const names = readdirSync(CORPUS).filter((n) => statSync(join(CORPUS, n)).isDirectory()).sort();
  it('has the traces make_reader_corpus.py writes', () => {
    assert.deepEqual(names, ['rc-kernel', 'rc-no-clock', 'rc-rotated', 'rc-two-clocks', 'rc-types-be', 'rc-types-le', 'rc-variants', 'rc-warnings']);
  });
  for (const name of names) {
    const dir = join(CORPUS, name);
    const expected = parseJsonLossless(readFileSync(join(CORPUS, `${name}.expected.json`), 'utf8')) as Expected;
    it(`${name}: the values written`, () => {
      const { events, error } = read(dir);
      assert.equal(error, undefined);
      assert.equal(events.length, expected.events.length);
      events.forEach((e, i) => {
        const x = expected.events[i];
        assert.equal(e.name, x.name, `event #${i}`);
        if (x.ns !== null) assert.equal(e.timestamp, BigInt(x.ns), `event #${i} (${x.name}) timestamp`);
        assert.equal(e.stream, x.stream, `event #${i} stream`);
        assertSameValue(e.fields, x.fields, `event #${i} (${x.name}) fields`);
      });
    });
    it(`${name}: the same events as babeltrace2`, { skip: !HAVE_BT2 && 'python3-bt2 is not installed' }, () => {
      const bt2 = bt2read(dir);
      assert.equal(bt2.error, undefined);
      const { events } = read(dir);
      assert.equal(events.length, bt2.events.length);
      events.forEach((e, i) => {
        const b = bt2.events[i];
        assert.equal(e.name, b.name, `event #${i}`);
        if (b.ns !== null) assert.equal(e.timestamp, BigInt(b.ns), `event #${i} (${b.name}) timestamp`);
        assertSameAsBt2(e.fields, b.fields, `event #${i} (${b.name}) fields`);
      });
    });
  }

  it('unknown attributes are warnings (file, byte offset), not errors, as in babeltrace2', () => {
    const { warnings, error } = read(join(CORPUS, 'rc-warnings'));
    assert.equal(error, undefined);
    // babeltrace2: "Unknown attribute in clock class: attr-name="flavour"", then the integer's.
    assert.deepEqual(warnings.map((w) => w.message), ['unknown clock attribute "flavour" ignored', 'unknown integer attribute "colour" ignored']);
    const text = readFileSync(join(CORPUS, 'rc-warnings', 'metadata'), 'utf8');
    assert.equal(warnings[1].byteOffset, text.indexOf('colour = blue') + 'colour = '.length); // the value's offset
  });
});
