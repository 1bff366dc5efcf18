/**
 * A tiny binary header, recorded as a `%pW` blob by the demo service and decoded back by
 * payload-decoder.ts when the trace is printed. Layout (12 bytes, little endian):
 *   0  u8[2]  magic "TM"
 *   2  u8     version (1)
 *   3  u8     content type: 0 = json, 1 = text
 *   4  u32    body length in bytes
 *   8  u32    request sequence number
 */
export const CONTENT_TYPES = ['json', 'text'] as const;
export type ContentType = typeof CONTENT_TYPES[number];

export interface PayloadHeader {
  version: number;
  contentType: ContentType;
  bodyBytes: number;
  sequence: number;
}

export const HEADER_BYTES = 12;

export function encodePayloadHeader(header: PayloadHeader): Uint8Array {
  const bytes = new Uint8Array(HEADER_BYTES);
  const view = new DataView(bytes.buffer);
  bytes[0] = 0x54; // 'T'
  bytes[1] = 0x4d; // 'M'
  bytes[2] = header.version;
  bytes[3] = CONTENT_TYPES.indexOf(header.contentType);
  view.setUint32(4, header.bodyBytes, true);
  view.setUint32(8, header.sequence, true);
  return bytes;
}

/** Throws on anything that is not a header: the formatter then shows the bytes and the reason. */
export function decodePayloadHeader(bytes: Uint8Array): PayloadHeader {
  if (bytes.length !== HEADER_BYTES || bytes[0] !== 0x54 || bytes[1] !== 0x4d) throw new Error('not a TM payload header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const contentType = CONTENT_TYPES[bytes[3]];
  if (contentType === undefined) throw new Error(`unknown content type ${bytes[3]}`);
  return { version: bytes[2], contentType, bodyBytes: view.getUint32(4, true), sequence: view.getUint32(8, true) };
}
