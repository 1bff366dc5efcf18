/**
 * The enable chain: marker enabled → tracing.enabled → channel enabled → rule filter → filter
 * callbacks → written. Probes run on every fire. Sessions, wildcards, disable rules, late markers.
 */
import { strict as assert } from 'node:assert';
import { afterEach, describe, test } from 'node:test';
import { marker, Session, tracing, type Marker } from '../../src/index.js';
import { assertTracemarkError, closeAll, fieldsOf, recording, statsDelta, track, uniqueName } from './helpers.js';

afterEach(closeAll);

/** A marker with a counting probe. */
function probed<F extends string>(format: F, provider = 'ch'): { m: Marker<F>; probeCalls: unknown[][] } {
  const m = marker(uniqueName(provider), format);
  const probeCalls: unknown[][] = [];
  m.attach(((...args: unknown[]) => { probeCalls.push(args); }) as never);
  return { m, probeCalls };
}

describe('chain order: filters are not called for events an earlier link stopped', () => {
  test('link 1, marker not enabled: session not started, or no rule matches', () => {
    const m = marker(uniqueName('ch'), 'a %d');
    const session = track(new Session());
    let calls = 0;
    session.enable(m.name, { filter: () => { calls++; return true; } });
    session.addFilter(() => { calls++; return true; });
    m(1); // not started
    assert.equal(calls, 0);
    session.start();
    session.disable(m.name); // started, but the last rule says no
    m(2);
    assert.equal(calls, 0);
    assert.deepEqual(fieldsOf(session), []);
    session.enable(m.name, { filter: () => { calls++; return true; } });
    m(3);
    assert.equal(calls, 2, 'rule filter + callback, once each');
    assert.deepEqual(fieldsOf(session), [{ a: 3 }]);
  });

  test('link 1 per session: a stopped session\'s filters are not called while another session records', () => {
    const m = marker(uniqueName('ch'), 'a %d');
    const stopped = track(new Session());
    let calls = 0;
    stopped.enable(m.name, { filter: () => { calls++; return true; } });
    stopped.addFilter(() => { calls++; return true; });
    stopped.start();
    const other = recording(m.name);
    stopped.stop();
    m(1);
    assert.equal(calls, 0);
    assert.deepEqual(fieldsOf(other), [{ a: 1 }]);
    assert.deepEqual(fieldsOf(stopped), []);
  });

  test('link 2, tracing.enabled = false: nothing written, no filter called, probes still run', () => {
    const { m, probeCalls } = probed('a %d');
    const session = track(new Session());
    let ruleCalls = 0;
    let callbackCalls = 0;
    session.enable(m.name, { filter: () => { ruleCalls++; return true; } });
    session.addFilter(() => { callbackCalls++; return true; });
    session.start();
    tracing.enabled = false;
    const delta = statsDelta(() => { m(1); m(2); });
    tracing.enabled = true;
    assert.equal(ruleCalls, 0);
    assert.equal(callbackCalls, 0);
    assert.deepEqual(delta.filtered, 0);
    assert.deepEqual(probeCalls, [[1], [2]]);
    assert.deepEqual(fieldsOf(session), []);
    assert.equal(session.stats().channels.default.written, 0);
    assert.equal(session.stats().channels.default.discarded, 0, 'a global stop is not a loss');
    m(3);
    assert.equal(ruleCalls, 1);
    assert.equal(callbackCalls, 1);
    assert.deepEqual(fieldsOf(session), [{ a: 3 }]);
  });

  test('tracing.enabled is a strict boolean switch', () => {
    assert.equal(tracing.enabled, true);
    tracing.enabled = 1 as unknown as boolean;
    assert.equal(tracing.enabled, false, 'only true turns tracing on');
    tracing.enabled = true;
    assert.equal(tracing.enabled, true);
  });

  test('link 3, channel disabled: no filter called for that channel, the other channel records', () => {
    const { m, probeCalls } = probed('a %d');
    const session = track(new Session({ channels: { other: {} } }));
    const calls: string[] = [];
    session.enable(m.name, { filter: () => { calls.push('default'); return true; } });
    session.enable(m.name, { channel: 'other', filter: () => { calls.push('other'); return true; } });
    session.start();
    session.channel('default').enabled = false;
    m(1);
    assert.deepEqual(calls, ['other']);
    session.channel('other').enabled = false;
    m(2);
    assert.deepEqual(calls, ['other']);
    session.channel('default').enabled = true;
    m(3);
    assert.deepEqual(calls, ['other', 'default']);
    assert.deepEqual(session.events().map((e) => [e.stream, e.fields.a]), [['other', 1], ['default', 3]]);
    assert.equal(probeCalls.length, 3);
  });

  test('link 4, the rule filter expression rejects: the callbacks are not called', () => {
    const { m, probeCalls } = probed('a %d');
    const session = track(new Session());
    const seen: unknown[][] = [];
    session.enable(m.name, { filter: 'a > 5' });
    session.addFilter((mk, values) => { assert.equal(mk, m); seen.push([...values]); return true; });
    session.start();
    const delta = statsDelta(() => { m(1); m(5); m(6); m(100); });
    assert.deepEqual(seen, [[6], [100]]);
    assert.equal(delta.filtered, 2);
    assert.deepEqual(fieldsOf(session), [{ a: 6 }, { a: 100 }]);
    assert.equal(probeCalls.length, 4);
  });

  test('link 5, a callback rejects: not written; callbacks run in order and stop at the first no', () => {
    const m = marker(uniqueName('ch'), 'a %d');
    const session = track(new Session());
    const calls: string[] = [];
    session.enable(m.name);
    session.addFilter((_, v) => { calls.push(`1:${String(v[0])}`); return (v[0] as number) % 2 === 0; });
    session.addFilter((_, v) => { calls.push(`2:${String(v[0])}`); return (v[0] as number) % 3 === 0; });
    session.start();
    const delta = statsDelta(() => { for (let i = 1; i <= 6; i++) m(i); });
    assert.deepEqual(calls, ['1:1', '1:2', '2:2', '1:3', '1:4', '2:4', '1:5', '1:6', '2:6']);
    assert.equal(delta.filtered, 5);
    assert.deepEqual(fieldsOf(session), [{ a: 6 }]);
  });

  test('a callback sees the marker and the raw argument values', () => {
    const m = marker(uniqueName('ch'), 'n %d s %s b %pW');
    const session = track(new Session());
    const seen: unknown[][] = [];
    session.enable(m.name);
    session.addFilter((mk, values) => { assert.equal(mk, m); seen.push([...values]); return true; });
    session.start();
    const blob = new Uint8Array([1]);
    (m as unknown as (...a: unknown[]) => void)('7', null, blob);
    m(1, 'x', blob);
    assert.deepEqual(seen, [['7', null, blob], [1, 'x', blob]]);
  });

  test('addFilter returns a remover; removing twice is harmless; non-functions are refused', () => {
    const m = marker(uniqueName('ch'), 'a %d');
    const session = recording(m.name);
    let calls = 0;
    const remove = session.addFilter(() => { calls++; return false; });
    m(1);
    remove();
    remove();
    m(2);
    assert.equal(calls, 1);
    assert.deepEqual(fieldsOf(session), [{ a: 2 }]);
    assertTracemarkError(() => session.addFilter(42 as never), 'ERR_INVALID_ARG');
  });

  test('a filter added while recording applies at once', () => {
    const m = marker(uniqueName('ch'), 'a %d');
    const session = recording(m.name);
    m(1);
    session.addFilter((_, v) => v[0] !== 2);
    m(2);
    m(3);
    assert.deepEqual(fieldsOf(session), [{ a: 1 }, { a: 3 }]);
  });
});

