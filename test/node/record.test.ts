/**
 * `tracemark record` and Node's own markers: --no-node (everything but node:*), --sample-interval
 * and --request-context; and two copies of tracemark in one process, both recording node:*
 * (one subscription per channel, each event once in each trace).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CLI, ROOT } from '../cli/helpers.js';
import { trace } from '../ctf/helpers.js';
import { named, readWithBabeltrace } from './helpers.js';

const FIXTURES = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures');
const APP = join(FIXTURES, 'record-app.js');

function record(args: string[], dir: string): { status: number | null; stderr: string } {
  const run = spawnSync(process.execPath, [CLI, 'record', '-q', '-o', dir, ...args, '--', 'node', APP, '3', '600'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, stderr: run.stderr };
}

describe('record and node:*', () => {
  test('--no-node: the app\'s markers, no node:* event (the default pattern * otherwise takes them)', () => {
    const dir = trace('record-no-node');
    const run = record(['--no-node'], dir);
    assert.equal(run.status, 0, run.stderr);
    const events = readWithBabeltrace(dir);
    assert.equal(named(events, 'app:work').length, 3);
    assert.deepEqual(events.filter((e) => e.name.startsWith('node:')).map((e) => e.name), []);

    const withNode = trace('record-default');
    assert.equal(record([], withNode).status, 0);
    assert.ok(readWithBabeltrace(withNode).some((e) => e.name === 'node:http.server:begin'), 'without --no-node, node:* is recorded');
  });

  test('--sample-interval and --request-context: event-loop samples at that interval; app markers carry the request', () => {
    const dir = trace('record-node-options');
    const run = record(['--sample-interval', '50', '--request-context'], dir);
    assert.equal(run.status, 0, run.stderr);
    const events = readWithBabeltrace(dir);
    const samples = named(events, 'node:eventloop:delay');
    // The default interval (1 s) would give none over the app's ~0.6 s; a loaded host stretches timers.
    assert.ok(samples.length >= 3, `samples every 50 ms over ~600 ms: ${samples.length}`);
    assert.ok(samples.every((e) => (e.fields.interval_ms as bigint) >= 45n), samples.map((e) => e.fields.interval_ms).join(' '));
    const begins = named(events, 'node:http.server:begin');
    assert.equal(begins.length, 3);
    const works = named(events, 'app:work');
    assert.deepEqual(works.map((e) => [e.fields.path, e.fields.request]), begins.map((b) => [b.fields.url, b.fields.span_id]),
      'currentRequest() after an await is the request\'s span_id');

    const plain = trace('record-no-context');
    assert.equal(record([], plain).status, 0);
    assert.ok(named(readWithBabeltrace(plain), 'app:work').every((e) => e.fields.request === 0n), 'off by default');
  });

  test('--sample-interval out of range is a usage error', () => {
    const run = spawnSync(process.execPath, [CLI, 'record', '--sample-interval', '5', '--', 'node', APP], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /--sample-interval must be an integer from 10 to 3600000/);
  });
});

describe('two copies of tracemark in one process', () => {
  const work = mkdtempSync(join(tmpdir(), 'tracemark-copies-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  test('both record node:*: one subscription per channel, every request once in each trace', () => {
    // A second copy of the built package: its own module instances, as two installs would be.
    const copy = join(work, 'copy');
    cpSync(join(ROOT, 'dist', 'src'), join(copy, 'src'), { recursive: true });
    const dirA = join(work, 'a');
    const dirB = join(work, 'b');
    const script = join(work, 'two-copies.mjs');
    writeFileSync(script, `
import dc from 'node:diagnostics_channel';
import http from 'node:http';
// Counts live subscriptions per channel, whoever makes them.
const live = new Map();
const subscribe = dc.subscribe, unsubscribe = dc.unsubscribe;
dc.subscribe = (name, fn) => { live.set(name, (live.get(name) ?? 0) + 1); return subscribe(name, fn); };
dc.unsubscribe = (name, fn) => { live.set(name, (live.get(name) ?? 0) - 1); return unsubscribe(name, fn); };
const a = await import(${JSON.stringify(join(ROOT, 'dist', 'src', 'index.js'))});
const b = await import(${JSON.stringify(join(copy, 'src', 'index.js'))});
if (a.Session === b.Session) throw new Error('not two copies');
const sa = new a.Session({ output: ${JSON.stringify(dirA)} }).enable('node:http.*');
const sb = new b.Session({ output: ${JSON.stringify(dirB)} }).enable('node:http.*');
sa.start(); sb.start();
const most = Math.max(...live.values());
const server = http.createServer((req, res) => res.end('ok'));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
for (let i = 0; i < 3; i++) {
  await new Promise((resolve, reject) => http.get({ host: '127.0.0.1', port: server.address().port, path: '/r' + i, agent: false }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject));
}
await new Promise((resolve) => server.close(resolve));
await sa.close(); await sb.close();
process.stdout.write(JSON.stringify({ most, left: [...live.entries()].filter(([, n]) => n !== 0) }));
`);
    const run = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    const result = JSON.parse(run.stdout) as { most: number; left: [string, number][] };
    assert.equal(result.most, 1, 'no channel subscribed twice');
    assert.deepEqual(result.left, [], 'every subscription undone at close');
    for (const dir of [dirA, dirB]) {
      const events = readWithBabeltrace(dir);
      assert.deepEqual(named(events, 'node:http.server:begin').map((e) => e.fields.url), ['/r0', '/r1', '/r2'], `${dir}: each request once`);
      assert.equal(named(events, 'node:http.server:end').length, 3);
      assert.equal(named(events, 'node:http.client:begin').length, 3);
    }
  });
});
