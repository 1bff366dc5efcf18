/** Format strings and marker names: every spec, every error with its exact offset and text, properties. */
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { marker, registry, TracemarkError } from '../../src/index.js';
import { parseFormat, validateMarkerName } from '../../src/format/parse.js';
import { SPECS } from '../../src/format/parse.js';
import { assertTracemarkError, uniqueName } from './helpers.js';

/** The table of issue 2, written out independently of src/format/parse.ts. */
const EXPECTED_SPECS: Record<string, { type: string; base: 10 | 16 }> = {
  '%d': { type: 'i32', base: 10 },
  '%i': { type: 'i32', base: 10 },
  '%u': { type: 'u32', base: 10 },
  '%hhd': { type: 'i8', base: 10 },
  '%hhu': { type: 'u8', base: 10 },
  '%hd': { type: 'i16', base: 10 },
  '%hu': { type: 'u16', base: 10 },
  '%ld': { type: 'i64', base: 10 },
  '%li': { type: 'i64', base: 10 },
  '%lld': { type: 'i64', base: 10 },
  '%lu': { type: 'u64', base: 10 },
  '%llu': { type: 'u64', base: 10 },
  '%x': { type: 'u32', base: 16 },
  '%lx': { type: 'u64', base: 16 },
  '%llx': { type: 'u64', base: 16 },
  '%f': { type: 'f64', base: 10 },
  '%lf': { type: 'f64', base: 10 },
  '%g': { type: 'f64', base: 10 },
  '%e': { type: 'f64', base: 10 },
  '%c': { type: 'char', base: 10 },
  '%s': { type: 'string', base: 10 },
  '%p': { type: 'u64', base: 16 },
  '%pW': { type: 'blob', base: 16 },
};
const SPEC_LIST = Object.keys(EXPECTED_SPECS);

describe('format specs', () => {
  test('the spec table is exactly the issue\'s', () => {
    assert.deepEqual(Object.keys(SPECS).sort(), [...SPEC_LIST].sort());
  });

  for (const spec of SPEC_LIST) {
    test(`"v ${spec}" parses to ${EXPECTED_SPECS[spec].type}`, () => {
      assert.deepEqual(parseFormat(`v ${spec}`), [{ name: 'v', spec, ...EXPECTED_SPECS[spec] }]);
      const m = marker(uniqueName('spec'), `v ${spec}`);
      assert.deepEqual(m.fields, [{ name: 'v', spec, ...EXPECTED_SPECS[spec] }]);
    });
  }

  test('every spec in one format keeps the declaration order', () => {
    const format = SPEC_LIST.map((spec, i) => `f${i} ${spec}`).join(' ');
    const fields = parseFormat(format);
    assert.equal(fields.length, SPEC_LIST.length);
    fields.forEach((field, i) => {
      assert.deepEqual(field, { name: `f${i}`, spec: SPEC_LIST[i], ...EXPECTED_SPECS[SPEC_LIST[i]] });
    });
  });

  test('"" has no fields', () => {
    assert.deepEqual(parseFormat(''), []);
    assert.deepEqual(marker(uniqueName(), '').fields, []);
  });

  test('field names: letters, digits after the first character, underscores', () => {
    const fields = parseFormat('_ %d a1 %u _x_9 %s Z %c camelCase %f snake_case_2 %pW');
    assert.deepEqual(fields.map((f) => f.name), ['_', 'a1', '_x_9', 'Z', 'camelCase', 'snake_case_2']);
  });

  test('fields are frozen', () => {
    const m = marker(uniqueName(), 'a %d');
    assert.ok(Object.isFrozen(m.fields));
    assert.ok(Object.isFrozen(m.fields[0]));
  });
});

