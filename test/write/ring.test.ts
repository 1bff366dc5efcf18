/**
 * Tiny ring buffers: wrap-around in discard and overwrite modes with exact counters and exactly
 * which events survive; events larger than a sub-buffer.
 *
 * Every marker here has an id above 30, so every event has the 13-byte extended header whatever
 * the clock does: event sizes, and so the packet boundaries, are exact and deterministic.
 */
import { strict as assert } from 'node:assert';
import { afterEach, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { marker, Session, type ChannelOptions, type Marker } from '../../src/index.js';
import { closeAll, EXTENDED_HEADER, PACKET_HEADER, padRegistryPastCompactIds, track, uniqueName } from './helpers.js';

afterEach(closeAll);

let seqMarker: Marker<'seq %u'>;
let textMarker: Marker<'seq %u s %s'>;
let blobMarker: Marker<'seq %u b %pW'>;
before(() => {
  padRegistryPastCompactIds();
  seqMarker = marker(uniqueName('ring'), 'seq %u');
  textMarker = marker(uniqueName('ring'), 'seq %u s %s');
  blobMarker = marker(uniqueName('ring'), 'seq %u b %pW');
  assert.ok(seqMarker.id > 30 && textMarker.id > 30 && blobMarker.id > 30);
});

/** 13-byte header + u32. */
const SEQ_EVENT = EXTENDED_HEADER + 4;

function session(options: ChannelOptions, pattern: string): Session {
  const s = track(new Session({ channels: { default: options } }));
  s.enable(pattern);
  s.start();
  return s;
}

function seqs(s: Session): number[] {
  return s.events().map((e) => e.fields.seq as number);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

describe('discard mode', () => {
  test('256 B × 2: the first 20 events of 30 survive, 10 discarded', () => {
    assert.equal(Math.floor((256 - PACKET_HEADER) / SEQ_EVENT), 10);
    const s = session({ subbufSize: 256, subbufCount: 2, mode: 'discard' }, seqMarker.name);
    for (let i = 0; i < 30; i++) seqMarker(i);
    assert.deepEqual(seqs(s), range(0, 20));
    assert.deepEqual(s.stats().channels.default, { written: 20, discarded: 10, tooLarge: 0, overwrittenPackets: 0, packets: 2 });
    s.stop();
    assert.deepEqual(seqs(s), range(0, 20));
    assert.equal(s.stats().channels.default.packets, 2, 'nothing left to flush');
  });

  test('1024 B × 4 with 17-byte events: 55 per packet, 220 survive', () => {
    const perPacket = Math.floor((1024 - PACKET_HEADER) / SEQ_EVENT);
    assert.equal(perPacket, 55);
    const s = session({ subbufSize: 1024, subbufCount: 4, mode: 'discard' }, seqMarker.name);
    for (let i = 0; i < 300; i++) seqMarker(i);
    assert.deepEqual(seqs(s), range(0, 220));
    assert.deepEqual(s.stats().channels.default, { written: 220, discarded: 80, tooLarge: 0, overwrittenPackets: 0, packets: 4 });
  });

  test('exactly full: the last event fills the last sub-buffer to its last byte', () => {
    // 172 bytes of payload space = 4 events of 43 bytes (13 + 4 + 25 + 1).
    const s = session({ subbufSize: 256, subbufCount: 2, mode: 'discard' }, textMarker.name);
    const text = 'x'.repeat(25);
    assert.equal(EXTENDED_HEADER + 4 + text.length + 1, 43);
    for (let i = 0; i < 8; i++) textMarker(i, text);
    assert.deepEqual(s.stats().channels.default, { written: 8, discarded: 0, tooLarge: 0, overwrittenPackets: 0, packets: 1 });
    textMarker(8, text);
    textMarker(9, '');
    assert.deepEqual(seqs(s), range(0, 8));
    assert.deepEqual(s.stats().channels.default, { written: 8, discarded: 2, tooLarge: 0, overwrittenPackets: 0, packets: 2 });
  });

  test('each stop() closes a packet: without a drainer the ring fills with stop/start cycles', () => {
    const s = session({ subbufSize: 256, subbufCount: 2, mode: 'discard' }, seqMarker.name);
    seqMarker(0);
    s.stop();
    s.start();
    seqMarker(1);
    s.stop();
    s.start();
    seqMarker(2);
    assert.deepEqual(seqs(s), [0, 1]);
    assert.deepEqual(s.stats().channels.default, { written: 2, discarded: 1, tooLarge: 0, overwrittenPackets: 0, packets: 2 });
  });

  test('channels count their losses separately', () => {
    const s = track(new Session({ channels: { default: { subbufSize: 256, subbufCount: 2 }, big: { subbufSize: 4096, subbufCount: 2 } } }));
    s.enable(seqMarker.name).enable(seqMarker.name, { channel: 'big' }).start();
    for (let i = 0; i < 25; i++) seqMarker(i);
    const stats = s.stats().channels;
    assert.equal(stats.default.discarded, 5);
    assert.equal(stats.big.discarded, 0);
    assert.deepEqual(s.events().filter((e) => e.stream === 'big').map((e) => e.fields.seq), range(0, 25));
  });
});

describe('overwrite mode', () => {
  test('256 B × 3: 45 events, the oldest two packets reused, events 20..44 survive', () => {
    const s = session({ subbufSize: 256, subbufCount: 3, mode: 'overwrite' }, seqMarker.name);
    for (let i = 0; i < 45; i++) seqMarker(i);
    assert.deepEqual(seqs(s), range(20, 45));
    assert.deepEqual(s.stats().channels.default, { written: 45, discarded: 0, tooLarge: 0, overwrittenPackets: 2, packets: 4 });
    s.stop();
    assert.deepEqual(seqs(s), range(20, 45));
    assert.equal(s.stats().channels.default.packets, 5);
  });

  test('256 B × 2: many laps keep the last full packet and the current one', () => {
    const s = session({ subbufSize: 256, subbufCount: 2, mode: 'overwrite' }, seqMarker.name);
    for (let i = 0; i < 1005; i++) seqMarker(i);
    // Packets of 10: the current packet holds 1000..1004, the other one 990..999.
    assert.deepEqual(seqs(s), range(990, 1005));
    assert.deepEqual(s.stats().channels.default, { written: 1005, discarded: 0, tooLarge: 0, overwrittenPackets: 99, packets: 100 });
  });

  test('1024 B × 4, exactly on a packet boundary', () => {
    const s = session({ subbufSize: 1024, subbufCount: 4, mode: 'overwrite' }, seqMarker.name);
    for (let i = 0; i < 55 * 9; i++) seqMarker(i);
    // Nine full packets: the ninth is still open (no event has closed it yet).
    assert.deepEqual(seqs(s), range(55 * 5, 55 * 9));
    assert.deepEqual(s.stats().channels.default, { written: 495, discarded: 0, tooLarge: 0, overwrittenPackets: 5, packets: 8 });
  });

  test('an event larger than a sub-buffer is dropped and counted in overwrite mode too', () => {
    const s = session({ subbufSize: 256, subbufCount: 2, mode: 'overwrite' }, textMarker.name);
    textMarker(0, 'a');
    textMarker(1, 'x'.repeat(1000));
    textMarker(2, 'b');
    assert.deepEqual(seqs(s), [0, 2]);
    assert.deepEqual(s.stats().channels.default, { written: 2, discarded: 1, tooLarge: 1, overwrittenPackets: 0, packets: 0 });
  });
});

describe('events larger than a sub-buffer', () => {
  // 256-byte sub-buffer: 172 bytes for events. Text event: 13 + 4 + length + 1.
  test('a string: 154 bytes fit exactly, 155 are too large', () => {
    const s = session({ subbufSize: 256, subbufCount: 4, mode: 'discard' }, textMarker.name);
    textMarker(0, 'a'.repeat(154));
    textMarker(1, 'b'.repeat(155));
    textMarker(2, 'c'.repeat(154));
    textMarker(3, 'é'.repeat(77)); // 154 bytes of UTF-8 from 77 UTF-16 units: fits
    textMarker(4, 'é'.repeat(78)); // 156 bytes: too large, though only 78 units long
    textMarker(5, '😀'.repeat(39)); // 156 bytes: too large
    textMarker(6, '😀'.repeat(38) + 'ab'); // 154 bytes: fits
    assert.deepEqual(s.events().map((e) => [e.fields.seq, (e.fields.s as string).length]), [[0, 154], [2, 154], [3, 77], [6, 78]]);
    assert.deepEqual(s.stats().channels.default, { written: 4, discarded: 3, tooLarge: 3, overwrittenPackets: 0, packets: 3 });
  });

  test('a blob: 151 bytes fit exactly, 152 are too large', () => {
    const s = session({ subbufSize: 256, subbufCount: 4, mode: 'discard' }, blobMarker.name);
    blobMarker(0, new Uint8Array(151).fill(1));
    blobMarker(1, new Uint8Array(152).fill(2));
    blobMarker(2, new Uint8Array(0));
    assert.deepEqual(s.events().map((e) => [e.fields.seq, (e.fields.b as Uint8Array).length]), [[0, 151], [2, 0]]);
    assert.deepEqual(s.stats().channels.default, { written: 2, discarded: 1, tooLarge: 1, overwrittenPackets: 0, packets: 1 });
  });

  test('fixed-size fields alone can make an event too large', () => {
    const wide = marker(uniqueName('ring'), Array.from({ length: 20 }, (_, i) => `f${i} %ld`).join(' ') + ' seq %u');
    const s = session({ subbufSize: 256, subbufCount: 2, mode: 'discard' }, 'ring:*');
    assert.ok(EXTENDED_HEADER + 20 * 8 + 4 > 256 - PACKET_HEADER);
    (wide as unknown as (...a: unknown[]) => void)(...Array.from({ length: 20 }, () => 1n), 0);
    seqMarker(1);
    assert.deepEqual(seqs(s), [1]);
    assert.equal(s.stats().channels.default.tooLarge, 1);
  });

  test('a huge string or blob is dropped quickly, without error', () => {
    const s = session({ subbufSize: 1024, subbufCount: 2, mode: 'discard' }, 'ring:*');
    textMarker(0, 'x'.repeat(1 << 24));
    textMarker(1, '中'.repeat(1 << 20));
    blobMarker(2, new Uint8Array(1 << 24));
    seqMarker(3);
    assert.deepEqual(s.events().map((e) => e.fields.seq), [3]);
    assert.equal(s.stats().channels.default.tooLarge, 3);
    assert.equal(s.stats().channels.default.discarded, 3);
  });

  test('losses after the last packet get an empty packet of their own at stop()', () => {
    const s = session({ subbufSize: 256, subbufCount: 2, mode: 'discard' }, 'ring:*');
    seqMarker(0);
    s.stop(); // closes the packet holding event 0
    s.start();
    textMarker(1, 'x'.repeat(500)); // too large: no packet open to carry the loss
    s.stop();
    assert.deepEqual(seqs(s), [0]);
    assert.deepEqual(s.stats().channels.default, { written: 1, discarded: 1, tooLarge: 1, overwrittenPackets: 0, packets: 2 });
  });

  test('a too-large event does not close the current packet', () => {
    const s = session({ subbufSize: 256, subbufCount: 2, mode: 'discard' }, 'ring:*');
    for (let i = 0; i < 5; i++) seqMarker(i);
    textMarker(5, 'x'.repeat(500));
    for (let i = 6; i < 11; i++) seqMarker(i);
    // 10 seq events fill the first packet exactly as if the big one had never come.
    assert.deepEqual(s.stats().channels.default.packets, 0);
    seqMarker(11);
    assert.deepEqual(s.stats().channels.default.packets, 1);
    assert.deepEqual(seqs(s), [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11]);
  });
});

// --- model-based property -------------------------------------------------------------------------

interface ModelResult {
  survivors: number[];
  written: number;
  discarded: number;
  tooLarge: number;
  overwrittenPackets: number;
  packets: number;
}

/** The ring as the issue describes it, for events of known sizes. */
function model(size: number, count: number, mode: 'discard' | 'overwrite', eventSizes: number[], flushAtEnd: boolean): ModelResult {
  const capacity = size - PACKET_HEADER;
  const slots: ({ state: 'free' | 'committed' | 'writing'; events: number[]; seq: number })[] =
    Array.from({ length: count }, () => ({ state: 'free', events: [], seq: -1 }));
  let current = -1;
  let holding = false;
  let used = 0;
  let nextSeq = 0;
  const r = { written: 0, discarded: 0, tooLarge: 0, overwrittenPackets: 0, packets: 0 };
  /** Losses already carried by a closed packet's events_discarded. */
  let reported = 0;
  const close = (): void => {
    if (!holding) return;
    slots[current].state = 'committed';
    holding = false;
    r.packets++;
    reported = r.discarded;
  };
  const open = (): boolean => {
    const next = (current + 1) % count;
    const slot = slots[next];
    if (slot.state === 'committed' && mode === 'overwrite') r.overwrittenPackets++;
    else if (slot.state !== 'free') return false;
    slots[next] = { state: 'writing', events: [], seq: nextSeq++ };
    current = next;
    holding = true;
    used = 0;
    return true;
  };
  eventSizes.forEach((bytes, seq) => {
    if (bytes > capacity) {
      r.tooLarge++;
      r.discarded++;
      return;
    }
    if (!holding || used + bytes > capacity) {
      close();
      if (!open()) {
        r.discarded++;
        return;
      }
    }
    slots[current].events.push(seq);
    used += bytes;
    r.written++;
  });
  if (flushAtEnd) {
    // stop(): closes the open packet; losses no packet carries yet get an empty packet of their
    // own when the ring has room, so that trace readers report them.
    if (holding) close();
    else if (r.discarded !== reported && open()) close();
  }
  const survivors = slots.filter((s) => s.state !== 'free').sort((a, b) => a.seq - b.seq).flatMap((s) => s.events);
  return { survivors, ...r };
}

describe('ring property (fast-check, seeded)', () => {
  test('any sizes, any geometry, both modes: survivors and counters match the model', () => {
    const geometry = fc.record({
      size: fc.integer({ min: 256, max: 1024 }),
      count: fc.integer({ min: 2, max: 4 }),
      mode: fc.constantFrom<'discard' | 'overwrite'>('discard', 'overwrite'),
      flush: fc.boolean(),
    });
    const lengths = fc.array(fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 0, max: 120 }) },
      { weight: 2, arbitrary: fc.integer({ min: 120, max: 1000 }) },
      { weight: 1, arbitrary: fc.constantFrom(0, 154, 155, 1024 - PACKET_HEADER - 18, 1024 - PACKET_HEADER - 17) },
    ), { maxLength: 120 });
    const onlyTooLarge = fc.array(fc.integer({ min: 1000, max: 2000 }), { maxLength: 3 });
    fc.assert(fc.property(geometry, fc.oneof({ weight: 5, arbitrary: lengths }, { weight: 1, arbitrary: onlyTooLarge }), ({ size, count, mode, flush }, lens) => {
      const s = session({ subbufSize: size, subbufCount: count, mode }, textMarker.name);
      try {
        lens.forEach((len, seq) => textMarker(seq, 'y'.repeat(len)));
        if (flush) s.stop();
        const expected = model(size, count, mode, lens.map((len) => EXTENDED_HEADER + 4 + len + 1), flush);
        const events = s.events();
        assert.deepEqual(events.map((e) => e.fields.seq), expected.survivors);
        for (const e of events) assert.equal(e.fields.s, 'y'.repeat(lens[e.fields.seq as number]));
        const { survivors, ...counters } = expected;
        void survivors;
        assert.deepEqual(s.stats().channels.default, counters);
      } finally {
        s.stop();
      }
    }), { seed: 7, numRuns: 250 });
  });
});
