/**
 * The reading side of tracemark: CTF 1.8 traces (tracemark's and the LTTng-like subset of
 * docs/reading.md) → TraceEvent objects, one-line rendering, blob decoders, trace summaries.
 */
export { readTrace, readTraceBatches, readTraceSync, type ReadTraceOptions, type ReadTraceBatchesOptions } from './merge/read-trace.js';
export { readTraceInfo, readTraceInfoSync, type TraceInfo, type TraceInfoOptions, type TraceSummary, type StreamSummary, type EventClassSummary, type FieldSummary } from './summary/summary.js';
export { countEventsSync, type CountResult, type CountedClass, type CountOptions } from './summary/count.js';
export type { DiscardedInfo } from './decode/stream.js';
export type { ClockClass, EnvValue, TraceWarning } from './metadata/metadata.js';
export { FIELD_SPECS, attachFieldSpecs, type TraceEvent, type FieldSpecs, type EventWithSpecs } from './decode/event.js';
export { formatEvent, formatTimestamp, BLOB_PREVIEW_BYTES, type FormatOptions } from './print/format-event.js';
export { printEvents } from './print/print.js';
export { LineWriter } from './print/line-writer.js';
export { TraceFollower, type FollowOptions } from './follow/follow.js';
export { registerBlobDecoder, type BlobDecoder } from './print/blob-decoders.js';
