/**
 * tracemark: static markers that cost nothing when off, CTF 1.8 traces that babeltrace2 reads.
 * This file is the whole public API.
 *
 * Importing it must stay nearly free (docs/api.md, "Start-up"): it loads the marker path only.
 * The reader, the trace writer and the control server are exported through their lazy facades
 * (src/lazy/index.ts); test/startup/module-graph.test.ts pins what loads.
 */
// The marker path is one module (src/marker-path): one file to load, once built.
export { marker, type Marker, registry, type Registration, tracing, type TracingStats } from './marker-path/index.js';
export type { SessionOptions, EnableOptions, FilterCallback, SessionStats } from './session/index.js';
export { Session, Channel, CHANNEL_DEFAULTS } from './marker-path/index.js';
export type { ChannelOptions, ChannelMode, ChannelStats } from './ring/channel.js';
export { TracemarkError, type TracemarkErrorCode } from './marker-path/index.js';
export type { FieldInfo, FieldType } from './format/parse.js';
export type { FormatArgs, SpecArg } from './format/types.js';
export type { TraceEvent } from './read/decode/event.js';
export {
  readTrace, readTraceSync, readTraceBatches, readTraceInfo, readTraceInfoSync,
  formatEvent, formatTimestamp, printEvents, registerBlobDecoder,
} from './marker-path/index.js';
export type {
  ReadTraceOptions, ReadTraceBatchesOptions, TraceInfo, TraceSummary, StreamSummary, EventClassSummary,
  FieldSummary, DiscardedInfo, FormatOptions, BlobDecoder,
} from './read/index.js';
export { listen, writeTraceView } from './marker-path/index.js';
export type { ListenOptions, ControlHandle } from './control/index.js';
// Node.js core as node:* markers (docs/node.md).
export { currentRequest } from './marker-path/index.js';
export type { NodeSessionOptions } from './integrations/node/index.js';
export type { TraceViewOptions, TraceViewResult } from './view/index.js';

// In a worker thread, the sessions of the main thread record this thread's markers too
// (loaded in workers only: the main thread's import stays on the marker path).
import { inWorkerThread, onFirstUse } from './marker-path/index.js';
if (inWorkerThread) {
  try {
    onFirstUse<typeof import('./threads/worker-side.js')>('threads/worker-side.js')().startWorkerSide();
  } catch { /* this worker then records into its own sessions only */ }
}
