import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CONTROL_HEADER_BYTES, DATA_HEADER_BYTES, RELAYD_CMD, addStreamMessage, beaconMessage, closeStreamMessage,
  createSessionMessage, createTraceChunkMessage, dataHeader, parseControlHeader, parseDataHeader, sendIndexMessage,
  sendMetadataMessage, streamsSentMessage, versionMessage, rotateStreamsToNoChunkMessage, NO_NET_SEQ,
} from '../../src/relay/protocol.js';
import { RELAY_DEFAULT_PORTS, parseRelayUrl } from '../../src/relay/url.js';

function header(message: Buffer): { dataSize: number; cmd: number; payload: Buffer } {
  const parsed = parseControlHeader(message);
  assert.equal(message.length, CONTROL_HEADER_BYTES + parsed.dataSize, 'payload size in the header');
  assert.equal(message.readBigUInt64BE(0), 0n, 'circuit id');
  assert.equal(parsed.cmdVersion, 0);
  return { dataSize: parsed.dataSize, cmd: parsed.cmd, payload: message.subarray(CONTROL_HEADER_BYTES) };
}

test('version: 2.13 announced, big-endian', () => {
  const { cmd, payload } = header(versionMessage());
  assert.equal(cmd, RELAYD_CMD.version);
  assert.deepEqual([...payload], [0, 0, 0, 2, 0, 0, 0, 13]);
});

test('create session (2.11 form): fixed part of 59 bytes, then NUL-terminated names', () => {
  const uuid = new Uint8Array(16).map((_, i) => i + 1);
  const { cmd, payload } = header(createSessionMessage({
    sessionName: 'fleet', hostname: 'web-1', liveTimerUs: 500_000, producerUuid: uuid, sessionId: 7, creationTimeS: 1_700_000_000,
  }));
  assert.equal(cmd, RELAYD_CMD.createSession);
  assert.equal(payload.readUInt32BE(0), 6); // "fleet\0"
  assert.equal(payload.readUInt32BE(4), 6); // "web-1\0"
  assert.equal(payload.readUInt32BE(8), 0); // no base path
  assert.equal(payload.readUInt32BE(12), 500_000);
  assert.equal(payload[16], 0); // not a snapshot session
  assert.equal(payload[17], 0);
  assert.deepEqual([...payload.subarray(18, 34)], [...uuid]);
  assert.equal(payload.readBigUInt64BE(34), 7n);
  assert.equal(payload.readBigUInt64BE(42), 1_700_000_000n);
  assert.equal(payload[50], 0); // no current chunk yet
  assert.equal(payload.subarray(59).toString('latin1'), 'fleet\0web-1\0');
});

test('trace chunk, streams, index, beacon, metadata, close', () => {
  const chunk = header(createTraceChunkMessage(0, 42));
  assert.equal(chunk.cmd, RELAYD_CMD.createTraceChunk);
  assert.equal(chunk.payload.length, 20);
  assert.equal(chunk.payload.readBigUInt64BE(8), 42n);

  const stream = header(addStreamMessage('default_0', 'tracemark/app-1', 0));
  assert.equal(stream.cmd, RELAYD_CMD.addStream);
  assert.equal(stream.payload.readUInt32BE(0), 10);
  assert.equal(stream.payload.readUInt32BE(4), 16);
  assert.equal(stream.payload.subarray(32).toString('latin1'), 'default_0\0tracemark/app-1\0');

  const index = header(sendIndexMessage(5n, 9n, {
    packetSizeBits: 8192, contentSizeBits: 4096, timestampBegin: 100, timestampEnd: 200, eventsDiscarded: 3,
    streamClassId: 0, streamInstanceId: 1, packetSeqNum: 9,
  }));
  assert.equal(index.cmd, RELAYD_CMD.sendIndex);
  assert.equal(index.payload.length, 80);
  const fields = Array.from({ length: 10 }, (_, i) => index.payload.readBigUInt64BE(i * 8));
  assert.deepEqual(fields, [5n, 9n, 8192n, 4096n, 100n, 200n, 3n, 0n, 1n, 9n]);

  const beacon = header(beaconMessage(5n, 9n, 12345, 0));
  assert.equal(beacon.payload.readBigUInt64BE(16), 0n, 'a beacon is an index with packet size 0');
  assert.equal(beacon.payload.readBigUInt64BE(40), 12345n);

  const metadata = header(sendMetadataMessage(4n, new Uint8Array([1, 2, 3])));
  assert.equal(metadata.cmd, RELAYD_CMD.sendMetadata);
  assert.equal(metadata.payload.readBigUInt64BE(0), 4n);
  assert.equal(metadata.payload.readUInt32BE(8), 0);
  assert.deepEqual([...metadata.payload.subarray(12)], [1, 2, 3]);

  assert.equal(header(streamsSentMessage()).dataSize, 0);
  const close = header(closeStreamMessage(5n, 9n));
  assert.equal(close.cmd, RELAYD_CMD.closeStream);
  assert.equal(close.payload.readBigUInt64BE(8), 9n);
});

test('rotate streams to no chunk (session end): count, unset chunk id as x86-64 lays it out, positions', () => {
  const { cmd, payload } = header(rotateStreamsToNoChunkMessage([{ streamHandle: 2n, rotateAtSeqNum: 13n }, { streamHandle: 1n, rotateAtSeqNum: 0n }]));
  assert.equal(cmd, RELAYD_CMD.rotateStreams);
  assert.equal(cmd, 18);
  assert.equal(payload.length, 4 + 16 + 2 * 16);
  assert.equal(payload.readUInt32BE(0), 2);
  assert.deepEqual([...payload.subarray(4, 20)], new Array(16).fill(0), 'is_set 0, 7 bytes of alignment, value 0');
  assert.equal(payload.readBigUInt64BE(20), 2n);
  assert.equal(payload.readBigUInt64BE(28), 13n);
  assert.equal(payload.readBigUInt64BE(36), 1n);
  assert.equal(payload.readBigUInt64BE(44), 0n);
  assert.equal(closeStreamMessage(1n, NO_NET_SEQ).readBigUInt64BE(CONTROL_HEADER_BYTES + 8), 0xffffffffffffffffn, 'the metadata stream closes with "no packet"');
});

test('data header: stream handle, network sequence number, sizes', () => {
  const bytes = dataHeader(3n, 17n, 4096, 0);
  assert.equal(bytes.length, DATA_HEADER_BYTES);
  assert.deepEqual(parseDataHeader(bytes), { streamHandle: 3n, netSeqNum: 17n, dataSize: 4096, paddingSize: 0 });
});

test('relay URLs: LTTng defaults, explicit ports, errors', () => {
  assert.deepEqual(parseRelayUrl('net://127.0.0.1'), { host: '127.0.0.1', controlPort: RELAY_DEFAULT_PORTS.control, dataPort: RELAY_DEFAULT_PORTS.data, url: 'net://127.0.0.1' });
  assert.deepEqual(parseRelayUrl('net://relay.example:6000:6001'), { host: 'relay.example', controlPort: 6000, dataPort: 6001, url: 'net://relay.example:6000:6001' });
  assert.equal(parseRelayUrl('net://h:6000').dataPort, RELAY_DEFAULT_PORTS.data);
  assert.equal(parseRelayUrl('net://[::1]:6000:6001').host, '::1');
  for (const bad of ['127.0.0.1', 'http://h', 'net://', 'net://h:0', 'net://h:70000', 'net://h:1:2:3', 'net://h:x']) {
    assert.throws(() => parseRelayUrl(bad), { code: 'ERR_INVALID_ARG' }, bad);
  }
});
