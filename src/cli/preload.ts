/**
 * Loaded with `node --import <this file> app.js` by `tracemark record` (or by hand), before the
 * application. Reads its configuration from the environment:
 *  - TRACEMARK_RECORD (JSON, see record-config.ts): record into a trace directory until exit;
 *  - TRACEMARK_CONTROL=1: listen on the control socket (docs/control.md).
 * Markers live in module state, so the session must come from the same copy of tracemark as
 * the application's markers: when the application resolves `tracemark` to another installed
 * copy (a global CLI, a local dependency), that copy's preload does the work instead.
 */
import { CONTROL_ENV, RECORD_ENV } from './record-env.js';

const RAN = Symbol.for('tracemark.preload.ran');

/** The preload of the copy of tracemark the application imports, if it is another copy. */
function applicationCopyPreload(): string | undefined {
  const script = process.argv[1];
  if (script === undefined || script === '') return undefined;
  // Fetched here, not imported: an ES import of node:fs evaluates all its lazy exports (streams),
  // a cost for every process that has the preload in NODE_OPTIONS and nothing to record.
  const { createRequire } = process.getBuiltinModule('node:module');
  const { existsSync, realpathSync } = process.getBuiltinModule('node:fs');
  const { dirname, join, resolve } = process.getBuiltinModule('node:path');
  const { fileURLToPath, pathToFileURL } = process.getBuiltinModule('node:url');
  try {
    const requireFromApp = createRequire(pathToFileURL(resolve(script)).href);
    const appRoot = dirname(requireFromApp.resolve('tracemark/package.json'));
    const ownRoot = fileURLToPath(new URL('../../../', import.meta.url));
    if (realpathSync(appRoot) === realpathSync(ownRoot)) return undefined;
    const preload = join(appRoot, 'dist', 'src', 'cli', 'preload.js');
    return existsSync(preload) ? pathToFileURL(preload).href : undefined;
  } catch {
    return undefined; // the application does not depend on tracemark by name: use this copy
  }
}

const state = globalThis as unknown as Record<symbol, boolean | undefined>;
// Worker threads inherit --import (and the environment): tracemark's own drainer thread, and the
// application's workers, must not start a second recording or steal the control socket.
// With nothing to record, nothing more is loaded (not even node:worker_threads): a preload left in
// NODE_OPTIONS costs the start-up of one small module.
if (state[RAN] !== true && (process.env[RECORD_ENV] !== undefined || process.env[CONTROL_ENV] === '1')
  && process.getBuiltinModule('node:worker_threads').isMainThread) {
  const other = applicationCopyPreload();
  if (other !== undefined) {
    await import(other);
  }
  // The other copy's preload, when it ran, set the flag: this copy then has nothing to do.
  if ((state[RAN] as boolean | undefined) !== true) {
    state[RAN] = true;
    const { runPreload } = await import('./preload-run.js');
    await runPreload();
  }
}
