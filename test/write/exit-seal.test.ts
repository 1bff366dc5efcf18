/**
 * What the main thread does at process exit with a ring whose producer (a worker) cannot close
 * its packets any more (src/ring/decode.ts): the producer's loss count is published in its
 * control cells, the packet it left open is sealed (its events counted as discarded), and the
 * losses no packet carries get an empty packet of their own after the newest one.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Channel } from '../../src/ring/channel.js';
import { appendLossPacket, decodePacket, sealAbandonedPacket } from '../../src/ring/decode.js';
import { createEncoder } from '../../src/ring/encode.js';
import { CTRL, PACKET, SUBBUF, readU64, sharedDiscarded } from '../../src/ring/layout.js';
import { parseFormat } from '../../src/format/parse.js';

const ID = 5;
const FIELDS = parseFormat('i %u s %s');

function workerLikeChannel(subbufCount: number): Channel {
  const channel = new Channel('c', { subbufSize: 512, subbufCount });
  channel.setStreamIdentity(Uint8Array.from({ length: 16 }, (_, i) => i), 7);
  channel.poisonOnOpen = true;
  return channel;
}

function fire(channel: Channel, count: number, fromTs = 1000): void {
  const encode = createEncoder(ID, FIELDS);
  for (let i = 0; i < count; i++) encode(channel, fromTs + i * 10, i, 'exit');
}

const fieldsOf = (id: number) => (id === ID ? FIELDS : undefined);

interface Drained { seq: number; discarded: number; contentBytes: number; events: number }

/** What the drainer does to every committed packet: takes it, writes it (here: decodes it), frees it. */
function drainAll(channel: Channel): Drained[] {
  const drained: Drained[] = [];
  for (let i = 0; i < channel.subbufCount; i++) {
    if (Atomics.load(channel.ctrl, CTRL.firstState + i) !== SUBBUF.committed) continue;
    const startBytes = i * channel.subbufSize;
    const seq = readU64(channel.view, startBytes + PACKET.seqNumOffsetBytes);
    const contentBytes = readU64(channel.view, startBytes + PACKET.contentSizeOffsetBytes) / 8;
    drained.push({
      seq, contentBytes,
      discarded: readU64(channel.view, startBytes + PACKET.eventsDiscardedOffsetBytes),
      events: decodePacket(channel, { startBytes, contentBytes, seq }, fieldsOf).length,
    });
    Atomics.store(channel.ctrl, CTRL.firstState + i, SUBBUF.free);
  }
  return drained.sort((a, b) => a.seq - b.seq);
}

const eventsIn = (packets: readonly Drained[]): number => packets.reduce((sum, p) => sum + p.events, 0);


test('the producer publishes its loss count where it changes (ring full, event too large)', () => {
  const channel = workerLikeChannel(2);
  assert.equal(sharedDiscarded(channel.ctrl), 0);
  fire(channel, 200); // two 512-byte packets hold far fewer: the rest is discarded
  const { discarded, written } = channel.stats();
  assert.ok(discarded > 0 && written > 0);
  assert.equal(sharedDiscarded(channel.ctrl), discarded);
  channel.dropTooLarge();
  assert.equal(sharedDiscarded(channel.ctrl), discarded + 1);
});

test('a full ring whose producer stopped: after the drain, one empty packet reports every loss', () => {
  const channel = workerLikeChannel(2);
  fire(channel, 200);
  const { discarded, written } = channel.stats();
  assert.equal(sealAbandonedPacket(channel, fieldsOf), 0, 'a full ring has no packet open');
  const packets = drainAll(channel);
  assert.equal(eventsIn(packets), written);
  const total = sharedDiscarded(channel.ctrl);
  assert.equal(total, discarded);
  assert.ok(packets.at(-1)!.discarded < total, 'the losses after the last packet are carried by no packet yet');
  assert.equal(appendLossPacket(channel, total), true);
  const loss = drainAll(channel);
  assert.equal(loss.length, 1);
  assert.equal(loss[0].seq, packets.at(-1)!.seq + 1);
  assert.equal(loss[0].discarded, total);
  assert.equal(loss[0].contentBytes, PACKET.headerSizeBytes);
  assert.equal(eventsIn(packets) + loss[0].discarded, 200, 'every event fired is written or counted');
  assert.equal(appendLossPacket(channel, total), false, 'nothing more to report');
});

test('a packet left open after losses: sealed, its events counted, then one packet reports all', () => {
  const channel = workerLikeChannel(2);
  fire(channel, 200); // full: losses counted by the producer, no packet carries them
  drainAll(channel);
  fire(channel, 5, 10_000); // room again: a packet opens (with the losses so far), 5 events, left open
  const sealed = sealAbandonedPacket(channel, fieldsOf);
  assert.equal(sealed, 5);
  const packets = drainAll(channel);
  assert.equal(eventsIn(packets), 0, 'the open packet became empty');
  const total = sharedDiscarded(channel.ctrl) + sealed;
  if (appendLossPacket(channel, total)) packets.push(...drainAll(channel));
  assert.equal(packets.at(-1)!.discarded, total);
  assert.equal(channel.stats().written - sealed + total, 205, 'written + discarded == fired');
});

test('no packet is added when the newest one reports every loss, or when there never was a packet', () => {
  const channel = workerLikeChannel(4);
  fire(channel, 3);
  channel.flush();
  drainAll(channel);
  assert.equal(appendLossPacket(channel, sharedDiscarded(channel.ctrl)), false);
  assert.equal(appendLossPacket(workerLikeChannel(2), 5), false);
});
