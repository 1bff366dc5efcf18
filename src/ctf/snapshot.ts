/**
 * Flight recorder: writes what a session's rings hold as a complete trace with its own UUID.
 * The packets are copied synchronously (the producer is this thread, so they cannot change
 * under the copy), then written asynchronously.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, writeFile } from 'node:fs';
import { promisify } from 'node:util';
import { TracemarkError } from '../errors/index.js';
import { registry } from '../registry/index.js';
import type { Channel } from '../ring/channel.js';
import { heldPackets } from '../ring/decode.js';
import { PACKET, readU64, writeU64 } from '../ring/layout.js';
import { writeWhole } from './drain.js';
import { eventBlock, metadataHead, metadataPacket, uuidToBytes } from './metadata.js';
import { CLOCK_ORIGIN_EPOCH_NS } from '../ring/clock.js';
import { processEnv } from './env.js';
import { claimFile, prepareTraceDir, removeCreated, streamFileName } from './trace-dir.js';

const writeFileAsync = promisify(writeFile);

function copyPackets(channel: Channel, uuidBytes: Uint8Array, instanceId: number): Uint8Array {
  const packets = heldPackets(channel);
  const total = packets.reduce((sum, p) => sum + p.contentBytes, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let pos = 0;
  let discardedBase = -1;
  packets.forEach((packet, seq) => {
    out.set(channel.bytes.subarray(packet.startBytes, packet.startBytes + packet.contentBytes), pos);
    out.set(uuidBytes, pos + PACKET.uuidOffsetBytes);
    writeU64(view, pos + PACKET.streamInstanceIdOffsetBytes, instanceId);
    // Packets lost to overwriting are the flight recorder working as meant: number the snapshot's
    // packets from 0 and count losses from its first packet on.
    writeU64(view, pos + PACKET.seqNumOffsetBytes, seq);
    const contentBits = packet.contentBytes * 8;
    const current = channel.currentPacket();
    if (current !== null && current.startBytes === packet.startBytes) {
      writeU64(view, pos + PACKET.timestampEndOffsetBytes, channel.lastTs);
      writeU64(view, pos + PACKET.contentSizeOffsetBytes, contentBits);
      writeU64(view, pos + PACKET.packetSizeOffsetBytes, contentBits);
      writeU64(view, pos + PACKET.eventsDiscardedOffsetBytes, channel.stats().discarded);
    }
    const discarded = readU64(view, pos + PACKET.eventsDiscardedOffsetBytes);
    if (discardedBase < 0) discardedBase = discarded;
    writeU64(view, pos + PACKET.eventsDiscardedOffsetBytes, discarded - discardedBase);
    pos += packet.contentBytes;
  });
  return out;
}

interface SnapshotFile {
  name: string;
  bytes: Uint8Array;
}

/** Copies what the rings hold into the files of a complete trace (synchronously: consistent). */
function snapshotFiles(channels: readonly Channel[], traceName: string): SnapshotFile[] {
  const uuid = randomUUID();
  const uuidBytes = uuidToBytes(uuid);
  const metadata = metadataPacket(
    metadataHead(uuid, processEnv(traceName), CLOCK_ORIGIN_EPOCH_NS) + registry.list().map(eventBlock).join(''),
    uuidBytes,
  );
  return [
    { name: 'metadata', bytes: metadata },
    ...channels.map((channel, index) => ({ name: streamFileName(channel), bytes: copyPackets(channel, uuidBytes, index) })),
  ];
}

function checkDir(dir: string): void {
  if (typeof dir !== 'string' || dir === '') {
    throw new TracemarkError('ERR_INVALID_ARG', 'snapshot needs a directory path');
  }
}

function ioError(dir: string, error: unknown): TracemarkError {
  if (error instanceof TracemarkError) return error;
  return new TracemarkError('ERR_TRACE_IO', `cannot write snapshot in ${dir}: ${(error as Error).message}`, { file: dir, cause: error });
}

/**
 * A snapshot is written whole or not at all: on a fault (a full disk) the files it created are
 * removed again, and the directory too when it made it.
 */
export async function writeSnapshot(dir: string, channels: readonly Channel[], traceName: string): Promise<string> {
  checkDir(dir);
  const files = snapshotFiles(channels, traceName);
  const createdDir = prepareTraceDir(dir);
  const created: string[] = [];
  try {
    for (const file of files) {
      // Claimed synchronously (O_EXCL): two snapshots into one directory cannot both win.
      const fd = claimFile(dir, file.name);
      created.push(file.name);
      await writeFileAsync(fd, file.bytes).finally(() => closeSync(fd));
    }
  } catch (error) {
    removeCreated(dir, [], created, createdDir);
    throw ioError(dir, error);
  }
  return dir;
}

/** The same, synchronously: for process exit, where promises never settle. */
export function writeSnapshotSync(dir: string, channels: readonly Channel[], traceName: string): string {
  checkDir(dir);
  const files = snapshotFiles(channels, traceName);
  const createdDir = prepareTraceDir(dir);
  const created: string[] = [];
  try {
    for (const file of files) {
      const fd = claimFile(dir, file.name);
      created.push(file.name);
      try {
        writeWhole(fd, file.bytes, 0, file.bytes.length);
      } finally {
        closeSync(fd);
      }
    }
  } catch (error) {
    removeCreated(dir, [], created, createdDir);
    throw ioError(dir, error);
  }
  return dir;
}
