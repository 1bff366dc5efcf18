/**
 * What importing tracemark loads (docs/api.md, "Start-up"). Every module the index loads costs
 * start-up time of its own (bench/startup.ts), so the marker path is pinned here, file by file;
 * the reader, the writer, the filter compiler, live control and their builtins load on first use.
 * No timing here: whole-process figures are in BENCHMARKS.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as nodeModule from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SRC = join(ROOT, 'dist', 'src');
/** Plain .mjs fixtures are not copied by tsc: used from the source tree. */
const LISTER = join(ROOT, 'test', 'startup', 'fixtures', 'loaded-modules.mjs');
/** Node 22.15+: loads made by require(esm) pass through the hooks, so lazy loads are seen too. */
const SEES_REQUIRE = typeof (nodeModule as { registerHooks?: unknown }).registerHooks === 'function';

/**
 * The marker path: what `import { marker } from 'tracemark'` may load (dist/src-relative): the
 * index, which the build bundles with the marker path's modules (scripts/bundle-marker-path.mjs).
 */
const MARKER_PATH = ['index.js'];

/**
 * The marker path's modules outside the bundle hand out the bundle's instance (marker-path/index.js
 * and one-line re-exports of it); the session's modules import them by their own paths, so the
 * first `new Session()` loads these shims too.
 */
const BUNDLED_SHIMS_OF_SESSION = ['chain/enable.js', 'errors/index.js', 'format/parse.js', 'lazy/index.js', 'marker/index.js', 'marker-path/index.js', 'process/state.js'];

/** What the first `new Session()` adds (src/lazy: the class loads on first `new`). */
const SESSION_PATH = ['ring/channel.js', 'ring/layout.js', 'session/filters.js', 'session/index.js', 'session/rules.js', ...BUNDLED_SHIMS_OF_SESSION];

/** Builtins that neither importing tracemark nor a disabled marker may load. */
const HEAVY_BUILTINS = ['net', 'worker_threads', 'crypto', 'internal/crypto/webcrypto', 'stream', 'os', 'perf_hooks', 'fs/promises'];

function lister(target: string, after: string | undefined, builtins: boolean): { files?: string[]; builtins?: string[] } {
  const args = [LISTER, pathToFileURL(join(SRC, target)).href];
  if (after !== undefined) args.push(after);
  if (builtins) args.push('--builtins');
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.TRACEMARK_RECORD;
  delete env.TRACEMARK_CONTROL;
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', env, timeout: 30_000 });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as { files?: string[]; builtins?: string[] };
}

/** Our files (dist/src-relative, sorted) loaded by importing `target` and running `after`. */
function filesLoaded(target: string, after?: string): string[] {
  const prefix = pathToFileURL(SRC).href + '/';
  return (lister(target, after, false).files ?? [])
    .filter((url) => url.startsWith(prefix))
    .map((url) => url.slice(prefix.length))
    .sort();
}

/** Builtin modules (`net`, `internal/...`) newly loaded by importing `target` and running `after`. */
function builtinsLoaded(target: string, after?: string): string[] {
  return (lister(target, after, true).builtins ?? [])
    .filter((entry) => entry.startsWith('NativeModule '))
    .map((entry) => entry.slice('NativeModule '.length));
}

const PIN_HINT = 'each module on the marker path costs start-up time: load it on first use (src/lazy), '
  + 'or, if the marker path really needs it, add it here and re-measure with node dist/bench/startup.js';

test('the lister sees what an import loads (the checks below are not vacuous)', () => {
  const reader = filesLoaded('read/index.js');
  assert.ok(reader.includes('read/metadata/tsdl-parser.js'), reader.join(' '));
  const control = builtinsLoaded('control/index.js');
  assert.ok(control.includes('net'), control.join(' '));
});

test('importing tracemark loads the marker path only', () => {
  assert.deepEqual(filesLoaded('index.js'), MARKER_PATH, PIN_HINT);
});

