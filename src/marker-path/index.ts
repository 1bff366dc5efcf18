/**
 * The marker path as one module: what `import { marker } from 'tracemark'` needs, re-exported
 * from here so that the build (scripts/bundle-marker-path.mjs) can replace this file with one
 * bundle of the modules below. Node's ES module loader costs ~0.5–1 ms per file (resolution,
 * load, compile), most of the import's cost; in one file the marker path loads in a fraction
 * of that (BENCHMARKS.md, "Start-up").
 *
 * After the bundle, each module below is a one-line re-export of this file, so that the lazily
 * loaded parts (sessions, the writer, threads) that import them by path share this file's one
 * instance: one registry, one `TracemarkError` class. Unbundled (`tsc` alone), this file is a
 * plain re-export and everything works the same, only slower to load.
 *
 * Every module here sits one folder below src/, as this file does: the relative paths of what
 * they load on first use (src/lazy) hold from the bundle too.
 */
export * from '../chain/enable.js';
export * from '../errors/index.js';
export * from '../format/parse.js';
export * from '../lazy/index.js';
export * from '../marker/index.js';
export * from '../process/state.js';
export * from '../registry/index.js';
