/**
 * The smaller defects of issue 12, section 0, each pinned: generated names that collide with a
 * user's field, a hostile name or format object, a detached blob, one 'exit' listener for many
 * sessions, rules that collapse instead of piling up, a linear glob matcher, start() after a
 * failed start(), two processes claiming one trace directory at once.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { marker, Session, tracing, TracemarkError } from '../../src/index.js';
import { compilePattern } from '../../src/session/rules.js';
import { bt2dump, ctfcheck, plain, trace } from '../ctf/helpers.js';

const formatError = (offset: number) => (error: unknown): boolean =>
  error instanceof TracemarkError && error.code === 'ERR_FORMAT' && error.offset === offset;

test('a field named like the length of a blob is refused at declaration, with its position', () => {
  assert.throws(() => marker('gen:a', 'x %pW _x_length %u'), formatError(6));
  assert.throws(() => marker('gen:b', '_x_length %u x %pW'), formatError(13));
  assert.throws(() => marker('gen:c', 'y %d x %pW _x_length %lu'), formatError(11));
  // Not a collision: another blob's length, a similar but different name.
  const ok = marker('gen:d', 'x %pW _y_length %u __x_length %u');
  assert.equal(ok.fields.length, 3);
});

test('a blob next to a field named like another blob\'s length: babeltrace2 reads the trace', async () => {
  const dir = trace('gen');
  const m = marker('gen:e', 'x %pW _y_length %u');
  const session = new Session({ output: dir });
  session.enable('gen:e');
  session.start();
  m(new Uint8Array([1, 2, 3]), 7);
  await session.close();
  const dump = bt2dump(dir);
  assert.equal(dump.warnings, '');
  assert.deepEqual(plain(dump.events[0].fields._y_length), 7n);
});

test('a name or format object whose toString throws gets ERR_FORMAT, not its own error', () => {
  const hostile = { toString() { throw new Error('user code ran'); }, [Symbol.toPrimitive]() { throw new Error('user code ran'); } };
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  for (const bad of [hostile, revoked.proxy, Symbol('s'), 12n, null]) {
    assert.throws(() => marker(bad as unknown as string, 'a %d'), (e: unknown) => e instanceof TracemarkError && e.code === 'ERR_FORMAT');
    assert.throws(() => marker('hostile:fmt', bad as unknown as string), (e: unknown) => e instanceof TracemarkError && e.code === 'ERR_FORMAT');
  }
  assert.throws(() => new Session().enable(hostile as unknown as string), (e: unknown) => e instanceof TracemarkError && e.code === 'ERR_INVALID_ARG');
});

test('a detached Uint8Array for %pW is written as an empty blob: written + discarded == fired', () => {
  const m = marker('blob:detached', 'n %u b %pW');
  const session = new Session();
  session.enable('blob:detached');
  session.start();
  const before = tracing.stats().internalErrors;
  const bytes = new Uint8Array(16);
  structuredClone(bytes.buffer, { transfer: [bytes.buffer] });
  assert.equal(bytes.length, 0);
  for (let i = 0; i < 10; i++) m(i, bytes);
  m(10, new Uint8Array([9]));
  const stats = session.stats().channels.default;
  assert.equal(tracing.stats().internalErrors, before);
  assert.equal(stats.written + stats.discarded, 11);
  const events = session.events();
  assert.equal(events.length, 11);
  assert.deepEqual(events[0].fields.b, new Uint8Array(0));
  assert.deepEqual(events[10].fields.b, new Uint8Array([9]));
  void session.close();
});

test('eleven sessions writing traces print no MaxListenersExceededWarning (one exit listener for all)', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error): void => { warnings.push(w.name); };
  process.on('warning', onWarning);
  const exitListeners = process.listenerCount('exit');
  const sessions = Array.from({ length: 11 }, (_, i) => new Session({ output: trace(`many-${i}`), channels: { default: { subbufSize: 4096, subbufCount: 2 } } }));
  for (const s of sessions) s.start();
  assert.ok(process.listenerCount('exit') <= exitListeners + 1, `${process.listenerCount('exit') - exitListeners} exit listeners added`);
  await Promise.all(sessions.map((s) => s.close()));
  await new Promise((resolve) => setImmediate(resolve));
  process.removeListener('warning', onWarning);
  assert.deepEqual(warnings.filter((n) => n === 'MaxListenersExceededWarning'), []);
  assert.equal(process.listenerCount('exit'), exitListeners, 'the listener goes with the last writer');
});

test('20,000 enable/disable toggles keep the rule list at a constant size, and the decision right', () => {
  const m = marker('toggle:one', 'v %d');
  const other = marker('toggle:two', 'v %d');
  const session = new Session({ channels: { extra: {} } });
  session.enable('toggle:two', { channel: 'extra' });
  session.start();
  for (let i = 0; i < 10_000; i++) {
    session.enable('toggle:one');
    session.disable('toggle:one');
  }
  const rules = (session as unknown as { rules: unknown[] }).rules;
  assert.ok(rules.length <= 3, `${rules.length} rules`);
  assert.equal(m.enabled, false);
  assert.equal(other.enabled, true, 'a rule of another pattern survives');
  session.enable('toggle:*');
  session.disable('toggle:one', { channel: 'default' });
  m(1);
  other(2);
  const names = session.events().map((e) => `${e.name}@${e.stream}`).sort();
  assert.deepEqual(names, ['toggle:two@default', 'toggle:two@extra']);
  void session.close();
});

test('glob patterns match in linear time (a backtracking regex took 38 s on this one)', () => {
  const evil = compilePattern(`${'*a'.repeat(10)}*c`);
  const name = `${'a'.repeat(5000)}b`;
  assert.equal(evil.test(name), false);
  assert.equal(evil.test(`${'a'.repeat(10)}c`), true);
  assert.equal(compilePattern('*a'.repeat(2000)).test('a'.repeat(100_000)), true);
  // The semantics of '*': any run, including none; everything else literal.
  const cases: [string, string, boolean][] = [
    ['net:*', 'net:rx', true], ['net:*', 'net:', true], ['net:*', 'nett:rx', false], ['*', 'x:y', true],
    ['*:rx', 'net:rx', true], ['n*t:r*', 'net:rx', true], ['a*a', 'a', false], ['a*a', 'aa', true],
    ['*x*y*', 'axbyc', true], ['*x*y*', 'aybxc', false], ['a.b', 'aXb', false], ['a.b', 'a.b', true], ['a**b', 'ab', true],
    ['ab*ba', 'aba', false], ['*ab*ab*', 'xabab', true],
  ];
  for (const [pattern, input, expected] of cases) assert.equal(compilePattern(pattern).test(input), expected, `${pattern} ~ ${input}`);
});

test('start() after a failed start() throws again; start() after a write fault throws ERR_SESSION_STATE', async () => {
  const base = mkdtempSync(join(tmpdir(), 'tracemark-restart-'));
  try {
    const session = new Session({ output: join(base, 'a', 'b') });
    // A file where the directory should be created.
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(base, 'a'), 'x');
    assert.throws(() => session.start(), (e: unknown) => e instanceof TracemarkError && e.code === 'ERR_TRACE_IO');
    assert.throws(() => session.start(), (e: unknown) => e instanceof TracemarkError && e.code === 'ERR_TRACE_IO');
    assert.equal(session.recording, false);
    // The cause removed: start() now works.
    rmSync(join(base, 'a'));
    session.start();
    assert.equal(session.recording, true);
    await session.close();
    assert.equal(ctfcheck(join(base, 'a', 'b'), '--expect-events', '0').status, 0);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('two processes starting on one directory at the same moment: exactly one gets it', async () => {
  const script = (dir: string): string => `
    import { Session } from ${JSON.stringify(new URL('../../src/index.js', import.meta.url).href)};
    const s = new Session({ output: ${JSON.stringify(dir)} });
    try { s.start(); await s.close(); console.log('won'); } catch (e) { console.log(e.code); }`;
  for (let round = 0; round < 4; round++) {
    const base = mkdtempSync(join(tmpdir(), 'tracemark-race-'));
    const dir = join(base, 'trace');
    try {
      const outputs = await Promise.all([0, 1, 2].map(() => new Promise<string>((resolve) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script(dir)], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
        child.on('close', () => resolve(out.trim()));
      })));
      assert.equal(outputs.filter((o) => o === 'won').length, 1, outputs.join(', '));
      assert.ok(outputs.every((o) => o === 'won' || o === 'ERR_TRACE_IO'), outputs.join(', '));
      assert.deepEqual(readdirSync(dir).sort(), ['default_0', 'metadata']);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  }
});

test('ctl start after a failed start: refused again with its code, nothing recorded', async () => {
  const { ControlCommands } = await import('../../src/control/commands.js');
  const { parseRequest } = await import('../../src/control/protocol.js');
  const { writeFileSync } = await import('node:fs');
  const base = mkdtempSync(join(tmpdir(), 'tracemark-ctlstart-'));
  const commands = new ControlCommands();
  try {
    writeFileSync(join(base, 'file'), 'x');
    const run = (request: object): Promise<Record<string, unknown>> => commands.run(parseRequest(JSON.stringify({ v: 1, id: 1, ...request })));
    await run({ cmd: 'enable', pattern: 'ctl:*', output: join(base, 'file', 'trace') });
    for (let attempt = 0; attempt < 2; attempt++) {
      await assert.rejects(run({ cmd: 'start' }), (e: unknown) => e instanceof TracemarkError && e.code === 'ERR_TRACE_IO');
    }
    const listed = await run({ cmd: 'list' }) as { sessions: { recording: boolean }[] };
    assert.ok(listed.sessions.every((s) => !s.recording), JSON.stringify(listed.sessions));
  } finally {
    await commands.closeSession();
    rmSync(base, { recursive: true, force: true });
  }
});

test('a huge string for a number, a %c or a %pW is not parsed, read or encoded (a 100 MB rope stalled a fire for 0.1-0.7 s)', async () => {
  const dir = trace('huge');
  const m = marker('huge:args', 'n %u c %c x %lf') as unknown as (...args: unknown[]) => void;
  const blob = marker('huge:blob', 'b %pW') as unknown as (b: unknown) => void;
  const session = new Session({ output: dir, channels: { default: { subbufSize: 16 * 1024, subbufCount: 4 } } });
  session.enable('huge:*');
  session.start();
  const long = '7'.repeat(1025);
  const before = tracing.stats().coercedArguments;
  m('42', 'ab', '2.5'); // short strings: parsed, first code point
  m(long, `${long}!`, long); // longer than 1024: 0, U+FFFD, 0, without looking at them
  m(`${' '.repeat(1020)}123`, '\u00e9t\u00e9', ` ${'0'.repeat(1022)}1`); // up to 1024 still parsed
  blob('y'.repeat(16 * 1024)); // cannot fit in a 16 KiB sub-buffer: dropped, never encoded
  blob('short');
  const coerced = tracing.stats().coercedArguments - before;
  await session.close();
  const stats = session.stats().channels.default;
  assert.equal(stats.tooLarge, 1);
  assert.equal(stats.written, 4);
  assert.equal(coerced, 2 + 3 + 2 + 2); // a string of 2 or more for %c is not a coercion
  const dump = bt2dump(dir);
  assert.equal(dump.warnings.replace(/.*may have discarded.*\n?/g, ''), '');
  const rows = dump.events.slice(0, 3).map((e) => [e.fields.n, e.fields.c, e.fields.x].map((v) => plain(v!)));
  assert.deepEqual(rows, [[42n, 'a', 2.5], [0n, '\ufffd', 0], [123n, '\u00e9', 1]]);
  assert.deepEqual([...(plain(dump.events[3].fields.b!) as Uint8Array)], [...new TextEncoder().encode('short')]);
});
