/** The registry and the properties of a marker. */
import { strict as assert } from 'node:assert';
import { afterEach, describe, test } from 'node:test';
import { marker, registry, Session, tracing, type Registration } from '../../src/index.js';
import { assertTracemarkError, closeAll, fieldsOf, recording, statsDelta, track, uniqueName } from './helpers.js';

afterEach(closeAll);

describe('registry', () => {
  test('list() holds every registration in id order, ids are dense and start at 0', () => {
    const a = marker(uniqueName(), 'x %d');
    const b = marker(uniqueName(), '');
    const list = registry.list();
    list.forEach((r, i) => assert.equal(r.id, i));
    assert.equal(list[a.id].name, a.name);
    assert.equal(list[b.id].name, b.name);
    assert.equal(b.id, a.id + 1);
  });

  test('list() is a copy: changing it changes nothing', () => {
    const list = registry.list() as Registration[];
    const length = list.length;
    list.length = 0;
    assert.equal(registry.list().length, length);
  });

  test('get(name) returns the registration; unknown names give undefined', () => {
    const name = uniqueName();
    assert.equal(registry.get(name), undefined);
    const m = marker(name, 'len %u proto %s');
    const r = registry.get(name)!;
    assert.equal(r.id, m.id);
    assert.equal(r.name, name);
    assert.equal(r.format, 'len %u proto %s');
    assert.deepEqual(r.fields.map((f) => [f.name, f.spec, f.type]), [['len', '%u', 'u32'], ['proto', '%s', 'string']]);
    assert.ok(Object.isFrozen(r));
    assert.equal(registry.get('no:such'), undefined);
    assert.equal(registry.get('__proto__'), undefined);
    assert.equal(registry.get('constructor'), undefined);
  });

  test('onRegister sees every new registration once, and stops after unsubscribe', () => {
    const seen: string[] = [];
    const off = registry.onRegister((r) => seen.push(`${r.id}:${r.name}`));
    const a = marker(uniqueName(), 'a %d');
    marker(a.name, 'a %d'); // the same registration: not new
    const b = marker(uniqueName(), '');
    off();
    off(); // twice is harmless
    marker(uniqueName(), '');
    assert.deepEqual(seen, [`${a.id}:${a.name}`, `${b.id}:${b.name}`]);
  });

  test('a refused declaration notifies nobody', () => {
    const seen: string[] = [];
    const off = registry.onRegister((r) => seen.push(r.name));
    try {
      assertTracemarkError(() => marker(uniqueName(), 'a %q'), 'ERR_FORMAT');
      assertTracemarkError(() => marker('bad', ''), 'ERR_FORMAT');
    } finally {
      off();
    }
    assert.deepEqual(seen, []);
  });

  test('a throwing listener does not break the declaration nor the other listeners', () => {
    const seen: string[] = [];
    const off1 = registry.onRegister(() => { throw new Error('listener'); });
    const off2 = registry.onRegister((r) => seen.push(r.name));
    try {
      const name = uniqueName();
      const m = marker(name, 'v %d');
      assert.equal(m.name, name);
      assert.deepEqual(seen, [name]);
      assert.equal(registry.get(name)?.id, m.id);
    } finally {
      off1();
      off2();
    }
  });
});

describe('marker identity', () => {
  test('same name and format → the same marker and registration', () => {
    const name = uniqueName();
    const a = marker(name, 'len %u');
    const b = marker(name, 'len %u');
    assert.equal(a, b);
    assert.equal(registry.list().filter((r) => r.name === name).length, 1);
  });

  test('same name, other format → ERR_FORMAT_MISMATCH, the first stays', () => {
    const name = uniqueName();
    const a = marker(name, 'len %u');
    for (const other of ['len %d', 'len %u x %d', '', 'size %u']) {
      assertTracemarkError(() => marker(name, other), 'ERR_FORMAT_MISMATCH');
    }
    assert.equal(registry.get(name)!.format, 'len %u');
    assert.equal(marker(name, 'len %u'), a);
  });

  test('a bad format under a known name is ERR_FORMAT, not a mismatch', () => {
    const name = uniqueName();
    marker(name, 'len %u');
    assertTracemarkError(() => marker(name, 'len %q'), 'ERR_FORMAT', { offset: 0, text: 'len %q' });
  });
});