/** [format, offset, text]: the offending `name %spec` pair and where it begins. */
const FORMAT_ERRORS: [string, number, string][] = [
  ['a', 0, 'a'],
  ['a ', 0, 'a '],
  [' ', 0, ' '],
  [' a %d', 0, ' a'],
  ['a %d ', 5, ''],
  ['a  %d', 0, 'a '],
  ['a %d  b %u', 5, ' b'],
  ['a %d b', 5, 'b'],
  ['a %d b %q', 5, 'b %q'],
  ['a %D', 0, 'a %D'],
  ['a %', 0, 'a %'],
  ['a %%', 0, 'a %%'],
  ['a d', 0, 'a d'],
  ['a %pw', 0, 'a %pw'],
  ['a %pWx', 0, 'a %pWx'],
  ['a %l', 0, 'a %l'],
  ['a %lll', 0, 'a %lll'],
  ['a %hhx', 0, 'a %hhx'],
  ['a %lu%d', 0, 'a %lu%d'],
  ['%d a', 0, '%d a'],
  ['%d', 0, '%d'],
  ['1a %d', 0, '1a %d'],
  ['a-b %d', 0, 'a-b %d'],
  ['a.b %d', 0, 'a.b %d'],
  ['é %d', 0, 'é %d'],
  ['a\t%d', 0, 'a\t%d'],
  ['a %d\n', 0, 'a %d\n'],
  ['a %d a %u', 5, 'a %u'],
  ['a %d b %u a %s', 10, 'a %s'],
  ['len %u proto %s payload %pW extra', 28, 'extra'],
  ['x %d y %d z %d y %s', 15, 'y %s'],
  // Names of Object.prototype members are not specs.
  ['a constructor', 0, 'a constructor'],
  ['a __proto__', 0, 'a __proto__'],
  ['a toString', 0, 'a toString'],
  ['a %d b hasOwnProperty', 5, 'b hasOwnProperty'],
  ['a valueOf', 0, 'a valueOf'],
  // Reserved: `_Bool`, `_Complex`, `_Imaginary` are TSDL keywords (fields are written as `_name`).
  ['Bool %d', 0, 'Bool %d'],
  ['a %d Complex %u', 5, 'Complex %u'],
  ['Imaginary %f', 0, 'Imaginary %f'],
];

describe('format errors', () => {
  for (const [format, offset, text] of FORMAT_ERRORS) {
    test(`${JSON.stringify(format)} → ERR_FORMAT at ${offset} (${JSON.stringify(text)})`, () => {
      assertTracemarkError(() => parseFormat(format), 'ERR_FORMAT', { offset, text });
      const name = uniqueName('badfmt');
      assertTracemarkError(() => marker(name, format), 'ERR_FORMAT', { offset, text });
      assert.equal(registry.get(name), undefined, 'a refused marker is not registered');
      assert.equal(format.slice(offset, offset + text.length), text, 'text is the piece of the format at offset');
    });
  }

  test('a format that is not a string (plain JS caller) is ERR_FORMAT at 0', () => {
    for (const bad of [undefined, null, 42, {}, Symbol('s')]) {
      assertTracemarkError(() => marker(uniqueName(), bad as unknown as string), 'ERR_FORMAT', { offset: 0 });
    }
  });

  test('the error says what is wrong and where', () => {
    const error = assertTracemarkError(() => parseFormat('a %d b %q'), 'ERR_FORMAT');
    assert.match(error.message, /offset 5/);
    assert.match(error.message, /%q/);
    assert.equal(error.name, 'TracemarkError');
    assert.ok(error instanceof Error);
  });
});

/** [name, offset, text] */
const NAME_ERRORS: [string, number, string][] = [
  ['', 0, ''],
  ['net', 0, 'net'],
  [':rx', 0, ''],
  ['net:', 4, ''],
  ['1net:rx', 0, '1net'],
  ['n-t:rx', 0, 'n-t'],
  ['.net:rx', 0, '.net'],
  ['net:1x', 4, '1x'],
  ['net:r x', 4, 'r x'],
  ['net:rx ', 4, 'rx '],
  ['a:b:', 4, ''],
  ['a::c', 2, ''],
  ['a:b:1c', 4, '1c'],
  ['net:é', 4, 'é'],
  ['ne t:rx', 0, 'ne t'],
];