describe('filter and probe errors never reach the caller', () => {
  test('a throwing callback drops the event for its session only and is counted', () => {
    const m = marker(uniqueName('ch'), 'a %d');
    const a = track(new Session());
    const b = track(new Session());
    a.enable(m.name);
    b.enable(m.name);
    a.addFilter(() => { throw new Error('filter'); });
    a.start();
    b.start();
    const delta = statsDelta(() => assert.doesNotThrow(() => m(1)));
    assert.equal(delta.filterErrors, 1);
    assert.equal(delta.internalErrors, 0);
    assert.deepEqual(fieldsOf(a), []);
    assert.deepEqual(fieldsOf(b), [{ a: 1 }]);
  });

  test('a throwing rule filter function, and throws of non-Errors, are counted the same', () => {
    const m = marker(uniqueName('ch'), 'a %d');
    const session = track(new Session());
    session.enable(m.name, { filter: () => { throw undefined; } }); // eslint-disable-line no-throw-literal
    session.start();
    const other = track(new Session());
    other.enable(m.name);
    other.addFilter(() => { throw Symbol('x'); }); // eslint-disable-line no-throw-literal
    other.start();
    const delta = statsDelta(() => { m(1); m(2); });
    assert.equal(delta.filterErrors, 4);
    assert.deepEqual(fieldsOf(session), []);
    assert.deepEqual(fieldsOf(other), []);
  });

  test('a filter that overflows the stack is contained', () => {
    const m = marker(uniqueName('ch'), 'a %d');
    const session = recording(m.name);
    const deep = (n: number): number => deep(n + 1) + 1;
    session.addFilter(() => deep(0) > 0);
    const delta = statsDelta(() => assert.doesNotThrow(() => m(1)));
    assert.equal(delta.filterErrors, 1);
    assert.deepEqual(fieldsOf(session), []);
  });

  test('a throwing probe is counted; the event is still recorded and later probes run', () => {
    const m = marker(uniqueName('ch'), 'a %d');
    const session = recording(m.name);
    const order: string[] = [];
    m.attach(() => { order.push('first'); throw new Error('probe'); });
    m.attach(() => { order.push('second'); });
    const delta = statsDelta(() => assert.doesNotThrow(() => m(7)));
    assert.equal(delta.probeErrors, 1);
    assert.equal(delta.internalErrors, 0);
    assert.deepEqual(order, ['first', 'second']);
    assert.deepEqual(fieldsOf(session), [{ a: 7 }]);
  });

  test('a probe that throws a non-Error is counted the same', () => {
    const m = marker(uniqueName('ch'), '');
    m.attach(() => { throw null; }); // eslint-disable-line no-throw-literal
    m.attach(() => { throw Object.create(null); }); // eslint-disable-line no-throw-literal
    const delta = statsDelta(() => assert.doesNotThrow(() => m()));
    assert.equal(delta.probeErrors, 2);
  });
});

