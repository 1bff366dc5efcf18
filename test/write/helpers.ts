/** Shared helpers of the write-path tests (test/write). */
import { strict as assert } from 'node:assert';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { marker, registry, Session, tracing, TracemarkError, type TracingStats } from '../../src/index.js';

/** Repository root, from dist/test/write/helpers.js or test/write/helpers.ts alike. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', ...(import.meta.url.includes('/dist/') ? ['..'] : []));

let nameCount = 0;
/** A marker name no other test of this process uses: `<provider>:e<n>`. */
export function uniqueName(provider = 'w'): string {
  nameCount++;
  return `${provider}:e${nameCount}`;
}

/**
 * Declares throw-away markers until the next registered marker gets an id above 30, so that
 * every event it writes has the 13-byte extended header whatever the clock does: the ring
 * tests then know each event's exact size.
 */
export function padRegistryPastCompactIds(): void {
  while (registry.list().length <= 31) marker(uniqueName('pad'), '');
}

/** Size in bytes of an event with the extended header. */
export const EXTENDED_HEADER = 13;
/** Packet header + context. */
export const PACKET_HEADER = 84;

/** Differences of the process-wide counters across `fn`. */
export function statsDelta(fn: () => void): TracingStats {
  const before = tracing.stats();
  fn();
  const after = tracing.stats();
  return {
    probeErrors: after.probeErrors - before.probeErrors,
    filterErrors: after.filterErrors - before.filterErrors,
    filtered: after.filtered - before.filtered,
    internalErrors: after.internalErrors - before.internalErrors,
    coercedArguments: after.coercedArguments - before.coercedArguments,
  };
}

/** Sessions created through `track` are closed by `closeAll` (call it in afterEach). */
const open: Session[] = [];
export function track(session: Session): Session {
  open.push(session);
  return session;
}
export async function closeAll(): Promise<void> {
  while (open.length > 0) await open.pop()!.close();
  tracing.enabled = true;
}

/** A started session recording `pattern` in its default channel. */
export function recording(pattern: string, options: ConstructorParameters<typeof Session>[0] = {}): Session {
  const session = track(new Session(options));
  session.enable(pattern);
  session.start();
  return session;
}

/** The field values of the events a session holds, oldest first. */
export function fieldsOf(session: Session, name?: string): Record<string, unknown>[] {
  return session.events().filter((e) => name === undefined || e.name === name).map((e) => e.fields);
}

/** Asserts that `fn` throws a TracemarkError with `code` (and `offset`/`text` when given). */
export function assertTracemarkError(fn: () => unknown, code: string, details: { offset?: number; text?: string } = {}): TracemarkError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof TracemarkError, `expected a TracemarkError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code);
  if ('offset' in details) assert.equal(caught.offset, details.offset, `offset of ${caught.message}`);
  if ('text' in details) assert.equal(caught.text, details.text, `text of ${caught.message}`);
  return caught;
}

/** Bytes of a Uint8Array-like as a plain array (for deepEqual across Buffer/Uint8Array). */
export function byteList(value: unknown): number[] {
  assert.ok(value instanceof Uint8Array, `expected a Uint8Array, got ${Object.prototype.toString.call(value)}`);
  return [...value];
}
