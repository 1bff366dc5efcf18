import { TracemarkError } from '../errors/index.js';
import { parseFormat, validateMarkerName, type FieldInfo } from '../format/parse.js';
import { processState } from '../process/state.js';
import type { RegistryLog } from '../threads/registry-log.js';
import { onFirstUse } from '../lazy/index.js';

// Loaded once threads share the registry (src/process/state.ts), never by a plain import.
const logModule = onFirstUse<typeof import('../threads/registry-log.js')>('threads/registry-log.js');

/** What the registry knows of one marker: everything a trace reader needs to decode its events. */
export interface Registration {
  readonly id: number;
  readonly name: string;
  readonly format: string;
  readonly fields: readonly FieldInfo[];
}

export type RegistrationListener = (registration: Registration) => void;

// Shared by every copy of tracemark in the process (src/process/state.ts).
const byName = processState.registrationsByName;
const byId = processState.registrationsById;
const listeners = processState.registrationListeners;

function addRegistration(id: number, name: string, format: string, fields: FieldInfo[]): Registration {
  const registration: Registration = Object.freeze({ id, name, format, fields: Object.freeze(fields) });
  byName.set(name, registration);
  byId.push(registration);
  return registration;
}

function notify(registrations: readonly Registration[]): void {
  for (const registration of registrations) {
    for (const listener of listeners) {
      // A listener (the metadata writer, a session) must not break declaration of the marker.
      try { listener(registration); } catch { /* counted by the listener's owner */ }
    }
  }
}

/** Takes in the markers other threads declared since the last look (one atomic load when none). */
function catchUp(): Registration[] {
  const threads = processState.threads;
  if (threads === null || Atomics.load(threads.log.cells, 1) === threads.logCursor.id) return [];
  const added: Registration[] = [];
  for (const entry of logModule().readEntries(threads.log, threads.logCursor)) {
    // Validated by the thread that appended it.
    added.push(addRegistration(byId.length, entry.name, entry.format, parseFormat(entry.format)));
  }
  return added;
}

/** Registers in the log shared by every thread: the entry index is the id in every thread. */
function registerShared(name: string, format: string, fields: FieldInfo[], log: RegistryLog): { registration: Registration; isNew: boolean; caughtUp: Registration[] } {
  const { appendEntry, readEntries, withLogLock } = logModule();
  const cursor = processState.threads!.logCursor;
  return withLogLock(log, () => {
    const caughtUp = catchUp();
    const existing = byName.get(name);
    if (existing !== undefined) return { registration: existing, isNew: false, caughtUp };
    const entry = { name, format };
    const id = appendEntry(log, entry);
    if (id < 0) throw new TracemarkError('ERR_INVALID_ARG', `cannot register marker ${JSON.stringify(name)}: the registry is full`);
    if (id !== byId.length) throw new TracemarkError('ERR_INVALID_ARG', `registry out of step (${id} != ${byId.length})`);
    // The cursor moves past our own entry.
    readEntries(log, cursor);
    return { registration: addRegistration(id, name, format, fields), isNew: true, caughtUp };
  });
}

/**
 * Registers a marker (or returns its existing registration). Throws ERR_FORMAT on a bad name or
 * format, ERR_FORMAT_MISMATCH when the name is already registered with another format.
 */
export function register(name: string, format: string): { registration: Registration; isNew: boolean } {
  validateMarkerName(name);
  const fields = parseFormat(format);
  let existing = byName.get(name);
  const threads = processState.threads;
  if (existing === undefined && threads !== null) {
    const shared = registerShared(name, format, fields, threads.log);
    notify(shared.caughtUp);
    if (shared.isNew) {
      notify([shared.registration]);
      return { registration: shared.registration, isNew: true };
    }
    existing = shared.registration;
  }
  if (existing !== undefined) {
    if (existing.format !== format) {
      throw new TracemarkError('ERR_FORMAT_MISMATCH',
        `marker ${JSON.stringify(name)} is already registered with format ${JSON.stringify(existing.format)}, not ${JSON.stringify(format)}`,
        { text: format });
    }
    return { registration: existing, isNew: false };
  }
  const registration = addRegistration(byId.length, name, format, fields);
  notify([registration]);
  return { registration, isNew: true };
}

/**
 * The global event registry.
 * @example
 * for (const { id, name, fields } of registry.list()) console.log(id, name, fields.length);
 * const off = registry.onRegister((r) => console.log('new marker', r.name));
 */
export const registry = {
  /** Every registration, in ID order. */
  list(): readonly Registration[] {
    notify(catchUp());
    return byId.slice();
  },
  get(name: string): Registration | undefined {
    notify(catchUp());
    return byName.get(name);
  },
  byId(id: number): Registration | undefined {
    if (id >= byId.length) notify(catchUp());
    return byId[id];
  },
  /** Calls `listener` for each marker registered from now on; returns a function that removes it. */
  onRegister(listener: RegistrationListener): () => void {
    // Wrapped, so that the same function added twice (by two sessions) is two subscriptions.
    const entry: RegistrationListener = (registration) => listener(registration);
    listeners.add(entry);
    return () => { listeners.delete(entry); };
  },
};
