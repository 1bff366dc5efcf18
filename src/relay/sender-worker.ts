/**
 * The relay sender thread: receives copies of committed packets from the drainer thread (and, at
 * exit, from the main thread), metadata and beacon ticks from the main thread, and streams them to
 * lttng-relayd. Its own event loop does the networking: the application's thread never waits for
 * the network, and a stalled relay only fills the budget shared with the drainer.
 */
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { METADATA_SINK_INDEX, SINK_BUDGET, type SinkPacketMessage } from '../ctf/packet-sink.js';
import { RelayProducer, type ProducerConfig } from './producer.js';
import { SENDER_STATE, SENDER_STATUS, type SenderMessage } from './sender-status.js';

interface SenderData {
  config: ProducerConfig;
  drainerPort: MessagePort;
  mainPort: MessagePort;
  budget: Int32Array;
  doorbell: Int32Array;
  status: Int32Array;
  closeTimeoutMs: number;
}

const { config, drainerPort, mainPort, budget, doorbell, status, closeTimeoutMs } = workerData as SenderData;

function publish(): void {
  const counters = producer.counters;
  Atomics.store(status, SENDER_STATUS.packetsSent, counters.packetsSent);
  Atomics.store(status, SENDER_STATUS.packetsDropped, counters.packetsDropped);
  Atomics.store(status, SENDER_STATUS.connections, counters.connections);
  Atomics.store(status, SENDER_STATUS.beacons, counters.beacons);
}

const producer = new RelayProducer(config, {
  onState(state, detail) {
    Atomics.store(status, SENDER_STATUS.state, state === 'connected' ? SENDER_STATE.connected : SENDER_STATE.retrying);
    publish();
    mainPort.postMessage({ type: 'state', state, detail });
  },
  sync: () => drainMainPort(),
});

function enqueue(message: SinkPacketMessage): void {
  // Metadata written by the drainer (or at exit) before a packet that needs it: no budget.
  if (message.c === METADATA_SINK_INDEX) {
    producer.addMetadata(new Uint8Array(message.b));
    return;
  }
  const length = message.b.byteLength;
  producer.enqueue({
    channel: message.c,
    bytes: new Uint8Array(message.b),
    release: () => {
      Atomics.sub(budget, SINK_BUDGET.pendingBytes, length);
      // A drainer without a stream file may be holding packets back for budget: wake it.
      Atomics.add(doorbell, 0, 1);
      Atomics.notify(doorbell, 0);
    },
  });
}

let closing = false;

async function close(packetsCommitted: readonly number[]): Promise<void> {
  if (closing) return;
  closing = true;
  drainDrainerPort();
  await producer.close(closeTimeoutMs, packetsCommitted);
  publish();
  Atomics.store(status, SENDER_STATUS.state, SENDER_STATE.closed);
  Atomics.store(status, SENDER_STATUS.closed, 1);
  Atomics.notify(status, SENDER_STATUS.closed);
  drainerPort.close();
  mainPort.close();
}

function handleMain(message: SenderMessage | SinkPacketMessage): void {
  if (!('type' in message)) {
    enqueue(message);
  } else if (message.type === 'metadata') {
    producer.addMetadata(new Uint8Array(message.b));
  } else if (message.type === 'beacon') {
    producer.beacon(message.c, message.ts, message.packets);
  } else if (message.type === 'stream') {
    producer.addStream(message.c, message.name);
  } else if (message.type === 'endStream') {
    producer.closeStream(message.c);
  } else if (message.type === 'close') {
    void close(message.packets ?? []);
  }
  publish();
}

/** Packets the drainer posted before what the main thread sends now: keeps each stream in order. */
function drainDrainerPort(): void {
  for (let m = receiveMessageOnPort(drainerPort); m !== undefined; m = receiveMessageOnPort(drainerPort)) {
    enqueue(m.message as SinkPacketMessage);
  }
}

/** A stream's end (or the session's) must come after every packet the drainer posted before it. */
function isEnd(message: SenderMessage | SinkPacketMessage): boolean {
  return 'type' in message && (message.type === 'close' || message.type === 'endStream');
}

/** A main-thread message, after what the drainer handed over before it (a stream's last packets before its end). */
function onMainMessage(message: SenderMessage | SinkPacketMessage): void {
  if (isEnd(message) || !('type' in message)) drainDrainerPort();
  handleMain(message);
}

/** Metadata the main thread posted before the events of a packet: sent before that packet. */
function drainMainPort(): void {
  for (let m = receiveMessageOnPort(mainPort); m !== undefined; m = receiveMessageOnPort(mainPort)) {
    onMainMessage(m.message as SenderMessage);
  }
}

/**
 * What the main thread posted before a packet of the drainer arrived, up to a stream's end: that
 * end was posted after the drainer had handed over the stream's last packet, maybe this one, which
 * is no longer in the port's queue. Returns the end, for after the packet.
 */
function drainMainPortBeforePacket(): SenderMessage | undefined {
  for (let m = receiveMessageOnPort(mainPort); m !== undefined; m = receiveMessageOnPort(mainPort)) {
    const message = m.message as SenderMessage;
    if (isEnd(message)) return message;
    handleMain(message);
  }
  return undefined;
}

drainerPort.on('message', (message: SinkPacketMessage) => {
  const end = drainMainPortBeforePacket();
  enqueue(message);
  if (end !== undefined) {
    onMainMessage(end);
    drainMainPort();
  }
  publish();
});
mainPort.on('message', onMainMessage);

const firstError = await producer.start();
publish();
Atomics.store(status, SENDER_STATUS.state, firstError === '' ? SENDER_STATE.connected : SENDER_STATE.retrying);
mainPort.postMessage({ type: 'first', error: firstError });
Atomics.store(status, SENDER_STATUS.firstAttemptDone, 1);
Atomics.notify(status, SENDER_STATUS.firstAttemptDone);