describe('marker names', () => {
  test('valid names', () => {
    for (const name of ['a:b', '_:_', 'A1:b2', 'net.tcp:rx.ok', 'a.:b.', 'a..b:c', 'Net_9:Ev_1.x', 'a:b:c', 'node:http.server:begin']) {
      assert.equal(validateMarkerName(name), name);
    }
  });

  for (const [name, offset, text] of NAME_ERRORS) {
    test(`${JSON.stringify(name)} → ERR_FORMAT at ${offset} (${JSON.stringify(text)})`, () => {
      assertTracemarkError(() => marker(name, 'a %d'), 'ERR_FORMAT', { offset, text });
      assert.equal(name.slice(offset, offset + text.length), text);
    });
  }

  test('a name that is not a string (plain JS caller) is ERR_FORMAT', () => {
    for (const bad of [undefined, null, 42, {}]) {
      assertTracemarkError(() => marker(bad as unknown as string, ''), 'ERR_FORMAT', { offset: 0 });
    }
  });
});

// --- properties ---------------------------------------------------------------------------------

const identFirst = fc.constantFrom(...'abcxyzABCXYZ_'.split(''));
const identRest = fc.string({ unit: fc.constantFrom(...'az09_Z'.split('')), maxLength: 6 });
const ident = fc.tuple(identFirst, identRest).map(([a, b]) => a + b);
const validFormat = fc
  .uniqueArray(ident, { maxLength: 10 })
  .chain((names) => fc.tuple(fc.constant(names), fc.array(fc.constantFrom(...SPEC_LIST), { minLength: names.length, maxLength: names.length })))
  .map(([names, specs]) => ({ names, specs, format: names.map((n, i) => `${n} ${specs[i]}`).join(' ') }));

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED = new Set(['Bool', 'Complex', 'Imaginary']);

/**
 * Reference model of the grammar: null when `format` is valid, else where the first bad
 * `name %spec` pair begins and its text.
 */
function referenceError(format: string): { offset: number; text: string } | null {
  if (format === '') return null;
  const tokens = format.split(' ');
  const seen = new Set<string>();
  let offset = 0;
  for (let i = 0; i < tokens.length; i += 2) {
    const name = tokens[i];
    const spec = tokens[i + 1];
    const text = spec === undefined ? name : `${name} ${spec}`;
    const ok = IDENT.test(name) && !RESERVED.has(name) && spec !== undefined && Object.hasOwn(EXPECTED_SPECS, spec) && !seen.has(name);
    if (!ok) return { offset, text };
    seen.add(name);
    offset += text.length + 1;
  }
  return null;
}

/** Strings near the grammar: pieces of valid formats, spaces, percent signs, junk. */
const nearFormat = fc
  .array(fc.oneof(
    ident,
    fc.constantFrom(...SPEC_LIST),
    fc.constantFrom(' ', '  ', '%', '%l', '%h', '%W', 'constructor', '__proto__', '\t', '\n', '', 'é', '1', '-', ':', 'Bool', 'Complex'),
    fc.string({ maxLength: 3 }),
  ), { maxLength: 12 })
  .map((parts) => parts.join(' '));

function checkGarbage(format: string): void {
  const expected = referenceError(format);
  let fields;
  try {
    fields = parseFormat(format);
  } catch (error) {
    assert.ok(error instanceof TracemarkError, `not a TracemarkError: ${String(error)}`);
    assert.equal(error.code, 'ERR_FORMAT');
    assert.equal(typeof error.offset, 'number');
    const offset = error.offset!;
    assert.ok(Number.isInteger(offset) && offset >= 0 && offset <= format.length, `offset ${offset} outside ${JSON.stringify(format)}`);
    if (offset === format.length) assert.equal(error.text, '', 'only an empty trailing field begins at the very end');
    assert.equal(format.slice(offset, offset + error.text!.length), error.text, 'text is the piece at offset');
    assert.deepEqual({ offset, text: error.text }, expected, `for ${JSON.stringify(format)}`);
    return;
  }
  assert.equal(expected, null, `accepted ${JSON.stringify(format)}, the grammar refuses it at ${JSON.stringify(expected)}`);
  assert.equal(fields.map((f) => `${f.name} ${f.spec}`).join(' '), format);
}

