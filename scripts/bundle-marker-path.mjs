/**
 * Build step after `tsc`: makes what `import { marker } from 'tracemark'` loads one file, the
 * index (src/marker-path/index.ts says why).
 *
 *   node scripts/bundle-marker-path.mjs [distDir]     (default: dist)
 *
 * 1. Bundles dist/src/index.js with the marker path (the modules dist/src/marker-path/index.js
 *    re-exports with `export * from`) into dist/src/index.js, in place, with esbuild (a
 *    devDependency: nothing of it is needed at run time). Every other import stays an import,
 *    its path made relative to src/. Before the index's own code runs, the bundle registers a
 *    function that returns the marker path's exports under its own URL in a map of globalThis
 *    (INTERNALS_KEY), per copy.
 * 2. Replaces dist/src/marker-path/index.js with a module that exports exactly the names it had,
 *    taken from that map (loading the index first when it was not loaded yet), and each bundled
 *    module with a re-export of it: whatever imports one of them by path (the session, the
 *    writer, the threads) gets the bundle's instance: one registry, one `TracemarkError` class.
 * Fails (exit 1) when a name is missing, when a line it must rewrite is not there, or when run
 * on files it has already rewritten.
 */
import { build } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const SHIM_MARK = '// Bundled into the index (scripts/bundle-marker-path.mjs).';
/** Shared with nothing else: the map's entries are keyed by the URL of the copy's index. */
const INTERNALS_KEY = 'tracemark.internals.v1';
const distSrc = resolve(process.argv[2] ?? 'dist', 'src');
const index = join(distSrc, 'index.js');
const barrel = join(distSrc, 'marker-path', 'index.js');
const lazy = join(distSrc, 'lazy', 'index.js');
/** src/lazy's base for what it loads on first use: `../` from its folder, `./` from the index's. */
const SRC_FROM_LAZY = "const SRC_FROM_HERE = '../';";

function fail(message) {
  console.error(`bundle-marker-path: ${message}`);
  process.exit(1);
}

const barrelText = readFileSync(barrel, 'utf8');
if (!barrelText.includes("export * from '")) fail(`${barrel} is not tsc's re-export module (already bundled? run tsc first)`);
if (readFileSync(index, 'utf8').includes(INTERNALS_KEY)) fail(`${index} is a bundle already: run tsc first`);
const modules = [...barrelText.matchAll(/^export \* from '([^']+)';$/gm)].map((m) => resolve(dirname(barrel), m[1]));
if (modules.length === 0) fail(`no \`export * from\` in ${barrel}`);
for (const file of modules) {
  if (readFileSync(file, 'utf8').startsWith(SHIM_MARK)) fail(`${file} is a re-export already: run tsc first`);
}
if (!modules.includes(lazy)) fail(`${lazy} is not re-exported by ${barrel}`);
const inlined = new Set([index, barrel, ...modules]);

/** A module's own export names (esbuild's metafile, without running the module). */
async function exportsOf(file) {
  const result = await build({ entryPoints: [file], bundle: false, write: false, format: 'esm', metafile: true, logLevel: 'silent' });
  return Object.values(result.metafile.outputs)[0].exports;
}

