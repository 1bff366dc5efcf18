/**
 * The drainer thread of a session with an output: sleeps on the session's doorbell and writes
 * committed sub-buffers to the stream files, so that a synchronous hot loop on the main thread
 * never waits for the disk and never has to yield for its events to be saved.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ringView, tryDrain, type RingView } from './drain.js';
import { PortPacketSink, type PortSinkSpec } from './packet-sink.js';
import { CTRL } from '../ring/layout.js';
import { writeFault } from './fault.js';

interface DrainerChannel {
  data: SharedArrayBuffer;
  ctrl: Int32Array;
  subbufSize: number;
  subbufCount: number;
  fd: number;
}

interface DrainerData {
  /** [0]: doorbell counter, [1]: stop request, [2]: drainer ready. */
  doorbell: Int32Array;
  /** Where the reason of a fault goes, readable by the main thread even at process.exit(). */
  faultText: SharedArrayBuffer;
  channels: DrainerChannel[];
  /** Packets also go there (the relay sender's thread). */
  sink?: PortSinkSpec;
}

const { doorbell, faultText, channels, sink } = workerData as DrainerData;
const rings: RingView[] = channels.map((c, index) => ringView(c.data, c.ctrl, c.subbufSize, c.subbufCount, c.fd,
  sink === undefined ? null : new PortPacketSink(sink, index)));
const failed = new Set<RingView>();

function drainAll(): void {
  for (const ring of rings) {
    if (failed.has(ring)) continue;
    try {
      tryDrain(ring);
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
parentPort?.postMessage({ type: 'done' });
