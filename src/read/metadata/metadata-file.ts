/**
 * The metadata file → TSDL text: plain text (starts with the `/* CTF 1.8` signature) or a
 * sequence of packets (CTF 1.8 §7.1: 37-byte packed header, magic 0x75D11D57, then text, then
 * padding). Keeps enough of the layout to map a text offset back to a file byte offset.
 */
import { corrupt, unsupported } from '../errors.js';

const TSDL_MAGIC = 0x75d11d57;
const TSDL_MAGIC_SWAPPED = 0x571dd175;
const PACKET_HEADER_BYTES = 37;
const SIGNATURE = '/* CTF 1.8';

export interface MetadataText {
  readonly text: string;
  readonly packetized: boolean;
  /** UUID of the metadata packets (packetized only), canonical text form. */
  readonly uuid?: string;
  /** Set when the file is cut inside a metadata packet. */
  readonly truncation?: { readonly byteOffset: number; readonly message: string };
  /** Maps a character offset of `text` to a byte offset in the metadata file. */
  fileOffsetOf(charOffset: number): number;
}

interface Segment {
  readonly textByte: number;
  readonly fileByte: number;
}

const CHECKPOINT_CHARS = 256;

/**
 * Character offset → UTF-8 byte offset of `text`, in constant time per call (a 100k-event
 * metadata asks once per event class: re-encoding the prefix each time was quadratic).
 */
export function utf8OffsetMapper(text: string): (charOffset: number) => number {
  if (Buffer.byteLength(text) === text.length) return (charOffset) => Math.max(0, Math.min(charOffset, text.length));
  const checkpoints = new Float64Array(Math.floor(text.length / CHECKPOINT_CHARS) + 1);
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    if (i % CHECKPOINT_CHARS === 0) checkpoints[i / CHECKPOINT_CHARS] = bytes;
    bytes += utf8Bytes(text, i);
  }
  return (charOffset) => {
    const at = Math.max(0, Math.min(charOffset, text.length));
    const k = Math.floor(at / CHECKPOINT_CHARS);
    let n = checkpoints[k];
    for (let i = k * CHECKPOINT_CHARS; i < at; i++) n += utf8Bytes(text, i);
    return n;
  };
}

/** Bytes of the UTF-8 form of the UTF-16 unit at `i` (a surrogate pair counts 4 on its first unit). */
function utf8Bytes(text: string, i: number): number {
  const code = text.charCodeAt(i);
  if (code < 0x80) return 1;
  if (code < 0x800) return 2;
  if (code >= 0xd800 && code <= 0xdbff) {
    const low = text.charCodeAt(i + 1);
    return low >= 0xdc00 && low <= 0xdfff ? 4 : 3;
  }
  if (code >= 0xdc00 && code <= 0xdfff) {
    const high = text.charCodeAt(i - 1);
    return high >= 0xd800 && high <= 0xdbff ? 0 : 3;
  }
  return 3;
}

export function uuidText(bytes: Uint8Array): string {
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function decodeMetadataFile(bytes: Buffer, file: string): MetadataText {
  if (bytes.length >= 4) {
    const magic = bytes.readUInt32LE(0);
    if (magic === TSDL_MAGIC) return decodePacketized(bytes, file);
    if (magic === TSDL_MAGIC_SWAPPED) return decodePacketized(bytes, file, true);
  }
  if (bytes.length === 0) throw corrupt(file, 0, 'the metadata file is empty');
  if (bytes.subarray(0, SIGNATURE.length).toString('latin1') !== SIGNATURE) {
    throw corrupt(file, 0, `neither packetized metadata (magic 0x75D11D57) nor text starting with "${SIGNATURE}"`);
  }
  const text = bytes.toString('utf8');
  return { text, packetized: false, fileOffsetOf: utf8OffsetMapper(text) };
}

function decodePacketized(bytes: Buffer, file: string, bigEndian = false): MetadataText {
  const u32 = (at: number): number => (bigEndian ? bytes.readUInt32BE(at) : bytes.readUInt32LE(at));
  const parts: Buffer[] = [];
  const segments: Segment[] = [];
  let textBytes = 0;
  let uuid: Buffer | undefined;
  let truncation: MetadataText['truncation'];
  let offset = 0;
  while (offset < bytes.length) {
    if (bytes.length - offset < PACKET_HEADER_BYTES) {
      truncation = { byteOffset: offset, message: `the file ends inside the header of the metadata packet at byte ${offset}` };
      break;
    }
    if (u32(offset) !== TSDL_MAGIC) throw corrupt(file, offset, 'bad metadata packet magic (expected 0x75D11D57)');
    const packetUuid = bytes.subarray(offset + 4, offset + 20);
    if (uuid === undefined) uuid = packetUuid;
    else if (!uuid.equals(packetUuid)) throw corrupt(file, offset + 4, 'metadata packet UUID differs from the first packet\'s');
    const contentBits = u32(offset + 24);
    const packetBits = u32(offset + 28);
    const schemes = [bytes[offset + 32], bytes[offset + 33], bytes[offset + 34]];
    if (schemes.some((s) => s !== 0)) {
      throw unsupported(file, offset + 32, `metadata compression/encryption/checksum schemes ${schemes.join('/')}`);
    }
    if (bytes[offset + 35] !== 1 || bytes[offset + 36] !== 8) {
      throw unsupported(file, offset + 35, `metadata packet version ${bytes[offset + 35]}.${bytes[offset + 36]} (only 1.8)`);
    }
    if (contentBits % 8 !== 0 || packetBits % 8 !== 0) throw corrupt(file, offset + 24, 'metadata packet sizes are not whole bytes');
    if (contentBits < PACKET_HEADER_BYTES * 8) throw corrupt(file, offset + 24, `metadata packet content_size ${contentBits} bits is smaller than its header`);
    if (packetBits < contentBits) throw corrupt(file, offset + 28, `metadata packet content_size ${contentBits} > packet_size ${packetBits}`);
    const packetBytes = packetBits / 8;
    let contentEnd = offset + contentBits / 8;
    if (offset + packetBytes > bytes.length) {
      truncation = { byteOffset: bytes.length, message: `the file ends inside the metadata packet at byte ${offset} (declared ${packetBytes} bytes)` };
      contentEnd = Math.min(contentEnd, bytes.length);
    }
    segments.push({ textByte: textBytes, fileByte: offset + PACKET_HEADER_BYTES });
    const part = bytes.subarray(offset + PACKET_HEADER_BYTES, contentEnd);
    parts.push(part);
    textBytes += part.length;
    if (truncation !== undefined) break;
    offset += packetBytes;
  }
  const joined = Buffer.concat(parts);
  const text = joined.toString('utf8');
  const textByteOf = utf8OffsetMapper(text);
  const fileOffsetOf = (charOffset: number): number => {
    const textByte = textByteOf(charOffset);
    if (segments.length === 0) return 0;
    // The last segment starting at or before textByte (segments are in text order).
    let lo = 0;
    let hi = segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segments[mid].textByte <= textByte) lo = mid;
      else hi = mid - 1;
    }
    const seg = segments[lo];
    return seg.fileByte + (textByte - seg.textByte);
  };
  const result: MetadataText = { text, packetized: true, fileOffsetOf };
  return {
    ...result,
    ...(uuid === undefined ? {} : { uuid: uuidText(uuid) }),
    ...(truncation === undefined ? {} : { truncation }),
  };
}