describe('probes', () => {
  test('run on every fire: unrecorded, tracing off, channel off, filtered out, recorded', () => {
    const { m, probeCalls } = probed('a %d');
    m(1); // no session
    const session = track(new Session());
    session.enable(m.name, { filter: 'a != 4' });
    session.start();
    tracing.enabled = false;
    m(2);
    tracing.enabled = true;
    session.channel('default').enabled = false;
    m(3);
    session.channel('default').enabled = true;
    m(4); // filtered
    m(5); // recorded
    assert.deepEqual(probeCalls, [[1], [2], [3], [4], [5]]);
    assert.deepEqual(fieldsOf(session), [{ a: 5 }]);
  });

  test('receive the raw arguments, padded with undefined to the field count, extra ones dropped', () => {
    const { m, probeCalls } = probed('a %d s %s');
    const f = m as unknown as (...a: unknown[]) => void;
    const obj = {};
    f('7', obj);
    f(1);
    f(1, 'x', 'extra');
    f();
    assert.deepEqual(probeCalls, [['7', obj], [1, undefined], [1, 'x'], [undefined, undefined]]);
    assert.equal(probeCalls[0][1], obj);
  });

  test('a probe firing its own marker does not disturb the outer event', () => {
    const m = marker(uniqueName('ch'), 'a %d');
    const session = recording(m.name);
    let depth = 0;
    m.attach((a) => { if (depth === 0) { depth++; m(a + 100); depth--; } });
    m(1);
    assert.deepEqual(fieldsOf(session).map((f) => f.a), [101, 1]);
  });

  test('a probe attached while recording does not change what is recorded', () => {
    const m = marker(uniqueName('ch'), 'a %d');
    const session = recording(m.name);
    m(1);
    const detach = m.attach(() => {});
    m(2);
    detach();
    m(3);
    assert.deepEqual(fieldsOf(session), [{ a: 1 }, { a: 2 }, { a: 3 }]);
  });
});

