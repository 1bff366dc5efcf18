/**
 * The field numbers and enum values of Perfetto's trace protos that the export writes, from
 * Perfetto's published .proto files (protos/perfetto/trace/...).
 */
// TracePacket (trace_packet.proto)
export const PACKET_TIMESTAMP = 8;
export const PACKET_SEQUENCE_ID = 10;
export const PACKET_TRACK_EVENT = 11;
export const PACKET_INTERNED_DATA = 12;
export const PACKET_SEQUENCE_FLAGS = 13;
export const PACKET_CLOCK_SNAPSHOT = 6;
export const PACKET_DEFAULTS = 59;
export const PACKET_TRACK_DESCRIPTOR = 60;
export const PACKET_EXTENSION_DESCRIPTOR = 72;
/** bytes: a zlib stream of more packets (a Trace). */
export const PACKET_COMPRESSED_PACKETS = 50;
/** ExtensionDescriptor.extension_set (a FileDescriptorSet). */
export const EXTENSION_SET = 1;
export const SEQ_INCREMENTAL_STATE_CLEARED = 1;
// TracePacketDefaults / TrackEventDefaults
export const DEFAULTS_CLOCK_ID = 58;
export const DEFAULTS_TRACK_EVENT = 11;
export const TRACK_EVENT_DEFAULTS_TRACK_UUID = 11;
// ClockSnapshot (clock_snapshot.proto)
export const SNAPSHOT_CLOCKS = 1;
export const CLOCK_ID = 1;
export const CLOCK_TIMESTAMP = 2;
export const CLOCK_IS_INCREMENTAL = 3;
export const BUILTIN_CLOCK_BOOTTIME = 6;
/** Sequence-scoped clocks are 64..127. */
export const INCREMENTAL_CLOCK_ID = 64;
// TrackDescriptor, ProcessDescriptor, ThreadDescriptor
export const TRACK_UUID = 1;
export const TRACK_NAME = 2;
export const TRACK_PROCESS = 3;
export const TRACK_THREAD = 4;
export const TRACK_PARENT_UUID = 5;
export const PROCESS_PID = 1;
export const PROCESS_NAME = 6;
export const THREAD_PID = 1;
export const THREAD_TID = 2;
export const THREAD_NAME = 5;
// TrackEvent (track_event.proto)
export const EVENT_DEBUG_ANNOTATIONS = 4;
export const EVENT_TYPE = 9;
export const EVENT_NAME_IID = 10;
export const EVENT_TRACK_UUID = 11;
export const EVENT_NAME = 23;
export const TYPE_SLICE_BEGIN = 1;
export const TYPE_SLICE_END = 2;
export const TYPE_INSTANT = 3;
// InternedData (interned_data.proto): EventName, DebugAnnotationName, InternedString = { iid 1, name/str 2 }
export const INTERNED_EVENT_NAMES = 2;
export const INTERNED_ANNOTATION_NAMES = 3;
export const INTERNED_STRING_VALUES = 29;
export const INTERNED_IID = 1;
export const INTERNED_NAME = 2;
// DebugAnnotation (debug_annotation.proto)
export const ANNOTATION_NAME_IID = 1;
export const ANNOTATION_BOOL = 2;
export const ANNOTATION_UINT = 3;
export const ANNOTATION_INT = 4;
export const ANNOTATION_DOUBLE = 5;
export const ANNOTATION_STRING = 6;
export const ANNOTATION_NAME = 10;
export const ANNOTATION_STRING_IID = 17;
// Trace (trace.proto)
export const TRACE_PACKET = 1;
