/**
 * Decoders for `%pW` blob fields, used by formatEvent: a registered decoder turns the bytes into
 * something readable (a string, or any value rendered JSON-style).
 */
import { TracemarkError } from '../../errors/index.js';

export type BlobDecoder = (bytes: Uint8Array) => unknown;

const decoders = new Map<string, Map<string, BlobDecoder>>();

/**
 * Registers `decode` for the blob field `fieldName` (as shown: no leading `_`) of the events named
 * `eventName`. Takes effect for every event formatted afterwards; a later registration for the
 * same field replaces this one. Returns a function that removes this registration (and only it).
 * @example
 * const off = registerBlobDecoder('net:rx', 'payload', (b) => new TextDecoder().decode(b));
 */
export function registerBlobDecoder(eventName: string, fieldName: string, decode: BlobDecoder): () => void {
  if (typeof eventName !== 'string' || typeof fieldName !== 'string') {
    throw new TracemarkError('ERR_INVALID_ARG', 'registerBlobDecoder: eventName and fieldName must be strings');
  }
  if (typeof decode !== 'function') throw new TracemarkError('ERR_INVALID_ARG', 'registerBlobDecoder: decode must be a function');
  let byField = decoders.get(eventName);
  if (byField === undefined) {
    byField = new Map();
    decoders.set(eventName, byField);
  }
  byField.set(fieldName, decode);
  return () => {
    const current = decoders.get(eventName);
    if (current?.get(fieldName) !== decode) return;
    current.delete(fieldName);
    if (current.size === 0) decoders.delete(eventName);
  };
}

/** The decoder registered for this field, if any. */
export function blobDecoderFor(eventName: string, fieldName: string): BlobDecoder | undefined {
  if (decoders.size === 0) return undefined;
  return decoders.get(eventName)?.get(fieldName);
}
