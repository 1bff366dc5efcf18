/**
 * The marker path as one module: what `import { marker } from 'tracemark'` needs, re-exported
 * from here so that the build (scripts/bundle-marker-path.mjs) can bundle the modules below
 * with the index into one file, dist/src/index.js. Node's ES module loader costs ~0.3–1 ms per
 * file (resolution, load, compile), most of the import's cost (BENCHMARKS.md, "Start-up").
 *
 * After the bundle, this file hands out the bundle's instance of the modules below (the bundle
 * registers it under its URL before the index's own code runs), and each of them is a one-line
 * re-export of this file, so that the lazily loaded parts (sessions, the writer, threads) that
 * import them by path share one instance: one registry, one `TracemarkError` class. Unbundled
 * (`tsc` alone), this file is a plain re-export and everything works the same, only slower to
 * load. What they load on first use is named relative to src/ (src/lazy), which holds from the
 * bundle too.
 */
export * from '../chain/enable.js';
export * from '../errors/index.js';
export * from '../format/parse.js';
export * from '../lazy/index.js';
export * from '../marker/index.js';
export * from '../process/state.js';
export * from '../registry/index.js';
