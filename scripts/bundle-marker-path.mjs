/**
 * Build step after `tsc`: makes the marker path one file (src/marker-path/index.ts says why).
 *
 *   node scripts/bundle-marker-path.mjs [distDir]     (default: dist)
 *
 * 1. Bundles dist/src/marker-path/index.js with the modules it re-exports (`export * from`),
 *    in place, with esbuild (a devDependency: nothing of it is needed at run time). Every
 *    other import stays an import, its path made relative to the bundle's folder.
 * 2. Replaces each bundled module with a re-export of the bundle, naming exactly the exports
 *    that module had, so that whatever imports it by path gets the bundle's instance.
 * Fails (exit 1) when a module's export is missing from the bundle (two modules exporting one
 * name: tsc reports that too), or when run on files it has already rewritten.
 */
import { build } from 'esbuild';
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const SHIM_MARK = '// Bundled into ../marker-path/index.js (scripts/bundle-marker-path.mjs).';
const distSrc = resolve(process.argv[2] ?? 'dist', 'src');
const bundleDir = join(distSrc, 'marker-path');
const entry = join(bundleDir, 'index.js');

function fail(message) {
  console.error(`bundle-marker-path: ${message}`);
  process.exit(1);
}

const barrel = readFileSync(entry, 'utf8');
if (!barrel.includes("export * from '")) fail(`${entry} is not tsc's re-export module (already bundled? run tsc first)`);
const modules = [...barrel.matchAll(/^export \* from '([^']+)';$/gm)].map((m) => resolve(bundleDir, m[1]));
if (modules.length === 0) fail(`no \`export * from\` in ${entry}`);
for (const file of modules) {
  if (dirname(dirname(file)) !== distSrc) fail(`${file}: the bundled modules must sit one folder below src/, as the bundle does`);
  if (readFileSync(file, 'utf8').startsWith(SHIM_MARK)) fail(`${file} is a re-export already: run tsc first`);
}
const inlined = new Set([entry, ...modules]);

/** Each module's own export names (esbuild's metafile, without running the module). */
async function exportsOf(file) {
  const result = await build({ entryPoints: [file], bundle: false, write: false, format: 'esm', metafile: true, logLevel: 'silent' });
  return Object.values(result.metafile.outputs)[0].exports;
}

const keepExternal = {
  name: 'marker-path-only',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      if (args.path.startsWith('node:')) return { path: args.path, external: true };
      if (!args.path.startsWith('.')) fail(`${args.importer} imports ${args.path}: the marker path has no dependencies`);
      const target = resolve(args.resolveDir, args.path);
      if (inlined.has(target)) return undefined;
      const fromBundle = relative(bundleDir, target).split(sep).join('/');
      return { path: fromBundle.startsWith('.') ? fromBundle : `./${fromBundle}`, external: true };
    });
  },
};

const own = new Map();
for (const file of modules) own.set(file, await exportsOf(file));

const temporary = `${entry}.bundling`;
const result = await build({
  entryPoints: [entry],
  outfile: temporary,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'es2022',
  metafile: true,
  logLevel: 'warning',
  legalComments: 'none',
  banner: { js: '// The marker path in one file: built by scripts/bundle-marker-path.mjs from the modules src/marker-path/index.ts re-exports.' },
  plugins: [keepExternal],
});
const bundled = new Set(Object.values(result.metafile.outputs)[0].exports);
for (const [file, names] of own) {
  const missing = names.filter((name) => !bundled.has(name));
  if (missing.length > 0) fail(`${relative(distSrc, file)} exports ${missing.join(', ')}, which the bundle does not (a name exported by two modules?)`);
}
renameSync(temporary, entry);
for (const [file, names] of own) {
  const from = relative(dirname(file), entry).split(sep).join('/');
  const body = names.length === 0 ? `import '${from}';` : `export { ${names.join(', ')} } from '${from}';`;
  writeFileSync(file, `${SHIM_MARK}\n${body}\n`);
}
console.log(`bundle-marker-path: ${modules.length} modules into ${relative(process.cwd(), entry)} (${readFileSync(entry).length} bytes)`);
