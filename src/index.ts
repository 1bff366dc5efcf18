/**
 * tracemark: static markers that cost nothing when off, CTF 1.8 traces that babeltrace2 reads.
 * This file is the whole public API.
 */
export { marker, type Marker } from './marker/index.js';
export { registry, type Registration } from './registry/index.js';
export { tracing, type TracingStats } from './chain/tracing.js';
export { Session, type SessionOptions, type EnableOptions, type FilterCallback, type SessionStats } from './session/index.js';
export { Channel, CHANNEL_DEFAULTS, type ChannelOptions, type ChannelMode, type ChannelStats } from './ring/channel.js';
export { TracemarkError, type TracemarkErrorCode } from './errors/index.js';
export type { FieldInfo } from './format/parse.js';
export type { FieldType } from './format/specs.js';
export type { FormatArgs, SpecArg } from './format/types.js';
export type { TraceEvent } from './read/decode/event.js';
export {
  readTrace, readTraceSync, readTraceInfo, readTraceInfoSync,
  formatEvent, formatTimestamp, printEvents, registerBlobDecoder,
  type ReadTraceOptions, type TraceInfo, type TraceSummary, type StreamSummary, type EventClassSummary,
  type FieldSummary, type DiscardedInfo, type FormatOptions, type BlobDecoder,
} from './read/index.js';
export { listen, type ListenOptions, type ControlHandle } from './control/index.js';