describe('marker properties', () => {
  test('id, name, format, fields', () => {
    const name = uniqueName('net');
    const rx = marker(name, 'len %u proto %s payload %pW');
    assert.equal(typeof rx, 'function');
    assert.equal(rx.name, name);
    assert.equal(rx.id, registry.get(name)!.id);
    assert.equal(rx.format, 'len %u proto %s payload %pW');
    assert.deepEqual(rx.fields, [
      { name: 'len', spec: '%u', type: 'u32', base: 10 },
      { name: 'proto', spec: '%s', type: 'string', base: 10 },
      { name: 'payload', spec: '%pW', type: 'blob', base: 16 },
    ]);
    assert.equal(rx.fields, registry.get(name)!.fields);
  });

  test('properties are read-only', () => {
    const rx = marker(uniqueName(), 'a %d');
    const before = { id: rx.id, name: rx.name, format: rx.format, enabled: rx.enabled };
    assert.throws(() => { (rx as unknown as { id: number }).id = 99; }, TypeError); // ESM is strict
    assert.throws(() => { (rx as unknown as { enabled: boolean }).enabled = true; }, TypeError);
    assert.throws(() => { (rx as unknown as { format: string }).format = 'b %u'; }, TypeError);
    assert.deepEqual({ id: rx.id, name: rx.name, format: rx.format, enabled: rx.enabled }, before);
  });

  test('calling a marker nobody records does nothing and returns undefined', () => {
    const rx = marker(uniqueName(), 'a %d s %s');
    assert.equal(rx.enabled, false);
    const delta = statsDelta(() => assert.equal(rx(1, 'x'), undefined));
    assert.deepEqual(delta, { probeErrors: 0, filterErrors: 0, filtered: 0, internalErrors: 0, coercedArguments: 0 });
  });

  test('enabled follows sessions (start, stop, rules) and probes', () => {
    const rx = marker(uniqueName('en'), 'a %d');
    assert.equal(rx.enabled, false);
    const session = track(new Session());
    session.enable('en:*');
    assert.equal(rx.enabled, false, 'a session that has not started enables nothing');
    session.start();
    assert.equal(rx.enabled, true);
    session.disable(rx.name);
    assert.equal(rx.enabled, false);
    session.enable(rx.name);
    assert.equal(rx.enabled, true);
    session.stop();
    assert.equal(rx.enabled, false);
    const detach = rx.attach(() => {});
    assert.equal(rx.enabled, true, 'a probe enables the marker');
    detach();
    assert.equal(rx.enabled, false);
    session.start();
    assert.equal(rx.enabled, true, 'start again');
  });

  test('enabled is also true when tracing is off (probes must still run)', () => {
    const rx = marker(uniqueName(), 'a %d');
    recording(rx.name);
    tracing.enabled = false;
    try {
      assert.equal(rx.enabled, true);
    } finally {
      tracing.enabled = true;
    }
  });

  test('attach returns a detach function; detaching twice is harmless; non-functions are ignored', () => {
    const rx = marker(uniqueName(), 'a %d');
    const calls: number[] = [];
    const d1 = rx.attach((a) => calls.push(a));
    const d2 = rx.attach((a) => calls.push(a * 10));
    rx(1);
    d1();
    d1();
    rx(2);
    d2();
    rx(3);
    assert.deepEqual(calls, [1, 10, 20]);
    assert.equal(rx.enabled, false);
    for (const bad of [null, undefined, 42, 'probe', {}]) {
      const detach = rx.attach(bad as unknown as () => void);
      assert.equal(typeof detach, 'function');
      assert.equal(rx.enabled, false, `attach(${String(bad)}) enables nothing`);
      detach();
    }
    rx(4);
  });

  test('the same probe attached twice runs twice, and detaches one at a time', () => {
    const rx = marker(uniqueName(), 'a %d');
    let calls = 0;
    const probe = (): void => { calls++; };
    const d1 = rx.attach(probe);
    const d2 = rx.attach(probe);
    rx(1);
    assert.equal(calls, 2);
    d1();
    rx(1);
    assert.equal(calls, 3);
    d2();
    rx(1);
    assert.equal(calls, 3);
  });

  test('a marker declared twice records once per fire', () => {
    const name = uniqueName();
    const a = marker(name, 'v %d');
    const b = marker(name, 'v %d');
    const session = recording(name);
    a(1);
    b(2);
    assert.deepEqual(fieldsOf(session), [{ v: 1 }, { v: 2 }]);
  });
});
