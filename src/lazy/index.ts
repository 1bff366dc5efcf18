/**
 * Loading on first use. Importing tracemark to declare markers must stay nearly free, so the
 * index loads the marker path only; the reader, the trace writer, the filter compiler and the
 * control server are loaded by the first call that needs them. This file also holds the public
 * functions of the reader and of live control as the index exports them: the same functions
 * and types, behind a first-use load (one module here rather than one per facade, as each
 * module the index loads costs start-up time of its own).
 *
 * Some of those calls are synchronous (`session.start()`, `readTraceSync`, `formatEvent`), so the
 * load is too: `require()` of an ES module (Node 20.19+, 22.12+; no top-level await in our
 * graph). It shares the ES module cache, so a module loaded this way and one imported elsewhere
 * are the same instance (the same `TracemarkError` class, the same registry).
 */
import type * as Control from '../control/index.js';
import type * as Reader from '../read/index.js';
import type * as View from '../view/index.js';
import type * as SessionModule from '../session/index.js';
import type * as ChannelModule from '../ring/channel.js';

/**
 * src/ relative to this module. The build (scripts/bundle-marker-path.mjs) bundles this module
 * into src/index.js and rewrites this line to `'./'` there: keep it one literal line.
 */
const SRC_FROM_HERE = '../';

/**
 * A function that loads the module at `srcPath` (relative to src/, e.g. `'read/index.js'`) on its
 * first call and returns its namespace, the same object every time. Paths are relative to src/
 * so that no module reads its `import.meta` at import (its first use has a cost of its own).
 */
export function onFirstUse<T>(srcPath: string): () => T {
  let loaded: T | undefined;
  return () => {
    // process.getBuiltinModule: not even node:module is loaded before the first use.
    if (loaded === undefined) loaded = process.getBuiltinModule('node:module').createRequire(import.meta.url)(SRC_FROM_HERE + srcPath) as T;
    return loaded;
  };
}

const reader = onFirstUse<typeof Reader>('read/index.js');

/**
 * Reads every event of the trace(s) in `dir`, merged by timestamp. Damaged data ends its stream;
 * after the last event, one TracemarkError('ERR_TRACE_CORRUPT') names the file and byte offset.
 * @example
 * for await (const event of readTrace('./traces/run-1')) console.log(formatEvent(event));
 */
export const readTrace: typeof Reader.readTrace = (...args) => reader().readTrace(...args);

/**
 * Synchronous reader: same events and errors as readTrace, without a promise per event.
 * @example
 * for (const event of readTraceSync('./traces/run-1')) console.log(event.name);
 */
export const readTraceSync: typeof Reader.readTraceSync = (...args) => reader().readTraceSync(...args);

/**
 * readTrace's events as arrays (up to `batchSize`, default 256): one promise per batch.
 * @example
 * for await (const batch of readTraceBatches('./traces/run-1')) for (const event of batch) console.log(event.name);
 */
export const readTraceBatches: typeof Reader.readTraceBatches = (...args) => reader().readTraceBatches(...args);

/**
 * Summary of the trace(s) in `dir`. Rejects with TracemarkError on unreadable or corrupt metadata only.
 * @example
 * const { summary } = await readTraceInfo('./traces/run-1');
 */
export const readTraceInfo: typeof Reader.readTraceInfo = (...args) => reader().readTraceInfo(...args);

/**
 * The same, synchronously.
 * @example
 * const { summary } = readTraceInfoSync('./traces/run-1');
 */
export const readTraceInfoSync: typeof Reader.readTraceInfoSync = (...args) => reader().readTraceInfoSync(...args);

/**
 * One event as one line, as `tracemark print` shows it.
 * @example
 * console.log(formatEvent(event, { stream: true }));
 */
export const formatEvent: typeof Reader.formatEvent = (...args) => reader().formatEvent(...args);

/**
 * `2023-11-14T22:13:20.671087740Z` for ns since the epoch.
 * @example
 * formatTimestamp(event.timestamp);
 */
export const formatTimestamp: typeof Reader.formatTimestamp = (...args) => reader().formatTimestamp(...args);

/**
 * Prints `events` to `fd` (`formatEvent` lines, `\n`-terminated) and returns how many were
 * printed. An error of the iterable (trace damage) propagates after the lines before it are written.
 * @example
 * printEvents(readTraceSync(dir), process.stdout.fd);
 */
