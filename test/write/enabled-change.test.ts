/** The enable chain's on/off listener (used by the node:* sources to subscribe only while needed). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { onEnabledChange } from '../../src/chain/enable.js';
import { compileFilter } from '../../src/filter/index.js';
import { Session, marker } from '../../src/index.js';

test('onEnabledChange: told once when a marker turns on and once when it turns off, not when only targets change', async () => {
  const seen: string[] = [];
  const off = onEnabledChange((registration, enabled) => {
    if (registration.name.startsWith('enchg:')) seen.push(`${registration.name} ${enabled ? 'on' : 'off'}`);
  });
  const a = marker('enchg:a', 'x %u');
  marker('enchg:b', 'x %u');
  const one = new Session();
  one.enable('enchg:a');
  one.start();
  const two = new Session();
  two.enable('enchg:*');
  two.start(); // a: a second target only; b: on
  const detach = a.attach(() => {});
  await one.close();
  await two.close(); // a stays on through its probe
  assert.deepEqual(seen, ['enchg:a on', 'enchg:b on', 'enchg:b off']);
  detach();
  assert.deepEqual(seen.slice(3), ['enchg:a off']);
  const late = new Session();
  late.enable('enchg:late');
  late.start();
  marker('enchg:late', ''); // declared while a session matches it
  await late.close();
  assert.deepEqual(seen.slice(4), ['enchg:late on', 'enchg:late off']);
  off();
  const again = new Session();
  again.enable('enchg:*');
  again.start();
  await again.close();
  assert.equal(seen.length, 6, 'a removed listener hears nothing');
});

test('a throwing listener breaks neither the chain nor the other listeners', async () => {
  const heard: boolean[] = [];
  const offBad = onEnabledChange(() => { throw new Error('listener bug'); });
  const offGood = onEnabledChange((registration, enabled) => { if (registration.name === 'enchg:robust') heard.push(enabled); });
  const m = marker('enchg:robust', 'x %u');
  const session = new Session();
  session.enable('enchg:robust');
  session.start();
  m(1);
  assert.equal(session.events().length, 1);
  await session.close();
  offBad();
  offGood();
  assert.deepEqual(heard, [true, false]);
});

test('$ctx.request is read per event; without a request source it compares false', () => {
  let current = 0;
  const fields = [{ name: 'n', type: 'u32' }];
  const context = { vpid: 1, vtid: 1, procname: 'p', request: () => current };
  const p = compileFilter('$ctx.request == 42 && n > 1', fields, context)!;
  assert.equal(p([5]), false);
  current = 42;
  assert.equal(p([5]), true);
  assert.equal(p([1]), false);
  const flipped = compileFilter('40 < $ctx.request', fields, context)!;
  assert.equal(flipped([0]), true);
  current = 0;
  assert.equal(flipped([0]), false);
  assert.equal(compileFilter('$ctx.request == n', fields, context)!([0]), true);
  assert.equal(compileFilter('$ctx.request == "x"', fields, context), null, 'a number never equals a string');
  assert.equal(compileFilter('$ctx.request == 0', fields, { vpid: 1, vtid: 1, procname: 'p' }), null, 'no request getter');
});
