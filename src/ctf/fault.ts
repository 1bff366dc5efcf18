/**
 * The drainer thread's reason for stopping, in shared memory: its postMessage never arrives when
 * the main thread exits right after the fault (process.exit() in a loop), but this text is there.
 */
export const FAULT_TEXT_BYTES = 1024;

/** Records the first fault only (a length word, then UTF-8). */
export function writeFault(buffer: SharedArrayBuffer, text: string): void {
  const length = new Int32Array(buffer, 0, 1);
  const bytes = new Uint8Array(buffer, 4);
  if (Atomics.load(length, 0) !== 0) return;
  const { written } = new TextEncoder().encodeInto(text, bytes);
  Atomics.store(length, 0, written);
}

export function readFault(buffer: SharedArrayBuffer): string | undefined {
  const length = Atomics.load(new Int32Array(buffer, 0, 1), 0);
  if (length === 0) return undefined;
  return new TextDecoder().decode(new Uint8Array(buffer, 4, length).slice());
}