export const printEvents: typeof Reader.printEvents = (...args) => reader().printEvents(...args);

/**
 * Registers `decode` for the blob field `fieldName` (as shown: no leading `_`) of the events named
 * `eventName`; returns a function that removes this registration (and only it).
 * @example
 * const off = registerBlobDecoder('net:rx', 'payload', (b) => new TextDecoder().decode(b));
 */
export const registerBlobDecoder: typeof Reader.registerBlobDecoder = (...args) => reader().registerBlobDecoder(...args);

/**
 * Starts listening for control clients (once per process: later calls return the same handle).
 * Rejects with TracemarkError `ERR_CONTROL` when the socket directory is not private, the socket
 * cannot be created, or when called from a worker thread. The socket never keeps the process alive.
 * @example
 * const control = await listen();   // then: tracemark ctl <pid> list
 */
export const listen: typeof Control.listen = async (...args) => (await import('../control/index.js')).listen(...args);

const nodeContext = onFirstUse<typeof import('../integrations/node/context.js')>('integrations/node/context.js');

/**
 * The id (`span_id`) of the HTTP server request being handled, across `await`; 0 outside any
 * request, or while no session wants the request context (docs/node.md).
 * @example
 * const session = new Session({ node: { requestContext: true } });
 * work(step, currentRequest()); // an app marker with a field of its own for the request
 */
export const currentRequest = (): number => nodeContext().currentRequest();

const view = onFirstUse<typeof View>('view/index.js');

/**
 * Writes a timeline of the trace(s) in `dir` to `file` as one HTML page that needs no network
 * (what `tracemark view` writes); blob decoders registered in this process render the blobs.
 * @example
 * writeTraceView('./traces/run-1', 'run-1.html');
 */
export const writeTraceView: typeof View.writeTraceView = (...args) => view().writeTraceView(...args);

/**
 * A class whose code loads at its first `new`: `new C(...)` builds an instance of the loaded
 * class (its private fields, its methods, `instanceof` both), and `class X extends C` works.
 * `instanceof C` is also true of instances the loaded class made itself (inside tracemark).
 * The loaded class must have no static members (they would not be seen on the facade).
 */
function onFirstNew<C extends abstract new (...args: never[]) => object>(name: string, load: () => C): C {
  let linked = false;
  const facade = {
    [name]: function (this: unknown, ...args: unknown[]): object {
      if (new.target === undefined) throw new TypeError(`Class constructor ${name} cannot be invoked without 'new'`);
      const loaded = load() as unknown as new (...args: unknown[]) => object;
      if (!linked) {
        // Once, before the first instance exists: the facade's instances inherit the methods.
        Object.setPrototypeOf(facade.prototype, loaded.prototype);
        linked = true;
      }
      return Reflect.construct(loaded, args, new.target) as object;
    },
  }[name];
  Object.defineProperty(facade, Symbol.hasInstance, {
    value: (value: unknown): boolean => typeof value === 'object' && value !== null && value instanceof (load() as unknown as new () => object),
  });
  return facade as unknown as C;
}

const sessionModule = onFirstUse<typeof SessionModule>('session/index.js');
const channelModule = onFirstUse<typeof ChannelModule>('ring/channel.js');

/**
 * A recording session: rules that enable markers, channels (ring buffers) they write to, and an
 * optional trace directory. Its code loads at the first `new Session()`.
 * @example
 * const session = new Session({ output: './trace' });
 * session.enable('net:*', { filter: 'len > 100' });
 * session.start();
 * // ... run the code
 * await session.close();
 */
export const Session: typeof SessionModule.Session = onFirstNew('Session', () => sessionModule().Session);
export type Session = SessionModule.Session;

/**
 * The options of a channel not given any (defined here, not in src/ring, so that the index
 * exports them without loading the ring code).
 * @example
 * new Session({ channels: { big: { subbufSize: 4 * CHANNEL_DEFAULTS.subbufSize } } });
 */
export const CHANNEL_DEFAULTS = Object.freeze({ subbufSize: 1 << 20, subbufCount: 4, mode: 'discard' as ChannelModule.ChannelMode });

/**
 * One channel (ring buffer) of a session, as `session.channel(name)` returns it; its switch
 * is `enabled`.
 * @example
 * session.channel('default').enabled = false;
 */
export const Channel: typeof ChannelModule.Channel = onFirstNew('Channel', () => channelModule().Channel);
export type Channel = ChannelModule.Channel;
