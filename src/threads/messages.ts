/**
 * What the main thread and the workers tell each other (over one BroadcastChannel per process,
 * off the hot path). The switches that must flip every thread at once (tracing.enabled, a
 * session's recording flag) are not messages but shared cells (src/process/state.ts).
 */
export const HUB_CHANNEL = 'tracemark.threads.v1';
/** worker_threads environment data: the latest configuration, for workers created from now on. */
export const CONFIG_ENV_KEY = 'tracemark.threads.config.v1';

export interface RuleDescriptor {
  pattern: string;
  on: boolean;
  channel: string | null;
  /** A filter expression's text; `function` for a predicate (which cannot cross threads); null. */
  filter: string | null | { function: true };
}

export interface SessionDescriptor {
  uuid: string;
  /** The cell of the shared flags that holds the session's recording switch. */
  recordingCell: number;
  channels: { name: string; index: number; subbufSize: number; subbufCount: number; mode: 'discard' | 'overwrite' }[];
  rules: RuleDescriptor[];
  /** The session has filter callbacks (addFilter), which cannot run in another thread. */
  callbacks: boolean;
  /** The drainer's doorbell of a session that writes a trace directory. */
  doorbell: SharedArrayBuffer;
  /** > 0: close partly filled packets at this interval and report idle channels (live relay). */
  flushIntervalMs: number;
}

export interface ConfigMessage { type: 'config'; sessions: SessionDescriptor[] }
export interface FlushMessage { type: 'flush'; uuid: string }
export interface RingsMessage {
  type: 'rings';
  uuid: string;
  vtid: number;
  channels: { name: string; data: SharedArrayBuffer; ctrl: Int32Array; subbufSize: number; subbufCount: number }[];
}
export interface FlushedMessage { type: 'flushed'; uuid: string; vtid: number }
/** After a periodic flush: the worker's channels with nothing open at `ts` (for live beacons). */
export interface IdleMessage { type: 'idle'; uuid: string; vtid: number; ts: number; idle: { index: number; packets: number }[] }

/** A worker's side has started: the main thread answers with the configuration. */
export interface HelloMessage { type: 'hello'; vtid: number }

export type HubMessage = ConfigMessage | FlushMessage | RingsMessage | FlushedMessage | HelloMessage | IdleMessage;