const ENTRY = 'tracemark:entry';
const REGISTER = 'tracemark:register-internals';
const markerPathOnly = {
  name: 'marker-path-only',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^tracemark:/ }, (args) => ({ path: args.path, namespace: 'tracemark' }));
    pluginBuild.onLoad({ filter: /.*/, namespace: 'tracemark' }, (args) => {
      // The registration is imported first, so that it runs before the index's own code (which,
      // in a worker thread, loads modules that import the marker path by path).
      if (args.path === ENTRY) return { contents: `import '${REGISTER}';\nexport * from './index.js';\n`, resolveDir: distSrc };
      // A function that builds the exports' object when a module asks for it: a namespace
      // object (`import * as`) built at every import costs ~0.3 ms (one getter per export).
      return {
        contents: `import { ${barrelNames.join(', ')} } from './marker-path/index.js';
const key = Symbol.for('${INTERNALS_KEY}');
if (!Object.hasOwn(globalThis, key)) Object.defineProperty(globalThis, key, { value: new Map(), enumerable: false, writable: false, configurable: true });
globalThis[key].set(import.meta.url, () => ({ ${barrelNames.join(', ')} }));
`,
        resolveDir: distSrc,
      };
    });
    pluginBuild.onLoad({ filter: /[\\/]lazy[\\/]index\.js$/ }, (args) => {
      if (args.path !== lazy) return undefined;
      const text = readFileSync(lazy, 'utf8');
      if (text.split(SRC_FROM_LAZY).length !== 2) fail(`${lazy} must hold the line ${SRC_FROM_LAZY} once`);
      return { contents: text.replace(SRC_FROM_LAZY, "const SRC_FROM_HERE = './';"), loader: 'js', resolveDir: dirname(lazy) };
    });
    pluginBuild.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      if (args.path.startsWith('node:')) return { path: args.path, external: true };
      if (!args.path.startsWith('.')) fail(`${args.importer} imports ${args.path}: the marker path has no dependencies`);
      const target = resolve(args.resolveDir, args.path);
      if (inlined.has(target)) return undefined;
      const fromIndex = relative(distSrc, target).split(sep).join('/');
      return { path: fromIndex.startsWith('.') ? fromIndex : `./${fromIndex}`, external: true };
    });
  },
};

const own = new Map();
for (const file of modules) own.set(file, await exportsOf(file));
const barrelNames = [...new Set([...own.values()].flat())].sort();
const publicNames = await exportsOf(index);

const result = await build({
  entryPoints: [ENTRY],
  bundle: true,
  write: false,
  outfile: index,
  format: 'esm',
  platform: 'node',
  target: 'es2022',
  metafile: true,
  logLevel: 'warning',
  legalComments: 'none',
  banner: { js: '// The index and the marker path in one file: built by scripts/bundle-marker-path.mjs from src/index.ts and the modules src/marker-path/index.ts re-exports.' },
  plugins: [markerPathOnly],
});
const exported = new Set(Object.values(result.metafile.outputs)[0].exports);
const missing = publicNames.filter((name) => !exported.has(name));
if (missing.length > 0) fail(`the bundle does not export ${missing.join(', ')}, which src/index.ts does`);
const text = result.outputFiles[0].text;
if (!/\b(?:var|let|const) SRC_FROM_HERE = ["']\.\/["'];/.test(text)) fail('the bundle lost the rewritten SRC_FROM_HERE line');
writeFileSync(index, text);

writeFileSync(barrel, `${SHIM_MARK}
// The marker path's exports, as the index's bundle registered them (loaded here when a module
// that imports the marker path by its own path comes first).
const key = Symbol.for('${INTERNALS_KEY}');
const indexUrl = new URL('../index.js', import.meta.url).href;
let internals = globalThis[key]?.get(indexUrl)?.();
if (internals === undefined) {
  process.getBuiltinModule('node:module').createRequire(import.meta.url)('../index.js');
  internals = globalThis[key]?.get(indexUrl)?.();
  if (internals === undefined) throw new Error(\`tracemark: \${indexUrl} did not register the marker path (scripts/bundle-marker-path.mjs)\`);
}
export const { ${barrelNames.join(', ')} } = internals;
`);
for (const [file, names] of own) {
  const from = relative(dirname(file), barrel).split(sep).join('/');
  const body = names.length === 0 ? `import '${from}';` : `export { ${names.join(', ')} } from '${from}';`;
  writeFileSync(file, `${SHIM_MARK}\n${body}\n`);
}
const sizeBytes = Buffer.byteLength(text);
console.log(`bundle-marker-path: the index and ${modules.length} modules into ${relative(process.cwd(), index)} (${sizeBytes} bytes)`);