describe('several sessions', () => {
  test('each session records its own copy', () => {
    const m = marker(uniqueName('ms'), 'a %d s %s');
    const a = recording(m.name);
    const b = recording('ms:*');
    m(1, 'one');
    assert.deepEqual(fieldsOf(a), [{ a: 1, s: 'one' }]);
    assert.deepEqual(fieldsOf(b), [{ a: 1, s: 'one' }]);
    assert.notEqual(fieldsOf(a)[0], fieldsOf(b)[0]);
    assert.equal(a.stats().channels.default.written, 1);
    assert.equal(b.stats().channels.default.written, 1);
  });

  test('stopping, disabling or filtering in one session does not affect the other', () => {
    const m = marker(uniqueName('ms'), 'a %d');
    const a = recording(m.name);
    const b = recording(m.name);
    m(1);
    a.stop();
    m(2);
    a.start();
    a.disable('*');
    m(3);
    a.enable('*', { filter: 'a == 4' });
    m(4);
    m(5);
    b.channel('default').enabled = false;
    m(6);
    assert.deepEqual(fieldsOf(a).map((f) => f.a), [1, 4]);
    assert.deepEqual(fieldsOf(b).map((f) => f.a), [1, 2, 3, 4, 5]);
  });

  test('a session\'s filter sees the caller\'s values, whatever another session recorded first', () => {
    // Session a records without a filter and coerces '7' to 7 for itself; session b's filter
    // must still see the string '7' (a string in a numeric field never compares: dropped).
    const m = marker(uniqueName('ms'), 'n %d s %s');
    const f = m as unknown as (...a: unknown[]) => void;
    const alone = recording(m.name);
    alone.stop();
    const seenAlone: unknown[][] = [];
    const a = recording(m.name);
    const b = track(new Session());
    b.enable(m.name, { filter: 'n > 5' });
    const seenB: unknown[][] = [];
    b.addFilter((_, values) => { seenB.push([...values]); return true; });
    b.start();
    f('7', null);
    f(7, null);
    assert.deepEqual(fieldsOf(a), [{ n: 7, s: '(null)' }, { n: 7, s: '(null)' }]);
    assert.deepEqual(fieldsOf(b), [{ n: 7, s: '(null)' }], 'only the real number passes n > 5');
    assert.deepEqual(seenB, [[7, null]]);
    // The same session alone decides the same.
    a.stop();
    b.stop();
    const c = track(new Session());
    c.enable(m.name, { filter: 'n > 5' });
    c.addFilter((_, values) => { seenAlone.push([...values]); return true; });
    c.start();
    f('7', null);
    f(7, null);
    assert.deepEqual(fieldsOf(c), [{ n: 7, s: '(null)' }]);
    assert.deepEqual(seenAlone, [[7, null]]);
  });

  test('with more sessions than the fire function unrolls (9+), every one gets the same values', () => {
    const m = marker(uniqueName('ms'), 'n %d s %s c %c b %pW');
    const f = m as unknown as (...a: unknown[]) => void;
    const sessions = Array.from({ length: 10 }, () => recording(m.name));
    const filtered = track(new Session());
    filtered.enable(m.name, { filter: 'n > 5' });
    filtered.start();
    f('7', 42, 65, 'hi');
    f(9, 's', 'é', new Uint8Array([1, 2]));
    for (const s of sessions) {
      assert.deepEqual(s.events().map((e) => ({ ...e.fields, b: [...(e.fields.b as Uint8Array)] })), [
        { n: 7, s: '42', c: 'A', b: [104, 105] },
        { n: 9, s: 's', c: 'é', b: [1, 2] },
      ]);
    }
    assert.deepEqual(fieldsOf(filtered).map((x) => x.n), [9]);
  });
});