describe('format properties (fast-check, seeded)', () => {
  test('random valid formats parse to their fields', () => {
    fc.assert(fc.property(validFormat, ({ names, specs, format }) => {
      const fields = parseFormat(format);
      assert.deepEqual(fields, names.map((name, i) => ({ name, spec: specs[i], ...EXPECTED_SPECS[specs[i]] })));
      const m = marker(uniqueName('prop'), format);
      assert.equal(m.format, format);
      assert.equal(m.fields.length, names.length);
    }), { seed: 20240601, numRuns: 300 });
  });

  test('marker names and field names are accepted exactly when they match the documented patterns', () => {
    // The patterns the error messages name, as regular expressions (the parser uses loops).
    const NAME_PART = /^[A-Za-z_][A-Za-z0-9_.]*$/;
    const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
    const unit = fc.constantFrom(...'aZ_09.:%-é'.split(''), ' ', '\n', 'x', 'Q');
    const accepted = (fn: () => unknown): boolean => {
      try {
        fn();
        return true;
      } catch (error) {
        assert.ok(error instanceof TracemarkError && error.code === 'ERR_FORMAT', String(error));
        return false;
      }
    };
    fc.assert(fc.property(fc.string({ unit, maxLength: 12 }), (name) => {
      const expected = name.includes(':') && name.split(':').every((part) => NAME_PART.test(part));
      assert.equal(accepted(() => validateMarkerName(name)), expected, JSON.stringify(name));
    }), { seed: 5, numRuns: 3000 });
    fc.assert(fc.property(fc.string({ unit, maxLength: 10 }), (name) => {
      const expected = IDENT.test(name) && !['Bool', 'Complex', 'Imaginary'].includes(name);
      assert.equal(accepted(() => parseFormat(`${name} %d`)), expected, JSON.stringify(name));
    }), { seed: 6, numRuns: 3000 });
  });

  test('a field named like a blob\'s length field is refused, in either order', () => {
    assertTracemarkError(() => parseFormat('payload %pW _payload_length %u'), 'ERR_FORMAT', { offset: 12, text: '_payload_length %u' });
    assertTracemarkError(() => parseFormat('_payload_length %u payload %pW'), 'ERR_FORMAT', { offset: 19, text: 'payload %pW' });
    // Other names that merely look alike are fields like any other.
    assert.deepEqual(parseFormat('p %pW _q_length %u _length %u __p_length %u').map((f) => f.name), ['p', '_q_length', '_length', '__p_length']);
  });

  test('random garbage parses only when valid, else throws ERR_FORMAT at the first bad pair', () => {
    fc.assert(fc.property(fc.string({ maxLength: 40 }), checkGarbage), { seed: 1, numRuns: 1000 });
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 30 }), checkGarbage), { seed: 2, numRuns: 500 });
    fc.assert(fc.property(nearFormat, checkGarbage), { seed: 3, numRuns: 2000 });
  });

  test('valid formats with one random edit: same property', () => {
    const edited = fc.tuple(validFormat, fc.nat(), fc.constantFrom('insert', 'delete', 'replace'), fc.constantFrom(' ', '%', 'x', '1', '', 'W', 'l'))
      .map(([{ format }, at, op, ch]) => {
        const i = format.length === 0 ? 0 : at % format.length;
        if (op === 'insert') return format.slice(0, i) + ch + format.slice(i);
        if (op === 'delete') return format.slice(0, i) + format.slice(i + 1);
        return format.slice(0, i) + ch + format.slice(i + 1);
      });
    fc.assert(fc.property(edited, checkGarbage), { seed: 4, numRuns: 2000 });
  });
});
