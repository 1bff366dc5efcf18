/**
 * The opt-in request context: the id of the HTTP server request being handled, carried across
 * `await` by an AsyncLocalStorage. Off by default: no AsyncLocalStorage exists (on Node 20/22 an
 * enabled one turns on async hooks for every promise), and currentRequest() is 0. This module
 * imports nothing (the index of tracemark exports currentRequest: importing must stay free).
 */
import type { AsyncLocalStorage } from 'node:async_hooks';

let storage: AsyncLocalStorage<number> | null = null;

/**
 * One request context per process: every copy of tracemark in a thread shares the enable chain,
 * and the copy whose integration serves them all (integrations/node/index.ts) holds the context.
 */
interface SharedContext { readonly currentRequest: () => number }
const SHARED_KEY = Symbol.for('tracemark.node-request-context.v1');
let shared: SharedContext | undefined;

function localCurrentRequest(): number {
  if (storage === null) return 0;
  const id = storage.getStore();
  return typeof id === 'number' ? id : 0;
}

/** Makes this copy's context the process's one, unless another copy's already is. */
export function claimRequestContext(): boolean {
  const holder = globalThis as unknown as Record<symbol, SharedContext | undefined>;
  let found = holder[SHARED_KEY];
  const mine = found === undefined;
  if (mine) {
    found = { currentRequest: localCurrentRequest };
    Object.defineProperty(globalThis, SHARED_KEY, { value: found, enumerable: false, writable: false, configurable: true });
  }
  shared = found;
  return mine;
}

/**
 * The id (`span_id`) of the HTTP server request being handled, across `await`; 0 outside any
 * request, or while no session wants the request context (docs/node.md).
 * @example
 * const session = new Session({ node: { requestContext: true } });
 * work(step, currentRequest()); // an app marker with a field of its own for the request
 */
export function currentRequest(): number {
  if (shared === undefined) {
    const found = (globalThis as unknown as Record<symbol, SharedContext | undefined>)[SHARED_KEY];
    if (found === undefined) return 0; // no integration anywhere yet: no request
    shared = found;
  }
  return shared.currentRequest();
}

export function setRequestContext(on: boolean): void {
  if (on && storage === null) {
    const { AsyncLocalStorage: Storage } = process.getBuiltinModule('node:async_hooks');
    storage = new Storage<number>();
  } else if (!on && storage !== null) {
    storage.disable();
    storage = null;
  }
}

/**
 * Makes `id` the current request for the rest of this synchronous run and everything it
 * schedules. Called from the request-start channel, which Node publishes right before it emits
 * 'request', so the application's handler and its continuations see the id.
 */
export function enterRequest(id: number): void {
  if (storage !== null) storage.enterWith(id);
}