describe('rules: wildcards and disable', () => {
  const provider = 'wild';
  const names = [`${provider}:rx`, `${provider}:tx`, `${provider}:rx.err`, `${provider}2:rx`, `${provider}.sub:rx`, `${provider}X:rx`];
  const markers = names.map((n) => marker(n, ''));
  const enabledNames = (): string[] => markers.filter((m) => m.enabled).map((m) => m.name);

  function withRules(setup: (s: Session) => void): string[] {
    const session = track(new Session({ channels: { other: {} } }));
    setup(session);
    session.start();
    const result = enabledNames();
    // Sanity: the marker's switch agrees with what is recorded.
    for (const m of markers) m();
    assert.deepEqual([...new Set(session.events().map((e) => e.name))].sort(), [...result].sort());
    return result;
  }

  const CASES: [string, (s: Session) => void, string[]][] = [
    ['exact name', (s) => s.enable('wild:rx'), ['wild:rx']],
    ['provider:*', (s) => s.enable('wild:*'), ['wild:rx', 'wild:tx', 'wild:rx.err']],
    ['*:rx', (s) => s.enable('*:rx'), ['wild:rx', 'wild2:rx', 'wild.sub:rx', 'wildX:rx']],
    ['* matches across the colon and dots', (s) => s.enable('wild*'), names],
    ['* in the middle', (s) => s.enable('wild*:rx'), ['wild:rx', 'wild2:rx', 'wild.sub:rx', 'wildX:rx']],
    ['a dot is a literal dot', (s) => s.enable('wild.*'), ['wild.sub:rx']],
    ['several stars', (s) => s.enable('w*d:*x*'), ['wild:rx', 'wild:tx', 'wild:rx.err']],
    ['? and + are literal', (s) => s.enable('wil?:rx').enable('wild+:rx'), []],
    ['a prefix without * matches nothing', (s) => s.enable('wild:r'), []],
    ['disable after enable wins', (s) => s.enable('wild:*').disable('wild:tx'), ['wild:rx', 'wild:rx.err']],
    ['enable after disable wins', (s) => s.disable('wild:*').enable('wild:rx.*'), ['wild:rx.err']],
    ['disable * then enable one', (s) => s.enable('*').disable('*').enable('wild2:rx'), ['wild2:rx']],
    ['disable in another channel does not apply', (s) => s.enable('wild:*').disable('wild:*', { channel: 'other' }), ['wild:rx', 'wild:tx', 'wild:rx.err']],
    ['disable without a channel applies to every channel', (s) => s.enable('wild:rx').enable('wild:rx', { channel: 'other' }).disable('*:rx'), []],
  ];
  for (const [title, setup, expected] of CASES) {
    test(title, () => {
      assert.deepEqual(withRules(setup).sort(), [...expected].sort());
    });
  }

  test('patterns must be non-empty strings; channels must exist', () => {
    const session = track(new Session());
    assertTracemarkError(() => session.enable(''), 'ERR_INVALID_ARG');
    assertTracemarkError(() => session.enable(42 as unknown as string), 'ERR_INVALID_ARG');
    assertTracemarkError(() => session.disable(''), 'ERR_INVALID_ARG');
    assertTracemarkError(() => session.enable('*', { channel: 'nope' }), 'ERR_CHANNEL');
    assertTracemarkError(() => session.disable('*', { channel: 'nope' }), 'ERR_CHANNEL');
    assertTracemarkError(() => session.channel('nope'), 'ERR_CHANNEL');
    assertTracemarkError(() => session.enable('*', { filter: 'a >' }), 'ERR_FILTER');
    assertTracemarkError(() => session.enable('*', { filter: 42 as never }), 'ERR_INVALID_ARG');
  });

  test('a rule filter naming a field the marker lacks leaves that marker off', () => {
    const a = marker(uniqueName('fl'), 'len %u');
    const b = marker(uniqueName('fl'), 'size %u');
    const session = track(new Session());
    session.enable('fl:*', { filter: 'len > 1' });
    session.start();
    assert.equal(a.enabled, true);
    assert.equal(b.enabled, false);
    a(2);
    b(2);
    assert.deepEqual(session.events().map((e) => e.name), [a.name]);
  });
});

