/** What the relay sender thread and the session share: status cells and messages. */

/** Cells of the shared status array (Int32Array). */
export const SENDER_STATUS = Object.freeze({
  state: 0,
  firstAttemptDone: 1,
  closed: 2,
  packetsSent: 3,
  packetsDropped: 4,
  connections: 5,
  beacons: 6,
  cells: 8,
});

export const SENDER_STATE = Object.freeze({ starting: 0, connected: 1, retrying: 2, closed: 3 });

/** Main thread to sender thread (packets use the port sink's own message shape). */
export type SenderMessage =
  | { type: 'metadata'; b: ArrayBuffer }
  | { type: 'beacon'; c: number; ts: number; packets: number }
  /** A stream of a worker thread's ring, index `c` (after this thread's channels). */
  | { type: 'stream'; c: number; name: string }
  /** That thread ended and its last packet was handed over. */
  | { type: 'endStream'; c: number }
  /** The end: `packets` committed per channel of this thread, the last of which are on their way. */
  | { type: 'close'; packets?: number[] };
