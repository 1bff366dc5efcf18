/**
 * The drainer thread of a session with an output: sleeps on the session's doorbell and writes
 * committed sub-buffers to the stream files, so that a synchronous hot loop on the main thread
 * never waits for the disk and never has to yield for its events to be saved.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { ringView, tryDrain, type RingView } from './drain.js';
import { PortPacketSink, postMetadata, type PortSinkSpec } from './packet-sink.js';
import { FOREIGN_RINGS_CELL, syncMetadata, type MetadataTarget } from './metadata-sync.js';
import { CTRL } from '../ring/layout.js';
import { writeFault } from './fault.js';
import { registryLogOf } from '../threads/registry-log.js';
import { yieldToApplication } from '../threads/own-worker.js';

yieldToApplication();

interface DrainerChannel {
  data: SharedArrayBuffer;
  ctrl: Int32Array;
  subbufSize: number;
  subbufCount: number;
  fd: number;
  /** Stream index of a ring added later, when its packets also go to the sink. */
  sinkIndex?: number;
}

interface DrainerData {
  /** [0]: doorbell counter, [1]: stop request, [2]: drainer ready. */
  doorbell: Int32Array;
  /** Where the reason of a fault goes, readable by the main thread even at process.exit(). */
  faultText: SharedArrayBuffer;
  channels: DrainerChannel[];
  /** Packets also go there (the relay sender's thread). */
  sink?: PortSinkSpec;
  /** Rings of other threads (workers) added while recording (written to their files only). */
  port?: MessagePort;
  /** The process's registry log and the metadata file: event classes before their events. */
  metadata?: { log: SharedArrayBuffer; fd: number; uuidBytes: Uint8Array; cells: Int32Array };
}

const { doorbell, faultText, channels, sink, port, metadata } = workerData as DrainerData;
const rings: RingView[] = channels.map((c, index) => ringView(c.data, c.ctrl, c.subbufSize, c.subbufCount, c.fd,
  sink === undefined ? null : new PortPacketSink(sink, index, 'own thread')));
const failed = new Set<RingView>();
const metadataTarget: MetadataTarget | undefined = metadata === undefined ? undefined : {
  fd: metadata.fd, uuidBytes: metadata.uuidBytes, log: registryLogOf(metadata.log), cells: metadata.cells,
  ...(sink === undefined ? {} : { emit: (packet: Uint8Array) => postMetadata(sink, packet) }),
};
const beforePacket = metadataTarget === undefined ? undefined : (): void => syncMetadata(metadataTarget);

let ringsAnnounced = 0;

function takeNewRings(): void {
  // A shared count says when there is something to receive: no port call on every wake.
  if (port === undefined || metadata === undefined) return;
  const announced = Atomics.load(metadata.cells, FOREIGN_RINGS_CELL);
  if (announced === ringsAnnounced) return;
  ringsAnnounced = announced;
  for (let message = receiveMessageOnPort(port); message !== undefined; message = receiveMessageOnPort(port)) {
    const c = message.message as DrainerChannel;
    rings.push(ringView(c.data, c.ctrl, c.subbufSize, c.subbufCount, c.fd,
      sink === undefined || c.sinkIndex === undefined ? null : new PortPacketSink(sink, c.sinkIndex, 'own thread')));
  }
}

function drainAll(): void {
  takeNewRings();
  for (const ring of rings) {
    if (failed.has(ring)) continue;
    try {
      tryDrain(ring, beforePacket);
    } catch (error) {
      failed.add(ring);
      const message = error instanceof Error ? error.message : String(error);
      // The text first: whoever sees the flag can read why.
      writeFault(faultText, message);
      Atomics.store(ring.ctrl, CTRL.error, 1);
      parentPort?.postMessage({ type: 'error', channelIndex: rings.indexOf(ring), message });
    }
  }
}

// Tell session.start(), which waits for this, that events can flow to disk from now on.
Atomics.store(doorbell, 2, 1);
Atomics.notify(doorbell, 2);
for (;;) {
  const seen = Atomics.load(doorbell, 0);
  drainAll();
  if (Atomics.load(doorbell, 1) !== 0) {
    drainAll();
    break;
  }
  Atomics.wait(doorbell, 0, seen, 200);
}
port?.close();
parentPort?.postMessage({ type: 'done' });
