/**
 * TSDL text for tracemark traces (docs/trace-format.md) and its packetized framing.
 */
import type { FieldInfo } from '../format/parse.js';
import type { Registration } from '../registry/index.js';

export const METADATA_MAGIC = 0x75d11d57;
const METADATA_HEADER_BYTES = 37;

export interface TraceEnv {
  hostname: string;
  procname: string;
  vpid: number;
  traceName: string;
  creationDatetime: string;
  tracerVersion: readonly [number, number, number];
}

function tsdlString(text: string): string {
  return JSON.stringify(text);
}

export function metadataHead(uuid: string, env: TraceEnv, clockOriginEpochNs: bigint): string {
  const offsetSeconds = clockOriginEpochNs / 1_000_000_000n;
  const offsetNs = clockOriginEpochNs % 1_000_000_000n;
  const [major, minor, patch] = env.tracerVersion;
  return `/* CTF 1.8 */
typealias integer { size = 8; align = 8; signed = false; } := uint8_t;
typealias integer { size = 16; align = 8; signed = false; } := uint16_t;
typealias integer { size = 32; align = 8; signed = false; } := uint32_t;
typealias integer { size = 64; align = 8; signed = false; } := uint64_t;
typealias integer { size = 5; align = 1; signed = false; } := uint5_t;

trace {
	major = 1;
	minor = 8;
	uuid = "${uuid}";
	byte_order = le;
	packet.header := struct {
		uint32_t magic;
		uint8_t uuid[16];
		uint32_t stream_id;
		uint64_t stream_instance_id;
	} align(8);
};

env {
	domain = "ust";
	tracer_name = "tracemark";
	tracer_major = ${major};
	tracer_minor = ${minor};
	tracer_patchlevel = ${patch};
	hostname = ${tsdlString(env.hostname)};
	procname = ${tsdlString(env.procname)};
	vpid = ${env.vpid};
	trace_name = ${tsdlString(env.traceName)};
	trace_creation_datetime = ${tsdlString(env.creationDatetime)};
};

clock {
	name = "monotonic";
	description = "Node.js performance.now(), nanoseconds since performance.timeOrigin";
	freq = 1000000000;
	precision = 1;
	offset_s = ${offsetSeconds};
	offset = ${offsetNs};
	absolute = true;
};

typealias integer { size = 27; align = 1; signed = false; map = clock.monotonic.value; } := uint27_clock_monotonic_t;
typealias integer { size = 64; align = 8; signed = false; map = clock.monotonic.value; } := uint64_clock_monotonic_t;

struct packet_context {
	uint64_clock_monotonic_t timestamp_begin;
	uint64_clock_monotonic_t timestamp_end;
	uint64_t content_size;
	uint64_t packet_size;
	uint64_t packet_seq_num;
	uint64_t events_discarded;
	uint32_t cpu_id;
} align(8);

struct event_header_compact {
	enum : uint5_t { compact = 0 ... 30, extended = 31 } id;
	variant <id> {
		struct { uint27_clock_monotonic_t timestamp; } compact;
		struct { uint32_t id; uint64_clock_monotonic_t timestamp; } extended;
	} v;
} align(8);

stream {
	id = 0;
	event.header := struct event_header_compact;
	packet.context := struct packet_context;
};
`;
}

function fieldDeclarations(field: FieldInfo): string[] {
  const name = `_${field.name}`;
  const integer = (sizeBits: number, signed: boolean): string =>
    `integer { size = ${sizeBits}; align = 8; signed = ${signed}; base = ${field.base}; } ${name};`;
  switch (field.type) {
    case 'i8': return [integer(8, true)];
    case 'u8': return [integer(8, false)];
    case 'i16': return [integer(16, true)];
    case 'u16': return [integer(16, false)];
    case 'i32': return [integer(32, true)];
    case 'u32': return [integer(32, false)];
    case 'i64': return [integer(64, true)];
    case 'u64': return [integer(64, false)];
    case 'f64': return [`floating_point { exp_dig = 11; mant_dig = 53; align = 8; } ${name};`];
    case 'string':
    case 'char': return [`string { encoding = UTF8; } ${name};`];
    case 'blob': return [
      `uint32_t __${field.name}_length;`,
      `integer { size = 8; align = 8; signed = false; base = 16; } ${name}[__${field.name}_length];`,
    ];
  }
}

export function eventBlock(registration: Registration): string {
  const fields = registration.fields.flatMap(fieldDeclarations).map((line) => `\t\t${line}\n`).join('');
  // A comment keeps the exact printf specs for our reader; other readers ignore it.
  const format = JSON.stringify(registration.format).replace(/\*\//g, '*\\/');
  return `
event {
	name = ${tsdlString(registration.name)};
	id = ${registration.id};
	stream_id = 0;
	/* tracemark.format = ${format} */
	fields := struct {
${fields}	};
};
`;
}

/** One metadata packet: 37-byte header, then the text; its sizes count bits, header included. */
export function metadataPacket(text: string, uuidBytes: Uint8Array): Uint8Array {
  const body = new TextEncoder().encode(text);
  const packet = new Uint8Array(METADATA_HEADER_BYTES + body.length);
  const view = new DataView(packet.buffer);
  view.setUint32(0, METADATA_MAGIC, true);
  packet.set(uuidBytes, 4);
  view.setUint32(20, 0, true);
  view.setUint32(24, packet.length * 8, true);
  view.setUint32(28, packet.length * 8, true);
  packet[32] = 0;
  packet[33] = 0;
  packet[34] = 0;
  packet[35] = 1;
  packet[36] = 8;
  packet.set(body, METADATA_HEADER_BYTES);
  return packet;
}

export function uuidToBytes(uuid: string): Uint8Array {
  const hex = uuid.replace(/-/g, '');
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}
