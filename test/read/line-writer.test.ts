/**
 * LineWriter writes the bytes of `${formatEvent(event)}\n`: on every event of the corpus, and on
 * generated events (any field values, specs, names, timestamps, tiny and huge lines).
 */
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LineWriter, attachFieldSpecs, formatEvent, readTraceSync, type TraceEvent } from '../../src/read/index.js';
import { fixture, readAllSync } from './helpers.js';

function written(events: readonly TraceEvent[]): string {
  const chunks: Buffer[] = [];
  const writer = new LineWriter((bytes, length) => chunks.push(Buffer.from(bytes.subarray(0, length))));
  for (const e of events) writer.event(e);
  writer.flush();
  return Buffer.concat(chunks).toString('utf8');
}

const expected = (events: readonly TraceEvent[]): string => events.map((e) => `${formatEvent(e)}\n`).join('');

describe('LineWriter', () => {
  for (const group of ['good', 'reader']) {
    for (const name of readdirSync(fixture(group))) {
      const dir = fixture(group, name);
      if (!statSync(dir).isDirectory()) continue;
      it(`writes formatEvent's lines: ${group}/${name}`, () => {
        const { events } = readAllSync(readTraceSync(dir));
        assert.ok(events.length > 0);
        assert.equal(written(events), expected(events));
      });
    }
  }

  it('writes formatEvent\'s lines for any values and specs', () => {
    const value = fc.oneof(
      fc.integer(), fc.double(), fc.constantFrom(-0, 0, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 60, 1e21, NaN, Infinity),
      fc.bigInt(), fc.string(), fc.string({ unit: 'grapheme' }), fc.uint8Array({ maxLength: 40 }), fc.boolean(),
      fc.array(fc.integer(), { maxLength: 3 }), fc.record({ x: fc.integer(), s: fc.string() }),
    );
    const spec = fc.constantFrom(undefined, '%d', '%u', '%x', '%lx', '%p', '%s', '%c', '%f', '%pW', '%lld');
    const event = fc.record({
      name: fc.oneof(fc.constantFrom('net:rx', 'tmtest:tick'), fc.string({ unit: 'binary', maxLength: 40 })),
      timestamp: fc.oneof(fc.bigInt({ min: -(1n << 62n), max: 1n << 63n }), fc.constantFrom(0n, -1n, 10n ** 30n)),
      fields: fc.dictionary(fc.oneof(fc.constantFrom('n', 'len', 'x'), fc.string({ minLength: 1, maxLength: 40 })), fc.tuple(value, spec), { maxKeys: 6 }),
    }).map(({ name, timestamp, fields }): TraceEvent => {
      const values: Record<string, unknown> = {};
      const specs: Record<string, string> = {};
      for (const [k, [v, s]] of Object.entries(fields)) {
        values[k] = v;
        if (s !== undefined) specs[k] = s;
      }
      return attachFieldSpecs({ name, id: 0, timestamp, stream: 's', fields: values }, specs);
    });
    fc.assert(fc.property(fc.array(event, { maxLength: 20 }), (events) => {
      assert.equal(written(events), expected(events));
    }), { seed: 0x11e, numRuns: 500 });
  });

  it('writes lines longer than its buffer, and many lines', () => {
    const wide: Record<string, unknown> = {};
    for (let i = 0; i < 20_000; i++) wide[`f${i}`] = i * 7919 - 1e6;
    const long = { name: 'x:wide', id: 0, timestamp: 1n, stream: 's', fields: { ...wide, text: 'é'.repeat(600_000) } };
    const small = Array.from({ length: 30_000 }, (_, i): TraceEvent => ({ name: 'x:small', id: 1, timestamp: BigInt(i) * 999_999_937n, stream: 's', fields: { n: i } }));
    const events = [...small.slice(0, 100), long, ...small];
    assert.equal(written(events), expected(events));
  });
});
