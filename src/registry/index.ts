import { TracemarkError } from '../errors/index.js';
import { parseFormat, validateMarkerName, type FieldInfo } from '../format/parse.js';
import { processState } from '../process/state.js';

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

/**
 * Registers a marker (or returns its existing registration). Throws ERR_FORMAT on a bad name or
 * format, ERR_FORMAT_MISMATCH when the name is already registered with another format.
 */
export function register(name: string, format: string): { registration: Registration; isNew: boolean } {
  validateMarkerName(name);
  const fields = parseFormat(format);
  const existing = byName.get(name);
  if (existing !== undefined) {
    if (existing.format !== format) {
      throw new TracemarkError('ERR_FORMAT_MISMATCH',
        `marker ${JSON.stringify(name)} is already registered with format ${JSON.stringify(existing.format)}, not ${JSON.stringify(format)}`,
        { text: format });
    }
    return { registration: existing, isNew: false };
  }
  const registration: Registration = Object.freeze({ id: byId.length, name, format, fields: Object.freeze(fields) });
  byName.set(name, registration);
  byId.push(registration);
  for (const listener of listeners) {
    // A listener (the metadata writer, a session) must not break declaration of the marker.
    try { listener(registration); } catch { /* counted by the listener's owner */ }
  }
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
    return byId.slice();
  },
  get(name: string): Registration | undefined {
    return byName.get(name);
  },
  byId(id: number): Registration | undefined {
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
