/**
 * The relay sender thread: receives copies of committed packets from the drainer thread (and, at
 * exit, from the main thread), metadata and beacon ticks from the main thread, and streams them to
 * lttng-relayd. Its own event loop does the networking: the application's thread never waits for
 * the network, and a stalled relay only fills the budget shared with the drainer.
 */
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { METADATA_SINK_INDEX, SINK_BUDGET, type SinkPacketMessage } from '../ctf/packet-sink.js';
import { PortOrder } from './port-order.js';
import { RelayProducer, type ProducerConfig } from './producer.js';
import { SENDER_STATE, SENDER_STATUS, type SenderMessage } from './sender-status.js';
import { yieldToApplication } from '../threads/own-worker.js';

yieldToApplication();

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
  sync: () => order.drainMain(),
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
  order.drainDrainer();
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

const order = new PortOrder<SinkPacketMessage, SenderMessage>({
  receiveMain: () => receiveMessageOnPort(mainPort)?.message as SinkPacketMessage | SenderMessage | undefined,
  receiveDrainer: () => receiveMessageOnPort(drainerPort)?.message as SinkPacketMessage | undefined,
  isPacket: (message): message is SinkPacketMessage => !('type' in message),
  isEnd: (message) => message.type === 'close' || message.type === 'endStream',
  handleMain,
  enqueue,
});

drainerPort.on('message', (message: SinkPacketMessage) => {
  order.onDrainerPacket(message);
  publish();
});
mainPort.on('message', (message: SinkPacketMessage | SenderMessage) => order.onMainMessage(message));

const firstError = await producer.start();
publish();
Atomics.store(status, SENDER_STATUS.state, firstError === '' ? SENDER_STATE.connected : SENDER_STATE.retrying);
mainPort.postMessage({ type: 'first', error: firstError });
Atomics.store(status, SENDER_STATUS.firstAttemptDone, 1);
Atomics.notify(status, SENDER_STATUS.firstAttemptDone);
