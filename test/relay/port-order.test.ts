// The relay sender's order between the drainer's port and the main thread's (src/relay/port-order.ts),
// on real MessagePorts: the sender thread's event for a drainer packet may run when the main
// thread has already queued that stream's end behind it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { PortOrder } from '../../src/relay/port-order.js';

type Packet = { c: number; n: number };
type Message = { type: 'metadata' | 'endStream' | 'close' | 'beacon'; c?: number };

function setup() {
  const drainer = new MessageChannel();
  const main = new MessageChannel();
  const log: string[] = [];
  const name = (m: Packet | Message): string => ('type' in m ? `${m.type}${m.c ?? ''}` : `packet${m.c}.${m.n}`);
  const order = new PortOrder<Packet, Message>({
    receiveMain: () => receiveMessageOnPort(main.port2)?.message as Packet | Message | undefined,
    receiveDrainer: () => receiveMessageOnPort(drainer.port2)?.message as Packet | undefined,
    isPacket: (m): m is Packet => !('type' in m),
    isEnd: (m) => m.type === 'endStream' || m.type === 'close',
    handleMain: (m) => log.push(`main:${name(m)}`),
    enqueue: (p) => log.push(`send:${name(p)}`),
  });
  const close = (): void => { drainer.port1.close(); main.port1.close(); };
  return { drainer: drainer.port1, drainerIn: drainer.port2, main: main.port1, order, log, close };
}

test('a stream end queued behind the packet being handled goes after it (the lost last packet)', () => {
  const s = setup();
  // The drainer hands over the worker stream's last packet; the main thread, seeing it drained,
  // posts the stream's end. The sender then runs the packet's event (taken off the drainer's queue).
  s.drainer.postMessage({ c: 1, n: 7 });
  s.main.postMessage({ type: 'endStream', c: 1 });
  const current = receiveMessageOnPort(s.drainerIn)?.message as Packet;
  s.order.onDrainerPacket(current);
  assert.deepEqual(s.log, ['send:packet1.7', 'main:endStream1']);
  s.close();
});

test('metadata before the packet; packets queued before an end go before it; later messages after', () => {
  const s = setup();
  s.main.postMessage({ type: 'metadata' });
  s.drainer.postMessage({ c: 1, n: 1 });
  s.drainer.postMessage({ c: 1, n: 2 });
  s.main.postMessage({ type: 'endStream', c: 1 });
  s.main.postMessage({ type: 'beacon', c: 0 });
  s.main.postMessage({ type: 'close' });
  s.order.onDrainerPacket(receiveMessageOnPort(s.drainerIn)?.message as Packet);
  assert.deepEqual(s.log, ['main:metadata', 'send:packet1.1', 'send:packet1.2', 'main:endStream1', 'main:beacon0', 'main:close']);
  s.close();
});

test('a main-thread message: an end or an exit-time packet waits for the drainer\'s queue, a beacon does not', () => {
  const s = setup();
  s.drainer.postMessage({ c: 0, n: 1 });
  s.order.onMainMessage({ type: 'beacon', c: 0 });
  assert.deepEqual(s.log, ['main:beacon0']);
  s.order.onMainMessage({ c: 0, n: 2 });
  assert.deepEqual(s.log, ['main:beacon0', 'send:packet0.1', 'main:packet0.2']);
  s.drainer.postMessage({ c: 0, n: 3 });
  s.order.onMainMessage({ type: 'close' });
  assert.deepEqual(s.log.slice(3), ['send:packet0.3', 'main:close']);
  s.close();
});