describe('late-declared markers', () => {
  test('a marker declared after start is picked up by wildcard rules at once', () => {
    const session = track(new Session({ channels: { side: {} } }));
    session.enable('late:*');
    session.enable('late:side*', { channel: 'side' });
    session.disable('late:off*');
    session.start();
    const m = marker('late:one', 'v %d');
    assert.equal(m.enabled, true);
    m(1);
    const off = marker('late:off1', 'v %d');
    assert.equal(off.enabled, false);
    off(2);
    const side = marker('late:side1', 'v %d');
    side(3);
    const unrelated = marker('early:x', 'v %d');
    assert.equal(unrelated.enabled, false);
    assert.deepEqual(session.events().map((e) => [e.name, e.stream, e.fields.v]), [
      ['late:one', 'default', 1],
      ['late:side1', 'default', 3],
      ['late:side1', 'side', 3],
    ]);
  });

  test('with a filter expression compiled for the late marker\'s own fields', () => {
    const session = track(new Session());
    session.enable('late2:*', { filter: 'v > 10' });
    session.start();
    const m = marker('late2:a', 'v %d');
    const other = marker('late2:b', 'w %d');
    m(5);
    m(11);
    other(100); // lacks v: never matches
    assert.deepEqual(session.events().map((e) => [e.name, e.fields]), [['late2:a', { v: 11 }]]);
  });

  test('a marker declared while the session is stopped is picked up at start', () => {
    const session = track(new Session());
    session.enable('late3:*');
    session.start();
    session.stop();
    const m = marker('late3:a', '');
    assert.equal(m.enabled, false);
    session.start();
    assert.equal(m.enabled, true);
    m();
    assert.equal(session.events().length, 1);
  });
});

