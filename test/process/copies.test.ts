/**
 * One registry for every copy of tracemark in a process (src/process/state.ts): an app whose
 * dependency tree holds two installed copies (its own and a library's nested one, loaded with
 * require()), recorded by one session of the app's copy; and a copy that meets a state version
 * it cannot speak: one warning with a code, markers that stay off and never throw.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { bt2dump, plain, repoRoot, tempTraceDir } from '../ctf/helpers.js';

/** Installs the built package as `node_modules/tracemark` under `dir`, with its own version. */
function installCopy(dir: string, version: string): void {
  const root = join(dir, 'node_modules', 'tracemark');
  mkdirSync(root, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(root, 'package.json'), JSON.stringify({ ...manifest, version }));
  cpSync(join(repoRoot, 'dist', 'src'), join(root, 'dist', 'src'), { recursive: true });
}

function fixtureApp(): { app: string; dir: string; cleanup: () => void } {
  const { dir, cleanup } = tempTraceDir('copies');
  const app = join(dir, '..', 'app');
  installCopy(app, '0.1.0');
  const lib = join(app, 'node_modules', 'fakelib');
  installCopy(lib, '0.1.1-nested');
  writeFileSync(join(lib, 'package.json'), JSON.stringify({ name: 'fakelib', version: '1.0.0', main: 'index.cjs' }));
  writeFileSync(join(lib, 'index.cjs'), `
const tracemark = require('tracemark');
const path = require.resolve('tracemark');
const work = tracemark.marker('fakelib:work', 'n %d');
module.exports = { path, work: (n) => work(n) };
`);
  writeFileSync(join(app, 'main.mjs'), `
import { marker, Session, registry } from 'tracemark';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
const require = createRequire(import.meta.url);
const lib = require('fakelib');
const own = fileURLToPath(import.meta.resolve('tracemark'));
if (own === lib.path) throw new Error('the fixture must hold two copies: ' + own);
const tick = marker('app:tick', 'i %d');
const session = new Session({ output: process.argv[2] });
session.enable('*').disable('node:*').start();
// Declared after start, by the nested copy: a late marker of another copy.
const late = require('tracemark').marker('fakelib:late', 's %s');
for (let i = 0; i < 100; i++) { tick(i); lib.work(i * 2); }
late('done');
await session.close();
console.log(JSON.stringify(registry.list().map((r) => r.name)));
`);
  return { app, dir, cleanup };
}

test('two installed copies (ESM app, CJS nested library): one session records the markers of both', (t) => {
  const { app, dir, cleanup } = fixtureApp();
  t.after(cleanup);
  const run = spawnSync(process.execPath, ['--no-warnings', join(app, 'main.mjs'), dir], { encoding: 'utf8', cwd: app });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), ['fakelib:work', 'app:tick', 'fakelib:late']);
  const dump = bt2dump(dir);
  assert.equal(dump.warnings, '');
  const names = dump.events.map((e) => e.name);
  assert.equal(names.filter((n) => n === 'app:tick').length, 100);
  assert.equal(names.filter((n) => n === 'fakelib:work').length, 100);
  assert.deepEqual(dump.events.at(-1), { ...dump.events.at(-1)!, name: 'fakelib:late' });
  assert.equal(plain(dump.events.at(-1)!.fields.s), 'done');
  const works = dump.events.filter((e) => e.name === 'fakelib:work').map((e) => plain(e.fields.n));
  assert.deepEqual(works, Array.from({ length: 100 }, (_, i) => BigInt(i * 2)));
});

test('a copy that cannot speak the shared state version warns once with a code; its markers stay off', (t) => {
  const { app, cleanup } = fixtureApp();
  t.after(cleanup);
  writeFileSync(join(app, 'other.mjs'), `
Object.defineProperty(globalThis, Symbol.for('tracemark.process-state'), { value: { version: 99, createdBy: '9.0.0' } });
const warnings = [];
process.on('warning', (w) => warnings.push(w.code));
const { marker, Session } = await import('tracemark');
const m = marker('other:x', 'n %d');
const again = marker('other:y', 's %s');
const session = new Session();
session.enable('*').disable('node:*').start();
m(1); again('x'); m('not a number');
const stats = session.stats().channels.default;
await session.close();
await new Promise((r) => setImmediate(r));
console.log(JSON.stringify({ warnings, written: stats.written, enabled: m.enabled }));
`);
  const run = spawnSync(process.execPath, [join(app, 'other.mjs')], { encoding: 'utf8', cwd: app });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), { warnings: ['TRACEMARK_STATE_VERSION'], written: 0, enabled: false });
  assert.match(run.stderr, /tracemark 9\.0\.0/);
});