test('importing tracemark and firing a disabled marker loads no heavy builtin', () => {
  const loaded = builtinsLoaded('index.js', "ns.marker('app:start', 'n %u s %s')(1, 'x');");
  for (const name of HEAVY_BUILTINS) assert.ok(!loaded.includes(name), `${name} loaded: ${loaded.join(' ')}`);
});

test('declaring and firing disabled markers, and a session that is not started, load nothing more', () => {
  const after = "ns.marker('app:a', 'n %u')(1); const s = new ns.Session(); s.enable('app:*', { filter: 'n > 1' }); s.stats();";
  const builtins = builtinsLoaded('index.js', after);
  for (const name of HEAVY_BUILTINS) assert.ok(!builtins.includes(name), `${name} loaded: ${builtins.join(' ')}`);
  const files = filesLoaded('index.js', "ns.marker('app:a', 'n %u')(1); new ns.Session().stats();");
  assert.deepEqual(files, SEES_REQUIRE ? [...MARKER_PATH, ...SESSION_PATH].sort() : MARKER_PATH, PIN_HINT);
});

test('the lazy parts load on first use and work', () => {
  // A trace written and read back through the index alone, in a fresh process: the writer
  // (start), the filter compiler (enable with an expression), the reader (readTraceSync) and
  // the formatter are all loaded synchronously by their first call.
  const after = `
    const { mkdtempSync, rmSync } = await import('node:fs');
    const dir = mkdtempSync(process.env.TMPDIR ? process.env.TMPDIR + '/tm-lazy-' : '/tmp/tm-lazy-');
    try {
      const m = ns.marker('app:lazy', 'n %u s %s');
      const session = new ns.Session({ output: dir + '/t' });
      session.enable('app:*', { filter: 'n >= 2' }).start();
      m(1, 'dropped'); m(2, 'kept');
      await session.close();
      const lines = [...ns.readTraceSync(dir + '/t')].map((e) => ns.formatEvent(e));
      if (lines.length !== 1 || !/app:lazy: n=2 s="kept"/.test(lines[0])) throw new Error('read back: ' + JSON.stringify(lines));
      if (ns.formatTimestamp(0n) !== '1970-01-01T00:00:00.000000000Z') throw new Error('formatTimestamp: ' + ns.formatTimestamp(0n));
      if (ns.tracing.stats().coercedArguments !== 0) throw new Error('coerced: ' + ns.tracing.stats().coercedArguments);
    } finally { rmSync(dir, { recursive: true, force: true }); }`;
  const builtins = builtinsLoaded('index.js', after);
  assert.ok(builtins.includes('worker_threads'), 'the writer (drainer thread) loaded on start()');
  if (SEES_REQUIRE) {
    const files = filesLoaded('index.js', after);
    for (const file of ['ctf/trace-writer.js', 'filter/compile.js', 'read/metadata/tsdl-parser.js', 'chain/fire.js', 'ring/encode.js']) {
      assert.ok(files.includes(file), `${file} loaded on first use: ${files.join(' ')}`);
    }
    assert.ok(!files.some((f) => f.startsWith('control/') || f.startsWith('cli/')), files.join(' '));
  }
});

test('listen() loads live control on first use', () => {
  const after = "const fs = await import('node:fs'); const dir = fs.mkdtempSync('/tmp/tm-ctl-'); try { const handle = await ns.listen({ dir }); await handle.close(); } finally { fs.rmSync(dir, { recursive: true, force: true }); }";
  assert.ok(builtinsLoaded('index.js', after).includes('net'));
});

test('the preload with nothing to record loads nothing but itself', () => {
  assert.deepEqual(filesLoaded('cli/preload.js'), ['cli/preload.js', 'cli/record-env.js']);
  const builtins = builtinsLoaded('cli/preload.js');
  for (const name of HEAVY_BUILTINS) assert.ok(!builtins.includes(name), `${name} loaded: ${builtins.join(' ')}`);
});
