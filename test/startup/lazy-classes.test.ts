/**
 * Session and Channel are exported as classes whose code loads at the first `new` (src/lazy):
 * to the user they must behave as the classes themselves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Channel, CHANNEL_DEFAULTS, Session, TracemarkError } from '../../src/index.js';
import { Session as SessionClass } from '../../src/session/index.js';
import { Channel as ChannelClass } from '../../src/ring/channel.js';

test('new Session(): an instance of the exported class and of the loaded one, with its methods', () => {
  const session = new Session({ name: 'lazy-facade' });
  try {
    assert.ok(session instanceof Session);
    assert.ok(session instanceof SessionClass);
    assert.equal(session.name, 'lazy-facade');
    assert.equal(session.recording, false);
    assert.ok(session.channel('default') instanceof Channel);
    assert.deepEqual(Object.keys(session.stats().channels), ['default']);
    assert.equal(session.constructor, Session);
  } finally {
    void session.close();
  }
});

test('a Session made inside tracemark (the loaded class) is an instance of the exported one', () => {
  const session = new SessionClass();
  try {
    assert.ok(session instanceof Session);
    assert.ok(!({} instanceof Session));
    for (const value of [null, 1, 'x', undefined] as unknown[]) assert.ok(!((value as object) instanceof Session));
  } finally {
    void session.close();
  }
});

test('Session without new throws as a class does; bad options throw the loaded class\'s errors', () => {
  assert.throws(() => (Session as unknown as (o?: object) => unknown)(), TypeError);
  assert.throws(() => new Session({ channels: { tiny: { subbufSize: 1 } } }), (e: unknown) => e instanceof TracemarkError);
});

test('class X extends Session: subclass methods, inherited methods and private state work', () => {
  class Named extends Session {
    label(): string {
      return `[${this.name}]`;
    }
  }
  const session = new Named({ name: 'sub' });
  try {
    assert.equal(session.label(), '[sub]');
    assert.ok(session instanceof Named && session instanceof Session);
    session.enable('app:*');
    assert.equal(session.stats().recording, false);
  } finally {
    void session.close();
  }
});

test('new Channel() and CHANNEL_DEFAULTS: the ring class and its documented defaults', () => {
  const channel = new Channel('c', { subbufSize: 4096, subbufCount: 2 });
  assert.ok(channel instanceof ChannelClass && channel instanceof Channel);
  assert.equal(channel.subbufSize, 4096);
  assert.equal(channel.mode, CHANNEL_DEFAULTS.mode);
  const byDefault = new ChannelClass('d');
  assert.equal(byDefault.subbufSize, CHANNEL_DEFAULTS.subbufSize);
  assert.equal(byDefault.subbufCount, CHANNEL_DEFAULTS.subbufCount);
  assert.ok(Object.isFrozen(CHANNEL_DEFAULTS));
});
