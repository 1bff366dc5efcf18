/**
 * Registers the decoder of the demo's `app:payload` header blob, for the tools that print
 * traces: `tracemark print DIR --decoders dist/examples/payload-decoder.js` shows
 *   header=TM v1 json 245 bytes #17
 * instead of the raw bytes <54 4d 01 00 f5 00 00 00 11 00 00 00>.
 */
import { registerBlobDecoder } from '../src/index.js';
import { decodePayloadHeader } from './payload-header.js';

registerBlobDecoder('app:payload', 'header', (bytes) => {
  const h = decodePayloadHeader(bytes);
  return `TM v${h.version} ${h.contentType} ${h.bodyBytes} bytes #${h.sequence}`;
});