describe('session life cycle', () => {
  test('start() turns every rule on at once; rules before start record nothing', () => {
    const m1 = marker(uniqueName('lc'), 'a %d');
    const m2 = marker(uniqueName('lc'), 'a %d');
    const session = track(new Session());
    session.enable(m1.name).enable(m2.name);
    m1(0);
    m2(0);
    assert.equal(session.stats().recording, false);
    assert.equal(m1.enabled || m2.enabled, false);
    session.start();
    assert.equal(session.stats().recording, true);
    assert.equal(m1.enabled && m2.enabled, true);
    m1(1);
    m2(2);
    assert.deepEqual(session.events().map((e) => e.fields.a), [1, 2]);
    assert.equal(session.start(), session, 'start twice is harmless');
  });

  test('stop() flushes the partial sub-buffer; events() keeps the events (not removed); start again appends', () => {
    const m = marker(uniqueName('lc'), 'a %d');
    const session = recording(m.name);
    m(1);
    assert.equal(session.stats().channels.default.packets, 0);
    session.stop();
    assert.equal(session.stats().channels.default.packets, 1);
    assert.equal(session.stats().recording, false);
    m(2);
    assert.deepEqual(fieldsOf(session), [{ a: 1 }]);
    assert.deepEqual(fieldsOf(session), [{ a: 1 }], 'events() does not remove');
    session.stop();
    session.start();
    m(3);
    assert.deepEqual(fieldsOf(session), [{ a: 1 }, { a: 3 }]);
  });

  test('close() stops; a closed session refuses new rules; closing twice is harmless', async () => {
    const m = marker(uniqueName('lc'), 'a %d');
    const session = new Session();
    session.enable(m.name).start();
    m(1);
    await session.close();
    await session.close();
    assert.equal(m.enabled, false);
    assert.equal(session.stats().recording, false);
    assertTracemarkError(() => session.enable('*'), 'ERR_SESSION_STATE');
    assertTracemarkError(() => session.start(), 'ERR_SESSION_STATE');
  });

  test('events() of a session that never started is empty; decoded event shape', () => {
    const session = track(new Session());
    assert.deepEqual(session.events(), []);
    const m = marker(uniqueName('lc'), 'a %d');
    session.enable(m.name).start();
    const before = BigInt(Date.now()) * 1_000_000n;
    m(1);
    const after = BigInt(Date.now() + 1) * 1_000_000n;
    const [event] = session.events();
    assert.deepEqual(Object.keys(event).sort(), ['fields', 'id', 'name', 'stream', 'timestamp']);
    assert.equal(event.name, m.name);
    assert.equal(event.id, m.id);
    assert.equal(event.stream, 'default');
    assert.equal(typeof event.timestamp, 'bigint');
    // ns since the epoch: same clock as Date.now(), give or take the clock's rounding (1 s).
    assert.ok(event.timestamp > before - 1_000_000_000n && event.timestamp < after + 1_000_000_000n, String(event.timestamp));
  });

  test('timestamps never decrease within a channel', () => {
    const m = marker(uniqueName('lc'), 'a %d');
    const session = recording(m.name);
    for (let i = 0; i < 500; i++) m(i);
    const events = session.events();
    assert.deepEqual(events.map((e) => e.fields.a), Array.from({ length: 500 }, (_, i) => i));
    for (let i = 1; i < events.length; i++) assert.ok(events[i].timestamp >= events[i - 1].timestamp);
  });

  test('channels: default always exists, named ones are separate streams', () => {
    const m = marker(uniqueName('lc'), 'a %d');
    const session = track(new Session({ channels: { a: { subbufSize: 4096 }, b: { mode: 'overwrite' } } }));
    assert.deepEqual(session.channels.map((c) => c.name), ['default', 'a', 'b']);
    assert.equal(session.channel('a').subbufSize, 4096);
    assert.equal(session.channel('b').mode, 'overwrite');
    session.enable(m.name, { channel: 'a' }).enable(m.name, { channel: 'b' }).start();
    m(1);
    assert.deepEqual(session.events().map((e) => e.stream).sort(), ['a', 'b']);
    assert.deepEqual(Object.keys(session.stats().channels), ['default', 'a', 'b']);
    assert.equal(session.stats().channels.default.written, 0);
  });

  test('the default channel takes options by name', () => {
    const session = track(new Session({ channels: { default: { subbufSize: 512, subbufCount: 3, mode: 'overwrite' } } }));
    assert.deepEqual(session.channels.map((c) => [c.name, c.subbufSize, c.subbufCount, c.mode]), [['default', 512, 3, 'overwrite']]);
  });

  test('bad channel options are ERR_CHANNEL', () => {
    for (const options of [{ subbufSize: 255 }, { subbufSize: 1000.5 }, { subbufCount: 1 }, { subbufCount: 1025 }, { mode: 'ring' }]) {
      assertTracemarkError(() => new Session({ channels: { x: options as never } }), 'ERR_CHANNEL');
    }
  });
});
