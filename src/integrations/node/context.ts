/**
 * The opt-in request context: the id of the HTTP server request being handled, carried across
 * `await` by an AsyncLocalStorage. Off by default: no AsyncLocalStorage exists (on Node 20/22 an
 * enabled one turns on async hooks for every promise), and currentRequest() is 0.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

let storage: AsyncLocalStorage<number> | null = null;

/** The id of the HTTP server request whose handling is running now (its `span_id`), or 0. */
export function currentRequest(): number {
  if (storage === null) return 0;
  const id = storage.getStore();
  return typeof id === 'number' ? id : 0;
}

export function requestContextOn(): boolean {
  return storage !== null;
}

export function setRequestContext(on: boolean): void {
  if (on && storage === null) {
    storage = new AsyncLocalStorage<number>();
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
